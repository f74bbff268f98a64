"""十二课的行为测试：每一课都在进程内、用很小的配置测。"""

import ast
import difflib
import importlib
import inspect
import math
import re
import signal
from dataclasses import fields, replace

import pytest
import torch

import course
import scaffold
from code_diff import code_lines, diff_size

LESSONS = [file[:-3] for _, file, _ in course.LESSONS]  # 模块名：babygpt_v1 … babygpt_v12_wandb
ROOT = course.ROOT
VOCAB = 97


def number(name):
    """'babygpt_v7_residual_connection' -> 7"""
    return int(name.split("_")[1][1:])


def load(name):
    return importlib.import_module(name)


@pytest.mark.parametrize("name", LESSONS)
def test_forward_shapes(name, tiny_model):
    mod, model = tiny_model(name)
    idx = torch.randint(VOCAB, (3, 8))
    logits, loss = model(idx)
    assert logits.shape == (3, 8, VOCAB) and loss is None
    logits, loss = model(idx[:, :5], torch.randint(VOCAB, (3, 5)))  # 比 block_size 短的序列也可以
    assert logits.shape == (3, 5, VOCAB) and loss.shape == ()


@pytest.mark.parametrize("name", LESSONS)
def test_initial_loss_is_close_to_ln_vocab(name, tiny_model):
    mod, model = tiny_model(name, n_embed=32, block_size=16)
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
    config = replace(mod.Config(), **{k: v for k, v in {**settings, "n_head": 4, "n_layer": 2, "dropout": 0.0, **overrides}.items()
                                      if k in {f.name for f in fields(mod.Config)}})
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
    """每一次 optimizer.step() 的那一刻：优化器里的学习率就是 get_lr 给的，参数的梯度的总长度不超过 grad_clip
    （grad_clip 为 0 时不裁剪，梯度比它长得多）。"""
    mod = load(name)
    seen = []  # 每一步：(每组参数的学习率, 梯度的总长度)
    real = mod.make_optimizer

    def make_optimizer(model, config):
        optimizer = real(model, config)
        step = optimizer.step

        def recorded_step(*args, **kwargs):
            grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
            seen.append(([g["lr"] for g in optimizer.param_groups], torch.linalg.vector_norm(torch.cat([g.flatten() for g in grads])).item()))
            return step(*args, **kwargs)

        optimizer.step = recorded_step
        return optimizer

    monkeypatch.setattr(mod, "make_optimizer", make_optimizer)
    text = small_corpus.read_text(encoding="utf-8")
    _, _, config = train_tiny(mod, text, capsys, max_iters=12, eval_interval=12, warmup_iters=4, lr_decay_iters=8)
    assert [lrs for lrs, _ in seen] == [[mod.get_lr(s, config)] * 2 for s in range(12)]  # 两组参数（衰减的、不衰减的）
    seen.clear()
    train_tiny(mod, text, capsys, max_iters=3, eval_interval=3, grad_clip=0.01)
    assert all(norm == pytest.approx(0.01, rel=1e-4) for _, norm in seen), seen  # 裁剪到 0.01
    seen.clear()
    train_tiny(mod, text, capsys, max_iters=3, eval_interval=3, grad_clip=0.0)
    assert all(norm > 0.1 for _, norm in seen), seen  # 不裁剪：梯度本来的长度


@pytest.mark.parametrize("name", LESSONS)
def test_weight_decay_pulls_matrices_only(name, tiny_model):
    """一步 AdamW、梯度全是 0：衰减的参数乘以 (1 - lr × weight_decay)，偏置和 LayerNorm 的一维参数原样不动。"""
    mod, model = tiny_model(name)
    model.double()  # float64：乘以 0.95 的舍入误差在 1e-17 左右，和 CPU 无关
    config = replace(model.config, learning_rate=0.5, weight_decay=0.1)
    optimizer = mod.make_optimizer(model, config)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    for n, p in model.named_parameters():
        factor = 1 - 0.5 * 0.1 if p.dim() >= 2 else 1.0
        torch.testing.assert_close(p.detach(), before[n] * factor, rtol=1e-12, atol=0, msg=n)
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
def test_evaluation_turns_dropout_off_and_back_on(name, tiny_model):
    mod, model = tiny_model(name, dropout=0.5)
    modes = []
    model.register_forward_pre_hook(lambda module, args: modes.append(module.training))
    data = torch.randint(VOCAB, (500,))
    model.train()
    first = mod.estimate_loss(model, {"val": data}, model.config, "cpu")
    assert modes and not any(modes)  # 评估时的每一次前向都在评估模式
    assert model.training  # 评估完回到训练模式
    assert mod.estimate_loss(model, {"val": data}, model.config, "cpu") == first  # 同样的批次，同样的数：没有随机性


