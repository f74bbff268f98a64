"""看它写要多久：在快速开始训练出的模型（CPU 配方的大小）上写 100 个字，量三件事，存进 docs/runs/watch.json：
- 不看（采样器的 write，KV 缓存开着）解码要多久；
- 一边看一边写（learners/watch.py 挂着钩子，每一步记下打分、注意力、每一层之后的向量）解码要多久：两者之比；
- 从开始写到网页写好（每一层的猜测、熵、字体子集、写文件）一共多久，网页多大。
轮流各跑 --repeats 次，报告中位数。

    python maintainers/watch_bench.py --threads 2 --json docs/runs/watch.json
"""

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import torch

from runs import machine, save_run

import babygpt_sample_with_kvcache as sampler  # noqa: E402
import watch  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth")
    parser.add_argument("--tokens", type=int, default=100, help="写多少个字")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch 的线程数，0 表示用默认值")
    parser.add_argument("--json", help="结果存到这里")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    model, chars, _ = sampler.load_checkpoint(args.ckpt_path, "cpu")
    ids, _ = sampler.prepare_prompt("春江", chars, model.config.block_size)
    config = SimpleNamespace(max_new_tokens=args.tokens, temperature=0.8, top_k=0, write_on=True, seed=1337)
    plain, watched, pages, sizes = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.repeats):
            start = time.perf_counter()
            sampler.write(model, chars, ids, config, torch.Generator().manual_seed(1337), True, stream=False)
            plain.append(time.perf_counter() - start)
            watched.append(watch.watch(model, chars, ids, config, torch.Generator().manual_seed(1337))["decode_seconds"])
            out = Path(tmp) / "w.html"
            start = time.perf_counter()
            watch.main(["--ckpt_path", args.ckpt_path, "--prompt", "春江", "--max_new_tokens", str(args.tokens), "--write_on",
                        "--out", str(out)])
            pages.append(time.perf_counter() - start)
            sizes.append(out.stat().st_size)
    result = {"tokens": args.tokens, "threads": torch.get_num_threads(), "plain_seconds": plain, "watched_seconds": watched,
              "page_seconds": pages, "page_bytes": sizes[0], "machine": machine(),
              "ratio": statistics.median(watched) / statistics.median(plain)}
    print(f"不看 {statistics.median(plain):.2f} 秒，一边看一边写 {statistics.median(watched):.2f} 秒（{result['ratio']:.2f} 倍）；"
          f"整页（含读检查点）{statistics.median(pages):.2f} 秒，{sizes[0] / 1e6:.2f} MB")
    if args.json:
        save_run(args.json, result)


if __name__ == "__main__":
    main()
