"""十二课的行为测试：每一课都在进程内、用很小的配置测。"""

import ast
import difflib
import inspect
import math
import re
import signal
import statistics
from dataclasses import fields, replace

import pytest
import torch

from benchmark_lessons import median_of_runs, stability_markdown  # README 的表也是它写的
from common import code_lines, diff_size
from conftest import LESSONS, ROOT, lesson_number, load

import scaffold

VOCAB = 97


def tiny_config(mod, **overrides):
    """每一课都有的字段用同样的小值；后面几课才有的字段（n_head、n_layer、dropout）按需加上。"""
    names = {f.name for f in fields(mod.Config)}
    small = dict(batch_size=4, block_size=8, n_embed=16, n_head=4, n_layer=2, dropout=0.0)
    small.update(overrides)
    return replace(mod.Config(), **{k: v for k, v in small.items() if k in names})


def model_for(name, **overrides):
    mod = load(name)
    torch.manual_seed(0)
    return mod, mod.BabyGPT(tiny_config(mod, **overrides), VOCAB)


def randomized(model):
    """把所有参数换成较大的随机数。初始化时的权重很小，没有残差的 v6 里信号几乎传不过去，
    改动输入也看不出输出的变化；换成大一些的随机数后，“看不看得到某个字”才能从输出上分辨出来。"""
    torch.manual_seed(1)
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    return model


@pytest.mark.parametrize("name", LESSONS)
def test_forward_shapes(name):
    mod, model = model_for(name)
    idx = torch.randint(VOCAB, (3, 8))
    logits, loss = model(idx)
    assert logits.shape == (3, 8, VOCAB) and loss is None
    logits, loss = model(idx[:, :5], torch.randint(VOCAB, (3, 5)))  # 比 block_size 短的序列也可以
    assert logits.shape == (3, 5, VOCAB) and loss.shape == ()


@pytest.mark.parametrize("name", LESSONS)
def test_initial_loss_is_close_to_ln_vocab(name):
    mod, model = model_for(name, n_embed=32, block_size=16)
    model.eval()
    idx = torch.randint(VOCAB, (8, 16))
    _, loss = model(idx, torch.randint(VOCAB, (8, 16)))
    assert abs(loss.item() - math.log(VOCAB)) < 0.05


def train_tiny(mod, text, capsys=None, **overrides):
    """用这一课自己的 train()（它自己的 make_optimizer、get_lr、梯度裁剪）在一小段语料上训练几十步。
    返回 (评估记录, 模型, 配置)。"""
    tokenizer = mod.CharTokenizer.from_text(text)
    parts, _ = scaffold.split_text(text)
    splits = {name: torch.tensor(tokenizer.encode(part), dtype=torch.long) for name, part in parts.items()}
    settings = dict(n_embed=32, block_size=16, batch_size=8, max_iters=40, eval_interval=20, eval_iters=4, warmup_iters=5)
    config = tiny_config(mod, **{**settings, **overrides})
    torch.manual_seed(0)
    model = mod.BabyGPT(config, len(tokenizer.chars))
    run = (None,) if "run" in inspect.signature(mod.train).parameters else ()  # v12 的 train 还要一个 wandb run
    history = mod.train(model, splits, config, "cpu", *run)[0]
    if capsys is not None:
        capsys.readouterr()
    return history, model, config


@pytest.mark.parametrize("name", LESSONS)
def test_the_lessons_own_training_drives_the_loss_down(name, small_corpus, capsys):
    mod = load(name)
    history, _, _ = train_tiny(mod, small_corpus.read_text(encoding="utf-8"), capsys)
    (_, train0, val0), (_, train1, val1) = history[0], history[-1]
    assert abs(train0 - val0) < 0.05  # 刚初始化时两个数据集上一样（约 ln V）
    assert train1 < train0 - 0.3 and val1 < val0 - 0.3, history  # 40 步就学到了东西