@pytest.mark.parametrize("name", LESSONS)
def test_generate_returns_the_requested_length_even_past_block_size(name, tiny_model):
    mod, model = tiny_model(name)
    model.eval()
    out = model.generate(torch.zeros((2, 3), dtype=torch.long), 20)  # 3 + 20 > block_size = 8
    assert out.shape == (2, 23)
    assert out.dtype == torch.long and 0 <= out.min() and out.max() < VOCAB
    assert torch.equal(out[:, :3], torch.zeros((2, 3), dtype=torch.long))


@pytest.mark.parametrize("name", LESSONS)
def test_causality_later_tokens_never_change_earlier_logits(name, tiny_model, randomized):
    mod, model = tiny_model(name)
    randomized(model).double().eval()  # float64：“没变”就是差在 1e-9 以内，哪台 CPU 上都成立；看得到未来的模型差在 1e-2 以上
    idx = torch.randint(VOCAB, (2, 8))
    logits, _ = model(idx)
    for t in range(8):
        changed = idx.clone()
        changed[:, t] = (changed[:, t] + 1) % VOCAB
        new_logits, _ = model(changed)
        torch.testing.assert_close(new_logits[:, :t], logits[:, :t], rtol=0, atol=1e-9)
        assert not torch.allclose(new_logits[:, t], logits[:, t])  # 位置 t 自己当然要变


@pytest.mark.parametrize("name", [n for n in LESSONS if number(n) >= 3])
def test_attention_reads_earlier_tokens(name, tiny_model, randomized):
    """从 v3 起，改前面的字会改变后面位置的打分（v1、v2 只看当前这一个字）。"""
    mod, model = tiny_model(name)
    randomized(model).eval()
    idx = torch.randint(VOCAB, (1, 8))
    changed = idx.clone()
    changed[0, 0] = (changed[0, 0] + 1) % VOCAB
    assert not torch.allclose(model(changed)[0][:, -1], model(idx)[0][:, -1])


@pytest.mark.parametrize("name", [n for n in LESSONS if number(n) >= 10])
def test_dropout_is_random_in_training_and_off_in_eval(name, tiny_model):
    mod, model = tiny_model(name, dropout=0.5)
    idx = torch.randint(VOCAB, (2, 8))
    model.train()
    assert not torch.equal(model(idx)[0], model(idx)[0])
    model.eval()
    assert torch.equal(model(idx)[0], model(idx)[0])


@pytest.mark.parametrize("name", [n for n in LESSONS if number(n) <= 11])
def test_main_trains_reports_and_writes(name, small_corpus, capsys, tiny_args):
    mod = load(name)
    mod.main(["--data", str(small_corpus), *tiny_args(mod)])
    out = capsys.readouterr().out
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
    n = number(name)
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
    """v12 的 estimate_loss 多了 torchrun 的那一处（各进程分着算，再加起来），它在 v12 的概念里；其余逐字相同。"""
    sources = {name: top_level_sources(name).get(part) for name in LESSONS if not (part == "estimate_loss" and name == "babygpt_v12_wandb")}
    assert sources["babygpt_v1"] is not None
    for name, source in sources.items():
        assert source == sources["babygpt_v1"], f"{part} 在 {name} 里和 v1 不一样"


def numbers_said_as_defaults(source):
    """代码（模块文档字符串之后）的注释和文档字符串里，紧跟在“默认”后面、到句末为止说出的数。"""
    code = source.split('"""', 2)[2]
    said = re.findall(r"默认[^。；！？\n]*", code)
    return {float(n) for phrase in said for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?:e-?\d+)?", phrase)}


