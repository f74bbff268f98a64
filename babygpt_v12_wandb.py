"""BabyGPT v12：用 wandb 记录实验，保存检查点给采样器用，中断了可以接着训练。

新增（模型和 v11 完全相同，训练也一样：关掉 wandb 时，同样的设置得到逐位相同的损失）：
- wandb：每次评估记下训练损失、验证集损失、学习率和 tokens/s，超参数记在 config 里。没有 API key（或者三秒内
  连不上服务器）就离线记录，并打印以后上传用的 wandb sync 命令；WANDB_MODE=disabled 关掉它；出问题只说一行。
- 检查点（--ckpt_path，默认 model.pth）：超参数、词表、权重、评估记录，还有续训要用的优化器状态和随机数状态。
  先写临时文件再改名，中途被打断也不会留下半个文件；训练发散了就不存。采样器读它写词，不需要再读语料。
- Ctrl-C 和 --resume：训练时按 Ctrl-C，做完手上这一步再停、存好检查点，打印接着训练的命令（加上 --resume），
  以退出码 130 结束：`v12 && 采样器` 里的采样器不会在半成品上启动。续训的最后一行和一口气训练完的逐位相同；
  --max_iters 可以调大。检查点和命令对不上时，只说一句为什么，什么都不动。
- torchrun --standalone --nproc_per_node N babygpt_v12_wandb.py：N 个进程数据并行（DDP），多卡、多机见 docs/v12.md。
    diff babygpt_v11_hyper_params.py babygpt_v12_wandb.py  # 只看代码：python learners/code_diff.py 12

CPU 配方就是 README 快速开始的命令（n_embed 96、4 头、4 层、block_size 64、batch 16、学习率 3e-3、不用 dropout、7300 步）。
CPU 配方下（2 核 CPU，8 到 9 分钟，14.1 R）：验证集损失 4.0845，训练损失 3.8826，比入门脚本数出来的 bigram（4.85）低 0.77。
两个配方为什么这样选：docs/v12.md。

试一试：训练到一半按 Ctrl-C，再运行它最后打印的那条命令（原来的命令加上 --resume）。最后一行和快速开始那一次
一样吗？检查点另存为 try.pth，快速开始的 model.pth 不受影响：
    python babygpt_v12_wandb.py --max_iters 7300 --eval_interval 730 --eval_iters 20 --batch_size 16 --block_size 64 --learning_rate 3e-3 --warmup_iters 200 --lr_decay_iters 7300 --n_embed 96 --n_head 4 --n_layer 4 --dropout 0 --ckpt_path try.pth  # 第 2921 步按的 Ctrl-C，退出码 130；约 3 分钟
    python babygpt_v12_wandb.py --max_iters 7300 --eval_interval 730 --eval_iters 20 --batch_size 16 --block_size 64 --learning_rate 3e-3 --warmup_iters 200 --lr_decay_iters 7300 --n_embed 96 --n_head 4 --n_layer 4 --dropout 0 --ckpt_path try.pth --resume  # 验证集 4.0845，训练集 3.8826，和一口气训练完的逐位相同；约 6 分钟
画出这次训练：python learners/plot_run.py --ckpt_path try.pth（从检查点里读，不需要 wandb 账号）。

下一步：diff babygpt_v12_wandb.py babygpt_sample_with_kvcache.py  # 只看模型代码：python learners/code_diff.py sampler
"""
import math
import netrc
import os
import shlex
import signal
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn import functional as F
from torch.nn.parallel import DistributedDataParallel as DDP

from scaffold import (DEFAULT_DATA, any_rank, barrier, encoded_corpus, fail, from_every_rank, launcher, option, parse_args,
                      run_main, start_distributed, sum_over_ranks, warn_if_slow_on_cpu)


