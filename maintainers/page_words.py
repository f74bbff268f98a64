"""页面写手把数写成话：用时说成分钟、损失说成几位小数、一条“试一试”量出的数说成一句答案。
数从 page_records.py 来；这里只管怎么说。"""

import math
import statistics

from page_records import final, run, sweep, tries


def minutes(seconds):
    """给学习者的用时：不到一分钟，或者约几分钟（2 核 CPU 上量的）。"""
    return "不到 1 分钟" if seconds < 60 else f"约 {round(seconds / 60)} 分钟"


def minute_range(seconds):
    """几次运行的用时，说成分钟的范围：8 到 9 分钟（最短的往下取整，最长的往上取整，至少差 1 分钟）。"""
    low, high = math.floor(min(seconds) / 60), math.ceil(max(seconds) / 60)
    return f"{low} 到 {max(high, low + 1)} 分钟"


def wan(n):
    """15432920 -> '1543 万'"""
    return f"{n / 1e4:.0f} 万"


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
    """tries.json 里的一条记录，说成一句话（不含用时）。"""
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


def try_record(command):
    """一条“试一试”命令量出的 (答案, 秒数)：v11 的配方比较、v12 的中断和续训，其余的在 tries.json 里。"""
    if command.startswith("python learners/form_sweep.py --recipes "):
        row = sweep()[command.split()[-1]]
        return sweep_answer(row), row["wall_seconds"]
    if "--ckpt_path try.pth" in command:
        return walk_answer(command)
    row = tries().get(command)
    assert row is not None, f"“{command}”还没有量过：python maintainers/tries.py"
    return answer(row), row["seconds"]


def try_answer(command):
    """一条“试一试”命令后面的注释：量出的数；用时。"""
    text, seconds = try_record(command)
    return f"{text}；{minutes(seconds)}"
