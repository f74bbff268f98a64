"""写页面的只有它：README、docs/ 和文档字符串里每一个量出来的数，都由它从 docs/runs/ 的运行记录写出。
量具（maintainers/ 的其余脚本、learners/form_check.py、learners/form_sweep.py）只写运行记录，不碰页面。

    python maintainers/pages.py            # 列出和运行记录对不上的地方（tests/test_pages.py 也这样查）
    python maintainers/pages.py --write    # 按运行记录改写它们
页面里的三种位置，都由这里写：
- 一段（表、例子、命令）：<!-- 名字 --> 和 <!-- /名字 --> 之间，由 BLOCKS[名字] 写出；
- 一个数（句子里、表格里）：<!--名字-->…<!--/--> 之间，由 facts()[名字] 写出：同一个数到处都是同一个名字，读起来就一样；
- 文档字符串（学习者直接读代码，里面不放标记）：每一条“试一试”命令后面的答案，和以 DOC_LINES 里的几个开头
  （“默认设置下（”“CPU 配方下（”……）开始的整行。
"""

import argparse
import functools
import math
import re
import statistics
import sys

from runs import load_run
from course import LESSONS, PRIMER, ROOT, SAMPLER, STATIONS, exercises
from code_diff import diff_size

import babygpt_sample_with_kvcache as sampler  # noqa: E402
import babygpt_v10_dropout as v10  # noqa: E402
import babygpt_v12_wandb as v12  # noqa: E402
import scaffold  # noqa: E402

PAGES = ["README.md", "data/README.md", "docs/ladder.md", "docs/form.md", "docs/lessons.md", "docs/v12.md", "docs/kvcache.md", "docs/recipe.md"]
BLOCK = re.compile(r"(<!-- ([\w-]+) -->\n)(.*?)(<!-- /\2 -->)", re.S)
INLINE = re.compile(r"(<!--(\w+)-->)(.*?)(<!--/-->)")
TRY_RECIPES = ("基准", "更深", "块长128", "GPU规模")  # v11 的“试一试”比的四套（learners/form_sweep.py 的 RECIPES）


# --- 运行记录 -------------------------------------------------------------------------------------------

@functools.cache
def run(name):
    return load_run(name)


def minutes(seconds):
    """给学习者的用时：不到一分钟，或者约几分钟（2 核 CPU 上量的）。"""
    return "不到 1 分钟" if seconds < 60 else f"约 {round(seconds / 60)} 分钟"


def minute_range(seconds):
    """几次运行的用时，说成分钟的范围：8 到 9 分钟。"""
    low, high = math.floor(min(seconds) / 60), math.ceil(max(seconds) / 60)
    return f"{low} 到 {max(high, low + 1)} 分钟"


def ladder(runs=None):
    """梯子的几遍（docs/runs/ladder.json）：损失必须逐位相同；每课的用时取中位数，秒数和 R 的倍数各取各的
    （每遍的 R 只和同一遍的各课比）。"""
    runs = runs or run("ladder.json")
    losses = [[[tuple(point[:3]) for point in row["curve"]] for row in rows] for rows in runs]
    assert all(each == losses[0] for each in losses), "梯子几遍的损失不一样：线程数不同？"
    rows = [{**row, "seconds": statistics.median(rows[i]["seconds"] for rows in runs),
             "ratio": statistics.median(rows[i]["seconds"] / rows[i]["r"] for rows in runs),
             "r": statistics.median(rows[i]["r"] for rows in runs), "runs": len(runs)} for i, row in enumerate(runs[0])]
    return rows


def final(row):
    """一次运行的最后一次评估：(训练损失, 验证集损失)。"""
    _, train_loss, val_loss, _ = row["curve"][-1]
    return train_loss, val_loss


def tries():
    """每一站“试一试”的记录（docs/runs/tries.json）：{命令: 记录}。"""
    return {row["try"]: row for row in run("tries.json")[0]}


def sweep():
    """v11 的配方比较（docs/runs/form_sweep.json）：{名字: 记录}。"""
    return {row["label"]: row for row in run("form_sweep.json")}


