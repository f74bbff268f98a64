"""BabyGPT v11：放大超参数（GPU 规模的配方）。

代码和 v10 完全相同，只改了默认值：
    diff babygpt_v10_dropout.py babygpt_v11_hyper_params.py
- n_embed 384、n_head 6（每个头 64 维）、n_layer 6：一共 1543 万个参数，是 v10（0.89M）的 17 倍。
  v10 的参数大多在字向量表和 lm_head 里（词表 6104 个字，每个字各一行）；v11 的字向量表和 lm_head 里有 469 万，
  6 个 Block 里有 1064 万：宽度放大 6 倍，Block 里的矩阵放大 36 倍，层数再多 3 倍；
- block_size 256：能看到前面 256 个字，一首词的上下阕都在视野里；
- batch_size 64：每步 64×256 = 16384 个字，梯度更平稳；
- learning_rate 1e-3、预热 100 步：模型大、每步的字多，学习率要小一些才稳，预热也不必那么长；
- dropout 0.2：模型大了更容易背下训练集，正则化要加强；
- max_iters 2500、eval_interval 500、eval_iters 200：2500 步已经把训练集看了二十多遍，再训练就开始背书了
  （验证集损失回升），评估也取更多的批次，数字更准。
这是给 GPU 的配方。在 CPU 上运行时，它先试跑两步，几秒钟内就说整个训练要多久（2 核 CPU 上要好几个小时，
第 0 步的评估就要几十分钟），并给出该跑的 CPU 配方：README 快速开始的那条命令。
在一块 NVIDIA H200 上，v12（模型和训练与这一课相同）用这套默认值训练 2500 步：验证集损失 3.6458，
约 270 000 tokens/s，整条命令 214 秒。

试一试：在 CPU 上调参。时间是固定的（每一套训练 10.5 R），在 README 的 CPU 配方上一次只改一处，
步数由这台机器上一步的用时决定；比验证集损失，也比写出来的词合不合格律（每个词牌写 20 首，见 docs/form.md）：
    python tools/form_sweep.py --recipes 基准  # 验证集 4.11，逐句 0.27，整首 0.00（7300 步，10.6 R）
    python tools/form_sweep.py --recipes 更深  # 验证集 4.19，逐句 0.26，整首 0.00（4300 步，10.8 R）
    python tools/form_sweep.py --recipes 块长128  # 验证集 4.09，逐句 0.26，整首 0.00（7800 步，12.1 R）
    python tools/form_sweep.py --recipes GPU规模  # 验证集 5.96，逐句 0.01，整首 0.00（20 步，9.5 R）
这四行是在另一台 2 核机器（只有 AVX2 的 EPYC）上量的；“基准”就是 README 的 CPU 配方，它在现在这台机器上的数
见 babygpt_v12_wandb.py 的文档字符串（换一种 CPU，损失的最后几位会变，R 的个数也会变）。
8 层的每一步慢一半，同样的时间只走 4300 步：每一步学得更多（同样的步数它的损失更低、格律更好），
总的却学得少一点。块长 128 看得更远，格律并没有更好（它还多用了 15% 的时间）。这一课的 GPU 配方（GPU规模）在 2 核 CPU 上一步要约 20 秒，
10.5 R 只走 20 步，验证集损失还在 5.96，比入门脚本的 bigram 还差。CPU 上时间是最紧的，所以 CPU 配方小；GPU 上每一步快几百倍，模型才放得大（这一课的默认值）。
"""

import argparse
import math
import sys
import time
from dataclasses import dataclass, field, fields
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn import functional as F

DEFAULT_DATA = str(Path(__file__).resolve().parent / "data" / "ci.txt")


def option(default, help):
    """一个配置项：默认值，加上 --help 里显示的说明。"""
    return field(default=default, metadata={"help": help})


