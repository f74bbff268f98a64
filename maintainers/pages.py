"""README、docs/ 和文档字符串里引用的数，每一个只有一个出处：docs/runs/ 里的运行记录，或者从代码算出来（参数个数）。

    python tools/quotes.py             # 列出和出处对不上的引用（tests/test_numbers.py 也这样查）
    python tools/quotes.py --write     # 按出处改写它们
出处：
- docs/runs/cpu_recipe.json：tools/benchmark_lessons.py --cpu_recipe 量的 v12 CPU 配方：runs 是机器上只有它在跑时量的几遍
  （损失和用时都引用），walked 是中途按 Ctrl-C 再续训的那一遍（v12 的“试一试”），earlier 是以前别的机器上量的用时；
- docs/runs/gpu_recipe.json：一块 H200 上跑 v12 默认值（GPU 配方）的那一次；
- docs/runs/kvcache.json：tools/benchmark_kvcache.py 量的缓存加速（v12 默认大小的模型、CPU 配方的模型）；
- docs/runs/tries.json：tools/benchmark_lessons.py --tries 跑的每一站的“试一试”（采样器 --compare 的加速、bigram 的 NLL 在这里）。
表格（梯子、换种子、训练更久、格律）和“试一试”的注释不在这里：它们由写它们的工具从运行记录整张重新生成，tests/test_numbers.py 比较。
QUOTES 的每一条是（文件，正则，数的名字）：正则里的第一组就是引用的那个数，每个文件里至少要出现一次。
"""

import argparse
import json
import math
import re
import statistics
import sys

import benchmark_lessons as bench
from common import ROOT

import babygpt_v10_dropout as v10  # common 把仓库顶层加进了导入路径
import babygpt_v12_wandb as v12
import scaffold

RUNS = ROOT / "docs" / "runs"
VOCAB = 6104  # data/ci.txt 的词表大小（tests/test_corpus.py 检查）


def load(name):
    return json.loads((RUNS / name).read_text(encoding="utf-8"))


def parameters(model):
    """(全部, 字向量表和 lm_head, Block 里的)。"""
    total = sum(p.numel() for p in model.parameters())
    table = model.token_embedding_table.weight.numel() + sum(p.numel() for p in model.lm_head.parameters())
    return total, table, sum(p.numel() for p in model.blocks.parameters())


def wan(n):
    """15432920 -> '1543 万'"""
    return f"{n / 1e4:.0f} 万"