def cpu_runs():
    """CPU 配方一口气训练完的几遍：损失必须逐位相同。"""
    runs = run("cpu_recipe.json")["runs"]
    assert all(row["curve"][-1][:3] == runs[0]["curve"][-1][:3] for row in runs), "CPU 配方几遍的损失不一样"
    return runs


def parameters(model):
    """(全部, 字向量表和 lm_head, Block 里的)。"""
    total = sum(p.numel() for p in model.parameters())
    table = model.token_embedding_table.weight.numel() + sum(p.numel() for p in model.lm_head.parameters())
    return total, table, sum(p.numel() for p in model.blocks.parameters())


@functools.cache
def vocab():
    return len(set(scaffold.read_text(scaffold.DEFAULT_DATA)[0]))


def wan(n):
    """15432920 -> '1543 万'"""
    return f"{n / 1e4:.0f} 万"


# --- 一句话的答案 ------------------------------------------------------------------------------------------

def loss_text(loss):
    """损失写成两位小数；失控到几百以上的，写成带千分位的整数。"""
    return f"{loss:,.0f}" if math.isfinite(loss) and loss >= 100 else f"{loss:.2f}"


def heads_text(heads):
    """每个头放在前一个字、最近的标点上的注意力：各说最高的那个头（层和头都从 1 数起，和注意力图一样）。"""
    previous = max(heads, key=lambda h: h["previous"])
    text = f"最看前一个字的是第 {previous['layer']} 层头 {previous['head']}（{previous['previous']:.2f}）"
    marked = [h for h in heads if h.get("punct") is not None]
    if marked:
        punct = max(marked, key=lambda h: h["punct"])
        text += f"，最看最近的标点的是第 {punct['layer']} 层头 {punct['head']}（{punct['punct']:.2f}）"
    return text


def answer(row):
    """一条“试一试”量出的数，说成一句话（不含用时）。"""
    kind = row.get("kind")
    if kind == "compare":  # 采样器的 --compare：跑了几遍，加速比取中位数
        speedups = sorted(row["speedups"])
        return (f"加速 {statistics.median(speedups):.1f} 倍（{len(speedups)} 次的中位数，{speedups[0]:.1f}–{speedups[-1]:.1f}），"
                f"{'逐字相同' if row['identical'] else '有不同的字！'}")
    if kind == "heatmap":
        return heads_text(row["heads"])
    if kind == "line":  # learners/form_check.py、learners/watch.py 打印的最后一行
        return row["line"]
    train_loss, val_loss = final(row)
    text = f"验证集 {loss_text(val_loss)}，训练集 {loss_text(train_loss)}"
    if not math.isfinite(val_loss):
        first = next(s for s, _, v, _ in row["curve"] if not math.isfinite(v))
        text = f"验证集 {val_loss}，训练集 {train_loss}：发散了，第 {first} 步的评估已经是 {val_loss}"
    worst = max(v for _, _, v, _ in row["curve"] if math.isfinite(v))
    if worst > row["curve"][0][2]:  # 中途比刚初始化时（ln V）还差：训练一度失控
        text += f"；中途最高 {worst:,.0f}"
    if row.get("focus"):  # 每个头放在当前字、前一个字上的注意力
        text += "；当前字/前一个字 " + "、".join(f"{a:.2f}/{b:.2f}" for a, b in row["focus"])
    return text


def sweep_answer(row):
    last = row["curve"][-1]
    return (f"验证集 {last['val_loss']:.2f}，逐句 {last['phrase']:.2f}，整首 {last['whole']:.2f}"
            f"（{last['step']} 步，训练 {row['seconds'] / row['r']:.1f} R）")


def walk_answer(command):
    """v12 的“试一试”的两条命令：中途按 Ctrl-C 的那一次停在哪里；续训的最后一行和一口气训练完的一样不一样。"""
    walked = run("cpu_recipe.json")["walked"]
    resumed = walked["interrupted"]
    if "--resume" not in command.split():
        return f"第 {resumed['stopped_at']} 步按的 Ctrl-C，退出码 {resumed['exit_code']}", resumed["interrupted_seconds"]
    same = resumed["curve"][-1][:3] == walked["curve"][-1][:3]
    train_loss, val_loss = final(resumed)
    return (f"验证集 {val_loss:.4f}，训练集 {train_loss:.4f}，{'和一口气训练完的逐位相同' if same else '和一口气训练完的不同！'}",
            resumed["seconds"])


