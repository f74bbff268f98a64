"""v9 的损失为什么比 v8 高：把 v9 的三个 LayerNorm 分开拿掉，各训练一遍，看是哪一个在拖后腿。

三种模型用同一个种子、同样的初始权重和同样的批次，只差在哪些 LayerNorm 换成了“什么也不做”（nn.Identity）：
    全部      ln1、ln2、ln_f 都在（就是 v9）
    去掉 ln_f  只在子层之前归一化，lm_head 直接读残差通路
    只留 ln_f  子层之前不归一化，只在 lm_head 之前归一化
训练前后各在验证集上固定的一批文字上量一次残差通路（进 ln_f 之前的向量）：它有多长，
其中多少是所有位置共有的（和是哪个字无关的）部分。
    python learners/layernorm_ablation.py                   # v9 的默认设置，三次训练，2 核 CPU 约 6 分钟
    python learners/layernorm_ablation.py -- --seed 1       # "--" 之后的参数原样交给 v9
"""

import argparse

import torch
import torch.nn as nn

from attention_focus import inputs_of  # 同一个目录里的脚本
from course import load_lesson, prepare

VARIANTS = {
    "全部": (),
    "去掉 ln_f": ("ln_f",),
    "只留 ln_f": ("ln1", "ln2"),
}


def remove_layer_norms(model, names):
    """把模型里名叫 names 的 LayerNorm（每个 Block 的 ln1/ln2，或最后的 ln_f）换成 nn.Identity。"""
    for module in list(model.modules()):
        for name in names:
            if isinstance(getattr(module, name, None), nn.LayerNorm):
                setattr(module, name, nn.Identity())


def residual_stream_stats(model, x):
    """对输入 x (B, T)：残差通路走完所有 Block、进 ln_f 之前的向量 r (B, T, C)。

    返回 (r 的平均长度, 所有位置共有的那部分占的能量比例)。共有的部分是 r 在所有位置上的平均；
    它在每个位置都一样，不带任何“这是哪个字”的信息。比例是 1 表示每个位置的向量都一样。
    ln_f 被换成 nn.Identity 时，量的就是直接进 lm_head 的向量。
    """
    r = inputs_of(model, [model.ln_f], x)[model.ln_f]  # (B, T, C)
    common = r.mean(dim=(0, 1))  # (C,)
    return r.norm(dim=-1).mean().item(), (common.square().sum() / r.square().sum(-1).mean()).item()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lesson_args", nargs="*", help="交给 v9 的参数（写在 -- 之后）")
    args = parser.parse_args(argv)
    lesson = load_lesson(9)

    config, tokenizer, splits, x = prepare(lesson, args.lesson_args)

    rows = []
    for title, names in VARIANTS.items():
        print(f"\n=== {title} ===")
        torch.manual_seed(config.seed)  # 每种模型同样的初始权重、同样的训练批次
        model = lesson.BabyGPT(config, len(tokenizer.chars))
        remove_layer_norms(model, names)
        before = residual_stream_stats(model, x)
        history, _ = lesson.train(model, splits, config, "cpu")
        rows.append((title, history[-1][2], *before, *residual_stream_stats(model, x)))

    print(f"\nv9（种子 {config.seed}）训练 {config.max_iters} 步；残差通路指进 ln_f 之前的向量：")
    print("| 模型 | 验证集损失 | 残差通路的长度：训练前 → 后 | 所有位置共有的部分：训练前 → 后 |")
    print("|---|---:|---:|---:|")
    for title, val, norm0, common0, norm, common in rows:
        print(f"| {title} | {val:.4f} | {norm0:.2f} → {norm:.1f} | {common0:.0%} → {common:.0%} |")


if __name__ == "__main__":
    main()
