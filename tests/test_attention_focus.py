"""tools/attention_focus.py 重新算出来的注意力权重，必须就是每个 Head 在 forward 里用的那一份。"""

import pytest
import torch

import attention_focus  # tools/attention_focus.py（conftest 把 tools/ 加进了导入路径）
from conftest import LESSONS, lesson_number
from test_lessons import model_for, randomized


@pytest.mark.parametrize("name", [n for n in LESSONS if lesson_number(n) >= 3])
def test_recomputed_weights_reproduce_every_heads_output(name):
    _, model = model_for(name, dropout=0.5)  # dropout 不为 0：量的时候必须是评估模式
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


def test_with_one_position_all_attention_is_on_the_current_character():
    _, model = model_for("babygpt_v4_multihead_attention", block_size=1)
    focus = attention_focus.attention_on_self_and_previous(model, torch.randint(0, 97, (2, 1)))
    assert [round(on_self, 6) for on_self, _ in focus] == [1.0] * 4
