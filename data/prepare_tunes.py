"""从 data/ci.txt 的训练集数出每个词牌的格式，写成 data/tunes.json（采样器的 --tune 和 learners/form_check.py 读它）。

    python data/prepare_tunes.py

一首词的格式是正文每句的字数（按 ，。、？！；： 切开）。同一个词牌的词不全一样：有的词牌本来就有几种体，
传下来的词也有缺字、衍字。所以：
- 只看训练集（每 10 首里的前 9 首，和课程用同一个划分），验证集的词留给 learners/form_check.py 当“天花板”；
- 一种句式至少有两首词用过，才算这个词牌的一种格式（只出现一次的多半是缺字或抄错）；
- 太短的不算：句数不到这个词牌最常见格式的 3/4 的，多半是残篇。
一个格式也没有的词牌不写进去。
"""

import functools
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import babygpt_sample_with_kvcache as sampler  # noqa: E402  断句的规则：phrase_lengths
import scaffold  # noqa: E402  读语料、划分训练集：和课程用同样的函数

OUT = ROOT / "data" / "tunes.json"


@functools.cache
def corpus_parts():
    """读 data/ci.txt，按课程的规则分成训练集和验证集：返回 (全文, {"train": ..., "val": ...})。只读一次。"""
    text, _ = scaffold.read_text(scaffold.DEFAULT_DATA)
    parts, _ = scaffold.split_text(text)
    return text, parts


def poems_of(text):
    """一段语料 -> [(词牌, 作者, 正文)]。每首词的第一行是“词牌 作者”，之后是正文。"""
    poems = []
    for poem in text.strip("\n").split("\n\n"):
        title, _, body = poem.strip("\n").partition("\n")
        tune, _, author = title.partition(" ")
        poems.append((tune, author, body))
    return poems


def tune_forms(poems):
    """[(词牌, 作者, 正文)] -> {词牌: {"poems": 首数, "forms": [[格式, 首数], ...]}}，格式按首数从多到少。"""
    counts = defaultdict(Counter)
    for tune, _, body in poems:
        counts[tune][sampler.phrase_lengths(body)] += 1
    tunes = {}
    for tune, forms in counts.items():
        usual = len(forms.most_common(1)[0][0])
        kept = [[list(form), n] for form, n in forms.most_common()
                if n >= 2 and len(form) >= 0.75 * usual and min(form, default=0) > 0]
        if kept:
            tunes[tune] = {"poems": sum(forms.values()), "forms": kept}
    return tunes


def build():
    _, splits = corpus_parts()
    return {
        "source": "data/ci.txt 的训练集（每 10 首词里的前 9 首），由 data/prepare_tunes.py 生成",
        "rule": "一种格式 = 正文每句的字数；至少两首词用过，句数不少于最常见格式的 3/4",
        "tunes": tune_forms(poems_of(splits["train"])),
    }


def main():
    tunes = build()
    OUT.write_text(json.dumps(tunes, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(tunes['tunes'])} 个词牌写进了 {OUT}")


if __name__ == "__main__":
    main()
