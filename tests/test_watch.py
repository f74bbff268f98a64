"""learners/watch.py：网页里的数就是模型算的数（概率、注意力、每一层的猜测，误差在 float32 的舍入以内），写的就是采样器写的那一首，
网页不连外部地址、不太大；错误的输入只说一行。真的浏览器（Debian 的 chromium）打开它、点一个字、拖温度滑块。"""

import base64
import json
import os
import re
import shutil

import numpy as np
import pytest
import torch
from torch.nn import functional as F

import attention_focus
import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
import watch

CHARS = "".join(sorted(set("\n 春江潮水连海平明月共生往事知多少小楼昨夜又东风故国浣溪沙，。、？！；：")))
BLOCK = 16


def floats(b64):
    return torch.from_numpy(np.frombuffer(base64.b64decode(b64), dtype="<f4").copy())


def float32_tolerance(scores):
    """网页（float32）和测试用两种算法算同一个 softmax，能差多少。每个打分是 C 项的点积，舍入误差不超过约
    C·eps·(打分的大小)；softmax 把打分的误差最多放大 2 倍成概率的误差（∂p_i/∂z_j 的绝对值之和不超过 2p_i）。
    C ≤ 96，再留 10 倍余量：2·10·96·eps·(1 + max|z|)，约 2e-4 × (1 + max|z|)。换一台 CPU，float32 的最后几位会变，
    这个界不变；而写错的网页（温度、缩放、ln_f 用错）差在 1e-2 以上。"""
    return 2 * 10 * 96 * torch.finfo(torch.float32).eps * (1 + scores.abs().max().item())


def page_data(path):
    text = path.read_text(encoding="utf-8")
    payload = re.search(r'<script type="application/json" id="data">(.*?)</script>', text, re.S).group(1)
    return json.loads(payload.replace("<\\/", "</")), text


def save_tiny(path, block_size=BLOCK, n_embed=24, n_head=3, n_layer=2, vocab=CHARS):
    torch.manual_seed(0)
    config = v12.Config(block_size=block_size, n_embed=n_embed, n_head=n_head, n_layer=n_layer, dropout=0.0)
    model = v12.BabyGPT(config, len(vocab))
    with torch.no_grad():
        for p in model.parameters():
            p.normal_(0.0, 0.3)
    v12.save_checkpoint(str(path), model, config, v12.CharTokenizer(vocab), [(0, 3.0, 3.1)], 0)
    return path


@pytest.fixture(scope="module")
def ckpt(tmp_path_factory):
    return save_tiny(tmp_path_factory.mktemp("watch") / "model.pth")


@pytest.fixture(scope="module")
def written(ckpt, tmp_path_factory):
    """写 40 个字（块长 16：窗口要重新 prefill 好几次），温度 0.9，只在前 12 个字里抽。"""
    out = tmp_path_factory.mktemp("page") / "watch.html"
    watch.main(["--ckpt_path", str(ckpt), "--prompt", "春江", "--max_new_tokens", "40", "--write_on", "--temperature", "0.9",
                "--top_k", "12", "--seed", "7", "--out", str(out)])
    data, text = page_data(out)
    return out, data, text


def windows(prompt_length, steps):
    """带缓存写字时，第 i 步看得到的窗口（从全文第几个字开始，几个字）：和采样器的 generate_with_cache 一样地滑动。"""
    keep, length, out = BLOCK // 2, min(prompt_length, BLOCK), []
    for i in range(steps):
        total = prompt_length + i  # 写第 i 个字时已经有的字
        out.append((total - length, length))
        length = keep if length == BLOCK else length + 1
    return out