@dataclass
class Config:
    # 训练
    max_iters: int = option(2500, "训练多少步")
    eval_interval: int = option(500, "每隔多少步评估一次")
    eval_iters: int = option(200, "评估时每个数据集取多少个批次求平均")
    batch_size: int = option(64, "每个批次有多少段文字")
    block_size: int = option(256, "上下文长度：模型最多往前看多少个字")
    learning_rate: float = option(1e-3, "AdamW 的最大学习率（预热之后、衰减之前）")
    warmup_iters: int = option(100, "预热：前这么多步里学习率从 0 线性升到 learning_rate")
    min_lr_ratio: float = option(0.1, "余弦衰减：最低的学习率是 learning_rate 的多少倍")
    lr_decay_iters: int = option(4000, "余弦衰减最晚在这一步降到最低，之后保持最低；max_iters 更小时在最后一步")
    weight_decay: float = option(0.1, "AdamW 的权重衰减：每一步把矩阵权重往 0 拉回一点")
    grad_clip: float = option(1.0, "梯度裁剪：梯度的总长度超过它就按比例缩短；0 表示不裁剪")
    # 模型
    n_embed: int = option(384, "每个字的向量有多少维")
    n_head: int = option(6, "注意力头的个数，要能整除 n_embed")
    n_layer: int = option(6, "叠多少个 Block")
    dropout: float = option(0.2, "丢弃率：训练时随机把这个比例的数置零")
    # 生成
    max_new_tokens: int = option(100, "每个提示词后面生成多少个字")
    prompt: tuple = option(("春江", "往事"), "生成时的开头，可以重复给出多个")
    # 其他
    seed: int = option(1337, "随机种子：同样的种子，同样的结果")
    device: str = option("auto", "auto（依次尝试 cuda、mps、cpu）、cuda、mps 或 cpu")
    data: str = option(DEFAULT_DATA, "训练语料（UTF-8 文本）")


class Head(nn.Module):
    """一个因果自注意力头：每个字只看它自己和它前面的字。"""

    def __init__(self, config, head_size):
        super().__init__()
        self.key = nn.Linear(config.n_embed, head_size, bias=False)
        self.query = nn.Linear(config.n_embed, head_size, bias=False)
        self.value = nn.Linear(config.n_embed, head_size, bias=False)
        # 下三角矩阵：第 t 行只有前 t+1 个位置是 1，用来挡住“未来”的字
        self.register_buffer("tril", torch.tril(torch.ones(config.block_size, config.block_size)))
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)  # (B, T, C) -> (B, T, hs)；hs：一个头的 key、query、value 有几维（head_size）
        q = self.query(x)  # (B, T, C) -> (B, T, hs)
        # 注意力分数：每个字的 query 和每个字的 key 做点积；除以 sqrt(hs)，让 softmax 不至于太尖
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, hs) @ (B, hs, T) -> (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # 未来的位置置为 -inf
        wei = F.softmax(wei, dim=-1)  # 每一行变成和为 1 的权重，-inf 处权重为 0
        wei = self.dropout(wei)  # 训练时随机丢掉一些注意力连接
        v = self.value(x)  # (B, T, C) -> (B, T, hs)
        out = wei @ v  # (B, T, T) @ (B, T, hs) -> (B, T, hs)
        return out


class MultiHeadAttention(nn.Module):
    """多个注意力头并行计算，各看各的关系，再把结果拼接起来。"""

    def __init__(self, config):
        super().__init__()
        head_size = config.n_embed // config.n_head
        self.heads = nn.ModuleList([Head(config, head_size) for _ in range(config.n_head)])
        # 投影层：把拼起来的各头结果再混合一次，也让输出回到残差通路的空间
        self.proj = nn.Linear(config.n_embed, config.n_embed)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)  # n_head 个 (B, T, hs) -> (B, T, C)
        out = self.proj(out)  # (B, T, C)
        out = self.dropout(out)
        return out


