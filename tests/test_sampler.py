"""babygpt_sample_with_kvcache.py：缓存与不缓存逐字相同、超过 block_size 也对、各种错误输入的处理。"""

import os
import re
import select
import signal
import subprocess
import sys
import time

import pytest
import torch
from torch.nn import functional as F

import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
import scaffold
import course

ROOT = course.ROOT

BLOCK = 16
CHARS = "".join(sorted(set("\n 春江潮水连海平，明月共生。往事知多少小楼昨夜又东风故国不堪回首中")))


def tiny_v12(seed=0, n_layer=2):
    """一个小的 v12 模型，参数换成较大的随机数，让输出的分布有起伏（贪心解码才有意义）。"""
    torch.manual_seed(seed)
    config = v12.Config(block_size=BLOCK, n_embed=24, n_head=3, n_layer=n_layer, dropout=0.1)
    model = v12.BabyGPT(config, len(CHARS))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    return model, config


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    model, config = tiny_v12()
    path = tmp_path_factory.mktemp("ckpt") / "model.pth"
    v12.save_checkpoint(str(path), model, config, v12.CharTokenizer(CHARS), [(0, 3.0, 3.1)], 0)
    return path


@pytest.fixture(scope="module")
def model(ckpt):
    """读回来的模型换成 float64：缓存和不缓存是两种算法，float32 下最后几位因 CPU 而异，贪心时几乎相等的两个字
    可能换了名次；float64 下两种算法的差在 1e-12 以下，哪台机器上都逐字相同。"""
    return sampler.load_checkpoint(str(ckpt), "cpu")[0].double()


def ids(text):
    return torch.tensor([[CHARS.index(c) for c in text]])


def run(generate, model, prompt, n, **kwargs):
    steps = list(generate(model, prompt, n, **kwargs))
    tokens = torch.cat([t for t, _ in steps], dim=1)
    logits = torch.stack([l for _, l in steps], dim=1)  # (B, n, V)
    return tokens, logits


