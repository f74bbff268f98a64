"""v12 的 CPU 配方（README 快速开始的那条命令），照学习者的路走：先一口气训练完（检查点存到 --ckpt_path，采样器、
注意力图、看它写都读它），再照 v12 的“试一试”走一遍：同样的命令加 --ckpt_path try.pth，训练到一半按 Ctrl-C，
运行它打印的续训命令，最后一行必须和一口气训练完的逐位相同。

    python maintainers/cpu_recipe.py --threads 2 --interrupt_at 2920 --json docs/runs/cpu_recipe.json   # 约 20 分钟
--json 给的文件已经有记录时，这一遍加进 runs（用时取几遍的中位数），走过的那一遍换成这一次的。
"""

import argparse
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

from runs import ROOT, machine, run_curve, save_run
from measure_r import measure_r

from scaffold import CPU_RECIPE  # noqa: E402


def run_interrupted(command, stop_after, threads=None):
    """像学习者一样：运行 v12，看到 stop_after 那一步的进度行就按 Ctrl-C（SIGINT），等它存好检查点、以 130 退出；
    再把它打印的“接着训练”那条命令原样运行。返回 {停下的步数, 退出码, 续训命令, 两段各用了多久, 续训的学习曲线……}。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1", **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "babygpt_v12_wandb.py", *command], stdout=subprocess.PIPE,  # 在仓库里运行，和学习者一样
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    out = []
    for line in proc.stdout:
        out.append(line)
        if line.startswith(f"step {stop_after}/"):
            proc.send_signal(signal.SIGINT)
    code = proc.wait()
    interrupted_seconds = time.perf_counter() - t0
    text = "".join(out)
    stopped = re.search(r"训练停在第 (\d+) 步", text)
    again = re.search(r"接着训练（同一条命令加上 --resume）：(.+)", text)
    if code != 130 or not stopped or not again:
        raise RuntimeError(f"按了 Ctrl-C 的那次没有按预期停下（退出码 {code}）：\n{text[-2000:]}")
    python, script, *extra = shlex.split(again.group(1))
    assert python == "python" and script == "babygpt_v12_wandb.py", again.group(1)
    resumed = run_curve(script, extra, threads)
    return {"stopped_at": int(stopped.group(1)), "exit_code": code, "resume_command": again.group(1),
            "interrupted_seconds": interrupted_seconds, **resumed}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth", help="一口气训练完的检查点存到哪里（默认：model.pth）")
    parser.add_argument("--interrupt_at", type=int, help="再走一遍 v12 的“试一试”：在这一步的进度行之后按 Ctrl-C，再续训")
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程")
    parser.add_argument("--json", help="结果存到这里（已有的记录保留，这一遍加进去）")
    args = parser.parse_args(argv)
    r = measure_r(args.threads)
    result = run_curve("babygpt_v12_wandb.py", [*CPU_RECIPE.split(), "--ckpt_path", args.ckpt_path], args.threads)
    _, train_loss, val_loss, _ = result["curve"][-1]
    print(f"v12 CPU 配方：验证集 {val_loss:.4f}，训练集 {train_loss:.4f}，{result['seconds']:.0f}s = "
          f"{result['seconds'] / r:.1f} R", flush=True)
    row = {"r": r, "command": CPU_RECIPE, "threads": args.threads, "machine": machine(), **result}
    saved = json.loads(Path(args.json).read_text(encoding="utf-8")) if args.json and Path(args.json).exists() else {}
    saved = {**saved, "command": CPU_RECIPE, "runs": [*saved.get("runs", []), row]}
    if args.interrupt_at:  # v12 的“试一试”的两条命令，一字不差
        walked = run_interrupted([*CPU_RECIPE.split(), "--ckpt_path", "try.pth"], args.interrupt_at, args.threads)
        same = walked["curve"][-1][:3] == result["curve"][-1][:3]
        print(f"第 {walked['stopped_at']} 步按 Ctrl-C（退出码 {walked['exit_code']}），再运行 {walked['resume_command']}："
              f"最后一行{'和一口气训练的逐位相同' if same else '不同！'}", flush=True)
        saved["walked"] = {**row, "interrupted": {k: v for k, v in walked.items() if k not in ("focus", "samples")}}
    if args.json:
        save_run(args.json, saved)


if __name__ == "__main__":
    main()
