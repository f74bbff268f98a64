"""量 KV 缓存的加速：同一个模型、同一个开头，有缓存和没缓存轮流各跑几遍，报告中位数。

    python maintainers/kvcache.py                         # v12 默认大小（n_embed 384, 6 头, 6 层, block 256）的随机模型
    python maintainers/kvcache.py --ckpt_path model.pth   # 用训练好的检查点
速度与权重无关，所以没有检查点时用随机初始化的模型；“逐字相同”只比较 block_size 以内的部分（见采样器的说明）。
"""

import argparse
import json
import statistics
import time
from pathlib import Path

import torch

from runs import machine  # runs 也把 learners/ 和仓库顶层加进了导入路径

import babygpt_sample_with_kvcache as sampler


def timed(generate, model, idx, max_new_tokens):
    """贪心生成，返回 (新字列表, 秒数)。"""
    start = time.perf_counter()
    tokens = [t.item() for t, _ in generate(model, idx, max_new_tokens, temperature=0)]
    return tokens, time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", help="v12 的检查点；不给就用 v12 默认大小的随机模型")
    parser.add_argument("--max_new_tokens", type=int, default=500)
    parser.add_argument("--prompt_length", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch 的线程数，0 表示用默认值")
    parser.add_argument("--json", help="把结果另存为 JSON")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)

    if args.ckpt_path:
        model, chars, _ = sampler.load_checkpoint(args.ckpt_path, "cpu")
        vocab_size = len(chars)
    else:
        vocab_size = 6104  # data/ci.txt 的词表大小
        config = sampler.ModelConfig(block_size=256, n_embed=384, n_head=6, n_layer=6)
        torch.manual_seed(0)
        model = sampler.BabyGPT(config, vocab_size).eval()
    config = model.config
    idx = torch.randint(vocab_size, (1, args.prompt_length), generator=torch.Generator().manual_seed(0))
    print(f"模型 n_embed {config.n_embed}, {config.n_head} 头, {config.n_layer} 层, block_size {config.block_size}；"
          f"开头 {args.prompt_length} 个字，生成 {args.max_new_tokens} 个字，torch 线程 {torch.get_num_threads()}")

    fits = config.block_size - args.prompt_length + 1
    speedups, identical = [], True
    for i in range(args.repeats):
        plain, plain_s = timed(sampler.generate_without_cache, model, idx, args.max_new_tokens)
        cached, cached_s = timed(sampler.generate_with_cache, model, idx, args.max_new_tokens)
        identical &= plain[:fits] == cached[:fits]
        speedups.append(plain_s / cached_s)
        print(f"第 {i + 1} 次：不用缓存 {args.max_new_tokens / plain_s:7.1f} tokens/s，"
              f"用缓存 {args.max_new_tokens / cached_s:7.1f} tokens/s，加速 {speedups[-1]:.2f}x")
    print(f"中位数加速 {statistics.median(speedups):.2f}x（{args.repeats} 次）；"
          f"block_size 以内的前 {min(fits, args.max_new_tokens)} 个字逐字相同：{'是' if identical else '否'}")
    if args.json:
        result = {"ckpt_path": args.ckpt_path, "config": vars(config), "threads": torch.get_num_threads(),
                  "max_new_tokens": args.max_new_tokens, "speedups": speedups, "identical": identical, "machine": machine()}
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
