"""格律检查要量的词，三个写法：验证集里的真词（天花板）、入门脚本数出来的 bigram（地板）、模型（learners/form_check.py 量它们）。
提示都一样：空行、词牌名、一个空格（“\\n\\n浣溪沙 ”）；写到空行或 MAX_CHARS 字为止。"""

import torch

import course  # noqa: F401  它把仓库顶层和 data/ 加进导入路径

import babygpt_sample_with_kvcache as sampler  # noqa: E402
import prepare_tunes  # noqa: E402  data/prepare_tunes.py：把一段语料切成 (词牌, 作者, 正文)
import simplebigrammodel_with_comments as primer  # noqa: E402

MAX_CHARS = 300  # 和采样器的默认 --max_new_tokens 一样


def held_out_poems(tunes):
    """天花板：验证集里这些词牌的词（提示之后的部分：作者、换行、正文）。"""
    _, parts = prepare_tunes.corpus_parts()
    poems = {tune: [] for tune, _ in tunes}
    for tune, author, body in prepare_tunes.poems_of(parts["val"]):
        if tune in poems:
            poems[tune].append(f"{author}\n{body}\n\n")
    return poems


def bigram_poems(tunes, n, seed):
    """地板：入门脚本数出来的 bigram（训练集，默认的平滑），用同样的提示写 n 首。"""
    import random

    text, parts = prepare_tunes.corpus_parts()
    chars, stoi = primer.build_vocab(text)
    model = primer.BigramModel(len(chars), primer.Config().alpha).fit(primer.encode(parts["train"], stoi))
    rng = random.Random(seed)
    poems = {}
    for tune, _ in tunes:
        prompt = primer.encode(f"\n\n{tune} ", stoi)
        outs = [primer.decode(model.generate(prompt, MAX_CHARS, rng)[len(prompt) :], chars) for _ in range(n)]
        poems[tune] = [out.split("\n\n")[0] + "\n\n" for out in outs]
    return poems


@torch.inference_mode()
def model_poems(model, chars, tunes, n, seed, temperature=0.8):
    """模型用同样的提示、同一个温度写 n 首（一个词牌一批，用 KV 缓存；写到空行或 300 字为止）。"""
    generator = torch.Generator().manual_seed(seed)
    newline = chars.index("\n")
    poems = {}
    for tune, _ in tunes:
        prompt = [chars.index(c) for c in f"\n\n{tune} "]
        idx = torch.tensor([prompt] * n)  # (n, T)
        outs, ended = [[] for _ in range(n)], [False] * n
        steps = sampler.generate_with_cache(model, idx, MAX_CHARS, temperature, 0, generator)
        for idx_next, _ in steps:
            for row, token in enumerate(idx_next[:, 0].tolist()):
                if not ended[row]:
                    outs[row].append(token)
                    ended[row] = len(outs[row]) > 1 and outs[row][-2:] == [newline, newline]
            if all(ended):
                break
        poems[tune] = ["".join(chars[i] for i in out) for out in outs]
    return poems


def as_sampler_model(model, config, vocab_size):
    """训练中的 v12 模型 -> 采样器的同一个模型（参数名相同，直接载入）。"""
    with torch.random.fork_rng(devices=[]):  # 建模型会用到随机数（初始化）：不能打乱训练用的随机数
        copy = sampler.BabyGPT(sampler.ModelConfig(config.block_size, config.n_embed, config.n_head, config.n_layer), vocab_size)
    copy.load_state_dict(model.state_dict())
    return copy.eval()