@pytest.mark.parametrize("name", LESSONS)
def test_each_step_uses_the_scheduled_learning_rate_and_clips_the_gradient(name, small_corpus, capsys, monkeypatch):
    """训练循环真的用了 get_lr 给的学习率，也真的裁剪了梯度：AdamW 的一阶矩 exp_avg 在第一步之后是 (1 - β1) × 梯度，
    所以它的总长度除以 (1 - β1) 就是这一步用的梯度的长度。"""
    mod = load(name)
    optimizers, used_lrs = [], []
    real = mod.make_optimizer

    def make_optimizer(model, config):
        optimizer = real(model, config)
        step = optimizer.step
        optimizer.step = lambda *a, **k: used_lrs.append([g["lr"] for g in optimizer.param_groups]) or step(*a, **k)
        optimizers.append(optimizer)
        return optimizer

    monkeypatch.setattr(mod, "make_optimizer", make_optimizer)
    text = small_corpus.read_text(encoding="utf-8")
    _, _, config = train_tiny(mod, text, capsys, max_iters=12, eval_interval=12, warmup_iters=4, lr_decay_iters=8)
    assert used_lrs == [[mod.get_lr(s, config)] * 2 for s in range(12)]  # 两组参数（衰减的、不衰减的）都按时间表
    for clip, clipped in ((0.01, True), (0.0, False)):
        optimizers.clear()
        train_tiny(mod, text, capsys, max_iters=1, eval_interval=1, grad_clip=clip)
        moments = [optimizers[0].state[p]["exp_avg"] for group in optimizers[0].param_groups for p in group["params"]]
        length = torch.linalg.vector_norm(torch.stack([torch.linalg.vector_norm(m) for m in moments])).item() / 0.1
        assert (length == pytest.approx(0.01, rel=1e-3)) if clipped else length > 0.1, (clip, length)


@pytest.mark.parametrize("name", LESSONS)
def test_weight_decay_pulls_matrices_only(name):
    """一步 AdamW、梯度全是 0：衰减的参数乘以 (1 - lr × weight_decay)，偏置和 LayerNorm 的一维参数原样不动。"""
    mod, model = model_for(name)
    config = replace(model.config, learning_rate=0.5, weight_decay=0.1)
    optimizer = mod.make_optimizer(model, config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for n, p in model.named_parameters():
        factor = 1 - 0.5 * 0.1 if p.dim() >= 2 else 1.0
        torch.testing.assert_close(p.detach(), before[n] * factor, rtol=0, atol=1e-7, msg=n)
    assert any(p.dim() < 2 for p in model.parameters())  # lm_head 的偏置：至少有一个不该衰减的


@pytest.mark.parametrize("name", LESSONS)
def test_targets_are_the_inputs_shifted_by_one(name):
    mod = load(name)
    data = torch.arange(1000)
    x, y = mod.get_batch(data, 6, 9, "cpu", torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (6, 9)
    assert torch.equal(y, x + 1)  # 每个位置的答案就是下一个字
    assert len(set(x[:, 0].tolist())) > 1  # 每段从随机的地方开始


@pytest.mark.parametrize("name", LESSONS)
def test_evaluation_turns_dropout_off_and_back_on(name):
    mod, model = model_for(name, dropout=0.5)
    modes = []
    model.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    data = torch.randint(VOCAB, (500,))
    model.train()
    first = mod.estimate_loss(model, {"val": data}, model.config, "cpu")
    assert modes and not any(modes)  # 评估时的每一次前向都在评估模式
    assert model.training  # 评估完回到训练模式
    assert mod.estimate_loss(model, {"val": data}, model.config, "cpu") == first  # 同样的批次，同样的数：没有随机性


@pytest.mark.parametrize("name", LESSONS)
def test_generate_returns_the_requested_length_even_past_block_size(name):
    mod, model = model_for(name)
    model.eval()
    out = model.generate(torch.zeros((2, 3), dtype=torch.long), 20)  # 3 + 20 > block_size = 8
    assert out.shape == (2, 23)
    assert out.dtype == torch.long and 0 <= out.min() and out.max() < VOCAB
    assert torch.equal(out[:, :3], torch.zeros((2, 3), dtype=torch.long))


@pytest.mark.parametrize("name", LESSONS)
def test_causality_later_tokens_never_change_earlier_logits(name):
    mod, model = model_for(name)
    randomized(model).eval()
    idx = torch.randint(VOCAB, (2, 8))
    logits, _ = model(idx)
    for t in range(8):
        changed = idx.clone()
        changed[:, t] = (changed[:, t] + 1) % VOCAB
        new_logits, _ = model(changed)
        torch.testing.assert_close(new_logits[:, :t], logits[:, :t], rtol=0, atol=1e-6)
        assert not torch.allclose(new_logits[:, t], logits[:, t])  # 位置 t 自己当然要变


@pytest.mark.parametrize("name", [n for n in LESSONS if lesson_number(n) >= 3])
def test_attention_reads_earlier_tokens(name):
    """从 v3 起，改前面的字会改变后面位置的打分（v1、v2 只看当前这一个字）。"""
    mod, model = model_for(name)
    randomized(model).eval()
    idx = torch.randint(VOCAB, (1, 8))
    changed = idx.clone()
    changed[0, 0] = (changed[0, 0] + 1) % VOCAB
    assert not torch.allclose(model(changed)[0][:, -1], model(idx)[0][:, -1])


@pytest.mark.parametrize("name", [n for n in LESSONS if lesson_number(n) >= 10])
def test_dropout_is_random_in_training_and_off_in_eval(name):
    mod, model = model_for(name, dropout=0.5)
    idx = torch.randint(VOCAB, (2, 8))
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])


