"""用格律读梯子：每一课在默认设置下训练完，量它在验证集的词上把句子断在哪里。

一首词的格式首先是“每句几个字”。字符级模型要写出格式，得先学会在该断句的地方打标点。这里在验证集上逐个位置看
模型最可能的下一个字（argmax）：
- 断句处（答案是 ，。、？！；： 之一）：模型最可能的下一个字也是这几个标点之一的比例（越高越好）；
- 句中（答案是一个字）：模型最可能的下一个字却是标点的比例（越低越好）。
答案是换行的位置两边都不算。每一课在一个新的子进程里按 main() 的顺序训练（同样的种子、同样的线程数，和基准一样），
所以打印的验证集损失必须和梯子表里的逐位相同：这同时检查了读语料、分验证集的代码没有改变结果。
    python maintainers/line_ends.py --json docs/runs/line_ends.json   # v1-v10，2 核 CPU 上二十分钟左右
    python maintainers/line_ends.py --lessons 1 4 7                    # 只跑其中几课
docs/form.md 的断句表和 README 梯子表的“断句”一列由存下的记录写出（python maintainers/pages.py --write）。
入门脚本数出来的 bigram 也按同样的规则量一遍，作为参照。
"""

import argparse
import json
import subprocess
import sys

import torch

from runs import load_run, save_run
from course import load_lesson, prepare

import prepare_tunes  # noqa: E402  data/prepare_tunes.py：读语料、分训练集和验证集（只读一次）
PUNCT = "，。、？！；："  # 断句的标点：和 learners/form_check.py 量格式时用的一样


@torch.no_grad()
def line_end_rates(guess, ids, chars, block_size):
    """guess(x (B, T)) -> 每个位置最可能的下一个字 (B, T)。ids 是验证集的编号 (N,)。
    返回 {"recall": 断句处猜中“是标点”的比例, "false_alarm": 句中却猜标点的比例, "positions": (断句处, 句中) 的个数}。"""
    is_punct = torch.tensor([c in PUNCT for c in chars])
    is_char = torch.tensor([c.isalpha() for c in chars])  # 汉字（换行、空格、括号等都不算）
    n = (len(ids) - 1) // block_size * block_size
    x = ids[:n].view(-1, block_size)  # 不重叠的一段段，和评估损失时一样长
    y = ids[1 : n + 1].view(-1, block_size)
    hits = alarms = ends = inner = 0
    for i in range(0, len(x), 256):
        best = guess(x[i : i + 256])  # (B, T)
        target = y[i : i + 256]
        at_end, in_phrase = is_punct[target], is_char[target]
        hits += (is_punct[best] & at_end).sum().item()
        alarms += (is_punct[best] & in_phrase).sum().item()
        ends += at_end.sum().item()
        inner += in_phrase.sum().item()
    return {"recall": hits / ends, "false_alarm": alarms / inner, "positions": (ends, inner)}


def train_lesson(n):
    """和那一课的 main() 一样：读参数和语料、分验证集、设种子、建模型、训练。返回 (config, 分词器, 数据集, 模型, 记录)。"""
    lesson = load_lesson(n)
    config, tokenizer, splits, _ = prepare(lesson, [])
    torch.manual_seed(config.seed)
    model = lesson.BabyGPT(config, len(tokenizer.chars))
    history, _ = lesson.train(model, splits, config, "cpu")
    model.eval()
    return config, tokenizer, splits, model, history


def primer_rates():
    """入门脚本的 bigram（同一个验证集，平滑 alpha 用它的默认值）。"""
    import simplebigrammodel_with_comments as primer

    text, parts = prepare_tunes.corpus_parts()
    chars, stoi = primer.build_vocab(text)
    model = primer.BigramModel(len(chars), primer.Config().alpha).fit(primer.encode(parts["train"], stoi))
    # 平滑不改变哪个字最可能：每个字之后最常跟的那个字（没有后继的字，各个字一样可能，取编号 0）
    best = torch.tensor([max(model.counts[a], key=model.counts[a].get) if model.counts[a] else 0 for a in range(len(chars))])
    val_ids = primer.encode(parts["val"], stoi)
    return {"val_loss": model.nll(val_ids), **line_end_rates(lambda x: best[x], torch.tensor(val_ids), chars, 16)}


def ladder_loss(n):
    """梯子上这一课默认设置的验证集损失（docs/runs/ladder.json 的第一遍）。"""
    return next(row["curve"][-1][2] for row in load_run("ladder.json")[0] if row["lesson"] == n)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)), help="跑哪几课（默认 1-10）")
    parser.add_argument("--json", help="结果存到这里（docs/runs/line_ends.json 是页面用的那一份）")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # 内部用：子进程只训练这一课
    args = parser.parse_args(argv)
    if args.one:  # 子进程：只训练这一课，结果以 JSON 打印在最后一行
        config, tokenizer, splits, model, history = train_lesson(args.one)
        rates = line_end_rates(lambda x: model(x)[0].argmax(dim=-1), splits["val"], tokenizer.chars, config.block_size)
        print(json.dumps({"name": f"v{args.one}", "lesson": args.one, "val_loss": history[-1][2], **rates}))
        return

    rows = [{"name": "bigram", **primer_rates()}]
    print(f"入门脚本的 bigram：断句处猜标点 {rows[0]['recall']:.3f}，句中猜标点 {rows[0]['false_alarm']:.3f}", flush=True)
    for n in args.lessons:  # 每一课在新的子进程里训练，和梯子一样：同一个进程里先训练过别的课，结果不逐位相同
        proc = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True, check=True)
        row = json.loads(proc.stdout.splitlines()[-1])
        same = f"{row['val_loss']:.4f}" == f"{ladder_loss(n):.4f}"
        rows.append(row)
        print(f"v{n}：验证集损失 {row['val_loss']:.4f}（{'和梯子相同' if same else '和梯子不同！'}），"
              f"断句处猜标点 {row['recall']:.3f}，句中猜标点 {row['false_alarm']:.3f}", flush=True)
        if args.json:
            save_run(args.json, rows)


if __name__ == "__main__":
    main()
