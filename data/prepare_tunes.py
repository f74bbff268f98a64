"""从 data/ci.txt 的训练集数出每个词牌的格式，写成 data/tunes.json（采样器的 --tune 和 learners/form_check.py 读它）。

    python data/prepare_tunes.py

一首词的格式是正文每句的字数（按 ，。、？！；： 切开）。同一个词牌的词不全一样：有的词牌本来就有几种体，
传下来的词也有缺字、衍字。所以：
- 只看训练集（每 10 首里的前 9 首，和课程用同一个划分），验证集的词留给 learners/form_check.py 当“天花板”；
- 一种句式至少有两首词用过，才算这个词牌的一种格式（只出现一次的多半是缺字或抄错）；
- 太短的不算：句数不到这个词牌最常见格式的 3/4 的，多半是残篇。
一个格式也没有的词牌不写进去。

每一种格式还数出它的格律（每个字的平仄和韵部由 data/prepare_tones.py 从《廣韻》查出，也写进 data/tunes.json）：
- 平仄：每个位置上，训练集里用这种格式的词，平仄确定的字（不是两读、查得到）当中平声占多少：不少于 TONE_HIGH 是“平”，
  仄声不少于 TONE_HIGH 是“仄”，其余是“中”（可平可仄）。阈值是量出来的：measure_thresholds() 在验证集的真词上比
  几种阈值，见 docs/form.md。
- 韵脚：每首词句末的字里，最多的那个韵部是这首词的主韵；一句的句末在多数（过半）词里押主韵，就是韵脚。
"""

import functools
import json
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "learners"), str(ROOT / "data")]
import babygpt_sample_with_kvcache as sampler  # noqa: E402  断句的规则：phrase_lengths；每个字的读音：load_tones
import meter as scoring  # noqa: E402  learners/meter.py：一句一句切开，量平仄
import prepare_tones  # noqa: E402
import scaffold  # noqa: E402  读语料、划分训练集：和课程用同样的函数

OUT = ROOT / "data" / "tunes.json"
TONE_HIGH = 0.8  # 平声占这么多是“平”，仄声占这么多是“仄”（measure_thresholds 比过 0.6、0.7、0.8、0.9）


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


def meter(bodies, tones, high=TONE_HIGH):
    """同一种格式的几首词的正文 -> {"tones": 每句一段“平仄中”、用 | 隔开, "rhymes": [韵脚是第几句（从 0 数）]}。"""
    split = [scoring.phrases(body) for body in bodies]
    pattern = []
    for i, phrase in enumerate(split[0]):
        marks = ""
        for j in range(len(phrase)):
            known = [tones.get(p[i][j], (None,))[0] for p in split]
            ping, ze = known.count("平"), known.count("仄")
            share = ping / (ping + ze) if ping + ze else 0.5
            marks += "平" if share >= high else "仄" if 1 - share >= high else "中"  # 仄占多少，和平一样地比
        pattern.append(marks)
    hits, seen = Counter(), Counter()
    for p in split:
        finals = [tones.get(phrase[-1], (None, set()))[1] for phrase in p]
        counted = Counter(g for groups in finals for g in groups)
        if not counted:
            continue
        main = counted.most_common(1)[0][0]
        for i, groups in enumerate(finals):
            if groups:
                seen[i] += 1
                hits[i] += main in groups
    return {"tones": "|".join(pattern), "rhymes": [i for i in range(len(pattern)) if seen[i] and hits[i] / seen[i] > 0.5]}


def add_meters(tunes, poems, tones, high=TONE_HIGH):
    """给每个词牌的每一种格式加上格律：tunes[词牌]["meter"][“7,7,7”] = meter(用这种格式的训练集的词)。"""
    bodies = defaultdict(list)
    for tune, _, body in poems:
        bodies[tune, sampler.phrase_lengths(body)].append(body)
    for tune, entry in tunes.items():
        entry["meter"] = {",".join(map(str, form)): meter(bodies[tune, tuple(form)], tones, high) for form, _ in entry["forms"]}
    return tunes


