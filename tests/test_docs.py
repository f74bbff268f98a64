"""README 和 docs/ 的证据页：README 链接每一页，写到的每个相对链接、每个 `python 某某.py` 都真的存在。"""

import re

import pytest

import course

ROOT = course.ROOT
EVIDENCE = ["form.md", "kvcache.md", "ladder.md", "lessons.md", "recipe.md", "v12.md"]
PAGES = [ROOT / "README.md", ROOT / "data" / "README.md", *(ROOT / "docs" / name for name in EVIDENCE)]
LINK = re.compile(r"\]\(([^)\s]+)\)")  # [文字](目标) 和 ![图](目标)
SCRIPT = re.compile(r"python3? (?!-m )([\w./-]+\.py)")  # python 某某.py；python -m pytest 不算


def page_id(page):
    return str(page.relative_to(ROOT))


def test_the_docs_folder_holds_the_evidence_pages_and_the_readme_links_each():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert sorted(path.name for path in (ROOT / "docs").glob("*.md")) == EVIDENCE
    for name in EVIDENCE:
        assert f"(docs/{name})" in readme, f"README 没有链接 docs/{name}"


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_every_relative_link_exists(page):
    text = page.read_text(encoding="utf-8")
    links = [t for t in LINK.findall(text) if not t.startswith(("http://", "https://", "mailto:", "#"))]
    assert links or page.parent.name == "data", f"{page_id(page)} 里一个相对链接都没有？"
    for target in links:
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.exists(), f"{page_id(page)} 链接的 {target} 不存在"


@pytest.mark.parametrize("page", [*PAGES, *(ROOT / "learners").glob("*.py"), *(ROOT / "maintainers").glob("*.py")], ids=page_id)
def test_every_python_command_names_a_script_that_exists(page):
    """页面、工具的说明里让人运行的每一个脚本都在（工具搬过家，旧路径一个也不留）。"""
    scripts = SCRIPT.findall(page.read_text(encoding="utf-8"))
    for script in scripts:
        assert (ROOT / script).is_file(), f"{page_id(page)} 让人运行的 {script} 不存在"


def test_the_link_checks_can_fail():
    """上面两个检查确实会发现坏链接和不存在的脚本。"""
    text = "见 [这页](docs/nope.md)，运行 `python tools/nope.py --x 1`，再 `python -m pytest -q tests`。"
    assert LINK.findall(text) == ["docs/nope.md"]
    assert SCRIPT.findall(text) == ["tools/nope.py"]
    assert not (ROOT / "docs" / "nope.md").exists()


def test_the_readme_tells_learners_what_each_of_their_tools_does():
    """README 的“给学习者的工具”一节：learners/ 里每一个学习者运行的脚本都有一行“想做什么 -> 命令”。"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## 给学习者的工具")[1].split("\n## ")[0]
    helpers = {"course.py", "font.py", "meter.py", "form_poems.py"}  # 别的脚本共用的，不单独运行
    for path in (ROOT / "learners").glob("*.py"):
        if path.name not in helpers:
            assert f"`python learners/{path.name}" in section, path.name
    assert "maintainers/" in section


def test_ci_builds_a_fresh_environment_with_the_readmes_commands_and_runs_its_test_command():
    """.ci/run 像新用户一样：README 第 0 步建虚拟环境的那一行、README 的测试命令，都一字不差地单独成行；
    README 在装依赖之前先说只有 CPU 时先装 CPU 版 torch。"""
    import page_tables

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("<!-- quick-start -->")[1].split("<!-- /quick-start -->")[0]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    for command in (page_tables.VENV, page_tables.TESTS):
        assert command in quick_start.splitlines() and command in ci, command
    assert quick_start.index(page_tables.CPU_TORCH) < quick_start.index("pip install -r requirements.txt")
    assert ci.index(page_tables.VENV) < ci.index(page_tables.TESTS)
    assert "python -m pip" not in "\n".join(ci) and not any(line.startswith("python ") for line in ci)  # 用的是虚拟环境里的