class FeedForward(nn.Module):
    """前馈网络：每个位置各自经过同一个两层 MLP，先放大到 4 倍宽再缩回来。"""

    def __init__(self, config):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.n_embed, 4 * config.n_embed),  # (B, T, C) -> (B, T, 4C)
            nn.ReLU(),
            nn.Linear(4 * config.n_embed, config.n_embed),  # (B, T, 4C) -> (B, T, C)
            nn.Dropout(config.dropout),
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Transformer 的一层：先让字与字交流（注意力），再让每个字各自消化（前馈网络）。"""

    def __init__(self, config):
        super().__init__()
        self.sa = MultiHeadAttention(config)
        self.ffwd = FeedForward(config)
        # 层归一化：把每个字的向量调整成均值 0、方差 1（再乘以可学习的缩放、加上偏移）
        self.ln1 = nn.LayerNorm(config.n_embed)
        self.ln2 = nn.LayerNorm(config.n_embed)

    def forward(self, x):
        # 残差连接：x + f(x)。梯度可以沿着“+”直接流回前面的层，深的网络也训练得动
        # 先归一化再进子层（pre-norm，GPT-2 的做法）；原始 Transformer 是先相加再归一化（post-norm）
        x = x + self.sa(self.ln1(x))  # (B, T, C)
        x = x + self.ffwd(self.ln2(x))  # (B, T, C)
        return x


class BabyGPT(nn.Module):
    """字符级语言模型：读一串字的编号，给出每个位置上“下一个字”的打分。"""

    def __init__(self, config, vocab_size):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(vocab_size, config.n_embed)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embed)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embed)  # 最后一层归一化，在 lm_head 之前
        self.lm_head = nn.Linear(config.n_embed, vocab_size)
        self.apply(self._init_weights)

    def _init_weights(self, module):
        # 用很小的随机数初始化：一开始每个字的概率都差不多是 1/V，损失约为 ln V
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def forward(self, idx, targets=None):
        B, T = idx.shape  # B：一批有几段文字（batch_size）；T：每段几个字（最多 block_size）
        tok_emb = self.token_embedding_table(idx)  # (B, T) -> (B, T, C)；C：每个字的向量有几维（n_embed）
        pos_emb = self.position_embedding_table(torch.arange(T, device=idx.device))  # (T, C)
        x = tok_emb + pos_emb  # (B, T, C) + (T, C) -> (B, T, C)，位置向量广播到每条序列
        x = self.blocks(x)  # (B, T, C)
        x = self.ln_f(x)  # (B, T, C)
        logits = self.lm_head(x)  # (B, T, C) -> (B, T, vocab_size)
        if targets is None:
            return logits, None
        # 交叉熵：正确的下一个字的概率取负对数，再对所有位置求平均
        loss = F.cross_entropy(logits.view(B * T, -1), targets.view(B * T))
        return logits, loss

    @torch.no_grad()
    def generate(self, idx, max_new_tokens):
        """从 idx (B, T) 出发，每次按概率抽一个字接在后面，共抽 max_new_tokens 次。"""
        for _ in range(max_new_tokens):
            idx_cond = idx[:, -self.config.block_size :]  # 最多只看最后 block_size 个字
            logits, _ = self(idx_cond)  # (B, T, vocab_size)
            logits = logits[:, -1, :]  # 只要最后一个位置的打分 (B, vocab_size)
            probs = F.softmax(logits, dim=-1)  # (B, vocab_size)
            idx_next = torch.multinomial(probs, num_samples=1)  # (B, 1)
            idx = torch.cat((idx, idx_next), dim=1)  # (B, T+1)
        return idx


class CharTokenizer:
    """字符级分词：每个不同的字是一个 token，编号按字符排序。"""

    def __init__(self, chars):
        self.chars = chars  # 词表：按编号排好的所有字
        self.stoi = {ch: i for i, ch in enumerate(chars)}  # 字 -> 编号

    @classmethod
    def from_text(cls, text):
        return cls("".join(sorted(set(text))))

    def encode(self, s):
        return [self.stoi[c] for c in s]

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)


def get_batch(data, batch_size, block_size, device, generator=None):
    """随机取 batch_size 段长为 block_size 的文字；y 是 x 整体右移一个字，也就是每个位置的答案。"""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix])  # (B, T)
    y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])  # (B, T)
    return x.to(device), y.to(device)


@torch.no_grad()
def estimate_loss(model, splits, config, device):
    """在每个数据集上取 eval_iters 个批次求平均损失。每次评估用同一批样本，前后的数字才好比较。"""
    model.eval()  # 评估模式：训练专用的随机性（v10 加入的 dropout）在这里关掉
    out = {}
    for name, data in splits.items():
        generator = torch.Generator().manual_seed(0)
        losses = torch.zeros(config.eval_iters)
        for k in range(config.eval_iters):
            x, y = get_batch(data, config.batch_size, config.block_size, device, generator)
            _, loss = model(x, y)
            losses[k] = loss.item()
        out[name] = losses.mean().item()
    model.train()
    return out


def get_lr(step, config):
    """第 step 步的学习率：先线性预热，再按余弦曲线从 learning_rate 降到 learning_rate * min_lr_ratio。
    降到最低的那一步是 max_iters 和 lr_decay_iters 中小的那个，之后保持最低。所以把 max_iters 调大时，
    前 lr_decay_iters 步和默认的训练一步不差，多出来的步数用最低的学习率接着学：高学习率不会拖得更久，把训练冲垮。"""
    if step < config.warmup_iters:
        return config.learning_rate * (step + 1) / config.warmup_iters
    decay_end = min(config.max_iters, config.lr_decay_iters)
    progress = min(1, (step - config.warmup_iters) / max(1, decay_end - config.warmup_iters))  # 0 -> 1，之后保持 1
    cosine = 0.5 * (1 + math.cos(math.pi * progress))  # 1 -> 0
    return config.learning_rate * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


def make_optimizer(model, config):
    """AdamW。权重衰减只加在矩阵（线性层、嵌入表）上；偏置和 LayerNorm 的一维参数不衰减。"""
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    groups = [
        {"params": matrices, "weight_decay": config.weight_decay},
        {"params": vectors, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.learning_rate)


def train(model, splits, config, device):
    """训练 max_iters 步，按时评估并打印。返回评估记录 [(步数, 训练损失, 验证损失)] 和实际训练的步数。"""
    optimizer = make_optimizer(model, config)
    history = []
    train_time = 0.0  # 只计训练的时间，不计评估，tokens/s 才是真正的训练速度
    start = time.perf_counter()
    step = 0
    try:
        for step in range(config.max_iters + 1):
            if step % config.eval_interval == 0 or step == config.max_iters:
                losses = estimate_loss(model, splits, config, device)
                history.append((step, losses["train"], losses["val"]))
                elapsed = time.perf_counter() - start
                tokens_per_sec = step * config.batch_size * config.block_size / max(train_time, 1e-9)
                eta = f"{elapsed / step * (config.max_iters - step):.0f}s" if step else "?"
                print(
                    f"step {step}/{config.max_iters}: train loss {losses['train']:.4f}, "
                    f"val loss {losses['val']:.4f}, {tokens_per_sec:,.0f} tokens/s, "
                    f"用时 {elapsed:.0f}s, 预计还要 {eta}",
                    flush=True,  # 输出重定向到文件时也能马上看到进度
                )
            if step == config.max_iters:
                break
            t0 = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = get_lr(step, config)
            x, y = get_batch(splits["train"], config.batch_size, config.block_size, device)
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if config.grad_clip > 0:  # 偶尔一个很大的梯度不至于把学到的东西一步冲掉
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            loss.item()  # 等 GPU/MPS 真正算完这一步，计时才准
            train_time += time.perf_counter() - t0
    except KeyboardInterrupt:
        print(f"\n训练在第 {step} 步被中断（Ctrl-C），接下来用已经学到的参数。")
    return history, step


class ArgumentParser(argparse.ArgumentParser):
    def error(self, message):
        # 参数写错时只打印一行说明，不打印一大段用法
        sys.exit(f"参数错误：{message}（用 --help 查看所有参数）")


def parse_args(argv=None):
    """命令行参数：Config 的每个字段都是一个 --名字，类型跟默认值一样。"""
    parser = ArgumentParser(description=__doc__.splitlines()[0])
    for f in fields(Config):
        help = f"{f.metadata['help']}（默认：{f.default}）"
        if isinstance(f.default, tuple):
            parser.add_argument(f"--{f.name}", action="append", help=help)
        elif isinstance(f.default, bool):  # 开关：--名字 打开，--no-名字 关上
            parser.add_argument(f"--{f.name}", action=argparse.BooleanOptionalAction, default=f.default, help=help)
        else:
            parser.add_argument(f"--{f.name}", type=type(f.default), default=f.default, help=help)
    args = vars(parser.parse_args(argv))
    args["prompt"] = tuple(args["prompt"] or Config.prompt)
    config = Config(**args)
    check_config(config)
    return config


def fail(message):
    """给学习者一行清楚的错误信息，然后退出（不打印 traceback）。"""
    sys.exit(f"错误：{message}")


def check_config(config):
    for f in fields(config):
        value = getattr(config, f.name)
        if f.type is int and f.name not in ("seed", "warmup_iters") and value <= 0:
            fail(f"--{f.name} 必须是正整数，现在是 {value}")
    if config.warmup_iters < 0:
        fail(f"--warmup_iters 不能是负数，现在是 {config.warmup_iters}")
    if not config.learning_rate > 0:
        fail(f"--learning_rate 必须大于 0，现在是 {config.learning_rate}")
    if not 0 <= config.min_lr_ratio <= 1:
        fail(f"--min_lr_ratio 必须在 [0, 1] 之间，现在是 {config.min_lr_ratio}")
    if not (config.weight_decay >= 0 and config.grad_clip >= 0):
        fail("--weight_decay 和 --grad_clip 不能是负数（grad_clip 为 0 表示不裁剪）")
    if config.n_embed % getattr(config, "n_head", 1) != 0:  # v4 之前只有一个头
        fail(f"--n_embed ({config.n_embed}) 必须能被 --n_head ({config.n_head}) 整除")
    if not 0 <= getattr(config, "dropout", 0) < 1:  # v10 之前没有 dropout
        fail(f"--dropout 必须在 [0, 1) 之间，现在是 {config.dropout}")
    if any(p == "" for p in config.prompt):
        fail("--prompt 不能是空字符串")


def pick_device(name):
    """auto：有 CUDA 用 CUDA，有 Apple 的 MPS 用 MPS，否则用 CPU。"""
    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        fail("--device cuda，但这台机器上的 PyTorch 找不到 CUDA")
    if name == "mps" and not torch.backends.mps.is_available():
        fail("--device mps，但这台机器上的 PyTorch 找不到 MPS")
    if name not in ("cuda", "mps", "cpu"):
        fail(f"--device 只能是 auto、cuda、mps 或 cpu，现在是 {name}")
    return name


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
    一段是一整首词（词与词之间隔一个空行）：验证集的词散布在整部语料里，作者和年代与训练集一样；
    如果取语料最后 10%，那里大多是无名氏的词，训练集和验证集的差距就不是过拟合，而是两堆文字本来不一样。
    用空行隔开的段不到 100 段（小说、歌词常常没有空行），就按行分；连 100 行也没有，就切成 100 块等长的。"""
    poems = [p + "\n\n" for p in text.strip("\n").split("\n\n")]  # 词与词之间隔一个空行，空行也要学
    lines = text.splitlines(keepends=True)
    if len(poems) >= 100:
        pieces, how = poems, f"每 10 首词（用空行隔开的段，共 {len(poems):,} 段）里的第 10 首"
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


