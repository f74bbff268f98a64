"""每一课的概念，用算术说清楚：拿这一课的参数，用 torch.nn.functional 的现成算子（F.embedding、F.linear、
F.scaled_dot_product_attention、F.relu、F.layer_norm）照着概念另写一遍前向，必须和这一课的模型算得一样。
概念被拿掉或写错（忘了加位置向量、注意力不除以 √hs、只用了一个头、MLP 没有 ReLU、少了残差、跳过投影、LayerNorm 没用上……），
形状照样对得上、损失照样会降，这里却一定对不上。dropout 和采样器的几个旋钮另有测试。"""

import pytest
import torch
from torch.nn import functional as F

import course

VOCAB = 97
LESSONS = [file[:-3] for _, file, _ in course.LESSONS]
CONCEPTS = {  # 第几课起有这个概念
    "position": 2, "attention": 3, "heads": 4, "mlp": 5, "blocks": 6, "residual": 7, "projection": 8, "layer_norm": 9,
}


def has(n, concept):
    return n >= CONCEPTS[concept]


def attention(p, prefix, x, n, n_head):
    """因果自注意力：每个头 softmax(q kᵀ / √hs + 遮罩) v（torch 的 scaled_dot_product_attention），各头拼起来，v8 起再投影。"""
    names = [f"{prefix}heads.{h}." for h in range(n_head)] if has(n, "heads") else [prefix]
    outs = []
    for name in names:
        q, k, v = (F.linear(x, p[f"{name}{w}.weight"]) for w in ("query", "key", "value"))
        outs.append(F.scaled_dot_product_attention(q, k, v, is_causal=True))
    out = torch.cat(outs, dim=-1)
    return F.linear(out, p[f"{prefix}proj.weight"], p[f"{prefix}proj.bias"]) if has(n, "projection") else out


def mlp(p, prefix, x):
    """C -> 4C，ReLU，4C -> C。"""
    hidden = F.relu(F.linear(x, p[f"{prefix}net.0.weight"], p[f"{prefix}net.0.bias"]))
    return F.linear(hidden, p[f"{prefix}net.2.weight"], p[f"{prefix}net.2.bias"])


def norm(p, prefix, x):
    return F.layer_norm(x, x.shape[-1:], p[f"{prefix}.weight"], p[f"{prefix}.bias"])


def reference_logits(model, idx, n):
    """照着第 n 课的概念，用现成的算子另写一遍前向（评估模式，没有 dropout）。"""
    p = dict(model.named_parameters())
    config = model.config
    x = F.embedding(idx, p["token_embedding_table.weight"])  # (B, T, C)
    if has(n, "position"):
        x = x + p["position_embedding_table.weight"][: idx.shape[1]]
    n_head = getattr(config, "n_head", 1)
    if has(n, "blocks"):
        for i in range(config.n_layer):
            prefix = f"blocks.{i}."
            a = norm(p, f"{prefix}ln1", x) if has(n, "layer_norm") else x
            a = attention(p, f"{prefix}sa.", a, n, n_head)
            x = x + a if has(n, "residual") else a
            f = norm(p, f"{prefix}ln2", x) if has(n, "layer_norm") else x
            f = mlp(p, f"{prefix}ffwd.", f)
            x = x + f if has(n, "residual") else f
    elif has(n, "attention"):
        x = attention(p, "sa.", x, n, n_head)
        if has(n, "mlp"):
            x = mlp(p, "ffwd.", x)
    if has(n, "layer_norm"):
        x = norm(p, "ln_f", x)
    return F.linear(x, p["lm_head.weight"], p["lm_head.bias"])


def lesson(name, tiny_model, randomized, **overrides):
    mod, model = tiny_model(name, **overrides)
    randomized(model, std=0.3).eval()
    return mod, model