def run_main(mod, argv, capsys):
    mod.main(argv)
    return capsys.readouterr().out


def tiny_args(mod):
    """命令行版的 tiny_config：这一课有哪些参数就给哪些。"""
    args = ["--max_iters", "6", "--eval_interval", "4", "--eval_iters", "2", "--batch_size", "4",
            "--block_size", "8", "--n_embed", "16", "--max_new_tokens", "12", "--warmup_iters", "1", "--learning_rate", "3e-2"]
    names = {f.name for f in fields(mod.Config)}
    for name, value in [("n_head", "2"), ("n_layer", "1"), ("dropout", "0.1")]:
        if name in names:
            args += [f"--{name}", value]
    return args


@pytest.mark.parametrize("name", [n for n in LESSONS if lesson_number(n) <= 11])
def test_main_trains_reports_and_writes(name, small_corpus, capsys):
    mod = load(name)
    out = run_main(mod, ["--data", str(small_corpus), *tiny_args(mod)], capsys)
    steps = re.findall(r"^step (\d+)/6: train loss (\d+\.\d{4}), val loss (\d+\.\d{4}), ([\d,]+) tokens/s, .*$", out, re.M)
    assert [s[0] for s in steps] == ["0", "4", "6"]  # 每 eval_interval 步评估一次，最后一步一定评估
    vocab = int(re.search(r"词表 ([\d,]+) 字", out).group(1).replace(",", ""))
    first, last = [tuple(map(float, s[1:3])) for s in (steps[0], steps[-1])]
    assert first == pytest.approx((math.log(vocab),) * 2, abs=0.05)  # 刚初始化：约 ln V
    assert last[0] < first[0] - 0.05 and last[1] < first[1] - 0.05, steps  # 6 步就学到了东西：权重真的在变
    assert steps[0][3] == "0" and all(int(s[3].replace(",", "")) > 0 for s in steps[1:])  # 训练的速度是真量出来的
    assert "--- 春江 ---\n春江" in out and "--- 往事 ---\n往事" in out


@pytest.mark.parametrize("name", LESSONS)
def test_help_lists_every_hyperparameter(name, capsys):
    mod = load(name)
    with pytest.raises(SystemExit) as e:
        mod.main(["--help"])
    assert e.value.code == 0
    out = capsys.readouterr().out
    for f in fields(mod.Config):
        assert f"--{f.name}" in out


def bad_values(name):
    n = lesson_number(name)
    cases = [
        (["--batch_size", "0"], "--batch_size 必须是正整数"),
        (["--n_embed", "-8"], "--n_embed 必须是正整数"),
        (["--learning_rate", "-1"], "--learning_rate 必须大于 0"),
        (["--lr_decay_iters", "0"], "--lr_decay_iters 必须是正整数"),
        (["--max_iters", "ten"], "参数错误"),
        (["--no_such_option", "1"], "参数错误"),
        (["--block_size", "100000"], "太少了：验证集只有"),
        (["--device", "tpu"], "--device 只能是"),
        (["--prompt", "春江ⓧ"], "词表中没有的字：ⓧ"),
        (["--data", "/nonexistent/ci.txt"], "读不到训练语料 /nonexistent/ci.txt"),
    ]
    if n >= 4:
        cases.append((["--n_embed", "30", "--n_head", "4"], "必须能被 --n_head (4) 整除"))
    if n >= 10:
        cases.append((["--dropout", "1.5"], "--dropout 必须在 [0, 1) 之间"))
    return [(name, argv, message) for argv, message in cases]