@dataclass
class Config:
    # 训练（配方：每一课逐字相同；这些值是 maintainers/sweep_recipe.py 一组一组比出来的，见 docs/recipe.md）
    max_iters: int = option(2500, "训练多少步")
    eval_interval: int = option(500, "每隔多少步评估一次")
    eval_iters: int = option(200, "评估时每个数据集取多少个批次求平均")
    batch_size: int = option(64, "每个批次有多少段文字（torchrun 时是每个进程的，一步一共 进程数 × batch_size 段）")
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
    data: str = option(DEFAULT_DATA, "训练语料：UTF-8、UTF-16 或 GB18030（GBK）的文本文件")
    ckpt_path: str = option("model.pth", "检查点保存到哪里")
    resume: bool = option(False, "从 --ckpt_path 的检查点接着训练，其余参数照抄原来的命令；--max_iters 可以调大，学习率的余弦曲线就按新的步数重排")
    wandb_project: str = option("babygpt", "wandb 项目名")


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
        B, T = idx.shape
        tok_emb = self.token_embedding_table(idx)  # (B, T) -> (B, T, C)
        pos_emb = self.position_embedding_table(torch.arange(T, device=idx.device))  # (T, C)
        x = tok_emb + pos_emb  # (B, T, C) + (T, C) -> (B, T, C)，位置向量广播到每条序列
        x = self.blocks(x)  # (B, T, C)
        x = self.ln_f(x)  # (B, T, C)
        logits = self.lm_head(x)  # (B, T, C) -> (B, T, V)
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
            logits, _ = self(idx_cond)  # (B, T, V)
            logits = logits[:, -1, :]  # 只要最后一个位置的打分 (B, V)
            probs = F.softmax(logits, dim=-1)  # (B, V)
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
    """随机取 batch_size 段长为 block_size 的文字；y 是 x 整体右移一个字，也就是每个位置的答案。
    每步看 batch_size × block_size 个字（默认值在 Config 里）：注意力比 bigram 学得慢，要走几千步，它的好处才显出来。"""
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator)
    x = torch.stack([data[i : i + block_size] for i in ix])  # (B, T)
    y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])  # (B, T)
    return x.to(device), y.to(device)


@torch.no_grad()
def estimate_loss(model, splits, config, device, rank=0, world_size=1):
    """在每个数据集上取 eval_iters 个批次求平均损失。每次评估用同一批样本，前后的数字才好比较。验证集是每 10 首词
    里的第 10 首，和训练集出自同样的作者、同样的年代，所以两个损失只差一点点；差得多了，才是过拟合（见 v10）。
    多个进程（torchrun）时，第 k 批只由第 k % world_size 个进程算，各进程的结果加起来：数和一个进程算的一样。"""
    model.eval()  # 评估模式：训练专用的随机性（v10 加入的 dropout）在这里关掉
    out = {}
    for name, data in splits.items():
        generator = torch.Generator().manual_seed(0)
        losses = torch.zeros(config.eval_iters)
        for k in range(config.eval_iters):
            x, y = get_batch(data, config.batch_size, config.block_size, device, generator)
            if k % world_size == rank:  # 新增：这一批归我算
                _, loss = model(x, y)
                losses[k] = loss.item()
        out[name] = sum_over_ranks(losses).mean().item()  # 别的进程算的那几批，在我这里是 0：加起来就齐了
    model.train()
    return out


def get_lr(step, config):
    """第 step 步的学习率：先线性预热（刚初始化的模型先走小步，v9 的 LayerNorm 最需要），再按余弦曲线降到
    learning_rate * min_lr_ratio（最后几百步走小步，损失才降得稳）。降到最低是在 max_iters 和 lr_decay_iters 中小的那一步，
    之后不变：max_iters 调大时，前 lr_decay_iters 步和默认的一步不差，多出来的步数用最低的学习率学，不会把训练冲垮。"""
    if step < config.warmup_iters:
        return config.learning_rate * (step + 1) / config.warmup_iters
    decay_end = min(config.max_iters, config.lr_decay_iters)
    progress = min(1, (step - config.warmup_iters) / max(1, decay_end - config.warmup_iters))  # 0 -> 1，之后保持 1
    cosine = 0.5 * (1 + math.cos(math.pi * progress))  # 1 -> 0
    return config.learning_rate * (config.min_lr_ratio + (1 - config.min_lr_ratio) * cosine)


