"""平仄和押韵的两个分数（learners/form_check.py、learners/watch.py 和 data/prepare_tunes.py 共用）。
每个字的读音、每个词牌的格律都从 data/tunes.json 来，查法在采样器里（babygpt_sample_with_kvcache.py 的“格律”一节）。

- 平仄：格律定了平或仄的位置上，字合不合（两读的字哪里都合；《廣韻》里查不到的字不算）；
- 押韵：韵脚上的字，有多少和这首词的主韵（这些韵脚的字最多的那个韵部）同部。
一首词按最接近的格式一句一句对：字数和格式对得上的句子才量（整首合格式的词，就是每一句都量）。
"""

import course  # noqa: F401  也把仓库顶层加进导入路径

import babygpt_sample_with_kvcache as sampler  # noqa: E402


def phrases(body):
    """正文 -> 每一句的字（按断句的标点切开，换行不算）。"""
    out, current = [], ""
    for c in body:
        if c in sampler.PUNCT:
            out.append(current)
            current = ""
        elif c != "\n":
            current += c
    return out + [current] if current else out


def tone_marks(split, pattern, tones):
    """[(格律要的平或仄, 字的平仄)]：定了平仄、字也查得到的位置。"""
    marks = [(m, tones.get(c, (None,))[0]) for phrase, want in zip(split, pattern) if len(phrase) == len(want)
             for c, m in zip(phrase, want) if m != "中"]
    return [(m, t) for m, t in marks if t is not None]


def rhyme_groups(split, pattern, rhymes, tones):
    """韵脚上的字的韵部（字数对得上的句子、查得到的字）。"""
    finals = [tones.get(split[i][-1], (None, set()))[1] for i in sorted(rhymes)
              if i < len(split) and i < len(pattern) and split[i] and len(split[i]) == len(pattern[i])]
    return [groups for groups in finals if groups]


def mean(values):
    """没有 None 的那些的平均；全是 None（量不了）时是 None。"""
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def main_group(finals):
    """这些韵脚的字最多的那个韵部（一样多时取编号小的）。"""
    counted = [g for groups in finals for g in groups]
    return max(sorted(set(counted)), key=counted.count) if counted else None


def scores(body, forms, meters, tones):
    """(平仄分, 押韵分)：按最接近的格式量；量不了（没有格律、一句也对不上）的是 None。"""
    form, _, _ = sampler.check_form(sampler.phrase_lengths(body), forms)
    if form not in meters:
        return None, None
    pattern, rhymes = meters[form]
    split = phrases(body)
    marks = tone_marks(split, pattern, tones)
    finals = rhyme_groups(split, pattern, rhymes, tones)
    main = main_group(finals)
    tone = sum(t in (m, "两") for m, t in marks) / len(marks) if marks else None
    rhyme = sum(main in groups for groups in finals) / len(finals) if len(finals) >= 2 else None  # 至少两个韵脚才谈得上押韵
    return tone, rhyme


def marks_per_step(chars, new_ids, forms, meter_data):
    """看它写的网页：按词牌写的一首，每写下一个字（new_ids 的每一项）它的平仄、格律要的平仄、是不是韵脚、合不合：
    {"tone": 平/仄/两/？, "want": 平/仄/中, "rhyme": 真假, "fits": 真假}；作者、标点、换行和对不上格式的句子是 None。"""
    meters, tones = meter_data
    text = "".join(chars[i] for i in new_ids)
    author, _, body = text.partition("\n")
    form, _, _ = sampler.check_form(sampler.phrase_lengths(body.split("\n\n")[0]), forms)
    pattern, rhymes = meters.get(form, ((), ()))
    out, i, j = [None] * (len(author) + 1), 0, 0  # 作者和它后面的换行不量
    for c in body:
        mark = None
        if c in sampler.PUNCT:
            i, j = i + 1, 0
        elif c.isalpha() and i < len(pattern) and j < len(pattern[i]):
            tone = tones.get(c, ("？",))[0]
            want = pattern[i][j]
            mark = {"tone": tone, "want": want, "rhyme": i in rhymes and j == len(pattern[i]) - 1,
                    "fits": want == "中" or tone in (want, "两", "？")}
            j += 1
        elif c.isalpha():
            j += 1
        out.append(mark)
    return out[: len(new_ids)]
