"""maintainers/ 的量具共用的：像学习者一样在子进程里运行一个脚本、读出它打印的数，这台机器是什么，
docs/runs/ 里的运行记录怎么读、怎么存。量具只写运行记录；页面由 maintainers/pages.py 从运行记录写出。

从这里导入的脚本也就能 import learners/ 里的脚本和仓库顶层的课程脚本。
"""

import json
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "learners"))

import torch  # noqa: E402

from course import ROOT  # noqa: E402

RUNS = ROOT / "docs" / "runs"
STEP_LINE = re.compile(r"step (\d+)/(\d+): train loss ([\d.]+|nan|inf), val loss ([\d.]+|nan|inf), ([\d,]+) tokens/s")
FOCUS_LINE = re.compile(r"头 \d+：当前字 ([\d.]+)，前一个字 ([\d.]+)")  # learners/attention_focus.py 打印的
PRIMER_LINE = re.compile(r"(训练集|验证集)平均负对数似然（NLL）：([\d.]+)")
SAMPLE = re.compile(r"^--- (.+?) ---\n(.*?)(?=\n\n--- |\n*\Z)", re.M | re.S)  # 每一课最后写的：--- 春江 ---，下面是它写的字


def run_script(file, extra, threads=None):
    """像学习者在仓库里那样运行一个脚本（wandb 关掉），返回 (stdout, 秒数)；失败时带着它最后的输出报错。
    threads 给定时用这么多个 CPU 线程（OMP_NUM_THREADS）；损失在同样的线程数下逐位相同。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / file), *extra], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0 and "训练发散了" not in proc.stderr:  # 发散了也是一种结果（损失是 nan）：照样读学习曲线
        raise RuntimeError(f"{file} {' '.join(extra)} 运行失败：\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout, time.perf_counter() - t0


def run_curve(file, extra, threads=None):
    """运行一个脚本（课程或入门脚本），返回 {"seconds": 秒数, "curve": [(步数, 训练损失, 验证损失, tokens/s), ...],
    "focus": 每个头放在当前字、前一个字上的注意力, "samples": {开头: 训练完写的字}}。
    入门脚本没有训练步，curve 只有一行 (0, 训练集 NLL, 验证集 NLL, 0)。"""
    out, seconds = run_script(file, extra, threads)
    curve = [(int(s), float(tr), float(va), int(tps.replace(",", ""))) for s, _, tr, va, tps in STEP_LINE.findall(out)]
    nll = dict(PRIMER_LINE.findall(out))
    if not curve and len(nll) == 2:
        curve = [(0, float(nll["训练集"]), float(nll["验证集"]), 0)]
    if not curve:
        raise RuntimeError(f"{file} {' '.join(extra)} 没有打印学习曲线：\n{out[-2000:]}")
    focus = FOCUS_LINE.findall(out)
    focus = [(float(a), float(b)) for a, b in focus[len(focus) // 2 :]]  # 训练之前、之后各打印一遍：要之后的
    return {"seconds": seconds, "curve": curve, "focus": focus, "samples": dict(SAMPLE.findall(out))}


def machine():
    """这台机器：CPU 的型号、核数、torch 的版本和日期。写进结果里，换了机器的数才分得清。"""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d")}


def load_run(name):
    """docs/runs/ 里的一个运行记录。"""
    return json.loads((RUNS / name).read_text(encoding="utf-8"))


def save_run(path, data):
    """存一个运行记录（量具每量完一部分就存一次，出了问题也不丢）。"""
    Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"已存入 {path}", flush=True)


def r_per_step(result):
    """一次训练每一步花了多少 R（训练时间 ÷ 同一次量的 R ÷ 步数）：图和表的横轴把步数换成时间。"""
    return result["seconds"] / result["r"] / result["curve"][-1]["step"]
