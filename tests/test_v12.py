"""babygpt_v12_wandb.py：wandb 离线记录、检查点（往返、原子写入、Ctrl-C 时也保存）。"""

import math

import pytest
import torch

import babygpt_sample_with_kvcache as sampler
import babygpt_v12_wandb as v12
from conftest import ROOT
from wandb_records import history, run_config

TINY = ["--max_iters", "8", "--eval_interval", "4", "--eval_iters", "2", "--batch_size", "4", "--block_size", "16",
        "--n_embed", "16", "--n_head", "2", "--n_layer", "2", "--dropout", "0.1", "--max_new_tokens", "10"]


@pytest.fixture
def trained(tmp_path, small_corpus, capsys):
    """用很小的配置把 v12 完整跑一遍（wandb 离线），返回 (检查点路径, 打印的内容)。"""
    ckpt = tmp_path / "model.pth"
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(ckpt), *TINY])
    return ckpt, capsys.readouterr().out


def test_offline_wandb_run_records_config_and_every_evaluation(trained, tmp_path):
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
        assert row["tokens_per_sec"] >= 0
    config = run_config(runs[0])
    assert config["n_layer"] == 2 and config["max_iters"] == 8 and config["block_size"] == 16


def test_wandb_disabled_writes_nothing(tmp_path, small_corpus, monkeypatch, capsys):
    monkeypatch.setenv("WANDB_MODE", "disabled")
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *TINY])
    assert "wandb 已关闭" in capsys.readouterr().out
    assert not (tmp_path / "wandb").exists()


def test_wandb_failure_never_stops_training(tmp_path, small_corpus, monkeypatch, capsys):
    import wandb

    def broken_init(**kwargs):
        raise RuntimeError("network is unreachable")

    monkeypatch.setattr(wandb, "init", broken_init)
    monkeypatch.setenv("WANDB_MODE", "online")
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *TINY])
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


def test_truncated_checkpoint_is_refused_with_a_clear_error(trained, tmp_path):
    ckpt, _ = trained
    broken = tmp_path / "broken.pth"
    broken.write_bytes(ckpt.read_bytes()[: ckpt.stat().st_size // 2])
    with pytest.raises(sampler.CheckpointError, match="读不出来"):
        sampler.load_checkpoint(str(broken), "cpu")


def test_ctrl_c_during_training_saves_what_was_learned(tmp_path, small_corpus, monkeypatch, capsys):
    real_get_batch = v12.get_batch
    calls = {"train": 0}

    def get_batch(data, batch_size, block_size, device, generator=None):
        if generator is None:  # 训练用的批次（评估用固定的 generator）
            calls["train"] += 1
            if calls["train"] == 6:
                raise KeyboardInterrupt
        return real_get_batch(data, batch_size, block_size, device, generator)

    monkeypatch.setattr(v12, "get_batch", get_batch)
    monkeypatch.setattr(v12, "warn_if_slow_on_cpu", lambda *args: None)  # 它也取训练批次，这里不要它
    ckpt = tmp_path / "model.pth"
    v12.main(["--data", str(small_corpus), "--ckpt_path", str(ckpt), *TINY])
    out = capsys.readouterr().out
    assert "被中断" in out and "--- 春江 ---" in out
    saved = torch.load(ckpt, weights_only=True)
    assert saved["step"] == 5  # 完整训练了 5 步
    model = v12.BabyGPT(v12.Config(**{**saved["config"], "prompt": ("春江",)}), len(saved["chars"]))
    model.load_state_dict(saved["model"], strict=True)


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


def test_missing_checkpoint_directory_is_reported_before_training(tmp_path, small_corpus, capsys):
    with pytest.raises(SystemExit) as e:
        v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "no" / "such" / "model.pth"), *TINY])
    message = str(e.value.code)
    assert "--ckpt_path 的目录" in message and "不存在" in message and "\n" not in message
    assert "step 0" not in capsys.readouterr().out  # 还没开始训练


def tiny_model_and_splits(corpus_text):
    config = v12.parse_args(TINY)
    tokenizer = v12.CharTokenizer.from_text(corpus_text[:5000])
    data = torch.tensor(tokenizer.encode(corpus_text[:5000]), dtype=torch.long)
    return v12.BabyGPT(config, len(tokenizer.chars)), {"train": data[:4000], "val": data[4000:]}, config


def test_cpu_warning_gives_the_recipe_only_for_a_long_run(corpus_text, capsys):
    model, splits, config = tiny_model_and_splits(corpus_text)
    v12.warn_if_slow_on_cpu(model, splits, config, "cpu")  # 8 步：一眨眼
    assert capsys.readouterr().out == ""
    long_run = v12.parse_args([*TINY, "--max_iters", "100000000"])  # 再小的模型，一亿步也要超过 20 分钟
    v12.warn_if_slow_on_cpu(model, splits, long_run, "cpu")
    out = capsys.readouterr().out
    assert f"babygpt_v12_wandb.py {v12.CPU_RECIPE}" in out
    assert all(p.grad is None for p in model.parameters())  # 试跑的梯度不留下来
    v12.warn_if_slow_on_cpu(model, splits, long_run, "cuda")  # 只在 CPU 上估计
    assert capsys.readouterr().out == ""


def test_readme_quick_start_trains_with_the_cpu_recipe():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line for line in readme.splitlines() if "python babygpt_v12_wandb.py --" in line]
    assert len(commands) == 2  # 中文和英文的快速开始
    for line in commands:
        assert f"python babygpt_v12_wandb.py {v12.CPU_RECIPE} &&" in line
    v12.parse_args(v12.CPU_RECIPE.split())  # 配方本身是合法的参数（不合法会 SystemExit）
