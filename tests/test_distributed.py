"""v12 在 torchrun 下数据并行：真的启动 torchrun（CPU、gloo、两个进程），不是模拟它。
梯度是两半批次的平均；两台“机器”（本机的两个 torchrun）训练完，一个声音、一个检查点，采样器读得了；一台机器上的
两个进程中途收到 Ctrl-C，用打印的 torchrun 命令续训，和两台机器一口气训练完的逐位相同；坏的输入只说一行。"""

import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel as DDP

import babygpt_v12_wandb as v12
import course
import scaffold

ROOT = course.ROOT
TINY = ["--max_iters", "8", "--eval_interval", "4", "--eval_iters", "2", "--batch_size", "4", "--block_size", "16",
        "--n_embed", "16", "--n_head", "2", "--n_layer", "1", "--max_new_tokens", "10"]


def torchrun(*args, nodes=None, per_node=2, **popen):
    """torchrun 运行 v12（每个进程一个线程、不用 wandb），像学习者在终端里那样。"""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "WANDB_MODE": "disabled", "PYTHONUNBUFFERED": "1"}
    launch = nodes or ["--standalone"]
    command = [sys.executable, "-m", "torch.distributed.run", *launch, "--nproc_per_node", str(per_node), "babygpt_v12_wandb.py", *args]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen)


def finished(proc, timeout=120):
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- 梯度：两个进程各算半批，DDP 平均之后 = 一个进程算整批；评估：各算几批，加起来 = 一个进程算全部 ---

CONFIG = v12.Config(block_size=8, n_embed=16, n_head=2, n_layer=2, dropout=0.0, batch_size=2, eval_iters=3)  # 3 批：两个进程分得不一样多


def half_batch_gradients(rank, world_size, init, x, y, splits, out):
    dist.init_process_group("gloo", init_method=init, rank=rank, world_size=world_size)
    torch.manual_seed(0)
    model = v12.BabyGPT(CONFIG, 50).double()
    ddp = DDP(model)
    half = len(x) // world_size
    _, loss = ddp(x[rank * half : (rank + 1) * half], y[rank * half : (rank + 1) * half])
    loss.backward()
    losses = v12.estimate_loss(model, splits, CONFIG, "cpu", rank, world_size)
    torch.save({"grads": {name: p.grad for name, p in model.named_parameters()}, "losses": losses}, out / f"{rank}.pt")
    dist.destroy_process_group()


def test_two_ranks_on_batch_halves_average_to_the_gradient_of_the_whole_batch(tmp_path):
    torch.manual_seed(1)
    x, y = torch.randint(50, (4, 8)), torch.randint(50, (4, 8))
    splits = {"train": torch.randint(50, (300,)), "val": torch.randint(50, (100,))}
    mp.spawn(half_batch_gradients, args=(2, f"file://{tmp_path / 'rendezvous'}", x, y, splits, tmp_path), nprocs=2)
    torch.manual_seed(0)
    model = v12.BabyGPT(CONFIG, 50).double()
    _, loss = model(x, y)
    loss.backward()
    ranks = [torch.load(tmp_path / f"{rank}.pt", weights_only=True) for rank in (0, 1)]
    for name, p in model.named_parameters():  # float64：两种求和顺序只差在 1e-15 左右
        torch.testing.assert_close(ranks[0]["grads"][name], p.grad, rtol=1e-10, atol=1e-12, msg=name)
    # 评估：每一批只有一个进程算，别的进程那一格是 0，x + 0 = x：和一个进程算的逐位相同，每个进程拿到的也一样
    assert ranks[0]["losses"] == ranks[1]["losses"] == v12.estimate_loss(model, splits, CONFIG, "cpu")


# --- 真的 torchrun ---

@pytest.fixture(scope="module")
def whole(tmp_path_factory, small_corpus):
    """一口气训练 200 步，两个进程：用两个 torchrun（两台“机器”，--nnodes 2，各一个进程）在本机会合。
    返回 (参数, 检查点, 0 号机器打印的, 1 号机器打印的)。gloo 把两个进程的梯度相加，先加谁都一样：
    和一台机器上的两个进程（下面的 Ctrl-C 测试）逐位相同。"""
    folder, port = tmp_path_factory.mktemp("whole"), free_port()
    args = ["--data", str(small_corpus), *TINY, "--max_iters", "200", "--eval_interval", "100"]
    launchers = [torchrun(*args, "--ckpt_path", str(folder / "model.pth"), per_node=1,
                          nodes=["--nnodes", "2", "--node_rank", str(node), "--master_addr", "127.0.0.1", "--master_port", str(port)])
                 for node in (0, 1)]
    (code0, out0), (code1, out1) = [finished(proc) for proc in launchers]
    assert (code0, code1) == (0, 0), f"0 号机器打印的：\n{out0}\n1 号机器打印的：\n{out1}"  # 字符串：pytest 整段显示
    return args, folder / "model.pth", out0, out1


