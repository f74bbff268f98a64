"""格律检查：模型自己写的词，有多少合它词牌的格式（每句几个字）。

    python learners/form_check.py                                  # 读 model.pth，每个词牌写 20 首
    python learners/form_check.py --ckpt_path model.pth --json docs/runs/form_check.json
    python learners/form_check.py --train "--max_iters 5000 ..."   # 在进程里训练 v12，每次评估时都量一次格律
    python learners/form_check.py --ckpt_path long.pth --label "同一配方练 29600 步" --json docs/runs/form_check_long.json
docs/form.md 的表和例子、README 的格律小表由存下的记录写出（python maintainers/pages.py --write）。

怎么量（和采样器 babygpt_sample_with_kvcache.py 用同样的断句、同样的格式表 data/tunes.json）：
- 词牌：训练集里至少 300 首、最常见的格式占九成五以上的词牌，从语料里数出来，不是手写的（现在是 8 个）。
- 格式：训练集里至少两首词用过的每一种句式都算（见 data/prepare_tunes.py），合其中任何一种就算合格式。
- 提示：语料里每首词都这样开始：空行、词牌名、一个空格（“\\n\\n浣溪沙 ”）。模型先写作者，再写正文，
  写到空行为止（最多 300 字）。默认温度 0.8（和采样器一样），不加任何约束。
- 两个分数：整首合格式的比例；逐句得分（第 i 句和最接近的格式的第 i 句字数相同的句数，除以两者中较多的句数）。
- 平仄和押韵（learners/meter.py）：格律定了平仄的位置上字合的比例；韵脚和主韵同部的比例。读音按《廣韻》，韵部按《詞林正韻》。
- 参照：天花板是验证集里这些词牌的词本身（没见过的真词），地板是入门脚本数出来的 bigram，用同样的提示写。
- 另外量一个数：正文里不同的字占多少（真词里多数字只出现一次；翻来覆去写同几个字的词，这个数就低）。

试一试：温度（--temperature）低，模型只挑最有把握的字；温度高，更敢挑不常见的字。格律、押韵和重复会怎样？
（前三条读 README 快速开始训练出的 model.pth；采样器的默认温度是 0.8）练得越久，押韵越多吗？最后一条用 README 的 CPU 配方
在进程里从头训练（和快速开始那条命令逐位相同），每次评估都量，最后一行比第一次评估和练完时：
    python learners/form_check.py --temperature 0.3  # 温度 0.3：整首 0.01，逐句 0.29，平仄 0.75，押韵 0.53，不同的字占 0.66；不到 1 分钟
    python learners/form_check.py  # 温度 0.8：整首 0.00，逐句 0.28，平仄 0.70，押韵 0.53，不同的字占 0.91；不到 1 分钟
    python learners/form_check.py --temperature 1.2  # 温度 1.2：整首 0.00，逐句 0.22，平仄 0.66，押韵 0.48，不同的字占 0.94；不到 1 分钟
    python learners/form_check.py --train "--max_iters 7300 --eval_interval 730 --eval_iters 20 --batch_size 16 --block_size 64 --learning_rate 3e-3 --warmup_iters 200 --lr_decay_iters 7300 --n_embed 96 --n_head 4 --n_layer 4 --dropout 0"  # 第 730 步（验证集 4.92）整首 0.00，逐句 0.11，平仄 0.58，押韵 0.62；第 7300 步（验证集 4.10）整首 0.00，逐句 0.28，平仄 0.70，押韵 0.53；约 19 分钟
"""

import argparse
import functools
import json
import statistics
import time
from pathlib import Path

from types import SimpleNamespace

import torch

import meter
from form_poems import as_sampler_model, bigram_poems, held_out_poems, model_poems
from course import prepare
from measure_r import measure_r

import babygpt_sample_with_kvcache as sampler  # noqa: E402

MIN_POEMS, MIN_SHARE = 300, 0.95  # 量哪些词牌：训练集里至少这么多首，最常见的格式至少占这么多


def load_tunes(path=sampler.DEFAULT_TUNES):
    return json.loads(Path(path).read_text(encoding="utf-8"))["tunes"]


