"""换种子：v1、v4、v6、v7、v9、v10 按默认设置、换几个种子各跑一遍。梯子的结论（v4 好于 v1、v7 好于 v6）换种子也成立吗，
dropout 的代价（v10 − v9）随种子变多少。docs/ladder.md 的“换种子”表由它存下的记录写出。

    python maintainers/seeds.py --seeds 1337 1 2 --threads 1 --json docs/runs/seeds.json   # 2 核 CPU 上约 1 小时
"""

import argparse

from runs import run_curve, save_run
from course import LESSONS

SEED_LESSONS = (1, 4, 6, 7, 9, 10)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1337, 1, 2])
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程")
    parser.add_argument("--json", help="结果存到这里")
    args = parser.parse_args(argv)
    rows = []
    for seed in args.seeds:
        for n in SEED_LESSONS:
            result = run_curve(LESSONS[n - 1][1], ["--seed", str(seed)], args.threads)
            rows.append({"lesson": n, "seed": seed, **result})
            print(f"--seed {seed} v{n}：验证集 {result['curve'][-1][2]:.4f}", flush=True)
            if args.json:
                save_run(args.json, [rows])


if __name__ == "__main__":
    main()
