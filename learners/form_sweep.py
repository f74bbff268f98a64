"""CPU 上调配方：同样的时间，一次只改一个旋钮，比验证集损失和格律。v11 的“试一试”就是它。

    python learners/form_sweep.py                          # 量 R，再跑下面 RECIPES 的每一套
    python learners/form_sweep.py --recipes 基准 更深
    python learners/form_sweep.py --recipes 基准 --budget 4    # 同一套配方练 4 倍久：格律能好多少
    python learners/form_sweep.py --json docs/runs/form_sweep.json   # 存下来：docs/form.md 的表、v11 的答案由它写出

“同样的时间”：基准（README 的 CPU 配方）走 7300 步的时间。先试跑几步，量出这台机器上基准和这一套一步各要多久，
按比例定 --max_iters（基准正好 7300 步，和快速开始的那条命令一模一样）；余弦衰减排满这些步数。
训练用 learners/form_check.py 的 --train：和直接运行 babygpt_v12_wandb.py 一样的顺序和随机数，
每次评估时每个词牌写 20 首量格律（这部分时间不算进训练时间，但算进整条命令的用时）。
"""

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import torch

import form_check
from measure_r import measure_r

import babygpt_v12_wandb as v12  # noqa: E402  common 把仓库顶层加进了导入路径
import scaffold  # noqa: E402

BASE = ("--eval_iters 20 --batch_size 16 --block_size 64 --learning_rate 3e-3 --warmup_iters 200 "
        "--n_embed 96 --n_head 4 --n_layer 4 --dropout 0")
RECIPES = {  # 名字 -> 在 BASE（README 的 CPU 配方）上改的旋钮；想比别的旋钮，就在这里加一行
    "基准": "",
    "更深": "--n_layer 8",  # 数一句写了几个字、这是第几句，层数可能比宽度更要紧
    "块长128": "--block_size 128 --batch_size 8",  # 一首蝶恋花连词牌约 80 个字，64 装不下；每步的字数不变
    "GPU规模": "--n_embed 384 --n_head 6 --n_layer 6 --block_size 256 --batch_size 64 --learning_rate 1e-3 --eval_iters 4",  # v11 的模型
}
BASE_STEPS = 7300  # CPU 配方训练的步数：每一套的训练时间都是“基准”走这么多步的时间（--budget 倍）


def seconds_per_step(args):
    """试跑：一步（前向 + 反向 + 更新）在这台机器上要多久。返回 (秒数, config)。"""
    config = scaffold.parse_args(v12.Config, [*args.split(), "--device", "cpu"])
    with torch.random.fork_rng(devices=[]):
        model = v12.BabyGPT(config, 6104)
        optimizer = v12.make_optimizer(model, config)
        data = torch.randint(6104, (100_000,))
        steps = 0
        for i in range(40):
            if i == 3:  # 前几步热身，不计时
                start = time.perf_counter()
            x, y = v12.get_batch(data, config.batch_size, config.block_size, "cpu")
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            steps += i >= 3
            if steps >= 5 and time.perf_counter() - start > 5:  # 大模型一步要好几秒：量 5 秒就够
                break
    return (time.perf_counter() - start) / steps, config


def plan(name, base_per_step, budget):
    """这一套的完整参数：训练的时间是基准走 budget × BASE_STEPS 步的时间，步数按这一套一步的用时折算
    （基准自己就是 README 的 CPU 配方：7300 步）。评估 11 次；预热最多占十分之一的步数，余弦衰减排满全部步数。"""
    args = f"{BASE} {RECIPES[name]}".strip()
    per_step, config = (base_per_step, None) if name == "基准" else seconds_per_step(args)
    config = config or scaffold.parse_args(v12.Config, args.split())
    steps = round(budget * BASE_STEPS) if name == "基准" else int(budget * BASE_STEPS * base_per_step / per_step)
    steps = max(20, steps // 100 * 100 if steps >= 1000 else steps // 10 * 10)
    interval, warmup = max(2, steps // 10), min(config.warmup_iters, steps // 10)
    return (f"{args} --max_iters {steps} --lr_decay_iters {steps} --eval_interval {interval} --warmup_iters {warmup}",
            per_step)


def summary(row):
    """一套配方的结果，说成一行。"""
    last = row["curve"][-1]
    return (f"{row['label']}：{last['step']} 步，训练 {row['seconds'] / row['r']:.1f} R，验证集 {last['val_loss']:.4f}，"
            f"逐句 {last['phrase']:.2f}，整首 {last['whole']:.2f}（整条命令 {row['wall_seconds'] / 60:.0f} 分钟）")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), help="跑哪几套（默认全部）")
    parser.add_argument("--budget", type=float, default=1.0, help=f"每一套训练多久：基准走 {BASE_STEPS} 步（CPU 配方）的时间的几倍")
    parser.add_argument("--n", type=int, default=20, help="每次量格律时每个词牌写几首")
    parser.add_argument("--json", help="结果存到这里（每跑完一套就存一次）")
    parser.add_argument("--save_dir", help="每一套训练完的检查点存进这个目录（<名字>.pth）")
    args = parser.parse_args(argv)
    tunes = form_check.checked_tunes(form_check.load_tunes())
    t0 = time.perf_counter()
    r = measure_r()
    base_per_step = seconds_per_step(BASE)[0]
    print(f"基准一步 {base_per_step * 1000:.0f} 毫秒：每一套训练 {args.budget:g} × {BASE_STEPS} × 这么久", flush=True)
    rows, prelude = [], time.perf_counter() - t0  # 量 R、量基准一步：每一次运行都先做这两件事
    for name in args.recipes:
        t0 = time.perf_counter()
        full, per_step = plan(name, base_per_step, args.budget)
        print(f"{name}：一步 {per_step * 1000:.0f} 毫秒 -> {full}", flush=True)
        save = str(Path(args.save_dir) / f"{name}.pth") if args.save_dir else None
        run = SimpleNamespace(train=full, n=args.n, seed=1337, measure_r=False, save=save)
        result = form_check.train_with_form_checks(run, tunes)
        wall = prelude + time.perf_counter() - t0  # 学习者只跑这一套时，整条命令大约要多久
        rows.append({**result, "r": r, "label": name, "budget": args.budget, "wall_seconds": wall})
        print(summary(rows[-1]), flush=True)
        if args.json:
            Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    for row in rows:
        print(summary(row))


if __name__ == "__main__":
    main()
