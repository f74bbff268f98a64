"""README、docs/ 和文档字符串里每一个量出来的数，都是 maintainers/pages.py 从 docs/runs/ 的运行记录写出的：
再写一遍什么都不变，页面就是最新的。这里也查写它们的几个函数（在假的记录上），和几条记录本身说的事。"""

import re
import statistics

import pytest

import course
import page_docstrings
import page_facts
import page_records
import page_tables
import page_words
import pages

ROOT = course.ROOT


def test_running_the_page_writer_changes_nothing():
    """每一张表、每一个数、每一条“试一试”的答案都和运行记录一致：python maintainers/pages.py --write 不会改动任何文件。"""
    assert list(pages.stale()) == []


def test_the_page_writer_rewrites_a_stale_number_and_a_stale_table():
    """页面上一个数、一张表过时了（出处变了，页面没跟着改）：写出来的和页面上的不一样，查得出来。"""
    facts = page_facts.facts()
    text = "验证集损失 <!--cpu_val-->9.9999<!--/-->。\n\n<!-- seeds-table -->\n| 旧表 |\n<!-- /seeds-table -->\n"
    rendered = pages.render_page(text)
    assert f"<!--cpu_val-->{facts['cpu_val']}<!--/-->" in rendered and "9.9999" not in rendered
    assert "| 旧表 |" not in rendered and page_tables.seeds_table() in rendered


class Counting(dict):
    """记下被读过的名字的 facts()。"""

    def __init__(self, values):
        super().__init__(values)
        self.read = set()

    def __getitem__(self, name):
        self.read.add(name)
        return super().__getitem__(name)


def facts_read_while_writing(monkeypatch):
    """把所有页面和文档字符串写一遍（不存），返回 (facts(), 写的时候读过的名字)。"""
    counting = Counting(page_facts.facts())
    for module in (pages, page_tables, page_docstrings):
        monkeypatch.setattr(module, "facts", lambda: counting)
    pages.rendered()
    return counting, counting.read


def test_every_marker_on_the_pages_has_a_writer_and_every_writer_is_used(monkeypatch):
    """页面上的每个标记都有写它的函数；每个函数、每个数都有页面用到（没人引用的数是死代码，或者页面漏了它）。"""
    used_blocks, used_facts = set(), set()
    for page in pages.PAGES:
        text = (ROOT / page).read_text(encoding="utf-8")
        used_blocks |= {m.group(2) for m in page_records.BLOCK.finditer(text)}
        used_facts |= {m.group(2) for m in page_records.INLINE.finditer(text)}
    assert used_blocks == set(page_tables.BLOCKS) | page_tables.HAND_WRITTEN
    assert used_facts <= set(page_facts.facts())
    facts, read = facts_read_while_writing(monkeypatch)
    assert set(facts) - read == set(), "这些数没有一个页面用到"


def test_the_unused_fact_check_can_fail(monkeypatch):
    """多出一个没人引用的数：上面的检查发现得了。"""
    real = page_facts.facts()
    monkeypatch.setattr(page_facts, "facts", lambda: {**real, "nobody_quotes_me": "1"})
    facts, read = facts_read_while_writing(monkeypatch)
    assert set(facts) - read == {"nobody_quotes_me"}


def test_every_lesson_docstring_line_the_writer_owns_is_there():
    """文档字符串里由它写的整行（“默认设置下（”……）每一个都在，而且只有一行。"""
    for file, keyed in page_docstrings.DOC_LINES.items():
        lines = (ROOT / file).read_text(encoding="utf-8").splitlines()
        for start in keyed:
            assert sum(line.startswith(start) for line in lines) == 1, (file, start)


def ladder_run(r, seconds, tokens_per_sec=1000):
    return [{"lesson": n, "r": r, "seconds": s, "curve": [[0, 8.7, 8.7, 0], [4000, 4.5, 4.6, tokens_per_sec]]}
            for n, s in zip((1, 2), seconds)]