CPU_RECIPE = (  # README 快速开始里 v12 的 CPU 配方
    "--max_iters 7300 --eval_interval 730 --eval_iters 20 --batch_size 16 --block_size 64 "
    "--learning_rate 3e-3 --warmup_iters 200 --lr_decay_iters 7300 --n_embed 96 --n_head 4 --n_layer 4 --dropout 0"
)


def warn_if_slow_on_cpu(model, splits, config, device):
    """在 CPU 上先试跑两步前向 + 反向，估计整个训练要多久；超过 20 分钟就先说一声，并给出 CPU 上该跑的命令。
    试跑不改变训练：梯度清掉，随机数的状态还原，之后的每一步和不试跑时一模一样。"""
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
    if total > 20 * 60:
        every = f"{one_eval / 60:.0f} 分钟" if one_eval >= 60 else f"{one_eval:.0f} 秒"
        print(f"注意：在这台机器的 CPU 上，按现在的设置训练大约要 {total / 60:.0f} 分钟"
              f"（试跑两步估计的；每次评估约 {every}，第一行进度要等第 0 步的评估做完）。")
        recipe = dict(zip(CPU_RECIPE.split()[::2], map(float, CPU_RECIPE.split()[1::2])))  # {"--max_iters": 7300.0, ...}
        keys = ("max_iters", "batch_size", "block_size", "n_layer", "n_embed")  # 粗略的计算量：步数 × 每步的字数 × 层数 × 宽度
        mine = math.prod(getattr(config, k, 1) for k in keys)  # v6 之前没有 n_layer，就算一层
        if mine > math.prod(recipe[f"--{k}"] for k in keys):  # 已经是 CPU 配方（或者更小）就不必再推荐它了
            print(f"CPU 上请改用 README 快速开始里的 CPU 配方（同样的 GPT，小一些的设置）：python babygpt_v12_wandb.py {CPU_RECIPE}")


