"""脚手架：十二课、入门脚本和采样器共用的东西。它不是任何一课的内容，读课程时可以跳过这个文件。

每一课只 import 这一个文件（别的课一概不 import），课里留下的都是要学的：Config、模型、分词、批次、评估、
训练配方和循环、生成。这里放的是每一课都一样、又和 Transformer 无关的杂事：
1. 命令行：Config 的每个字段都是一个 --参数；写错了只说一行。
2. 设备：cuda、mps 还是 cpu。
3. 语料：认得几种编码的文本文件，按整首词分出验证集，先查文件和提示词，再开始打印。
4. CPU 上的时间估计：训练前试跑两步，太久就先说一声，并给出 CPU 上该跑的命令。
5. Ctrl-C：训练以外的地方按下，不打印 traceback，以退出码 130 结束。
6. v12 用的两件杂事：语料编码成一个文件、用内存映射读（多个进程共用一份）；torchrun 启动时建进程组。
入门脚本只用标准库，所以这里用到 torch、numpy 的地方才在函数里导入它们。
"""

import argparse
import json
import math
import os
import sys
import tempfile
import time
from dataclasses import field, fields
from pathlib import Path

DEFAULT_DATA = str(Path(__file__).resolve().parent / "data" / "ci.txt")
# README 快速开始里 v12 的 CPU 配方：同样的 GPT，小一些的设置（参数的写法和学习者粘贴的一样）。
# 它在这里，是因为每一课在 CPU 上的时间估计（第 4 节）太久时都指向它
CPU_RECIPE = ("--max_iters 7300 --eval_interval 730 --eval_iters 20 --batch_size 16 --block_size 64 "
              "--learning_rate 3e-3 --warmup_iters 200 --lr_decay_iters 7300 --n_embed 96 --n_head 4 --n_layer 4 --dropout 0")


def fail(message):
    """给学习者一行清楚的错误信息，然后退出（不打印 traceback）。torchrun 的几个进程遇到同一个错误时，只有 0 号进程说。"""
    sys.exit(f"错误：{message}" if os.environ.get("RANK", "0") == "0" else 1)


# 1. 命令行 -------------------------------------------------------------------------------------------

def option(default, help):
    """Config 的一个字段：默认值，加上 --help 里显示的说明。"""
    return field(default=default, metadata={"help": help})


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # 参数写错时只打印一行说明，不打印一大段用法；torchrun 的几个进程里只有 0 号说
        sys.exit(f"参数错误：{message}（用 --help 查看所有参数）" if os.environ.get("RANK", "0") == "0" else 2)


def parse_args(config_class, argv=None, doc=""):
    """Config 的每个字段是一个 --名字，类型跟默认值一样；元组可以重复给出，真假值是开关（--名字 / --no-名字）。
    写错了（没有这个参数、类型不对、值不合理）只说一行就退出。"""
    parser = ArgumentParser(description=doc.splitlines()[0] if doc else None)
    for f in fields(config_class):
        help = f"{f.metadata['help']}（默认：{f.default}）"
        if isinstance(f.default, tuple):
            parser.add_argument(f"--{f.name}", action="append", help=help)
        elif isinstance(f.default, bool):
            parser.add_argument(f"--{f.name}", action=argparse.BooleanOptionalAction, default=f.default, help=help)
        else:
            kind = str if f.default is None else type(f.default)  # 默认是 None 的（采样器的 --tune）：不给就是没有
            parser.add_argument(f"--{f.name}", type=kind, default=f.default, help=help)
    args = vars(parser.parse_args(argv))
    for f in fields(config_class):
        if isinstance(f.default, tuple):
            args[f.name] = tuple(args[f.name] or f.default)
    config = config_class(**args)
    check_config(config)
    return config


# 同名的参数在每个脚本里意思一样，规则就只写这一处；哪个脚本有这个字段才查哪个（top_k、temperature 是采样器的，alpha 是入门脚本的）
MAY_BE_ZERO = ("warmup_iters", "top_k")  # 整数参数都要大于 0，这两个可以是 0；seed 随便