def facts():
    """{名字: 页面上应该写的样子}。"""
    cpu = load("cpu_recipe.json")
    runs = cpu["runs"]
    _, train, val, _ = runs[0]["curve"][-1]
    assert all(run["curve"][-1][:3] == runs[0]["curve"][-1][:3] for run in runs), "CPU 配方几遍的损失不一样"
    timed = runs + cpu.get("earlier", [])  # 别的机器、别的日子量的用时也算进范围
    minutes = [run["seconds"] / 60 for run in timed]
    rs = [run["r"] for run in timed]
    bigram = next(row for row in load("tries.json")[0] if row["try"] == "python simplebigrammodel_with_comments.py")["curve"][0][2]
    compare = next(row for row in load("tries.json")[0] if row["try"].startswith("python babygpt_sample_with_kvcache.py --compare"))
    kv = load("kvcache.json")
    gpu = load("gpu_recipe.json")
    dropout_cost = sorted(v[10] - v[9] for v in bench.by_seed(load("seeds.json")[0]).values())
    ladder = {lesson: val for lesson, (val, _) in bench.ladder_defaults().items()}
    ends = {row["name"]: row for row in load("line_ends.json")}
    stability = {(row["lesson"], row["extra"]): row["curve"][-1] for row in load("stability.json")[0]}
    small = parameters(v10.BabyGPT(v10.Config(), VOCAB))
    big = parameters(v12.BabyGPT(v12.Config(), VOCAB))
    recipe = parameters(v12.BabyGPT(scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split()), VOCAB))
    return {
        "cpu_val": f"{val:.4f}",
        "cpu_train": f"{train:.4f}",
        "cpu_r": f"{statistics.median(run['seconds'] / run['r'] for run in runs):.1f}",
        "cpu_minutes": f"{math.floor(min(minutes))} 到 {math.ceil(max(minutes))}",
        "cpu_r_range": f"{min(rs):.0f} 秒到 {max(rs):.0f} 秒",
        "cpu_r_earlier": f"{cpu['earlier'][0]['seconds'] / cpu['earlier'][0]['r']:.1f}",
        "below_bigram": f"{bigram - val:.2f}",
        "bigram_val": f"{bigram:.2f}",
        "cpu_params": f"{recipe[0] / 1e6:.2f}M",
        "v10_params": f"{small[0] / 1e6:.2f}M",
        "gpu_params": wan(big[0]),
        "gpu_params_table": wan(big[1]),
        "gpu_params_blocks": wan(big[2]),
        "gpu_vs_v10": f"{big[0] / small[0]:.0f}",
        "speedup_cpu_model": f"{statistics.median(compare['speedups']):.1f}",
        "speedup_gpu_model": f"{statistics.median(kv['gpu_size']['speedups']):.1f}",
        "speedup_cpu_model_500": f"{statistics.median(kv['cpu_recipe']['speedups']):.1f}",
        "dropout_ladder": f"{abs(ladder[10] - ladder[9]):.3f}",
        "dropout_ladder_sign": "低" if ladder[10] < ladder[9] else "高",
        "dropout_seeds": f"{dropout_cost[0]:+.3f} 到 {dropout_cost[-1]:+.3f}",
        **{f"hit_{name}": f"{ends[name]['recall']:.2f}" for name in ("v1", "v3", "v6")},
        **{f"false_{name}": f"{ends[name]['false_alarm']:.2f}" for name in ("v1", "v3", "v5", "v6", "v7", "v9", "v10")},
        "v6_longer": f"{stability[(6, '')][2]:.2f}",
        "v6_stretched": f"{stability[(6, '--lr_decay_iters 16000')][2]:.2f}",
        "v6_stretched_train": f"{stability[(6, '--lr_decay_iters 16000')][1]:.2f}",
        "gpu_val": f"{gpu['val_loss']:.4f}",
        "gpu_train": f"{gpu['train_loss']:.4f}",
        "gpu_seconds": f"{gpu['seconds']:.0f}",
    }


