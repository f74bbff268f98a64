"""页面上的一个个数：<!--名字-->…<!--/--> 之间写的就是 facts()[名字]。同一个数到处都用同一个名字，读起来就一样。"""

import functools
import math
import statistics

from course import PRIMER, SAMPLER
from page_records import cpu_recipe_model, cpu_runs, final, ladder, parameters, path_rows, run, seed_table, sweep, tries, vocab
from page_words import minute_range, try_record, wan
from page_meter import meter_facts

import babygpt_v10_dropout as v10  # noqa: E402
import babygpt_v12_wandb as v12  # noqa: E402

SWEEP_KEYS = {"基准": "base", "更深": "deeper", "块长128": "block128", "GPU规模": "gpu"}
# 页面引用的就是这些（tests/test_pages.py 查：每一个数都有页面用到，没有用不到的）
SWEEP_QUOTED = {"base": ("val", "phrase"), "deeper": ("steps", "val", "phrase"), "block128": ("steps", "val", "phrase"),
                "gpu": ("steps", "val", "step_seconds")}
LINE_ENDS_QUOTED = {"hit": ("bigram", "v1", "v3", "v6"), "false": ("bigram", "v1", "v3", "v5", "v6", "v7", "v8", "v9", "v10")}


@functools.cache
def facts():
    """{名字: 页面上应该写的样子}。"""
    cpu = cpu_runs()
    cpu_train, cpu_val = final(cpu[0])
    bigram = final(tries()[f"python {PRIMER}"])[1]
    gpu, kv = run("gpu_recipe.json"), run("kvcache.json")
    compare = next(row for command, row in tries().items() if command.startswith(f"python {SAMPLER} --compare"))
    small = parameters(v10.BabyGPT(v10.Config(), vocab()))
    big = parameters(v12.BabyGPT(v12.Config(), vocab()))
    recipe = parameters(cpu_recipe_model())
    lad = {row["lesson"]: final(row) for row in ladder()}
    seeds = seed_table()
    dropout_cost = sorted(v[10] - v[9] for v in seeds.values())
    same = [n for n in sorted(seeds[1337]) if seeds[1337][n] == lad[n][1]]  # 默认种子、1 个线程：和梯子（2 个线程）逐位相同的课
    ends = {row["name"]: row for row in run("line_ends.json")}
    stability = {(row["lesson"], row["extra"]): final(row) for row in run("stability.json")[0]}
    earlier = run("cpu_recipe.json").get("earlier", [])
    values = {
        "vocab": f"{vocab()}",
        "ln_v": f"{math.log(vocab()):.2f}",
        "bigram_val": f"{bigram:.2f}",
        "cpu_val": f"{cpu_val:.4f}",
        "cpu_train": f"{cpu_train:.4f}",
        "below_bigram": f"{bigram - cpu_val:.2f}",
        "cpu_r": f"{statistics.median(row['seconds'] / row['r'] for row in cpu):.1f}",
        "cpu_r_seconds": f"{statistics.median(row['r'] for row in cpu):.0f}",
        "cpu_runs": f"{len(cpu)}",
        "cpu_minutes": minute_range([row["seconds"] for row in cpu]),
        "cpu_r_range": f"{min(row['r'] for row in cpu):.0f} 秒到 {max(row['r'] for row in cpu):.0f} 秒",
        "cpu_params": f"{recipe[0] / 1e6:.2f}M",
        "v10_params": f"{small[0] / 1e6:.2f}M",
        "gpu_params": wan(big[0]),
        "gpu_params_table": wan(big[1]),
        "gpu_params_blocks": wan(big[2]),
        "gpu_vs_v10": f"{big[0] / small[0]:.0f}",
        "gpu_val": f"{gpu['val_loss']:.4f}",
        "gpu_train": f"{gpu['train_loss']:.4f}",
        "gpu_seconds": f"{gpu['seconds']:.0f}",
        "gpu_train_seconds": f"{gpu['train_seconds']:.0f}",
        "gpu_tokens": f"{gpu['tokens_per_sec']:,}".replace(",", " "),
        "speedup_cpu_model": f"{statistics.median(compare['speedups']):.1f}",
        "speedup_cpu_model_500": f"{statistics.median(kv['cpu_recipe']['speedups']):.1f}",
        "speedup_gpu_model": f"{statistics.median(kv['gpu_size']['speedups']):.1f}",
        "ladder_r": f"{ladder()[0]['r']:.0f}",
        "dropout_ladder": f"{abs(lad[10][1] - lad[9][1]):.3f}",
        "dropout_ladder_sign": "低" if lad[10][1] < lad[9][1] else "高",
        "dropout_seeds": f"{dropout_cost[0]:+.3f} 到 {dropout_cost[-1]:+.3f}",
        "dropout_seeds_higher": f"{sum(cost > 0 for cost in dropout_cost)}",
        "seeds_same": "、".join(f"v{n}" for n in same) or "没有一课",
        "seeds_differ": "、".join(f"v{n}" for n in sorted(seeds[1337]) if n not in same) or "没有一课",
        "v6_longer": f"{stability[(6, '')][1]:.2f}",
        "v6_stretched": f"{stability[(6, '--lr_decay_iters 16000')][1]:.2f}",
        "v6_stretched_train": f"{stability[(6, '--lr_decay_iters 16000')][0]:.2f}",
        "faults": f"{len(run('faults.json'))}",
        "own_vocab": f"{run('own_text.json')['vocab']}",
        "own_val": f"{run('own_text.json')['curve'][-1][2]:.2f}",
        "ladder_v1_val": f"{lad[1][1]:.2f}",
        **{f"hit_{name}": f"{ends[name]['recall']:.2f}" for name in LINE_ENDS_QUOTED["hit"]},
        **{f"false_{name}": f"{ends[name]['false_alarm']:.2f}" for name in LINE_ENDS_QUOTED["false"]},
        **{f"earlier_{key}": value for key, value in earlier_facts(earlier).items()},
        **ddp_facts(),
        **meter_facts(),
        **sweep_facts(),
        **path_minutes(),
    }
    values["cpu_minutes_en"] = values["cpu_minutes"].replace(" 到 ", " to ").replace(" 分钟", "")
    return values


