"""入门：不用神经网络，只靠“数数”的字符级 bigram 语言模型。

这是课程的第 0 步，只用 Python 标准库（不需要 torch）。它要回答的问题和后面十二课一样：
“给定前面的字，下一个字是什么？”——只不过 bigram 模型只看前面 **一个** 字。

    python simplebigrammodel_with_comments.py                 # 数数、算验证集 NLL、写两段词
    python simplebigrammodel_with_comments.py --prompt 明月   # 换个开头
    python simplebigrammodel_with_comments.py --help          # 所有可调的设置

它打印的“验证集平均负对数似然（NLL）”就是 babygpt_v1.py 的验证集损失应当接近的数：
v1 是神经网络版的 bigram，同样只看前一个字，只不过概率表是学出来的，而不是数出来的。

试一试：平滑（--alpha）给每一个字对先记上 alpha 次，没见过的字对才不至于概率为 0。
alpha 变大，训练集上数出来的差别被抹平；变小，验证集里没见过的字对代价很高。先猜验证集 NLL 往哪边走，再运行：
    python simplebigrammodel_with_comments.py  # 验证集 4.85，训练集 4.35；不到 1 分钟
    python simplebigrammodel_with_comments.py --alpha 1  # 验证集 5.64，训练集 5.52；不到 1 分钟
    python simplebigrammodel_with_comments.py --alpha 0.001  # 验证集 5.04，训练集 4.20；不到 1 分钟
"""

import math
import random
from collections import Counter, defaultdict
from dataclasses import dataclass

from scaffold import DEFAULT_DATA, option, parse_args, read_corpus, run_main  # 读语料、命令行（不需要 torch）


# ---------------------------------------------------------------------------
# 1. 分词：字 <-> 编号
# ---------------------------------------------------------------------------
# 计算机只会处理数字，所以先给每个不同的字一个编号（token id）。
# 字符级分词最简单：语料里出现过的每个字（包括标点、空格、换行）就是一个 token。
# 把所有不同的字排序后依次编号，同一份语料每次得到的编号都一样。


def build_vocab(text):
    """返回 (chars, stoi)：chars[i] 是编号 i 的字，stoi[字] 是它的编号。"""
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    return chars, stoi


def encode(s, stoi):
    """字符串 -> 编号列表，例如 "春江" -> [某个数, 某个数]。"""
    return [stoi[c] for c in s]


def decode(ids, chars):
    """编号列表 -> 字符串，encode 的逆操作。"""
    return "".join(chars[i] for i in ids)


# ---------------------------------------------------------------------------
# 2. 训练集 / 验证集
# ---------------------------------------------------------------------------
# 九成的词用来“训练”（这里就是数数），一成留作验证：
# 模型从没见过验证集，在它上面的表现才说明模型学到的是规律，而不是把训练文字背了下来。
# 按整首词来分（每 10 首里的第 10 首做验证集），而不是把字打乱：打乱会把相邻的字拆散。
# 也不取语料最后的 10%：那里大多是无名氏的词，和前面的作者、年代都不一样，
# 验证集的 NLL 会因此高出一截（5.17，而按整首词分是 4.85），看起来像过拟合，其实只是两堆文字不同。
# 十二课用的是同一个函数（scaffold.py 的 split_text），所以这里的验证集 NLL 可以直接和它们的验证集损失比。
# 语料也可以换成你自己的文本（--data）：read_text 认得常见的几种编码，split_text 在没有空行的文字上改为按行分。
# 这两个函数不是课程的内容（十二课和入门脚本都从 scaffold.py 取），main() 里的 read_corpus 调用它们。


# ---------------------------------------------------------------------------
# 3. 批次：x 和 y 错开一位
# ---------------------------------------------------------------------------
# 神经网络版（babygpt_v1.py 起）每一步随机取 batch_size 段、每段 block_size 个字作为输入 x，
# 再把同样的位置整体右移一个字作为 y：y[t] 就是 x[t] 后面那个字，也就是位置 t 上的“正确答案”。
# 一段长为 block_size 的文字因此同时给出 block_size 个“前一个字 -> 下一个字”的例子。
# bigram 模型用不着随机批次：它把训练集里 **所有** 相邻的字对一次数完，
# 相当于把整个训练集当成一个巨大的批次（x = ids[:-1]，y = ids[1:]）。
# 这里仍然写出 get_batch，并在 main() 里打印一个小批次，让你看清 x 和 y 的关系。


def get_batch(ids, batch_size, block_size, rng):
    """随机取 batch_size 段文字，返回 (x, y)，两者都是 batch_size 个长为 block_size 的编号列表。"""
    starts = [rng.randrange(len(ids) - block_size) for _ in range(batch_size)]
    x = [ids[i : i + block_size] for i in starts]
    y = [ids[i + 1 : i + block_size + 1] for i in starts]  # 右移一位：y[b][t] 是 x[b][t] 的下一个字
    return x, y


# ---------------------------------------------------------------------------
# 4. 数数，变成概率，再抽样
# ---------------------------------------------------------------------------


