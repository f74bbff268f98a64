"""把每一课按默认设置完整跑一遍，量出验证集损失、用时（秒，以及时间单位 R 的倍数），画出学习曲线。

全部跑一遍要半个多小时：
    python tools/benchmark_lessons.py                      # R，再加 v1-v10 的默认设置：表格 + docs/ladder.png
    python tools/benchmark_lessons.py --repeat 3           # 整个跑 3 遍（每遍都先量 R），用时取中位数
    python tools/benchmark_lessons.py --lessons 1 4 10     # 只跑其中几课
    python tools/benchmark_lessons.py --extra "--max_iters 500"   # 给每一课追加参数（调参用，不画图）
    python tools/benchmark_lessons.py --tries              # 只跑每一课文档字符串里“试一试”的命令
    python tools/benchmark_lessons.py --seeds 1 2          # 只跑 v1、v4、v6、v7 换种子
    python tools/benchmark_lessons.py --stability          # 只跑 v5-v10，步数是默认的 4 倍（再加 v6 把余弦也拉长的一次）
    python tools/benchmark_lessons.py --cpu_recipe         # 只跑 R 和 v12 的 CPU 配方（README 的快速开始）
    python tools/benchmark_lessons.py --write              # 同时把量出的数字写回表格（README 和 docs/ 里的）和文档字符串
    python tools/benchmark_lessons.py --from_json r.json   # 不重跑，用 --json r.json 存下的结果（任何一种）写回
    python tools/benchmark_lessons.py --from_json a.json b.json c.json   # 默认设置跑过几遍：用时取中位数再写回
每一课都在单独的子进程里运行，和学习者在终端里运行完全一样；一次只跑一个，用时才准。

时间单位 R：v1 跑原课程 v1 的工作量（下面的 R_COMMAND）所花的时间，和各课在同一次运行里量，
所以“几 R”在快慢不同的机器上、同一台机器忙闲不同的日子里都可以比。
"""

import argparse
import ast
import difflib
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = [
    (1, "babygpt_v1.py", "字向量 + lm_head：神经网络版的 bigram"),
    (2, "babygpt_v2_position.py", "位置向量"),
    (3, "babygpt_v3_self_attention.py", "单头因果自注意力"),
    (4, "babygpt_v4_multihead_attention.py", "多头注意力"),
    (5, "babygpt_v5_feedforward.py", "前馈网络（MLP）"),
    (6, "babygpt_v6_block.py", "Block，叠 n_layer 层"),
    (7, "babygpt_v7_residual_connection.py", "残差连接"),
    (8, "babygpt_v8_projection.py", "多头之后的投影层"),
    (9, "babygpt_v9_layer_norm.py", "LayerNorm（pre-norm）"),
    (10, "babygpt_v10_dropout.py", "Dropout"),
    (11, "babygpt_v11_hyper_params.py", "GPU 规模的超参数"),
    (12, "babygpt_v12_wandb.py", "wandb 记录 + 检查点 + 续训"),
]
R_COMMAND = ("babygpt_v1.py --device cpu --max_iters 5000 --block_size 8 --batch_size 32 --n_embed 32 "
             "--eval_iters 100 --eval_interval 200 --max_new_tokens 1")
STEP_LINE = re.compile(r"step (\d+)/(\d+): train loss ([\d.]+|nan|inf), val loss ([\d.]+|nan|inf), ([\d,]+) tokens/s")
FOCUS_LINE = re.compile(r"头 \d+：当前字 ([\d.]+)，前一个字 ([\d.]+)")  # tools/attention_focus.py 打印的
PRIMER_LINE = re.compile(r"(训练集|验证集)平均负对数似然（NLL）：([\d.]+)")
SEED_LESSONS = (1, 4, 6, 7)  # 换种子也要成立：v4 < v1、v7 < v6
DEFAULT_LINE = re.compile(r"默认设置下（2 核 CPU，约 \d+ 秒，[\d.]+ R）：验证集损失 ([\d.]+)，训练损失 ([\d.]+)")


