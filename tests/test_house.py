"""仓库的样子：每个顶层脚本只 import 脚手架 scaffold.py（不 import 别的课），scaffold 不 import 项目里的任何东西；
tools/ 之间的 import 没有循环；requirements.txt 里提到的文件都在；每一课一次读得完（行数有上限）。"""

import ast
import re
import sys

import pytest

from conftest import LESSONS, ROOT

SCRIPTS = [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"]
OUTSIDE = {"torch", "wandb"}  # 十二课和采样器只用标准库、torch，v12 另外用 wandb；入门脚本只用标准库


def imported_modules(path):
    """文件里每一处 import（包括函数里面的）导入的顶层模块名。"""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." if node.level else node.module.split(".")[0])
    return names


@pytest.mark.parametrize("name", [*SCRIPTS, "scaffold"])
def test_every_script_imports_the_scaffold_and_nothing_else_from_the_project(name):
    path = ROOT / f"{name}.py"
    modules = imported_modules(path)
    foreign = {m for m in modules if m not in sys.stdlib_module_names and m not in OUTSIDE}
    assert foreign == ({"scaffold"} if name != "scaffold" else set()), f"{name} 导入了 {foreign}：只能从 scaffold.py 取"
    source = path.read_text(encoding="utf-8")
    assert "sys.path" not in source and "importlib" not in modules and "__import__" not in source
    if name == "simplebigrammodel_with_comments":
        assert not modules & OUTSIDE  # 入门脚本只用标准库


def test_the_primer_runs_without_torch():
    """入门脚本只用标准库：导入它（连同 scaffold.py）不会把 torch 带进来。"""
    import subprocess

    code = "import sys, simplebigrammodel_with_comments; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


CAPS = {"babygpt_v1": 240, "babygpt_v12_wandb": 520, "babygpt_sample_with_kvcache": 520, "scaffold": 300}


@pytest.mark.parametrize("name", [*SCRIPTS[:-1], "scaffold"])
def test_a_lesson_is_read_in_one_sitting(name):
    """行数（wc -l）的上限：v1 240，v2–v11 320，v12 和采样器 520，脚手架 300；文档字符串不超过 25 行。"""
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= CAPS.get(name, 320)
    if name.startswith("babygpt_v"):
        assert ast.parse(source).body[0].end_lineno <= 25


def test_the_import_check_can_fail(tmp_path):
    """上面的检查认得出“一课 import 另一课”，函数里面的也算。"""
    path = tmp_path / "lesson.py"
    path.write_text("import torch\n\ndef f():\n    from babygpt_v4_multihead_attention import Head\n", encoding="utf-8")
    assert imported_modules(path) == {"torch", "babygpt_v4_multihead_attention"}


def tool_imports():
    """{tools/ 里的模块: 它导入的 tools/ 里的其他模块}（函数里面的 import 也算）。"""
    tools = {path.stem: path for path in (ROOT / "tools").glob("*.py")}
    return {name: imported_modules(path) & tools.keys() for name, path in tools.items()}


def cycles(graph):
    """有向图里的环：[[a, b, …, a]]。"""
    found, state = [], {}

    def visit(node, path):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                found.append(path[path.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, path + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return found


def test_tools_import_each_other_one_way_only():
    graph = tool_imports()
    assert not cycles(graph), cycles(graph)
    assert graph["common"] == set()  # 大家共用的东西不依赖任何别的工具
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]  # 这个检查认得出环


def test_tests_folder_holds_only_what_pytest_collects():
    odd = [p.name for p in (ROOT / "tests").glob("*.py") if not re.fullmatch(r"test_\w+\.py|conftest\.py", p.name)]
    assert not odd, f"这些脚本应该放进 tools/：{odd}"


def test_requirements_comments_name_files_that_exist():
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    named = re.findall(r"[\w/]+\.py\b", text)
    assert named, "requirements.txt 应该说每个依赖是谁用的"
    for path in named:
        assert (ROOT / path).is_file(), f"requirements.txt 提到的 {path} 不存在"


def test_every_planted_fault_can_still_be_planted(tmp_path):
    """tools/plant_faults.py 的每一种错误：原文在每个文件里正好出现一次，种下去文件真的变了。"""
    import plant_faults

    file, test = plant_faults.ABOUT_THIS_TOOL.split("::")  # 工具跳过的就是这个测试：改了名字，跳过就落空
    assert file == "tests/test_house.py" and test == sys._getframe().f_code.co_name
    for name, (files, replacements) in plant_faults.FAULTS.items():
        assert plant_faults.check(name) == [], name
        assert all(old != new for old, new in replacements), name
