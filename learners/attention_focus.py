"""看注意力学会了什么：每个头把多少注意力放在“当前这个字”和“前一个字”上。

v3–v6 没有残差连接，当前字的信息只能经过注意力传到 lm_head，所以它们要先学会“多看自己”。
这个脚本按一课的默认设置训练（和在终端里运行那一课一样，会打印训练进度），在训练前后各量一次：
    python learners/attention_focus.py                 # v4，和运行 v4 一样久（2 核 CPU 约一分半钟）
    python learners/attention_focus.py --lesson 3      # 也可以看 v3、v5……v12（任何有 Head 的一课）
    python learners/attention_focus.py --lesson 4 -- --max_iters 4000   # "--" 之后的参数原样交给那一课
"""

import argparse
import inspect
import sys

import torch
from torch.nn import functional as F

from course import load_lesson, prepare  # 同一个目录里的 course.py：课程的样子


def inputs_of(model, modules, x):
    """在评估模式下（没有 dropout）跑一遍 model(x)，返回 {模块: 它收到的输入}；之后恢复原来的模式。"""
    inputs = {}
    hooks = [m.register_forward_pre_hook(lambda module, args: inputs.__setitem__(module, args[0])) for m in modules]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for hook in hooks:
            hook.remove()
    return inputs


@torch.no_grad()
def attention_weights(model, x):
    """对输入 x (B, T)，返回 [(Head, 它的输入 (B, T, C), 它的注意力权重 (B, T, T))]，按模块的顺序。

    注意力权重是 Head.forward 里的中间结果，拿不到；这里记下每个 Head 的输入，用它自己的
    query、key 和遮罩重新算一遍（评估模式，没有 dropout，和 forward 里算的完全一样）。
    """
    heads = [m for m in model.modules() if type(m).__name__ == "Head"]
    inputs = inputs_of(model, heads, x)
    result = []
    for h in heads:
        hx = inputs[h]  # (B, T, C)
        T = hx.shape[1]
        q, k = h.query(hx), h.key(hx)  # (B, T, hs)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, T)
        wei = F.softmax(wei.masked_fill(h.tril[:T, :T] == 0, float("-inf")), dim=-1)
        result.append((h, hx, wei))
    return result


def attention_on_self_and_previous(model, x):
    """每个头 [(放在当前字上的平均权重, 放在前一个字上的平均权重)]。"""
    return [
        (
            wei.diagonal(dim1=-2, dim2=-1).mean().item(),  # 第 t 行第 t 列
            wei.diagonal(offset=-1, dim1=-2, dim2=-1).mean().item(),  # 第 t 行第 t-1 列
        )
        for _, _, wei in attention_weights(model, x)
    ]


def report(title, focus, config):
    uniform = sum(1 / (t + 1) for t in range(config.block_size)) / config.block_size  # 平均分配时当前字分到的权重
    n_head = getattr(config, "n_head", 1)  # v3 只有一个头
    print(f"{title}（平均分配时当前字分到 {uniform:.2f}）：")
    for i, (on_self, on_previous) in enumerate(focus):
        print(f"  第 {i // n_head + 1} 层 · 头 {i % n_head + 1}：当前字 {on_self:.2f}，前一个字 {on_previous:.2f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=int, default=4, help="第几课（3-12，默认 4）")
    parser.add_argument("lesson_args", nargs="*", help="交给那一课的参数（写在 -- 之后）")
    args = parser.parse_args(argv)
    if not 3 <= args.lesson <= 12:
        sys.exit("错误：--lesson 必须在 3 到 12 之间（v3 才有注意力）")
    lesson = load_lesson(args.lesson)

    config, tokenizer, splits, x = prepare(lesson, args.lesson_args)
    torch.manual_seed(config.seed)
    model = lesson.BabyGPT(config, len(tokenizer.chars))

    report("训练之前", attention_on_self_and_previous(model, x), config)
    wandb_run = (None,) if "run" in inspect.signature(lesson.train).parameters else ()  # v12 的 train 还要一个 wandb run
    lesson.train(model, splits, config, "cpu", *wandb_run)
    report(f"训练 {config.max_iters} 步之后", attention_on_self_and_previous(model, x), config)


if __name__ == "__main__":
    main()
