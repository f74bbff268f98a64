"""调训练配方用的扫描脚本：几课 × 几套参数，每个组合在单独的子进程里跑，结果一行一个追加进 JSONL 文件。

课程的默认值（学习率配方、批次形状、步数）就是用它选出来的：
    python maintainers/sweep_recipe.py --lessons 1 4 7 --recipe a="--learning_rate 1e-2" --recipe b="--learning_rate 5e-3"
    python maintainers/sweep_recipe.py --lessons 1 4 --recipe base="" --seeds 1 2 --jobs 2 --threads 1
同一个 (课, 参数) 已经在结果文件里的就跳过，所以中断后重跑同一条命令会接着跑。
--jobs 个子进程同时跑，每个用 --threads 个线程：只比损失时可以并行；比时间时要 --jobs 1。
"""

import argparse
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from runs import run_curve
from course import LESSONS


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)))
    parser.add_argument("--recipe", action="append", default=[], help="名字=追加给课程的参数，可以给多个")
    parser.add_argument("--seeds", type=int, nargs="+", default=[None], help="另外换这些种子各跑一遍")
    parser.add_argument("--jobs", type=int, default=1, help="同时跑几个子进程")
    parser.add_argument("--threads", type=int, default=None, help="每个子进程用几个 CPU 线程")
    parser.add_argument("--out", default="sweep_results.jsonl", help="结果追加到这个 JSONL 文件")
    args = parser.parse_args(argv)

    recipes = dict(r.split("=", 1) for r in args.recipe) or {"default": ""}
    out = Path(args.out)
    done = set()
    if out.exists():
        for line in out.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            done.add((row["lesson"], row["args"]))
    jobs = []
    for name, extra in recipes.items():
        for seed in args.seeds:
            full = extra + (f" --seed {seed}" if seed is not None else "")
            for n in args.lessons:
                if (n, full.strip()) not in done:
                    jobs.append((name, n, full.strip()))

    def work(job):
        name, n, extra = job
        file = LESSONS[n - 1][1]
        result = run_curve(file, extra.split(), args.threads)
        return {"recipe": name, "lesson": n, "args": extra, **result}

    print(f"{len(jobs)} 个组合，{args.jobs} 个并行", flush=True)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool, out.open("a", encoding="utf-8") as f:
        futures = [pool.submit(work, job) for job in jobs]
        for future in as_completed(futures):
            try:
                row = future.result()
            except RuntimeError as e:
                print(e, file=sys.stderr, flush=True)
                continue
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
            f.flush()
            _, train_loss, val_loss, _ = row["curve"][-1]
            print(f"[{time.perf_counter() - t0:5.0f}s] {row['recipe']:>12} v{row['lesson']:<2} "
                  f"val {val_loss:.4f} train {train_loss:.4f} {row['seconds']:.0f}s  {row['args']}", flush=True)


if __name__ == "__main__":
    main()