NUMBER = r"([\d.]+)"
QUOTES = [  # （文件，正则，数的名字）
    ("README.md", r"训练 v12（CPU 配方，2 核 CPU 上 (\d+ 到 \d+) 分钟）", "cpu_minutes"),
    ("README.md", r"快速开始的 CPU 配方（([\d.]+M) 参数）", "cpu_params"),
    ("README.md", r"快速开始的 CPU 配方（[\d.]+M 参数）：验证集损失 \*\*" + NUMBER, "cpu_val"),
    ("README.md", r"，训练损失 " + NUMBER + r"，比入门脚本的 bigram 低", "cpu_train"),
    ("README.md", r"比入门脚本的 bigram 低 " + NUMBER, "below_bigram"),
    ("README.md", r"整条命令 ([\d.]+) R，在我们量过的 2 核机器上", "cpu_r"),
    ("README.md", r"在我们量过的 2 核机器上 (\d+ 到 \d+) 分钟", "cpu_minutes"),
    ("README.md", r"v11 的默认值，(\d+ 万)参数", "gpu_params"),
    ("README.md", r"整条命令 (\d+) 秒，验证集损失 \*\*", "gpu_seconds"),
    ("README.md", r"秒，验证集损失 \*\*" + NUMBER, "gpu_val"),
    ("README.md", r"参数是 v10 的 (\d+) 倍", "gpu_vs_v10"),
    ("README.md", r"在快速开始的模型上写 200 个字，缓存快 ([\d.]+) 倍", "speedup_cpu_model"),
    ("README.md", r"模型上快 ([\d.]+) 倍", "speedup_gpu_model"),
    ("README.md", r"we measured; val loss ([\d.]+), [\d.]+ below", "cpu_val"),
    ("README.md", r"we measured; val loss [\d.]+, ([\d.]+) below", "below_bigram"),
    ("README.md", r"trains v12 with the CPU recipe \((\d+ to \d+) minutes", "cpu_minutes_en"),
    ("README.md", r"([\d.]+) R for the whole command", "cpu_r"),
    ("README.md", r"cache is ([\d.]+)x faster on the quick-start model", "speedup_cpu_model"),
    ("README.md", r"and ([\d.]+)x on the GPU-size model", "speedup_gpu_model"),
    ("README.md", r"([\d.]+) in 214 s on one H200", "gpu_val"),
    ("docs/v12.md", r"模型 ([\d.]+M) 参数", "cpu_params"),
    ("docs/v12.md", r"\*\*验证集损失 " + NUMBER + r"\*\*，训练损失 [\d.]+，比入门脚本", "cpu_val"),
    ("docs/v12.md", r"训练损失 " + NUMBER + r"，比入门脚本", "cpu_train"),
    ("docs/v12.md", r"bigram（[\d.]+）低 " + NUMBER, "below_bigram"),
    ("docs/v12.md", r"整条命令 ([\d.]+) R（两遍的中位数）", "cpu_r"),
    ("docs/v12.md", r"2 核机器上是 (\d+ 到 \d+) 分钟", "cpu_minutes"),
    ("docs/v12.md", r"（R 从 (\d+ 秒到 \d+ 秒)）", "cpu_r_range"),
    ("docs/v12.md", r"只有 AVX2 的 EPYC 上是 ([\d.]+) R", "cpu_r_earlier"),
    ("docs/v12.md", r"模型 (\d+ 万)参数", "gpu_params"),
    ("docs/v12.md", r"字向量表和 `lm_head` (\d+ 万)", "gpu_params_table"),
    ("docs/v12.md", r"6 个 Block (\d+ 万)", "gpu_params_blocks"),
    ("docs/v12.md", r"是 v10 的 (\d+) 倍", "gpu_vs_v10"),
    ("docs/v12.md", r"\*\*验证集损失 " + NUMBER + r"\*\*（训练损失", "gpu_val"),
    ("docs/v12.md", r"（训练损失 " + NUMBER + r"），\n训练约", "gpu_train"),
    ("docs/v12.md", r"整条命令 (\d+) 秒。", "gpu_seconds"),
    ("docs/v12.md", r"：(\d+ 万)参数的模型每步", "gpu_params"),
    ("docs/kvcache.md", r"--max_new_tokens 200`）快 \*\*([\d.]+) 倍\*\*", "speedup_cpu_model"),
    ("docs/kvcache.md", r"一口气写 500 个字，轮流各跑 5 次：快 \*\*([\d.]+) 倍\*\*", "speedup_cpu_model_500"),
    ("docs/kvcache.md", r"取中位数：快 \*\*([\d.]+) 倍\*\*", "speedup_gpu_model"),
    ("babygpt_v12_wandb.py", r"验证集损失 " + NUMBER + r"，训练损失 [\d.]+，整条命令", "cpu_val"),
    ("babygpt_v12_wandb.py", r"训练损失 " + NUMBER + r"，整条命令", "cpu_train"),
    ("babygpt_v12_wandb.py", r"整条命令 ([\d.]+) R", "cpu_r"),
    ("babygpt_v12_wandb.py", r"bigram（[\d.]+）\n低 " + NUMBER, "below_bigram"),
    ("babygpt_v12_wandb.py", r"bigram（([\d.]+)）\n低", "bigram_val"),
    ("docs/v12.md", r"bigram（([\d.]+)）低", "bigram_val"),
    ("docs/lessons.md", r"梯子表那一行（2 个线程）比 v9 [低高] ([\d.]+)；", "dropout_ladder"),
    ("docs/lessons.md", r"梯子表那一行（2 个线程）比 v9 ([低高])", "dropout_ladder_sign"),
    ("docs/lessons.md", r"三个种子都比 v9 高，从 ([+\-\d.]+ 到 [+\-\d.]+)。", "dropout_seeds"),
    ("docs/lessons.md", r"从 v1 的 ([\d.]+) 升到", "hit_v1"),
    ("docs/lessons.md", r"升到 ([\d.]+)，句中误报", "hit_v3"),
    ("docs/lessons.md", r"标点的比例从 ([\d.]+) 降到", "false_v1"),
    ("docs/lessons.md", r"降到 ([\d.]+)。只看前一个字", "false_v3"),
    ("docs/lessons.md", r"该打标点的地方它有 ([\d.]+) 猜标点", "hit_v6"),
    ("docs/lessons.md", r"可句中也有 ([\d.]+) 误报", "false_v6"),
    ("docs/lessons.md", r"（v5 是 ([\d.]+)）", "false_v5"),
    ("docs/lessons.md", r"v7 的误报降到 ([\d.]+)。", "false_v7"),
    ("docs/lessons.md", r"v6 到 ([\d.]+)（训练集", "v6_stretched"),
    ("docs/lessons.md", r"（训练集 ([\d.]+)）：学得慢", "v6_stretched_train"),
    ("docs/lessons.md", r"验证集是 ([\d.]+)；连同", "v6_longer"),
    ("docs/ladder.md", r"没有残差的 v6 也是（([\d.]+)）", "v6_longer"),
    ("docs/ladder.md", r"一直往下学，停在 ([\d.]+)，", "v6_stretched"),
    ("docs/form.md", r"断句处 ([\d.]+) 猜中", "hit_v1"),
    ("docs/form.md", r"句中却有 ([\d.]+) 误报", "false_v1"),
    ("docs/form.md", r"断句已经好得多（([\d.]+) / [\d.]+）", "hit_v3"),
    ("docs/form.md", r"断句已经好得多（[\d.]+ / ([\d.]+)）", "false_v3"),
    ("docs/form.md", r"它在断句处 ([\d.]+) 猜标点", "hit_v6"),
    ("docs/form.md", r"（句中误报 ([\d.]+)，回到", "false_v6"),
    ("docs/form.md", r"误报降到 ([\d.]+)\*\*", "false_v7"),
    ("docs/form.md", r"LayerNorm（v9） ?([\d.]+)", "false_v9"),
    ("docs/form.md", r"dropout（v10） ?([\d.]+)", "false_v10"),
    ("babygpt_v11_hyper_params.py", r"一共 (\d+ 万)个参数", "gpu_params"),
    ("babygpt_v11_hyper_params.py", r"lm_head 里有 (\d+ 万)", "gpu_params_table"),
    ("docs/lessons.md", r"字向量表和 lm_head 里有 (\d+ 万)", "gpu_params_table"),
    ("docs/lessons.md", r"6 个 Block 里有 (\d+ 万)", "gpu_params_blocks"),
    ("babygpt_v11_hyper_params.py", r"6 个 Block 里有 (\d+ 万)", "gpu_params_blocks"),
    ("babygpt_v11_hyper_params.py", r"是 v10（([\d.]+M)）的", "v10_params"),
    ("babygpt_v11_hyper_params.py", r"）的 (\d+) 倍", "gpu_vs_v10"),
    ("babygpt_v11_hyper_params.py", r"验证集损失 " + NUMBER + r"，约 270 000", "gpu_val"),
    ("babygpt_v11_hyper_params.py", r"整条命令 (\d+) 秒", "gpu_seconds"),
]


