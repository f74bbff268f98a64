"""learners/attention_focus.py 重新算出来的注意力权重，必须就是每个 Head 在 forward 里用的那一份。"""

import pytest
import torch

import attention_focus  # learners/attention_focus.py（conftest 把 learners/ 加进了导入路径）
import course

ATTENTION = [file[:-3] for n, file, _ in course.LESSONS if n >= 3]  # 从 v3 起才有注意力


@pytest.mark.parametrize("name", ATTENTION)
def test_recomputed_weights_reproduce_every_heads_output(name, tiny_model, randomized):
    _, model = tiny_model(name, dropout=0.5)  # dropout 不为 0：量的时候必须是评估模式
    randomized(model)  # 大一些的权重，注意力才不是平均分配，比较才有意义
    model.train()
    x = torch.randint(0, 97, (3, 8))
    found = attention_focus.attention_weights(model, x)
    assert model.training  # 量完恢复原来的模式
    n_head = getattr(model.config, "n_head", 1)
    assert len(found) == n_head * getattr(model.config, "n_layer", 1)
    model.eval()
    for head, head_input, wei in found:
        assert torch.allclose(wei.sum(-1), torch.ones(3, 8))
        assert (wei.triu(1) == 0).all()  # 看不到未来的字
        assert torch.allclose(wei @ head.value(head_input), head(head_input), atol=1e-6)


def test_a_head_built_to_read_the_previous_character_is_measured_as_such(tiny_model):
    """v3 的一个头，权重是手工设的：字向量为 0，第 t 个位置的位置向量是第 t 个单位向量，key 原样取它，
    query 把它换成第 t-1 个单位向量再放大。于是第 t 个字（t ≥ 1）几乎只看第 t-1 个字，第 0 个字只能看自己。"""
    _, model = tiny_model("babygpt_v3_self_attention", n_embed=16, block_size=8)
    head = model.sa
    with torch.no_grad():
        model.token_embedding_table.weight.zero_()
        model.position_embedding_table.weight.copy_(torch.eye(8, 16))
        head.key.weight.copy_(torch.eye(16))
        head.query.weight.copy_(50 * torch.diag(torch.ones(15), -1).T)  # e_t -> 50·e_(t-1)
    (on_self, on_previous), = attention_focus.attention_on_self_and_previous(model, torch.randint(0, 97, (2, 8)))
    assert on_self == pytest.approx(1 / 8, abs=1e-4)  # 只有第 0 行把权重放在自己身上
    assert on_previous == pytest.approx(1.0, abs=1e-4)  # 其余 7 行都放在前一个字上
