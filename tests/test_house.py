"""仓库的样子：顶层只有该有的文件；每个顶层脚本只 import 脚手架 scaffold.py（不 import 别的课），scaffold 不 import
项目里的任何东西；learners/ 不 import maintainers/，两个文件夹里的 import 都没有环；每一课一次读得完（行数有上限）；
测试文件之间互不导入；requirements.txt 里提到的文件都在。"""

import ast
import re
import subprocess
import sys

import pytest

import course

ROOT = course.ROOT
LESSONS = [file[:-3] for _, file, _ in course.LESSONS]
SCRIPTS = [*LESSONS, "babygpt_sample_with_kvcache", "simplebigrammodel_with_comments"]
OUTSIDE = {"torch", "wandb"}  # 十二课和采样器只用标准库、torch，v12 另外用 wandb；入门脚本只用标准库
TOP_LEVEL = {*(f"{name}.py" for name in SCRIPTS), "scaffold.py", "data", "docs", "tests", "learners", "maintainers",
             "README.md", "requirements.txt", ".ci", ".gitignore", "LICENSE"}


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


def top_level_of_the_course(root=ROOT):
    """课程顶层的文件和文件夹：git 的克隆里问 git；下载的压缩包里没有 .git，就按 .gitignore 走一遍目录
    （训练出的 model.pth、wandb/、虚拟环境……都不算）。列文件的是 maintainers/plant_faults.py，拷贝仓库也用它。"""
    import plant_faults

    return {path.split("/")[0] for path in plant_faults.files_of_the_course(root)}


def test_the_top_level_holds_the_course_and_nothing_else():
    """顶层：十二课、入门脚本、采样器、scaffold.py、几个文件夹和 README 这几个文件。"""
    top = top_level_of_the_course()
    assert top <= TOP_LEVEL, top - TOP_LEVEL
    assert {"README.md", "scaffold.py", "babygpt_v1.py", "tests"} <= top


def test_the_top_level_check_works_without_git(tmp_path):
    """下载的压缩包里（没有 .git）也查得了：多出来的文件照样被发现，忽略的文件不算。"""
    (tmp_path / ".gitignore").write_text((ROOT / ".gitignore").read_text(encoding="utf-8"), encoding="utf-8")
    for name in {*TOP_LEVEL, "stray.py", "model.pth", "wandb", ".pytest_cache"} - {".gitignore"}:
        if "." in name[1:]:
            (tmp_path / name).touch()
        else:  # 文件夹里放一个文件：列出来的是文件
            (tmp_path / name).mkdir()
            (tmp_path / name / "x.txt").touch()
    assert top_level_of_the_course(tmp_path) == {*TOP_LEVEL, "stray.py"}


@pytest.mark.parametrize("name", [*SCRIPTS, "scaffold"])
def test_every_script_imports_the_scaffold_and_nothing_else_from_the_project(name):
    path = ROOT / f"{name}.py"
    modules = imported_modules(path)
    allowed = OUTSIDE | ({"numpy"} if name == "scaffold" else set())  # 脚手架用 numpy 映射编码好的语料文件
    foreign = {m for m in modules if m not in sys.stdlib_module_names and m not in allowed}
    assert foreign == ({"scaffold"} if name != "scaffold" else set()), f"{name} 导入了 {foreign}：只能从 scaffold.py 取"
    source = path.read_text(encoding="utf-8")
    assert "sys.path" not in source and "importlib" not in modules and "__import__" not in source
    if name == "simplebigrammodel_with_comments":
        assert not modules & OUTSIDE  # 入门脚本只用标准库


def test_the_import_check_can_fail(tmp_path):
    """上面的检查认得出“一课 import 另一课”，函数里面的也算。"""
    path = tmp_path / "lesson.py"
    path.write_text("import torch\n\ndef f():\n    from babygpt_v4_multihead_attention import Head\n", encoding="utf-8")
    assert imported_modules(path) == {"torch", "babygpt_v4_multihead_attention"}


