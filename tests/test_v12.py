"""babygpt_v12_wandb.py：wandb 离线记录（连不上服务器时也是）、检查点（往返、原子写入、Ctrl-C 时也保存）、--resume。"""

import http.server
import importlib
import itertools
import math
import shlex
import signal
import socket
import threading
import time

import pytest
import torch
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
import scaffold
import course

ROOT = course.ROOT
from wandb_records import history, run_config

@pytest.fixture
def trained(tmp_path, small_corpus, capsys, v12_tiny):
    """用很小的配置把 v12 完整跑一遍（wandb 离线），返回 (检查点路径, 打印的内容)。"""
    ckpt = tmp_path / "model.pth"
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(ckpt), *v12_tiny])
    return ckpt, capsys.readouterr().out


def test_offline_wandb_run_records_config_and_every_evaluation(trained, tmp_path, v12_tiny):
    ckpt, out = trained
    runs = list((tmp_path / "wandb").glob("offline-run-*/run-*.wandb"))
    assert len(runs) == 1
    assert f"wandb sync {runs[0].parent}" in out  # 告诉学习者以后怎么上传
    rows = history(runs[0])
    assert [row["_step"] for row in rows] == [0, 4, 8]
    saved = torch.load(ckpt, weights_only=True)
    for row, (step, train_loss, val_loss) in zip(rows, saved["history"]):
        assert row["_step"] == step
        assert math.isclose(row["train/loss"], train_loss, rel_tol=1e-6)
        assert math.isclose(row["val/loss"], val_loss, rel_tol=1e-6)
        assert math.isclose(row["lr"], v12.get_lr(step, scaffold.parse_args(v12.Config, v12_tiny)), rel_tol=1e-6)  # 学习率也记下了
        assert (row["tokens_per_sec"] > 0) == (step > 0)  # 第 0 步还没训练；之后是真量出来的速度
    config = run_config(runs[0])
    assert config["n_layer"] == 2 and config["max_iters"] == 8 and config["block_size"] == 16


def test_wandb_disabled_writes_nothing(tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *v12_tiny])
    assert "wandb 已关闭" in capsys.readouterr().out
    assert not (tmp_path / "wandb").exists()


def test_wandb_failure_never_stops_training(tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    import wandb

    def broken_init(**kwargs):
        raise RuntimeError("network is unreachable")

    monkeypatch.setattr(wandb, "init", broken_init)
    monkeypatch.setenv("WANDB_MODE", "online")
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *v12_tiny])
    out = capsys.readouterr().out
    assert "wandb 启动失败" in out and "step 8/8" in out and (tmp_path / "m.pth").exists()


def test_checkpoint_round_trip(trained, small_corpus):
    ckpt, out = trained
    saved = torch.load(ckpt, weights_only=True)
    assert saved["step"] == 8 and saved["history"][-1][0] == 8
    assert saved["val_loss"] == saved["history"][-1][2]
    assert saved["chars"] == "".join(sorted(set(small_corpus.read_text(encoding="utf-8"))))
    config = v12.Config(**{**saved["config"], "prompt": tuple(saved["config"]["prompt"])})
    assert (config.n_embed, config.n_head, config.n_layer, config.block_size) == (16, 2, 2, 16)
    model = v12.BabyGPT(config, len(saved["chars"]))
    model.load_state_dict(saved["model"], strict=True)
    assert not list(ckpt.parent.glob("*.tmp"))  # 原子写入：没有留下临时文件

    # 再存一次、读回来：同样的输入得到逐位相同的输出
    tokenizer = v12.CharTokenizer(saved["chars"])
    again = ckpt.parent / "again.pth"
    v12.save_checkpoint(str(again), model, config, tokenizer, saved["history"], saved["step"])
    reloaded = v12.BabyGPT(config, len(saved["chars"]))
    reloaded.load_state_dict(torch.load(again, weights_only=True)["model"], strict=True)
    model.eval(), reloaded.eval()
    idx = torch.tensor([tokenizer.encode("春江花月夜")])
    assert torch.equal(model(idx)[0], reloaded(idx)[0])