def checked_tunes(tunes):
    """要量的词牌：[(词牌, [格式...])]，按训练集里的首数从多到少。"""
    chosen = [(name, t) for name, t in tunes.items() if t["poems"] >= MIN_POEMS and t["forms"][0][1] >= MIN_SHARE * t["poems"]]
    return [(name, [tuple(form) for form, _ in t["forms"]]) for name, t in sorted(chosen, key=lambda x: -x[1]["poems"])]


def distinct_share(body):
    """正文里不同的字占所有字的比例（标点、换行不算）：一再重复同几个字的词，这个数就低。"""
    chars = [c for c in body if c.isalpha()]
    return len(set(chars)) / len(chars) if chars else 0.0


@functools.cache
def tune_meter(tune, path):
    """采样器读格律的那一段（每种格式的平仄和韵脚、每个字的读音），每个词牌只读一次：--train 每次评估都要量。"""
    return sampler.tune_meter(tune, SimpleNamespace(tunes=path)) or ({}, {})


def score_poems(poems_by_tune, tunes, path=sampler.DEFAULT_TUNES):
    """{词牌: [写出来的文字（提示之后的部分）]} -> {"tunes": {词牌: (整首, 逐句, 首数, 平仄, 押韵)}, "whole": ..., "phrase": ...,
    "distinct": ..., "tone": ..., "rhyme": ..., "unknown": 正文里查不到读音的字占多少}。文字的第一行是作者，之后是正文，
    到空行为止。平仄、押韵见 learners/meter.py；没有格律数据（不是宋词的语料）时是 None。"""
    forms = dict(tunes)
    table, distinct, unknown = {}, [], []
    for tune, poems in poems_by_tune.items():
        meters, tones = tune_meter(tune, path)
        scores = []
        for text in poems:
            _, _, rest = text.partition("\n")
            body = rest.split("\n\n")[0]
            _, score, broken = sampler.check_form(sampler.phrase_lengths(body), forms[tune])
            scores.append((broken is None, score, *meter.scores(body, forms[tune], meters, tones)))
            distinct.append(distinct_share(body))
            unknown += [c not in tones for c in body if c.isalpha()] if tones else []
        table[tune] = (statistics.mean(k for k, *_ in scores), statistics.mean(s[1] for s in scores), len(scores),
                       meter.mean(s[2] for s in scores), meter.mean(s[3] for s in scores))
    return {"tunes": table,
            "whole": statistics.mean(w for w, *_ in table.values()),
            "phrase": statistics.mean(t[1] for t in table.values()),
            "distinct": statistics.mean(distinct),
            "tone": meter.mean(t[3] for t in table.values()), "rhyme": meter.mean(t[4] for t in table.values()),
            "unknown": statistics.mean(unknown) if unknown else None}


def check_checkpoint(args, tunes):
    model, chars, checkpoint = sampler.load_checkpoint(args.ckpt_path, "cpu")
    poems = model_poems(model, chars, tunes, args.n, args.seed, args.temperature)
    return {"kind": "checkpoint", "ckpt_path": args.ckpt_path, "temperature": args.temperature, "val_loss": checkpoint.get("val_loss"),
            "step": checkpoint.get("step"), "model": score_poems(poems, tunes), "poems": poems,
            "ceiling": score_poems(held_out_poems(tunes), tunes),
            "floor": score_poems(bigram_poems(tunes, args.n, args.seed), tunes)}


