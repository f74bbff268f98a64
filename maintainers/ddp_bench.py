"""v12 在 torchrun 下：量两件事，存进 docs/runs/ddp.json（docs/v12.md 的“多卡、多机”一节由 maintainers/pages.py 从它写出）。
1. 开始训练之前：读语料、编码，到打印第 0 步要多久、进程的内存峰值（/proc 的 VmHWM）多大；语料 1 倍和 10 倍
   （data/ci.txt 接 10 遍）；改之前的 v12（整部语料编码成 int64 张量，--before 给出那一版所在的 git 提交）和现在的
   （第一次编码成文件，之后映射）。torchrun 的每个进程都走同样的路，所以这就是每个进程的。
2. 同一台 2 核机器上，2 个进程 × 1 个线程（torchrun，gloo）和 1 个进程 × 2 个线程：tokens/s，和同样步数时的损失。

    python maintainers/ddp_bench.py --before af38c99            # 2 核 CPU 上约 10 分钟
"""

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runs import ROOT, STEP_LINE, machine, save_run

import scaffold  # noqa: E402

TINY = ["--max_iters", "1", "--eval_interval", "1", "--eval_iters", "1", "--batch_size", "4", "--block_size", "16",
        "--n_embed", "16", "--n_head", "2", "--n_layer", "1", "--max_new_tokens", "1", "--dropout", "0"]


def start_up(folder, data, ckpt):
    """在 folder 里运行 v12 到打印第 0 步为止：(秒数, 内存峰值 MB)。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1", "OMP_NUM_THREADS": "1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "babygpt_v12_wandb.py", "--data", str(data), "--ckpt_path", str(ckpt), *TINY],
                            cwd=folder, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if line.startswith("step 0/"):
            seconds = time.perf_counter() - t0
            status = Path(f"/proc/{proc.pid}/status").read_text()
            peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024
            break
    else:
        raise RuntimeError(f"v12 没有走到第 0 步：{proc.communicate()}")
    proc.communicate()
    return seconds, peak


def memory(before, repeat):
    """1 倍、10 倍的语料，改之前、现在（第一次写文件、之后映射）：每种几遍，取中位数。"""
    work = Path(tempfile.mkdtemp())
    old = work / "before"
    old.mkdir()
    for name in ("babygpt_v12_wandb.py", "scaffold.py"):
        (old / name).write_bytes(subprocess.run(["git", "show", f"{before}:{name}"], cwd=ROOT, capture_output=True, check=True).stdout)
    text = Path(scaffold.DEFAULT_DATA).read_text(encoding="utf-8")
    rows = []
    for times in (1, 10):
        data = work / f"ci_x{times}.txt"
        data.write_text(text * times, encoding="utf-8")
        for label, folder in (("before", old), ("first", ROOT), ("mapped", ROOT)):
            runs = []
            for _ in range(repeat):
                if label == "first":
                    shutil.rmtree(f"{data}.tokens", ignore_errors=True)
                runs.append(start_up(folder, data, work / "m.pth"))
            rows.append({"corpus_mb": round(data.stat().st_size / 1e6, 1), "times": times, "version": label,
                         "seconds": statistics.median(s for s, _ in runs), "peak_mb": statistics.median(m for _, m in runs)})
            print(rows[-1], flush=True)
    shutil.rmtree(work)
    return rows


def speed(steps):
    """CPU 配方训练 steps 步：2 个进程 × 1 个线程（torchrun）和 1 个进程 × 2 个线程。"""
    recipe = scaffold.CPU_RECIPE.split()
    recipe[recipe.index("--max_iters") + 1] = str(steps)
    recipe[recipe.index("--eval_interval") + 1] = str(steps)
    work = Path(tempfile.mkdtemp())
    rows = []
    for label, threads, launch in (("1 × 2", "2", [sys.executable]),
                                   ("2 × 1", "1", [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"])):
        env = {**os.environ, "WANDB_MODE": "disabled", "OMP_NUM_THREADS": threads}
        t0 = time.perf_counter()
        out = subprocess.run([*launch, "babygpt_v12_wandb.py", *recipe, "--ckpt_path", str(work / "m.pth"), "--max_new_tokens", "1"],
                             cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
        last = STEP_LINE.findall(out)[-1]
        rows.append({"layout": label, "steps": steps, "train_loss": float(last[2]), "val_loss": float(last[3]),
                     "tokens_per_sec": int(last[4].replace(",", "")), "seconds": time.perf_counter() - t0})
        print(rows[-1], flush=True)
    shutil.rmtree(work)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="改之前的 v12 所在的 git 提交")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--out", default=str(ROOT / "docs" / "runs" / "ddp.json"))
    args = parser.parse_args(argv)
    result = {"machine": machine(), "threads_note": "开始训练的量法：每个进程 1 个线程", "start_up": memory(args.before, args.repeat)}
    save_run(args.out, result)
    result["speed"] = [speed(args.steps) for _ in range(args.repeat)]
    save_run(args.out, result)


if __name__ == "__main__":
    main()