def make_optimizer(model, config):
    """AdamW。权重衰减每一步把矩阵（线性层、嵌入表）往 0 拉回一点，向量就不会越长越大（v9 会看到为什么要管住长度）；
    偏置和 LayerNorm 的一维参数不衰减。"""
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    vectors = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": matrices, "weight_decay": config.weight_decay}, {"params": vectors, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.learning_rate)


class StopBetweenSteps:
    """训练时的 Ctrl-C：不当场打断，先记下来，等这一步做完再停。
    这样参数不会只更新了一半，存下的检查点和一口气训练到这一步时一模一样，--resume 才能严丝合缝地接上。"""

    def __enter__(self):
        self.requested = False
        self.previous = signal.signal(signal.SIGINT, self.request)
        return self

    def request(self, signum, frame):
        if self.requested:  # 第二次 Ctrl-C：不等了，立即退出（不保存）
            raise KeyboardInterrupt
        self.requested = True
        print("\n收到 Ctrl-C：做完这一步就停下并保存检查点（再按一次立即退出，不保存）。", flush=True)

    def __exit__(self, *exc_info):
        signal.signal(signal.SIGINT, self.previous)


def train(model, splits, config, device, run, resume=None, rank=0, world_size=1):
    """训练到第 max_iters 步，按时评估并打印。resume 是 --resume 读进来的检查点（没有就从第 0 步开始）。
    返回评估记录 [(步数, 训练损失, 验证损失)]、训练到了第几步，以及优化器（它的状态也要存进检查点）。
    torchrun 的多个进程：每个进程一份模型，各取各的批次；DDP 在反向传播时把各进程的梯度平均，每一步之后参数处处相同。"""
    step_model = DDP(model, device_ids=None if device == "cpu" else [device]) if world_size > 1 else model
    optimizer = make_optimizer(model, config)
    history = []
    first_step = 0
    if resume is not None:  # 优化器的动量、评估记录、步数、随机数状态，全都回到中断的那一刻
        optimizer.load_state_dict(resume["optimizer"])
        history = resume["history"]
        first_step = resume["step"]
        set_rng_state(resume["rng"])
    train_time = 0.0  # 只计训练的时间，不计评估，tokens/s 才是真正的训练速度
    start = time.perf_counter()
    step = first_step
    with StopBetweenSteps() as ctrl_c:
        for step in range(first_step, config.max_iters + 1):
            due = step % config.eval_interval == 0 or step == config.max_iters
            if due and not (history and history[-1][0] == step):  # 续训时，中断前评估过的那一步不再评估
                losses = estimate_loss(model, splits, config, device, rank, world_size)
                history.append((step, losses["train"], losses["val"]))
                elapsed = time.perf_counter() - start
                tokens = (step - first_step) * world_size * config.batch_size * config.block_size  # 所有进程一共训练的字
                tokens_per_sec = tokens / max(train_time, 1e-9)
                eta = f"{elapsed / (step - first_step) * (config.max_iters - step):.0f}s" if step > first_step else "?"
                print(f"step {step}/{config.max_iters}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}, "
                      f"{tokens_per_sec:,.0f} tokens/s, 用时 {elapsed:.0f}s, 预计还要 {eta}", flush=True)  # 马上打印出来
                if run is not None:
                    run.log({"train/loss": losses["train"], "val/loss": losses["val"], "lr": get_lr(step, config),
                             "tokens_per_sec": tokens_per_sec}, step=step)
            if step == config.max_iters:
                break
            if any_rank(ctrl_c.requested):  # 多个进程：Ctrl-C 先到哪个，大家都在这一步之后停
                print(f"训练停在第 {step} 步（前 {step} 步都已完整做完）。", flush=True)
                break
            t0 = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = get_lr(step, config)
            x, y = get_batch(splits["train"], config.batch_size, config.block_size, device)
            _, loss = step_model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # 梯度裁剪：某一批数据给出特别大的梯度时，按比例缩短它，一步不至于把学到的东西冲掉
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            loss.item()  # 等 GPU/MPS 真正算完这一步，计时才准
            train_time += time.perf_counter() - t0
    return history, step, optimizer


