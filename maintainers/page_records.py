"""页面写手（maintainers/pages.py）读的东西：docs/runs/ 的运行记录，几遍合成一份；还有 README 里手写的学习路径表。
这里只读、只合并，不写成文字（文字在 page_words.py）。"""

import functools
import re
import statistics

from runs import load_run
from course import ROOT

import babygpt_v12_wandb as v12  # noqa: E402
import scaffold  # noqa: E402

BLOCK = re.compile(r"(<!-- ([\w-]+) -->\n)(.*?)(<!-- /\2 -->)", re.S)  # 页面上的一段：<!-- 名字 --> … <!-- /名字 -->
INLINE = re.compile(r"(<!--(\w+)-->)(.*?)(<!--/-->)")  # 页面上的一个数：<!--名字-->…<!--/-->


@functools.cache
def run(name):
    return load_run(name)


def final(row):
    """一次运行的最后一次评估：(训练损失, 验证集损失)。"""
    _, train_loss, val_loss, _ = row["curve"][-1]
    return train_loss, val_loss


def ladder(runs=None):
    """梯子的几遍（docs/runs/ladder.json）：损失必须逐位相同（同一台机器、同样的线程数）。每课的用时先除以同一遍的 R，
    取中位数（ratio）；秒数就是 ratio × 几遍 R 的中位数：两列是同一个数的两种单位，一起变。"""
    runs = runs or run("ladder.json")
    losses = [[[tuple(point[:3]) for point in row["curve"]] for row in rows] for rows in runs]
    assert all(each == losses[0] for each in losses), "梯子几遍的损失不一样：线程数不同？"
    r = statistics.median(rows[0]["r"] for rows in runs)
    rows = []
    for i, row in enumerate(runs[0]):
        ratio = statistics.median(rows[i]["seconds"] / rows[i]["r"] for rows in runs)
        rows.append({**row, "ratio": ratio, "r": r, "seconds": ratio * r, "runs": len(runs)})
    return rows


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


def seed_table(rows=None):
    """换种子的记录（docs/runs/seeds.json）：{种子: {第几课: 验证集损失}}。"""
    table = {}
    for row in rows or run("seeds.json")[0]:
        table.setdefault(row["seed"], {})[row["lesson"]] = final(row)[1]
    return table


def parameters(model):
    """(全部, 字向量表和 lm_head, Block 里的)。"""
    total = sum(p.numel() for p in model.parameters())
    table = model.token_embedding_table.weight.numel() + sum(p.numel() for p in model.lm_head.parameters())
    return total, table, sum(p.numel() for p in model.blocks.parameters())


@functools.cache
def vocab():
    return len(set(scaffold.read_text(scaffold.DEFAULT_DATA)[0]))


def cpu_recipe_model():
    return v12.BabyGPT(scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split()), vocab())


def block_of(text, name):
    return next(m.group(3) for m in BLOCK.finditer(text) if m.group(2) == name)


def path_rows():
    """README 学习路径表（手写的）的每一站：(站, 练习的命令)。"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = []
    for line in block_of(readme, "learning-path").splitlines()[2:]:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        rows.append((cells[0], re.findall(r"`(python [^`]+)`", cells[3])))
    return rows
