"""用自己的文本训练：常见的编码、Windows 的换行、没有空行的散文都能用；文件本身有问题时，先说一句是什么问题。

读文本、分验证集的是 scaffold.py 里的 read_text 和 split_text（各测一遍）；入门脚本、一课（v1）和 v12 的 main 各跑一遍。
"""

import codecs

import pytest

import babygpt_v1 as v1
import babygpt_v12_wandb as v12
import scaffold
import simplebigrammodel_with_comments as primer

MODULES = {"primer": primer, "v1": v1, "v12": v12}
ENCODINGS = {  # 文件的字节 -> read_text 应该报告的编码
    "utf-8": (lambda t: t.encode("utf-8"), "UTF-8"),
    "utf-8 with BOM": (lambda t: codecs.BOM_UTF8 + t.encode("utf-8"), "UTF-8"),
    "utf-16 LE with BOM": (lambda t: codecs.BOM_UTF16_LE + t.encode("utf-16-le"), "UTF-16"),
    "utf-16 BE with BOM": (lambda t: codecs.BOM_UTF16_BE + t.encode("utf-16-be"), "UTF-16"),
    "gb18030 (GBK)": (lambda t: t.encode("gb18030"), "GB18030"),
}


@pytest.fixture(scope="module")
def poems(small_corpus):
    return small_corpus.read_text(encoding="utf-8")


@pytest.fixture
def main_args(tmp_path, tiny_args, v12_tiny):
    """main_args(谁, 文件) -> 跑一遍 main 的参数：很小的模型，几步就停。"""

    def args(name, path):
        if name == "primer":
            return ["--data", str(path), "--max_new_tokens", "5"]
        if name == "v12":
            return ["--data", str(path), "--ckpt_path", str(tmp_path / "model.pth"), *v12_tiny]
        return ["--data", str(path), *tiny_args(v1)]

    return args


@pytest.fixture
def run(main_args, capsys, monkeypatch):
    """run(谁, 文件) -> main 打印的内容。"""

    def go(name, path, extra=()):
        monkeypatch.setenv("WANDB_MODE", "disabled")
        MODULES[name].main([*main_args(name, path), *extra])
        return capsys.readouterr().out

    return go


@pytest.fixture
def refusal(main_args, capsys, monkeypatch):
    """refusal(谁, 文件)：main 应当只打印一行错误就退出；返回那一行。提示词故意给一个词表里没有的字：文件的问题要先说。"""

    def go(name, path):
        monkeypatch.setenv("WANDB_MODE", "disabled")
        with pytest.raises(SystemExit) as e:
            MODULES[name].main([*main_args(name, path), "--prompt", "ⓧ"])
        message = str(e.value.code)
        assert message.startswith("错误：") and "\n" not in message.strip() and "提示词" not in message, message
        assert capsys.readouterr().out == ""  # 学习者看到的只有这一行（在 stderr 上）
        return message

    return go


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_read_text_knows_each_encoding_and_drops_the_bom(encoding, poems, tmp_path):
    to_bytes, reported = ENCODINGS[encoding]
    path = tmp_path / "poems.txt"
    path.write_bytes(to_bytes(poems))
    text, used = scaffold.read_text(path)
    assert text == poems and used == reported
    assert "\ufeff" not in text  # BOM 不会变成词表里多出来的一个字


@pytest.mark.parametrize("encoding", ENCODINGS)
def test_windows_line_ends_become_plain_line_ends_in_every_encoding(encoding, poems, tmp_path):
    to_bytes, reported = ENCODINGS[encoding]
    path = tmp_path / "crlf.txt"
    path.write_bytes(to_bytes(poems.replace("\n", "\r\n")))
    text, used = scaffold.read_text(path)
    assert text == poems and "\r" not in text and used == reported


def pieces_text(n_poems, lines_per_poem):
    """n_poems 首“词”，每首 lines_per_poem 行，词与词之间一个空行。"""
    return "\n".join("".join(f"第{i}首第{j}句。\n" for j in range(lines_per_poem)) for i in range(n_poems))


def test_the_split_changes_at_exactly_100_pieces_and_100_lines():
    split_text = scaffold.split_text
    parts, how = split_text(pieces_text(100, 2))  # 100 段：按段分
    assert "每 10 段里的第 10 段" in how and "共 100 段" in how
    assert parts["val"].count("\n\n") == 10 and parts["val"].startswith("第9首第0句。\n第9首第1句。\n\n第19首")
    text = pieces_text(99, 2)  # 99 段、197 行（含空行）：按行分
    parts, how = split_text(text)
    lines = text.splitlines(keepends=True)
    assert "每 10 行里的第 10 行" in how and "只有 99 段" in how and parts["val"] == "".join(lines[9::10])
    text = pieces_text(1, 100)  # 1 段、正好 100 行：按行分
    assert "每 10 行里的第 10 行" in split_text(text)[1]
    text = pieces_text(1, 99)  # 99 行：切成 100 块
    parts, how = split_text(text)
    size = len(text) // 100
    assert "每 10 块里的第 10 块" in how and f"每块 {size} 个字" in how
    assert parts["val"] == "".join(text[i : i + size] for i in range(9 * size, len(text), 10 * size))
    assert len(parts["train"]) + len(parts["val"]) == len(text)