def wandb_has_api_key():
    """有没有 wandb 的 API key：环境变量，或者 `wandb login` 写进 ~/.netrc 的那一条。"""
    if os.environ.get("WANDB_API_KEY"):
        return True
    try:
        return netrc.netrc().authenticators("api.wandb.ai") is not None
    except (OSError, netrc.NetrcParseError):
        return False


def wandb_server():
    return os.environ.get("WANDB_BASE_URL", "https://api.wandb.ai")


def wandb_server_reachable(timeout=3):
    """几秒之内连不连得上 wandb 的服务器。连不上时 wandb.init 要等上一分钟才报错，所以先问一句。"""
    try:
        urllib.request.urlopen(wandb_server(), timeout=timeout).close()
    except urllib.error.HTTPError:
        return True  # 服务器回了话（哪怕是 401、404），就是连得上
    except (OSError, ValueError):  # 连不上、超时、地址写错
        return False
    return True


def init_wandb(config, resume=None):
    """开始一次 wandb 记录。没有 API key 就离线记录；有 key 但连不上服务器，也改成离线记录。
    续训时接着原来那次记录（同一个 run id）。出任何问题都只打印一行，训练照常进行。"""
    mode = os.environ.get("WANDB_MODE") or ("online" if wandb_has_api_key() else "offline")
    if mode == "disabled":
        print("wandb 已关闭（WANDB_MODE=disabled）。")
        return None
    if mode == "online" and not wandb_server_reachable():
        print(f"连不上 wandb 的服务器（{wandb_server()}），改为离线记录；训练结束时会告诉你联网后怎么上传。")
        mode = "offline"
    run_id = resume.get("wandb_run_id") if resume else None
    try:
        import wandb  # 只有这一课用 wandb，所以在用到时才导入

        settings = wandb.Settings(init_timeout=60, silent=True)
        return wandb.init(project=config.wandb_project, config=asdict(config), mode=mode, settings=settings,
                          id=run_id, resume="allow" if run_id else None)
    except Exception as e:  # 网络、登录、磁盘……任何问题都不该让训练停下
        print(f"wandb 启动失败，这次不记录（{e.__class__.__name__}: {e}）")
        return None


def finish_wandb(run):
    if run is None:
        return
    offline = run.settings.mode == "offline"
    run_dir = Path(run.dir).parent  # run.dir 是 .../wandb/offline-run-<时间>-<id>/files
    run.finish()
    if offline:
        # 续训的几段记录是同一个 run id 的几个目录，wandb sync 按时间顺序把它们接成一次记录
        pieces = sorted(run_dir.parent.glob(f"offline-run-*-{run.id}"))
        print(f"wandb 离线记录在 {run_dir}；联网后可以上传：wandb sync {' '.join(map(str, pieces))}")


def get_rng_state():
    """取批次和 dropout 用的随机数发生器的状态（CPU 的，以及用到的 GPU 的）。"""
    state = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    if torch.backends.mps.is_available():
        state["mps"] = torch.mps.get_rng_state()
    return state


def set_rng_state(state):
    torch.set_rng_state(state["cpu"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])
    if "mps" in state and torch.backends.mps.is_available():
        torch.mps.set_rng_state(state["mps"])