def test_checkpoint_loads_strictly_into_the_sampler(trained):
    ckpt, _ = trained
    model, chars, checkpoint = sampler.load_checkpoint(str(ckpt), "cpu")
    assert checkpoint["step"] == 8 and len(chars) == model.lm_head.out_features


def test_sampler_loads_checkpoints_saved_before_resume_existed(trained, tmp_path):
    ckpt, _ = trained
    old = torch.load(ckpt, weights_only=True)
    for key in ("format", "optimizer", "rng", "wandb_run_id"):  # 旧版 v12 的检查点没有这几项
        del old[key]
    torch.save(old, tmp_path / "old.pth")
    model, chars, checkpoint = sampler.load_checkpoint(str(tmp_path / "old.pth"), "cpu")
    new_model, _, _ = sampler.load_checkpoint(str(ckpt), "cpu")
    idx = torch.tensor([[chars.index(c) for c in "春江"]])
    assert torch.equal(model(idx), new_model(idx))


def test_truncated_checkpoint_is_refused_with_a_clear_error(trained, tmp_path):
    ckpt, _ = trained
    broken = tmp_path / "broken.pth"
    broken.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    with pytest.raises(SystemExit, match="读不出来"):
        sampler.load_checkpoint(str(broken), "cpu")


def ctrl_c_at(monkeypatch, where, count):
    """在第 count 次经过 where 时向自己发一个 SIGINT，和学习者按 Ctrl-C 一样。
    where：batch（取训练批次时，一步的开头）、update（反向传播之后、参数更新之前，一步的正中间）、
    eval（评估时）。"""
    calls = {"n": 0}

    def hit():
        calls["n"] += 1
        if calls["n"] == count:
            signal.raise_signal(signal.SIGINT)

    if where == "batch":
        real_get_batch = v12.get_batch

        def get_batch(data, batch_size, block_size, device, generator=None):
            if generator is None:  # 训练用的批次（评估用固定的 generator）
                hit()
            return real_get_batch(data, batch_size, block_size, device, generator)

        monkeypatch.setattr(v12, "get_batch", get_batch)
    elif where == "update":
        real_clip = torch.nn.utils.clip_grad_norm_

        def clip(*args, **kwargs):
            hit()
            return real_clip(*args, **kwargs)

        monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", clip)
    else:
        real_estimate = v12.estimate_loss

        def estimate_loss(*args):
            hit()
            return real_estimate(*args)

        monkeypatch.setattr(v12, "estimate_loss", estimate_loss)


