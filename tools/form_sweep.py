"""CPU 上调配方：同样的时间（几 R），一次只改一个旋钮，比验证集损失和格律。v11 的“试一试”就是它。

    python tools/form_sweep.py                          # 量 R，再跑下面 RECIPES 的每一套，每套训练 10.5 R
    python tools/form_sweep.py --recipes 基准 更深
    python tools/form_sweep.py --recipes 基准 --budget 45   # 同一套配方练得更久：要多少 R 才写得出合格式的词
    python tools/form_sweep.py --write --from_json docs/runs/form_sweep.json   # 把表写回 docs/form.md 和 v11 的“试一试”

每一套先试跑几步，量出这台机器上一步要多久，再定 --max_iters，让训练正好用掉 --budget 个 R；
余弦衰减排满这些步数（--lr_decay_iters 等于 --max_iters）。训练用 tools/form_check.py 的 --train：
和直接运行 babygpt_v12_wandb.py 一样的顺序和随机数，每次评估时每个词牌写 20 首量格律（这部分时间不算）。
"""

import argparse
import json
import time
from pathlib import Path
from types import SimpleNamespace

import torch

import form_check
from common import ROOT, measure_r, write_back, write_table

BASE = ("--eval_iters 20 --batch_size 16 --block_size 64 --learning_rate 3e-3 --warmup_iters 200 "
        "--n_embed 96 --n_head 4 --n_layer 4 --dropout 0")
RECIPES = {  # 名字 -> 在 BASE（README 的 CPU 配方）上改的旋钮；想比别的旋钮，就在这里加一行
    "基准": "",
    "更深": "--n_layer 8",  # 数一句写了几个字、这是第几句，层数可能比宽度更要紧
    "块长128": "--block_size 128 --batch_size 8",  # 一首蝶恋花连词牌约 80 个字，64 装不下；每步的字数不变
    "GPU规模": "--n_embed 384 --n_head 6 --n_layer 6 --block_size 256 --batch_size 64 --learning_rate 1e-3 --eval_iters 4",  # v11 的模型
}
BUDGET = 10.5  # 每一套训练多少个 R：留出读语料、写词、存检查点的几秒，整条命令在 11 R 以内


def seconds_per_step(args):
    """试跑：一步（前向 + 反向 + 更新）在这台机器上要多久。返回 (秒数, config)。"""
    import babygpt_v12_wandb as v12

    config = v12.parse_args([*args.split(), "--device", "cpu"])
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


def plan(name, r, budget):
    """这一套的完整参数：步数让训练正好用掉 budget 个 R。评估 11 次，每次训练集、验证集各 eval_iters 个批次的前向，
    一次前向约是训练一步的 1/3。预热最多占十分之一的步数，余弦衰减排满全部步数。"""
    args = f"{BASE} {RECIPES[name]}".strip()
    per_step, config = seconds_per_step(args)
    steps = int(budget * r / per_step - 11 * 2 * config.eval_iters / 3)
    steps = max(20, steps // 100 * 100 if steps >= 1000 else steps // 10 * 10)
    interval, warmup = max(2, steps // 10), min(config.warmup_iters, steps // 10)
    return (f"{args} --max_iters {steps} --lr_decay_iters {steps} --eval_interval {interval} --warmup_iters {warmup}",
            per_step)


def name_of(row):
    """表里这一套叫什么：名字，改了的旋钮，练得比 BUDGET 久的再加上 --budget。"""
    change = " ".join(x for x in (RECIPES.get(row["label"], ""), longer(row)) if x)
    return f"{row['label']}（`{change}`）" if change else row["label"]


def longer(row):
    budget = row.get("budget", BUDGET)
    return f"--budget {budget:g}" if budget != BUDGET else ""


def sweep_table(rows):
    lines = ["| 配方（在 README 的 CPU 配方上只改一处） | 步数 | 用时 | 验证集损失 | 格律：逐句 | 整首 |",
             "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        last = row["curve"][-1]
        name = name_of(row)
        steps = row["curve"][-1]["step"]
        lines.append(f"| {name} | {steps} | {row['seconds'] / row['r']:.1f} R | {last['val_loss']:.4f} | "
                     f"{last['phrase']:.2f} | {last['whole']:.2f} |")
    return "\n".join(lines)


def try_comment(row):
    """v11 的“试一试”里这一套后面的注释。"""
    last = row["curve"][-1]
    return (f"验证集 {last['val_loss']:.2f}，逐句 {last['phrase']:.2f}，整首 {last['whole']:.2f}"
            f"（{last['step']} 步，{row['seconds'] / row['r']:.1f} R）")


def write_tries(rows):
    """把 v11 文档字符串里“试一试”每一行后面的数字换成这次量的。"""
    file = "babygpt_v11_hyper_params.py"
    doc = (ROOT / file).read_text(encoding="utf-8")
    for row in rows:
        if longer(row):  # “试一试”里每一套都是 BUDGET 个 R；练得更久的只进表
            continue
        command = f"python tools/form_sweep.py --recipes {row['label']}"
        old = next(line for line in doc.splitlines() if line.strip().startswith(command + "  #"))
        write_back(file, [(old, f"{old.split('#')[0]}# {try_comment(row)}")])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), help="跑哪几套（默认全部）")
    parser.add_argument("--budget", type=float, default=BUDGET, help=f"每一套训练多少个 R（默认 {BUDGET}，整条命令在 11 R 以内）")
    parser.add_argument("--n", type=int, default=20, help="每次量格律时每个词牌写几首")
    parser.add_argument("--json", default="form_sweep.json", help="结果存到这里（每跑完一套就存一次）")
    parser.add_argument("--from_json", nargs="+", help="不重跑：读存下的结果（可以给几个文件）")
    parser.add_argument("--save_dir", help="每一套训练完的检查点存进这个目录（<名字>.pth）")
    parser.add_argument("--write", action="store_true", help="把表写回 docs/form.md")
    args = parser.parse_args(argv)

    if args.from_json:  # 几次运行（每次可以只跑几套）存下的结果合在一起
        rows = [row for file in args.from_json for row in json.loads(Path(file).read_text(encoding="utf-8"))]
    else:
        tunes = form_check.checked_tunes(form_check.load_tunes())
        r = measure_r()
        rows = []
        for name in args.recipes:
            full, per_step = plan(name, r, args.budget)
            print(f"{name}：一步 {per_step * 1000:.0f} 毫秒 -> {full}", flush=True)
            save = str(Path(args.save_dir) / f"{name}.pth") if args.save_dir else None
            run = SimpleNamespace(train=full, n=args.n, seed=1337, measure_r=False, save=save)
            result = form_check.train_with_form_checks(run, tunes)
            rows.append({**result, "r": r, "label": name, "budget": args.budget})
            Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
            print(sweep_table(rows).splitlines()[-1], flush=True)
    print(sweep_table(rows))
    if args.write:
        write_table("form-sweep", sweep_table(rows))
        write_tries(rows)


if __name__ == "__main__":
    main()