def sweep_facts():
    """v11 的四套配方和练 4 倍久的那一次：每一套的步数、训练时间（R）、最后的损失和格律；练得久的那一次，
    损失第一次降到基准练完时那么低是在第几步、那时的格律，整首合格式的第一首出现在第几步。"""
    values = {}
    for name, key in SWEEP_KEYS.items():
        row = sweep()[name]
        last = row["curve"][-1]
        said = {"steps": f"{last['step']}", "val": f"{last['val_loss']:.2f}", "phrase": f"{last['phrase']:.2f}",
                "step_seconds": f"{row['seconds'] / last['step']:.1f}"}
        values.update({f"sweep_{key}_{what}": said[what] for what in SWEEP_QUOTED[key]})
    long = run("form_sweep_long.json")[0]
    curve = long["curve"]
    base_val = sweep()["基准"]["curve"][-1]["val_loss"]
    match = next(p for p in curve if p["val_loss"] <= base_val)
    first_whole = next((p for p in curve if p["whole"] > 0), None)
    values.update({"long_steps": f"{curve[-1]['step']}", "long_val": f"{curve[-1]['val_loss']:.2f}",
                   "long_phrase": f"{curve[-1]['phrase']:.2f}", "long_whole": f"{curve[-1]['whole']:.2f}",
                   "long_r": f"{long['seconds'] / long['r']:.1f}", "long_match_step": f"{match['step']}",
                   "long_match_val": f"{match['val_loss']:.2f}", "long_match_phrase": f"{match['phrase']:.2f}",
                   "long_first_whole": f"{first_whole['step']}" if first_whole else "（没有）"})
    return values


def earlier_facts(earlier):
    """别的机器上量的 CPU 配方（只在 docs/v12.md 的来历里说）：每一种 CPU 几遍的中位数，{avx512|avx2}_{minutes|r|rsec|val}。"""
    values = {}
    for key, cpu in (("avx512", "AMD EPYC"), ("avx2", "AMD EPYC（只有 AVX2）")):
        rows = [row for row in earlier if row["machine"]["cpu"] == cpu]
        if rows:
            values.update({f"{key}_minutes": f"{statistics.median(row['seconds'] for row in rows) / 60:.0f}",
                           f"{key}_r": f"{statistics.median(row['seconds'] / row['r'] for row in rows):.1f}",
                           f"{key}_rsec": f"{statistics.median(row['r'] for row in rows):.0f}"})
            if all("val_loss" in row for row in rows):
                values[f"{key}_val"] = f"{rows[0]['val_loss']:.4f}"
    return values


# --- 学习路径：每一站要几分钟 -------------------------------------------------------------------------------

def station_run_seconds(station):
    """学习路径表里“跑”的那一列的命令要多久。"""
    if station.startswith("v") and station[1:].isdigit() and int(station[1:]) <= 10:
        return next(row["seconds"] for row in ladder() if row["lesson"] == int(station[1:]))
    if station == "v12":
        return statistics.median(row["seconds"] for row in cpu_runs())
    command = {"0 入门": f"python {PRIMER}", "v11": "python babygpt_v11_hyper_params.py",
               "采样器": f"python {SAMPLER} --prompt 春江", "看注意力": "python learners/attention_heatmap.py",
               "格律": "python learners/form_check.py", "看它写": "python learners/watch.py"}[station]
    return tries()[command]["seconds"]


def path_minutes():
    """{min_站: 这一站跑一遍加上做练习要几分钟, min_total: 全程}。全程是表里那一列（四舍五入后）的和：
    表上的数加起来就是全程，一套数。"""
    values = {}
    for station, commands in path_rows():
        seconds = station_run_seconds(station) + sum(try_record(command)[1] for command in commands)
        values[f"min_{station.split()[0]}"] = f"{max(1, round(seconds / 60))}"
    total = sum(int(v) for v in values.values())
    values["min_total"] = f"{total}"
    values["hours_total"] = f"{total / 60:.1f}"
    return values


def ddp_facts():
    """docs/v12.md 的“多卡、多机”：两种用法 tokens/s 之比（几遍的中位数）和它们的范围；10 倍语料开始前省下的。"""
    record = run("ddp.json")
    speeds = {layout: [row["tokens_per_sec"] for rows in record["speed"] for row in rows if row["layout"] == layout]
              for layout in ("1 × 2", "2 × 1")}
    start = {(row["times"], row["version"]): row for row in record["start_up"]}
    return {"ddp_ratio": f"{statistics.median(speeds['2 × 1']) / statistics.median(speeds['1 × 2']):.2f}",
            "ddp_range_1x2": f"{min(speeds['1 × 2']):,} 到 {max(speeds['1 × 2']):,}",
            "ddp_range_2x1": f"{min(speeds['2 × 1']):,} 到 {max(speeds['2 × 1']):,}",
            "ddp_x10_saved": f"{start[10, 'before']['peak_mb'] - start[10, 'mapped']['peak_mb']:,.0f}"}
