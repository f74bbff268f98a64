"""训练更久：v5–v10 各训练默认步数的 4 倍（16000 步），其余不变；再加一次 v6 把余弦衰减也拉长到 16000 步
（1e-2 上下的学习率持续得更久）。训练更久会不会发散？docs/ladder.md 的“训练更久”表由它存下的记录写出。

    python maintainers/stability.py --threads 2 --json docs/runs/stability.json   # 2 核 CPU 上约 1 小时 15 分钟
"""

import argparse

from runs import run_curve, save_run
from course import LESSONS

import babygpt_v1  # noqa: E402  默认步数


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(5, 11)))
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程")
    parser.add_argument("--json", help="结果存到这里")
    args = parser.parse_args(argv)
    longer = 4 * babygpt_v1.Config.max_iters
    jobs = [(n, "") for n in args.lessons] + [(6, f"--lr_decay_iters {longer}")] * (6 in args.lessons)
    rows = []
    for n, extra in jobs:
        command = ["--max_iters", str(longer), "--eval_interval", "1000", *extra.split()]
        result = run_curve(LESSONS[n - 1][1], command, args.threads)
        rows.append({"lesson": n, "max_iters": longer, "extra": extra, **result})
        print(f"v{n} --max_iters {longer} {extra}：验证集 {result['curve'][-1][2]:.4f}（{result['seconds']:.0f}s）", flush=True)
        if args.json:
            save_run(args.json, [rows])


if __name__ == "__main__":
    main()
