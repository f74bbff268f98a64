"""格律：断句和格式检查、约束解码（总是合格式，缓存与不缓存相同）、--tune / --free / 《词牌》、格式表和检查工具。"""

import json
import sys
from types import SimpleNamespace

import pytest
import torch

import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
import course
import form_check
import form_poems
import prepare_tunes  # data/prepare_tunes.py（learners/course.py 把 data/ 加进了导入路径）
import scaffold

ROOT = course.ROOT

CHARS = "".join(sorted(set("\n 浣溪沙减字木兰花春江潮水连海平明月共生往事知多少小楼昨夜又东风故国，。、？！；：")))
TUNES = {  # 手写的格式表：两个词牌，各有几种格式（格式，训练集里的首数）
    "浣溪沙": {"poems": 12, "forms": [[[7, 7, 7, 7, 7, 7], 10], [[7, 7, 7, 3, 7, 7, 7, 3], 2]]},
    "减字木兰花": {"poems": 9, "forms": [[[4, 7, 4, 7, 4, 7, 4, 7], 6], [[7, 7, 7, 7, 7, 7, 7, 7], 2], [[4, 7, 4, 7], 2]]},
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """一个随机的小 v12 模型（块长 128，放得下一整首）存成检查点，再加一张手写的格式表。返回 (检查点, 格式表, 模型)。"""
    torch.manual_seed(0)
    config = v12.Config(block_size=128, n_embed=24, n_head=3, n_layer=2, dropout=0.0)
    model = v12.BabyGPT(config, len(CHARS))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    folder = tmp_path_factory.mktemp("form")
    ckpt, tunes = folder / "model.pth", folder / "tunes.json"
    v12.save_checkpoint(str(ckpt), model, config, v12.CharTokenizer(CHARS), [(0, 3.0, 3.1)], 0)
    tunes.write_text(json.dumps({"tunes": TUNES}, ensure_ascii=False), encoding="utf-8")
    return ckpt, tunes, sampler.load_checkpoint(str(ckpt), "cpu")[0]


def forms_of(tune):
    return [tuple(form) for form, _ in TUNES[tune]["forms"]]


def test_phrase_lengths_split_on_the_punctuation_and_ignore_line_breaks():
    assert sampler.phrase_lengths("春江潮水连海平，\n明月共生。") == (7, 4)
    assert sampler.phrase_lengths("往事知多少？小楼！昨夜；又：东风、故国。") == (5, 2, 2, 1, 2, 2)
    assert sampler.phrase_lengths("春江潮水，连海平") == (4, 3)  # 最后没有标点的半句也算
    assert sampler.phrase_lengths("") == ()


def test_check_form_accepts_every_variant_and_says_where_a_poem_breaks():
    forms = forms_of("浣溪沙")
    assert sampler.check_form((7,) * 6, forms) == ((7,) * 6, 1.0, None)
    assert sampler.check_form((7, 7, 7, 3, 7, 7, 7, 3), forms) == (forms[1], 1.0, None)  # 另一种体也合格式
    form, score, broken = sampler.check_form((7, 7, 5, 7, 7, 7), forms)
    assert form == forms[0] and score == pytest.approx(5 / 6) and broken == 2
    assert sampler.describe_break((7, 7, 5, 7, 7, 7), form, broken) == "第 3 句应是 7 个字，写了 5 个字"
    form, score, broken = sampler.check_form((7, 7, 7, 7), forms)
    assert form == forms[0] and score == pytest.approx(4 / 6) and broken == 4
    assert sampler.describe_break((7, 7, 7, 7), form, broken) == "写了 4 句就停了，这个格式有 6 句"
    form, score, broken = sampler.check_form((7,) * 7, forms)
    assert broken == 6 and sampler.describe_break((7,) * 7, form, broken) == "这个格式只有 6 句，多写了 1 句"
    assert sampler.check_form((), forms)[1:] == (0.0, 0)


def write(model, tune, seed, temperature, use_cache, max_new_tokens=5):
    """按格律写一首（不打印）：返回生成的文字（作者、换行、正文、空行）。"""
    args = SimpleNamespace(seed=seed, max_new_tokens=max_new_tokens, temperature=temperature, top_k=0, write_on=False)
    prompt = [CHARS.index(c) for c in f"\n\n{tune} "]
    generator = torch.Generator().manual_seed(seed)
    new_ids, _ = sampler.write(model, CHARS, prompt, args, generator, use_cache, stream=False, forms=forms_of(tune))
    return "".join(CHARS[i] for i in new_ids)


@pytest.mark.parametrize("temperature", [0, 0.8, 2.0])
@pytest.mark.parametrize("tune", TUNES)
def test_constrained_decoding_always_yields_a_valid_form(tiny, tune, temperature):
    model = tiny[2]
    used = set()
    for seed in range(12):
        text = write(model, tune, seed, temperature, use_cache=True)  # max_new_tokens 只有 5：写完整首前不会停
        author, _, rest = text.partition("\n")
        assert 1 <= len(author) <= 8 and author.isalpha()
        assert rest.endswith("\n\n") and "\n\n" not in rest[:-2]  # 正文之后正好一个空行，这首词结束
        assert rest.rstrip("\n")[-1] in "。？！"  # 最后一句用句号、问号或叹号收尾
        lengths = sampler.phrase_lengths(rest)
        assert lengths in forms_of(tune), text
        used.add(lengths)
    if temperature == 2.0:  # 温度高时，几种格式都会被选到
        assert len(used) >= 2, used


@pytest.mark.parametrize("temperature", [0, 0.8])
def test_cached_and_uncached_constrained_decoding_are_identical(tiny, temperature):
    for seed in range(5):
        assert write(tiny[2], "减字木兰花", seed, temperature, True) == write(tiny[2], "减字木兰花", seed, temperature, False)


def test_tune_option_writes_one_poem_and_names_the_variant(tiny, sampler_cli):
    ckpt, tunes, _ = tiny
    proc = sampler_cli("--ckpt_path", str(ckpt), "--tunes", str(tunes), "--tune", "浣溪沙", "--compare")
    assert proc.returncode == 0, proc.stderr
    assert "identical: yes" in proc.stdout
    report = proc.stdout.strip().splitlines()[-1]
    assert report.startswith("格律：合格式 7 7 7") and "这个词牌在训练集里的 2 种格式之一" in report


def test_free_writing_reports_where_the_form_broke(tiny, sampler_cli, capsys):
    ckpt, tunes, _ = tiny
    proc = sampler_cli("--ckpt_path", str(ckpt), "--tunes", str(tunes), "--tune", "《浣溪沙》", "--free", "--temperature", "0")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1].startswith("格律：模型自己写的，")
    text = "又东风\n春江潮水连海平，明月\n共生。\n\n"  # 手写的：第二句只有 4 个字
    forms = [(tuple(form), count) for form, count in TUNES["浣溪沙"]["forms"]]
    sampler.report_form(CHARS, [CHARS.index(c) for c in text], forms, free=True)
    assert capsys.readouterr().out == ("格律：模型自己写的，不合格式：第 2 句应是 7 个字，写了 4 个字；最接近的格式 7 7 7 7 7 7"
                                       "（这个词牌在训练集里的 2 种格式之一，10 首用它），逐句得分 0.17\n")