def test_ctrl_c_during_training_finishes_the_step_saves_it_and_exits_130(tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    before = signal.getsignal(signal.SIGINT)  # 后台运行的测试继承的可能是“忽略”，不一定是默认的
    ctrl_c_at(monkeypatch, "batch", 6)  # 第 6 步（step 5）取批次时按下 Ctrl-C
    monkeypatch.setattr(v12, "warn_if_slow_on_cpu", lambda *args: None)  # 它也取训练批次，这里不要它
    ckpt = tmp_path / "model.pth"
    argv = ["--data", str(small_corpus), "--ckpt_path", str(ckpt), *v12_tiny]
    with pytest.raises(SystemExit) as e:
        v12.main(argv)
    assert e.value.code == 130  # shell 的 `v12 && 采样器` 停在这里，采样器不会在半成品上启动
    out = capsys.readouterr().out
    assert "收到 Ctrl-C" in out and "训练停在第 6 步" in out and "--- 春江 ---" not in out
    assert out.rstrip().splitlines()[-1] == f"接着训练（同一条命令加上 --resume）：{shlex.join(['python', 'babygpt_v12_wandb.py', *argv, '--resume'])}"
    saved = torch.load(ckpt, weights_only=True)
    assert saved["step"] == 6  # 按下时正在做的那一步也做完了
    model = v12.BabyGPT(v12.Config(**{**saved["config"], "prompt": ("春江",)}), len(saved["chars"]))
    model.load_state_dict(saved["model"], strict=True)
    assert signal.getsignal(signal.SIGINT) is before  # 训练完把 Ctrl-C 还原


def synced_runs(out):
    """v12 最后打印的 `wandb sync 目录…` 里每个目录中的 .wandb 记录文件。
    （同一个进程里 wandb 只在第一次 init 时读 WANDB_DIR，所以按打印出来的路径找，而不是按 tmp_path 找。）"""
    line = [line for line in out.splitlines() if "wandb sync " in line][-1]
    return [next(Path(d).glob("run-*.wandb")) for d in line.split("wandb sync ")[1].split()]


def last_step_line(out):
    return [line.split(", ")[:2] for line in out.splitlines() if line.startswith("step ")][-1]




# warn_if_slow_on_cpu 在训练前先取 2 个批次试跑，所以 ("batch", 3) 是训练的第一步
@pytest.mark.parametrize("where, count", [("batch", 8), ("update", 7), ("eval", 2), ("batch", 3)])
def test_resume_after_ctrl_c_ends_exactly_where_the_straight_run_ends(where, count, tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    data = ["--data", str(small_corpus)]
    straight = tmp_path / "straight.pth"
    v12.main([*data, "--ckpt_path", str(straight), *v12_tiny, "--max_iters", "12"])
    expected = last_step_line(capsys.readouterr().out)
    assert expected[0].startswith("step 12/12")

    ckpt = tmp_path / "model.pth"
    with monkeypatch.context() as m, pytest.raises(SystemExit, match="130"):
        ctrl_c_at(m, where, count)
        v12.main([*data, "--ckpt_path", str(ckpt), *v12_tiny, "--max_iters", "12"])
    interrupted = torch.load(ckpt, weights_only=True)
    assert 0 <= interrupted["step"] < 12, interrupted["step"]
    printed = capsys.readouterr().out.rstrip().splitlines()[-1].split("：", 1)[1]
    time.sleep(1.1)  # wandb 的离线目录名精确到秒；真实的续训不会在同一秒里开始

    python, script, *again = shlex.split(printed)  # 原样运行它打印的那条命令
    assert (python, script) == ("python", "babygpt_v12_wandb.py") and again[-1] == "--resume"
    v12.main(again)
    out = capsys.readouterr().out
    assert f"从 {ckpt} 的第 {interrupted['step']} 步接着训练到第 12 步" in out
    assert last_step_line(out) == expected  # 同一行：step 12/12: train loss …, val loss …
    resumed, full = torch.load(ckpt, weights_only=True), torch.load(straight, weights_only=True)
    assert resumed["step"] == 12 and resumed["history"] == full["history"]
    for name, tensor in full["model"].items():
        assert torch.equal(resumed["model"][name], tensor), name  # 权重逐位相同

    # wandb：续训接着原来那次记录（同一个 run id），只补上中断之后的评估
    assert resumed["wandb_run_id"] == interrupted["wandb_run_id"]
    pieces = synced_runs(out)
    assert len(pieces) == 2 and all(resumed["wandb_run_id"] in piece.name for piece in pieces)
    steps = [row["_step"] for piece in pieces for row in history(piece)]
    assert steps == [0, 4, 8, 12]


def test_resume_past_the_planned_end_trains_the_extra_steps(trained, small_corpus, capsys, v12_tiny):
    ckpt, _ = trained  # 训练了 8 步
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(ckpt), *v12_tiny, "--max_iters", "12", "--resume"])
    out = capsys.readouterr().out
    assert "step 8/12" not in out  # 第 8 步已经评估过，不再评估
    assert "step 12/12" in out and torch.load(ckpt, weights_only=True)["step"] == 12