def try_answer(command):
    """一条“试一试”命令后面的注释：量出的数；用时。"""
    if command.startswith("python learners/form_sweep.py --recipes "):
        row = sweep()[command.split()[-1]]
        return f"{sweep_answer(row)}；{minutes(row['wall_seconds'])}"
    if "--ckpt_path try.pth" in command:
        text, seconds = walk_answer(command)
        return f"{text}；{minutes(seconds)}"
    row = tries().get(command)
    assert row is not None, f"“{command}”还没有量过：python maintainers/tries.py"
    return f"{answer(row)}；{minutes(row['seconds'])}"


def try_seconds(command):
    """一条命令在 2 核 CPU 上要多少秒（学习路径的用时由它加起来）。"""
    if command.startswith("python learners/form_sweep.py --recipes "):
        return sweep()[command.split()[-1]]["wall_seconds"]
    if "--ckpt_path try.pth" in command:
        return walk_answer(command)[1]
    return tries()[command]["seconds"]


# --- 一个数 ------------------------------------------------------------------------------------------------

@functools.cache
def facts():
    """{名字: 页面上应该写的样子}：<!--名字-->…<!--/--> 之间写的就是它。"""
    cpu = cpu_runs()
    cpu_train, cpu_val = final(cpu[0])
    bigram = final(tries()[f"python {PRIMER}"])[1]
    gpu, kv = run("gpu_recipe.json"), run("kvcache.json")
    compare = next(row for command, row in tries().items() if command.startswith(f"python {SAMPLER} --compare"))
    small = parameters(v10.BabyGPT(v10.Config(), vocab()))
    big = parameters(v12.BabyGPT(v12.Config(), vocab()))
    recipe = parameters(v12.BabyGPT(scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split()), vocab()))
    lad = {row["lesson"]: final(row) for row in ladder()}
    seeds = {}
    for row in run("seeds.json")[0]:
        seeds.setdefault(row["seed"], {})[row["lesson"]] = final(row)[1]
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
        **{f"hit_{name}": f"{ends[name]['recall']:.2f}" for name in ends},
        **{f"false_{name}": f"{ends[name]['false_alarm']:.2f}" for name in ends},
        **{f"earlier_{key}": value for key, value in earlier_facts(earlier).items()},
        **sweep_facts(),
        **path_minutes(),
    }
    values["cpu_minutes_en"] = values["cpu_minutes"].replace(" 到 ", " to ").replace(" 分钟", "")
    return values


SWEEP_KEYS = {"基准": "base", "更深": "deeper", "块长128": "block128", "GPU规模": "gpu"}


def sweep_facts():
    """v11 的四套配方和练 4 倍久的那一次：每一套的步数、训练时间（R）、最后的损失和格律；练得久的那一次，
    损失第一次降到基准练完时那么低是在第几步、那时的格律，整首合格式的第一首出现在第几步。"""
    values = {}
    for name, key in SWEEP_KEYS.items():
        row = sweep()[name]
        last = row["curve"][-1]
        values.update({f"sweep_{key}_steps": f"{last['step']}", f"sweep_{key}_r": f"{row['seconds'] / row['r']:.1f}",
                       f"sweep_{key}_val": f"{last['val_loss']:.2f}", f"sweep_{key}_phrase": f"{last['phrase']:.2f}",
                       f"sweep_{key}_whole": f"{last['whole']:.2f}", f"sweep_{key}_step_seconds": f"{row['seconds'] / last['step']:.1f}"})
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


