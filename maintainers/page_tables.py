"""页面上的一段：表、例子、命令，写在 <!-- 名字 --> 和 <!-- /名字 --> 之间，由 BLOCKS[名字] 写出。"""

import re
import statistics

from course import LESSONS, SAMPLER
from code_diff import diff_size
from page_facts import facts
import page_meter
from page_records import cpu_recipe_model, final, ladder, run, seed_table, sweep, tries
from page_words import heads_text, minutes
from runs import r_per_step

import babygpt_sample_with_kvcache as sampler  # noqa: E402
import scaffold  # noqa: E402

TRY_RECIPES = ("基准", "更深", "块长128", "GPU规模")  # v11 的“试一试”比的四套（learners/form_sweep.py 的 RECIPES）



def ladder_table(rows=None):
    """README 的梯子表。合计是这一列各课（四舍五入后的）中位数的和：表的这一列加起来正好是合计。"""
    rows = rows or ladder()
    ends = {row["lesson"]: f"{row['recall']:.2f} / {row['false_alarm']:.2f}" for row in run("line_ends.json") if "lesson" in row}
    lines = [f"| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时（秒） | 用时（R，1 R ≈ {rows[0]['r']:.0f} 秒） | 断句：猜中 / 误报 |",
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
    table = seed_table()
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
    """README 的小表：天花板、README 的模型、地板：整首 / 逐句（8 个词牌平均）、平仄 / 押韵、不同的字占多少。
    练得更久的那一次是上一台机器上量的，只在 docs/form.md 里（带来历）。"""
    results = results or [run("form_check.json")]
    c, f = results[0]["ceiling"], results[0]["floor"]

    def meter(r):
        return " | ".join("—" if r.get(key) is None else f"{r[key]:.2f}" for key in ("tone", "rhyme"))

    lines = ["| 谁写的（8 个词牌） | 整首合格式 | 逐句得分 | 平仄 | 押韵 | 不同的字占 |", "|---|---:|---:|---:|---:|---:|",
             f"| 验证集里的真词（天花板） | {c['whole']:.2f} | {c['phrase']:.2f} | {meter(c)} | {c['distinct']:.2f} |"]
    for result in results:
        m = result["model"]
        lines.append(f"| {who(result)}（温度 {result.get('temperature', 0.8):g}，训练 {result['step']} 步，"
                     f"验证集损失 {result['val_loss']:.4f}） | **{m['whole']:.2f}** | **{m['phrase']:.2f}** | {meter(m)} | {m['distinct']:.2f} |")
    lines.append(f"| 入门脚本数出来的 bigram（地板） | {f['whole']:.2f} | {f['phrase']:.2f} | {meter(f)} | {f['distinct']:.2f} |")
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
    lines = ["| 步数 | 训练时间 | 验证集损失 | 逐句 | 整首 |", "|---:|---:|---:|---:|---:|"]
    for p in long["curve"][1:]:
        lines.append(f"| {p['step']} | {p['step'] * r_per_step(long):.1f} R | {p['val_loss']:.4f} | {p['phrase']:.2f} | {p['whole']:.2f} |")
    return "\n".join(lines)


def attention_reading():
    row = tries()["python learners/attention_heatmap.py"]
    text = f"这是快速开始训练出的模型读“大江东去，浪淘尽，千古风流人物。”：{heads_text(row['heads'])}。"
    if max(h["punct"] or 0 for h in row["heads"]) > 0.5:
        text += "\n看最近的标点，就是看“这一句从哪里开始”：数一句已经写了几个字、该不该收，要靠它。"
    return text


VENV = "python3 -m venv .venv && . .venv/bin/activate"  # .ci/run 也一字不差地这样建虚拟环境
CPU_TORCH = 'pip install "torch>=2.1,<2.15" --index-url https://download.pytorch.org/whl/cpu'
TESTS = "pip install -r requirements.txt && python -m pytest -q tests"  # .ci/run 一字不差地运行它


def quick_start(english=False):
    """快速开始：先建虚拟环境（系统自带的 Python 常常不让 pip 往里装），只有 CPU 的先装 CPU 版 torch，
    再是两条命令。CPU 配方就是 scaffold.CPU_RECIPE（每一课在 CPU 上推荐的也是它）。"""
    f = facts()
    if english:
        notes = ["# 0. Once: make a virtual environment and enter it (a stock Python refuses a global pip install)",
                 "# CPU-only Linux/Windows: the CPU build of torch first (about 200 MB), or pip pulls a CUDA build of several GB",
                 f"# 1. Install, train v12 with the CPU recipe ({f['cpu_minutes_en']} minutes on 2 cores), then write with the sampler",
                 "# 2. Install and run the tests"]
    else:
        notes = ["# 0. 只做一次：建一个虚拟环境并进入它（系统自带的 Python 常常不让 pip 往系统里装）",
                 "# 只有 CPU 的 Linux / Windows：先装 CPU 版的 torch（约 200 MB），不然下面的 pip 会下载几个 GB 的 CUDA 版",
                 f"# 1. 安装，训练 v12（CPU 配方，2 核 CPU 上 {f['cpu_minutes']}），再用 KV 缓存采样器写词",
                 "# 2. 安装，运行全部测试"]
    train = f"pip install -r requirements.txt && python babygpt_v12_wandb.py {scaffold.CPU_RECIPE} && python {SAMPLER}"
    return f"```bash\n{notes[0]}\n{VENV}\n{notes[1]}\n{CPU_TORCH}\n\n{notes[2]}\n{train}\n\n{notes[3]}\n{TESTS}\n```"


def resume_command():
    return f"```bash\npython babygpt_v12_wandb.py {scaffold.CPU_RECIPE} --resume && python {SAMPLER}\n```"


def ddp_start_table():
    """开始训练之前的时间和内存：语料 1 倍、10 倍；改之前、现在第一次、现在之后（docs/runs/ddp.json）。"""
    rows = run("ddp.json")["start_up"]
    cells = {(row["times"], row["version"]): f"{row['seconds']:.1f} 秒，{row['peak_mb']:,.0f} MB" for row in rows}
    sizes = {row["times"]: row["corpus_mb"] for row in rows}
    lines = ["| 语料 | 改之前：每个进程把整部语料编码成 int64 张量 | 现在，第一次：编码、写文件 | 现在，之后：映射文件 |", "|---|---:|---:|---:|"]
    for times, mb in sizes.items():
        lines.append(f"| {times} 倍（{mb:g} MB） | {cells[times, 'before']} | {cells[times, 'first']} | {cells[times, 'mapped']} |")
    return "\n".join(lines)


def ddp_speed_table():
    """2 个进程 × 1 个线程和 1 个进程 × 2 个线程：tokens/s 取几遍的中位数；同样步数的损失每遍逐位相同。"""
    repeats = run("ddp.json")["speed"]
    lines = [f"| 2 个核怎么用 | tokens/s（{len(repeats)} 遍的中位数） | 每步的字 | {repeats[0][0]['steps']} 步后的验证集损失 | 训练损失 |",
             "|---|---:|---:|---:|---:|"]
    for i, row in enumerate(repeats[0]):
        assert all(rows[i]["val_loss"] == row["val_loss"] for rows in repeats), "几遍的损失不一样"
        speed = statistics.median(rows[i]["tokens_per_sec"] for rows in repeats)
        label = "1 个进程 × 2 个线程" if row["layout"] == "1 × 2" else "2 个进程 × 1 个线程（torchrun）"
        recipe = cpu_recipe_model().config  # 每个进程每步 batch_size 段 × block_size 字
        tokens = recipe.batch_size * recipe.block_size * (2 if row["layout"] == "2 × 1" else 1)
        lines.append(f"| {label} | {speed:,.0f} | {tokens:,} | {row['val_loss']:.4f} | {row['train_loss']:.4f} |")
    return "\n".join(lines)


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
    "ddp-start": ddp_start_table,
    "ddp-speed": ddp_speed_table,
    **page_meter.BLOCKS,
}

