"""data/ci.txt：统计数字与 data/README.md 一致，格式是“标题行 + 至少一句 + 空行分隔”。"""

import course

ROOT = course.ROOT
CORPUS = ROOT / "data" / "ci.txt"


def poems(text):
    assert text.endswith("\n") and not text.endswith("\n\n")
    return text[:-1].split("\n\n")


def test_statistics(corpus_text):
    assert len(corpus_text) == 2_062_731
    assert len(set(corpus_text)) == 6_104
    assert len(poems(corpus_text)) == 21_095
    assert CORPUS.stat().st_size == 5_742_880


def test_every_poem_has_a_title_line_and_verses(corpus_text):
    for poem in poems(corpus_text):
        lines = poem.split("\n")
        title, verses = lines[0], lines[1:]
        rhythmic, sep, author = title.rpartition(" ")
        assert sep and rhythmic and author, f"标题行应为“词牌 作者”：{title!r}"
        assert verses and all(verses), f"应至少有一句、且没有空句：{poem[:40]!r}"


def test_first_and_last_poems(corpus_text):
    first = poems(corpus_text)[0].split("\n")
    assert first[:2] == ["导引 和岘", "气和玉烛，睿化著鸿明。"]
    last_title = poems(corpus_text)[-1].split("\n")[0]
    assert last_title.endswith(("李煜", "李璟"))  # 最后是南唐二主词


def test_small_corpus_is_the_first_thousand_poems(corpus_text):
    """data/ci_small.txt（v10 的“试一试”用）就是 ci.txt 的前 1000 首词，格式相同。"""
    small = (ROOT / "data" / "ci_small.txt").read_text(encoding="utf-8")
    assert poems(small) == poems(corpus_text)[:1000]
