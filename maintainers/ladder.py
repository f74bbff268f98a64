"""把每一课按默认设置完整跑一遍，量出验证集损失、用时（秒，以及时间单位 R 的倍数），画出学习曲线；
也跑学习路径上每一站的“试一试”，和 v12 的 CPU 配方。

全部跑一遍要半个多小时：
    python tools/benchmark_lessons.py --r                  # 只量这台机器的 R（一分钟上下）
    python tools/benchmark_lessons.py                      # R，再加 v1-v10 的默认设置：表格 + docs/ladder.png
    python tools/benchmark_lessons.py --repeat 3           # 整个跑 3 遍（每遍都先量 R），用时取中位数
    python tools/benchmark_lessons.py --lessons 1 4 10     # 只跑其中几课
    python tools/benchmark_lessons.py --extra "--max_iters 500"   # 给每一课追加参数（调参用，不画图）
    python tools/benchmark_lessons.py --tries              # 只跑每一站文档字符串里“试一试”的命令（STATIONS）
    python tools/benchmark_lessons.py --seeds 1337 1 2 --threads 1   # 只跑 v1、v4、v6、v7、v9、v10 换种子
    python tools/benchmark_lessons.py --stability          # 只跑 v5-v10，步数是默认的 4 倍（再加 v6 把余弦也拉长的一次）
    python tools/benchmark_lessons.py --cpu_recipe --interrupt_at 2920   # R 和 v12 的 CPU 配方；再中途按 Ctrl-C、续训一遍
    python tools/benchmark_lessons.py --write              # 同时把量出的数字写回表格（README 和 docs/ 里的）和文档字符串
    python tools/benchmark_lessons.py --from_json r.json   # 不重跑，用 --json r.json 存下的结果（任何一种）写回
    python tools/benchmark_lessons.py --from_json a.json b.json c.json   # 默认设置跑过几遍：用时取中位数再写回
每一课都在单独的子进程里运行，和学习者在终端里运行完全一样；一次只跑一个，用时才准。
存下的结果放在 docs/runs/（ladder.json、tries.json、seeds.json、stability.json、cpu_recipe.json），
tests/test_numbers.py 检查 README、docs/ 和文档字符串里引用的数都和它们一致。

时间单位 R：本仓库的 v1 跑原课程（github.com/simpx/buildyourownllm）的 babygpt_v1.py 的工作量
（5000 步、每批 32 段 × 8 个字、32 维，见 common.R_COMMAND）所花的时间，和各课在同一次运行里量，
所以“几 R”在快慢不同的机器上、同一台机器忙闲不同的日子里都可以比。
"""

import argparse
import ast
import json
import math
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import (LESSONS, ROOT, diff_size, machine, measure_r, minutes, run_curve, run_script, use_cjk_font, write_back,
                    write_table)

SEED_LESSONS = (1, 4, 6, 7, 9, 10)  # 换种子也要成立：v4 < v1、v7 < v6；v10 − v9（dropout 的代价）随种子变多少
DEFAULT_LINE = re.compile(r"默认设置下（2 核 CPU，约 \d+ 秒，[\d.]+ R）：验证集损失 ([\d.]+)，训练损失 ([\d.]+)")


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


def loss_text(loss):
    """损失写成两位小数；失控到几百以上的，写成带千分位的整数。"""
    return f"{loss:,.0f}" if math.isfinite(loss) and loss >= 100 else f"{loss:.2f}"


def describe(result):
    """一次运行的结果写成一句话，和文档字符串里“试一试”命令后面的注释一样；量了用时的，最后说要几分钟。"""
    text = describe_numbers(result)
    return f"{text}；{minutes(result['seconds'])}" if "seconds" in result else text