def test_two_nodes_speak_once_and_write_one_checkpoint_the_sampler_reads(whole):
    _, ckpt, out, other = whole
    assert len(re.findall(r"^step 200/200: ", out, re.M)) == 1 and out.count("--- 春江 ---") == 1  # 一个声音
    assert "step 200/200" not in other and "--- 春江 ---" not in other  # 另一台机器不打印
    assert "torchrun：2 个进程，每步一共 2 × 4 段 × 16 字 = 128 字" in out
    assert sorted(p.name for p in ckpt.parent.iterdir()) == ["model.pth"]  # 一个检查点，没有留下临时文件
    checkpoint = torch.load(ckpt, weights_only=True)
    assert checkpoint["world_size"] == 2 and len(checkpoint["rng_ranks"]) == 2
    assert not any(name.startswith("module.") for name in checkpoint["model"])  # 没有 DDP 的那一层
    assert not torch.equal(checkpoint["rng_ranks"][0]["cpu"], checkpoint["rng_ranks"][1]["cpu"])  # 各取各的批次
    sample = subprocess.run([sys.executable, str(ROOT / "babygpt_sample_with_kvcache.py"), "--ckpt_path", str(ckpt),
                             "--prompt", "春江", "--max_new_tokens", "8"], capture_output=True, text=True, cwd=ROOT)
    assert sample.returncode == 0 and "春江" in sample.stdout, sample.stderr


def test_ctrl_c_to_the_launcher_saves_and_the_printed_command_resumes_exactly(tmp_path, whole):
    """SIGINT 发给 torchrun：它转发给每个进程，大家在同一步之后停，0 号进程存好检查点、打印带 torchrun 的续训命令；
    续训的最后一行和一口气训练完的逐位相同。torchrun 自己以退出码 1 结束（它遇到信号时就这样），进程们以 130 结束。"""
    args, straight, whole_out, _ = whole
    ckpt = tmp_path / "model.pth"
    proc = torchrun(*args, "--ckpt_path", str(ckpt))
    for line in proc.stdout:
        if line.startswith("step 0/200"):
            break
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    code, out = finished(proc)
    assert code != 0 and "检查点已保存到" in out and ckpt.exists(), out
    stopped = int(re.search(r"训练停在第 (\d+) 步", out).group(1))
    assert stopped < 200 and out.count("训练停在第") == 1
    command = re.search(r"接着训练（同一条命令加上 --resume）：(.*)", out).group(1)
    assert command.startswith("torchrun --standalone --nproc_per_node 2 babygpt_v12_wandb.py") and command.endswith("--resume")
    code, out = finished(torchrun(*shlex.split(command)[5:]))  # 学习者复制的就是它：torchrun 和它的三个参数交给 torchrun()
    assert code == 0, out
    last = [line.split(", ")[:2] for line in out.splitlines() if line.startswith("step 200/200")]
    assert last == [line.split(", ")[:2] for line in whole_out.splitlines() if line.startswith("step 200/200")]
    a, b = (torch.load(p, weights_only=True)["model"] for p in (straight, ckpt))
    assert all(torch.equal(a[name], b[name]) for name in a)


# --- 坏的输入：一行 ---

def test_a_world_that_leaves_a_rank_without_evaluation_gets_one_line(small_corpus, tmp_path, monkeypatch, capsys):
    """2 个进程、--eval_iters 1：有一个进程分不到评估的批次。在建好进程组之后、读语料之前就说一句。"""
    monkeypatch.setattr(v12, "start_distributed", lambda device: (0, 2, "cpu"))
    with pytest.raises(SystemExit) as e:
        v12.main(["--data", str(small_corpus), "--ckpt_path", str(tmp_path / "m.pth"), *TINY, "--eval_iters", "1"])
    assert str(e.value.code).startswith("错误：2 个进程分 --eval_iters 1 批评估") and capsys.readouterr().out == ""


