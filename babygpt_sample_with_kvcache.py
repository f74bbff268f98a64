"""用 v12 训练好的 BabyGPT 写词：带 KV 缓存的逐字生成。先训练出 model.pth（python babygpt_v12_wandb.py），然后
    python babygpt_sample_with_kvcache.py                  # 交互：输入开头，看模型一个字一个字往下写
    python babygpt_sample_with_kvcache.py --prompt 春江    # 不交互，写完就退出
    python babygpt_sample_with_kvcache.py --tune 浣溪沙    # 按词牌的句式、平仄和韵脚写；交互时输入《浣溪沙》也一样
整次运行只用一个随机数发生器：同一个开头写两遍，是两首不同的词；--seed 一样，整次运行就一模一样。

为什么要 KV 缓存？v12 的 generate 每写一个字，都把最后 block_size 个字整个重新算一遍，而前面那些字的 key 和 value
上一步已经算过、也不会变（前面的字看不到后面的字）。KV 缓存把每一层、每个头算过的 key/value 存下来：prefill 把提示词
一次算完，之后每一步只把 **一个** 新字送进模型，它的 query 和缓存里所有的 key/value 做注意力。结果和不用缓存时完全一样，
只是快得多。缓存写满时只留最后一半，重新 prefill 到位置 0 起（docs/kvcache.md）。格律（--tune）只决定每一步哪些字
可以选，和缓存无关（文件后半的“格律”一节，docs/form.md）。
和 v12 相比模型的参数一模一样（检查点严格载入）；不同的代码都标了“新增”或“改”：cache 和起始位置 pos 一层层
传下去，只送进一个字时跳过遮罩；去掉了 dropout（采样只做推理，评估模式下它本来就不起作用）。
    diff babygpt_v12_wandb.py babygpt_sample_with_kvcache.py  # 只看模型代码：python learners/code_diff.py sampler

试一试：缓存省下多少时间？在快速开始训练出的模型上，同一个开头、贪心解码（每一步都选最可能的字），不用缓存、
用缓存各写 200 个字（--write_on：写完一首也不停），比速度，也比两遍写的字一样不一样（只比窗口写满之前的部分）：
    python babygpt_sample_with_kvcache.py --compare --prompt 春江 --temperature 0 --write_on --max_new_tokens 200  # 加速 3.5 倍（5 次的中位数，3.3–4.4），逐字相同；不到 1 分钟
"""

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn
from torch.nn import functional as F

from scaffold import fail, option, parse_args, pick_device, run_main


@dataclass
class ModelConfig:  # 重建模型需要的超参数，全部从检查点里读出来
    block_size: int
    n_embed: int
    n_head: int
    n_layer: int


