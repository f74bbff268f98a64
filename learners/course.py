"""tools/ 里的脚本共用的东西：仓库在哪里、十二课的编号和文件名、怎么像学习者一样运行一课并读出它打印的数、
时间单位 R、怎么把量出的数写回 README 和文档字符串、画图用的中文字体。

这里只 import 标准库（和 torch、matplotlib）：别的工具都从这里取，箭头只朝一个方向，没有循环。
"""

import ast
import difflib
import importlib
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import torch

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
SAMPLE = re.compile(r"^--- (.+?) ---\n(.*?)(?=\n\n--- |\n*\Z)", re.M | re.S)  # 每一课最后写的：--- 春江 ---，下面是它写的字
PRIMER_LINE = re.compile(r"(训练集|验证集)平均负对数似然（NLL）：([\d.]+)")
FONT = ROOT / "data" / "fonts" / "wqy-microhei-ci.ttf"  # 仓库自带的中文字体（一个子集），画图时汉字不会变成方框

sys.path.insert(0, str(ROOT))  # 课程脚本在仓库顶层
sys.path.insert(0, str(ROOT / "data"))  # data/ 里构建数据的脚本（prepare_tunes.py）

import scaffold  # noqa: E402  课程共用的脚手架：命令行、读语料


def code_lines(file):
    """去掉模块开头的文档字符串之后的代码行（文档字符串每课都不同，不算在概念的 diff 里）。"""
    source = (ROOT / file).read_text(encoding="utf-8")
    return source.splitlines()[ast.parse(source).body[0].end_lineno :]


def diff_size(a, b):
    """两课的代码之间改动了多少行（加的行 + 删的行，不含文档字符串）。"""
    diff = difflib.unified_diff(code_lines(a), code_lines(b), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


def run_script(file, extra, threads=None):
    """像学习者在仓库里那样运行一个脚本（wandb 关掉），返回 (stdout, 秒数)；失败时带着它最后的输出报错。
    threads 给定时用这么多个 CPU 线程（OMP_NUM_THREADS）；损失在同样的线程数下逐位相同。"""
    env = {**os.environ, "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    if threads:
        env["OMP_NUM_THREADS"] = str(threads)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / file), *extra], capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0 and "训练发散了" not in proc.stderr:  # 发散了也是一种结果（损失是 nan）：照样读学习曲线
        raise RuntimeError(f"{file} {' '.join(extra)} 运行失败：\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return proc.stdout, time.perf_counter() - t0


def run_curve(file, extra, threads=None):
    """运行一个脚本（课程或入门脚本），返回 {"seconds": 秒数, "curve": [(步数, 训练损失, 验证损失, tokens/s), ...]}。
    入门脚本没有训练步，curve 只有一行 (0, 训练集 NLL, 验证集 NLL, 0)。"""
    out, seconds = run_script(file, extra, threads)
    curve = [(int(s), float(tr), float(va), int(tps.replace(",", ""))) for s, _, tr, va, tps in STEP_LINE.findall(out)]
    nll = dict(PRIMER_LINE.findall(out))
    if not curve and len(nll) == 2:
        curve = [(0, float(nll["训练集"]), float(nll["验证集"]), 0)]
    if not curve:
        raise RuntimeError(f"{file} {' '.join(extra)} 没有打印学习曲线：\n{out[-2000:]}")
    focus = FOCUS_LINE.findall(out)
    focus = [(float(a), float(b)) for a, b in focus[len(focus) // 2 :]]  # 训练之前、之后各打印一遍：要之后的
    samples = dict(SAMPLE.findall(out))  # 训练完写的几段：{开头: 写出的文字}
    return {"seconds": seconds, "curve": curve, "focus": focus, "samples": samples}


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


def minutes(seconds):
    """给学习者的用时：不到一分钟，或者约几分钟（2 核 CPU 上量的）。"""
    return "不到 1 分钟" if seconds < 60 else f"约 {round(seconds / 60)} 分钟"


def measure_r():
    result = run_curve(R_COMMAND.split()[0], R_COMMAND.split()[1:])
    print(f"R = {result['seconds']:.1f}s（python {R_COMMAND}）", flush=True)
    return result["seconds"]


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


def machine():
    """这台机器：CPU 的型号、核数、torch 的版本和日期。写进结果里，换了机器的数才分得清。"""
    import platform

    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return {"cpu": cpu, "cores": os.cpu_count(), "torch": torch.__version__, "date": time.strftime("%Y-%m-%d")}


def load_lesson(number):
    """按编号找到那一课的文件，当作模块导入；导入没有副作用。"""
    return importlib.import_module(next(file[:-3] for n, file, _ in LESSONS if n == number))


def prepare(lesson, lesson_args):
    """和那一课的 main() 一样读参数、准备数据（这里只用 CPU，结果与设备无关）。

    返回 (config, 分词器, {"train": ..., "val": ...}, 量的时候用的输入：验证集上固定的一批文字 (B, T))。
    """
    config = scaffold.parse_args(lesson.Config, [*lesson_args, "--device", "cpu"])
    text, _ = scaffold.read_text(config.data)
    tokenizer = lesson.CharTokenizer.from_text(text)
    splits = {name: torch.tensor(tokenizer.encode(part), dtype=torch.long) for name, part in scaffold.split_text(text)[0].items()}
    x, _ = lesson.get_batch(splits["val"], config.batch_size, config.block_size, "cpu", torch.Generator().manual_seed(0))
    return config, tokenizer, splits, x


def use_cjk_font():
    """让 matplotlib 用仓库自带的中文字体（不依赖系统里装了什么字体）。返回它认得的字。"""
    import matplotlib

    matplotlib.use("Agg")  # 不开窗口，直接写文件
    import matplotlib.pyplot as plt
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT))
    name = font_manager.FontProperties(fname=str(FONT)).get_name()
    plt.rcParams["font.family"] = name
    plt.rcParams["axes.unicode_minus"] = False  # 这个字体里没有 Unicode 的负号
    return {chr(c) for c in TTFont(str(FONT)).getBestCmap()}


def read_checkpoint(path):
    """读 babygpt_v12_wandb.py 存的检查点：返回 (检查点, v12 的 Config)。文件不存在、读不出来、不是 v12 存的，只说一句就退出。"""
    import babygpt_v12_wandb as v12

    if not Path(path).exists():
        sys.exit(f"错误：找不到检查点 {path}。先运行 python babygpt_v12_wandb.py（CPU 配方见 README）")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        saved = checkpoint["config"]
        config = v12.Config(**{**saved, "prompt": tuple(saved["prompt"]), "device": "cpu"})
    except Exception as e:  # 损坏、不是 v12 的检查点……
        sys.exit(f"错误：{path} 不是能读的 v12 检查点（{e.__class__.__name__}）")
    return checkpoint, config