@pytest.mark.parametrize("name, argv, message", [c for n in LESSONS for c in bad_values(n)])
def test_bad_values_get_one_clear_line(name, argv, message, small_corpus, capsys):
    """学习者看到的就是这一行：SystemExit 的说明打印在 stderr 上，之前 stdout 上什么都没有。"""
    mod = load(name)
    if "--data" not in argv:
        argv = ["--data", str(small_corpus), *argv]
    with pytest.raises(SystemExit) as e:
        mod.main(argv)
    text = str(e.value.code)
    assert message in text and "\n" not in text.strip(), text
    seen = capsys.readouterr()
    assert seen.out == "" and seen.err == "", seen


@pytest.mark.parametrize("name", LESSONS)
def test_learning_rate_warms_up_decays_and_then_stays_at_the_floor(name):
    mod = load(name)
    config = mod.Config(max_iters=1000, warmup_iters=100, lr_decay_iters=600, learning_rate=1e-2, min_lr_ratio=0.1)
    lrs = [mod.get_lr(step, config) for step in range(config.max_iters)]
    assert lrs[0] == pytest.approx(1e-4) and lrs[99] == pytest.approx(1e-2)  # 预热：线性升到最大
    assert all(a < b for a, b in zip(lrs[:99], lrs[1:100]))
    assert all(a >= b for a, b in zip(lrs[99:600], lrs[100:601]))  # 余弦：只降不升
    assert lrs[350] == pytest.approx(0.55e-2)  # 衰减到一半时在最大和最低的正中间
    assert lrs[600:] == [pytest.approx(1e-3)] * 400  # lr_decay_iters 之后保持最低


