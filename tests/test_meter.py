"""平仄和押韵：每个字的读音按《廣韻》（不按普通话），词牌的格律从训练集数出来（阈值照说的那样起作用），
格律检查和手算的一样，--tune 的约束解码守住平仄和韵脚，守不住时放宽并记下次数；坏的输入只说一行。"""

import json
import sys
from types import SimpleNamespace

import pytest
import torch

import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
import course
import meter
import prepare_tunes

ROOT = course.ROOT


@pytest.fixture(scope="module")
def tones():
    return sampler.load_tones()


def test_checked_syllables_are_oblique_and_level_tones_are_level(tones):
    """入声字在词里是仄（普通话把一、国、白、竹、笛读成一声、二声）；风东花春是平；看平去两读。"""
    assert {c: tones[c][0] for c in "一国白月竹笛"} == dict.fromkeys("一国白月竹笛", "仄")
    assert {c: tones[c][0] for c in "风东花春"} == dict.fromkeys("风东花春", "平")
    assert tones["看"][0] == "两" and 15 <= min(tones["月"][1]) <= 19  # 入声字在第 15–19 部


def test_a_simplified_character_and_its_traditional_form_read_alike():
    pytest.importorskip("tshet_uinh", reason="tshet-uinh 要 Python 3.11 以上（requirements.txt）")
    import prepare_tones

    table = prepare_tones.build(list("国國风風东東发發"))
    for simple, full in ("国國", "风風", "东東", "发發"):
        assert {tone for tone, _ in table[simple]} == {tone for tone, _ in table[full]}, simple
    assert prepare_tones.groups("東", "平") == [1] and prepare_tones.groups("東", "入") == [15]
    assert prepare_tones.groups("佳", "平") == [5, 10]  # 佳韵一半在第 5 部、一半在第 10 部


def test_the_shipped_readings_are_what_the_libraries_give():
    """data/tunes.json 里每个字的读音，抽 300 个字用 tshet-uinh 和 OpenCC 重查一遍，一样。"""
    pytest.importorskip("tshet_uinh", reason="tshet-uinh 要 Python 3.11 以上（requirements.txt）")
    import prepare_tones

    shipped = json.loads((ROOT / "data" / "tunes.json").read_text(encoding="utf-8"))["chars"]
    sample = sorted(shipped)[::20]
    assert len(sample) >= 250 and prepare_tones.build(sample) == {c: shipped[c] for c in sample}


HAND = {  # 两首真词，按 data/tunes.json 里这个词牌的格律一个字一个字对过
    # 浣溪沙：31 个定了平仄的位置全合（几、燕两读）；韵脚 杯 台 回 来 徊：杯回徊是灰韵（第 3 部），来是咍韵（第 5 部），
    # 台有咍、之两读（第 3、5 部）：主韵第 3 部，5 个韵脚 4 个押上
    "浣溪沙": ("一曲新词酒一杯，去年天气旧亭台。夕阳西下几时回？\n无可奈何花落去，似曾相识燕归来。小园香径独徘徊。", 1.0, 0.8),
    # 西江月：平仄全合；韵脚 蝉 年 片 前 边 见 都在第 7 部（先仙和它们的去声），平仄通押
    "西江月": ("明月别枝惊鹊，清风半夜鸣蝉。稻花香里说丰年。听取蛙声一片。\n七八个星天外，两三点雨山前。旧时茅店社林边。路转溪桥忽见。",
               1.0, 1.0),
}


@pytest.mark.parametrize("tune", HAND)
def test_two_real_poems_score_as_counted_by_hand(tune, tones):
    body, tone, rhyme = HAND[tune]
    meters, _ = sampler.tune_meter(tune, SimpleNamespace(tunes=sampler.DEFAULT_TUNES))
    forms = [form for form, _ in sampler.tune_forms(tune, f"\n{tune}{sampler.PUNCT}", sampler.DEFAULT_TUNES)[0]]
    assert meter.scores(body, forms, meters, tones) == (pytest.approx(tone), pytest.approx(rhyme))
    pattern, rhymes = meters[sampler.phrase_lengths(body)]
    marks = meter.tone_marks(meter.phrases(body), pattern, tones)
    assert len(marks) == (31 if tune == "浣溪沙" else len(marks)) and all(t in (m, "两") for m, t in marks)


def test_the_derived_huanxisha_pattern_is_the_handbooks_where_the_handbook_fixes_a_tone():
    """《唐宋词格律》（龙榆生）的浣溪沙：中仄中平中仄平（韵）、中平中仄仄平平（韵）、中平中仄仄平平（韵）；
    中仄中平平仄仄、中平中仄仄平平（韵）、中平中仄仄平平（韵）。数出来的格律在手册定了平仄的地方全同，韵脚也同。"""
    handbook = "中仄中平中仄平|中平中仄仄平平|中平中仄仄平平|中仄中平平仄仄|中平中仄仄平平|中平中仄仄平平".split("|")
    derived = json.loads((ROOT / "data" / "tunes.json").read_text(encoding="utf-8"))["tunes"]["浣溪沙"]["meter"]["7,7,7,7,7,7"]
    for ours, theirs in zip(derived["tones"].split("|"), handbook):
        assert all(b == "中" or a == b for a, b in zip(ours, theirs)), (ours, theirs)
    assert derived["rhymes"] == [0, 1, 2, 4, 5]