def code_lines(file):
    """去掉模块开头的文档字符串之后的代码行（文档字符串每课都不同，不算在概念的 diff 里）。"""
    source = (ROOT / file).read_text(encoding="utf-8")
    return source.splitlines()[ast.parse(source).body[0].end_lineno :]


def diff_size(a, b):
    """两课的代码之间改动了多少行（加的行 + 删的行，不含文档字符串）。"""
    diff = difflib.unified_diff(code_lines(a), code_lines(b), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def run_curve(file, extra, threads=None):
    """运行一个脚本（课程或入门脚本），返回 {"seconds": 秒数, "curve": [(步数, 训练损失, 验证损失, tokens/s), ...]}。
    入门脚本没有训练步，curve 只有一行 (0, 训练集 NLL, 验证集 NLL, 0)。
    threads 给定时用这么多个 CPU 线程（OMP_NUM_THREADS）；损失在同样的线程数下逐位相同。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    cmd = [sys.executable, str(ROOT / file), *extra]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    seconds = time.perf_counter() - t0
    curve = [(int(s), float(tr), float(va), int(tps.replace(",", ""))) for s, _, tr, va, tps in STEP_LINE.findall(proc.stdout)]
    nll = dict(PRIMER_LINE.findall(proc.stdout))
    if not curve and len(nll) == 2:
        curve = [(0, float(nll["训练集"]), float(nll["验证集"]), 0)]
    if proc.returncode != 0 or not curve:
        raise RuntimeError(f"{file} {' '.join(extra)} 运行失败：\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    focus = FOCUS_LINE.findall(proc.stdout)
    focus = [(float(a), float(b)) for a, b in focus[len(focus) // 2 :]]  # 训练之前、之后各打印一遍：要之后的
    return {"seconds": seconds, "curve": curve, "focus": focus}


def tries(file):
    """一课文档字符串里“试一试”下面的命令：[(整行, 命令)]。命令是缩进的 python 行，# 之后是量出的数字。"""
    lines = ast.get_docstring(ast.parse((ROOT / file).read_text(encoding="utf-8")), clean=False).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("试一试")]  # 以“试一试”开头的那一段
    found = []
    for line in lines[starts[0] + 1 :] if starts else []:
        if not line.strip():
            break
        if line.strip().startswith("python "):
            found.append((line, line.split("#")[0].strip()))
    return found


def describe(result):
    """一次运行的结果写成一句话，和文档字符串里“试一试”命令后面的注释一样。"""
    _, train_loss, val_loss, _ = result["curve"][-1]
    text = f"验证集 {val_loss:.2f}，训练集 {train_loss:.2f}"
    worst = max(v for _, _, v, _ in result["curve"])
    if worst > result["curve"][0][2]:  # 中途比刚初始化时（ln V）还差：训练一度失控
        text += f"；中途最高 {worst:,.0f}"
    if result.get("focus"):  # 每个头放在当前字、前一个字上的注意力
        text += "；当前字/前一个字 " + "、".join(f"{a:.2f}/{b:.2f}" for a, b in result["focus"])
    return text


def write_back(file, replacements):
    """把文档字符串里的旧行换成新行（整行比较，只动文档字符串）。旧文字不是一整行时，换掉含它的那一行里的这一段。"""
    path = ROOT / file
    source = path.read_text(encoding="utf-8")
    end = ast.parse(source).body[0].end_lineno
    lines = source.splitlines(keepends=True)
    doc = [line.rstrip("\n") for line in lines[:end]]
    for old, new in replacements:
        hits = [i for i, line in enumerate(doc) if line == old] or [i for i, line in enumerate(doc) if old in line]
        assert len(hits) == 1, (file, old)
        doc[hits[0]] = doc[hits[0]].replace(old, new)
    path.write_text("\n".join(doc) + "\n" + "".join(lines[end:]), encoding="utf-8")