@pytest.fixture
def refused(tmp_path, small_corpus, capsys, v12_tiny):
    """refused(检查点, *参数)：带 --resume 运行，应当只打印一行错误就退出，什么都不动。返回那一行。"""

    def run(ckpt, *extra):
        before = ckpt.read_bytes() if ckpt.exists() else None
        wandb_runs = set((tmp_path / "wandb").glob("*run-*"))
        with pytest.raises(SystemExit) as e:
            v12.main(["--data", str(small_corpus), "--ckpt_path", str(ckpt), *v12_tiny, *extra, "--resume"])
        message = str(e.value.code)
        assert message.startswith("错误：--resume：") and "\n" not in message
        assert capsys.readouterr().out == ""  # 学习者只看到 stderr 上的这一行：没开始训练，也没打印别的
        assert (ckpt.read_bytes() if ckpt.exists() else None) == before  # 检查点原封不动
        assert set((tmp_path / "wandb").glob("*run-*")) == wandb_runs  # 没有新的 wandb 记录
        return message

    return run


def test_resume_refuses_a_missing_checkpoint(tmp_path, small_corpus, capsys, refused):
    assert "找不到检查点" in refused(tmp_path / "none.pth")


def test_resume_refuses_a_file_that_is_not_a_v12_checkpoint(tmp_path, small_corpus, capsys, refused):
    text = tmp_path / "notes.pth"
    text.write_text("不是检查点", encoding="utf-8")
    assert "读不出来" in refused(text)
    other = tmp_path / "other.pth"
    torch.save({"model": {}, "step": 3}, other)  # 别的程序存的 PyTorch 文件
    assert "不是这一版 babygpt_v12_wandb.py 保存的检查点" in refused(other)


def test_resume_refuses_an_old_checkpoint_without_optimizer_state(trained, tmp_path, small_corpus, capsys, refused):
    ckpt, _ = trained
    old = torch.load(ckpt, weights_only=True)
    old["optimizer"] = None  # 只够采样器用的检查点
    torch.save(old, ckpt)
    assert "没有优化器的状态" in refused(ckpt, "--max_iters", "12")


def test_resume_refuses_other_model_settings(trained, tmp_path, small_corpus, capsys, refused):
    ckpt, _ = trained
    message = refused(ckpt, "--max_iters", "12", "--n_embed", "32", "--n_layer", "3")
    assert "--n_embed 16（现在是 32）" in message and "--n_layer 2（现在是 3）" in message


def test_resume_refuses_when_nothing_is_left_to_train(trained, tmp_path, small_corpus, capsys, refused):
    ckpt, _ = trained  # 已经训练了 8 步，命令行的 --max_iters 也是 8
    assert "没有要训练的了" in refused(ckpt)


def test_resume_refuses_a_checkpoint_trained_on_another_corpus(trained, tmp_path, small_corpus, capsys, v12_tiny):
    ckpt, _ = trained
    other = tmp_path / "other.txt"  # 同样的词，少了最后一首：词表变了
    text = small_corpus.read_text(encoding="utf-8")
    other.write_text(text[: text.rstrip("\n").rindex("\n\n") + 1] + "一首只有新字的词：𪚥𪚥\n", encoding="utf-8")
    before = ckpt.read_bytes()
    with pytest.raises(SystemExit) as e:
        v12.main(["--data", str(other), "--ckpt_path", str(ckpt), *v12_tiny, "--max_iters", "12", "--resume"])
    message = str(e.value.code)
    assert message.startswith("错误：--resume：检查点的词表和语料") and "不是在这份语料上训练的" in message and "\n" not in message
    assert capsys.readouterr().out == "" and ckpt.read_bytes() == before  # 学习者只看到这一行，检查点原封不动


@pytest.fixture(params=["refused", "silent"])
def unreachable_server(request):
    """一个连不上的 wandb 服务器（只在本机 127.0.0.1 上）：refused 是没人在听的端口，连接马上被拒；
    silent 是有人在听、却永远不回话的端口，只能等到超时。"""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    if request.param == "refused":
        server.close()
    else:
        server.listen(8)
    yield f"http://127.0.0.1:{port}"
    server.close()


