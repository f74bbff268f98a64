"""BabyGPT v11：放大超参数（GPU 规模的配方）。

代码和 v10 完全相同，只改了默认值：
    diff babygpt_v10_dropout.py babygpt_v11_hyper_params.py  # 只看代码：python learners/code_diff.py 11
- n_embed 384、n_head 6（每个头 64 维）、n_layer 6：宽度放大 6 倍，Block 里的矩阵放大 36 倍，层数再多 3 倍；
- block_size 256：一首词的上下阕都在视野里；batch_size 64：每步 64×256 个字，梯度更平稳；learning_rate 1e-3、
  预热 100 步：模型大、每步的字多，步子要小才稳；dropout 0.2：大模型更容易背书；max_iters 2500：已经把训练集
  看了二十多遍，再练就开始背书了；eval_iters 200：评估的数字更准。
参数（1543 万）是 v10（0.89M）的 17 倍：字向量表和 lm_head 里 469 万，6 个 Block 里 1064 万。
GPU 配方下（v12 同样的模型和训练，一块 H200 上 2500 步，整条命令 214 秒）：验证集损失 3.6458，训练损失 2.7294。
这是给 GPU 的配方。在 CPU 上它先试跑两步，几秒钟内就说要练多久（2 核上好几个小时）、该跑哪条 CPU 配方：看完就按 Ctrl-C。

试一试：在 CPU 上调参。每一套配方都用同样的时间（CPU 配方训练 7300 步的时间），在 CPU 配方上一次只改一处，
步数由一步的用时决定；比验证集损失，也比写出来的词合不合格律（每个词牌写 20 首；怎么读：docs/lessons.md 的 v11）：
    python learners/form_sweep.py --recipes 基准  # 验证集 4.08，逐句 0.25，整首 0.00（7300 步，训练 13.0 R）；约 11 分钟
    python learners/form_sweep.py --recipes 更深  # 验证集 4.17，逐句 0.31，整首 0.00（4500 步，训练 12.4 R）；约 10 分钟
    python learners/form_sweep.py --recipes 块长128  # 验证集 4.13，逐句 0.26，整首 0.00（6500 步，训练 12.5 R）；约 10 分钟
    python learners/form_sweep.py --recipes GPU规模  # 验证集 5.83，逐句 0.02，整首 0.00（50 步，训练 15.8 R）；约 16 分钟

下一课：diff babygpt_v11_hyper_params.py babygpt_v12_wandb.py  # 只看代码：python learners/code_diff.py 12
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
