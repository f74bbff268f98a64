"""测试的公共设置和共用的小工具（fixture）：固定随机种子，wandb 只离线记录，
课程脚本、learners/ 和 maintainers/ 里的脚本按文件名导入。测试文件之间互不导入：共用的东西都在这里。"""

import contextlib
import importlib
import io
import os
import random
import sys
from dataclasses import fields, replace
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

import pytest

ROOT = Path(__file__).resolve().parent.parent
for folder in ("maintainers", "learners", ""):  # 课程脚本在最前面：learners/course.py 也把 data/ 加进来
    sys.path.insert(0, str(ROOT / folder))

# 在导入 torch / wandb 之前设好：测试不联网、不弹登录提示、不把记录写进仓库
os.environ["WANDB_MODE"] = "offline"
os.environ["WANDB_SILENT"] = "true"
os.environ.pop("WANDB_API_KEY", None)

import torch  # noqa: E402

# 线程数不固定：OMP_NUM_THREADS=1 和默认的线程数下都要通过（CI 两种都跑）。比较算术的测试用 float64，
# 或者用随数值大小定的容差；要求逐位相同的测试只比同一个进程、同一个线程数里的两次运行，不比别的机器记下的数。

CORPUS = ROOT / "data" / "ci.txt"
VOCAB = 97  # 小模型的词表大小


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: 要一个真的浏览器（Debian 的 chromium 和 chromium-driver）")


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


def tiny_config(mod, **overrides):
    """每一课都有的字段用同样的小值；后面几课才有的字段（n_head、n_layer、dropout）按需加上。"""
    names = {f.name for f in fields(mod.Config)}
    small = dict(batch_size=4, block_size=8, n_embed=16, n_head=4, n_layer=2, dropout=0.0)
    small.update(overrides)
    return replace(mod.Config(), **{k: v for k, v in small.items() if k in names})


@pytest.fixture
def tiny_model():
    """tiny_model(课, **改动) -> (模块, 一个很小的模型)：词表 VOCAB 个字，种子固定。"""

    def build(name, **overrides):
        mod = importlib.import_module(name)
        torch.manual_seed(0)
        return mod, mod.BabyGPT(tiny_config(mod, **overrides), VOCAB)

    return build


@pytest.fixture
def randomized():
    """randomized(模型)：把所有参数换成较大的随机数。初始化时的权重很小，没有残差的 v6 里信号几乎传不过去，
    改动输入也看不出输出的变化；换成大一些的随机数后，“看不看得到某个字”才能从输出上分辨出来。"""

    def shake(model, std=0.5):
        torch.manual_seed(1)
        with torch.no_grad():
            for p in model.parameters():
                p.normal_(0.0, std)
        return model

    return shake


@pytest.fixture
def tiny_args():
    """tiny_args(模块) -> 命令行版的小配置：这一课有哪些参数就给哪些（6 步，很小的模型）。"""

    def args(mod):
        argv = ["--max_iters", "6", "--eval_interval", "4", "--eval_iters", "2", "--batch_size", "4",
                "--block_size", "8", "--n_embed", "16", "--max_new_tokens", "12", "--warmup_iters", "1", "--learning_rate", "3e-2"]
        names = {f.name for f in fields(mod.Config)}
        for name, value in [("n_head", "2"), ("n_layer", "1"), ("dropout", "0.1")]:
            if name in names:
                argv += [f"--{name}", value]
        return argv

    return args


@pytest.fixture
def v12_tiny():
    """v12 的一个很小的配置（命令行参数）：8 步，评估 3 次。"""
    return ["--max_iters", "8", "--eval_interval", "4", "--eval_iters", "2", "--batch_size", "4", "--block_size", "16",
            "--n_embed", "16", "--n_head", "2", "--n_layer", "2", "--dropout", "0.1", "--max_new_tokens", "10"]


@pytest.fixture
def sampler_cli():
    """sampler_cli(*参数, stdin="") -> 在进程里运行采样器的 main，像终端那样从 stdin 读（读完就是 Ctrl-D）；
    返回 returncode、stdout、stderr（sys.exit 的那一行错误信息算进 stderr）。省下每次启动 Python、导入 torch 的几秒；
    真的子进程（Ctrl-C、交互）在 tests/test_sampler.py 的“通过真正的命令行”里测。"""
    import babygpt_sample_with_kvcache as sampler

    def run(*args, stdin=""):
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), mock.patch("sys.stdin", io.StringIO(stdin)):
            try:
                code = sampler.main(list(args))
            except SystemExit as e:
                code = e.code if e.code is None or isinstance(e.code, int) else print(e.code, file=sys.stderr) or 1
        return SimpleNamespace(returncode=code or 0, stdout=out.getvalue(), stderr=err.getvalue())

    return run