def test_repeated_ladder_runs_take_the_median_time_per_run_of_r_and_refuse_different_losses():
    combined = page_records.ladder([ladder_run(40, (100, 10)), ladder_run(50, (90, 200), tokens_per_sec=1200), ladder_run(45, (135, 50))])
    assert combined[0]["r"] == 45  # tokens/s 可以不同
    assert combined[0]["ratio"] == pytest.approx(2.5)  # 每遍先除以同一遍的 R：2.5、1.8、3.0
    assert combined[1]["ratio"] == pytest.approx(statistics.median([10 / 40, 200 / 50, 50 / 45]))
    assert [row["seconds"] for row in combined] == pytest.approx([2.5 * 45, combined[1]["ratio"] * 45])  # 秒数和 R 一起变
    different = ladder_run(45, (100, 100))
    different[1]["curve"][-1][2] = 4.7
    with pytest.raises(AssertionError):
        page_records.ladder([ladder_run(40, (100, 100)), different])


def test_the_ladder_total_is_the_sum_of_its_column():
    table = page_tables.ladder_table().splitlines()
    seconds = [int(line.split("|")[6].strip()[:-1]) for line in table[2:12]]
    assert int(table[-1].split("|")[6].strip()[:-1]) == sum(seconds)


def test_stability_table_subtracts_the_ladders_default_from_each_long_run():
    """训练 4 倍长的表：每一行是一次 16000 步的运行，减去梯子上同一课默认设置的验证集损失；加了参数的另起一行。"""
    rows = [{"lesson": 6, "extra": "--lr_decay_iters 16000", "curve": [[0, 8.7, 8.7, 0], [16000, 6.2, 6.3, 0]]},
            {"lesson": 5, "extra": "", "curve": [[16000, 4.4, 4.5, 0]]}]  # 只改了步数的
    lines = page_tables.stability_table(rows, {5: 4.7, 6: 5.4}).splitlines()
    assert lines[2] == "| v5 | 4.7000 | 4.5000 | 4.4000 | -0.2000 |"
    assert lines[3] == "| v6，`--lr_decay_iters 16000` | 5.4000 | 6.3000 | 6.2000 | +0.9000 |"


def test_summary_and_samples_name_each_model_and_take_a_kept_poem_from_the_longer_one():
    """小表每个模型一行；例子：找得到合格式的就拿它（哪怕是第二个模型的），不合格式的取第一个模型的。"""
    import form_check

    tunes = [("浣溪沙", [(7, 7, 7, 7, 7, 7)])]
    kept = "苏轼\n" + "春江潮水连海平，明月共生往事知。" * 3 + "\n\n"
    broken = "李煜\n春江潮水连海平，明月共生。小楼昨夜又东风，故国。\n\n"

    def result(label, poems, step):
        scored = form_check.score_poems({"浣溪沙": poems}, tunes)
        return {"kind": "checkpoint", "label": label, "step": step, "val_loss": 4.0, "model": scored, "poems": {"浣溪沙": poems},
                "ceiling": {"whole": 0.97, "phrase": 0.99, "distinct": 0.95}, "floor": {"whole": 0.0, "phrase": 0.03, "distinct": 0.87}}

    short, longer = result(None, [broken, broken], 7300), result("同一配方练 29200 步", [broken, kept], 29200)
    lines = page_tables.form_summary([short, longer]).splitlines()
    assert lines[2] == "| 验证集里的真词（天花板） | 0.97 | 0.99 | — | — | 0.95 |"  # 没有平仄、押韵的记录：一横
    assert lines[3].startswith("| README 的 CPU 配方（温度 0.8，训练 7300 步，验证集损失 4.0000） | **0.00** | **0.33** | ")
    assert lines[3].endswith(" | 1.00 |")
    assert lines[4].startswith("| 同一配方练 29200 步（温度 0.8，训练 29200 步，验证集损失 4.0000） | **0.50** | **0.67** | ")
    assert lines[4].endswith(" | 0.67 |")  # 一句重复三遍：不同的字只占 1/3
    assert lines[5].startswith("| 入门脚本数出来的 bigram（地板） |")
    text = page_tables.form_samples([short, longer], tunes)
    assert text.index("同一配方练 29200 步写的，合格式（7 7 7 7 7 7）") < text.index("苏轼")
    assert "README 的 CPU 配方写的，不合格式（第 2 句应是 7 个字，写了 4 个字" in text and "李煜" in text
    assert page_tables.form_samples([short], tunes).count("```") == 2  # 没有合格式的，就只有不合格式的一首