@pytest.mark.parametrize("encoding", ["gb18030 (GBK)", "utf-16 LE with BOM"])
@pytest.mark.parametrize("name", MODULES)
def test_main_trains_on_a_legacy_encoding_and_says_which_in_the_first_line(name, encoding, poems, tmp_path, capsys,
                                                                          monkeypatch, run):
    to_bytes, reported = ENCODINGS[encoding]
    path = tmp_path / "poems.txt"
    path.write_bytes(to_bytes(poems))
    out = run(name, path)
    first = out.splitlines()[0]
    assert first.startswith(f"读入 {path}（{reported}）") and "每 10 段里的第 10 段" in first
    assert "验证集平均负对数似然" in out if name == "primer" else "val loss" in out


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(bytes(range(256)) * 40, id="binary"),
        pytest.param("Café au lait, crème brûlée.\n".encode("latin-1") * 200, id="latin-1"),
        pytest.param("春江花月夜\n".encode("utf-16-le") * 200, id="utf-16 without BOM"),
    ],
)
@pytest.mark.parametrize("name", MODULES)
def test_a_file_in_no_known_encoding_is_named_as_such(name, content, tmp_path, monkeypatch, capsys, refusal):
    path = tmp_path / "mystery.txt"
    path.write_bytes(content)
    message = refusal(name, path)
    assert "不是认得出的文本" in message and "UTF-8" in message and "iconv" in message
    assert "读不到" not in message and "data/ci.txt" not in message  # 文件就在那里，问题是编码


def prose(poems):
    """同样的词，改写成“一段一行、没有空行”：小说和歌词常常是这样的。"""
    return "".join(line + "\n" for line in poems.splitlines() if line)


def test_split_falls_back_to_lines_then_to_chunks_and_loses_nothing(poems):
    text = prose(poems)
    parts, how = scaffold.split_text(text)
    lines = text.splitlines(keepends=True)
    assert "每 10 行里的第 10 行" in how and f"共 {len(lines):,} 行" in how
    assert parts["val"] == "".join(lines[9::10])
    assert len(parts["train"]) + len(parts["val"]) == len(text)
    one_line = text.replace("\n", "")[:5000]
    parts, how = scaffold.split_text(one_line)
    assert "每 10 块里的第 10 块" in how and "每块 50 个字" in how
    assert parts["val"] == "".join(one_line[i : i + 50] for i in range(450, 5000, 500))
    assert len(parts["train"]) + len(parts["val"]) == len(one_line)


@pytest.mark.parametrize("name", MODULES)
def test_prose_without_blank_lines_trains_and_says_which_split(name, poems, tmp_path, capsys, monkeypatch, run):
    path = tmp_path / "prose.txt"
    path.write_text(prose(poems), encoding="utf-8")
    out = run(name, path)
    assert out.splitlines()[0].startswith(f"读入 {path}（UTF-8）；验证集：每 10 行里的第 10 行（用空行隔开的只有 1 段")
    assert "验证集平均负对数似然" in out if name == "primer" else "val loss" in out


@pytest.mark.parametrize("name", MODULES)
def test_empty_tiny_and_directory_data_each_get_one_line_about_the_file(name, tmp_path, monkeypatch, capsys, refusal):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    assert f"训练语料 {empty} 是空的" in refusal(name, empty)
    blank = tmp_path / "blank.txt"
    blank.write_text("\n \n\r\n", encoding="utf-8")
    assert "是空的" in refusal(name, blank)
    tiny = tmp_path / "tiny.txt"
    tiny.write_text("春江潮水连海平，海上明月共潮生。\n", encoding="utf-8")
    message = refusal(name, tiny)
    assert f"{tiny} 只有 17 个字，太少了" in message
    folder = tmp_path / "texts"
    folder.mkdir()
    assert f"{folder} 是一个目录" in refusal(name, folder)


def test_the_reflowed_example_holds_out_the_same_poems_as_the_poem_split(corpus_text):
    """learners/own_text.py 的例子：一首词一行、没有空行。按行分出的验证集正好是按整首词分时的那些词。"""
    import own_text

    text = corpus_text[:30000]
    text = text[: text.rindex("\n\n")]
    prose = own_text.reflow(text)
    assert "\n\n" not in prose and prose.count("\n") == text.count("\n\n") + 1
    by_line, how = scaffold.split_text(prose)
    by_poem, _ = scaffold.split_text(text)
    assert "每 10 行里的第 10 行" in how
    assert by_line["val"] == "".join(p.replace("\n", "") + "\n" for p in by_poem["val"].split("\n\n") if p)