def test_api_key_without_a_reachable_server_falls_back_to_offline(unreachable_server, tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    import wandb

    monkeypatch.delenv("WANDB_MODE")
    monkeypatch.setenv("WANDB_API_KEY", "0" * 40)  # 有 key
    monkeypatch.setenv("WANDB_BASE_URL", unreachable_server)
    modes = []
    real_init = wandb.init
    monkeypatch.setattr(wandb, "init", lambda **kwargs: modes.append(kwargs["mode"]) or real_init(**kwargs))
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *v12_tiny])
    out = capsys.readouterr().out
    assert modes == ["offline"]  # 没有去等在线的 wandb.init
    assert out.count("连不上 wandb 的服务器") == 1 and "wandb 启动失败" not in out
    runs = synced_runs(out)
    assert len(runs) == 1 and [row["_step"] for row in history(runs[0])] == [0, 4, 8]  # 什么都没丢


def test_reachable_server_is_used_online(monkeypatch):
    """服务器回了话（哪怕是 404），就当连得上：不要把能用的在线记录错改成离线。"""
    server = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)  # 每个请求都回 501
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    monkeypatch.setenv("WANDB_BASE_URL", f"http://127.0.0.1:{server.server_address[1]}")
    try:
        assert v12.wandb_server_reachable()
    finally:
        thread.join(5)
        server.server_close()


def test_interrupted_save_leaves_the_old_checkpoint_intact(tmp_path, trained, monkeypatch):
    ckpt, _ = trained
    before = ckpt.read_bytes()

    def dying_save(obj, f, *args, **kwargs):
        with open(f, "wb") as handle:
            handle.write(b"half a checkpoint")
        raise KeyboardInterrupt

    monkeypatch.setattr(v12.torch, "save", dying_save)
    model = v12.BabyGPT(v12.Config(n_embed=16, n_head=2, n_layer=1, block_size=8), 10)
    with pytest.raises(KeyboardInterrupt):
        v12.save_checkpoint(str(ckpt), model, v12.Config(), v12.CharTokenizer("abcdefghij"), [], 0)
    assert ckpt.read_bytes() == before
    assert not list(ckpt.parent.glob("*.tmp"))  # 半个临时文件也被删掉了


def test_missing_checkpoint_directory_is_reported_before_training(tmp_path, small_corpus, capsys, v12_tiny):
    with pytest.raises(SystemExit) as e:
        v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "no" / "such" / "model.pth"), *v12_tiny])
    message = str(e.value.code)
    assert "--ckpt_path 的目录" in message and "不存在" in message and "\n" not in message
    assert "step 0" not in capsys.readouterr().out  # 还没开始训练


def tiny_model_and_splits(corpus_text, v12_tiny):
    config = scaffold.parse_args(v12.Config, v12_tiny)
    tokenizer = v12.CharTokenizer.from_text(corpus_text[:5000])
    data = torch.tensor(tokenizer.encode(corpus_text[:5000]), dtype=torch.long)
    return v12.BabyGPT(config, len(tokenizer.chars)), {"train": data[:4000], "val": data[4000:]}, config


def test_cpu_warning_gives_the_recipe_only_for_a_long_run(corpus_text, capsys, v12_tiny):
    model, splits, config = tiny_model_and_splits(corpus_text, v12_tiny)
    v12.warn_if_slow_on_cpu(model, splits, config, "cpu", v12.get_batch)  # 8 步：一眨眼
    assert capsys.readouterr().out == ""
    long_run = scaffold.parse_args(v12.Config, [*v12_tiny, "--max_iters", "100000000"])  # 再小的模型，一亿步也要超过 20 分钟
    v12.warn_if_slow_on_cpu(model, splits, long_run, "cpu", v12.get_batch)
    out = capsys.readouterr().out
    assert f"babygpt_v12_wandb.py {scaffold.CPU_RECIPE}" in out
    assert all(p.grad is None for p in model.parameters())  # 试跑的梯度不留下来
    v12.warn_if_slow_on_cpu(model, splits, long_run, "cuda", v12.get_batch)  # 只在 CPU 上估计
    assert capsys.readouterr().out == ""