def test_sweep_table_quotes_steps_training_time_loss_form_and_the_whole_command():
    def row(steps, seconds, val, phrase, whole):
        return {"r": 40.0, "seconds": seconds, "wall_seconds": 600.0, "curve": [{"step": steps, "val_loss": val, "whole": whole, "phrase": phrase}]}

    rows = {"基准": row(7300, 440.0, 4.1234, 0.31, 0.05), "更深": row(4000, 430.0, 4.2, 0.25, 0.0),
            "块长128": row(7000, 450.0, 4.1, 0.3, 0.0), "GPU规模": row(20, 400.0, 6.0, 0.01, 0.0)}
    lines = page_tables.sweep_table(rows).splitlines()
    assert lines[2] == "| 基准 | 7300 | 11.0 R | 4.1234 | 0.31 | 0.05 | 约 10 分钟 |"
    assert lines[3] == "| 更深（`--n_layer 8`） | 4000 | 10.8 R | 4.2000 | 0.25 | 0.00 | 约 10 分钟 |"


def test_v11_tries_are_the_sweep_recipes():
    import form_sweep

    commands = [command for _, command in course.exercises("babygpt_v11_hyper_params.py")]
    assert commands == [f"python learners/form_sweep.py --recipes {name}" for name in page_tables.TRY_RECIPES]
    assert set(page_tables.TRY_RECIPES) == set(form_sweep.RECIPES)


def test_the_base_recipe_of_the_sweep_is_the_quick_start_command():
    """v11 比的“基准”就是 README 的 CPU 配方：同样 7300 步，同样的损失（一个配方，一套数）。"""
    base = page_records.sweep()["基准"]
    assert base["curve"][-1]["step"] == 7300
    assert f"{base['curve'][-1]['val_loss']:.4f}" == page_facts.facts()["cpu_val"]


def test_the_resume_try_this_was_walked_like_a_learner():
    """v12 的“试一试”：真的在中途按了 Ctrl-C（退出码 130），运行它打印的命令，最后一行和一口气训练完的逐位相同。"""
    run = page_records.run("cpu_recipe.json")["walked"]
    resumed = run["interrupted"]
    assert resumed["exit_code"] == 130 and 0 < resumed["stopped_at"] < run["curve"][-1][0]
    assert resumed["resume_command"].endswith("--ckpt_path try.pth --resume") and resumed["curve"][-1][:3] == run["curve"][-1][:3]
    commands = [command for _, command in course.exercises("babygpt_v12_wandb.py")]
    assert commands == [resumed["resume_command"].removesuffix(" --resume"), resumed["resume_command"]]  # 两条命令一字不差


def test_every_exercise_in_the_learning_path_is_a_try_this_of_its_station():
    """学习路径表的练习：每一条命令一字不差是那一站文件里的一条“试一试”，答案和用时就在它后面。"""
    rows = page_records.path_rows()
    assert [station for station, _ in rows] == list(course.STATIONS)
    for station, commands in rows:
        tried = [command for _, command in course.exercises(course.STATIONS[station])]
        assert commands and all(command in tried for command in commands), (station, commands)


def test_the_path_minutes_on_the_readme_add_up_to_the_total_it_states():
    """README 学习路径表最后一列的分钟加起来，正好是它说的“全程约几分钟”（读的是页面上的字，不是算它们的秒数）。"""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = page_records.block_of(readme, "learning-path")
    per_station = [int(n) for n in re.findall(r"<!--min_[^>]+-->(\d+)<!--/--> \|$", table, re.M)]
    assert len(per_station) == len(course.STATIONS)
    total = int(re.search(r"全程约 <!--min_total-->(\d+)<!--/--> 分钟", readme).group(1))
    assert sum(per_station) == total
    assert f"<!--min_total-->{total}<!--/--> minutes" in readme  # 英文部分说的是同一个数


