"""BabyGPT v6：Block，把“注意力 + 前馈网络”叠 n_layer 层。

新增：Block 类把一次注意力和一次前馈网络包在一起，BabyGPT 里用 nn.Sequential 叠 n_layer 个。
    diff babygpt_v5_feedforward.py babygpt_v6_block.py  # 只看代码：python learners/code_diff.py 6

默认设置下（2 核 CPU，约 103 秒，2.3 R）：验证集损失 5.3850，训练损失 5.3372。

比 v5 差了一大截，这正是这一课要看到的：没有残差连接，网络越深越难训练。
每层的权重一开始都很小，信号每穿过一层就缩小一次，两层之后几乎什么也传不到 lm_head，
梯度往回传时也一样越来越弱；当前字的信息还要穿过两次注意力、两次 MLP。下一课只加两个“x +”，损失就会回来。
先别往下读：在纸上画出这一课的模型（字向量、位置向量、两个 Block、lm_head），再和 README 里 v6 的图对一对。
训练更久、断句上的样子：docs/lessons.md 的 v6。

试一试：叠得越多越糟。同样训练 1000 步，1 层、2 层、4 层（6.2 左右是只按每个字出现的频率去猜）：
    python babygpt_v6_block.py --max_iters 1000 --n_layer 1  # 验证集 5.44，训练集 5.40；不到 1 分钟
    python babygpt_v6_block.py --max_iters 1000  # 验证集 5.79，训练集 5.77；不到 1 分钟
    python babygpt_v6_block.py --max_iters 1000 --n_layer 4  # 验证集 6.22，训练集 6.22；不到 1 分钟
它也经不起一直很大的学习率。--min_lr_ratio 1 让学习率预热之后一直停在 1e-2，训练 2000 步，再和 v7 比：
    python babygpt_v6_block.py --max_iters 2000 --min_lr_ratio 1  # 验证集 5.74，训练集 5.70；不到 1 分钟
    python babygpt_v7_residual_connection.py --max_iters 2000 --min_lr_ratio 1  # 验证集 4.96，训练集 4.91；不到 1 分钟
学习率一直这么大，v6 练了 2000 步，比上面按默认配方练 1000 步好不了多少；有残差的 v7 照常往下学。

下一课：diff babygpt_v6_block.py babygpt_v7_residual_connection.py  # 只看代码：python learners/code_diff.py 7
"""

import math
import time
from dataclasses import dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F

from scaffold import DEFAULT_DATA, fail, option, parse_args, pick_device, read_corpus, run_main, warn_if_slow_on_cpu


@dataclass
class Config:
    # 训练（配方：每一课逐字相同；这些值是 maintainers/sweep_recipe.py 一组一组比出来的，见 docs/recipe.md）
    max_iters: int = option(4000, "训练多少步")
    eval_interval: int = option(250, "每隔多少步评估一次")
    eval_iters: int = option(20, "评估时每个数据集取多少个批次求平均")
    batch_size: int = option(32, "每个批次有多少段文字")
    block_size: int = option(16, "上下文长度：模型最多往前看多少个字")
    learning_rate: float = option(1e-2, "AdamW 的最大学习率（预热之后、衰减之前）")
    warmup_iters: int = option(500, "预热：前这么多步里学习率从 0 线性升到 learning_rate")
    min_lr_ratio: float = option(0.1, "余弦衰减：最低的学习率是 learning_rate 的多少倍")
    lr_decay_iters: int = option(4000, "余弦衰减最晚在这一步降到最低，之后保持最低；max_iters 更小时在最后一步")
    weight_decay: float = option(0.1, "AdamW 的权重衰减：每一步把矩阵权重往 0 拉回一点")
    grad_clip: float = option(1.0, "梯度裁剪：梯度的总长度超过它就按比例缩短；0 表示不裁剪")
    # 模型
    n_embed: int = option(64, "每个字的向量有多少维")
    n_head: int = option(4, "注意力头的个数，要能整除 n_embed")
    n_layer: int = option(2, "叠多少个 Block")
    # 生成
    max_new_tokens: int = option(100, "每个提示词后面生成多少个字")
    prompt: tuple = option(("春江", "往事"), "生成时的开头，可以重复给出多个")
    # 其他
    seed: int = option(1337, "随机种子：同样的种子，同样的结果")
    device: str = option("auto", "auto（依次尝试 cuda、mps、cpu）、cuda、mps 或 cpu")
    data: str = option(DEFAULT_DATA, "训练语料：UTF-8、UTF-16 或 GB18030（GBK）的文本文件")