def test_a_default_said_in_a_comment_is_the_default_of_that_file():
    """训练配方在每一课里逐字相同，所以配方的注释不写具体的默认值（v11 起默认值变了）；哪一课的注释说“默认”
    后面跟着数，那个数必须是这一课 Config 里某个字段的默认值。"""
    for name in LESSONS:
        mod = load(name)
        defaults = {float(f.default) for f in fields(mod.Config) if isinstance(f.default, (int, float))}
        said = numbers_said_as_defaults((ROOT / f"{name}.py").read_text(encoding="utf-8"))
        assert said <= defaults, f"{name} 的注释说默认是 {sorted(said - defaults)}，它的 Config 里没有这个默认值"


def test_the_default_check_catches_the_old_sentence():
    """以前 get_batch 的文档字符串在每一课都说“默认每步 32 段 × 16 个字”：v11 的默认是 64 × 256，查得出来。"""
    old = '"""v11"""\n\ndef get_batch():\n    """默认每步 32 段 × 16 个字 = 512 个字，走 4000 步。"""\n'
    said = numbers_said_as_defaults(old)
    v11 = {float(f.default) for f in fields(load("babygpt_v11_hyper_params").Config) if isinstance(f.default, (int, float))}
    assert said == {32, 16, 512, 4000} and not said <= v11


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
    "babygpt_v12_wandb": 300,  # wandb（连不上服务器时改为离线）、检查点、--resume（Ctrl-C 在两步之间生效）、torchrun
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
    "babygpt_v12_wandb": {"import", "Config.batch_size", "Config.ckpt_path", "Config.resume", "Config.wandb_project", "estimate_loss",
                          "StopBetweenSteps", "train",
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
def test_the_docstring_says_what_the_step_adds_its_try_this_and_the_next_diff(name):
    """学习者先读的那一页：标题说这一步加了什么（和 README 的课程地图同一个概念），不超过 25 行；
    v1–v10 写着默认设置下量出的损失和用时；有“试一试”的命令；从上一课来的 diff、到下一课去的 diff 和只看代码的命令。"""
    n = number(name)
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    doc = ast.get_docstring(ast.parse(source))
    assert doc.splitlines()[0].startswith(f"BabyGPT v{n}：") and ast.parse(source).body[0].end_lineno <= 25
    if n <= 10:
        assert len(re.findall(r"^默认设置下（2 核 CPU，约 \d+ 秒，[\d.]+ R）：验证集损失 \d\.\d{4}，训练损失 \d\.\d{4}。", doc, re.M)) == 1
    assert course.exercises(f"{name}.py"), "没有“试一试”"
    if n > 1:
        assert f"diff {LESSONS[n - 2]}.py {name}.py  # 只看代码：python learners/code_diff.py {n}" in doc
    after = (f"下一课：diff {name}.py {LESSONS[n]}.py  # 只看代码：python learners/code_diff.py {n + 1}" if n < 12 else
             "下一步：diff babygpt_v12_wandb.py babygpt_sample_with_kvcache.py  # 只看模型代码：python learners/code_diff.py sampler")
    assert after in doc


def test_importing_the_scripts_has_no_side_effects(tmp_path):
    import subprocess
    import sys

    names = [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"]
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r}); " + "; ".join(f"import {n}" for n in names)
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "" and list(tmp_path.iterdir()) == []


def test_code_diff_shows_the_code_change_alone_with_the_files_line_numbers():
    """learners/code_diff.py：不含文档字符串，改动的行数就是 diff_size，@@ 里的行号是文件里真正的行号。"""
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


