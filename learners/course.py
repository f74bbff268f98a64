"""课程本身的样子，learners/ 和 maintainers/ 的脚本、tests/ 都从这里取：仓库在哪里，十二课的编号、文件名和概念
（只在这里写一次），学习路径上的每一站和它的“试一试”，像一课的 main() 一样读参数和数据，读 v12 的检查点。

从这里导入的脚本也就能 import 仓库顶层的课程脚本和 data/ 里构建数据的脚本。
"""

import ast
import importlib
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # 课程脚本在仓库顶层
sys.path.insert(0, str(ROOT / "data"))  # data/ 里构建数据的脚本（prepare_tunes.py）

import scaffold  # noqa: E402  课程共用的脚手架：命令行、读语料

LESSONS = [  # (编号, 文件, 这一课加的概念)
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
PRIMER, SAMPLER = "simplebigrammodel_with_comments.py", "babygpt_sample_with_kvcache.py"
STATIONS = {  # README 学习路径的每一站 -> 它的“试一试”写在哪个文件里
    "0 入门": PRIMER, **{f"v{n}": file for n, file, _ in LESSONS}, "采样器": SAMPLER, "看它写": "learners/watch.py",
    "看注意力": "learners/attention_heatmap.py", "格律": "learners/form_check.py",
}


def exercises(file):
    """一个文件的文档字符串里“试一试”下面的命令：[(整行, 命令)]。命令是缩进的 python 行，“  # ”之后是量出的答案。"""
    lines = ast.get_docstring(ast.parse((ROOT / file).read_text(encoding="utf-8")), clean=False).splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("试一试")]
    found = []
    for line in lines[starts[0] + 1 :] if starts else []:
        if not line.strip():
            break
        if line.strip().startswith("python "):
            found.append((line, line.split("  # ")[0].strip()))
    return found


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
