"""每一站的“试一试”：照文档字符串里写的命令原样运行，读出它打印的数和整条命令的用时，存进 docs/runs/tries.json。
每一条命令后面的答案（和学习路径上每一站要几分钟）由 maintainers/pages.py 从这份记录写出。

    python maintainers/tries.py --threads 2 --json docs/runs/tries.json     # 2 核 CPU 上一个多小时
    python maintainers/tries.py --stations v3 v4 --json part.json          # 只跑几站
v11 的配方比较（learners/form_sweep.py）和 v12 的中途 Ctrl-C 再续训（maintainers/cpu_recipe.py）另有量具，这里跳过。
每一站还量一次它自己的那条命令（学习路径表里“跑”的那一列）没被别处量过的：v11 看完 CPU 上的估计就按 Ctrl-C，采样器写一首，
看它写从头写一首。
"""

import argparse
import json
import os
import re
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runs import ROOT, run_curve, run_script, save_run
from course import STATIONS, exercises

COMPARE_REPEATS = 5  # 采样器的 --compare 一次只写几十个字，速度起伏大：跑几遍取中位数
HEAD_LINE = re.compile(r"第 (\d+) 层 · 头 (\d+)：当前字 ([\d.]+)，前一个字 ([\d.]+)(?:，最近的标点 ([\d.]+))?")
STATION_RUNS = {  # 学习路径上“跑”的那条命令，梯子、CPU 配方和“试一试”都没量过的
    "v11": "python babygpt_v11_hyper_params.py",  # 看到 CPU 上的估计就按 Ctrl-C
    "采样器": "python babygpt_sample_with_kvcache.py --prompt 春江",  # 交互时写一首的样子
    "看它写": "python learners/watch.py",  # 从头写一首，存成网页
}


def measured_elsewhere(command):
    """v11 的配方比较、v12 的续训：由别的量具量。"""
    return command.startswith("python learners/form_sweep.py") or "--ckpt_path try.pth" in command


def run_until_estimate(command, threads):
    """运行 v11（GPU 配方），看到 CPU 上的估计（“注意：……”）就按 Ctrl-C，和学习路径上说的一样。
    返回 {估计的那一行, 秒数：学习者等到这一行要多久}。Ctrl-C 落在第 0 步的评估里时，那一课接住它、用学到的参数写两段
    才退出；偶尔它落进 Python 的垃圾回收里被吞掉，所以 30 秒还没退出就再按一次（学习者也会这样）。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1", **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *shlex.split(command)[1:]], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, cwd=ROOT)
    line, seconds = "", None
    for line in proc.stdout:
        if line.startswith("注意："):
            seconds = time.perf_counter() - t0
            proc.send_signal(signal.SIGINT)
            break
    while True:
        try:
            proc.communicate(timeout=30)
            break
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGINT)
    return {"kind": "estimate", "line": line.strip(), "seconds": seconds, "exit_seconds": time.perf_counter() - t0}


def run_try(command, threads):
    """照原样运行一条命令，按脚本的种类读出它打印的数。"""
    script, *extra = shlex.split(command)[1:]
    if script == "babygpt_sample_with_kvcache.py" and "--compare" in extra:
        speedups, identical, times = [], True, []
        for _ in range(COMPARE_REPEATS):
            out, seconds = run_script(script, extra, threads)
            speedups.append(float(re.search(r"speedup ([\d.]+)x", out).group(1)))
            identical &= "identical: yes" in out
            times.append(seconds)
        return {"kind": "compare", "speedups": speedups, "identical": identical, "seconds": statistics.median(times)}
    if script == "babygpt_sample_with_kvcache.py":
        out, seconds = run_script(script, extra, threads)
        return {"kind": "sample", "text": out, "seconds": seconds}
    if script == "babygpt_v11_hyper_params.py" and not extra:
        return run_until_estimate(command, threads)
    if script == "learners/attention_heatmap.py":
        out, seconds = run_script(script, extra, threads)
        heads = [{"layer": int(a), "head": int(b), "self": float(c), "previous": float(d), "punct": float(e) if e else None}
                 for a, b, c, d, e in HEAD_LINE.findall(out)]
        return {"kind": "heatmap", "heads": heads, "seconds": seconds}
    if script == "learners/form_check.py" and "--train" in extra:  # 每次评估的格律也存下：docs/form.md 的表由它写出
        with tempfile.TemporaryDirectory() as folder:
            out, seconds = run_script(script, [*extra, "--json", f"{folder}/train.json"], threads)  # --json 只多存一个文件
            curve = json.loads(Path(folder, "train.json").read_text(encoding="utf-8"))["curve"]
        return {"kind": "line", "line": out.strip().splitlines()[-1], "seconds": seconds, "curve": curve}
    if script in ("learners/form_check.py", "learners/watch.py"):
        out, seconds = run_script(script, extra, threads)
        return {"kind": "line", "line": out.strip().splitlines()[-1], "seconds": seconds}
    return run_curve(script, extra, threads)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", nargs="+", default=list(STATIONS), help="跑哪几站（默认全部）")
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程")
    parser.add_argument("--json", help="结果存到这里（每跑完一条就存一次）")
    args = parser.parse_args(argv)
    rows, done = [], {}
    for station in args.stations:
        file = STATIONS[station]
        commands = [command for _, command in exercises(file) if not measured_elsewhere(command)]
        commands += [STATION_RUNS[station]] if station in STATION_RUNS else []
        commands = list(dict.fromkeys(commands))  # 这一站自己的命令也可能就是它的一条“试一试”
        for command in commands:
            if command not in done:  # 同一条命令在几站里出现（v1 的 1000 步也是 v2 的对照）：只跑一次
                done[command] = run_try(command, args.threads)
                print(f"{station}：{command}  ->  {done[command].get('seconds', 0):.0f}s", flush=True)
            rows.append({"station": station, "file": file, "try": command, **done[command]})
            if args.json:
                save_run(args.json, [rows])


if __name__ == "__main__":
    main()
