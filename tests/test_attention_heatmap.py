"""learners/attention_heatmap.py：在很小的模型上也能画出热图，写出的是合法的 PNG，汉字不缺字形。"""

import struct
import warnings
from collections import Counter

import pytest
import torch

import attention_focus
import attention_heatmap
import babygpt_v12_wandb as v12

TEXT = attention_heatmap.DEFAULT_TEXT


def png_size(path):
    """PNG 文件头：8 字节签名，然后是 IHDR 块，里面是宽和高。"""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


@pytest.fixture
def tiny_checkpoint(tmp_path):
    chars = "".join(sorted(set(TEXT + "春江潮水连海平\n")))
    config = v12.Config(block_size=24, n_embed=16, n_head=2, n_layer=3, dropout=0.0)
    torch.manual_seed(0)
    path = tmp_path / "model.pth"
    v12.save_checkpoint(str(path), v12.BabyGPT(config, len(chars)), config, v12.CharTokenizer(chars), [], 0)
    return path


def test_draws_every_head_of_a_v12_checkpoint_into_a_png(tiny_checkpoint, tmp_path, capsys, monkeypatch):
    """图上的每一格就是那个头的注意力权重（另算一遍来比），未来留白；标题按层、头的次序；打印的数就是图上的数。"""
    import matplotlib.axes

    shown = []
    real_imshow = matplotlib.axes.Axes.imshow
    monkeypatch.setattr(matplotlib.axes.Axes, "imshow", lambda ax, data, **kw: shown.append((ax, data)) or real_imshow(ax, data, **kw))
    out = tmp_path / "attention.png"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib 缺字形时发 "Glyph ... missing from font" 警告：当作失败
        attention_heatmap.main(["--ckpt_path", str(tiny_checkpoint), "--out", str(out)])
    width, height = png_size(out)
    assert height > width  # 3 层（行）× 2 个头（列）：比宽更高……
    assert width > 300  # ……而且每张小图都看得清
    printed = capsys.readouterr().out
    assert "已写入" in printed

    model, chars, _ = attention_heatmap.model_from_checkpoint(str(tiny_checkpoint))
    x = torch.tensor([[chars.index(c) for c in TEXT]])
    expected = [wei[0] for _, _, wei in attention_focus.attention_weights(model, x)]  # 按模块的次序：第 1 层的头 1、头 2……
    assert len(shown) == len(expected) == 6
    future = torch.triu(torch.ones(len(TEXT), len(TEXT), dtype=torch.bool), 1)
    for i, ((ax, data), wei) in enumerate(zip(shown, expected)):
        data = torch.tensor(data)
        assert ax.get_title() == f"第 {i // 2 + 1} 层 · 头 {i % 2 + 1}"  # 层和头都从 1 数起
        assert torch.isnan(data[future]).all()  # 未来留白
        torch.testing.assert_close(data[~future], wei[~future])
        assert f"第 {i // 2 + 1} 层 · 头 {i % 2 + 1}：当前字 {wei.diagonal().mean():.2f}，前一个字 {wei.diagonal(-1).mean():.2f}" in printed


def test_drawn_weights_are_causal_rows_that_sum_to_one(tiny_checkpoint, tmp_path):
    model, chars, _ = attention_heatmap.model_from_checkpoint(str(tiny_checkpoint))
    weights = attention_heatmap.draw(model, chars, TEXT, "t", tmp_path / "a.png")
    assert len(weights) == 6
    for wei in weights:
        T = len(TEXT)
        assert wei.shape == (T, T)
        torch.testing.assert_close(wei.sum(-1), torch.ones(T))
        assert torch.all(wei.triu(1) == 0)  # 看不到未来


def test_the_shipped_font_has_every_character_of_the_corpus_line(corpus_text):
    known = attention_heatmap.use_cjk_font()
    assert set(TEXT) <= known
    counts = Counter(corpus_text.replace("\n", ""))
    missing = sum(n for c, n in counts.items() if c not in known)
    assert missing / sum(counts.values()) < 1e-4  # 语料里的字，缺字形的不到万分之一（只缺 21 个罕见字）


def test_a_lesson_trained_at_tiny_settings_is_drawn_one_panel_per_head(small_corpus, tmp_path, capsys, monkeypatch):
    """--lesson 4：按 v4 的设置训练（4 个头、只有一层），画出一行四张小图，标题是第 1 层的头 1 到头 4。"""
    import matplotlib.axes

    titles = []
    real = matplotlib.axes.Axes.set_title
    monkeypatch.setattr(matplotlib.axes.Axes, "set_title", lambda ax, text, **kw: titles.append(text) or real(ax, text, **kw))
    out = tmp_path / "v4.png"
    attention_heatmap.main(["--lesson", "4", "--text", "春江", "--out", str(out), "--",
                            "--data", str(small_corpus), "--max_iters", "2", "--eval_iters", "1", "--batch_size", "2"])
    assert titles == [f"第 1 层 · 头 {h}" for h in range(1, 5)]
    width, height = png_size(out)
    assert width > 2 * height  # 一行四张：比高宽得多
    assert capsys.readouterr().out.count("第 1 层 · 头") == 4


@pytest.mark.parametrize("argv, message", [
    (["--text", "春ⓧ"], "不在模型的词表里：ⓧ"),
    (["--text", "春" * 30], "最多看 24 个字"),
    (["--lesson", "2"], "3 到 12 之间"),
])
def test_bad_input_gets_one_line(tiny_checkpoint, tmp_path, argv, message):
    with pytest.raises(SystemExit) as e:
        attention_heatmap.main(["--ckpt_path", str(tiny_checkpoint), "--out", str(tmp_path / "x.png"), *argv])
    assert message in str(e.value.code) and "\n" not in str(e.value.code)


def test_missing_checkpoint_says_how_to_make_one(tmp_path):
    with pytest.raises(SystemExit) as e:
        attention_heatmap.main(["--ckpt_path", str(tmp_path / "none.pth"), "--out", str(tmp_path / "x.png")])
    assert "python babygpt_v12_wandb.py" in str(e.value.code)
