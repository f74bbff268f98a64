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
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
from pathlib import Path

from common import LESSONS, ROOT, diff_size, machine, measure_r, run_curve, use_cjk_font, write_back, write_table

SEED_LESSONS = (1, 4, 6, 7)  # 换种子也要成立：v4 < v1、v7 < v6
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
    proc = subprocess.Popen([sys.executable, "babygpt_v12_wandb.py", *command], stdout=subprocess.PIPE,  # 在仓库里运行，和学习者一样
                            stderr=subprocess.STDOUT, text=True, env=env, cwd=ROOT)
    out = []
    for line in proc.stdout:
        out.append(line)
        if line.startswith(f"step {stop_after}/"):
            proc.send_signal(signal.SIGINT)
    code = proc.wait()
    text = "".join(out)
    stopped = re.search(r"训练停在第 (\d+) 步", text)
    again = re.search(r"接着训练（同一条命令加上 --resume）：(.+)", text)
    if code != 130 or not stopped or not again:
        raise RuntimeError(f"按了 Ctrl-C 的那次没有按预期停下（退出码 {code}）：\n{text[-2000:]}")
    python, script, *extra = shlex.split(again.group(1))
    assert python == "python" and script == "babygpt_v12_wandb.py", again.group(1)
    resumed = run_curve(script, extra, threads)
    return {"stopped_at": int(stopped.group(1)), "exit_code": code, "resume_command": again.group(1), **resumed}


def run_cpu_recipe(args):
    """R，然后是 README 快速开始里的 v12 CPU 配方（检查点写到 --ckpt_path，画注意力图要用它）；
    再照学习者的路走一遍：训练到一半按 Ctrl-C，运行它打印的续训命令，最后一行必须和一口气训练完的逐位相同。"""
    import babygpt_v12_wandb

    r = measure_r()
    command = [*babygpt_v12_wandb.CPU_RECIPE.split(), "--ckpt_path", args.ckpt_path]
    result = run_curve("babygpt_v12_wandb.py", command, args.threads)
    print(f"v12 CPU 配方：{describe(result)}，{result['seconds']:.0f}s = {result['seconds'] / r:.1f} R", flush=True)
    row = {"r": r, "command": babygpt_v12_wandb.CPU_RECIPE, "threads": args.threads, "machine": machine(), **result}
    if args.interrupt_at:
        interrupted = args.ckpt_path + ".interrupted.pth"
        command = [*babygpt_v12_wandb.CPU_RECIPE.split(), "--ckpt_path", interrupted]
        resumed = run_interrupted(command, args.interrupt_at, args.threads)
        same = resumed["curve"][-1][:3] == result["curve"][-1][:3]
        print(f"第 {resumed['stopped_at']} 步按 Ctrl-C（退出码 {resumed['exit_code']}），再运行 {resumed['resume_command']}："
              f"{describe(resumed)}，最后一行{'和一口气训练的逐位相同' if same else '不同！'}", flush=True)
        row["interrupted"] = {k: v for k, v in resumed.items() if k != "focus"}
    return [row]


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