def measure_thresholds(tunes_by_high, held_out, tones):
    """每一种阈值：验证集的真词（格式对得上的）里，定了平仄的位置占多少，这些位置上真词的字合不合。"""
    rows = []
    for high, tunes in tunes_by_high.items():
        fixed = fit = total = 0
        for tune, _, body in held_out:
            entry = tunes.get(tune, {}).get("meter", {}).get(",".join(map(str, sampler.phrase_lengths(body))))
            if entry:
                split = scoring.phrases(body)
                marks = scoring.tone_marks(split, entry["tones"].split("|"), tones)
                total += sum(tones.get(c, (None,))[0] is not None for phrase in split for c in phrase)
                fixed += len(marks)
                fit += sum(t in (m, "两") for m, t in marks)
        rows.append({"high": high, "fixed_share": round(fixed / total, 4), "fit": round(fit / fixed, 4)})
    return rows


def measure_grouping(tunes, held_out, tones):
    """验证集的真词：韵脚上押主韵的比例，按《詞林正韻》的 19 部，和把常常通押的第 3、5 部（灰、咍）并成一部；
    还有正文里查不到读音的字占多少（按出现的次数）。"""
    out = {}
    for name, merge in (("19", {}), ("merged_3_5", {5: 3})):
        merged = {c: (kind, {merge.get(g, g) for g in groups}) for c, (kind, groups) in tones.items()}
        shares = []
        for tune, _, body in held_out:
            if tune in tunes:
                meters = {tuple(map(int, form.split(","))): (m["tones"].split("|"), set(m["rhymes"])) for form, m in tunes[tune]["meter"].items()}
                shares.append(scoring.scores(body, [tuple(form) for form, _ in tunes[tune]["forms"]], meters, merged)[1])
        known = [s for s in shares if s is not None]
        out[name] = round(sum(known) / len(known), 4)
    hanzi = [c for _, _, body in held_out for c in body if c.isalpha()]
    out["unknown_tokens"] = round(sum(c not in tones for c in hanzi) / len(hanzi), 4)
    return out


def build(table=None):
    """整张格式表。table：每个字的读音（{字: [[平或仄, [韵部...]], ...]}）；不给就用 tshet-uinh 和 OpenCC 查一遍（data/prepare_tones.py）。"""
    text, splits = corpus_parts()
    hanzi = sorted(c for c in set(text) if c.isalpha() and ord(c) > 0x3000)
    table = table if table is not None else prepare_tones.build(hanzi)
    with tempfile.TemporaryDirectory() as tmp:  # 用采样器自己的 load_tones 读：读法只有一份
        path = Path(tmp) / "chars.json"
        path.write_text(json.dumps({"chars": table}, ensure_ascii=False), encoding="utf-8")
        tones = sampler.load_tones(path)
    train = poems_of(splits["train"])
    by_high = {high: add_meters(tune_forms(train), train, tones, high) for high in (0.6, 0.7, 0.8, 0.9)}
    return {
        "source": "data/ci.txt 的训练集（每 10 首词里的前 9 首），由 data/prepare_tunes.py 生成",
        "rule": "一种格式 = 正文每句的字数；至少两首词用过，句数不少于最常见格式的 3/4",
        "meter_rule": f"平仄：平声占 ≥ {TONE_HIGH} 为平，仄声占 ≥ {TONE_HIGH} 为仄，其余为中；韵脚：过半的词在这句句末押主韵",
        "tones_source": prepare_tones.SOURCE,
        "unknown_share": round(1 - len(table) / len(hanzi), 4),
        "thresholds": measure_thresholds(by_high, poems_of(splits["val"]), tones),
        "grouping": measure_grouping(by_high[TONE_HIGH], poems_of(splits["val"]), tones),
        "chars": table,
        "tunes": by_high[TONE_HIGH],
    }


def main():
    tunes = build()
    OUT.write_text(json.dumps(tunes, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"{len(tunes['tunes'])} 个词牌写进了 {OUT}")


if __name__ == "__main__":
    main()