class BigramModel:
    """counts[a][b] = 训练集里字 a 后面紧跟字 b 的次数。

    词表有约 6 100 个字，一张稠密的 V×V 表有 3 700 多万格，而真正出现过的字对只有几十万个。
    所以只存出现过的字对：counts 是“字 a -> Counter{字 b: 次数}”的字典（稀疏存储），
    totals[a] 是字 a 后面一共跟过多少个字。
    """

    def __init__(self, vocab_size, alpha):
        self.vocab_size = vocab_size
        self.alpha = alpha  # 平滑：给每个字对都加上的“假想次数”，见 prob()
        self.counts = defaultdict(Counter)
        self.totals = Counter()

    def fit(self, ids):
        """数训练集里所有相邻的字对 (ids[i], ids[i+1])。"""
        for a, b in zip(ids, ids[1:]):
            self.counts[a][b] += 1
            self.totals[a] += 1
        return self

    def prob(self, a, b):
        """P(下一个字是 b | 当前字是 a)，加 alpha 平滑（add-alpha / Laplace 平滑）。

        不平滑时 P = counts[a][b] / totals[a]。问题是验证集里有不少字对在训练集里一次也没出现过，
        它们的概率就是 0，而 -log(0) 是无穷大：只要有一个这样的字对，整个验证集的 NLL 就是无穷大。
        平滑给每个可能的字对都加上 alpha 次“假想的出现”：
            P = (counts[a][b] + alpha) / (totals[a] + alpha * V)
        分母加上 alpha * V，正好让一行 V 个概率加起来还是 1。
        alpha 越大，越相信“什么都可能”；越小，越相信数出来的次数。默认 0.02 是在验证集上试出来的
        （验证集 NLL：alpha=0.001 时 5.0400，0.01 时 4.8675，0.02 时 4.8543，0.03 时 4.8613，0.1 时 4.9703）：
        这份语料的字对非常稀疏，大多数字后面只跟过少数几种字，所以只需要很小的平滑。
        如果字 a 在训练集里从来没有后继（totals[a] 为 0），这一行就变成均匀分布 1/V，不会出错。
        """
        return (self.counts[a][b] + self.alpha) / (self.totals[a] + self.alpha * self.vocab_size)

    def probs(self, a):
        """字 a 之后，词表里每个字的概率（长为 V 的列表，和为 1）。"""
        return [self.prob(a, b) for b in range(self.vocab_size)]

    def nll(self, ids):
        """平均负对数似然：对每个相邻字对，取模型给“真正的下一个字”的概率，求 -ln 的平均。

        这就是神经网络训练时的交叉熵损失。完全随机地猜（每个字 1/V）时它等于 ln V；越小越好。
        """
        total = 0.0
        for a, b in zip(ids, ids[1:]):
            total -= math.log(self.prob(a, b))
        return total / (len(ids) - 1)

    def sample_next(self, a, rng):
        """按 P(· | a) 抽下一个字。

        平滑后的分布可以看成两部分的混合：
        - 以 totals[a] / (totals[a] + alpha*V) 的概率，按数出来的次数抽（只在出现过的后继里抽）；
        - 以 alpha*V / (totals[a] + alpha*V) 的概率，在整个词表里均匀地抽。
        两部分合起来恰好就是 prob(a, ·)，但不用每一步都算 V 个概率。没有后继的字只走第二部分。
        """
        total = self.totals[a]
        if rng.random() * (total + self.alpha * self.vocab_size) < total:
            followers = self.counts[a]
            return rng.choices(list(followers), weights=list(followers.values()))[0]
        return rng.randrange(self.vocab_size)

    def generate(self, ids, max_new_tokens, rng):
        """从 ids 出发，一次抽一个字接在后面；bigram 只看最后一个字。"""
        ids = list(ids)
        for _ in range(max_new_tokens):
            ids.append(self.sample_next(ids[-1], rng))
        return ids


# ---------------------------------------------------------------------------
# 5. 命令行
# ---------------------------------------------------------------------------


@dataclass
class Config:
    alpha: float = option(0.02, "平滑的假想次数，必须大于 0（见 BigramModel.prob）")
    max_new_tokens: int = option(100, "每个提示词后面生成多少个字")
    prompt: tuple = option(("春江", "往事"), "生成时的开头，可以重复给出多个")
    seed: int = option(1337, "随机种子：同样的种子，同样的结果")
    data: str = option(DEFAULT_DATA, "训练语料：UTF-8、UTF-16 或 GB18030（GBK）的文本文件")


def main(argv=None):
    args = parse_args(Config, argv, __doc__)
    text, splits, about = read_corpus(args)  # 读语料，分出验证集；文件或提示词有问题只说一行
    chars, stoi = build_vocab(text)
    print(about)  # 所有的检查都做完了，才开始打印
    train_ids, val_ids = encode(splits["train"], stoi), encode(splits["val"], stoi)
    print(f"语料 {len(text):,} 字，词表 {len(chars):,} 个不同的字；训练集 {len(train_ids):,} 字，验证集 {len(val_ids):,} 字")

    rng = random.Random(args.seed)
    if len(train_ids) > 8:
        x, y = get_batch(train_ids, batch_size=2, block_size=8, rng=rng)
        print("一个小批次（batch_size=2, block_size=8），y 是 x 右移一位：")
        for xb, yb in zip(x, y):
            print(f"  x = {decode(xb, chars)!r}\n  y = {decode(yb, chars)!r}")

    model = BigramModel(len(chars), args.alpha).fit(train_ids)
    print(f"数出了 {sum(len(c) for c in model.counts.values()):,} 种不同的字对（稠密表要 {len(chars) ** 2:,} 格）")
    print(f"完全随机地猜：ln V = {math.log(len(chars)):.4f}")
    print(f"训练集平均负对数似然（NLL）：{model.nll(train_ids):.4f}")
    print(f"验证集平均负对数似然（NLL）：{model.nll(val_ids):.4f}  <- 只看前一个字能做到的水平；babygpt_v1.py 的验证集损失应接近它")

    for p in args.prompt:
        out = model.generate(encode(p, stoi), args.max_new_tokens, rng)
        print(f"\n--- {p} ---\n{decode(out, chars)}")


if __name__ == "__main__":
    run_main(main)  # Ctrl-C：一行“已中断。”，退出码 130