def path_rows():
    """README 学习路径表的每一站：(站, 练习的命令)。"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = block_of(readme, "learning-path").splitlines()[2:]
    rows = []
    for line in table:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        rows.append((cells[0], re.findall(r"`(python [^`]+)`", cells[3])))
    return rows


def path_minutes():
    """{min_站: 这一站跑一遍加上做练习要几分钟, min_total: 全程}。"""
    values, total = {}, 0.0
    for station, commands in path_rows():
        seconds = station_run_seconds(station) + sum(try_seconds(command) for command in commands)
        total += seconds
        values[f"min_{station.split()[0]}"] = f"{max(1, round(seconds / 60))}"
    values["min_total"] = f"{round(total / 60)}"
    values["hours_total"] = f"{total / 3600:.1f}"
    return values


def block_of(text, name):
    return next(m.group(3) for m in BLOCK.finditer(text) if m.group(2) == name)


# --- 一段 ---------------------------------------------------------------------------------------------------

def ladder_table(rows=None):
    """README 的梯子表。合计是这一列各课（四舍五入后的）中位数的和：表的这一列加起来正好是合计。"""
    rows = rows or ladder()
    unit = f"{rows[0]['runs']} 遍的中位数，R ≈ {rows[0]['r']:.0f}s"
    ends = {row["lesson"]: f"{row['recall']:.2f} / {row['false_alarm']:.2f}" for row in run("line_ends.json") if "lesson" in row}
    lines = [f"| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时 | 用时（{unit}） | 断句：猜中 / 误报 |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        train_loss, val_loss = final(row)
        diff = diff_size(LESSONS[row["lesson"] - 2][1], row["file"]) if row["lesson"] > 1 else "—"
        lines.append(f"| `{row['file']}` | {row['idea']} | {diff} | {val_loss:.4f} | {train_loss:.4f} | "
                     f"{row['seconds']:.0f}s | {row['ratio']:.2f} | {ends.get(row['lesson'], '')} |")
    for n, file, idea in LESSONS[10:]:
        lines.append(f"| `{file}` | {idea} | {diff_size(LESSONS[n - 2][1], file)} | （GPU 配方，见下文） | | | | |")
    total_seconds = sum(round(row["seconds"]) for row in rows)
    total_ratio = sum(round(row["ratio"], 2) for row in rows)
    lines.append(f"| 合计（v1–v10） | | | | | {total_seconds}s | {total_ratio:.1f} | |")
    return "\n".join(lines)


def lesson_samples():
    """每一课在默认设置下训练完，从“春江”写出的开头（梯子第一遍的记录；同一个种子，每一遍都一样）。"""
    lines = ["| 课 | 从“春江”写下去（默认设置，同一个种子；换行写成 /，一首词写完的空行写成 ‖） |", "|---|---|"]
    for row in run("ladder.json")[0]:
        text = re.sub(r"\n\n+", " ‖ ", row["samples"]["春江"][:48]).replace("\n", " / ")
        lines.append(f"| v{row['lesson']} | {text}… |")
    return "\n".join(lines)


def seeds_table():
    seed_lessons = (1, 4, 6, 7, 9, 10)
    table = {}
    for row in run("seeds.json")[0]:
        table.setdefault(row["seed"], {})[row["lesson"]] = final(row)[1]
    lines = ["| 种子 | v1 | v4 | v6 | v7 | v9 | v10 | v4 − v1 | v7 − v6 | v10 − v9 |", "|---|" + "---:|" * 9]
    for seed, v in table.items():
        name = f"{seed}（默认）" if seed == 1337 else str(seed)
        losses = " | ".join(f"{v[n]:.4f}" for n in seed_lessons)
        lines.append(f"| {name} | {losses} | {v[4] - v[1]:+.4f} | {v[7] - v[6]:+.4f} | {v[10] - v[9]:+.4f} |")
    return "\n".join(lines)


def stability_table(rows=None, defaults=None):
    """训练 4 倍长的表：每一行减去梯子上同一课默认设置的验证集损失；加了参数的另起一行。"""
    defaults = defaults or {row["lesson"]: final(row)[1] for row in ladder()}
    lines = ["| 课 | 默认 4000 步的验证集损失 | 16000 步的验证集损失 | 训练损失 | 差 |", "|---|---:|---:|---:|---:|"]
    for row in sorted(rows or run("stability.json")[0], key=lambda row: (row["lesson"], row["extra"])):
        train_loss, val_loss = final(row)
        default = defaults[row["lesson"]]
        name = f"v{row['lesson']}" + (f"，`{row['extra']}`" if row["extra"] else "")
        lines.append(f"| {name} | {default:.4f} | {val_loss:.4f} | {train_loss:.4f} | {val_loss - default:+.4f} |")
    return "\n".join(lines)


def line_ends_table():
    lines = ["| | 验证集损失 | 断句处猜标点（越高越好） | 句中却猜标点（越低越好） |", "|---|---:|---:|---:|"]
    for row in run("line_ends.json"):
        name = "入门脚本的 bigram" if row["name"] == "bigram" else f"`{LESSONS[row['lesson'] - 1][1]}`"
        lines.append(f"| {name} | {row['val_loss']:.4f} | {row['recall']:.3f} | {row['false_alarm']:.3f} |")
    return "\n".join(lines)


def who(result):
    """表和例子里怎么称呼这个模型：记录里的名字，默认是 README 的 CPU 配方。"""
    return result.get("label") or "README 的 CPU 配方"


def form_table():
    result = run("form_check.json")
    lines = ["| 词牌 | 模型：整首 | 逐句 | 验证集的真词（天花板）：整首 | 逐句 | 数出来的 bigram（地板）：整首 | 逐句 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for tune, m in result["model"]["tunes"].items():
        c, f = result["ceiling"]["tunes"][tune], result["floor"]["tunes"][tune]
        lines.append(f"| {tune} | {m[0]:.2f} | {m[1]:.2f} | {c[0]:.2f}（{c[2]} 首） | {c[1]:.2f} | {f[0]:.2f} | {f[1]:.2f} |")
    m, c, f = result["model"], result["ceiling"], result["floor"]
    n = next(iter(m["tunes"].values()))[2]
    lines.append(f"| 全部（模型每个词牌 {n} 首） | **{m['whole']:.2f}** | **{m['phrase']:.2f}** | {c['whole']:.2f} | {c['phrase']:.2f} | "
                 f"{f['whole']:.2f} | {f['phrase']:.2f} |")
    return "\n".join(lines)


def form_summary(results=None):
    """README 的小表：天花板、README 的模型、地板：整首 / 逐句（8 个词牌平均）和不同的字占多少。
    练得更久的那一次是上一台机器上量的，只在 docs/form.md 里（带来历）。"""
    results = results or [run("form_check.json")]
    c, f = results[0]["ceiling"], results[0]["floor"]
    lines = ["| 谁写的（8 个词牌） | 整首合格式 | 逐句得分 | 不同的字占 |", "|---|---:|---:|---:|",
             f"| 验证集里的真词（天花板） | {c['whole']:.2f} | {c['phrase']:.2f} | {c['distinct']:.2f} |"]
    for result in results:
        m = result["model"]
        lines.append(f"| {who(result)}（温度 {result.get('temperature', 0.8):g}，训练 {result['step']} 步，"
                     f"验证集损失 {result['val_loss']:.4f}） | **{m['whole']:.2f}** | **{m['phrase']:.2f}** | {m['distinct']:.2f} |")
    lines.append(f"| 入门脚本数出来的 bigram（地板） | {f['whole']:.2f} | {f['phrase']:.2f} | {f['distinct']:.2f} |")
    return "\n".join(lines)


def form_samples(results=None, tunes=None):
    """例子：第一首合格式的（README 的模型先找，再找练得更久的），和 README 的模型第一首不合格式的。"""
    import form_check

    forms = dict(tunes or form_check.checked_tunes(form_check.load_tunes()))
    kept = broken = None
    for i, result in enumerate(results or [run("form_check.json"), run("form_check_long.json")]):
        for tune, poems in result["poems"].items():
            for text in poems:
                author, _, rest = text.partition("\n")
                body = rest.split("\n\n")[0].strip("\n")
                lengths = sampler.phrase_lengths(body)
                form, score, where = sampler.check_form(lengths, forms[tune])
                shown = f"{tune} {author}\n{body}"
                if where is None and kept is None:
                    kept = f"{who(result)}写的，合格式（{' '.join(map(str, form))}）：\n\n```\n{shown}\n```"
                elif where is not None and broken is None and i == 0 and len(lengths) >= 3:
                    broken = (f"{who(result)}写的，不合格式（{sampler.describe_break(lengths, form, where)}，"
                              f"逐句得分 {score:.2f}）：\n\n```\n{shown}\n```")
    return "\n\n".join(x for x in (kept, broken) if x)


def sweep_table(rows=None):
    """v11 的四套配方：步数、训练用时（R）、验证集损失、格律、整条命令要几分钟。"""
    import form_sweep

    rows = rows or sweep()
    lines = ["| 配方（在 README 的 CPU 配方上只改一处） | 步数 | 训练用时 | 验证集损失 | 格律：逐句 | 整首 | 整条命令 |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name in TRY_RECIPES:
        row = rows[name]
        last = row["curve"][-1]
        change = form_sweep.RECIPES[name]
        label = f"{name}（`{change}`）" if change else name
        lines.append(f"| {label} | {last['step']} | {row['seconds'] / row['r']:.1f} R | {last['val_loss']:.4f} | "
                     f"{last['phrase']:.2f} | {last['whole']:.2f} | {minutes(row['wall_seconds'])} |")
    return "\n".join(lines)


def form_long_curve():
    """练 4 倍久的那一次，每一次评估：步数、训练时间（R）、验证集损失、格律。"""
    long = run("form_sweep_long.json")[0]
    r_per_step = long["seconds"] / long["r"] / long["curve"][-1]["step"]
    lines = ["| 步数 | 训练时间 | 验证集损失 | 逐句 | 整首 |", "|---:|---:|---:|---:|---:|"]
    for p in long["curve"][1:]:
        lines.append(f"| {p['step']} | {p['step'] * r_per_step:.1f} R | {p['val_loss']:.4f} | {p['phrase']:.2f} | {p['whole']:.2f} |")
    return "\n".join(lines)


def attention_reading():
    row = tries()["python learners/attention_heatmap.py"]
    text = f"这是快速开始训练出的模型读“大江东去，浪淘尽，千古风流人物。”：{heads_text(row['heads'])}。"
    if max(h["punct"] or 0 for h in row["heads"]) > 0.5:
        text += "\n看最近的标点，就是看“这一句从哪里开始”：数一句已经写了几个字、该不该收，要靠它。"
    return text


def quick_start(english=False):
    """快速开始的两条命令：CPU 配方就是 scaffold.CPU_RECIPE（每一课在 CPU 上推荐的也是它）。"""
    f = facts()
    note = (f"# 1. Install, train v12 with the CPU recipe ({f['cpu_minutes_en']} minutes on 2 cores), then write with the sampler"
            if english else f"# 1. 安装，训练 v12（CPU 配方，2 核 CPU 上 {f['cpu_minutes']}），再用 KV 缓存采样器写词")
    tests = "# 2. Install and run the tests" if english else "# 2. 安装，运行全部测试"
    return (f"```bash\n{note}\npip install -r requirements.txt && python babygpt_v12_wandb.py {scaffold.CPU_RECIPE} && "
            f"python {SAMPLER}\n\n{tests}\npip install -r requirements.txt && python -m pytest -q tests\n```")


def resume_command():
    return f"```bash\npython babygpt_v12_wandb.py {scaffold.CPU_RECIPE} --resume && python {SAMPLER}\n```"


HAND_WRITTEN = {"learning-path"}  # 手写的一段，标记只是让人（和 path_rows）找得到它；里面的数照样由 <!--名字--> 写
BLOCKS = {
    "quick-start": quick_start,
    "quick-start-en": lambda: quick_start(english=True),
    "resume-command": resume_command,
    "ladder-table": ladder_table,
    "lesson-samples": lesson_samples,
    "seeds-table": seeds_table,
    "stability-table": stability_table,
    "line-ends-table": line_ends_table,
    "form-table": form_table,
    "form-summary": form_summary,
    "form-samples": form_samples,
    "form-sweep": sweep_table,
    "form-long-curve": form_long_curve,
    "attention-reading": attention_reading,
}


# --- 文档字符串 ------------------------------------------------------------------------------------------

def default_line(n):
    row = next(row for row in ladder() if row["lesson"] == n)
    train_loss, val_loss = final(row)
    return (f"默认设置下（2 核 CPU，约 {row['seconds']:.0f} 秒，{row['ratio']:.1f} R）："
            f"验证集损失 {val_loss:.4f}，训练损失 {train_loss:.4f}。")


def cpu_recipe_line():
    f = facts()
    return (f"CPU 配方下（2 核 CPU，{f['cpu_minutes']}，{f['cpu_r']} R）：验证集损失 {f['cpu_val']}，训练损失 {f['cpu_train']}，"
            f"比入门脚本数出来的 bigram（{f['bigram_val']}）低 {f['below_bigram']}。")


def gpu_recipe_line():
    f = facts()
    return (f"GPU 配方下（v12 同样的模型和训练，一块 H200 上 {v12.Config().max_iters} 步，整条命令 {f['gpu_seconds']} 秒）：验证集损失 {f['gpu_val']}，"
            f"训练损失 {f['gpu_train']}。")


def parameters_line():
    f = facts()
    return (f"参数（{f['gpu_params']}）是 v10（{f['v10_params']}）的 {f['gpu_vs_v10']} 倍：字向量表和 lm_head 里 "
            f"{f['gpu_params_table']}，6 个 Block 里 {f['gpu_params_blocks']}。")


DOC_LINES = {  # 文件 -> {一行的开头: 写出整行}
    **{file: {"默认设置下（": functools.partial(default_line, n)} for n, file, _ in LESSONS[:10]},
    "babygpt_v11_hyper_params.py": {"GPU 配方下（": gpu_recipe_line, "参数（": parameters_line},
    "babygpt_v12_wandb.py": {"CPU 配方下（": cpu_recipe_line},
}


def render_docstring(file, source):
    """一个文件：文档字符串里“试一试”的答案和 DOC_LINES 的整行换成按运行记录写的（只动文档字符串）。"""
    lines = source.split("\n")
    end = next(i for i, line in enumerate(lines) if i > 0 and line.rstrip().endswith('"""'))
    answers = {line: f"{line.split('  # ')[0]}  # {try_answer(command)}" for line, command in exercises(file)}
    keyed = DOC_LINES.get(file, {})
    for i in range(end):
        if lines[i] in answers:
            lines[i] = answers[lines[i]]
        for start, render in keyed.items():
            if lines[i].startswith(start):
                lines[i] = render()
    return "\n".join(lines)