def check_config(config):
    """值不合理的参数：只说一行。每一课、入门脚本和采样器有哪些字段就查哪些。"""
    for f in fields(config):
        value = getattr(config, f.name)
        if f.type is int and f.name != "seed" and not (value >= 0 if f.name in MAY_BE_ZERO else value > 0):
            fail(f"--{f.name} 必须是{'非负' if f.name in MAY_BE_ZERO else '正'}整数，现在是 {value}")
        if f.type is float and not math.isfinite(value):
            fail(f"--{f.name} 必须是一个有限的数，现在是 {value}")
    ranges = {  # 名字 -> (检查, 说明)
        "learning_rate": (lambda v: v > 0, "必须大于 0"),
        "alpha": (lambda v: v > 0, "必须大于 0"),
        "min_lr_ratio": (lambda v: 0 <= v <= 1, "必须在 [0, 1] 之间"),
        "weight_decay": (lambda v: v >= 0, "不能是负数"),
        "grad_clip": (lambda v: v >= 0, "不能是负数（0 表示不裁剪）"),
        "dropout": (lambda v: 0 <= v < 1, "必须在 [0, 1) 之间"),
        "temperature": (lambda v: v >= 0, "不能是负数（0 表示贪心）"),
    }
    for name, (ok, rule) in ranges.items():
        if hasattr(config, name) and not ok(getattr(config, name)):
            fail(f"--{name} {rule}，现在是 {getattr(config, name)}")
    if hasattr(config, "n_head") and config.n_embed % config.n_head != 0:
        fail(f"--n_embed ({config.n_embed}) 必须能被 --n_head ({config.n_head}) 整除")
    if isinstance(getattr(config, "prompt", None), tuple) and "" in config.prompt:
        fail("--prompt 不能是空字符串")


# 2. 设备 ---------------------------------------------------------------------------------------------

def pick_device(name):
    """auto：有 CUDA 用 CUDA，有 Apple 的 MPS 用 MPS，否则用 CPU。"""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        fail("--device cuda，但这台机器上的 PyTorch 找不到 CUDA")
    if name == "mps" and not torch.backends.mps.is_available():
        fail("--device mps，但这台机器上的 PyTorch 找不到 MPS")
    if name not in ("cuda", "mps", "cpu"):
        fail(f"--device 只能是 auto、cuda、mps 或 cpu，现在是 {name}")
    return name


# 3. 语料 ---------------------------------------------------------------------------------------------

def read_text(path):
    """读语料，返回 (文字, 编码)。认得 UTF-8（带不带 BOM 都行）、带 BOM 的 UTF-16 和 GB18030（包含 GBK、GB2312）；
    Windows 的换行（回车 + 换行）换成一个换行。文件本身有问题时，说一句是什么问题。"""
    if Path(path).is_dir():
        fail(f"{path} 是一个目录，--data 要的是一个文本文件")
    try:
        raw = Path(path).read_bytes()
    except OSError as e:
        fail(f"读不到训练语料 {path}（{e.strerror}）。默认的语料在仓库的 data/ci.txt，别的文本用 --data 指定")
    encodings = ["utf-16"] if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else ["utf-8-sig", "gb18030"]  # utf-8-sig：有 BOM 就去掉
    for encoding in encodings:
        try:
            text = raw.decode(encoding).replace("\r\n", "\n")
        except UnicodeDecodeError:
            continue
        if not any(c < " " and c not in "\t\n\r\f\v" for c in set(text)):  # 二进制文件有时也“解码”得出来，但带着控制字符
            if not text.strip():
                fail(f"训练语料 {path} 是空的")
            return text, encoding.replace("utf-8-sig", "utf-8").upper()
    fail(f"{path} 不是认得出的文本（试过 UTF-8、UTF-16、GB18030）：请先另存为 UTF-8，例如 iconv -f 原来的编码 -t UTF-8")


