"""把每一课按默认设置完整跑一遍，量出验证集损失、用时和与上一课的 diff 行数，打印 README 用的表格。

这不是单元测试（pytest 不会收集它），要跑几分钟到十几分钟：
    python tests/benchmark_lessons.py                    # v1-v10（v11、v12 的默认值是 GPU 配方，只列出 diff 行数）
    python tests/benchmark_lessons.py --lessons 1 4 10   # 只跑其中几课
    python tests/benchmark_lessons.py --extra "--max_iters 500"   # 给每一课追加参数（调参用）
每一课都在单独的子进程里运行，和学习者在终端里运行完全一样。
"""

import argparse
import ast
import difflib
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = [
    (1, "babygpt_v1.py", "字向量 + lm_head：神经网络版的 bigram"),
    (2, "babygpt_v2_position.py", "位置向量"),
    (3, "babygpt_v3_self_attention.py", "单头因果自注意力"),
    (4, "babygpt_v4_multihead_attention.py", "多头注意力"),
    (5, "babygpt_v5_feedforward.py", "前馈网络（MLP）"),
    (6, "babygpt_v6_block.py", "Block，叠 n_layer 层"),
    (7, "babygpt_v7_residual_connection.py", "残差连接"),
    (8, "babygpt_v8_projection.py", "多头之后的投影层"),
    (9, "babygpt_v9_layer_norm.py", "LayerNorm（pre-norm）"),
    (10, "babygpt_v10_dropout.py", "Dropout"),
    (11, "babygpt_v11_hyper_params.py", "GPU 规模的超参数"),
    (12, "babygpt_v12_wandb.py", "wandb 记录 + 检查点"),
]
STEP_LINE = re.compile(r"step (\d+)/(\d+): train loss ([\d.]+), val loss ([\d.]+), ([\d,]+) tokens/s")


def code_lines(file):
    """去掉模块开头的文档字符串之后的代码行（文档字符串每课都不同，不算在概念的 diff 里）。"""
    source = (ROOT / file).read_text(encoding="utf-8")
    return source.splitlines()[ast.parse(source).body[0].end_lineno :]


def diff_size(a, b):
    """两课的代码之间改动了多少行（加的行 + 删的行，不含文档字符串）。"""
    diff = difflib.unified_diff(code_lines(a), code_lines(b), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def run_lesson(file, extra, threads=None):
    """运行一课，返回 (秒数, 最后的训练损失, 最后的验证损失, 训练 tokens/s)。"""
    result = run_curve(file, extra, threads)
    step, train_loss, val_loss, tokens_per_sec = result["curve"][-1]
    return result["seconds"], train_loss, val_loss, tokens_per_sec


def run_curve(file, extra, threads=None):
    """运行一课，返回 {"seconds": 秒数, "curve": [(步数, 训练损失, 验证损失, 训练 tokens/s), ...]}。
    threads 给定时用这么多个 CPU 线程（OMP_NUM_THREADS）；损失在同样的线程数下逐位相同。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, str(ROOT / file), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - t0
    steps = STEP_LINE.findall(proc.stdout)
    if proc.returncode != 0 or not steps:
        raise RuntimeError(f"{file} {' '.join(extra)} 运行失败：\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    curve = [(int(s), float(tr), float(va), int(tps.replace(",", ""))) for s, _, tr, va, tps in steps]
    return {"seconds": seconds, "curve": curve}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)), help="跑哪几课（默认 1-10）")
    parser.add_argument("--extra", default="", help="追加给每一课的参数")
    parser.add_argument("--json", help="把结果另存为 JSON")
    args = parser.parse_args(argv)

    rows = []
    print("| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时 | 训练 tokens/s |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for n, file, idea in LESSONS:
        diff = diff_size(LESSONS[n - 2][1], file) if n > 1 else 0
        if n not in args.lessons:
            if n >= 11:  # GPU 规模的默认值，在 CPU 上要跑几个小时：只列出 diff 行数
                print(f"| `{file}` | {idea} | {diff} | （GPU 配方，未在 CPU 上跑） | | | |")
            continue
        seconds, train_loss, val_loss, tps = run_lesson(file, args.extra.split())
        rows.append({"lesson": n, "file": file, "diff": diff, "val": val_loss, "train": train_loss, "seconds": seconds, "tokens_per_sec": tps})
        print(f"| `{file}` | {idea} | {diff if n > 1 else '—'} | {val_loss:.4f} | {train_loss:.4f} | {seconds:.0f}s | {tps:,} |", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
