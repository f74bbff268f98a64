"""README 和 docs/ 的证据页：写到的每个相对链接、每个 `python 某某.py` 都真的存在；每张表只在一页里。"""

import re

import pytest

import benchmark_lessons
import common
from conftest import ROOT

PAGES = [ROOT / "README.md", ROOT / "data" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")  # [文字](目标) 和 ![图](目标)
SCRIPT = re.compile(r"python3? (?!-m )([\w./-]+\.py)")  # python 某某.py；python -m pytest 不算


def page_id(page):
    return str(page.relative_to(ROOT))


def test_the_docs_folder_has_evidence_pages_that_the_readme_links():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert len(pages) >= 4
    for page in pages:
        assert f"(docs/{page.name})" in readme, f"README 没有链接 docs/{page.name}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_exists(page):
    text = page.read_text(encoding="utf-8")
    links = [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:", "#"))]
    assert links or page.parent.name == "data", f"{page_id(page)} 里一个相对链接都没有？"
    for target in links:
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page_id(page)} 链接的 {target} 不存在"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_python_command_names_a_script_that_exists(page):
    scripts = SCRIPT.findall(page.read_text(encoding="utf-8"))
    for script in scripts:
        assert (ROOT / script).is_file(), f"{page_id(page)} 让人运行的 {script} 不存在"


def test_the_link_checks_can_fail(tmp_path):
    """上面两个检查确实会发现坏链接和不存在的脚本。"""
    text = "见 [这页](docs/nope.md)，运行 `python tools/nope.py --x 1`，再 `python -m pytest -q tests`。"
    assert LINK.findall(text) == ["docs/nope.md"]
    assert SCRIPT.findall(text) == ["tools/nope.py"]
    assert not (ROOT / "docs" / "nope.md").exists()


@pytest.mark.parametrize("name", ["ladder-table", "seeds-table", "stability-table"])
def test_each_table_the_benchmark_writes_sits_in_exactly_one_page(name):
    holders = [p for p in common.PAGES if f"<!-- {name} -->" in p.read_text(encoding="utf-8")]
    assert len(holders) == 1, (name, holders)
    assert f"<!-- /{name} -->" in holders[0].read_text(encoding="utf-8")


def test_write_table_writes_into_the_page_that_holds_the_table_and_regenerates_byte_identical(tmp_path, monkeypatch):
    readme, page = tmp_path / "README.md", tmp_path / "evidence.md"
    readme.write_text("# 标题\n\n<!-- a-table -->\n旧\n<!-- /a-table -->\n", encoding="utf-8")
    page.write_text("前\n<!-- b-table -->\n旧的表\n<!-- /b-table -->\n后\n", encoding="utf-8")
    monkeypatch.setattr(common, "PAGES", [readme, page])
    common.write_table("b-table", "| 新 |")
    assert page.read_text(encoding="utf-8") == "前\n<!-- b-table -->\n| 新 |\n<!-- /b-table -->\n后\n"
    assert readme.read_text(encoding="utf-8").count("旧") == 1  # 另一页不动
    before = page.read_bytes()
    common.write_table("b-table", "| 新 |")  # 同样的结果再写一遍：逐字节相同
    assert page.read_bytes() == before
    with pytest.raises(AssertionError):
        common.write_table("c-table", "| 没有这张表 |")


def test_with_line_ends_adds_the_column_once_and_replaces_it_on_a_second_write():
    table = "| 课 | 损失 |\n|---|---:|\n| `babygpt_v1.py` | 4.87 |\n| 合计（v1–v10） | |"
    once = benchmark_lessons.with_line_ends(table, {"babygpt_v1.py": "0.80 / 0.41"})
    assert once.splitlines()[0] == "| 课 | 损失 | 断句：猜中 / 误报 |"
    assert once.splitlines()[2] == "| `babygpt_v1.py` | 4.87 | 0.80 / 0.41 |" and once.splitlines()[3].endswith("| |")
    assert benchmark_lessons.with_line_ends(once, {"babygpt_v1.py": "0.9 / 0.1"}) == benchmark_lessons.with_line_ends(
        table, {"babygpt_v1.py": "0.9 / 0.1"})


def test_the_ladder_tables_line_end_column_is_the_saved_run():
    saved = benchmark_lessons.load_line_ends()
    table = common.read_table("ladder-table")
    assert saved and benchmark_lessons.with_line_ends(table, saved) == table
    for file, cell in saved.items():
        assert f"| `{file}` |" in table and f"| {cell} |" in table