class Head(nn.Module):
    """一个因果自注意力头：每个字只看它自己和它前面的字。"""

    def __init__(self, config, head_size):
        super().__init__()
        self.key = nn.Linear(config.n_embed, head_size, bias=False)
        self.query = nn.Linear(config.n_embed, head_size, bias=False)
        self.value = nn.Linear(config.n_embed, head_size, bias=False)
        # 下三角矩阵：第 t 行只有前 t+1 个位置是 1，用来挡住“未来”的字
        self.register_buffer("tril", torch.tril(torch.ones(config.block_size, config.block_size)))

    def forward(self, x):
        B, T, C = x.shape
        k = self.key(x)  # (B, T, C) -> (B, T, hs)；hs：一个头的 key、query、value 有几维（head_size）
        q = self.query(x)  # (B, T, C) -> (B, T, hs)
        # 注意力分数：每个字的 query 和每个字的 key 做点积；除以 sqrt(hs)，让 softmax 不至于太尖
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, T, hs) @ (B, hs, T) -> (B, T, T)
        wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))  # 未来的位置置为 -inf
        wei = F.softmax(wei, dim=-1)  # 每一行变成和为 1 的权重，-inf 处权重为 0
        v = self.value(x)  # (B, T, C) -> (B, T, hs)
        out = wei @ v  # (B, T, T) @ (B, T, hs) -> (B, T, hs)
        return out


class MultiHeadAttention(nn.Module):
    """多个注意力头并行计算，各看各的关系，再把结果拼接起来。"""

    def __init__(self, config):
        super().__init__()
        head_size = config.n_embed // config.n_head
        self.heads = nn.ModuleList([Head(config, head_size) for _ in range(config.n_head)])

    def forward(self, x):
        out = torch.cat([h(x) for h in self.heads], dim=-1)  # n_head 个 (B, T, hs) -> (B, T, C)
        return out


class FeedForward(nn.Module):
    """前馈网络：每个位置各自经过同一个两层 MLP，先放大到 4 倍宽再缩回来。"""

    def __init__(self, config):
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(config.n_embed, 4 * config.n_embed),  # (B, T, C) -> (B, T, 4C)
            nn.ReLU(),
            nn.Linear(4 * config.n_embed, config.n_embed),  # (B, T, 4C) -> (B, T, C)
        )

    def forward(self, x):
        return self.net(x)


class Block(nn.Module):
    """Transformer 的一层：先让字与字交流（注意力），再让每个字各自消化（前馈网络）。"""

    def __init__(self, config):
        super().__init__()
        self.sa = MultiHeadAttention(config)
        self.ffwd = FeedForward(config)

    def forward(self, x):
        x = self.sa(x)  # (B, T, C)
        x = self.ffwd(x)  # (B, T, C)
        return x


class BabyGPT(nn.Module):
    """字符级语言模型：读一串字的编号，给出每个位置上“下一个字”的打分。"""

    def __init__(self, config, vocab_size):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(vocab_size, config.n_embed)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embed)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
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
def estimate_loss(model, splits, config, device):
    """在每个数据集上取 eval_iters 个批次求平均损失。每次评估用同一批样本，前后的数字才好比较。验证集是每 10 首词
    里的第 10 首，和训练集出自同样的作者、同样的年代，所以两个损失只差一点点；差得多了，才是过拟合（见 v10）。"""
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
                print(f"step {step}/{config.max_iters}: train loss {losses['train']:.4f}, val loss {losses['val']:.4f}, "
                      f"{tokens_per_sec:,.0f} tokens/s, 用时 {elapsed:.0f}s, 预计还要 {eta}", flush=True)  # 马上打印出来
            if step == config.max_iters:
                break
            t0 = time.perf_counter()
            for group in optimizer.param_groups:
                group["lr"] = get_lr(step, config)
            x, y = get_batch(splits["train"], config.batch_size, config.block_size, device)
            _, loss = model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # 梯度裁剪：某一批数据给出特别大的梯度时，按比例缩短它，一步不至于把学到的东西冲掉
            if config.grad_clip > 0:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()
            loss.item()  # 等 GPU/MPS 真正算完这一步，计时才准
            train_time += time.perf_counter() - t0
    except KeyboardInterrupt:
        print(f"\n训练在第 {step} 步被中断（Ctrl-C），接下来用已经学到的参数。")
    return history, step


def main(argv=None):
    config = parse_args(Config, argv, __doc__)
    device = pick_device(config.device)
    text, parts, about = read_corpus(config)  # 读语料，分出验证集；文件或提示词有问题只说一行
    tokenizer = CharTokenizer.from_text(text)
    print(about)  # 所有的检查都做完了，才开始打印
    splits = {name: torch.tensor(tokenizer.encode(part), dtype=torch.long) for name, part in parts.items()}

    torch.manual_seed(config.seed)
    model = BabyGPT(config, len(tokenizer.chars)).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    print(f"语料 {len(text):,} 字，词表 {len(tokenizer.chars):,} 字；模型 {n_params / 1e6:.2f}M 参数；设备 {device}")
    print(f"初始损失应约为 ln({len(tokenizer.chars)}) = {math.log(len(tokenizer.chars)):.4f}")

    warn_if_slow_on_cpu(model, splits, config, device, get_batch)  # CPU 上先试跑两步：要训练很久就先说一声
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
    run_main(main)  # 训练以外的地方按 Ctrl-C：一行“已中断。”，退出码 130（scaffold.py）