# --- 整页 ---------------------------------------------------------------------------------------------------

def render_page(text):
    """一页 markdown：每一段、每一个数都按运行记录重写。"""
    values = facts()
    text = BLOCK.sub(lambda m: m.group(0) if m.group(2) in HAND_WRITTEN else f"{m.group(1)}{BLOCKS[m.group(2)]()}\n{m.group(4)}", text)
    return INLINE.sub(lambda m: m.group(1) + values[m.group(2)] + m.group(4), text)


def rendered():
    """{文件: 按运行记录写出的全文}：页面和有“试一试”的脚本。"""
    out = {page: render_page((ROOT / page).read_text(encoding="utf-8")) for page in PAGES}
    for file in {*STATIONS.values(), *DOC_LINES}:
        if (ROOT / file).exists():
            out[file] = render_docstring(file, (ROOT / file).read_text(encoding="utf-8"))
    return out


def stale():
    """和运行记录对不上的文件：[文件]。"""
    return [file for file, text in rendered().items() if (ROOT / file).read_text(encoding="utf-8") != text]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="按运行记录改写页面")
    args = parser.parse_args(argv)
    texts = rendered()
    changed = [file for file, text in texts.items() if (ROOT / file).read_text(encoding="utf-8") != text]
    if args.write:
        for file in changed:
            (ROOT / file).write_text(texts[file], encoding="utf-8")
    for file in changed:
        print(f"{'已改写' if args.write else '和运行记录对不上'}：{file}")
    print("页面都是最新的" if not changed else f"{len(changed)} 个文件{'已改写' if args.write else '过时了'}")
    return 0 if args.write or not changed else 1


if __name__ == "__main__":
    sys.exit(main())