def test_a_bare_tune_name_writes_freely_and_reports_the_form(tiny, sampler_cli):
    """只输入“浣溪沙”（没有书名号）：让模型自己写这个词牌，写完像 --free 一样说格式合不合；普通的开头不说。"""
    ckpt, tunes, _ = tiny
    proc = sampler_cli("--ckpt_path", str(ckpt), "--tunes", str(tunes), "--temperature", "0", stdin="浣溪沙\n春江\n")
    assert proc.returncode == 0, proc.stderr
    assert "浣溪沙 是词牌名：让模型自己写" in proc.stdout and "输入《浣溪沙》" in proc.stdout
    assert proc.stdout.count("格律：模型自己写的，") == 1


def test_a_tune_in_brackets_in_the_interactive_loop(tiny, sampler_cli):
    ckpt, tunes, _ = tiny
    proc = sampler_cli("--ckpt_path", str(ckpt), "--tunes", str(tunes), stdin="《减字木兰花》\n《没有这个》\n春江\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("请输入文字：") == 4
    assert "格律：合格式" in proc.stdout and "不认识词牌《没有这个》" in proc.stdout
    assert proc.stdout.count("格律：") == 1  # 普通的开头不检查格律


@pytest.mark.parametrize(
    "args, message",
    [
        (["--tune", "没有这个"], "不认识词牌《没有这个》"),
        (["--tune", "故国"], "常见的有：浣溪沙、减字木兰花"),
        (["--tune", ""], "错误：--tune 要一个词牌名"),
        (["--tune", "浣溪沙", "--prompt", "春江"], "不能和 --prompt 一起用"),
        (["--tune", "浣溪沙", "--tunes", "/nonexistent/tunes.json"], "读不到词牌的格式 /nonexistent/tunes.json"),
    ],
)
def test_bad_tune_names_get_one_clear_line(tiny, args, message, capsys):
    """学习者看到的只有一行（退出时说的那一句），模型载入的那一行也不打印。在进程里运行：命令行上的样子见下一个测试。"""
    ckpt, tunes, _ = tiny
    with pytest.raises(SystemExit) as e:
        sampler.main(["--ckpt_path", str(ckpt), "--tunes", str(tunes), *args])
    assert capsys.readouterr().out == ""
    assert message in str(e.value.code) and "\n" not in str(e.value.code), e.value.code


def test_a_checkpoint_trained_on_other_text_cannot_write_a_tune(tmp_path, tiny, sampler_cli):
    chars = "".join(sorted(set("\n the quick brown fox jumps over a lazy dog.,")))
    config = v12.Config(block_size=16, n_embed=8, n_head=2, n_layer=1, dropout=0.0)
    ckpt = tmp_path / "english.pth"
    v12.save_checkpoint(str(ckpt), v12.BabyGPT(config, len(chars)), config, v12.CharTokenizer(chars), [], 0)
    proc = sampler_cli("--ckpt_path", str(ckpt), "--tunes", str(tiny[1]), "--tune", "浣溪沙")
    assert proc.returncode != 0 and proc.stdout == ""
    assert "不是在宋词上训练的" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_the_shipped_tune_table_is_what_prepare_tunes_builds_from_the_training_split():
    """格式全部重数一遍；格律（平仄、韵脚）重数三个词牌（整张表要几秒，python data/prepare_tunes.py 写的就是它）。"""
    shipped = json.loads((ROOT / "data" / "tunes.json").read_text(encoding="utf-8"))
    _, splits = prepare_tunes.corpus_parts()
    train = prepare_tunes.poems_of(splits["train"])
    built = prepare_tunes.tune_forms(train)
    assert {tune: entry["forms"] for tune, entry in shipped["tunes"].items()} == {tune: entry["forms"] for tune, entry in built.items()}
    some = prepare_tunes.add_meters({tune: built[tune] for tune in ("浣溪沙", "菩萨蛮", "西江月")}, train, sampler.load_tones())
    assert all(shipped["tunes"][tune]["meter"] == entry["meter"] for tune, entry in some.items())
    forms = shipped["tunes"]["浣溪沙"]["forms"]
    assert forms[0] == [[7, 7, 7, 7, 7, 7], forms[0][1]] and forms[0][1] > 600 and all(n >= 2 for _, n in forms)


def test_the_checker_picks_its_tunes_from_the_corpus():
    tunes = form_check.checked_tunes(form_check.load_tunes())
    assert [name for name, _ in tunes] == ["浣溪沙", "鹧鸪天", "菩萨蛮", "西江月", "减字木兰花", "蝶恋花", "点绛唇", "清平乐"]
    assert dict(tunes)["菩萨蛮"][0] == (7, 7, 5, 5, 5, 5, 5, 5)


def test_scores_on_handmade_poems():
    tunes = [("浣溪沙", forms_of("浣溪沙"))]
    poems = {"浣溪沙": ["某\n" + "春江潮水连海平，" * 6 + "\n\n",  # 合格式
                        "某\n" + "春江潮水连海平，" * 3 + "春江潮，" * 2 + "\n\n",  # 第 4 句起不合：逐句 3/6
                        "某\n春江潮水连海平，"]}  # 没写完（没有空行）：1/6
    table = form_check.score_poems(poems, tunes)
    whole, phrase, n, tone, rhyme = table["tunes"]["浣溪沙"]
    assert n == 3 and whole == pytest.approx(1 / 3) and phrase == pytest.approx((1 + 3 / 6 + 1 / 6) / 3)
    # 平仄、押韵按字数对得上的句子量（learners/meter.py；tests/test_meter.py 有手算的真词）：这里只看它们在 0 和 1 之间
    assert 0 <= tone <= 1 and 0 <= rhyme <= 1 and 0 <= table["unknown"] < 0.5


def test_held_out_poems_keep_their_form_and_the_bigram_does_not():
    tunes = form_check.checked_tunes(form_check.load_tunes())[:2]
    ceiling = form_check.score_poems(form_poems.held_out_poems(tunes), tunes)
    floor = form_check.score_poems(form_poems.bigram_poems(tunes, 5, seed=0), tunes)
    assert ceiling["whole"] > 0.9 and ceiling["phrase"] > 0.95
    assert floor["whole"] < 0.2 and floor["phrase"] < 0.3


def test_training_with_form_checks_matches_the_plain_command(small_corpus, monkeypatch, capsys, tmp_path):
    """learners/form_check.py --train 在每次评估时写词量格律，但训练本身和直接运行 v12 逐位相同。"""
    monkeypatch.setenv("WANDB_MODE", "disabled")
    train = (f"--data {small_corpus} --max_iters 6 --eval_interval 3 --eval_iters 2 --batch_size 4 --block_size 16 "
             "--n_embed 16 --n_head 2 --n_layer 1 --dropout 0")
    v12.main([*train.split(), "--ckpt_path", str(tmp_path / "m.pth"), "--max_new_tokens", "1"])
    plain = torch.load(tmp_path / "m.pth", weights_only=True)["history"]
    chars = v12.CharTokenizer.from_text(small_corpus.read_text(encoding="utf-8")).chars
    tunes = [(name, forms) for name, forms in form_check.checked_tunes(form_check.load_tunes()) if set(name) <= set(chars)][:1]  # 一个词牌就够
    assert tunes, "小语料里至少要有一个词牌名的字"
    result = form_check.train_with_form_checks(SimpleNamespace(train=train, n=1, seed=0, measure_r=False), tunes)
    assert [(p["step"], p["train_loss"], p["val_loss"]) for p in result["curve"]] == [tuple(h) for h in plain]
    assert all(0 <= p["whole"] <= p["phrase"] <= 1 for p in result["curve"])  # 整首合格式的，逐句一定全对
    assert set(result["poems"]) == {name for name, _ in tunes} and all(len(v) == 1 for v in result["poems"].values())
    assert all(p["tone"] is None or 0 <= p["tone"] <= 1 for p in result["curve"])  # 平仄、押韵也每次评估都记下


def test_the_train_summary_sets_the_first_evaluation_beside_the_last():
    """--train 的最后一行（v12 的“试一试”答案）：第 0 步以后的第一次评估和最后一次；没有格律数据时不说平仄、押韵。"""
    point = lambda step, val, tone: {"step": step, "val_loss": val, "whole": 0.0, "phrase": 0.5, "tone": tone, "rhyme": tone and 0.25}
    result = {"curve": [point(0, 8.7, 0.5), point(730, 5.0, 0.6), point(7300, 4.1, 0.7)]}
    assert form_check.trend_line(result) == ("第 730 步（验证集 5.00）整首 0.00，逐句 0.50，平仄 0.60，押韵 0.25；"
                                             "第 7300 步（验证集 4.10）整首 0.00，逐句 0.50，平仄 0.70，押韵 0.25")
    result = {"curve": [point(0, 8.7, None), point(5, 6.0, None)]}
    assert form_check.trend_line(result) == "第 5 步（验证集 6.00）整首 0.00，逐句 0.50；第 5 步（验证集 6.00）整首 0.00，逐句 0.50"


def test_line_end_rates_count_hits_at_line_ends_and_false_alarms_inside_phrases():
    import line_ends

    chars = "\n，。春江月"
    ids = torch.tensor([chars.index(c) for c in "春江，月。\n春江月，"])  # 下一个字：江，月。\n春江月，（最后一个字没有下一个）
    guess = torch.tensor([chars.index(c) for c in "，，。，\n春，月，"])  # 模型猜的（和 ids 对齐）
    rates = line_ends.line_end_rates(lambda x: guess[: x.numel()].view(x.shape), ids, chars, block_size=9)
    # 断句处：位置 1（答案 ，）猜 ，、位置 3（答案 。）猜 ，、位置 8（答案 ，）猜 ，：3/3；
    # 句中（答案是字）：位置 0、2、5、6、7，猜成标点的是位置 0、2、6：3/5；答案是换行的位置 4 不算
    assert rates["positions"] == (3, 5)
    assert rates["recall"] == 1.0 and rates["false_alarm"] == pytest.approx(3 / 5)


def test_the_form_holds_across_a_cache_refill_at_the_cpu_recipes_block_size():
    """CPU 配方的 block_size 是 64：一首减字木兰花连开头、作者、标点和换行要 70 多个字，写到一半缓存就要重新 prefill。
    约束解码的状态不在缓存里，refill 之后格式照样成立。"""
    block_size = scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split()).block_size
    torch.manual_seed(0)
    config = v12.Config(block_size=block_size, n_embed=24, n_head=3, n_layer=2, dropout=0.0)
    model = v12.BabyGPT(config, len(CHARS))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    loaded = sampler.BabyGPT(sampler.ModelConfig(block_size, 24, 3, 2), len(CHARS))
    loaded.load_state_dict(model.state_dict())
    loaded.eval()
    prompt = "\n\n减字木兰花 "
    for seed in range(4):
        text = write(loaded, "减字木兰花", seed, 0.8, use_cache=True)
        assert len(prompt) + len(text) > block_size, len(text)  # 真的越过了一次 refill
        lengths = sampler.phrase_lengths(text.partition("\n")[2])
        assert lengths in forms_of("减字木兰花") and text.endswith("\n\n"), text