FAKE = {"平": ("平", {1}), "仄": ("仄", {1}), "阳": ("平", {2}), "两": ("两", {1})}  # 假的读音表：字名就是它的平仄


def test_the_thresholds_act_as_stated_and_a_rhyme_position_is_found():
    """五首一样格式（两句，各三个字）的词：第 1 个位置 4 平 1 仄（0.8：平），第 2 个 1 平 4 仄（0.2：仄），
    第 3 个 3 平 2 仄（0.6：中）；两读的字不算。第一句句末 5 首里 4 首押主韵（第 1 部），是韵脚；第二句句末是第 2 部，不是。"""
    bodies = ["平仄平，两两阳。", "平仄平，两两阳。", "平仄平，两两阳。", "平平仄，两两阳。", "仄仄仄，两两平。"]
    derived = prepare_tunes.meter(bodies, FAKE, high=0.8)
    assert derived["tones"] == "平仄中|中中平"
    assert derived["rhymes"] == [0]
    assert prepare_tunes.meter(bodies, FAKE, high=0.9)["tones"] == "中中中|中中平"  # 0.8 够不上 0.9：平、仄都成了中


CHARS = "".join(sorted(set("\n 春江，。平仄阳两")))


def constrained(meter_data, tones, seed):
    torch.manual_seed(0)
    model = sampler.BabyGPT(sampler.ModelConfig(block_size=32, n_embed=16, n_head=2, n_layer=1), len(CHARS)).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.5)
    form = sampler.FormConstraint([(3, 3, 3)], CHARS, (meter_data, tones))
    prompt = torch.tensor([[CHARS.index(c) for c in "\n\n春江 "]])
    ids = [t.item() for t, _ in sampler.generate_with_cache(model, prompt, 30, 1.0, 0, torch.Generator().manual_seed(seed), form)]
    text = "".join(CHARS[i] for i in ids)
    return text.partition("\n")[2].split("\n\n")[0], form


@pytest.mark.parametrize("seed", range(5))
def test_constrained_decoding_keeps_tone_and_rhyme_and_counts_fallbacks(seed):
    tones = {"平": ("平", {1}), "仄": ("仄", {1}), "阳": ("平", {2}), "两": ("两", {2}), "春": ("平", {1}), "江": ("平", {2})}
    meters = {(3, 3, 3): (["仄平中", "平仄中", "中中中"], {0, 1, 2})}
    body, form = constrained(meters, tones, seed)
    split = meter.phrases(body)
    assert [len(p) for p in split] == [3, 3, 3], body
    for phrase, want in zip(split, meters[(3, 3, 3)][0]):
        assert all(m == "中" or tones[c][0] in (m, "两") for c, m in zip(phrase, want)), body  # 每个位置合平仄
    first = tones[split[0][-1]][1]
    assert all(tones[p[-1]][1] & first for p in split[1:]), body  # 之后的韵脚和第一个同部
    assert form.fallbacks == 0
    # 词表里没有能放在仄声位置上的字（仄、两读都改成平）：要仄的两个位置放宽（只管字数），记下次数
    no_ze = {c: ("平", g) for c, (_, g) in tones.items()}
    body, form = constrained(meters, no_ze, seed)
    assert [len(p) for p in meter.phrases(body)] == [3, 3, 3] and form.fallbacks >= 2


def test_no_tone_is_the_old_constraint(capsys, tmp_path):
    """--no_tone：只管字数，和以前的约束解码一样（同一个种子写同一首）；没有格律数据的格式表：说一句，照样按字数写。"""
    torch.manual_seed(0)
    config = v12.Config(block_size=32, n_embed=16, n_head=2, n_layer=1, dropout=0.0)
    chars = "".join(sorted(set("\n 浣溪沙春江花月夜平仄，。")))
    path = tmp_path / "m.pth"
    v12.save_checkpoint(str(path), v12.BabyGPT(config, len(chars)), config, v12.CharTokenizer(chars), [(0, 3.0, 3.1)], 0)
    tunes = tmp_path / "tunes.json"
    tunes.write_text(json.dumps({"tunes": {"浣溪沙": {"poems": 3, "forms": [[[7, 7, 7, 7, 7, 7], 3]]}}}, ensure_ascii=False),
                     encoding="utf-8")
    common = ["--ckpt_path", str(path), "--tune", "浣溪沙", "--seed", "3", "--tunes", str(tunes)]
    sampler.main(common)
    without_data = capsys.readouterr().out
    assert "没有平仄和押韵的数据" in without_data and without_data.count("没有平仄和押韵的数据") == 1
    sampler.main([*common, "--no_tone"])
    plain = capsys.readouterr().out
    assert "没有平仄和押韵的数据" not in plain
    assert plain.split("\n", 1)[1].split("\n[")[0] == without_data.split("\n", 2)[2].split("\n[")[0]  # 写的是同一首