def train_with_form_checks(args, tunes):
    """像 python babygpt_v12_wandb.py <参数> 一样训练（同样的顺序、同样的随机数），每次评估时再量一次格律。
    量格律的时间单独记下，训练用时里减掉它，和直接运行那条命令可以比。"""
    import babygpt_v12_wandb as v12

    r = measure_r() if args.measure_r else None
    config, tokenizer, splits, _ = prepare(v12, args.train.split())
    torch.manual_seed(config.seed)
    model = v12.BabyGPT(config, len(tokenizer.chars))
    v12.warn_if_slow_on_cpu(model, splits, config, "cpu", v12.get_batch)  # main() 里也有这一步（它不动随机数，有没有都一样）
    curve, form_seconds = [], 0.0
    real_estimate_loss = v12.estimate_loss

    def estimate_loss_and_form(model, splits, config, device, *share):  # share：torchrun 时这个进程算哪几批（这里一个进程）
        nonlocal form_seconds
        losses = real_estimate_loss(model, splits, config, device, *share)
        t0 = time.perf_counter()
        poems = model_poems(as_sampler_model(model, config, len(tokenizer.chars)), tokenizer.chars, tunes, args.n, args.seed)
        form = score_poems(poems, tunes)
        form_seconds += time.perf_counter() - t0
        curve.append({"val_loss": losses["val"], "train_loss": losses["train"], "whole": form["whole"], "phrase": form["phrase"],
                      "tone": form["tone"], "rhyme": form["rhyme"]})
        print(f"  格律：{scores_text(form)}", flush=True)
        return losses

    v12.estimate_loss = estimate_loss_and_form
    start = time.perf_counter()
    try:
        history, step, optimizer = v12.train(model, splits, config, "cpu", None)
    finally:
        v12.estimate_loss = real_estimate_loss
    seconds = time.perf_counter() - start - form_seconds
    if getattr(args, "save", None):  # 和那条命令存下的检查点一样，采样器、注意力图都能读
        v12.save_checkpoint(args.save, model, config, tokenizer, history, step, optimizer)
    for point, (step, _, _) in zip(curve, history):
        point["step"] = step
    return {"kind": "train", "args": args.train, "seconds": seconds, "r": r, "curve": curve,
            "poems": model_poems(as_sampler_model(model, config, len(tokenizer.chars)), tokenizer.chars, tunes, args.n, args.seed)}


def scores_text(m):
    """整首、逐句，有格律数据时再加平仄、押韵。"""
    meter_text = f"，平仄 {m['tone']:.2f}，押韵 {m['rhyme']:.2f}" if m.get("tone") is not None else ""
    return f"整首 {m['whole']:.2f}，逐句 {m['phrase']:.2f}{meter_text}"


def one_line(result):
    """一次格律检查，说成一行（“试一试”后面的注释就是它）。"""
    m = result["model"]
    return f"温度 {result['temperature']:g}：{scores_text(m)}，不同的字占 {m['distinct']:.2f}"


def trend_line(result):
    """--train 的最后一行：第一次评估（第 0 步以后）和最后一次，格律各是多少（“试一试”后面的注释就是它）。"""
    first, last = result["curve"][min(1, len(result["curve"]) - 1)], result["curve"][-1]
    return (f"第 {first['step']} 步（验证集 {first['val_loss']:.2f}）{scores_text(first)}；"
            f"第 {last['step']} 步（验证集 {last['val_loss']:.2f}）{scores_text(last)}")


def per_tune(result):
    """每个词牌：模型、天花板、地板各自的整首 / 逐句。"""
    lines = ["词牌          模型 整首 / 逐句   天花板 整首 / 逐句   地板 整首 / 逐句"]
    for tune, m in result["model"]["tunes"].items():
        c, f = result["ceiling"]["tunes"][tune], result["floor"]["tunes"][tune]
        lines.append(f"{tune:　<6}{m[0]:.2f} / {m[1]:.2f}       {c[0]:.2f} / {c[1]:.2f}         {f[0]:.2f} / {f[1]:.2f}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth", help="要检查的 v12 检查点（默认：model.pth）")
    parser.add_argument("--n", type=int, default=20, help="每个词牌写几首（默认：20）")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--temperature", type=float, default=0.8, help="写词的温度（默认：0.8，和采样器一样）")
    parser.add_argument("--train", help="不读检查点：用这些 v12 的参数在进程里训练，每次评估时量格律")
    parser.add_argument("--measure_r", action="store_true", help="和 --train 一起：先量一次 R，用时才能换算成 R")
    parser.add_argument("--label", help="这个模型叫什么（图例、表里用）；默认是 README 的 CPU 配方")
    parser.add_argument("--save", help="和 --train 一起：训练完把检查点存到这里")
    parser.add_argument("--json", help="把结果存到这里（docs/runs/form_check.json 是页面用的那一份）")
    args = parser.parse_args(argv)
    tunes = checked_tunes(load_tunes())
    if args.train:
        result = {**train_with_form_checks(args, tunes), "label": args.label}
        r = f"，{result['seconds'] / result['r']:.1f} R" if result["r"] else ""
        print(f"训练 {result['seconds']:.0f} 秒{r}（不算量格律的时间）")
        print(trend_line(result))
    else:
        result = {**check_checkpoint(args, tunes), "label": args.label}
        print(per_tune(result))
        print(one_line(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