def test_cpu_warning_does_not_recommend_the_recipe_to_the_recipe_itself(corpus_text, capsys, monkeypatch, v12_tiny):
    """慢机器上 CPU 配方本身也可能超过 20 分钟：这时只说要多久，不再推荐同一条命令。"""
    recipe = scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split())
    _, splits, _ = tiny_model_and_splits(corpus_text, v12_tiny)
    model = v12.BabyGPT(recipe, int(splits["train"].max()) + 1)
    clock = itertools.count()  # 假的钟：每读一次过 1 秒，试跑两步就是每步 0.5 秒，7300 步要一个小时
    monkeypatch.setattr(scaffold, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    v12.warn_if_slow_on_cpu(model, splits, recipe, "cpu", v12.get_batch)
    out = capsys.readouterr().out
    assert "大约要 62 分钟" in out and scaffold.CPU_RECIPE not in out


def test_readme_quick_start_trains_with_the_cpu_recipe_and_resumes_with_the_printed_command(tmp_path, small_corpus, capsys,
                                                                                                monkeypatch):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if line.startswith("pip install -r requirements.txt && python babygpt_v12")]
    assert len(commands) == 2  # 中文和英文的快速开始
    for line in commands:
        assert line.endswith(f"python babygpt_v12_wandb.py {scaffold.CPU_RECIPE} && python babygpt_sample_with_kvcache.py")
    scaffold.parse_args(v12.Config, scaffold.CPU_RECIPE.split())  # 配方本身是合法的参数（不合法会 SystemExit）
    # README 的续训命令，就是 v12 按了 Ctrl-C 之后自己打印的那一条（再接着采样器）
    ctrl_c_at(monkeypatch, "batch", 3)
    with pytest.raises(SystemExit):
        v12.main(scaffold.CPU_RECIPE.split() + ["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth")])
    printed = capsys.readouterr().out.rstrip().splitlines()[-1].split("：", 1)[1]
    printed = printed.replace(f" --data {small_corpus} --ckpt_path {tmp_path / 'm.pth'}", "")
    assert f"```bash\n{printed} && python babygpt_sample_with_kvcache.py\n```" in readme


def step_lines(out):
    """每次评估的那一行，去掉速度和用时（它们每次都不一样）。"""
    return [line.split(", ")[:2] for line in out.splitlines() if line.startswith("step ")]


def test_v12_trains_exactly_like_v11_apart_from_wandb_and_the_checkpoint(tmp_path, small_corpus, monkeypatch, capsys, v12_tiny):
    import babygpt_v11_hyper_params as v11

    monkeypatch.setenv("WANDB_MODE", "disabled")
    args = ["--data", str(small_corpus), *v12_tiny, "--warmup_iters", "2"]
    v11.main(args)
    plain = capsys.readouterr().out
    v12.main([*args, "--ckpt_path", str(tmp_path / "m.pth")])
    tracked = capsys.readouterr().out
    assert len(step_lines(plain)) == 3 and step_lines(tracked) == step_lines(plain)
    assert tracked.split("--- 春江 ---")[1] == plain.split("--- 春江 ---")[1]  # 训练完写的两段也逐字相同