def test_the_probabilities_are_the_models_softmax_for_each_step(ckpt, written):
    """网页里存的候选的概率 = 采样器这一步的打分经过温度和 top-k 之后的 softmax（1e-6 以内）；抽中的就是采样器抽的。"""
    _, data, _ = written
    model = sampler.load_checkpoint(str(ckpt), "cpu")[0]
    idx = torch.tensor([data["prompt"]])
    steps = list(sampler.generate_with_cache(model, idx, 40, 0.9, 12, torch.Generator().manual_seed(7)))
    assert [token.item() for token, _ in steps] == [step["token"] for step in data["steps"]]
    for (token, logits), step in zip(steps, data["steps"]):
        logits = logits[0] / 0.9
        kth = torch.topk(logits, 12).values[-1]
        expected = F.softmax(logits.masked_fill(logits < kth, float("-inf")), dim=-1)
        candidates = torch.tensor(step["candidates"])
        tol = float32_tolerance(logits[logits.isfinite()])
        torch.testing.assert_close(floats(step["probs"]), expected[candidates], rtol=0, atol=tol)
        assert step["drawn_p"] == pytest.approx(expected[token.item()].item(), abs=tol)
        assert step["candidates"][:12] == torch.argsort(logits, descending=True)[:12].tolist()  # 按打分排好
        assert step["drawn_rank"] == int((logits > logits[token.item()]).sum()) + 1


def test_the_attention_is_what_the_model_computed_over_the_window_it_saw(ckpt, written):
    """每一步每一层每个头的注意力 = 不用缓存、把这一步看得到的那几个字整段送进模型时，最后一个字的那一行
    （每个头自己的 query、key、遮罩另算一遍，learners/attention_focus.py）。窗口按采样器的规则滑动。"""
    _, data, _ = written
    model = sampler.load_checkpoint(str(ckpt), "cpu")[0]
    text = data["prompt"] + [step["token"] for step in data["steps"]]
    for i, (step, (start, length)) in enumerate(zip(data["steps"], windows(len(data["prompt"]), len(data["steps"])))):
        assert step["context_start"] == start, i
        x = torch.tensor([text[start : start + length]])
        layers = attention_focus.attention_weights(model, x)
        expected = torch.stack([wei[0, -1] for _, _, wei in layers])  # (层×头, L)
        with torch.no_grad():  # 注意力分数 q·k/√hs 的大小决定舍入误差
            scores = torch.cat([(h.query(hx)[0, -1] @ h.key(hx)[0].T) * h.key.out_features ** -0.5 for h, hx, _ in layers])
        torch.testing.assert_close(floats(step["attention"]).view(-1, length), expected, rtol=0, atol=float32_tolerance(scores))


def test_each_layers_guess_is_the_final_norm_and_head_read_after_that_layer(ckpt, written):
    """最后一层的猜测就是模型的回答（温度 1 的 softmax）；每一层的前三名是 ln_f 和 lm_head 读那一层之后的向量得出的。"""
    _, data, _ = written
    model = sampler.load_checkpoint(str(ckpt), "cpu")[0]
    text = data["prompt"] + [step["token"] for step in data["steps"]]
    residuals = []
    hooks = [block.register_forward_hook(lambda m, a, out: residuals.append(out[0, -1])) for block in model.blocks]
    for step, (start, length) in zip(data["steps"], windows(len(data["prompt"]), len(data["steps"]))):
        residuals.clear()
        with torch.no_grad():
            logits = model(torch.tensor([text[start : start + length]]))[0, -1]
            lens = [F.softmax(model.lm_head(model.ln_f(r)), dim=-1) for r in residuals]
            scores = [model.lm_head(model.ln_f(r)) for r in residuals]
        tol = float32_tolerance(torch.stack(scores))
        torch.testing.assert_close(lens[-1], F.softmax(logits, dim=-1), rtol=0, atol=tol)
        for guess, p in zip(step["layers"], lens):
            # 前三名：网页选的三个字，概率依次就是真正的前三个概率（几乎并列的两个字换了名次也算对）
            assert p[guess["top"]].tolist() == pytest.approx(torch.topk(p, 3).values.tolist(), abs=tol)
            assert guess["p"] == pytest.approx(torch.topk(p, 3).values.tolist(), abs=tol)
            assert guess["drawn_p"] == pytest.approx(p[step["token"]].item(), abs=tol)
    for hook in hooks:
        hook.remove()