def save_checkpoint(path, model, config, tokenizer, history, step, optimizer=None, run=None, rngs=None):
    """保存采样器和 --resume 需要的一切。先写临时文件再改名，中途被打断也不会留下半个文件。
    rngs：torchrun 时每个进程的随机数状态（按 rank 排），续训时各进程取回自己的那一份。"""
    rngs = rngs or [get_rng_state()]
    checkpoint = {
        "format": "babygpt-v12",
        "config": {**asdict(config), "prompt": list(config.prompt)},
        "chars": tokenizer.chars,
        "model": model.state_dict(),
        "step": step,  # 训练了多少步
        "val_loss": history[-1][2] if history else None,  # 最后一次评估的验证集损失
        "history": history,  # [(步数, 训练损失, 验证损失)]
        # 下面三项给 --resume 用：优化器的动量、随机数发生器的状态、wandb 的 run id
        "optimizer": optimizer.state_dict() if optimizer is not None else None,
        "rng": rngs[0],
        "rng_ranks": rngs,
        "world_size": len(rngs),  # 几个进程训练的：续训要同样多
        "wandb_run_id": run.id if run is not None else None,
    }
    tmp = f"{path}.tmp"
    try:
        torch.save(checkpoint, tmp)
        os.replace(tmp, path)  # 改名是原子的：path 要么是旧文件，要么是完整的新文件
    finally:
        if os.path.exists(tmp):  # 没写完（出错或被打断）：删掉半个临时文件
            os.remove(tmp)


MODEL_SETTINGS = ("n_embed", "n_head", "n_layer", "block_size", "dropout")  # 决定模型长什么样的参数


def load_for_resume(config, tokenizer, rank=0, world_size=1):
    """读 --resume 要接着训练的检查点。任何一项对不上就说一句为什么，然后退出，什么文件都不动。"""
    path = config.ckpt_path
    if not Path(path).exists():
        fail(f"--resume：找不到检查点 {path}（先不带 --resume 训练一次，或用 --ckpt_path 指定）")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # 截断、损坏、不是 PyTorch 文件……
        fail(f"--resume：{path} 读不出来，不是完整的 v12 检查点（{e.__class__.__name__}）")
    if not isinstance(checkpoint, dict) or checkpoint.get("format") != "babygpt-v12":
        fail(f"--resume：{path} 不是这一版 babygpt_v12_wandb.py 保存的检查点")
    if checkpoint.get("optimizer") is None:
        fail(f"--resume：{path} 里没有优化器的状态，没法接着训练")
    saved = checkpoint["config"]
    changed = [f"--{k} {saved[k]}（现在是 {getattr(config, k)}）" for k in MODEL_SETTINGS if saved[k] != getattr(config, k)]
    if changed:
        fail(f"--resume：检查点的模型设置和命令行不一样，请用训练时的参数：{'，'.join(changed)}")
    if checkpoint["chars"] != tokenizer.chars:
        fail(f"--resume：检查点的词表和语料 {config.data} 的不一样，它不是在这份语料上训练的")
    if checkpoint.get("world_size", 1) != world_size:  # 进程数一变，每步的字数和各进程的批次都变了，接不上原来那次训练
        fail(f"--resume：检查点是 {checkpoint.get('world_size', 1)} 个进程训练的，现在是 {world_size} 个；用同样多的进程续训")
    checkpoint["rng"] = checkpoint.get("rng_ranks", [checkpoint["rng"]])[rank]  # 各进程取回自己的随机数状态
    if checkpoint["step"] >= config.max_iters:
        fail(f"--resume：检查点已经训练了 {checkpoint['step']} 步，--max_iters 是 {config.max_iters}，没有要训练的了"
             "（想多训练，就把 --max_iters 调大）")
    others = [k for k in saved if k not in (*MODEL_SETTINGS, "max_iters", "resume", "prompt", "max_new_tokens", "ckpt_path")
              and saved[k] != getattr(config, k, saved[k])]
    if others:
        print(f"注意：这些参数和检查点里的不一样，结果不会和一口气训练的完全相同：{', '.join(others)}")
    print(f"从 {path} 的第 {checkpoint['step']} 步接着训练到第 {config.max_iters} 步。")
    return checkpoint


