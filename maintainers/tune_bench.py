"""--tune 写出来的词：格式、平仄、押韵都该是 1.00；代价是什么（不同的字占多少、模型给写下的字的平均对数概率）。
8 个要量的词牌（learners/form_check.py 的 checked_tunes）各写 25 首，三种写法比一比：
- 格律：--tune（字数、平仄、押韵都管）；
- 只管字数：--tune --no_tone（以前的约束）；
- 不约束：提示一样（“\\n\\n浣溪沙 ”），模型自己写。
结果存进 docs/runs/tune_check.json（docs/form.md 的表由 maintainers/pages.py 写出）。

    python maintainers/tune_bench.py --ckpt_path model.pth     # README 快速开始训练出的模型；2 核 CPU 上约 3 分钟
"""

import argparse
import statistics
import time
from types import SimpleNamespace

import torch
from torch.nn import functional as F

from runs import machine, save_run, ROOT

import babygpt_sample_with_kvcache as sampler  # noqa: E402
import form_check  # noqa: E402
import form_poems  # noqa: E402
import meter  # noqa: E402

WAYS = {"meter": "格律（字数、平仄、押韵）", "lengths": "只管字数（--no_tone）", "free": "不约束"}


@torch.inference_mode()
def write(model, chars, tune, forms, meter_data, way, generator, temperature):
    """写一首：返回 (正文, 每个字的对数概率的平均, 放宽了几次)。对数概率按模型本来的分布（温度 1，不加约束）。"""
    prompt = torch.tensor([[chars.index(c) for c in f"\n\n{tune} "]])
    form = None if way == "free" else sampler.FormConstraint(forms, chars, meter_data if way == "meter" else None)
    newline, out, logps = chars.index("\n"), [], []
    for idx_next, logits in sampler.generate_with_cache(model, prompt, form_poems.MAX_CHARS, temperature, 0, generator, form):
        token = idx_next.item()
        out.append(token)
        logps.append(F.log_softmax(logits[0].float(), dim=-1)[token].item())
        if out[-2:] == [newline, newline]:
            break
    text = "".join(chars[i] for i in out)
    return text.partition("\n")[2].split("\n\n")[0], statistics.mean(logps), form.fallbacks if form else 0


def bench(model, chars, n, seed, temperature):
    tunes = form_check.checked_tunes(form_check.load_tunes())
    rows = {}
    for way in WAYS:
        generator = torch.Generator().manual_seed(seed)
        start, per_tune = time.perf_counter(), {}
        for tune, forms in tunes:
            meter_data = sampler.tune_meter(tune, SimpleNamespace(tunes=sampler.DEFAULT_TUNES))
            meters, tones = meter_data
            poems = [write(model, chars, tune, forms, meter_data, way, generator, temperature) for _ in range(n)]
            scored = [meter.scores(body, forms, meters, tones) for body, _, _ in poems]
            per_tune[tune] = {
                "whole": statistics.mean(sampler.check_form(sampler.phrase_lengths(body), forms)[2] is None for body, _, _ in poems),
                "tone": meter.mean(t for t, _ in scored), "rhyme": meter.mean(r for _, r in scored),
                "distinct": statistics.mean(form_check.distinct_share(body) for body, _, _ in poems),
                "logp": statistics.mean(lp for _, lp, _ in poems), "fallbacks": sum(f for _, _, f in poems),
                "example": poems[0][0]}
        rows[way] = {"label": WAYS[way], "seconds": time.perf_counter() - start, "tunes": per_tune,
                     **{key: meter.mean(t[key] for t in per_tune.values()) for key in ("whole", "tone", "rhyme", "distinct", "logp")},
                     "fallbacks": sum(t["fallbacks"] for t in per_tune.values())}
        print(way, {k: v for k, v in rows[way].items() if k != "tunes"}, flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth")
    parser.add_argument("--n", type=int, default=25, help="每个词牌写几首（默认：25）")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--temperature", type=float, default=0.8)
    parser.add_argument("--out", default=str(ROOT / "docs" / "runs" / "tune_check.json"))
    args = parser.parse_args(argv)
    model, chars, checkpoint = sampler.load_checkpoint(args.ckpt_path, "cpu")
    rows = bench(model, chars, args.n, args.seed, args.temperature)
    save_run(args.out, {"machine": machine(), "ckpt_step": checkpoint.get("step"), "val_loss": checkpoint.get("val_loss"),
                        "n": args.n, "temperature": args.temperature, "ways": rows})


if __name__ == "__main__":
    main()