@pytest.mark.parametrize("extra", [["--prompt", "春江", "--temperature", "1.1"], ["--tune", "浣溪沙"], ["--tune", "浣溪沙", "--free"]])
def test_the_page_writes_the_poem_the_sampler_writes(ckpt, tmp_path, capsys, extra, tunes):
    """同样的开头（或词牌）、种子、温度：网页上的这一首就是采样器写的那一首。"""
    common = ["--ckpt_path", str(ckpt), "--seed", "3", "--max_new_tokens", "60", "--tunes", str(tunes), *extra]
    sampler.main(common)
    body = capsys.readouterr().out.split("\n", 1)[1].split("\n[")[0]  # 载入的那一行之后，速度那一行之前：开头和写出的字
    out = tmp_path / "w.html"
    watch.main([*common, "--out", str(out)])
    data, _ = page_data(out)
    prompt = "".join(CHARS[i] for i in data["prompt"]).lstrip("\n")
    assert body == prompt + "".join(CHARS[step["token"]] for step in data["steps"]) and len(data["steps"]) > 5
    assert data["constrained"] == ("--tune" in extra and "--free" not in extra)


@pytest.fixture(scope="module")
def tunes(tmp_path_factory):
    path = tmp_path_factory.mktemp("tunes") / "tunes.json"
    meter = {"7,7,7,7,7,7": {"tones": "|".join(["中中中中中中中"] * 6), "rhymes": [0, 1, 3, 5]}}  # 平仄不限，韵脚照常
    chars = {c: [["平", [1]]] for c in "春江潮水连海平明月共生"} | {c: [["仄", [17]]] for c in "事国夜又"}
    path.write_text(json.dumps({"chars": chars, "tunes": {"浣溪沙": {"poems": 12, "forms": [[[7, 7, 7, 7, 7, 7], 10]], "meter": meter}}},
                               ensure_ascii=False), encoding="utf-8")
    return path


def test_the_page_is_one_self_contained_file_small_enough_to_mail(tmp_path):
    """CPU 配方大小的模型（n_embed 96、4 头、4 层、块长 64、6104 个字）写 100 个字：网页不到 2 MB，没有任何外部地址。"""
    vocab = "".join(chr(0x4E00 + i) for i in range(6100)) + "\n，。 "
    path = save_tiny(tmp_path / "m.pth", block_size=64, n_embed=96, n_head=4, n_layer=4, vocab=vocab)
    out = tmp_path / "w.html"
    watch.main(["--ckpt_path", str(path), "--prompt", "一丁", "--max_new_tokens", "100", "--write_on", "--out", str(out)])
    data, text = page_data(out)
    assert len(data["steps"]) == 100 and out.stat().st_size < 2_000_000
    assert not re.search(r"(src|href)\s*=\s*[\"'](?!#|data:)", text) and not re.search(r"https?://|//[a-z0-9.-]+\.[a-z]", text)
    assert "@font-face" in text and "data:font/ttf;base64," in text  # 字体也在里面：没装中文字体也不会显示成方框


@pytest.mark.parametrize("argv, message", [
    (["--ckpt_path", "none.pth"], "找不到检查点"),
    (["--prompt", "春ⓧ"], "这些字不在词表里：ⓧ"),
    (["--tune", "没有这个"], "不认识词牌《没有这个》"),
    (["--temperature", "-1"], "--temperature 不能是负数"),
])
def test_bad_input_gets_one_line(ckpt, tmp_path, capsys, monkeypatch, argv, message, tunes):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as e:
        watch.main(["--ckpt_path", str(ckpt), "--tunes", str(tunes), *argv])
    assert message in str(e.value.code) and "\n" not in str(e.value.code)
    assert capsys.readouterr().out == "" and not (tmp_path / "watch.html").exists()


def test_a_foreign_checkpoint_gets_one_line(tmp_path, capsys):
    other = tmp_path / "other.pth"
    torch.save({"model": {}, "step": 3}, other)  # 别的程序存的 PyTorch 文件
    with pytest.raises(SystemExit) as e:
        watch.main(["--ckpt_path", str(other), "--out", str(tmp_path / "w.html")])
    assert "不是 babygpt_v12_wandb.py 保存的检查点" in str(e.value.code) and capsys.readouterr().out == ""


