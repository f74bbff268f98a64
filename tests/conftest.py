"""测试的公共设置：固定线程数和随机种子，wandb 只离线记录，课程脚本和 tools/ 里的脚本按文件名导入。"""

import importlib
import os
import random
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))  # tools/ 里的脚本（基准、画图、消融……），测试要导入它们
sys.path.insert(0, str(ROOT / "data"))  # data/ 里构建数据的脚本（prepare_tunes.py 等）

# 在导入 torch / wandb 之前设好：测试不联网、不弹登录提示、不把记录写进仓库
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"
os.environ.pop("WANDB_API_KEY", None)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

torch.set_num_threads(1)  # 小模型上多线程只会更慢，也让结果与机器的核数无关

LESSONS = [
    "babygpt_v1",
    "babygpt_v2_position",
    "babygpt_v3_self_attention",
    "babygpt_v4_multihead_attention",
    "babygpt_v5_feedforward",
    "babygpt_v6_block",
    "babygpt_v7_residual_connection",
    "babygpt_v8_projection",
    "babygpt_v9_layer_norm",
    "babygpt_v10_dropout",
    "babygpt_v11_hyper_params",
    "babygpt_v12_wandb",
]
CORPUS = ROOT / "data" / "ci.txt"


def lesson_number(name):
    """'babygpt_v7_residual_connection' -> 7"""
    return int(name.split("_")[1][1:])


def load(name):
    """按模块名导入仓库顶层的脚本（导入本身不应有任何副作用）。"""
    return importlib.import_module(name)


@pytest.fixture(autouse=True)
def _seed_and_isolate(tmp_path, monkeypatch):
    """每个测试：固定种子；wandb 的目录放进临时目录。"""
    random.seed(0)
    torch.manual_seed(0)
    monkeypatch.setenv("WANDB_DIR", str(tmp_path))
    monkeypatch.setenv("WANDB_CACHE_DIR", str(tmp_path / "wandb-cache"))
    monkeypatch.setenv("WANDB_CONFIG_DIR", str(tmp_path / "wandb-config"))


@pytest.fixture(scope="session")
def corpus_text():
    return CORPUS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory, corpus_text):
    """语料开头的约 3 万字（完整的词），写进临时文件，给端到端的小测试用。"""
    text = corpus_text[:30000]
    text = text[: text.rindex("\n\n") + 1]
    path = tmp_path_factory.mktemp("data") / "small.txt"
    path.write_text(text, encoding="utf-8")
    return path