@pytest.mark.parametrize("name, recommends", [("babygpt_v11_hyper_params", True), ("babygpt_v1", False)])
def test_cpu_warning_says_within_seconds_how_long_and_what_to_run_instead(name, recommends, capsys, monkeypatch):
    """默认设置在很慢的 CPU 上（假的钟：每步 10 秒）：试跑两步就说要多久、每次评估要多久；
    v11（GPU 配方）再给出 CPU 配方；v1 的计算量本来就比 CPU 配方小，不推荐它。"""
    mod = importlib.import_module(name)
    config = mod.Config()
    small = replace(config, n_embed=8, block_size=8, **({"n_head": 2} if hasattr(config, "n_head") else {}))
    model = mod.BabyGPT(small, 50)
    clock = itertools.count(step=20)  # 每读一次钟过 20 秒：试跑两步读两次钟，每步 10 秒
    monkeypatch.setattr(scaffold, "time", SimpleNamespace(perf_counter=lambda: next(clock)))
    data = torch.randint(50, (1000,))
    small_batch = lambda *args: (data[:16].view(2, 8), data[1:17].view(2, 8))  # noqa: E731  小模型，小批次
    mod.warn_if_slow_on_cpu(model, {"train": data}, config, "cpu", small_batch)  # 估计按的是默认设置
    lines = capsys.readouterr().out.splitlines()
    one_eval = 10 * 2 * config.eval_iters / 3
    minutes = (10 * config.max_iters + one_eval * (config.max_iters // config.eval_interval + 1)) / 60
    assert lines[0].startswith(f"注意：在这台机器的 CPU 上，按现在的设置训练大约要 {minutes:.0f} 分钟")
    assert f"每次评估约 {one_eval / 60:.0f} 分钟" in lines[0]
    if recommends:
        assert lines[1] == f"CPU 上请改用 README 快速开始里的 CPU 配方（同样的 GPT，小一些的设置）：python babygpt_v12_wandb.py {scaffold.CPU_RECIPE}"
    assert len(lines) == 1 + recommends


@pytest.mark.parametrize("name", ["babygpt_v11_hyper_params", "babygpt_v10_dropout"])
def test_the_trial_steps_change_nothing_the_training_sees(name):
    """试跑之后：随机数的状态、参数、梯度都和试跑之前一样，所以有没有这个提醒，训练都一模一样。"""
    mod = importlib.import_module(name)
    config = replace(mod.Config(), n_embed=8, n_head=2, block_size=8, batch_size=2, dropout=0.5)
    model = mod.BabyGPT(config, 50)
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    data = torch.randint(50, (1000,))
    rng = torch.get_rng_state()
    mod.warn_if_slow_on_cpu(model, {"train": data}, config, "cpu", mod.get_batch)
    assert torch.equal(torch.get_rng_state(), rng)
    assert all(torch.equal(v, weights[k]) for k, v in model.state_dict().items())
    assert all(p.grad is None for p in model.parameters())


def test_the_run_can_be_seen_without_wandb(trained, tmp_path, capsys, monkeypatch, v12_tiny):
    """learners/plot_run.py 只读检查点：画出的两条损失线就是检查点里的评估记录，学习率线就是 get_lr 的时间表。"""
    import plot_run

    ckpt, _ = trained
    drawn = {}
    real_draw = plot_run.draw
    monkeypatch.setattr(plot_run, "draw", lambda *args: drawn.update(real_draw(*args)))
    out = tmp_path / "run.png"
    plot_run.main(["--ckpt_path", str(ckpt), "--out", str(out)])
    saved = torch.load(ckpt, weights_only=True)
    config = scaffold.parse_args(v12.Config, v12_tiny)
    assert drawn["训练集损失"] == ([s for s, _, _ in saved["history"]], [t for _, t, _ in saved["history"]])
    assert drawn["验证集损失"][1] == [v for _, _, v in saved["history"]]
    assert drawn["学习率（右轴）"] == (list(range(9)), [v12.get_lr(s, config) for s in range(9)])
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out.splitlines()
    assert printed[1] == f"| 0 | {saved['history'][0][1]:.4f} | {saved['history'][0][2]:.4f} | {v12.get_lr(0, config):.2e} |"
    with pytest.raises(SystemExit, match="找不到检查点"):
        plot_run.main(["--ckpt_path", str(tmp_path / "none.pth")])