def test_no_rendezvous_gets_one_line(small_corpus):
    """设了 RANK（像 torchrun 那样）却没有 MASTER_ADDR：不卡住，一行说怎么办。"""
    env = {**os.environ, "RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "2", "WANDB_MODE": "disabled"}
    env.pop("MASTER_ADDR", None)
    proc = subprocess.run([sys.executable, "babygpt_v12_wandb.py", "--data", str(small_corpus), *TINY], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode != 0 and proc.stderr.count("\n") == 1 and "建不起进程组" in proc.stderr and "torchrun" in proc.stderr


def test_mps_is_refused_in_one_line(monkeypatch):
    monkeypatch.setenv("RANK", "0")
    monkeypatch.setattr(scaffold, "pick_device", lambda name: "mps")
    with pytest.raises(SystemExit) as e:
        scaffold.start_distributed("auto")
    assert "MPS 没有分布式后端" in str(e.value.code) and "\n" not in str(e.value.code)


# --- 语料文件：映射进来的批次和一整个 int64 张量的一样 ---

def test_the_mapped_corpus_gives_the_same_batches_as_the_encoded_tensor(small_corpus):
    config = scaffold.parse_args(v12.Config, ["--data", str(small_corpus), "--block_size", "16"])
    chars, splits, _, length = scaffold.encoded_corpus(config, v12.CharTokenizer.from_text)
    text, parts, _ = scaffold.read_corpus(config)
    tokenizer = v12.CharTokenizer.from_text(text)
    assert chars == tokenizer.chars and length == len(text)
    assert (small_corpus.parent / f"{small_corpus.name}.tokens" / "train.bin").stat().st_size == 2 * len(splits["train"])  # uint16
    for name, part in parts.items():
        tensor = torch.tensor(tokenizer.encode(part), dtype=torch.long)
        assert len(splits[name]) == len(tensor)
        for seed in (0, 1):
            a = v12.get_batch(tensor, 4, 16, "cpu", torch.Generator().manual_seed(seed))
            b = v12.get_batch(splits[name], 4, 16, "cpu", torch.Generator().manual_seed(seed))
            assert all(torch.equal(p, q) and q.dtype == torch.long for p, q in zip(a, b))
    again = scaffold.encoded_corpus(config, lambda text: pytest.fail("文件对得上，不该再编码"))
    assert again[0] == chars


def test_an_edited_corpus_is_encoded_again(tmp_path, small_corpus):
    path = tmp_path / "c.txt"
    path.write_text(small_corpus.read_text(encoding="utf-8"), encoding="utf-8")
    config = scaffold.parse_args(v12.Config, ["--data", str(path), "--block_size", "16"])
    before = scaffold.encoded_corpus(config, v12.CharTokenizer.from_text)[0]
    path.write_text(path.read_text(encoding="utf-8") + "\n\n新添一首龘\n", encoding="utf-8")
    after = scaffold.encoded_corpus(config, v12.CharTokenizer.from_text)[0]
    assert "龘" in after and "龘" not in before


def test_writing_the_corpus_file_again_leaves_what_a_reader_mapped_as_it_was(tmp_path, small_corpus):
    """几台机器共用一个磁盘时，各台的 0 号进程会同时写同一个 <语料>.tokens/。每个文件先写成临时文件再改名：
    已经映射了的进程看到的不变，也读不到写了一半的文件，写完不留临时文件。（直接覆盖原文件，映射里的字就跟着变。）"""
    path = tmp_path / "c.txt"
    text = small_corpus.read_text(encoding="utf-8")
    path.write_text(text, encoding="utf-8")
    config = scaffold.parse_args(v12.Config, ["--data", str(path), "--block_size", "16"])
    _, mapped, _, _ = scaffold.encoded_corpus(config, v12.CharTokenizer.from_text)
    kept = {name: split[:].clone() for name, split in mapped.items()}
    path.write_text(text[: text.index("\n\n") + 2] + text, encoding="utf-8")  # 开头多一首：每个字都往后挪
    _, again, _, _ = scaffold.encoded_corpus(config, v12.CharTokenizer.from_text)
    assert len(again["train"]) > len(kept["train"])
    assert all(torch.equal(mapped[name][:], kept[name]) for name in kept)
    assert sorted(p.name for p in (tmp_path / "c.txt.tokens").iterdir()) == ["meta.json", "train.bin", "val.bin"]