@pytest.mark.parametrize("name", LESSONS)
def test_the_lessons_arithmetic_is_its_concept_written_with_torch_functional_ops(name, tiny_model, randomized):
    """第 n 课的前向 = 用 F.* 照着前 n 课的概念另写的一遍（logits 和交叉熵都一样）。"""
    n = int(name.split("_")[1][1:])
    _, model = lesson(name, tiny_model, randomized, n_layer=3)
    model.double()  # float64：两种写法的舍入误差在 1e-12 以下，换一台 CPU（另一套 float32 算子）也一样对得上
    idx = torch.randint(VOCAB, (2, 8))
    targets = torch.randint(VOCAB, (2, 8))
    logits, loss = model(idx, targets)
    expected = reference_logits(model, idx, n)
    assert logits.dtype == expected.dtype == torch.float64
    torch.testing.assert_close(logits, expected, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(loss, F.cross_entropy(expected.flatten(0, 1), targets.flatten()), rtol=1e-9, atol=1e-9)


def test_the_reference_tells_the_concepts_apart(tiny_model, randomized):
    """上面的检查不是空的：拿 v9 的参数、照 v8 的概念（没有 LayerNorm）算，或照 v6 的概念（没有残差）算，都对不上。"""
    _, model = lesson("babygpt_v9_layer_norm", tiny_model, randomized, n_layer=3)
    model.double()
    idx = torch.randint(VOCAB, (2, 8))
    logits, _ = model(idx)
    for n in (6, 8):
        assert not torch.allclose(logits, reference_logits(model, idx, n), atol=1e-3)


@pytest.mark.parametrize("name", [n for n in LESSONS if int(n.split("_")[1][1:]) >= 2])
def test_the_same_character_at_another_position_gets_other_logits(name, tiny_model, randomized):
    """v2 起位置有用：同一个字放在不同的位置上，打分不同（v1 只看字本身，打分相同）。"""
    _, model = lesson(name, tiny_model, randomized)
    logits, _ = model(torch.full((1, 8), 5))
    assert not torch.allclose(logits[0, 0], logits[0, 7], atol=1e-4)
    _, v1 = lesson("babygpt_v1", tiny_model, randomized)
    logits, _ = v1(torch.full((1, 8), 5))
    torch.testing.assert_close(logits[0, 0], logits[0, 7])


def concatenated(mha, x):
    """多头拼接起来的结果：v4–v7 就是 MultiHeadAttention 的输出，v8 起是送进投影层的那个。"""
    if not hasattr(mha, "proj"):
        return mha(x)
    seen = []
    hook = mha.proj.register_forward_pre_hook(lambda module, args: seen.append(args[0]))
    mha(x)
    hook.remove()
    return seen[0]


@pytest.mark.parametrize("name", [n for n in LESSONS if int(n.split("_")[1][1:]) >= 4])
def test_every_head_writes_its_own_slice(name, tiny_model, randomized):
    """多头：第 h 个头只管拼接结果里的第 h 段。改第 h 个头的 value，只有第 h 段变。"""
    _, model = lesson(name, tiny_model, randomized)
    mha = model.blocks[0].sa if hasattr(model, "blocks") else model.sa
    x = torch.randn(1, 8, 16)
    before = concatenated(mha, x)
    with torch.no_grad():
        mha.heads[2].value.weight.mul_(2)
    after = concatenated(mha, x)
    hs = 16 // len(mha.heads)
    changed = [not torch.allclose(before[..., h * hs : (h + 1) * hs], after[..., h * hs : (h + 1) * hs]) for h in range(len(mha.heads))]
    assert changed == [h == 2 for h in range(len(mha.heads))]


@pytest.mark.parametrize("name", [n for n in LESSONS if int(n.split("_")[1][1:]) >= 10])
def test_dropout_sits_in_its_three_places_at_the_configured_rate(name, tiny_model):
    """v10 的三处 dropout：每个头的注意力权重 softmax 之后（每行加起来是 1）、多头投影之后、前馈网络之后；
    比例都是 config.dropout；训练时真的置零并放大 1/(1-p)，评估时什么都不做。"""
    _, model = tiny_model(name, dropout=0.5)
    block = model.blocks[0]
    sites = {}
    hooks = [m.register_forward_hook(lambda m, args, out, key=key: sites.setdefault(key, (args[0], out)) and None)
             for key, m in [("weights", block.sa.heads[0].dropout), ("proj", block.sa.dropout), ("ffwd", block.ffwd.net[-1])]]
    proj_out, ffwd_out = [], []
    hooks += [block.sa.proj.register_forward_hook(lambda m, a, out: proj_out.append(out)),
              block.ffwd.net[2].register_forward_hook(lambda m, a, out: ffwd_out.append(out))]
    assert {m.p for m in model.modules() if isinstance(m, torch.nn.Dropout)} == {0.5}
    model.train()
    model(torch.randint(VOCAB, (2, 8)))
    for hook in hooks:
        hook.remove()
    weights_in, weights_out = sites["weights"]
    torch.testing.assert_close(weights_in.sum(-1), torch.ones(2, 8))  # softmax 之后
    assert torch.equal(sites["proj"][0], proj_out[0]) and torch.equal(sites["ffwd"][0], ffwd_out[0])
    for given, out in sites.values():
        kept = out != 0
        assert (~kept & (given != 0)).any()  # 训练时真的丢掉了一些
        torch.testing.assert_close(out[kept], given[kept] * 2)  # 留下的放大 1 / (1 - 0.5)


@pytest.mark.parametrize("name", [n for n in LESSONS if int(n.split("_")[1][1:]) >= 6])
def test_every_block_is_used(name, tiny_model, randomized):
    """叠 n_layer 层：改最后一层的参数，输出就变（每一层都在前向里）。"""
    _, model = lesson(name, tiny_model, randomized, n_layer=3)
    assert len(model.blocks) == 3
    idx = torch.randint(VOCAB, (1, 8))
    before = model(idx)[0]
    with torch.no_grad():
        model.blocks[2].ffwd.net[2].bias.add_(1.0)
    assert not torch.allclose(model(idx)[0], before)