def split_text(text):
    """每 10 段里的第 10 段做验证集，其余做训练集。返回 ({"train": 文字, "val": 文字}, 怎么分的)。
    段与段之间隔一个空行；宋词语料里一段是一整首词：验证集的词散布在整部语料里，作者和年代与训练集一样；
    如果取语料最后 10%，那里大多是无名氏的词，训练集和验证集的差距就不是过拟合，而是两堆文字本来不一样。
    用空行隔开的段不到 100 段（小说、歌词常常没有空行），就按行分；连 100 行也没有，就切成 100 块等长的。"""
    poems = [p + "\n\n" for p in text.strip("\n").split("\n\n")]  # 词与词之间隔一个空行，空行也要学
    lines = text.splitlines(keepends=True)
    if len(poems) >= 100:
        pieces, how = poems, f"每 10 段里的第 10 段（用空行隔开的段，共 {len(poems):,} 段；宋词语料里一段就是一首词）"
    elif len(lines) >= 100:
        pieces, how = lines, f"每 10 行里的第 10 行（用空行隔开的只有 {len(poems)} 段，不够分；共 {len(lines):,} 行）"
    else:
        size = max(1, len(text) // 100)
        pieces = [text[i : i + size] for i in range(0, len(text), size)]
        how = f"每 10 块里的第 10 块（只有 {len(poems)} 段、{len(lines)} 行，不够分；每块 {size} 个字）"
    return {
        "train": "".join(p for i, p in enumerate(pieces) if i % 10 != 9),
        "val": "".join(p for i, p in enumerate(pieces) if i % 10 == 9),
    }, how


def read_corpus(config):
    """读 --data，分出训练集和验证集，返回 (全文, {"train": 文字, "val": 文字}, 要打印的第一行)。
    先查文件，再查提示词里的字在不在语料里；有问题只说一行。第一行（读的哪个文件、什么编码、怎么分的）由调用的人打印：
    所有的检查都做完了才开始打印。"""
    text, encoding = read_text(config.data)
    parts, how = split_text(text)
    check_corpus(config, set(text), len(parts["val"]), len(text))
    return text, parts, f"读入 {config.data}（{encoding}）；验证集：{how}"


def check_corpus(config, chars, val_length, length):
    """验证集要比 block_size 长，提示词里的字都要在词表里；有问题只说一行（v12 映射编码好的语料时也这样查）。"""
    block_size = getattr(config, "block_size", 1)  # 入门脚本没有 block_size：验证集至少要 2 个字
    if block_size >= val_length:
        need = f"要比 --block_size ({block_size}) 长" if hasattr(config, "block_size") else "至少要 2 个"
        fail(f"{config.data} 只有 {length:,} 个字，太少了：验证集只有 {val_length} 个字，{need}")
    for p in config.prompt:
        missing = "".join(sorted(set(p) - set(chars)))
        if missing:
            fail(f"提示词“{p}”里有词表中没有的字：{missing}（用 --prompt 换一个开头）")


# 4. CPU 上的时间估计 -------------------------------------------------------------------------------------

def warn_if_slow_on_cpu(model, splits, config, device, get_batch):
    """在 CPU 上先试跑两步前向 + 反向，估计整个训练要多久；超过 20 分钟就先说一声，并给出 CPU 上该跑的命令。
    试跑不改变训练：梯度清掉，随机数的状态还原，之后的每一步和不试跑时一模一样。"""
    import torch

    if device != "cpu":
        return
    with torch.random.fork_rng(devices=[]):  # 试跑用掉的随机数（取批次、dropout）在离开时还原
        t0 = time.perf_counter()
        for _ in range(2):
            x, y = get_batch(splits["train"], config.batch_size, config.block_size, device)
            _, loss = model(x, y)
            loss.backward()
        per_step = (time.perf_counter() - t0) / 2
    model.zero_grad(set_to_none=True)
    one_eval = per_step * 2 * config.eval_iters / 3  # 评估只有前向，约是训练一步的 1/3；训练集、验证集各 eval_iters 批
    total = per_step * config.max_iters + one_eval * (config.max_iters // config.eval_interval + 1)
    if total <= 20 * 60:
        return
    every = f"{one_eval / 60:.0f} 分钟" if one_eval >= 60 else f"{one_eval:.0f} 秒"
    print(f"注意：在这台机器的 CPU 上，按现在的设置训练大约要 {total / 60:.0f} 分钟"
          f"（试跑两步估计的；每次评估约 {every}，第一行进度要等第 0 步的评估做完）。")
    recipe = dict(zip(CPU_RECIPE.split()[::2], map(float, CPU_RECIPE.split()[1::2])))  # {"--max_iters": 7300.0, ...}
    keys = ("max_iters", "batch_size", "block_size", "n_layer", "n_embed")  # 粗略的计算量：步数 × 每步的字数 × 层数 × 宽度
    if math.prod(getattr(config, k, 1) for k in keys) > math.prod(recipe[f"--{k}"] for k in keys):  # v6 之前算一层
        print(f"CPU 上请改用 README 快速开始里的 CPU 配方（同样的 GPT，小一些的设置）：python babygpt_v12_wandb.py {CPU_RECIPE}")


# 5. Ctrl-C -------------------------------------------------------------------------------------------

def run_main(main):
    """运行脚本的 main()。训练以外的地方按了 Ctrl-C（v12 里是第二次 Ctrl-C）：不打印 traceback，
    以 130 退出（shell 里“被 Ctrl-C 中断”的退出码），`命令1 && 命令2` 就不会接着跑命令2。"""
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\n已中断。", file=sys.stderr)
        sys.exit(130)


# 6. v12：编码好的语料文件、torchrun ----------------------------------------------------------------------

class TokenArray:
    """内存映射的编码文件（uint16，词表超过 65535 个字时 int32），切片时才变成 torch 的 int64：
    get_batch 取 data[i : i + block_size] 和 len(data)，和用一整个 int64 张量时拿到的一模一样，内存却只占文件那么大，
    同一台机器上的几个进程共用操作系统缓存里的同一份。"""

    def __init__(self, array):
        self.array = array

    def __len__(self):
        return len(self.array)

    def __getitem__(self, index):
        import numpy as np
        import torch

        return torch.from_numpy(np.asarray(self.array[index], dtype=np.int64))


def encoded_corpus(config, make_tokenizer):
    """读 --data，返回 (词表的字, {"train": TokenArray, "val": TokenArray}, 要打印的第一行, 语料有几个字)。
    第一次把分好的训练集、验证集编码进 <语料>.tokens/ 里的文件（和语料的大小、修改时间对得上才算数），以后直接映射，
    不再读、不再编码整部语料。torchrun 时每台机器只有 LOCAL_RANK 0 的进程写，其余的等它写完再来读；
    目录写不进去时，这一次在内存里编码，照样能训练。"""
    first = os.environ.get("LOCAL_RANK", "0") == "0"
    if not first:
        barrier()  # 等这台机器的 0 号进程写完
    found = _encoded_corpus(config, make_tokenizer, write=first)
    if first:
        barrier()
    return found


def _encoded_corpus(config, make_tokenizer, write):
    import numpy as np

    folder, stat = Path(f"{config.data}.tokens"), Path(config.data).stat() if Path(config.data).is_file() else None
    stamp = {"format": 1, "size": stat and stat.st_size, "mtime_ns": stat and stat.st_mtime_ns}
    meta_path = folder / "meta.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() else {}
    if meta.get("stamp") != stamp:
        text, parts, about = read_corpus(config)  # 文件和提示词的检查都在这里
        tokenizer = make_tokenizer(text)
        dtype = np.uint16 if len(tokenizer.chars) <= 65536 else np.int32
        arrays = {name: np.concatenate([np.array(tokenizer.encode(part[i : i + 1_000_000]), dtype=dtype)  # 每次编码 100 万字
                                        for i in range(0, len(part), 1_000_000)]) for name, part in parts.items()}
        meta = {"stamp": stamp, "chars": tokenizer.chars, "about": about, "dtype": np.dtype(dtype).name, "length": len(text)}
        try:
            if not write:
                raise PermissionError
            folder.mkdir(exist_ok=True)
            for name, array in arrays.items():
                _write_whole(folder / f"{name}.bin", array.tofile)
            _write_whole(meta_path, lambda f: f.write(json.dumps(meta, ensure_ascii=False).encode()))  # 最后写：它在，别的就完整
        except OSError:
            return meta["chars"], {name: TokenArray(array) for name, array in arrays.items()}, about, len(text)
    splits = {name: TokenArray(np.memmap(folder / f"{name}.bin", dtype=meta["dtype"], mode="r")) for name in ("train", "val")}
    check_corpus(config, meta["chars"], len(splits["val"]), meta["length"])  # 编码以后 --block_size、--prompt 可能换了
    return meta["chars"], splits, meta["about"], meta["length"]


def _write_whole(path, write):
    """先写进同一目录里只属于这个进程的临时文件，再一下子改名成 path：几台机器共用一个磁盘、同时写同一份缓存时，
    谁也读不到写了一半的文件，已经映射了旧文件的进程看到的也不会变。"""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            write(f)
        os.replace(temporary, path)
    finally:
        Path(temporary).unlink(missing_ok=True)


def start_distributed(device_name):
    """python 直接运行时：(0, 1, 设备)。torchrun 启动的（它设好了 RANK、LOCAL_RANK、WORLD_SIZE、MASTER_ADDR……）：
    建进程组（CUDA 用 nccl，每个进程用 LOCAL_RANK 号 GPU；CPU 用 gloo），0 号以外的进程不往终端打印，
    返回 (rank, world_size, 设备)。任何一个进程出错退出，torchrun 就结束其余的进程，不会有人卡在等别人。"""
    if "RANK" not in os.environ:
        return 0, 1, pick_device(device_name)
    import torch
    import torch.distributed as dist

    device = pick_device(device_name)
    if device == "mps":
        fail("MPS 没有分布式后端（nccl、gloo 都不支持）：Mac 上直接用 python 运行，或者加 --device cpu 再用 torchrun")
    if device == "cuda":
        device = f"cuda:{int(os.environ['LOCAL_RANK'])}"
        torch.cuda.set_device(device)
    try:
        dist.init_process_group("nccl" if device.startswith("cuda") else "gloo")
    except (ValueError, RuntimeError) as e:
        fail(f"建不起进程组（{str(e).strip().splitlines()[0]}）：请用 torchrun 启动；多台机器时查 --master_addr、--master_port 和防火墙")
    if dist.get_rank() != 0:
        sys.stdout = open(os.devnull, "w")  # 一个声音：进度、wandb 的提示只有 0 号进程打印；出错的话照样打印
    return dist.get_rank(), dist.get_world_size(), device


def distributed():
    import torch.distributed as dist

    return dist.is_available() and dist.is_initialized()


def sum_over_ranks(tensor):
    """各进程的 tensor 加起来（每个进程都拿到和）；一个进程时原样返回。nccl 只认 GPU 上的张量，就先搬过去再搬回来。"""
    if not distributed():
        return tensor
    import torch
    import torch.distributed as dist

    on = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else tensor.device
    total = tensor.to(on)
    dist.all_reduce(total)
    return total.to(tensor.device)


def barrier():
    """torchrun 时等所有进程都走到这里；一个进程时什么都不做。"""
    if distributed():
        import torch.distributed as dist

        dist.barrier()


def any_rank(flag):
    """有一个进程是 True，每个进程都得到 True：Ctrl-C 先到哪个进程，大家都在同一步之后停下。"""
    import torch

    return bool(sum_over_ranks(torch.tensor([float(flag)])).item() > 0)


def from_every_rank(obj):
    """[每个进程的 obj]（按 rank 排）：0 号进程把别的进程的随机数状态也存进检查点。一个进程时就是 [obj]。"""
    if not distributed():
        return [obj]
    import torch.distributed as dist

    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def launcher():
    """重新运行这条命令时，脚本前面的那一段：python，或者 torchrun 和它的参数。"""
    if "RANK" not in os.environ:
        return ["python"]
    nodes, per_node = int(os.environ.get("GROUP_WORLD_SIZE", 1)), os.environ.get("LOCAL_WORLD_SIZE", "1")
    if nodes == 1:
        return ["torchrun", "--standalone", "--nproc_per_node", per_node]
    return ["torchrun", "--nnodes", str(nodes), "--node_rank", os.environ.get("GROUP_RANK", "0"), "--master_addr",
            os.environ["MASTER_ADDR"], "--master_port", os.environ["MASTER_PORT"], "--nproc_per_node", per_node]
