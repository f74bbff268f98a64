"""docs/form.md 的“平仄和押韵”一节：表和数。出处是 data/tunes.json（data/prepare_tunes.py 数出来的格律和量阈值、分韵部的记录）、
docs/runs/form_check.json（learners/form_check.py）、docs/runs/tune_check.json（maintainers/tune_bench.py），
和 docs/runs/tries.json 里 form_check 的“试一试”最后一条（--train：CPU 配方从头训练，每次评估都量）。"""

import functools
import json

from page_records import run, tries
from course import ROOT

HANDBOOK = {  # 龙榆生《唐宋词格律》的浣溪沙（平韵）：每句的平仄，和押韵的句子（从 0 数）
    "浣溪沙": ("中仄中平中仄平|中平中仄仄平平|中平中仄仄平平|中仄中平平仄仄|中平中仄仄平平|中平中仄仄平平", [0, 1, 2, 4, 5]),
}


@functools.cache
def tunes_record():
    return json.loads((ROOT / "data" / "tunes.json").read_text(encoding="utf-8"))


def training_curve():
    """form_check 的“试一试”最后一条：CPU 配方从头训练，每次评估（第 0 步不算）的格律。"""
    row = next(row for command, row in tries().items() if command.startswith("python learners/form_check.py --train "))
    return row["curve"][1:]


def meter_facts():
    record, grouping = tunes_record(), tunes_record()["grouping"]
    curve = training_curve()
    ends = {"first": curve[0], "last": curve[-1]}  # 第一次评估、练完
    return {"meter_unknown_types": f"{record['unknown_share']:.1%}", "meter_unknown_tokens": f"{grouping['unknown_tokens']:.1%}",
            "rhyme_19": f"{grouping['19']:.3f}", "rhyme_merged": f"{grouping['merged_3_5']:.3f}",
            "tune_n": f"{run('tune_check.json')['n']}",
            **{f"thr_{row['high'] * 10:.0f}_{key}": f"{row[key]:.2f}" for row in record["thresholds"] for key in ("fixed_share", "fit")
               if row["high"] in (0.6, 0.9)},
            **{f"curve_{end}_{key}": f"{point[key]:.2f}" for end, point in ends.items() for key in ("tone", "rhyme")},
            **{f"curve_{end}_step": f"{point['step']}" for end, point in ends.items()}, "curve_first_phrase": f"{ends['first']['phrase']:.2f}"}


def thresholds_table():
    lines = ["| 阈值（平声或仄声至少占） | 定下平仄的位置占 | 验证集真词在这些位置上合的比例 |", "|---:|---:|---:|"]
    for row in tunes_record()["thresholds"]:
        lines.append(f"| {row['high']:g} | {row['fixed_share']:.2f} | {row['fit']:.3f} |")
    return "\n".join(lines)


def huanxisha_table():
    derived = tunes_record()["tunes"]["浣溪沙"]["meter"]["7,7,7,7,7,7"]
    ours, theirs = derived["tones"].split("|"), HANDBOOK["浣溪沙"][0].split("|")
    lines = ["| 句 | 数出来的 | 《唐宋词格律》 | 哪里不同 |", "|---:|---|---|---|"]
    for i, (a, b) in enumerate(zip(ours, theirs)):
        mark = lambda rhymes: "（韵）" if i in rhymes else ""  # noqa: E731
        diff = "、".join(f"第 {j + 1} 字手册可平可仄，这里定为{x}" if y == "中" else f"第 {j + 1} 字不同" for j, (x, y) in enumerate(zip(a, b)) if x != y)
        lines.append(f"| {i + 1} | {a}{mark(derived['rhymes'])} | {b}{mark(HANDBOOK['浣溪沙'][1])} | {diff or '相同'} |")
    return "\n".join(lines)


def scores_table():
    result = run("form_check.json")
    rows = [("验证集里的真词（天花板）", result["ceiling"]), (f"README 的 CPU 配方（温度 {result['temperature']:g}）", result["model"]),
            ("入门脚本数出来的 bigram（地板）", result["floor"])]
    lines = ["| 谁写的（8 个词牌） | 平仄 | 押韵 | 整首合格式 | 逐句 |", "|---|---:|---:|---:|---:|"]
    for name, r in rows:
        lines.append(f"| {name} | {r['tone']:.2f} | {r['rhyme']:.2f} | {r['whole']:.2f} | {r['phrase']:.2f} |")
    return "\n".join(lines)


def tune_check_table():
    record = run("tune_check.json")
    lines = ["| 写法（8 个词牌，每个 {} 首） | 整首合格式 | 平仄 | 押韵 | 不同的字占 | 平均对数概率 | 放宽了几步 |".format(record["n"]),
             "|---|---:|---:|---:|---:|---:|---:|"]
    for row in record["ways"].values():
        lines.append(f"| {row['label']} | {row['whole']:.2f} | {row['tone']:.2f} | {row['rhyme']:.2f} | {row['distinct']:.2f} | "
                     f"{row['logp']:.2f} | {row['fallbacks']} |")
    return "\n".join(lines)


def training_table():
    lines = ["| 步数 | 验证集损失 | 逐句 | 平仄 | 押韵 |", "|---:|---:|---:|---:|---:|"]
    for p in training_curve():
        lines.append(f"| {p['step']} | {p['val_loss']:.4f} | {p['phrase']:.2f} | {p['tone']:.2f} | {p['rhyme']:.2f} |")
    return "\n".join(lines)


BLOCKS = {"meter-training": training_table, "meter-thresholds": thresholds_table, "meter-huanxisha": huanxisha_table, "meter-scores": scores_table,
          "tune-check": tune_check_table}