class LayerCache:  # 新增
    """一层注意力的 K/V 缓存：这一层所有头的 key/value 放在一起，预先分配 block_size 个位置。顺便放一份把各头的
    query/key/value 权重摞在一起的矩阵：生成期间权重不变，每一步一次矩阵乘法就算出所有头的 q、k、v。"""

    def __init__(self, attention, batch_size, device):
        heads = attention.heads
        n_head, head_size = len(heads), heads[0].key.out_features
        block_size = heads[0].tril.shape[0]
        like = dict(device=device, dtype=heads[0].key.weight.dtype)  # 和权重同一种浮点数（测试里用 float64）
        self.k = torch.zeros(batch_size, n_head, block_size, head_size, **like)  # (B, nh, block_size, hs)
        self.v = torch.zeros(batch_size, n_head, block_size, head_size, **like)  # (B, nh, block_size, hs)
        weights = [h.query.weight for h in heads] + [h.key.weight for h in heads] + [h.value.weight for h in heads]
        self.qkv_weight = torch.cat(weights)  # 3 * n_head 个 (hs, C) -> (3C, C)


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
        # 投影层：把拼起来的各头结果再混合一次，也让输出回到残差通路的空间
        self.proj = nn.Linear(config.n_embed, config.n_embed)

    def forward(self, x, cache=None, pos=0):  # 新增：cache 和 pos（这 T 个字的位置是 pos .. pos+T-1）
        if cache is not None:  # 新增
            out = self.attend_with_cache(x, cache, pos)  # 新增 (B, T, C)
        else:
            out = torch.cat([h(x) for h in self.heads], dim=-1)  # n_head 个 (B, T, hs) -> (B, T, C)
        out = self.proj(out)  # (B, T, C)
        return out

    def attend_with_cache(self, x, cache, pos):  # 新增
        """和 torch.cat([h(x) for h in self.heads]) 算的是同一件事，但用上缓存，并且所有头一起算：
        新字的 key/value 写进缓存的位置 pos .. pos+T-1，它们的 query 和缓存里位置 0 .. pos+T-1 的所有 key 做注意力。"""
        B, T, C = x.shape
        n_head = len(self.heads)
        qkv = F.linear(x, cache.qkv_weight)  # (B, T, C) @ (C, 3C) -> (B, T, 3C)
        q, k, v = qkv.split(C, dim=-1)  # 各 (B, T, C)，其中第 h 段 hs 个数属于第 h 个头
        q, k, v = (t.view(B, T, n_head, C // n_head).transpose(1, 2) for t in (q, k, v))  # 各 (B, nh, T, hs)
        cache.k[:, :, pos : pos + T] = k
        cache.v[:, :, pos : pos + T] = v
        k = cache.k[:, :, : pos + T]  # (B, nh, pos+T, hs)
        v = cache.v[:, :, : pos + T]  # (B, nh, pos+T, hs)
        wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5  # (B, nh, T, hs) @ (B, nh, hs, pos+T) -> (B, nh, T, pos+T)
        if T > 1:  # 只送进一个字时，它本来就能看到缓存里的所有字，不需要遮罩
            # 第 i 个新字在位置 pos+i，能看到位置 0 .. pos+i，正好是 tril 的第 pos+i 行
            wei = wei.masked_fill(self.heads[0].tril[pos : pos + T, : pos + T] == 0, float("-inf"))
        wei = F.softmax(wei, dim=-1)
        out = wei @ v  # (B, nh, T, pos+T) @ (B, nh, pos+T, hs) -> (B, nh, T, hs)
        return out.transpose(1, 2).reshape(B, T, C)  # 各头首尾相接，和 torch.cat 的顺序一样 (B, T, C)


class FeedForward(nn.Module):
    """前馈网络：每个位置各自经过同一个两层 MLP，先放大到 4 倍宽再缩回来。它不看别的位置，所以不需要缓存。"""

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
        # 层归一化：把每个字的向量调整成均值 0、方差 1（再乘以可学习的缩放、加上偏移）
        self.ln1 = nn.LayerNorm(config.n_embed)
        self.ln2 = nn.LayerNorm(config.n_embed)

    def forward(self, x, cache=None, pos=0):  # 新增：cache 和 pos 传给注意力
        # 残差连接：x + f(x)。梯度可以沿着“+”直接流回前面的层，深的网络也训练得动
        # 先归一化再进子层（pre-norm，GPT-2 的做法）；原始 Transformer 是先相加再归一化（post-norm）
        x = x + self.sa(self.ln1(x), cache, pos)  # (B, T, C)
        x = x + self.ffwd(self.ln2(x))  # (B, T, C)
        return x


class BabyGPT(nn.Module):
    """字符级语言模型：读一串字的编号，给出每个位置上“下一个字”的打分。参数和 v12 完全相同。"""

    def __init__(self, config, vocab_size):
        super().__init__()
        self.config = config
        self.token_embedding_table = nn.Embedding(vocab_size, config.n_embed)
        self.position_embedding_table = nn.Embedding(config.block_size, config.n_embed)
        self.blocks = nn.Sequential(*[Block(config) for _ in range(config.n_layer)])
        self.ln_f = nn.LayerNorm(config.n_embed)  # 最后一层归一化，在 lm_head 之前
        self.lm_head = nn.Linear(config.n_embed, vocab_size)

    def new_cache(self, batch_size, device):  # 新增：每一层一份空缓存，cache[层]
        return [LayerCache(block.sa, batch_size, device) for block in self.blocks]

    def forward(self, idx, cache=None, pos=0):  # 新增：cache 和起始位置 pos；只返回 logits
        B, T = idx.shape
        if pos + T > self.config.block_size:  # 新增：位置向量只有 block_size 个
            raise ValueError(f"位置 {pos}+{T} 超过了 block_size={self.config.block_size}")
        tok_emb = self.token_embedding_table(idx)  # (B, T) -> (B, T, C)
        pos_emb = self.position_embedding_table(torch.arange(pos, pos + T, device=idx.device))  # 改：从 pos 开始 (T, C)
        x = tok_emb + pos_emb  # (B, T, C) + (T, C) -> (B, T, C)，位置向量广播到每条序列
        layer_caches = cache if cache is not None else [None] * len(self.blocks)  # 新增
        for block, layer_cache in zip(self.blocks, layer_caches):  # 改：nn.Sequential 传不了 cache，逐层调用
            x = block(x, layer_cache, pos)  # (B, T, C)
        x = self.ln_f(x)  # (B, T, C)
        logits = self.lm_head(x)  # (B, T, C) -> (B, T, V)
        return logits


def pick_next(logits, temperature, top_k, generator, form=None):
    """从最后一个位置的打分 (B, V) 选出下一个字 (B, 1)。temperature 为 0 时总是选分数最高的（贪心）。"""
    if form is not None:  # 格律（见下文，只用于 B = 1）：只在它允许的字里选，选完告诉它选了哪个
        idx_next = pick_next(logits.masked_fill(~form.allowed().to(logits.device), float("-inf")), temperature, top_k, generator)
        form.step(idx_next.item())
        return idx_next
    if temperature == 0:
        return logits.argmax(dim=-1, keepdim=True)
    logits = logits / temperature  # 温度 < 1 让分布更尖（更保守），> 1 更平（更大胆）
    if top_k > 0:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[:, -1:]  # 第 k 大的分数 (B, 1)
        logits = logits.masked_fill(logits < kth, float("-inf"))  # 只在前 k 个字里抽
    probs = F.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)


@torch.inference_mode()
def generate_without_cache(model, idx, max_new_tokens, temperature=1.0, top_k=0, generator=None, form=None):
    """v12 的写法：每一步把最后 block_size 个字整个重新算一遍。逐步产出 (新字 (B, 1), 这一步的 logits (B, V))。"""
    block_size = model.config.block_size
    for _ in range(max_new_tokens):
        logits = model(idx[:, -block_size:])[:, -1, :]  # (B, V)
        idx_next = pick_next(logits, temperature, top_k, generator, form)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)
        yield idx_next, logits


