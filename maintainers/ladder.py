"""梯子：v1–v10 按默认设置各完整跑一遍，量验证集损失、训练损失、用时（秒，和同一次运行里量的 R），
记下每一课训练完写的字（同一个开头、同一个种子）。README 的梯子表、各课文档字符串里“默认设置下”那一行、
docs/ladder.png 都由它存下的记录写出（python maintainers/pages.py --write；python maintainers/figures.py）。

    python maintainers/ladder.py --repeat 3 --threads 2 --json docs/runs/ladder.json   # 2 核 CPU 上约 40 分钟
    python maintainers/ladder.py --lessons 1 4 10 --extra "--max_iters 500"             # 只跑几课、追加参数（调参用）
每一课都在单独的子进程里运行，和学习者在终端里运行完全一样；一次只跑一个，用时才准。每遍都先量一次 R。
"""

import argparse

from runs import run_curve, save_run
from course import LESSONS
from measure_r import measure_r


def ladder(lessons, extra, threads):
    """R，再加各课的默认设置：[{课, 文件, 概念, R, 秒数, 学习曲线, 写的字}, ...]。"""
    r = measure_r(threads)
    rows = []
    for n, file, idea in LESSONS:
        if n in lessons:
            result = run_curve(file, extra.split(), threads)
            _, train_loss, val_loss, _ = result["curve"][-1]
            print(f"v{n}：验证集 {val_loss:.4f}，训练集 {train_loss:.4f}，{result['seconds']:.0f}s = "
                  f"{result['seconds'] / r:.2f} R", flush=True)
            rows.append({"lesson": n, "file": file, "idea": idea, "r": r, **result})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)), help="跑哪几课（默认 1-10）")
    parser.add_argument("--extra", default="", help="追加给每一课的参数")
    parser.add_argument("--repeat", type=int, default=1, help="整个跑几遍（每遍先量 R）")
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程（默认由 PyTorch 决定）")
    parser.add_argument("--json", help="把每一遍的结果存到这里（docs/runs/ladder.json 是 README 的表用的那一份）")
    args = parser.parse_args(argv)
    runs = []
    for _ in range(args.repeat):
        runs.append(ladder(args.lessons, args.extra, args.threads))
        if args.json:
            save_run(args.json, runs)


if __name__ == "__main__":
    main()