def describe_numbers(result):
    """一次运行量出的数（不含用时）。"""
    if result.get("kind") == "compare":  # 采样器的 --compare：跑了几遍，加速比取中位数
        speedups = sorted(result["speedups"])
        same = "逐字相同" if result["identical"] else "有不同的字！"
        return (f"加速 {statistics.median(speedups):.1f} 倍（{len(speedups)} 次的中位数，{speedups[0]:.1f}–{speedups[-1]:.1f}），"
                f"{same}")
    if result.get("kind") == "heatmap":  # 每个头放在前一个字、最近的标点上的注意力：各说最高的那个头
        heads = result["heads"]
        previous = max(heads, key=lambda h: h["previous"])
        text = f"最看前一个字的是第 {previous['layer']} 层头 {previous['head']}（{previous['previous']:.2f}）"
        marked = [h for h in heads if h.get("punct") is not None]
        if marked:
            punct = max(marked, key=lambda h: h["punct"])
            text += f"，最看最近的标点的是第 {punct['layer']} 层头 {punct['head']}（{punct['punct']:.2f}）"
        return text
    if result.get("kind") == "form":  # tools/form_check.py 打印的最后一行
        return result["line"]
    _, train_loss, val_loss, _ = result["curve"][-1]
    text = f"验证集 {loss_text(val_loss)}，训练集 {loss_text(train_loss)}"
    if not math.isfinite(val_loss):
        first = next(s for s, _, v, _ in result["curve"] if not math.isfinite(v))
        text = f"验证集 {val_loss}，训练集 {train_loss}：发散了，第 {first} 步的评估已经是 {val_loss}"
    worst = max(v for _, _, v, _ in result["curve"] if math.isfinite(v))
    if worst > result["curve"][0][2]:  # 中途比刚初始化时（ln V）还差：训练一度失控
        text += f"；中途最高 {worst:,.0f}"
    if result.get("focus"):  # 每个头放在当前字、前一个字上的注意力
        text += "；当前字/前一个字 " + "、".join(f"{a:.2f}/{b:.2f}" for a, b in result["focus"])
    return text


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
        result = run_curve(file, args.extra.split(), args.threads)
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
    因为每遍的 R 只和同一遍的各课比。合计是这一列各课中位数的和（表里这一列加起来正好是它）。"""
    losses = [[[(s, tr, va) for s, tr, va, _ in row["curve"]] for row in rows] for rows in runs]
    assert all(run == losses[0] for run in losses), "几遍的损失不一样：线程数不同？"
    combined = []
    for i, row in enumerate(runs[0]):
        combined.append({
            **row,
            "seconds": statistics.median(rows[i]["seconds"] for rows in runs),
            "ratio": statistics.median(rows[i]["seconds"] / rows[i]["r"] for rows in runs),
            "r": statistics.median(rows[i]["r"] for rows in runs),
            "runs": len(runs),
        })
    for row in combined:  # 按表里显示的（四舍五入后的）数加：表的这一列加起来正好是合计
        row["total_seconds"] = sum(round(r["seconds"]) for r in combined)
        row["total_ratio"] = sum(round(r["ratio"], 2) for r in combined)
    return combined


def table_markdown(rows):
    r, runs = rows[0]["r"], rows[0].get("runs", 1)
    unit = f"R = {r:.0f}s" if runs == 1 else f"{runs} 遍的中位数，R ≈ {r:.0f}s"
    lines = [f"| 课 | 新增的概念 | 与上一课的代码 diff 行数 | 验证集损失 | 训练损失 | 用时 | 用时（{unit}） |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        _, train_loss, val_loss, _ = row["curve"][-1]
        diff = diff_size(LESSONS[row["lesson"] - 2][1], row["file"]) if row["lesson"] > 1 else "—"  # 按现在的代码算
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
    use_cjk_font()  # 仓库自带的中文字体；它也选好了不开窗口的 Agg
    import matplotlib.pyplot as plt

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


STATIONS = ["simplebigrammodel_with_comments.py", *(file for _, file, _ in LESSONS), "babygpt_sample_with_kvcache.py",
            "tools/attention_heatmap.py", "tools/form_check.py"]  # README 学习路径的每一站：它的“试一试”在这个文件里
TRIES_JSON = ROOT / "docs" / "runs" / "tries.json"
COMPARE_REPEATS = 5  # 采样器的 --compare 一次只写几十个字，速度起伏大：跑几遍取中位数
HEAD_LINE = re.compile(r"第 (\d+) 层 · 头 (\d+)：当前字 ([\d.]+)，前一个字 ([\d.]+)(?:，最近的标点 ([\d.]+))?")


def written_by(command):
    """一条“试一试”的数由谁写：v11 的配方比较由 tools/form_sweep.py 写，v12 的续训由 --cpu_recipe 写，其余由 --tries 写。"""
    if command.startswith("python tools/form_sweep.py"):
        return "form_sweep"
    return "cpu_recipe" if "--ckpt_path try.pth" in command else "tries"


def run_try(command, threads):
    """照原样运行一条“试一试”的命令，按脚本的种类读出它打印的数。"""
    script, *extra = shlex.split(command)[1:]
    if script == "babygpt_sample_with_kvcache.py":
        speedups, identical, times = [], True, []
        for _ in range(COMPARE_REPEATS):
            out, seconds = run_script(script, extra, threads)
            speedups.append(float(re.search(r"speedup ([\d.]+)x", out).group(1)))
            identical &= "identical: yes" in out
            times.append(seconds)
        return {"kind": "compare", "speedups": speedups, "identical": identical, "seconds": statistics.median(times)}
    if script == "tools/attention_heatmap.py":
        out, seconds = run_script(script, extra, threads)
        heads = [{"layer": int(a), "head": int(b), "self": float(c), "previous": float(d), "punct": float(e) if e else None}
                 for a, b, c, d, e in HEAD_LINE.findall(out)]
        return {"kind": "heatmap", "heads": heads, "seconds": seconds}
    if script == "tools/form_check.py":
        out, seconds = run_script(script, extra, threads)
        return {"kind": "form", "line": out.strip().splitlines()[-1], "seconds": seconds}
    return run_curve(script, extra, threads)


def run_tries(args):
    """每一站的“试一试”（--lessons 给了几课时只跑那几课的），每条命令跑一遍。同一条命令在几个文件里只跑一次。"""
    chosen = [f for f in STATIONS if f not in (file for n, file, _ in LESSONS if n not in args.lessons)]
    rows, done = [], {}
    for file in chosen:
        for _, command in tries(file):
            if written_by(command) != "tries":
                continue
            if command not in done:
                done[command] = run_try(command, args.threads)
            rows.append({"file": file, "try": command, **done[command]})
            print(f"{file}: {command}  ->  {describe(done[command])}", flush=True)
    return rows


def write_tries(rows):
    """把“试一试”每条命令后面的注释换成这次量出的数字；热图默认那一句的结果也写进 README 的“注意力在看什么”。"""
    for row in rows:
        for line, command in tries(row["file"]):
            if command == row["try"]:
                indent = line[: len(line) - len(line.lstrip())]
                write_back(row["file"], [(line, f"{indent}{command}  # {describe(row)}")])
        if row["try"] == "python tools/attention_heatmap.py":
            write_table("attention-reading", attention_reading(row))


def attention_reading(row):
    """README 里读注意力图的那一段：和热图的“试一试”同一次运行、同一句话。"""
    text = f"这是快速开始训练出的模型读“大江东去，浪淘尽，千古风流人物。”：{describe_numbers(row)}。"
    if max(h["punct"] or 0 for h in row["heads"]) > 0.5:
        text += "\n看最近的标点，就是看“这一句从哪里开始”：数一句已经写了几个字、该不该收，要靠它。"
    return text


def measured_default(file):
    """一课文档字符串里写着的默认设置的验证集损失（由 ladder 的 --write 写进去）。"""
    return float(DEFAULT_LINE.search((ROOT / file).read_text(encoding="utf-8")).group(1))


LADDER_JSON = ROOT / "docs" / "runs" / "ladder.json"  # --repeat 3 --json 存下的梯子：stability 表的“默认”一列取它


def ladder_defaults(path=LADDER_JSON):
    """梯子上每一课默认设置的 (验证集损失, 训练损失)：{课: (val, train)}。"""
    return {row["lesson"]: (row["curve"][-1][2], row["curve"][-1][1]) for row in json.loads(path.read_text(encoding="utf-8"))[0]}


def by_seed(rows):
    """--seeds 的结果按种子排好：{种子: {课: 验证集损失}}。"""
    table = {}
    for row in rows:
        table.setdefault(row["seed"], {})[row["lesson"]] = row["curve"][-1][2]
    return table


def seeds_markdown(rows):
    """换种子的表：每个种子一行（都来自同一次 --seeds 运行，同样的线程数）。"""
    lines = ["| 种子 | v1 | v4 | v6 | v7 | v9 | v10 | v4 − v1 | v7 − v6 | v10 − v9 |", "|---|" + "---:|" * 9]
    for seed, v in by_seed(rows).items():
        if len(v) == len(SEED_LESSONS):
            name = f"{seed}（默认）" if seed == 1337 else str(seed)
            losses = " | ".join(f"{v[n]:.4f}" for n in SEED_LESSONS)
            lines.append(f"| {name} | {losses} | {v[4] - v[1]:+.4f} | {v[7] - v[6]:+.4f} | {v[10] - v[9]:+.4f} |")
    return "\n".join(lines)


def stability_markdown(rows, defaults):
    """训练 4 倍长的表：每一行和梯子上同一课默认设置的验证集损失（defaults，ladder_defaults() 读出的）相减。"""
    lines = ["| 课 | 默认 4000 步的验证集损失 | 16000 步的验证集损失 | 训练损失 | 差 |", "|---|---:|---:|---:|---:|"]
    for row in sorted(rows, key=lambda row: (row["lesson"], row["extra"])):
        default = defaults[row["lesson"]][0]
        _, train_loss, val_loss, _ = row["curve"][-1]
        name = f"v{row['lesson']}" + (f"，`{row['extra']}`" if row["extra"] else "")
        lines.append(f"| {name} | {default:.4f} | {val_loss:.4f} | {train_loss:.4f} | {val_loss - default:+.4f} |")
    return "\n".join(lines)


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


def run_interrupted(command, stop_after, threads=None):
    """像学习者一样：运行 v12，看到 stop_after 那一步的进度行就按 Ctrl-C（SIGINT），等它存好检查点、以 130 退出；
    再把它打印的“接着训练”那条命令原样运行。返回 {停下的步数, 退出码, 续训命令, 续训的学习曲线……}。"""
    import signal

    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "babygpt_v12_wandb.py", *command], stdout=subprocess.PIPE,  # 在仓库里运行，和学习者一样
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    out = []
    for line in proc.stdout:
        out.append(line)
        if line.startswith(f"step {stop_after}/"):
            proc.send_signal(signal.SIGINT)
    code = proc.wait()
    interrupted_seconds = time.perf_counter() - t0
    text = "".join(out)
    stopped = re.search(r"训练停在第 (\d+) 步", text)
    again = re.search(r"接着训练（同一条命令加上 --resume）：(.+)", text)
    if code != 130 or not stopped or not again:
        raise RuntimeError(f"按了 Ctrl-C 的那次没有按预期停下（退出码 {code}）：\n{text[-2000:]}")
    python, script, *extra = shlex.split(again.group(1))
    assert python == "python" and script == "babygpt_v12_wandb.py", again.group(1)
    resumed = run_curve(script, extra, threads)
    return {"stopped_at": int(stopped.group(1)), "exit_code": code, "resume_command": again.group(1),
            "interrupted_seconds": interrupted_seconds, **resumed}


def run_cpu_recipe(args):
    """R，然后是 README 快速开始里的 v12 CPU 配方（检查点写到 --ckpt_path，画注意力图要用它）；
    再照学习者的路走一遍：训练到一半按 Ctrl-C，运行它打印的续训命令，最后一行必须和一口气训练完的逐位相同。"""
    from scaffold import CPU_RECIPE

    r = measure_r()
    command = [*CPU_RECIPE.split(), "--ckpt_path", args.ckpt_path]
    result = run_curve("babygpt_v12_wandb.py", command, args.threads)
    print(f"v12 CPU 配方：{describe(result)}，{result['seconds']:.0f}s = {result['seconds'] / r:.1f} R", flush=True)
    row = {"r": r, "command": CPU_RECIPE, "threads": args.threads, "machine": machine(), **result}
    if args.interrupt_at:  # v12 的“试一试”：两条命令一字不差
        command = [*CPU_RECIPE.split(), "--ckpt_path", "try.pth"]
        resumed = run_interrupted(command, args.interrupt_at, args.threads)
        same = resumed["curve"][-1][:3] == result["curve"][-1][:3]
        print(f"第 {resumed['stopped_at']} 步按 Ctrl-C（退出码 {resumed['exit_code']}），再运行 {resumed['resume_command']}："
              f"{describe(resumed)}，最后一行{'和一口气训练的逐位相同' if same else '不同！'}", flush=True)
        row["interrupted"] = {k: v for k, v in resumed.items() if k != "focus"}
    return [row]


def describe_resume(row, command):
    """v12 的“试一试”的两条命令：中途按 Ctrl-C 的那一次停在哪里；再运行它打印的续训命令，最后一行是什么、
    和一口气训练完的一样不一样。"""
    resumed = row["interrupted"]
    if "--resume" not in command.split():
        return (f"第 {resumed['stopped_at']} 步按的 Ctrl-C，退出码 {resumed['exit_code']}；"
                f"{minutes(resumed['interrupted_seconds'])}")
    same = resumed["curve"][-1][:3] == row["curve"][-1][:3]
    _, train_loss, val_loss, _ = resumed["curve"][-1]
    return (f"验证集 {val_loss:.4f}，训练集 {train_loss:.4f}，{'和一口气训练完的逐位相同' if same else '和一口气训练完的不同！'}；"
            f"{minutes(resumed['seconds'])}")


def write_resume(row):
    """把 v12 文档字符串里那两条“试一试”后面的注释换成这次量的。"""
    file = "babygpt_v12_wandb.py"
    for line, command in tries(file):
        if written_by(command) == "cpu_recipe":
            indent = line[: len(line) - len(line.lstrip())]
            write_back(file, [(line, f"{indent}{command}  # {describe_resume(row, command)}")])


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
    （默认设置跑了几遍时，用时取中位数），或者 v12 的 CPU 配方中途按 Ctrl-C 再续训的那条“试一试”。"""
    rows = runs[0]
    if "try" in rows[0]:
        write_tries(rows)
    elif "command" in rows[0]:
        if "interrupted" in rows[0]:
            write_resume(rows[0])
    elif "seed" in rows[0]:
        write_table("seeds-table", seeds_markdown(rows))
    elif "max_iters" in rows[0]:
        write_table("stability-table", stability_markdown(rows, ladder_defaults()))
    elif [row.get("lesson") for row in rows] == list(range(1, 11)):  # 只跑了其中几课时不写：表要完整
        rows = median_of_runs(runs)
        draw(rows, ROOT / "docs" / "ladder.png")
        update_docs(rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lessons", type=int, nargs="+", default=list(range(1, 11)), help="跑哪几课（默认 1-10）")
    parser.add_argument("--extra", default="", help="追加给每一课的参数（给了它就不画图、不写回）")
    parser.add_argument("--repeat", type=int, default=1, help="默认设置整个跑几遍（每遍先量 R），用时取中位数")
    parser.add_argument("--r", action="store_true", help="只量这台机器的 R（一分钟上下）")
    parser.add_argument("--tries", action="store_true", help="只跑每一站“试一试”的命令")
    parser.add_argument("--seeds", type=int, nargs="*", help="只跑 v1、v4、v6、v7、v9、v10 换这些种子")
    parser.add_argument("--stability", action="store_true", help="只跑 v5-v10，步数是默认的 4 倍")
    parser.add_argument("--cpu_recipe", action="store_true", help="只跑 R 和 v12 的 CPU 配方（README 快速开始里的那条命令）")
    parser.add_argument("--ckpt_path", default="model.pth", help="--cpu_recipe 的检查点写到哪里（默认：model.pth）")
    parser.add_argument("--interrupt_at", type=int, help="和 --cpu_recipe 一起：再跑一遍，在这一步的进度行之后按 Ctrl-C，"
                        "然后运行它打印的续训命令，和一口气训练的比")
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
    if args.r:
        measure_r()
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