def main(argv=None):
    config = parse_args(Config, argv, __doc__)
    rank, world_size, device = start_distributed(config.device)  # torchrun 启动时建进程组；直接运行时是 (0, 1, 设备)
    if world_size > config.eval_iters:
        fail(f"{world_size} 个进程分 --eval_iters {config.eval_iters} 批评估，有的进程分不到：把 --eval_iters 调到不少于进程数")
    chars, splits, about, length = encoded_corpus(config, CharTokenizer.from_text)  # 语料编码成文件，映射进来；有问题只说一行
    tokenizer = CharTokenizer(chars)
    ckpt_dir = Path(config.ckpt_path).resolve().parent
    if not ckpt_dir.is_dir():  # 先检查：训练完才发现存不进去就太晚了
        fail(f"--ckpt_path 的目录 {ckpt_dir} 不存在，检查点存不进去")
    resume = load_for_resume(config, tokenizer, rank, world_size) if config.resume else None
    print(about)  # 所有的检查都做完了，才开始打印
    if world_size > 1:
        print(f"torchrun：{world_size} 个进程，每步一共 {world_size} × {config.batch_size} 段 × {config.block_size} 字 = "
              f"{world_size * config.batch_size * config.block_size:,} 字（--batch_size 是每个进程的）")

    torch.manual_seed(config.seed + rank)  # 每个进程一个种子，各取各的批次；参数以 0 号进程的为准（DDP 发给大家）
    model = BabyGPT(config, len(tokenizer.chars)).to(device)
    if resume is not None:
        model.load_state_dict(resume["model"])
    n_params = sum(p.numel() for p in model.parameters())
    print(f"语料 {length:,} 字，词表 {len(tokenizer.chars):,} 字；模型 {n_params / 1e6:.2f}M 参数；设备 {device}")
    print(f"初始损失应约为 ln({len(tokenizer.chars)}) = {math.log(len(tokenizer.chars)):.4f}")

    warn_if_slow_on_cpu(model, splits, config, device, get_batch)  # CPU 上先试跑两步：要训练很久就先说一声
    run = init_wandb(config, resume) if rank == 0 else None  # 只有 0 号进程记录
    history, step, optimizer = train(model, splits, config, device, run, resume, rank, world_size)
    finish_wandb(run)
    if history:
        print(f"训练结束：共 {step} 步，最后一次评估的验证集损失 {history[-1][2]:.4f}")
        if not math.isfinite(history[-1][2]):  # 损失成了 nan 或 inf：参数已经坏了，写不出字，也不该存下来
            fail(f"训练发散了（验证集损失 {history[-1][2]}）：参数已经坏了。把 --learning_rate 调小一些再试")
    rngs = from_every_rank(get_rng_state())  # 每个进程的随机数状态，续训时各取各的
    if rank == 0:  # 只有 0 号进程写检查点（没有 DDP 那一层，和一个进程训练的一样）
        try:
            save_checkpoint(config.ckpt_path, model, config, tokenizer, history, step, optimizer, run, rngs)
        except OSError as e:  # 磁盘满、没有写权限……
            fail(f"检查点存不进 {config.ckpt_path}（{e.__class__.__name__}: {e}）")
        print(f"检查点已保存到 {config.ckpt_path}（训练了 {step} 步）")
    barrier()  # 等 0 号进程存完，别的进程才退出
    if step < config.max_iters:  # 按了 Ctrl-C：说怎么接着训练，以 130 退出，`v12 && 采样器` 就停在这里
        script = sys.argv[0] if argv is None else Path(__file__).name
        args = [*(sys.argv[1:] if argv is None else argv), *([] if config.resume else ["--resume"])]
        print(f"接着训练（同一条命令加上 --resume）：{shlex.join([*launcher(), script, *args])}")
        sys.exit(130)
    if rank != 0:
        return

    model.eval()  # 生成时同样用评估模式
    for p in config.prompt:
        idx = torch.tensor([tokenizer.encode(p)], dtype=torch.long, device=device)  # (1, T)
        out = model.generate(idx, config.max_new_tokens)[0].tolist()
        print(f"\n--- {p} ---\n{tokenizer.decode(out)}")


if __name__ == "__main__":
    run_main(main)  # 训练以外的地方按 Ctrl-C：一行“已中断。”，退出码 130（scaffold.py）