def test_what_the_pages_say_in_words_is_what_the_run_files_show():
    """页面上用话说的结论（不是数），在运行记录里也成立：记录重新量过、结论变了，这里会失败，提醒去改那句话。"""
    val = {row["lesson"]: page_records.final(row)[1] for row in page_records.ladder()}
    assert val[4] < val[1] and val[3] > val[1] and val[6] > val[5] and val[7] < min(val[n] for n in range(1, 7))  # README、docs/ladder.md
    assert all(abs(val[n] - val[7]) < 0.1 for n in (8, 9, 10))  # “v8–v10 在这么小的模型上和 v7 差不多”
    sweep = {name: row["curve"][-1] for name, row in page_records.sweep().items()}
    assert sweep["更深"]["val_loss"] > sweep["基准"]["val_loss"] and sweep["更深"]["phrase"] > sweep["基准"]["phrase"]  # docs/form.md
    assert sweep["块长128"]["val_loss"] >= sweep["基准"]["val_loss"] - 0.01 and sweep["块长128"]["phrase"] <= sweep["基准"]["phrase"] + 0.02
    assert sweep["GPU规模"]["val_loss"] > float(page_facts.facts()["bigram_val"]) and all(p["whole"] < 0.05 for p in sweep.values())
    long = page_records.run("form_sweep_long.json")[0]["curve"][-1]
    assert long["phrase"] > sweep["基准"]["phrase"] and long["whole"] > 0  # 练得越久句式越好；整首比逐句难得多
    ends = {row["name"]: row for row in page_records.run("line_ends.json")}
    assert ends["v3"]["recall"] > ends["v1"]["recall"] and ends["v3"]["false_alarm"] < ends["v1"]["false_alarm"]  # docs/form.md
    assert ends["v6"]["false_alarm"] > ends["v5"]["false_alarm"] and ends["v7"]["false_alarm"] < ends["v6"]["false_alarm"]
    for row in page_records.run("stability.json")[0]:  # “训练更久不会发散”：每一次 16000 步都比同一课默认的 4000 步好
        assert page_records.final(row)[1] < val[row["lesson"]], row["lesson"]
    assert all(v[4] < v[1] and v[7] < v[6] for v in page_records.seed_table().values())  # 换种子，结论也不变


def test_the_planted_faults_record_covers_every_fault_and_the_readme_count():
    """docs/runs/faults.json 是 maintainers/plant_faults.py 对现在这张错误表的一次完整运行：每一种都被发现了。"""
    import plant_faults

    rows = page_records.run("faults.json")
    assert [row["fault"] for row in rows] == list(plant_faults.FAULTS)
    assert all(row["caught"] and row["first_failure"] for row in rows)


SAMPLE = ["注意力不除以根号hs"]  # 抽查一种（每一种都在 faults.json 里；这里再种一次，看记录里的那个测试还发现得了）


def test_a_sample_of_planted_faults_is_still_caught_by_the_test_on_record():
    """不只看记录：在仓库的拷贝里再种一次，记录里第一个发现它的测试，没种时通过，种了就失败。"""
    import plant_faults

    recorded = {row["fault"]: row["first_failure"] for row in page_records.run("faults.json")}
    control, caught = plant_faults.caught_again([(fault, recorded[fault]) for fault in SAMPLE])
    assert control and caught == {fault: True for fault in SAMPLE}, caught


def test_minutes_are_said_as_a_learner_reads_them():
    """秒数说成分钟（已知的答案）：范围把最短的往下取整、最长的往上取整，至少差 1 分钟；一次的用时说成约几分钟。"""
    assert page_words.minute_range([480, 530]) == "8 到 9 分钟"
    assert page_words.minute_range([500]) == "8 到 9 分钟"
    assert page_words.minute_range([470, 610]) == "7 到 11 分钟"
    assert page_words.minutes(59) == "不到 1 分钟" and page_words.minutes(89) == "约 1 分钟" and page_words.minutes(91) == "约 2 分钟"


def test_a_try_this_and_its_minutes_come_from_one_record():
    """一条“试一试”的答案和学习路径上它的用时，是同一条记录的同一个秒数。"""
    command = "python babygpt_v1.py --max_iters 1000 --n_embed 16"
    text, seconds = page_words.try_record(command)
    assert seconds == page_records.tries()[command]["seconds"]
    assert page_words.try_answer(command) == f"{text}；{page_words.minutes(seconds)}"