def test_loaded_model_is_the_v12_model(ckpt, model):
    reference, _ = tiny_v12()
    reference.double().eval()
    x = ids("春江潮水连海平")
    torch.testing.assert_close(model(x), reference(x)[0], rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("prompt", ["春", "春江潮水连海平，", "往事知多少"])
def test_greedy_with_and_without_cache_agree_while_in_block(model, prompt):
    n = BLOCK - len(prompt) + 1  # 最后一个新字看到的上下文正好是 block_size 个字
    plain, plain_logits = run(sampler.generate_without_cache, model, ids(prompt), n, temperature=0)
    cached, cached_logits = run(sampler.generate_with_cache, model, ids(prompt), n, temperature=0)
    assert torch.equal(plain, cached)
    torch.testing.assert_close(cached_logits, plain_logits, rtol=1e-10, atol=1e-10)


def test_sampling_with_and_without_cache_agree_under_one_seed(model):
    prompt = ids("春江")
    draws = []
    for generate in (sampler.generate_without_cache, sampler.generate_with_cache):
        generator = torch.Generator().manual_seed(3)
        draws.append(run(generate, model, prompt, BLOCK - 2, temperature=1.0, top_k=5, generator=generator)[0])
    assert torch.equal(*draws)


def test_batched_prompts_are_independent(model):
    prompts = torch.cat([ids("春江"), ids("往事")])
    both, _ = run(sampler.generate_with_cache, model, prompts, 10, temperature=0)
    for row, text in enumerate(["春江", "往事"]):
        alone, _ = run(sampler.generate_with_cache, model, ids(text), 10, temperature=0)
        assert torch.equal(both[row], alone[0])


def test_generation_far_past_block_size_follows_the_window_policy(model):
    """每一步的 logits 都等于：对“缓存里那一段文字”做一次完整前向。窗口满了以后保留最后 block_size//2 个字。"""
    prompt = ids("春江")
    n = 4 * BLOCK
    tokens, logits = run(sampler.generate_with_cache, model, prompt, n, temperature=0)
    assert tokens.shape == (1, n) and tokens.max() < len(CHARS)
    text = torch.cat([prompt, tokens], dim=1)
    length = prompt.shape[1]  # 缓存里有几个位置
    refills = 0
    for i in range(n):
        context = text[:, : prompt.shape[1] + i][:, -length:]
        torch.testing.assert_close(logits[:, i], model(context)[:, -1], rtol=1e-10, atol=1e-10)
        if length == BLOCK:
            length, refills = BLOCK // 2, refills + 1
        else:
            length += 1
    assert refills >= 3


def test_tiny_block_sizes_work():
    for block_size in (1, 2, 3):
        torch.manual_seed(0)
        config = v12.Config(block_size=block_size, n_embed=8, n_head=2, n_layer=1)
        model = sampler.BabyGPT(sampler.ModelConfig(block_size, 8, 2, 1), len(CHARS))
        model.load_state_dict(v12.BabyGPT(config, len(CHARS)).state_dict(), strict=True)
        tokens, _ = run(sampler.generate_with_cache, model.eval(), ids("春江"), 10, temperature=0)
        assert tokens.shape == (1, 10)


def test_positions_never_exceed_block_size(model, monkeypatch):
    """模型拒绝 block_size 以外的位置；带缓存写 3 个窗口那么长，每一次前向的位置都在 0 .. block_size-1 之内。"""
    with pytest.raises(ValueError, match="block_size"):
        model(ids("春" * (BLOCK + 1)))
    spans = []
    real = sampler.BabyGPT.forward
    monkeypatch.setattr(sampler.BabyGPT, "forward", lambda self, idx, cache=None, pos=0: spans.append((pos, idx.shape[1]))
                        or real(self, idx, cache, pos))
    tokens = [t for t, _ in sampler.generate_with_cache(model, ids("春" * 40), 3 * BLOCK, temperature=0)]
    assert len(tokens) == 3 * BLOCK and spans[0] == (0, BLOCK)  # 开头 40 个字只用最后 BLOCK 个
    assert all(0 <= pos and pos + length <= BLOCK for pos, length in spans)
    assert max(pos + length for pos, length in spans) == BLOCK  # 真的写到了窗口的最后一格


def test_prompt_longer_than_block_size_is_cropped(model):
    text = "春江潮水连海平，" * 3
    prompt_ids, note = sampler.prepare_prompt(text, CHARS, BLOCK)
    assert prompt_ids == [CHARS.index(c) for c in text[-BLOCK:]] and f"只用最后 {BLOCK} 个字" in note
    # 第一个新字两种写法看到的都是这 BLOCK 个字，必须相同；之后缓存按窗口策略滑动（上面的测试）
    plain, _ = run(sampler.generate_without_cache, model, torch.tensor([prompt_ids]), 1, temperature=0)
    cached, _ = run(sampler.generate_with_cache, model, torch.tensor([prompt_ids]), 1, temperature=0)
    assert torch.equal(plain, cached)
    tokens, _ = run(sampler.generate_with_cache, model, ids(text), 2 * BLOCK, temperature=0)  # 没裁剪的长提示词也行
    assert tokens.shape == (1, 2 * BLOCK)


def test_prompt_checks():
    assert sampler.prepare_prompt("春ⓧ江ⓨ", CHARS, BLOCK) == (None, "这些字不在词表里：ⓧⓨ。请换个说法再试。")


def test_foreign_and_broken_checkpoints(tmp_path, ckpt):
    cases = {
        "missing.pth": (None, "请先运行 python babygpt_v12_wandb.py"),
        "text.pth": (b"not a checkpoint", "读不出来"),
        "dict.pth": ({"weights": torch.zeros(3)}, "不是 babygpt_v12_wandb.py 保存的检查点"),
    }
    saved = torch.load(ckpt, weights_only=True)
    renamed = dict(saved, model={k.replace("blocks", "layers"): v for k, v in saved["model"].items()})
    cases["renamed.pth"] = (renamed, "和 v12 的模型对不上")
    cases["vocab.pth"] = (dict(saved, chars=saved["chars"][:-1]), "和 v12 的模型对不上")
    diverged = {k: v.clone() for k, v in saved["model"].items()}
    diverged["lm_head.weight"][0, 0] = float("nan")
    cases["nan.pth"] = (dict(saved, model=diverged), "权重里有 nan 或 inf：训练发散了")
    for name, (content, message) in cases.items():
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        elif content is not None:
            torch.save(content, path)
        with pytest.raises(SystemExit, match=message):
            sampler.load_checkpoint(str(path), "cpu")


def scripted(monkeypatch, text):
    """让模型“写”出给定的文字：pick_next 按顺序返回 text 里的字（模型照常前向计算，缓存照常更新）。"""
    script = iter([CHARS.index(c) for c in text])
    monkeypatch.setattr(sampler, "pick_next", lambda logits, *args: torch.tensor([[next(script)]]))


@pytest.mark.parametrize("use_cache", [True, False])
def test_writing_stops_at_the_blank_line_that_ends_a_poem(model, monkeypatch, use_cache):
    args = scaffold.parse_args(sampler.Config, ["--max_new_tokens", "40"])
    scripted(monkeypatch, "春江潮水连海平，\n明月共潮生。\n\n往事知多少\n小楼昨夜又东风\n\n")
    new_ids, _ = sampler.write(model, CHARS, [CHARS.index("春")], args, torch.Generator().manual_seed(args.seed), use_cache, stream=False)
    assert "".join(CHARS[i] for i in new_ids) == "春江潮水连海平，\n明月共潮生。\n\n"  # 只写一首，到空行为止


def test_writing_on_ignores_the_end_of_a_poem(model, monkeypatch):
    args = scaffold.parse_args(sampler.Config, ["--max_new_tokens", "12", "--write_on"])
    scripted(monkeypatch, "春江\n\n往事\n\n小楼昨夜又东风故国")
    new_ids, _ = sampler.write(model, CHARS, [CHARS.index("春")], args, torch.Generator().manual_seed(args.seed), True, stream=False)
    assert "".join(CHARS[i] for i in new_ids) == "春江\n\n往事\n\n小楼昨夜"  # 一直写满 12 个字


def test_a_single_line_break_does_not_end_the_poem(model, monkeypatch):
    """一首词的每一句后面都有换行，只有连着两个换行（空行）才算写完。提示词以换行结尾时，新写的换行就凑成了空行。"""
    args = scaffold.parse_args(sampler.Config, ["--max_new_tokens", "10"])
    scripted(monkeypatch, "\n春\n江\n\n往事")
    new_ids, _ = sampler.write(model, CHARS, [CHARS.index("春")], args, torch.Generator().manual_seed(args.seed), True, stream=False)
    assert "".join(CHARS[i] for i in new_ids) == "\n春\n江\n\n"
    scripted(monkeypatch, "\n春江")
    new_ids, _ = sampler.write(model, CHARS, [CHARS.index("\n")], args, torch.Generator().manual_seed(args.seed), True, stream=False)
    assert new_ids == [CHARS.index("\n")]


def test_empty_prompt_starts_a_new_poem(model):
    ids_, note = sampler.prepare_prompt("", CHARS, BLOCK)
    assert ids_ == [CHARS.index("\n")] * 2 and "从头写一首" in note  # 和语料里每首词的开头一样：前面是一个空行


def test_default_length_fits_the_longest_common_ci():
    assert scaffold.parse_args(sampler.Config, []).max_new_tokens >= 280  # 莺啼序，连标点约 280 字


# --- 命令行：参数和输入（sampler_cli 在进程里运行 main；交互和 Ctrl-C 用真的子进程） ---

def cli(*args, stdin="", ckpt=None):
    argv = [sys.executable, str(ROOT / "babygpt_sample_with_kvcache.py"), *args]
    if ckpt is not None:
        argv += ["--ckpt_path", str(ckpt)]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=120, cwd=ROOT)


