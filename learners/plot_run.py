"""画出自己那次 v12 训练：训练集和验证集的损失、学习率，都从检查点里读，不需要 wandb 账号，也不需要联网。

    python learners/plot_run.py                                 # 读 model.pth，画进 run.png
    python learners/plot_run.py --ckpt_path model.pth --out my_run.png
v12 的检查点里存着每次评估的 (步数, 训练损失, 验证集损失)；学习率是步数的函数（v12 的 get_lr），
按检查点里的设置算出来。终端里也把每次评估打印成一张表，没有图形界面的机器上也看得到。
"""

import argparse
import sys
from pathlib import Path

from course import read_checkpoint
from font import use_cjk_font

import babygpt_v12_wandb as v12  # common 把仓库顶层加进了导入路径


def load_history(path):
    """读 v12 的检查点：返回 (配置, [(步数, 训练损失, 验证集损失)])。出问题时只说一句就退出。"""
    checkpoint, config = read_checkpoint(path)
    history = [tuple(row) for row in checkpoint.get("history") or []]
    if not history:
        sys.exit(f"错误：{path} 里没有评估记录（训练还没到第一次评估就停了）")
    return config, history


def draw(config, history, title, out):
    """左轴：训练集和验证集的损失；右轴：学习率（每一步的，预热和余弦衰减一眼就看得出）。返回画上去的线：{图例: (横轴, 纵轴)}。"""
    use_cjk_font()  # 仓库自带的中文字体；它也选好了不开窗口的 Agg
    import matplotlib.pyplot as plt

    steps = [s for s, _, _ in history]
    fig, loss_ax = plt.subplots(figsize=(8, 4.5), layout="constrained")
    loss_ax.plot(steps, [t for _, t, _ in history], "-o", ms=3, label="训练集损失")
    loss_ax.plot(steps, [v for _, _, v in history], "-o", ms=3, label="验证集损失")
    loss_ax.set_xlabel("训练步数")
    loss_ax.set_ylabel("损失（交叉熵，nats/字）")
    loss_ax.grid(alpha=0.3)
    lr_ax = loss_ax.twinx()
    every = range(0, max(steps) + 1)
    lr_ax.plot(every, [v12.get_lr(s, config) for s in every], color="gray", lw=1, label="学习率（右轴）")
    lr_ax.set_ylabel("学习率")
    lr_ax.set_ylim(bottom=0)
    lines = loss_ax.get_legend_handles_labels(), lr_ax.get_legend_handles_labels()
    loss_ax.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], loc="upper right")
    loss_ax.set_title(title)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return {line.get_label(): (list(line.get_xdata()), list(line.get_ydata())) for line in loss_ax.lines + lr_ax.lines}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ckpt_path", default="model.pth", help="v12 的检查点（默认：model.pth）")
    parser.add_argument("--out", default="run.png", help="写到哪个 PNG（默认：run.png）")
    args = parser.parse_args(argv)
    config, history = load_history(args.ckpt_path)
    print("| 步数 | 训练集损失 | 验证集损失 | 学习率 |")
    for step, train_loss, val_loss in history:
        print(f"| {step} | {train_loss:.4f} | {val_loss:.4f} | {v12.get_lr(step, config):.2e} |")
    step, _, val_loss = history[-1]
    draw(config, history, f"{Path(args.ckpt_path).name}：训练了 {step} 步，验证集损失 {val_loss:.4f}", args.out)
    print(f"已画出 {args.out}")


if __name__ == "__main__":
    main()
