"""learners/layernorm_ablation.py 拿掉的正是它说的那几个 LayerNorm，量的正是进 ln_f 之前的残差通路。"""

import pytest
import torch
import torch.nn as nn

import layernorm_ablation  # learners/layernorm_ablation.py（conftest 把 learners/ 加进了导入路径）


def layer_norm_names(model):
    return sorted(name for name, m in model.named_modules() if isinstance(m, nn.LayerNorm))


@pytest.mark.parametrize(
    "variant, kept",
    [
        ("全部", ["blocks.0.ln1", "blocks.0.ln2", "blocks.1.ln1", "blocks.1.ln2", "ln_f"]),
        ("去掉 ln_f", ["blocks.0.ln1", "blocks.0.ln2", "blocks.1.ln1", "blocks.1.ln2"]),
        ("只留 ln_f", ["ln_f"]),
    ],
)
def test_each_variant_removes_exactly_the_named_layer_norms(variant, kept, tiny_model):
    _, model = tiny_model("babygpt_v9_layer_norm")  # 两层
    layernorm_ablation.remove_layer_norms(model, layernorm_ablation.VARIANTS[variant])
    assert layer_norm_names(model) == kept
    logits, _ = model(torch.randint(0, 97, (2, 8)))  # 换掉之后模型照样能跑
    assert logits.shape == (2, 8, 97)


def test_residual_stream_stats_measure_what_ln_f_reads(tiny_model):
    _, model = tiny_model("babygpt_v9_layer_norm")
    model.blocks = nn.Identity()  # 残差通路就只剩 字向量 + 位置向量，可以直接算出来
    model.train()
    x = torch.randint(0, 97, (3, 8))
    r = model.token_embedding_table(x) + model.position_embedding_table(torch.arange(8))  # (3, 8, C)
    norm, common = layernorm_ablation.residual_stream_stats(model, x)
    assert model.training  # 量完恢复原来的模式
    assert norm == pytest.approx(r.norm(dim=-1).mean().item(), rel=1e-5)
    assert 0 < common < 1

    with torch.no_grad():  # 每个字的向量都一样、位置向量为 0：每个位置的 r 都一样，全是共有的部分
        model.token_embedding_table.weight.copy_(torch.randn(model.config.n_embed))
        model.position_embedding_table.weight.zero_()
    assert layernorm_ablation.residual_stream_stats(model, x)[1] == pytest.approx(1.0)