def test_interactive_session_handles_every_kind_of_input(ckpt):
    proc = cli("--max_new_tokens", "5", "--temperature", "0", stdin="春江\n春ⓧ\n\n" + "往" * 40 + "\n", ckpt=ckpt)
    assert proc.returncode == 0 and proc.stderr == ""
    out = proc.stdout
    assert out.count("请输入文字：") == 5  # 四次输入，最后一次遇到 Ctrl-D（输入结束）
    assert "这些字不在词表里：ⓧ" in out
    assert "空的开头：从头写一首" in out
    assert f"只用最后 {BLOCK} 个字" in out
    assert out.count("tokens/s") == 3


def test_prompt_option_runs_without_interaction(ckpt, sampler_cli):
    proc = sampler_cli("--prompt", "春江", "--prompt", "往事", "--max_new_tokens", "8", "--ckpt_path", str(ckpt))
    assert proc.returncode == 0 and "请输入文字" not in proc.stdout
    assert proc.stdout.count("tokens/s") == 2


def test_compare_reports_speedup_and_identity(ckpt, sampler_cli):
    proc = sampler_cli("--compare", "--prompt", "春江", "--temperature", "0", "--max_new_tokens", "10", "--ckpt_path", str(ckpt))
    assert proc.returncode == 0
    last = proc.stdout.strip().splitlines()[-1]
    assert last.startswith("speedup ") and last.endswith("x, identical: yes")