@torch.inference_mode()
def generate_with_cache(model, idx, max_new_tokens, temperature=1.0, top_k=0, generator=None, form=None):
    """带 KV 缓存：prefill 一次，之后每一步只算一个新字。逐步产出 (新字 (B, 1), 这一步的 logits (B, V))。"""
    block_size = model.config.block_size
    keep = max(1, block_size // 2)  # 窗口满了以后保留多少个字重新 prefill（block_size 为 1 时也至少留 1 个）
    cache = model.new_cache(idx.shape[0], idx.device)
    context = idx[:, -block_size:]  # 提示词太长时只用最后 block_size 个字
    logits = model(context, cache, pos=0)[:, -1, :]  # prefill：整段提示词一次算完 (B, V)
    pos = context.shape[1]  # 缓存里已经有多少个位置
    for i in range(max_new_tokens):
        idx_next = pick_next(logits, temperature, top_k, generator, form)  # (B, 1)
        idx = torch.cat((idx, idx_next), dim=1)
        yield idx_next, logits
        if i == max_new_tokens - 1:
            break
        if pos == block_size:  # 缓存满了：只留最后 keep 个字，从位置 0 重新 prefill
            logits = model(idx[:, -keep:], cache, pos=0)[:, -1, :]
            pos = keep
        else:  # 只送进一个新字，它的 key/value 写到位置 pos
            logits = model(idx_next, cache, pos)[:, -1, :]
            pos += 1


# --- 格律：按词牌的格式写。和 KV 缓存无关，它只决定每一步“哪些字可以选”。一个词牌规定了一首词有几句、每句几个字
# （浣溪沙是六句七言）；格式是 data/prepare_tunes.py 从训练集里数出来的（data/tunes.json）：同一个词牌，训练集里
# 至少两首词用过的每一种句式都算一种格式。格式还有格律：每个位置的平仄（平、仄，或可平可仄的“中”）和哪几句押韵，
# 也是从训练集数出来的；每个字的平仄和韵部按《廣韻》和《詞林正韻》（data/prepare_tones.py），也在 tunes.json 里。

PUNCT = "，。、？！；："  # 断句的标点：正文按它们切成一句一句
DEFAULT_TUNES = str(Path(__file__).resolve().parent / "data" / "tunes.json")


def load_tones(path=DEFAULT_TUNES):
    """{字: (平、仄或两读, {韵部...})}：两读是几种读音平仄都有；查不到的字不在里面。"""
    table = json.loads(Path(path).read_text(encoding="utf-8"))["chars"]
    return {c: ("两" if len({t for t, _ in found}) > 1 else found[0][0], {g for _, groups in found for g in groups})
            for c, found in table.items()}


def phrase_lengths(body):
    """正文 -> 每句几个字（按断句的标点切开，换行不算字；最后没有标点的半句也算一句）。"""
    lengths, n = [], 0
    for c in body:
        if c in PUNCT:
            lengths.append(n)
            n = 0
        elif c != "\n":
            n += 1
    return tuple(lengths + [n] if n else lengths)


def check_form(lengths, forms):
    """和这个词牌的每一种格式比，返回 (最接近的格式, 逐句得分, 第一处不合的句子编号；完全合格式时是 None)。
    逐句得分：第 i 句和格式的第 i 句字数相同的句数，除以两者中较多的句数。"""

    def score(form):
        return sum(a == b for a, b in zip(lengths, form)) / max(len(lengths), len(form))

    best = max(forms, key=score)  # 一样接近时取前面的（训练集里更常见的）格式
    broken = next((i for i, (a, b) in enumerate(zip(lengths, best)) if a != b), None)
    if broken is None and len(lengths) != len(best):
        broken = min(len(lengths), len(best))
    return best, score(best), broken


def describe_break(lengths, form, broken):
    """check_form 找到的第一处不合，说成一句话。"""
    if broken < min(len(lengths), len(form)):
        return f"第 {broken + 1} 句应是 {form[broken]} 个字，写了 {lengths[broken]} 个字"
    if len(lengths) < len(form):
        return f"写了 {len(lengths)} 句就停了，这个格式有 {len(form)} 句"
    return f"这个格式只有 {len(form)} 句，多写了 {len(lengths) - len(form)} 句"


class FormConstraint:
    """约束解码：每一步只允许格式允许的字，模型在其中照常按概率抽。先写作者（一行，1 到 8 个字）；正文一句写满规定的字数
    就必须打断句的标点，没写满不许打；标点后可以换行；写完一种格式的最后一句，空一行结束。几种格式同时考虑（还对得上的都算）；
    给了格律时还管平仄（还对得上的几种格式都同意的位置）和韵脚（按最常见的那种格式）：之后的韵脚只许和前面的韵脚同部的字。"""

    def __init__(self, forms, chars, meter=None):
        self.forms = [tuple(form) for form in forms]
        self.chars, self.newline = chars, chars.index("\n")
        self.meters, tones = meter or (None, None)  # {格式: (每句的平仄, 韵脚是哪几句)}, 每个字的读音；None：只管字数
        if self.meters:  # 每个字能不能放在平、仄的位置上，属于哪些韵部：(V,) 和 (V, 20)
            found = [tones.get(c, (None, ())) for c in chars]  # 《廣韻》里查不到的字：哪里都不合
            self.ping = torch.tensor([tone in ("平", "两") for tone, _ in found])
            self.ze = torch.tensor([tone in ("仄", "两") for tone, _ in found])
            self.groups = torch.tensor([[g in groups for g in range(20)] for _, groups in found])
        self.rhyme, self.at_rhyme, self.fallbacks = None, False, 0  # 第一个韵脚定下的韵部；这一步是不是韵脚；放宽了几次
        self.punct = torch.tensor([c in PUNCT for c in chars])  # (V,)
        self.final = torch.tensor([c in "。？！" for c in chars])  # (V,) 一首词最后一句后面的标点
        self.hanzi = torch.tensor([c.isalpha() for c in chars])  # (V,) 汉字（标点、换行、空格、□ 都不是）
        self.author = 0  # 作者写了几个字；写完作者这一行以后是 None
        self.done = ()  # 正文里写完的句子各有几个字
        self.current = 0  # 正在写的这一句写了几个字
        self.last = "start"  # 正文里上一个字：start（还没有）、char、punct、newline

    def allowed(self):
        """下一个字可以是哪些：(V,) 的真假值。"""
        mask = torch.zeros_like(self.hanzi)
        if self.author is not None:  # 作者这一行
            if self.author < 8:
                mask |= self.hanzi
            mask[self.newline] = self.author > 0
            return mask
        going = [form for form in self.forms if form[: len(self.done)] == self.done and len(form) > len(self.done)]
        nexts = [form[len(self.done)] for form in going]  # 还对得上的格式，下一句各要几个字
        if any(n > self.current for n in nexts):  # 还有格式允许这一句再多一个字
            mask |= self.hanzi
        closing = [form for form in going if form[len(self.done)] == self.current > 0]  # 这一句正好这么长的格式
        if closing:  # 可以打标点；要是这是它们的最后一句，只能用句号、问号、叹号
            mask |= self.punct if any(len(form) > len(self.done) + 1 for form in closing) else self.final
        if self.current == 0 and (self.last == "punct" or (self.last == "newline" and self.done in self.forms)):
            mask[self.newline] = True  # 标点之后换行；正好写完一种格式时，再换一行就是空行，这首词结束
        i, j, self.at_rhyme = len(self.done), self.current, False
        pattern, rhymes = self.meters.get(going[0], ((), ())) if self.meters and going else ((), ())  # 最常见的那种格式的
        if i < len(pattern) and j < len(pattern[i]) and (mask & self.hanzi).any():
            marks = {self.meters[f][0][i][j] for f in going if f in self.meters and j < len(self.meters[f][0][i])} - {"中"}
            keep = {"平": self.ping, "仄": self.ze}.get(marks.pop() if len(marks) == 1 else "中", self.hanzi).clone()  # 几种格式都同意才管
            self.at_rhyme = i in rhymes and j == len(pattern[i]) - 1
            if self.at_rhyme and self.rhyme is not None:  # 第一个韵脚以后：只许同一个韵部的字
                keep &= self.groups[:, self.rhyme].any(-1)
            narrowed = (mask & ~self.hanzi) | (mask & keep)
            fits = bool((narrowed & self.hanzi).any())  # 词表里没有合格律的字：这一步只管字数，记一次
            mask, self.fallbacks = (narrowed, self.fallbacks) if fits else (mask, self.fallbacks + 1)
        return mask

    def step(self, token):
        """记下刚选的字（它的编号）。"""
        c = self.chars[token]
        if self.author is not None:
            self.author = None if c == "\n" else self.author + 1
        elif c in PUNCT:
            self.done, self.current, self.last = self.done + (self.current,), 0, "punct"
        elif c == "\n":
            self.last = "newline"
        else:
            if self.at_rhyme and self.groups[token].any():  # 韵脚：只留它和前面的韵脚共有的韵部（第一个韵脚定下韵部）
                self.rhyme = [g for g in (self.rhyme or range(20)) if self.groups[token, g]] or self.rhyme
            self.current, self.last = self.current + 1, "char"


def load_checkpoint(path, device):
    """读 v12 的检查点，返回 (model, chars, checkpoint)。缺失、损坏、不是 v12 存的：只说一行就退出。"""
    if not Path(path).exists():
        fail(f"找不到检查点 {path}。请先运行 python babygpt_v12_wandb.py 训练并保存模型（CPU 配方见 README）")
    try:
        checkpoint = torch.load(path, map_location=device, weights_only=True)  # 只读张量和基本类型，不执行文件里藏着的代码
    except Exception as e:  # 截断、损坏、不是 torch 文件、含有不允许的对象……
        fail(f"检查点 {path} 读不出来（文件不完整、已损坏或不是 PyTorch 文件）：{e.__class__.__name__}")
    if not isinstance(checkpoint, dict) or not {"config", "chars", "model"} <= checkpoint.keys():
        fail(f"{path} 不是 babygpt_v12_wandb.py 保存的检查点（缺少 config / chars / model）")
    try:
        config = ModelConfig(**{name: checkpoint["config"][name] for name in ("block_size", "n_embed", "n_head", "n_layer")})
        chars = checkpoint["chars"]
        if not isinstance(chars, str) or len(set(chars)) != len(chars) or config.n_embed % config.n_head:
            raise ValueError("词表或超参数不合法")
        model = BabyGPT(config, len(chars))
        model.load_state_dict(checkpoint["model"], strict=True)  # 参数名和形状都必须和 v12 完全一致
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        fail(f"检查点 {path} 的内容和 v12 的模型对不上：{(str(e).strip() or e.__class__.__name__).splitlines()[0]}")
    if not all(torch.isfinite(p).all() for p in model.parameters()):  # 训练发散过：权重坏了，写不出字
        fail(f"检查点 {path} 的权重里有 nan 或 inf：训练发散了。把 --learning_rate 调小，重新训练")
    model.to(device).eval()  # 推理用评估模式（这份模型没有 dropout，但习惯上推理前都调用 eval）
    return model, chars, checkpoint


@dataclass
class Decoding:  # 怎么写：这个采样器和 learners/watch.py（把写的过程存成网页）共用
    ckpt_path: str = option("model.pth", "babygpt_v12_wandb.py 保存的检查点")
    max_new_tokens: int = option(300, "每次最多写多少个字；最长的词牌莺啼序连标点约 280 字")
    write_on: bool = option(False, "写完一首词（出现空行）也不停，一直写满 --max_new_tokens 个字")
    temperature: float = option(0.8, "温度：小于 1 更保守，大于 1 更大胆；0 表示贪心（总选最可能的字）")
    top_k: int = option(0, "只在分数最高的 k 个字里抽，0 表示不限")
    seed: int = option(1337, "随机种子：同样的种子，整次运行写出同样的字")
    tune: str = option(None, "按这个词牌的格式写一首（约束解码），如 --tune 浣溪沙；交互时输入《浣溪沙》也一样")
    free: bool = option(False, "按词牌写时不加约束，让模型自己写，写完再说格式在哪里不合")
    tunes: str = option(DEFAULT_TUNES, "词牌的格式表")
    no_tone: bool = option(False, "按词牌写时只管每句的字数，不管平仄和押韵（和它比一比格律的约束）")


@dataclass
class Config(Decoding):
    prompt: tuple = option((), "直接用这个开头写，不进入交互；可以重复给出多个")
    device: str = option("auto", "auto（依次尝试 cuda、mps、cpu）、cuda、mps 或 cpu")
    no_cache: bool = option(False, "不用 KV 缓存，每一步重算整个上下文（v12 的写法）")
    compare: bool = option(False, "同一个开头、同样的随机数，有缓存和没缓存各写一次，比较速度和结果")


def prepare_prompt(text, chars, block_size):
    """检查并整理一句开头：返回 (编号列表, 提示信息)；有词表外的字时返回 (None, 说明)。"""
    if text == "":
        # 语料里每首词前面都是上一首词末尾的空行：从这里开始，模型会先写“词牌 作者”
        return [chars.index("\n")] * 2 if "\n" in chars else [0], "（空的开头：从头写一首，先写词牌名和作者）"
    missing = "".join(sorted(set(text) - set(chars)))
    if missing:
        return None, f"这些字不在词表里：{missing}。请换个说法再试。"
    note = f"（开头有 {len(text)} 个字，超过 block_size={block_size}，只用最后 {block_size} 个字）" if len(text) > block_size else ""
    return [chars.index(c) for c in text[-block_size:]], note


def ends_poem(ids, new_ids, newline):
    """刚生成的字是不是一首词的结尾：语料里词与词之间隔一个空行，也就是连着两个换行。"""
    previous = new_ids[-2] if len(new_ids) > 1 else ids[-1]
    return new_ids[-1] == newline and previous == newline


def write(model, chars, ids, args, generator, use_cache, stream=True, forms=None, meter=None):
    """生成一段文字并（可选地）逐字打印，写到这首词结束（空行）为止，最多 max_new_tokens 个字（--write_on：不停）。
    forms（一个词牌的几种格式）：约束解码，meter：再管平仄和押韵。generator 整次运行共用。返回 (新字的编号, tokens/s)。"""
    newline = chars.find("\n")  # 词表里没有换行时是 -1，永远不会“写完一首”
    idx = torch.tensor([ids], dtype=torch.long, device=generator.device)  # (1, T)
    generate = generate_with_cache if use_cache else generate_without_cache
    form = FormConstraint(forms, chars, meter) if forms else None  # 每写一首都从头开始
    max_new_tokens = args.max_new_tokens
    if form is not None:  # 按格律写时，整首写完之前不停：作者一行，加上每句的字、标点和可能的换行，加上结尾的空行
        max_new_tokens = max(max_new_tokens, 9 + max(sum(f) + 2 * len(f) for f in forms) + 1)
    new_ids = []
    start = time.perf_counter()
    for idx_next, _ in generate(model, idx, max_new_tokens, args.temperature, args.top_k, generator, form):
        new_ids.append(idx_next.item())  # .item() 也会等 GPU 算完，计时才准
        if stream:
            print(chars[new_ids[-1]], end="", flush=True)
        if not args.write_on and ends_poem(ids, new_ids, newline):
            break
    seconds = time.perf_counter() - start
    if stream:
        print()
    if form is not None and form.fallbacks:
        print(f"（格律：有 {form.fallbacks} 步词表里没有合平仄或押韵的字，那几步只管了字数）")
    return new_ids, len(new_ids) / seconds


def tune_forms(tune, chars, path):
    """词牌 -> ([(格式, 训练集里用它的首数)], None)；没有这个词牌、或者这个模型写不了时 -> (None, 一句说明)。"""
    try:
        tunes = json.loads(Path(path).read_text(encoding="utf-8"))["tunes"]
    except (OSError, ValueError, KeyError) as e:
        return None, f"读不到词牌的格式 {path}（{e.__class__.__name__}）：先运行 python data/prepare_tunes.py"
    if tune not in tunes:
        common = "、".join(sorted(tunes, key=lambda name: -tunes[name]["poems"])[:8])
        return None, f"不认识词牌《{tune}》（训练集里至少两首词用同一种句式的词牌才有格式）。常见的有：{common}"
    missing = "".join(sorted(set(tune + "\n") - set(chars))) or ("" if set(PUNCT) & set(chars) else PUNCT)
    if missing:
        return None, f"这个模型的词表里没有“{missing!r}”：它不是在宋词上训练的，没法按词牌写"
    return [(tuple(form), count) for form, count in tunes[tune]["forms"]], None


def tune_meter(tune, args):
    """(每种格式的 (每句的平仄, 韵脚是哪几句), 每个字的读音)；--no_tone 或没有格律数据时 None（只说一句）。"""
    try:
        meters, tones = json.loads(Path(args.tunes).read_text(encoding="utf-8"))["tunes"][tune]["meter"], load_tones(args.tunes)
    except (OSError, ValueError, KeyError) as e:
        print(f"（《{tune}》没有平仄和押韵的数据（{e.__class__.__name__}）：只管每句的字数）")
        return None
    return {tuple(map(int, form.split(","))): (m["tones"].split("|"), set(m["rhymes"])) for form, m in meters.items()}, tones


def report_form(chars, new_ids, forms, free):
    """写完以后检查格式：合哪一种，或者在哪里不合。"""
    author, _, rest = "".join(chars[i] for i in new_ids).partition("\n")  # 第一行是作者，之后是正文
    lengths = phrase_lengths(rest.split("\n\n")[0])
    form, score, broken = check_form(lengths, [form for form, _ in forms])
    count = dict(forms)[form]
    which = f"{' '.join(map(str, form))}（这个词牌在训练集里的 {len(forms)} 种格式之一，{count} 首用它）"
    if broken is None:
        print(f"格律：{'模型自己写的，' if free else ''}合格式 {which}")
    else:
        print(f"格律：{'模型自己写的，' if free else ''}不合格式：{describe_break(lengths, form, broken)}；"
              f"最接近的格式 {which}，逐句得分 {score:.2f}")


def respond(model, chars, text, args, generator):
    """处理一句开头：生成、打印、报告速度；开头不合法时说原因，返回 False。《词牌》：约束解码（--free：模型自己写）；
    只输入词牌名（没有书名号）：模型自己写，写完说格式合不合。"""
    forms, free = None, args.free
    if len(text) > 2 and text[0] == "《" and text[-1] == "》":
        tune = text[1:-1]
        forms, note = tune_forms(tune, chars, args.tunes)
        if forms is None:
            print(note)
            return False
    elif text and (forms := tune_forms(text, chars, args.tunes)[0]):  # 是词牌名，这个模型也写得了
        tune, free = text, True
        print(f"（{tune} 是词牌名：让模型自己写，写完说格式合不合；要按格式写，输入《{tune}》）")
    if forms:
        text = f"\n\n{tune} "  # 语料里每首词都这样开始：上一首之后的空行，词牌名，一个空格
    constraint = [form for form, _ in forms] if forms and not free else None  # 约束解码只要格式本身
    meter = tune_meter(tune, args) if constraint and not args.no_tone else None
    ids, note = prepare_prompt(text, chars, model.config.block_size)
    if ids is None:
        print(note)
        return False
    if note:
        print(note)
    print(text.lstrip("\n"), end="", flush=True)
    if args.compare:
        state = generator.get_state()  # 两遍用同样的随机数，结果才能逐字比较
        print("\n--- 不用缓存 ---")
        plain, plain_speed = write(model, chars, ids, args, generator, False, forms=constraint, meter=meter)
        print("--- 用 KV 缓存 ---")
        generator.set_state(state)
        cached, cached_speed = write(model, chars, ids, args, generator, True, forms=constraint, meter=meter)
        print(f"不用缓存 {plain_speed:.1f} tokens/s，用缓存 {cached_speed:.1f} tokens/s")
        fits = model.config.block_size - len(ids) + 1  # 上下文还没超过 block_size 时生成的字数：两种写法必须逐字相同
        compared = min(fits, max(len(plain), len(cached)))
        if compared < max(len(plain), len(cached)):
            print(f"（只比较前 {compared} 个字：之后窗口滑动，两种写法看到的上下文不同，见文件开头的说明）")
        identical = "yes" if compared > 0 and plain[:compared] == cached[:compared] else "no"
        print(f"speedup {cached_speed / plain_speed:.2f}x, identical: {identical}")
    else:
        cached, speed = write(model, chars, ids, args, generator, not args.no_cache, forms=constraint, meter=meter)
        print(f"[{speed:.1f} tokens/s，{'不用' if args.no_cache else '用'} KV 缓存]")
    if forms:
        report_form(chars, cached, forms, free)
    return True


def main(argv=None):
    args = parse_args(Config, argv, __doc__)
    if args.tune is not None and (args.prompt or not args.tune.strip("《》")):
        fail("--tune 要一个词牌名（如 --tune 浣溪沙），而且不能和 --prompt 一起用")
    device = pick_device(args.device)
    model, chars, checkpoint = load_checkpoint(args.ckpt_path, device)
    tune = args.tune.strip("《》") if args.tune else None  # --tune 浣溪沙 和 --tune 《浣溪沙》 一样
    if tune:  # 先检查词牌，写不了就只说一句
        forms, note = tune_forms(tune, chars, args.tunes)
        if forms is None:
            fail(note)
    val_loss = checkpoint.get("val_loss")
    val = f"，验证集损失 {val_loss:.4f}" if isinstance(val_loss, float) else ""
    print(f"已载入 {args.ckpt_path}：训练了 {checkpoint.get('step', '?')} 步{val}；设备 {device}")
    generator = torch.Generator(device=device).manual_seed(args.seed)  # 整次运行只用这一个：一首接一首往下抽

    prompts = [f"《{tune}》"] if tune else args.prompt
    if prompts:  # 非交互：逐个处理 --prompt（或 --tune），然后退出
        ok = [respond(model, chars, p, args, generator) for p in prompts]
        return 0 if all(ok) else 1
    print("输入一句开头，回车后模型接着写完这首词；直接回车让模型从头写一首；输入《浣溪沙》按词牌的格式写。"
          "Ctrl-D 或 Ctrl-C 退出。")
    try:
        while True:
            respond(model, chars, input("请输入文字：").strip(), args, generator)
    except (EOFError, KeyboardInterrupt):  # Ctrl-D、Ctrl-C：交互就此结束，不打印 traceback
        print("\n再见。")
        return 0


if __name__ == "__main__":
    run_main(main)  # 不在交互里按的 Ctrl-C：一行“已中断。”，退出码 130（scaffold.py）
