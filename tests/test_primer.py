"""simplebigrammodel_with_comments.py：数数、概率、NLL、生成和出错时的提示。"""

import math
import random

import pytest

import scaffold
import simplebigrammodel_with_comments as primer


def fitted(text, alpha=0.5):
    chars, stoi = primer.build_vocab(text)
    ids = primer.encode(text, stoi)
    return primer.BigramModel(len(chars), alpha).fit(ids), chars, stoi


def test_vocab_round_trip():
    chars, stoi = primer.build_vocab("春江花月夜，春江")
    assert chars == sorted(set("春江花月夜，"))
    assert primer.decode(primer.encode("月夜春江", stoi), chars) == "月夜春江"


def test_counts_on_a_tiny_text():
    model, chars, stoi = fitted("abab")
    a, b = stoi["a"], stoi["b"]
    assert dict(model.counts[a]) == {b: 2}
    assert dict(model.counts[b]) == {a: 1}
    assert model.totals[a] == 2 and model.totals[b] == 1


def test_probabilities_sum_to_one_including_a_row_without_successors():
    model, chars, stoi = fitted("abcab")  # 'b' 后面跟过 c，'c' 后面跟过 a；最后的 'b' 没有后继不影响
    for row in range(len(chars)):
        assert math.isclose(sum(model.probs(row)), 1.0, rel_tol=1e-12)
    empty, _, stoi2 = fitted("xy")  # 'y' 在训练集里从来没有后继
    assert empty.probs(stoi2["y"]) == [0.5, 0.5]


def test_nll_of_a_known_case():
    # "aab"：字对 aa、ab；alpha=1, V=2：P(a|a) = (1+1)/(2+2) = 1/2，P(b|a) = (1+1)/(2+2) = 1/2
    model, _, stoi = fitted("aab", alpha=1.0)
    ids = primer.encode("aab", stoi)
    assert math.isclose(model.nll(ids), math.log(2))
    # 在 "aba" 上：P(b|a)=1/2，P(a|b)=(0+1)/(0+2)=1/2（b 没有后继，均匀分布）
    assert math.isclose(model.nll(primer.encode("aba", stoi)), math.log(2))


def test_smoothing_keeps_unseen_pairs_finite():
    model, _, stoi = fitted("aaaa", alpha=0.01)
    model.vocab_size = 2  # 假装词表里还有一个从没出现过的字（编号 1）
    assert 0 < model.prob(stoi["a"], 1) < 0.01


def test_split_holds_out_every_tenth_whole_poem_like_the_lessons():
    poems = [f"词{i}\n第{i}句。\n" for i in range(100)]
    splits, how = scaffold.split_text("\n".join(poems))  # 词与词之间隔一个空行，和 data/ci.txt 一样
    assert splits["val"].startswith("词9\n第9句。\n\n词19\n第19句。\n\n")  # 第 10、20 首，整首，连同后面的空行
    assert splits["val"].count("\n\n") == 10 and splits["train"].count("\n\n") == 90 and "词9\n" not in splits["train"]
    assert "每 10 段里的第 10 段" in how and "100 段" in how


def test_batch_shift():
    x, y = primer.get_batch(list(range(50)), batch_size=3, block_size=5, rng=random.Random(0))
    assert len(x) == len(y) == 3
    for xb, yb in zip(x, y):
        assert len(xb) == 5 and yb == [t + 1 for t in xb]


def test_generation_length_and_determinism():
    model, chars, stoi = fitted("春江潮水连海平，海上明月共潮生。\n")
    start = primer.encode("春江", stoi)
    out1 = model.generate(start, 50, random.Random(7))
    out2 = model.generate(start, 50, random.Random(7))
    assert len(out1) == 52 and out1[:2] == start and out1 == out2
    assert model.generate(start, 50, random.Random(8)) != out1


def test_generation_never_fails_on_a_character_without_successors():
    model, chars, stoi = fitted("ab")  # b 没有后继
    out = model.generate([stoi["b"]], 30, random.Random(0))
    assert len(out) == 31 and all(0 <= i < len(chars) for i in out)


def test_main_runs_end_to_end(small_corpus, capsys):
    primer.main(["--data", str(small_corpus), "--max_new_tokens", "20", "--seed", "3"])
    out = capsys.readouterr().out
    assert "验证集平均负对数似然（NLL）" in out
    assert "--- 春江 ---" in out and "--- 往事 ---" in out
    primer.main(["--data", str(small_corpus), "--max_new_tokens", "20", "--seed", "3"])
    assert capsys.readouterr().out == out  # 同样的种子，同样的输出


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--prompt", "春江ⓧ"], "词表中没有的字：ⓧ"),
        (["--data", "/nonexistent/ci.txt"], "读不到训练语料 /nonexistent/ci.txt"),
        (["--alpha", "0"], "--alpha 必须大于 0"),
        (["--max_new_tokens", "many"], "参数错误"),
    ],
)
def test_bad_input_gets_one_clear_line(argv, message, small_corpus, capsys):
    if "--data" not in argv:
        argv = ["--data", str(small_corpus), *argv]
    with pytest.raises(SystemExit) as e:
        primer.main(argv)
    text = str(e.value.code)
    assert message in text and "\n" not in text.strip()
    assert capsys.readouterr().out == ""  # 学习者只看到这一行