@pytest.mark.parametrize("content, message", [(None, "请先运行 python babygpt_v12_wandb.py"), (b"\x80\x02junk", "读不出来")])
def test_bad_checkpoint_on_the_command_line(tmp_path, content, message, sampler_cli):
    path = tmp_path / "model.pth"
    if content is not None:
        path.write_bytes(content)
    proc = sampler_cli("--prompt", "春江", "--ckpt_path", str(path))
    assert proc.returncode != 0 and message in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr


def read_until(stream, text, timeout=60):
    buffer, deadline = b"", time.monotonic() + timeout
    while text.encode() not in buffer and time.monotonic() < deadline:
        if select.select([stream], [], [], 0.5)[0]:
            buffer += os.read(stream.fileno(), 4096)
    return buffer.decode(errors="replace")


def test_ctrl_c_at_the_prompt_exits_cleanly(ckpt):
    proc = subprocess.Popen(
        [sys.executable, "-u", str(ROOT / "babygpt_sample_with_kvcache.py"), "--ckpt_path", str(ckpt)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    try:
        assert "请输入文字：" in read_until(proc.stdout, "请输入文字：")
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)  # 一边等一边读完输出，管道满了也不会卡住
        assert proc.returncode == 0
        assert b"Traceback" not in stderr
    finally:
        proc.kill()


def run_main(capsys, *args):
    """在进程里运行采样器的 main，返回 (退出码, 打印的内容)。"""
    code = sampler.main(list(args))
    return code, capsys.readouterr().out


def test_compare_past_block_size_compares_only_the_part_both_ways_see_alike(ckpt, capsys):
    code, out = run_main(capsys, "--ckpt_path", str(ckpt), "--compare", "--prompt", "春江", "--temperature", "0",
                         "--max_new_tokens", "30", "--write_on")
    fits = BLOCK - 2 + 1  # 开头 2 个字：之后 15 个新字里，两种写法看到的上下文一样
    assert code == 0 and f"只比较前 {fits} 个字" in out and out.rstrip().endswith("identical: yes")
    speeds = [float(x) for x in re.search(r"不用缓存 ([\d.]+) tokens/s，用缓存 ([\d.]+) tokens/s", out).groups()]
    speedup = float(re.search(r"speedup ([\d.]+)x", out).group(1))
    assert speedup == pytest.approx(speeds[1] / speeds[0], abs=0.01 + 0.05 * speedup)  # 加速比就是两个速度之比（四舍五入）


def test_compare_says_no_when_the_two_ways_write_different_text(ckpt, capsys, monkeypatch):
    real_write = sampler.write

    def write(model, chars, ids, args, generator, use_cache, *rest, **kwargs):
        new_ids, speed = real_write(model, chars, ids, args, generator, use_cache, *rest, **kwargs)
        return ([(new_ids[0] + 1) % len(chars), *new_ids[1:]] if use_cache else new_ids), speed  # 缓存那边第一个字不同

    monkeypatch.setattr(sampler, "write", write)
    _, out = run_main(capsys, "--ckpt_path", str(ckpt), "--compare", "--prompt", "春江", "--temperature", "0", "--max_new_tokens", "5")
    assert out.rstrip().endswith("identical: no")


def generated(out):
    """--prompt 春江 之后写出来的文字（到速度那一行为止）。"""
    return out.split("春江", 1)[1].split("\n[")[0]


def test_no_cache_and_seed_do_what_the_help_says(ckpt, capsys):
    common = ["--ckpt_path", str(ckpt), "--prompt", "春江", "--temperature", "1.0", "--max_new_tokens", "12", "--write_on"]
    _, cached = run_main(capsys, *common)
    with pytest.MonkeyPatch.context() as m:  # --no_cache：一次也不用缓存的写法
        m.setattr(sampler, "generate_with_cache", None)
        _, plain = run_main(capsys, *common, "--no_cache")
    assert "用 KV 缓存]" in cached and "不用 KV 缓存]" in plain
    assert generated(plain) == generated(cached)  # block_size 以内，两种写法抽到的字一样
    _, again = run_main(capsys, *common)
    _, other = run_main(capsys, *common, "--seed", "7")
    assert generated(again) == generated(cached) and generated(other) != generated(cached)  # 同一个种子同样的词，换种子换一首


def test_default_temperature_is_the_one_the_readme_gives():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quoted = {float(x) for x in re.findall(r"--temperature` [^（\n]*（默认 ([\d.]+)）", readme)}
    assert quoted == {scaffold.parse_args(sampler.Config, []).temperature}


def test_bad_options_get_one_line_and_nothing_else(ckpt, capsys):
    """在进程里运行（退出时说的那一句就是 SystemExit 带的字符串；命令行上的样子见 test_bad_checkpoint_on_the_command_line）。"""
    for args in (["--temperature", "-1"], ["--max_new_tokens", "0"], ["--top_k", "abc"], ["--device", "tpu"]):
        with pytest.raises(SystemExit) as e:
            sampler.main([*args, "--ckpt_path", str(ckpt)])
        message = str(e.value.code)
        assert capsys.readouterr() == ("", "")
        assert message.startswith(("参数错误：", "错误：")) and "\n" not in message, message


# --- 解码的旋钮：每一个都做 --help 说的事 ---

def drawn_from(monkeypatch, logits, temperature, top_k):
    """pick_next 交给 torch.multinomial 去抽的那一张概率表。"""
    seen = []
    real = torch.multinomial
    monkeypatch.setattr(torch, "multinomial", lambda probs, *a, **k: seen.append(probs) or real(probs, *a, **k))
    sampler.pick_next(logits, temperature, top_k, torch.Generator().manual_seed(0))
    return seen[0]


@pytest.mark.parametrize("temperature", [0.3, 1.0, 2.5])
def test_temperature_divides_the_logits_before_the_softmax(monkeypatch, temperature):
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0, 0.0]])
    torch.testing.assert_close(drawn_from(monkeypatch, logits, temperature, 0), F.softmax(logits / temperature, dim=-1))