def test_the_primer_runs_without_torch():
    """入门脚本只用标准库：导入它（连同 scaffold.py）不会把 torch 带进来。"""
    code = "import sys, simplebigrammodel_with_comments; sys.exit('torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], cwd=ROOT).returncode == 0


# 脚手架 380：v12 的语料文件和 torchrun 的进程组（第 6 节，约 150 行）是杂事，写在这里，v12 才读得完
CAPS = {"babygpt_v1": 240, "babygpt_v12_wandb": 560, "babygpt_sample_with_kvcache": 560, "scaffold": 380}


@pytest.mark.parametrize("name", [*SCRIPTS[:-1], "scaffold"])
def test_a_lesson_is_read_in_one_sitting(name):
    """行数（wc -l）的上限：v1 240，v2–v11 320，v12 和采样器 560，脚手架 380。"""
    source = (ROOT / f"{name}.py").read_text(encoding="utf-8")
    assert len(source.splitlines()) <= CAPS.get(name, 320)


def folder_imports(folder):
    """{文件夹里的模块: 它导入的同一文件夹里的其他模块}（函数里面的 import 也算）。"""
    modules = {path.stem: path for path in (ROOT / folder).glob("*.py")}
    return {name: imported_modules(path) & modules.keys() for name, path in modules.items()}


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


@pytest.mark.parametrize("folder", ["learners", "maintainers"])
def test_tools_import_each_other_one_way_only(folder):
    graph = folder_imports(folder)
    assert not cycles(graph), cycles(graph)
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == [["a", "b", "c", "a"]]  # 这个检查认得出环


def test_learners_tools_do_not_need_the_maintainers_folder():
    """学习者的工具只用 learners/ 和课程；维护者的量具可以用学习者的工具，反过来不行。"""
    maintainers = {path.stem for path in (ROOT / "maintainers").glob("*.py")}
    for path in (ROOT / "learners").glob("*.py"):
        assert not imported_modules(path) & maintainers, path.name


def test_tests_folder_holds_only_what_pytest_collects_and_no_test_imports_another():
    odd = [p.name for p in (ROOT / "tests").glob("*.py") if not re.fullmatch(r"test_\w+\.py|conftest\.py", p.name)]
    assert not odd, f"这些脚本应该放进 learners/ 或 maintainers/：{odd}"
    tests = {p.stem for p in (ROOT / "tests").glob("*.py")}
    for path in (ROOT / "tests").glob("test_*.py"):
        assert not imported_modules(path) & tests, f"{path.name} 导入了别的测试：共用的东西放进 conftest 的 fixture"


def test_requirements_comments_name_files_that_exist():
    text = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    named = re.findall(r"[\w/]+\.py\b", text)
    assert named, "requirements.txt 应该说每个依赖是谁用的"
    for path in named:
        assert (ROOT / path).is_file(), f"requirements.txt 提到的 {path} 不存在"


def test_the_readme_asks_for_the_torch_that_requirements_allow():
    """README 和 requirements.txt 的注释里让学习者装的 torch 范围，就是 requirements.txt 要的那个。"""
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    wanted = re.search(r"^torch(\S+)", requirements, re.M).group(1)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert set(re.findall(r'"torch([^"]+)"', readme + requirements)) == {wanted}
    assert not re.search(r"pip install torch\b", readme + requirements)  # 不带范围的 torch 会装上别的版本


def test_every_planted_fault_can_still_be_planted():
    """maintainers/plant_faults.py 的每一种错误：原文在每个文件里正好出现一次，种下去文件真的变了。"""
    import plant_faults

    assert plant_faults.ABOUT_THIS_TOOL == "tests/test_house.py::test_every_planted_fault_can_still_be_planted"
    for name, (files, replacements) in plant_faults.FAULTS.items():
        assert plant_faults.check(name) == [], name
        assert all(old != new for old, new in replacements), name