def with_english(found):
    """英文部分的分钟数写成 'a to b'。"""
    return {**found, "cpu_minutes_en": found["cpu_minutes"].replace(" 到 ", " to ")}


def stale(values=None):
    """和出处对不上的引用：[(文件, 正则, 应该是, 实际是)]；正则一次也没出现的，实际是 None。"""
    values = with_english(values or facts())
    problems = []
    for file, pattern, key in QUOTES:
        text = (ROOT / file).read_text(encoding="utf-8")
        found = [m.group(1) for m in re.finditer(pattern, text)]
        if not found:
            problems.append((file, pattern, values[key], None))
        problems += [(file, pattern, values[key], got) for got in found if got != values[key]]
    return problems


def write(values=None):
    """把每一处引用改成出处里的数。"""
    values = with_english(values or facts())
    for file, pattern, key in QUOTES:
        path = ROOT / file
        text = path.read_text(encoding="utf-8")
        text = re.sub(pattern, lambda m: m.group(0)[: m.start(1) - m.start(0)] + values[key] + m.group(0)[m.end(1) - m.start(0) :],
                      text)
        path.write_text(text, encoding="utf-8")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="按出处改写对不上的引用")
    args = parser.parse_args(argv)
    if args.write:
        write()
    problems = stale()
    for file, pattern, want, got in problems:
        print(f"{file}：{pattern!r} 应该是 {want}，" + ("一处也没找到" if got is None else f"写的是 {got}"))
    print("所有引用都和出处一致" if not problems else f"{len(problems)} 处对不上")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