def test_top_k_keeps_the_k_best_and_renormalizes_them(monkeypatch):
    logits = torch.tensor([[2.0, 1.0, 0.5, -1.0, 0.0]])
    probs = drawn_from(monkeypatch, logits, 0.8, 2)
    expected = torch.zeros(1, 5)
    expected[0, :2] = F.softmax(logits[0, :2] / 0.8, dim=-1)  # 分数最高的两个字，按温度重新分配
    torch.testing.assert_close(probs, expected)
    torch.testing.assert_close(drawn_from(monkeypatch, logits, 0.8, 99), F.softmax(logits / 0.8, dim=-1))  # k 比词表大：不限


def test_temperature_zero_is_greedy():
    logits = torch.tensor([[0.1, 3.0, 2.9], [5.0, -1.0, 0.0]])
    assert sampler.pick_next(logits, 0, 0, None).tolist() == [[1], [0]]


def test_one_run_keeps_one_generator_and_the_seed_makes_the_run_reproducible(ckpt, capsys):
    """同一次运行里同一个开头写两遍：两首不同的词（随机数接着往下用）；同样的 --seed 再运行一次：一字不差。"""
    args = ["--ckpt_path", str(ckpt), "--prompt", "春江", "--prompt", "春江", "--temperature", "1.0", "--max_new_tokens", "12",
            "--write_on"]

    def poems():
        sampler.main(args)
        return [part.split("\n[")[0] for part in capsys.readouterr().out.split("春江")[1:]]  # 速度那一行之前写的字

    first = poems()
    assert len(first) == 2 and first[0] != first[1]
    assert poems() == first