def measure_r():
    result = run_curve(R_COMMAND.split()[0], R_COMMAND.split()[1:])
    print(f"R = {result['seconds']:.1f}s（python {R_COMMAND}）", flush=True)
    return result["seconds"]


def ladder(args):
    """R 和各课的默认设置。返回每课的结果。"""
    r = measure_r()
    rows = []
    print("| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时 | 用时（R） | 训练 tokens/s |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for n, file, idea in LESSONS:
        diff = diff_size(LESSONS[n - 2][1], file) if n > 1 else 0
        if n not in args.lessons:
            if n >= 11:  # GPU 规模的默认值，在 CPU 上要跑几个小时：只列出 diff 行数
                print(f"| `{file}` | {idea} | {diff} | （GPU 配方，见下文） | | | | |")
            continue
        result = run_curve(file, args.extra.split())
        _, train_loss, val_loss, tps = result["curve"][-1]
        rows.append({"lesson": n, "file": file, "idea": idea, "diff": diff, "r": r, **result})
        seconds = result["seconds"]
        print(f"| `{file}` | {idea} | {diff if n > 1 else '—'} | {val_loss:.4f} | {train_loss:.4f} | {seconds:.0f}s | "
              f"{seconds / r:.2f} | {tps:,} |", flush=True)
    total = sum(row["seconds"] for row in rows)
    print(f"合计 {total:.0f}s = {total / r:.1f} R", flush=True)
    return rows


def median_of_runs(runs):
    """默认设置跑了几遍（每遍都先量 R）：损失必须逐位相同；每课的用时取中位数，秒数和 R 的倍数各取各的，
    因为每遍的 R 只和同一遍的各课比。合计也是先每遍加起来，再取中位数。"""
    losses = [[[(s, tr, va) for s, tr, va, _ in row["curve"]] for row in rows] for rows in runs]
    assert all(run == losses[0] for run in losses), "几遍的损失不一样：线程数不同？"
    totals = [sum(row["seconds"] for row in rows) for rows in runs]
    combined = []
    for i, row in enumerate(runs[0]):
        combined.append({
            **row,
            "seconds": statistics.median(rows[i]["seconds"] for rows in runs),
            "ratio": statistics.median(rows[i]["seconds"] / rows[i]["r"] for rows in runs),
            "r": statistics.median(rows[i]["r"] for rows in runs),
            "runs": len(runs),
            "total_seconds": statistics.median(totals),
            "total_ratio": statistics.median(total / rows[0]["r"] for total, rows in zip(totals, runs)),
        })
    return combined


def table_markdown(rows):
    r, runs = rows[0]["r"], rows[0].get("runs", 1)
    unit = f"R = {r:.0f}s" if runs == 1 else f"{runs} 遍的中位数，R ≈ {r:.0f}s"
    lines = [f"| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时 | 用时（{unit}） |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        _, train_loss, val_loss, _ = row["curve"][-1]
        diff = row["diff"] if row["lesson"] > 1 else "—"
        lines.append(f"| `{row['file']}` | {row['idea']} | {diff} | {val_loss:.4f} | {train_loss:.4f} | "
                     f"{row['seconds']:.0f}s | {row['ratio']:.2f} |")
    for n, file, idea in LESSONS[10:]:
        lines.append(f"| `{file}` | {idea} | {diff_size(LESSONS[n - 2][1], file)} | （GPU 配方，见下文） | | | |")
    lines.append(f"| 合计（v1–v10） | | | | | {rows[0]['total_seconds']:.0f}s | {rows[0]['total_ratio']:.1f} |")
    line_ends = load_line_ends()
    return with_line_ends("\n".join(lines), line_ends) if line_ends else "\n".join(lines)


LINE_ENDS_JSON = ROOT / "docs" / "runs" / "line_ends.json"  # tools/line_ends.py 量的：每一课在哪里断句
LINE_ENDS_HEADER = "断句：猜中 / 误报"


def with_line_ends(table, line_ends):
    """给梯子表加上（或换掉）最后一列（tools/line_ends.py）：验证集的断句处，模型最可能的下一个字是标点的比例（猜中），
    和句中它却猜标点的比例（误报）。line_ends 是 {文件名: 这一格的文字}；没有这一课的行（v11、v12、合计）留空。"""
    lines = table.splitlines()
    had = LINE_ENDS_HEADER in lines[0]
    out = []
    for i, line in enumerate(lines):
        cells = line.split("|")[1:-1]
        if had:
            cells = cells[:-1]
        if i == 0:
            cells.append(f" {LINE_ENDS_HEADER} ")
        elif i == 1:
            cells.append("---:")
        else:
            file = cells[0].strip().strip("`")
            cells.append(f" {line_ends[file]} " if file in line_ends else " ")
        out.append("|" + "|".join(cells) + "|")
    return "\n".join(out)


def load_line_ends():
    if not LINE_ENDS_JSON.exists():
        return {}
    rows = json.loads(LINE_ENDS_JSON.read_text(encoding="utf-8"))
    return line_end_cells(rows)


def line_end_cells(rows):
    """tools/line_ends.py 的结果 -> {文件名: "猜中 / 误报"}。"""
    return {LESSONS[row["lesson"] - 1][1]: f"{row['recall']:.2f} / {row['false_alarm']:.2f}" for row in rows if "lesson" in row}


def draw(rows, out):
    """十课的验证集损失曲线画在一张图上。"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from attention_heatmap import use_cjk_font  # 仓库自带的中文字体

    use_cjk_font()
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    colors = plt.get_cmap("tab10").colors
    for row, color in zip(rows, colors):
        steps = [s for s, _, _, _ in row["curve"][1:]]  # 第 0 步都是 ln V，略去，纵轴才看得清
        vals = [v for _, _, v, _ in row["curve"][1:]]
        style = "--" if row["lesson"] in (3, 5, 6) else "-"
        ax.plot(steps, vals, style, color=color, label=f"v{row['lesson']} {row['idea']}（{vals[-1]:.2f}）")
    ax.set_xlabel("训练步数")
    ax.set_ylabel("验证集损失（交叉熵，nats/字）")
    ax.set_title("十课的验证集损失：默认设置，同一个种子")
    lowest = min(v for row in rows for _, _, v, _ in row["curve"][1:])
    ax.set_ylim(lowest - 0.05, lowest + 1.3)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=8, ncol=2)  # 图例放在图下面，不挡曲线
    fig.savefig(out, dpi=100)
    print(f"已画出 {out}", flush=True)


def run_tries(args):
    rows, done = [], {}
    for n, file, _ in LESSONS[:10]:
        if n not in args.lessons:
            continue
        for _, command in tries(file):
            script, *extra = shlex.split(command)[1:]
            if command not in done:  # 几课里出现的同一条命令只跑一次
                done[command] = run_curve(script, extra, args.threads)
            result = done[command]
            rows.append({"lesson": n, "try": command, **result})
            print(f"v{n}: {command}  ->  {describe(result)}（{result['seconds']:.0f}s）", flush=True)
    return rows


def write_tries(rows):
    """把“试一试”每条命令后面的注释换成这次量出的数字。"""
    for row in rows:
        file = LESSONS[row["lesson"] - 1][1]
        for line, command in tries(file):
            if command == row["try"]:
                indent = line[: len(line) - len(line.lstrip())]
                write_back(file, [(line, f"{indent}{command}  # {describe(row)}")])


def measured_default(file):
    """一课文档字符串里写着的默认设置的验证集损失（由 ladder 的 --write 写进去）。"""
    return float(DEFAULT_LINE.search((ROOT / file).read_text(encoding="utf-8")).group(1))


def seeds_markdown(rows):
    table = {1337: {n: measured_default(LESSONS[n - 1][1]) for n in SEED_LESSONS}}  # 默认的种子：文档字符串里的数
    for row in rows:
        table.setdefault(row["seed"], {})[row["lesson"]] = row["curve"][-1][2]
    lines = ["| 种子 | v1 | v4 | v6 | v7 | v4 − v1 | v7 − v6 |", "|---|---:|---:|---:|---:|---:|---:|"]
    for seed, v in table.items():
        if len(v) == len(SEED_LESSONS):
            name = f"{seed}（默认，2 个线程）" if seed == 1337 else str(seed)
            lines.append(f"| {name} | {v[1]:.4f} | {v[4]:.4f} | {v[6]:.4f} | {v[7]:.4f} | {v[4] - v[1]:+.4f} | {v[7] - v[6]:+.4f} |")
    return "\n".join(lines)


def stability_markdown(rows):
    lines = ["| 课 | 默认 4000 步的验证集损失 | 16000 步的验证集损失 | 训练损失 | 差 |", "|---|---:|---:|---:|---:|"]
    for row in sorted(rows, key=lambda row: (row["lesson"], row["extra"])):
        default = measured_default(LESSONS[row["lesson"] - 1][1])
        _, train_loss, val_loss, _ = row["curve"][-1]
        name = f"v{row['lesson']}" + (f"，`{row['extra']}`" if row["extra"] else "")
        lines.append(f"| {name} | {default:.4f} | {val_loss:.4f} | {train_loss:.4f} | {val_loss - default:+.4f} |")
    return "\n".join(lines)


PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]  # 表可能在 README 里，也可能在 docs/ 的证据页里


def read_table(name):
    """<!-- name --> 和 <!-- /name --> 之间现在的内容（不含首尾的换行）。"""
    text = next(page.read_text(encoding="utf-8") for page in PAGES if f"<!-- {name} -->" in page.read_text(encoding="utf-8"))
    return text.split(f"<!-- {name} -->")[1].split(f"<!-- /{name} -->")[0].strip("\n")


def write_table(name, markdown):
    """把 <!-- name --> 和 <!-- /name --> 之间的内容换成 markdown：哪一页有这对标记就写哪一页（只能有一页）。"""
    start, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    pages = [page for page in PAGES if start in page.read_text(encoding="utf-8")]
    assert len(pages) == 1, f"{start} 应该正好在一页里，现在在 {pages}"
    text = pages[0].read_text(encoding="utf-8")
    i, j = text.index(start) + len(start), text.index(end)
    pages[0].write_text(text[:i] + "\n" + markdown + "\n" + text[j:], encoding="utf-8")


def run_seeds(args):
    rows = []
    for seed in args.seeds:
        for n in SEED_LESSONS:
            result = run_curve(LESSONS[n - 1][1], ["--seed", str(seed)], args.threads)
            rows.append({"lesson": n, "seed": seed, **result})
            print(f"--seed {seed} v{n}: {describe(result)}", flush=True)
    return rows


def run_stability(args):
    """v5-v10 训练 4 倍长，其余不变；再加一行 v6 把余弦衰减也拉长到 4 倍（高学习率持续得更久）时的样子。"""
    import babygpt_v1

    rows = []
    longer = 4 * babygpt_v1.Config.max_iters
    jobs = [(n, "") for n in range(5, 11)] + [(6, f"--lr_decay_iters {longer}")]
    for n, extra in jobs:
        if n in args.lessons:
            command = ["--max_iters", str(longer), "--eval_interval", "1000", *extra.split()]
            result = run_curve(LESSONS[n - 1][1], command, args.threads)
            rows.append({"lesson": n, "max_iters": longer, "extra": extra, **result})
            print(f"v{n} --max_iters {longer} {extra}: {describe(result)}（{result['seconds']:.0f}s）", flush=True)
    return rows


def run_cpu_recipe(args):
    """R，然后是 README 快速开始里的 v12 CPU 配方（检查点写到 --ckpt_path，画注意力图要用它）。"""
    import babygpt_v12_wandb

    r = measure_r()
    command = [*babygpt_v12_wandb.CPU_RECIPE.split(), "--ckpt_path", args.ckpt_path]
    result = run_curve("babygpt_v12_wandb.py", command, args.threads)
    print(f"v12 CPU 配方：{describe(result)}，{result['seconds']:.0f}s = {result['seconds'] / r:.1f} R", flush=True)
    return [{"r": r, "command": babygpt_v12_wandb.CPU_RECIPE, **result}]


def update_docs(rows):
    """README 的表格和各课文档字符串里“默认设置下……”那一句，换成这次量出的数字。"""
    write_table("ladder-table", table_markdown(rows))
    for row in rows:
        _, train_loss, val_loss, _ = row["curve"][-1]
        path = ROOT / row["file"]
        old = DEFAULT_LINE.search(path.read_text(encoding="utf-8"))
        if old:
            new = (f"默认设置下（2 核 CPU，约 {row['seconds']:.0f} 秒，{row['ratio']:.1f} R）："
                   f"验证集损失 {val_loss:.4f}，训练损失 {train_loss:.4f}")
            write_back(row["file"], [(old.group(0), new)])


def write(runs):
    """按结果的种类写回：“试一试”的注释、换种子的表、训练 4 倍长的表，或者默认设置的表 + 图 + 文档字符串
    （默认设置跑了几遍时，用时取中位数）。v12 的 CPU 配方不写回。"""
    rows = runs[0]
    if "try" in rows[0]:
        write_tries(rows)
    elif "seed" in rows[0]:
        write_table("seeds-table", seeds_markdown(rows))
    elif "max_iters" in rows[0]:
        write_table("stability-table", stability_markdown(rows))
    elif [row.get("lesson") for row in rows] == list(range(1, 11)):  # 只跑了其中几课时不写：表要完整
        rows = median_of_runs(runs)
        draw(rows, ROOT / "docs" / "ladder.png")
        update_docs(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)), help="跑哪几课（默认 1-10）")
    parser.add_argument("--extra", default="", help="追加给每一课的参数（给了它就不画图、不写回）")
    parser.add_argument("--repeat", type=int, default=1, help="默认设置整个跑几遍（每遍先量 R），用时取中位数")
    parser.add_argument("--tries", action="store_true", help="只跑“试一试”的命令")
    parser.add_argument("--seeds", type=int, nargs="*", help="只跑 v1、v4、v6、v7 换这些种子")
    parser.add_argument("--stability", action="store_true", help="只跑 v5-v10，步数是默认的 4 倍")
    parser.add_argument("--cpu_recipe", action="store_true", help="只跑 R 和 v12 的 CPU 配方（README 快速开始里的那条命令）")
    parser.add_argument("--ckpt_path", default="model.pth", help="--cpu_recipe 的检查点写到哪里（默认：model.pth）")
    parser.add_argument("--write", action="store_true", help="把量出的数字写回 README、docs/ 的表和文档字符串，重画 docs/ladder.png")
    parser.add_argument("--threads", type=int, help="子进程用几个 CPU 线程（默认由 PyTorch 决定）")
    parser.add_argument("--json", help="把结果另存为 JSON")
    parser.add_argument("--from_json", nargs="+", help="不重跑：读之前 --json 存下的结果，画图、写回；"
                        "默认设置的结果可以给几个文件，用时取中位数")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))

    if args.from_json:  # 每个文件存的是一遍或几遍的结果
        runs = [run for file in args.from_json for run in json.loads(Path(file).read_text(encoding="utf-8"))]
        write(runs)
        return
    if args.tries:
        runs = [run_tries(args)]
    elif args.seeds:
        runs = [run_seeds(args)]
    elif args.stability:
        runs = [run_stability(args)]
    elif args.cpu_recipe:
        runs = [run_cpu_recipe(args)]
    else:
        runs = [ladder(args) for _ in range(args.repeat)]
    if args.json:  # 先存下结果（每一遍都存），写回出了问题也不丢
        Path(args.json).write_text(json.dumps(runs, ensure_ascii=False, indent=1), encoding="utf-8")
    if args.write and not args.extra:
        write(runs)

if __name__ == "__main__":
    main()
