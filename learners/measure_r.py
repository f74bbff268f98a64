"""量这台机器的 R：课程里的用时都写成 R 的倍数，R 是本仓库的 v1 跑原课程 buildyourownllm 的 babygpt_v1.py
的工作量（5000 步、每批 32 段 × 8 个字、32 维）所花的时间。知道了自己的 R，就能把“几 R”换算成自己机器上的分钟。

    python learners/measure_r.py     # 一分钟上下
"""

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
R_COMMAND = ("babygpt_v1.py --device cpu --max_iters 5000 --block_size 8 --batch_size 32 --n_embed 32 "
             "--eval_iters 100 --eval_interval 200 --max_new_tokens 1")


def measure_r(threads=None):
    """在子进程里跑一遍 R_COMMAND（和在终端里运行一样），返回秒数。threads 给定时用这么多个 CPU 线程。"""
    env = {**os.environ, **({"OMP_NUM_THREADS": str(threads)} if threads else {})}
    start = time.perf_counter()
    subprocess.run([sys.executable, *R_COMMAND.split()], cwd=ROOT, env=env, check=True, capture_output=True)
    seconds = time.perf_counter() - start
    print(f"R = {seconds:.1f}s（python {R_COMMAND}）", flush=True)
    return seconds


if __name__ == "__main__":
    measure_r()