@pytest.mark.parametrize("name", LESSONS)
def test_training_longer_keeps_the_default_schedule_and_shorter_runs_decay_fully(name):
    mod = load(name)
    default = mod.Config()
    longer = mod.Config(max_iters=4 * default.lr_decay_iters)
    assert [mod.get_lr(s, longer) for s in range(default.lr_decay_iters)] == \
           [mod.get_lr(s, replace(default, max_iters=default.lr_decay_iters)) for s in range(default.lr_decay_iters)]
    shorter = mod.Config(max_iters=default.lr_decay_iters // 4, warmup_iters=10)
    assert mod.get_lr(shorter.max_iters - 1, shorter) == pytest.approx(shorter.learning_rate * shorter.min_lr_ratio, rel=1e-3)


# --- 各课之间的关系：不变的部分逐字相同，相邻两课只差一个概念 ---

def top_level_sources(name):
    """{顶层函数/类的名字: 源代码}。"""
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    tree = ast.parse(source)
    parts = {node.name: ast.get_source_segment(source, node) for node in tree.body if hasattr(node, "name")}
    return parts


RECIPE = ["CharTokenizer", "get_batch", "estimate_loss", "get_lr", "make_optimizer"]


@pytest.mark.parametrize("part", RECIPE)
def test_the_training_recipe_is_identical_in_every_lesson(part):
    sources = {name: top_level_sources(name).get(part) for name in LESSONS}
    assert sources["babygpt_v1"] is not None
    for name, source in sources.items():
        assert source == sources["babygpt_v1"], f"{part} 在 {name} 里和 v1 不一样"


def test_what_is_not_the_lesson_is_written_once_in_the_scaffold():
    """命令行、设备、读语料、CPU 上的时间估计：只在 scaffold.py 里，哪一课都不再写一遍。"""
    plumbing = set(top_level_sources("scaffold"))
    assert {"parse_args", "check_config", "pick_device", "read_text", "split_text", "read_corpus", "warn_if_slow_on_cpu",
            "run_main"} <= plumbing
    for name in [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"]:
        again = set(top_level_sources(name)) & plumbing
        assert not again, f"{name} 又写了一遍 {again}"


@pytest.mark.parametrize("part", ["train", "main"])
def test_training_loop_and_main_are_identical_up_to_v11(part):
    sources = {name: top_level_sources(name)[part] for name in LESSONS[:11]}
    assert len(set(sources.values())) == 1


# 相邻两课的代码（不含文档字符串）最多改动多少行：每一步的预算都按这一步的概念来定
DIFF_BUDGET = {
    "babygpt_v2_position": 4,  # 一张位置向量表，加到字向量上
    "babygpt_v3_self_attention": 30,  # Head 类，用上它
    "babygpt_v4_multihead_attention": 18,  # n_head，MultiHeadAttention 类
    "babygpt_v5_feedforward": 20,  # FeedForward 类，用上它
    "babygpt_v6_block": 22,  # n_layer，Block 类，把 sa/ffwd 换成 blocks
    "babygpt_v7_residual_connection": 6,  # 两个“x +”
    "babygpt_v8_projection": 4,  # proj 一层
    "babygpt_v9_layer_norm": 12,  # ln1、ln2、ln_f
    "babygpt_v10_dropout": 8,  # dropout 字段和三处 Dropout
    "babygpt_v11_hyper_params": 24,  # 只改默认值
    "babygpt_v12_wandb": 240,  # wandb（连不上服务器时改为离线）、检查点、--resume（Ctrl-C 在两步之间生效）、CPU 提示
}


@pytest.mark.parametrize("name", LESSONS[1:])
def test_adjacent_lessons_differ_by_a_bounded_number_of_lines(name):
    previous = LESSONS[LESSONS.index(name) - 1]
    assert diff_size(f"{previous}.py", f"{name}.py") <= DIFF_BUDGET[name]


def definitions(name):
    """一课的代码按顶层的定义切开（文档字符串不算）：{名字: 源代码}。Config 按字段切，import 合成一项。"""
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    parts = {}
    for node in ast.parse(source).body[1:]:
        segment = ast.get_source_segment(source, node)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            parts["import"] = parts.get("import", "") + segment + "\n"
        elif isinstance(node, ast.ClassDef) and node.name == "Config":
            parts.update({f"Config.{item.target.id}": ast.get_source_segment(source, item)
                          for item in node.body if isinstance(item, ast.AnnAssign)})
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            parts[node.name] = segment
        elif isinstance(node, ast.Assign):
            parts[node.targets[0].id] = segment
        else:
            assert isinstance(node, ast.If) and "__main__" in segment, segment
            parts["__main__"] = segment
    return parts


V11_DEFAULTS = {"max_iters", "eval_interval", "eval_iters", "batch_size", "block_size", "learning_rate", "warmup_iters",
                "n_embed", "n_head", "n_layer", "dropout"}
CONCEPT = {  # 每一课改了哪些定义（加的、删的、改的）：这一课的概念，别的什么都不动
    "babygpt_v2_position": {"BabyGPT"},
    "babygpt_v3_self_attention": {"Head", "BabyGPT"},
    "babygpt_v4_multihead_attention": {"Config.n_head", "MultiHeadAttention", "BabyGPT"},
    "babygpt_v5_feedforward": {"FeedForward", "BabyGPT"},
    "babygpt_v6_block": {"Config.n_layer", "Block", "BabyGPT"},
    "babygpt_v7_residual_connection": {"Block"},
    "babygpt_v8_projection": {"MultiHeadAttention"},
    "babygpt_v9_layer_norm": {"Block", "BabyGPT"},
    "babygpt_v10_dropout": {"Config.dropout", "Head", "MultiHeadAttention", "FeedForward"},
    "babygpt_v11_hyper_params": {f"Config.{name}" for name in V11_DEFAULTS},
    "babygpt_v12_wandb": {"import", "Config.ckpt_path", "Config.resume", "Config.wandb_project", "StopBetweenSteps", "train",
                          "wandb_has_api_key", "wandb_server", "wandb_server_reachable", "init_wandb", "finish_wandb",
                          "get_rng_state", "set_rng_state", "save_checkpoint", "MODEL_SETTINGS", "load_for_resume", "main"},
}


@pytest.mark.parametrize("name", LESSONS[1:])
def test_adjacent_lessons_differ_by_one_concept(name):
    """diff 两课（文档字符串以外）看到的正是这一课的概念：改动的定义正好是 CONCEPT 里的那些，没有改名、没有挪位置。"""
    before, after = definitions(LESSONS[LESSONS.index(name) - 1]), definitions(name)
    changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert changed == CONCEPT[name]
    kept = [key for key in before if key in after]
    assert kept == [key for key in after if key in before]  # 留下来的定义，先后次序不变
    assert all(key in after for key in before)  # 后一课只加不删


def test_v11_changes_only_default_values():
    removed = [line for line in difflib.ndiff(code_lines("babygpt_v10_dropout.py"), code_lines("babygpt_v11_hyper_params.py"))
               if line.startswith("- ")]
    assert removed and all(re.match(r"- {5}\w+: \w+ = option\(", line) for line in removed)


def test_v1_to_v10_share_the_lesson_defaults():
    defaults = {}
    for name in LESSONS[:10]:
        for f in fields(load(name).Config):
            defaults.setdefault(f.name, set()).add(repr(f.default))
    assert all(len(values) == 1 for values in defaults.values()), defaults


@pytest.mark.parametrize("name", LESSONS)
def test_docstring_says_what_the_step_adds_and_its_val_loss(name):
    doc = load(name).__doc__
    assert len(doc.splitlines()) >= 5
    assert re.search(r"验证集损失[^\n]*\d\.\d\d", doc), "文档字符串里应写明这一课在默认设置下的验证集损失"
    if name != "babygpt_v1":
        previous = LESSONS[LESSONS.index(name) - 1]
        assert f"diff {previous}.py {name}.py" in doc or f"{previous}.py {name}.py" in doc


def test_importing_the_scripts_has_no_side_effects(tmp_path):
    import subprocess
    import sys

    names = [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"]
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); " + "; ".join(f"import {n}" for n in names)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", LESSONS[:10])
def test_docstring_quotes_the_measured_default_run(name):
    """文档字符串里“默认设置下……”那一句是 tools/benchmark_lessons.py --write 写进去的，和 README 的表一致。"""
    doc = ast.get_docstring(ast.parse((ROOT / f"{name}.py").read_text(encoding="utf-8")))
    found = re.search(r"默认设置下（2 核 CPU，约 (\d+) 秒，([\d.]+) R）：验证集损失 ([\d.]+)，训练损失 ([\d.]+)", doc)
    assert found, name
    seconds, r, val, train = map(float, found.groups())
    assert seconds > 0 and r > 0 and 4 < val < 6 and 4 < train < 6  # 4000 步之后都在 ln V = 8.72 以下很多
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"| `{name}.py` |" in readme and f"| {val:.4f} | {train:.4f} |" in readme


def test_stability_table_subtracts_the_ladders_default_from_each_long_run():
    """训练 4 倍长的表：每一行是一次 16000 步的运行，减去梯子上同一课默认设置的验证集损失；加了参数的另起一行。"""
    rows = [{"lesson": 6, "extra": "--lr_decay_iters 16000", "curve": [[0, 8.7, 8.7, 0], [16000, 6.2, 6.3, 0]]},
            {"lesson": 5, "extra": "", "curve": [[16000, 4.4, 4.5, 0]]}]  # 只改了步数的
    lines = stability_markdown(rows, {5: (4.7, 4.6), 6: (5.4, 5.3)}).splitlines()
    assert lines[2] == "| v5 | 4.7000 | 4.5000 | 4.4000 | -0.2000 |"
    assert lines[3] == "| v6，`--lr_decay_iters 16000` | 5.4000 | 6.3000 | 6.2000 | +0.9000 |"


def test_repeated_ladder_runs_take_the_median_time_per_run_of_r_and_refuse_different_losses():
    def run(r, seconds, tokens_per_sec=1000):
        return [{"lesson": n, "r": r, "seconds": s, "curve": [[0, 8.7, 8.7, 0], [4000, 4.5, 4.6, tokens_per_sec]]}
                for n, s in zip((1, 2), seconds)]
    combined = median_of_runs([run(40, (100, 10)), run(50, (90, 200), tokens_per_sec=1200), run(45, (135, 50))])  # tokens/s 可以不同
    assert combined[0]["seconds"] == 100 and combined[1]["seconds"] == 50 and combined[0]["r"] == 45
    assert combined[0]["ratio"] == pytest.approx(2.5)  # 每遍先除以同一遍的 R：2.5、1.8、3.0
    # 合计是这一列的和（100 + 50），不是每遍合计的中位数（110、290、185 的中位数 185）：表的这一列加起来就是合计
    assert combined[0]["total_seconds"] == 150
    assert combined[0]["total_ratio"] == pytest.approx(round(2.5, 2) + round(statistics.median([10 / 40, 200 / 50, 50 / 45]), 2))
    different = run(45, (100, 100))
    different[1]["curve"][-1][2] = 4.7
    with pytest.raises(AssertionError):
        median_of_runs([run(40, (100, 100)), different])


def test_code_diff_shows_the_code_change_alone_with_the_files_line_numbers():
    """tools/code_diff.py：不含文档字符串，改动的行数就是 diff_size，@@ 里的行号是文件里真正的行号。"""
    import code_diff

    a, b = "babygpt_v6_block.py", "babygpt_v7_residual_connection.py"
    lines = code_diff.code_diff(a, b, context=0)
    changed = [line for line in lines if line[:1] in "+-" and not line.startswith(("+++", "---"))]
    assert len(changed) == diff_size(a, b) and not any("试一试" in line or "默认设置下" in line for line in changed)
    for hunk in (line for line in lines if line.startswith("@@")):
        start = int(hunk.split()[2][1:].split(",")[0])
        first_added = lines[lines.index(hunk) + 1 :]
        first_added = next(line[1:] for line in first_added if line.startswith("+"))
        assert (ROOT / b).read_text(encoding="utf-8").splitlines()[start - 1] == first_added


@pytest.mark.parametrize("name", ["babygpt_v1", "babygpt_v8_projection", "babygpt_v12_wandb"])
def test_a_diverged_training_says_so_in_one_line_and_keeps_the_old_checkpoint(name, small_corpus, tmp_path, capsys, monkeypatch):
    """学习率大得离谱：损失成了 nan。不去用坏掉的参数写字（那会抛出一大段 traceback），只说一句；v12 不覆盖原来的检查点。"""
    monkeypatch.setenv("WANDB_MODE", "disabled")
    mod = load(name)
    ckpt = tmp_path / "model.pth"
    ckpt.write_bytes(b"the good old model")
    extra = ["--ckpt_path", str(ckpt)] if lesson_number(name) == 12 else []
    with pytest.raises(SystemExit) as e:
        mod.main(["--data", str(small_corpus), *tiny_args(mod), "--learning_rate", "1e9", "--grad_clip", "0", *extra])
    message = str(e.value.code)
    assert message.startswith("错误：训练发散了") and "\n" not in message
    assert "val loss nan" in capsys.readouterr().out and ckpt.read_bytes() == b"the good old model"


@pytest.mark.parametrize("name", LESSONS)
def test_ctrl_c_outside_the_training_steps_exits_130_without_a_traceback(name, capsys):
    """`if __name__ == "__main__":` 那一段：没被训练循环接住的 Ctrl-C（v12 里是第二次 Ctrl-C）变成退出码 130，
    shell 的 `命令1 && 命令2` 就停在这里。在模块自己的命名空间里执行那一段，main 换成一个按下 Ctrl-C 的函数。"""
    mod = load(name)
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    block = ast.parse(source).body[-1]
    assert isinstance(block, ast.If) and "__main__" in ast.get_source_segment(source, block)

    def pressed():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as e:
        exec(compile(ast.Module([block], []), name, "exec"), {**vars(mod), "__name__": "__main__", "main": pressed})
    assert e.value.code == 130 and capsys.readouterr().err == "\n已中断。\n"


def test_the_second_ctrl_c_during_training_does_not_wait_for_the_step():
    import babygpt_v12_wandb as v12

    with v12.StopBetweenSteps() as ctrl_c:
        ctrl_c.request(signal.SIGINT, None)  # 第一次：记下来，做完这一步再停
        assert ctrl_c.requested
        with pytest.raises(KeyboardInterrupt):  # 第二次：立即退出（__main__ 再把它变成 130）
            ctrl_c.request(signal.SIGINT, None)