def main(argv=None):
    config = parse_args(argv)
    device = pick_device(config.device)
    text, encoding = read_text(config.data)
    parts, how = split_text(text)
    if config.block_size >= len(parts["val"]):  # 先说文件本身的问题，再说提示词
        fail(f"{config.data} 只有 {len(text):,} 个字，太少了：验证集只有 {len(parts['val'])} 个字，"
             f"要比 --block_size ({config.block_size}) 长")
    tokenizer = CharTokenizer.from_text(text)
    for p in config.prompt:
        missing = "".join(sorted(set(p) - set(tokenizer.chars)))
        if missing:
            fail(f"提示词“{p}”里有词表中没有的字：{missing}（用 --prompt 换一个开头）")
    print(f"读入 {config.data}（{encoding}）；验证集：{how}")  # 参数、文件、提示词都没问题，才开始打印
    splits = {name: torch.tensor(tokenizer.encode(part), dtype=torch.long) for name, part in parts.items()}

    torch.manual_seed(config.seed)
    model = BabyGPT(config, len(tokenizer.chars)).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"语料 {len(text):,} 字，词表 {len(tokenizer.chars):,} 字；模型 {n_params / 1e6:.2f}M 参数；设备 {device}")
    print(f"初始损失应约为 ln({len(tokenizer.chars)}) = {math.log(len(tokenizer.chars)):.4f}")

    warn_if_slow_on_cpu(model, splits, config, device)
    history, step = train(model, splits, config, device)
    if history:
        print(f"训练结束：共 {step} 步，最后一次评估的验证集损失 {history[-1][2]:.4f}")
        if not math.isfinite(history[-1][2]):  # 损失成了 nan 或 inf：参数已经坏了，写不出字，也不该存下来
            fail(f"训练发散了（验证集损失 {history[-1][2]}）：参数已经坏了。把 --learning_rate 调小一些再试")

    model.eval()  # 生成时同样用评估模式
    for p in config.prompt:
        idx = torch.tensor([tokenizer.encode(p)], dtype=torch.long, device=device)  # (1, T)
        out = model.generate(idx, config.max_new_tokens)[0].tolist()
        print(f"\n--- {p} ---\n{tokenizer.decode(out)}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:  # 训练以外的地方按了 Ctrl-C（v12 里是第二次 Ctrl-C）：不打印 traceback
        print("\n已中断。", file=sys.stderr)
        sys.exit(130)  # 130：shell 里“被 Ctrl-C 中断”的退出码，`命令1 && 命令2` 就不会接着跑命令2