# --- 真的浏览器 ---

def browser():
    """Debian 的 chromium 和 chromium-driver，用 selenium 驱动（maintainers/figures.py 的 chromium()）；
    没有就跳过，只说一行；CI 里（CI=true）没有就失败。"""
    missing = [name for name in ("chromium", "chromedriver") if not shutil.which(name)]
    try:
        import selenium  # noqa: F401  只看装没装
    except ImportError:
        missing.append("selenium")
    if missing:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI 里要有浏览器：缺 {'、'.join(missing)}（.ci/run 会装 chromium、chromium-driver）")
        pytest.skip(f"没有浏览器（缺 {'、'.join(missing)}）：apt-get install chromium chromium-driver 之后再跑")
    import figures

    return figures.chromium()


@pytest.mark.browser
def test_a_real_browser_shows_the_clicked_characters_numbers_and_reweights_them_offline(written):
    from selenium.webdriver.common.by import By

    out, data, _ = written
    driver = browser()
    try:
        driver.get(out.as_uri())
        assert [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"] == []  # 脚本没有出错
        spans = driver.find_elements(By.CSS_SELECTOR, "#poem span.drawn")
        assert len(spans) == len([s for s in data["steps"] if CHARS[s["token"]] != "\n"])
        span = spans[9]
        i = int(span.get_attribute("data-step"))
        span.click()
        step = data["steps"][i]
        summary = driver.find_element(By.ID, "summary").text
        assert f"第 {i + 1} 个字抽中的是 {CHARS[step['token']].strip() or '␣'}" in summary
        assert f"排第 {step['drawn_rank']} 名" in summary and f"{step['drawn_p']:.4f}" in summary
        shown = [float(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "#candidates td.p")]
        assert shown[:5] == pytest.approx(floats(step["probs"])[:5].tolist(), abs=6e-5)  # 表上四位小数
        driver.execute_script("const s = document.getElementById('temperature'); s.value = s.max; s.dispatchEvent(new Event('input'));")
        driver.execute_script("const s = document.getElementById('top-k'); s.value = 0; s.dispatchEvent(new Event('input'));")
        logits = floats(step["logits"]).double()
        hotter = [float(td.text) for td in driver.find_elements(By.CSS_SELECTOR, "#candidates td.p")]
        t = max(data["temperatures"])
        expected = torch.exp(logits / t - step["log_z"][data["temperatures"].index(t)])
        assert hotter[:5] == pytest.approx(expected[:5].tolist(), abs=6e-5) and hotter[0] < shown[0]  # 温度高：最高的那个概率变小
        assert len(driver.find_elements(By.CSS_SELECTOR, "#attention .head")) == data["n_layer"] * data["n_head"]
        requests = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
        urls = [m["params"]["request"]["url"] for m in requests if m["method"] == "Network.requestWillBeSent"]
        assert urls and all(url.startswith(("file:", "data:")) for url in urls), urls  # 没有一个网络请求
    finally:
        driver.quit()


def test_a_tune_page_marks_each_characters_tone_the_patterns_tone_and_the_rhymes(ckpt, tmp_path, tunes):
    """按词牌写的网页：正文的每个字标着它的平仄（《廣韻》，查不到是 ？）、格律要的平仄，韵脚句的最后一个字标成韵脚。"""
    out = tmp_path / "w.html"
    watch.main(["--ckpt_path", str(ckpt), "--tune", "浣溪沙", "--seed", "3", "--tunes", str(tunes), "--out", str(out)])
    data, text = page_data(out)
    table = json.loads(tunes.read_text(encoding="utf-8"))["chars"]
    marked = [(CHARS[step["token"]], step["meter"]) for step in data["steps"] if step.get("meter")]
    assert len(marked) == 42  # 六句七言，字字都标
    assert all(m["tone"] == (table[c][0][0] if c in table else "？") and m["want"] == "中" for c, m in marked)
    assert [i for i, (_, m) in enumerate(marked) if m["rhyme"]] == [6, 13, 27, 41]  # 第 1、2、4、6 句的句末
    assert 'className += " meter"' in text and "broken" in text