def test_code_diff_explains_why_v1_has_no_step_and_shows_the_samplers_cache(capsys):
    """code_diff 1 没有可比的上一课：一行说为什么；code_diff sampler 比 v12 和采样器里同名的类，加的正是缓存。"""
    import code_diff

    code_diff.main(["1"])
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and "simplebigrammodel_with_comments.py" in out
    lines = code_diff.sampler_diff(context=0)
    per_class = {}
    for line in lines:
        if line.startswith("--- "):
            name = line.split()[-1]
        elif line[:1] in "+-" and not line.startswith("+++"):
            per_class.setdefault(name, []).append(line)
    assert all("dropout" in line.lower() for line in per_class["Head"])  # 注意力头本身只拿掉了 dropout
    assert any("attend_with_cache" in line for line in per_class["MultiHeadAttention"] if line[0] == "+")
    assert any("new_cache" in line for line in per_class["BabyGPT"] if line[0] == "+")
    assert any("cache, pos" in line for line in per_class["Block"] if line[0] == "+")
    sampler_lines = (ROOT / "babygpt_sample_with_kvcache.py").read_text(encoding="utf-8").splitlines()
    hunks, current = [], None
    for line in lines:
        if line.startswith("@@"):
            current = [line]
            hunks.append(current)
        elif line.startswith(("---", "+++")):
            current = None
        elif current is not None:
            current.append(line)
    checked = 0
    for header, *body in hunks:  # 行号是采样器文件里真正的行号（没有上下文时，@@ 的行号就是这一段加的第一行）
        added = [line[1:] for line in body if line.startswith("+")]
        if added:
            assert sampler_lines[int(header.split()[2][1:].split(",")[0]) - 1] == added[0]
            checked += 1
    assert checked >= 4


@pytest.mark.parametrize("name", ["babygpt_v1", "babygpt_v8_projection", "babygpt_v12_wandb"])
def test_a_diverged_training_says_so_in_one_line_and_keeps_the_old_checkpoint(name, small_corpus, tmp_path, capsys, monkeypatch,
                                                                              tiny_args):
    """学习率大得离谱：损失成了 nan。不去用坏掉的参数写字（那会抛出一大段 traceback），只说一句；v12 不覆盖原来的检查点。"""
    monkeypatch.setenv("WANDB_MODE", "disabled")
    mod = load(name)
    ckpt = tmp_path / "model.pth"
    ckpt.write_bytes(b"the good old model")
    extra = ["--ckpt_path", str(ckpt)] if number(name) == 12 else []
    with pytest.raises(SystemExit) as e:
        mod.main(["--data", str(small_corpus), *tiny_args(mod), "--learning_rate", "1e9", "--grad_clip", "0", *extra])
    message = str(e.value.code)
    assert message.startswith("错误：训练发散了") and "\n" not in message
    assert "val loss nan" in capsys.readouterr().out and ckpt.read_bytes() == b"the good old model"


@pytest.mark.parametrize("name", [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"])
def test_every_script_runs_its_main_through_the_scaffold(name):
    """脚本的最后一段就是 `if __name__ == "__main__": run_main(main)`：Ctrl-C 的处理（下一个测试）每一个都一样。"""
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    last = source.rstrip().splitlines()[-2:]
    assert last[0] == 'if __name__ == "__main__":' and last[1].split("  #")[0] == "    run_main(main)"


def test_ctrl_c_outside_the_training_steps_exits_130_without_a_traceback(capsys):
    """没被训练循环接住的 Ctrl-C（v12 里是第二次 Ctrl-C）变成一行“已中断。”和退出码 130，
    shell 的 `命令1 && 命令2` 就停在这里；main 正常结束时，它的返回值就是退出码。"""

    def pressed():
        raise KeyboardInterrupt

    with pytest.raises(SystemExit) as e:
        scaffold.run_main(pressed)
    assert e.value.code == 130 and capsys.readouterr().err == "\n已中断。\n"
    with pytest.raises(SystemExit) as e:
        scaffold.run_main(lambda: 1)
    assert e.value.code == 1 and capsys.readouterr().err == ""


def test_the_second_ctrl_c_during_training_does_not_wait_for_the_step():
    import babygpt_v12_wandb as v12

    with v12.StopBetweenSteps() as ctrl_c:
        ctrl_c.request(signal.SIGINT, None)  # 第一次：记下来，做完这一步再停
        assert ctrl_c.requested
        with pytest.raises(KeyboardInterrupt):  # 第二次：立即退出（__main__ 再把它变成 130）
            ctrl_c.request(signal.SIGINT, None)
