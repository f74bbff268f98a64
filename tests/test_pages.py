"""README、docs/ 和文档字符串里的数，每一个都和 docs/runs/ 里的运行记录一致。

表和“试一试”的注释：从运行记录重新生成一遍，必须逐字相同（写它们的就是同一个函数，它读的是记录，不是页面）；
散在句子里的数（CPU 配方的损失和用时、参数个数、缓存的加速、梯子的 R）：tools/quotes.py 按出处查。
"""

import json
import re

import pytest

import benchmark_lessons as bench
import form_check
import form_sweep
import line_ends
import quotes
from common import ROOT, read_table

RUNS = ROOT / "docs" / "runs"


def load(name):
    return json.loads((RUNS / name).read_text(encoding="utf-8"))


def test_every_quoted_number_matches_its_run_file():
    assert quotes.stale() == []


def test_the_quote_check_can_fail():
    wrong = {**quotes.facts(), "cpu_val": "9.9999"}  # 出处变了，页面没跟着改：查得出来
    assert any(want == "9.9999" for _, _, want, _ in quotes.stale(wrong))


def test_the_ladder_table_and_the_docstrings_come_from_the_three_ladder_runs():
    runs = load("ladder.json")
    assert len(runs) == 3 and all([row["lesson"] for row in run] == list(range(1, 11)) for run in runs)
    rows = bench.median_of_runs(runs)
    assert read_table("ladder-table") == bench.table_markdown(rows)
    for row in rows:
        _, train, val, _ = row["curve"][-1]
        doc = (ROOT / row["file"]).read_text(encoding="utf-8")
        assert (f"默认设置下（2 核 CPU，约 {row['seconds']:.0f} 秒，{row['ratio']:.1f} R）："
                f"验证集损失 {val:.4f}，训练损失 {train:.4f}") in doc, row["file"]
    total = read_table("ladder-table").splitlines()[-1].split("|")
    seconds = [int(line.split("|")[6].strip()[:-1]) for line in read_table("ladder-table").splitlines()[2:12]]
    assert int(total[6].strip()[:-1]) == sum(seconds)  # 合计就是这一列的和


def expected_comment(file, command):
    """一条“试一试”后面应该写的注释：按写它的工具，从它的运行记录里生成。"""
    by = bench.written_by(command)
    if by == "form_sweep":
        rows = [row for path in sorted(RUNS.glob("form_sweep_*.json")) for row in load(path.name)]
        row = next(row for row in rows if not form_sweep.longer(row) and command.endswith(f"--recipes {row['label']}"))
        return form_sweep.try_comment(row)
    if by == "cpu_recipe":
        return bench.describe_resume(load("cpu_recipe.json")["walked"], command)
    row = next((row for row in load("tries.json")[0] if row["file"] == file and row["try"] == command), None)
    assert row is not None, f"{file} 的“{command}”还没有量过：python tools/benchmark_lessons.py --tries"
    return bench.describe(row)


@pytest.mark.parametrize("file", bench.STATIONS)
def test_every_try_this_line_carries_the_numbers_of_its_run(file):
    found = bench.tries(file)
    assert found, f"{file} 的文档字符串里没有“试一试”"
    for line, command in found:
        assert line.split("  # ", 1)[1] == expected_comment(file, command), line


def test_the_resume_try_this_was_walked_like_a_learner():
    """v12 的“试一试”：真的在中途按了 Ctrl-C（退出码 130），运行它打印的命令，最后一行和一口气训练完的逐位相同。"""
    run = load("cpu_recipe.json")["walked"]
    resumed = run["interrupted"]
    assert resumed["exit_code"] == 130 and 0 < resumed["stopped_at"] < run["curve"][-1][0]
    assert resumed["resume_command"].endswith("--resume") and resumed["curve"][-1][:3] == run["curve"][-1][:3]


def test_seeds_and_stability_tables_are_their_run_files():
    assert read_table("seeds-table") == bench.seeds_markdown(load("seeds.json")[0])
    assert read_table("stability-table") == bench.stability_markdown(load("stability.json")[0], bench.ladder_defaults())


def test_the_line_ends_table_is_its_run_file_and_its_losses_are_the_ladders():
    """docs/form.md 说断句表的损失和梯子表逐位相同：是同一种训练，读的是同一批数。"""
    rows = load("line_ends.json")
    assert read_table("line-ends-table") == line_ends.line_ends_table(rows)
    ladder = bench.ladder_defaults()
    assert [row["lesson"] for row in rows[1:]] == list(range(1, 11))
    assert all(f"{row['val_loss']:.4f}" == f"{ladder[row['lesson']][0]:.4f}" for row in rows[1:])
    assert read_table("ladder-table") == line_ends.with_line_ends(read_table("ladder-table"), line_ends.line_end_cells(rows))


def test_the_form_tables_and_samples_are_the_form_checks():
    results = [load("form_check.json"), load("form_check_long.json")]
    tunes = form_check.checked_tunes(form_check.load_tunes())
    assert read_table("form-table") == form_check.form_table(results[0])
    assert read_table("form-summary") == form_check.form_summary(results)
    assert read_table("form-samples") == form_check.samples(results, tunes)
    assert f"{results[0]['val_loss']:.4f}" == quotes.facts()["cpu_val"]  # README 的模型：快速开始那条命令训练出的


def test_the_attention_reading_is_the_heatmaps_try_this():
    row = next(row for row in load("tries.json")[0] if row["try"] == "python tools/attention_heatmap.py")
    assert bench.describe_numbers(row) in read_table("attention-reading")


STATION_FILES = {"0 入门": "simplebigrammodel_with_comments.py", **{f"v{n}": file for n, file, _ in bench.LESSONS},
                 "采样器": "babygpt_sample_with_kvcache.py", "看注意力": "tools/attention_heatmap.py", "格律": "tools/form_check.py"}


def test_every_exercise_in_the_learning_path_is_a_try_this_of_its_station():
    """学习路径表的最后一列：每一条命令一字不差是那一站文件里的一条“试一试”，答案就在它后面。"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## 学习路径")[1].split("\n\n")[2].splitlines()[2:]
    stations = {}
    for line in table:
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        stations[cells[0]] = re.findall(r"`(python [^`]+)`", cells[-1])
    assert set(stations) == set(STATION_FILES)
    for station, commands in stations.items():
        tried = [command for _, command in bench.tries(STATION_FILES[station])]
        assert commands and all(command in tried for command in commands), (station, commands)


def test_the_planted_faults_run_covers_every_fault_and_each_was_caught():
    """README 说每一种种下的错误都被测试发现了：docs/runs/faults.json 是 tools/plant_faults.py 对现在这张错误表的一次运行。"""
    import plant_faults

    rows = load("faults.json")
    assert [row["fault"] for row in rows] == list(plant_faults.FAULTS)
    assert all(row["caught"] and row["first_failure"] for row in rows)
    assert f"; {len(rows)} in all)" in (ROOT / "README.md").read_text(encoding="utf-8")
