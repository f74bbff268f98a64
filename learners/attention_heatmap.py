"""画出每个注意力头在看哪里：每一层、每一个头一张热图，写进一个 PNG。

    python learners/attention_heatmap.py                                   # 读 model.pth（v12 训练出的模型）
    python learners/attention_heatmap.py --ckpt_path model.pth --text 明月几时有，把酒问青天。
    python learners/attention_heatmap.py --lesson 4                        # 按 v4 的默认设置训练一遍，再画
    python learners/attention_heatmap.py --lesson 7 -- --max_iters 500     # "--" 之后的参数原样交给那一课
热图的第 t 行是第 t 个字在预测下一个字时，分给它自己和前面每个字的注意力（每行加起来是 1）；
右上角是“未来”，因果遮罩挡住了，留白。坐标轴上的汉字用仓库自带的字体 data/fonts/wqy-microhei-ci.ttf，
新装的机器上也不会变成方框。终端里每个头打印三个数：平均放在当前字、前一个字、最近的一个标点上的注意力。

试一试：换一句词，同样的头还看同样的地方吗？（读 README 快速开始训练出的 model.pth）
    python learners/attention_heatmap.py  # 最看前一个字的是第 4 层头 4（0.66），最看最近的标点的是第 2 层头 4（0.66）；不到 1 分钟
    python learners/attention_heatmap.py --text 明月几时有，把酒问青天。  # 最看前一个字的是第 4 层头 4（0.65），最看最近的标点的是第 2 层头 4（0.83）；不到 1 分钟
"""

import argparse
import inspect
import sys
from pathlib import Path

import torch

from attention_focus import attention_weights  # 同一个目录里的脚本
from course import load_lesson, prepare, read_checkpoint
from font import use_cjk_font

DEFAULT_TEXT = "大江东去，浪淘尽，千古风流人物。"
PUNCTUATION = "，。、；：？！"


def model_from_checkpoint(path):
    """读 babygpt_v12_wandb.py 的检查点：返回 (模型, 词表, 说明)。"""
    import babygpt_v12_wandb as v12  # common 把仓库顶层加进了导入路径

    checkpoint, config = read_checkpoint(path)
    try:
        model = v12.BabyGPT(config, len(checkpoint["chars"]))
        model.load_state_dict(checkpoint["model"])
    except Exception as e:  # 参数的名字、形状对不上
        sys.exit(f"错误：{path} 不是能读的 v12 检查点（{e.__class__.__name__}）")
    return model.eval(), checkpoint["chars"], f"{Path(path).name}（v12，训练了 {checkpoint.get('step')} 步）"


def model_from_lesson(number, lesson_args):
    """按那一课的设置训练一遍（会打印训练进度），返回 (模型, 词表, 说明)。"""
    lesson = load_lesson(number)
    config, tokenizer, splits, _ = prepare(lesson, lesson_args)
    torch.manual_seed(config.seed)
    model = lesson.BabyGPT(config, len(tokenizer.chars))
    wandb_run = (None,) if "run" in inspect.signature(lesson.train).parameters else ()  # v12 的 train 还要一个 wandb run
    lesson.train(model, splits, config, "cpu", *wandb_run)
    return model.eval(), tokenizer.chars, f"v{number}（训练了 {config.max_iters} 步）"


def draw(model, chars, text, title, out):
    """把 text 送进模型，画出每一层每个头的注意力，存成 PNG。返回每个头的权重 [(T, T), ...]。"""
    missing = "".join(sorted(set(text) - set(chars)))
    if missing:
        sys.exit(f"错误：这些字不在模型的词表里：{missing}")
    block_size = model.position_embedding_table.weight.shape[0]
    if len(text) > block_size:
        sys.exit(f"错误：这句有 {len(text)} 个字，模型最多看 {block_size} 个字（block_size）")
    known = use_cjk_font()  # 它也选好了不开窗口的 Agg
    import matplotlib.pyplot as plt
    if set(text) - known:
        print(f"注意：字体里没有这些字，图上会是方框：{''.join(sorted(set(text) - known))}")
    x = torch.tensor([[chars.index(c) for c in text]])  # (1, T)
    weights = [wei[0] for _, _, wei in attention_weights(model, x)]  # 每个头一个 (T, T)
    n_layer = len(getattr(model, "blocks", [None]))  # v3-v5 没有 blocks，只有一层
    n_head = len(weights) // n_layer
    T = len(text)
    size = 0.6 + 0.15 * T  # 每张小图的边长（英寸），字多就大一点
    fig, axes = plt.subplots(n_layer, n_head, figsize=(size * n_head + 1.2, size * n_layer + 0.6), squeeze=False,
                             layout="constrained")
    for i, wei in enumerate(weights):
        ax = axes[i // n_head][i % n_head]
        shown = wei.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("nan"))  # 未来留白
        image = ax.imshow(shown.numpy(), cmap="viridis", vmin=0, vmax=1)
        ax.set_xticks(range(T), list(text), fontsize=7)
        ax.set_yticks(range(T), list(text), fontsize=7)
        ax.tick_params(length=0, pad=1)
        ax.set_title(f"第 {i // n_head + 1} 层 · 头 {i % n_head + 1}", fontsize=9)
    fig.suptitle(f"{title}：每个头的注意力（行：正在写下一个字的位置；列：它看的字）", fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.6, label="注意力权重")
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return weights


def on_latest_punctuation(wei, text):
    """一个头 (T, T) 放在“最近的一个标点”上的平均权重：只算前面已经有标点的那些行。
    标点是上一句的结尾，它后面就是这一句的开头。没有标点时返回 None。"""
    marks = [i for i, c in enumerate(text) if c in PUNCTUATION]
    rows = [(t, max(m for m in marks if m <= t)) for t in range(len(text)) if any(m <= t for m in marks)]
    if not rows:
        return None
    return sum(wei[t, m].item() for t, m in rows) / len(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth", help="v12 的检查点（默认：model.pth）")
    parser.add_argument("--lesson", type=int, help="不读检查点，改为按这一课（3-12）的默认设置训练一遍再画")
    parser.add_argument("--text", default=DEFAULT_TEXT, help=f"送进模型的一句（默认：{DEFAULT_TEXT}）")
    parser.add_argument("--out", default="attention.png", help="写到哪个 PNG（默认：attention.png）")
    parser.add_argument("lesson_args", nargs="*", help="交给那一课的参数（写在 -- 之后）")
    args = parser.parse_args(argv)
    if args.lesson is not None and not 3 <= args.lesson <= 12:
        sys.exit("错误：--lesson 必须在 3 到 12 之间（v3 才有注意力）")
    if not args.text:
        sys.exit("错误：--text 不能是空的")
    if args.lesson is None:
        model, chars, title = model_from_checkpoint(args.ckpt_path)
    else:
        model, chars, title = model_from_lesson(args.lesson, args.lesson_args)
    weights = draw(model, chars, args.text, title, args.out)
    print(f"已写入 {args.out}：{len(weights)} 个头")
    n_head = len(weights) // len(getattr(model, "blocks", [None]))
    for i, wei in enumerate(weights):  # 每个头平均分给当前字、前一个字、最近的标点多少注意力
        line = f"  第 {i // n_head + 1} 层 · 头 {i % n_head + 1}：当前字 {wei.diagonal().mean():.2f}，前一个字 {wei.diagonal(-1).mean():.2f}"
        latest = on_latest_punctuation(wei, args.text)
        print(line + (f"，最近的标点 {latest:.2f}" if latest is not None else ""))


if __name__ == "__main__":
    main()
