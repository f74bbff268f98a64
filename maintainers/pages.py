"""写页面的只有它：README、docs/ 和文档字符串里每一个量出来的数，都由它从 docs/runs/ 的运行记录写出。
量具（maintainers/ 的其余脚本、learners/form_check.py、learners/form_sweep.py）只写运行记录，不碰页面。

    python maintainers/pages.py            # 列出和运行记录对不上的地方（tests/test_pages.py 也这样查）
    python maintainers/pages.py --write    # 按运行记录改写它们
它按工作分成几个小模块，每个单独读得懂：
- page_records.py：读运行记录，几遍合成一份（还有 README 手写的学习路径表）；
- page_words.py：把数说成话（分钟、损失、一条“试一试”的答案）；
- page_facts.py：一个数，<!--名字-->…<!--/--> 之间写的 facts()[名字]；
- page_tables.py：一段（表、例子、命令），<!-- 名字 --> 和 <!-- /名字 --> 之间写的 BLOCKS[名字]()；
- page_docstrings.py：文档字符串里“试一试”的答案和 DOC_LINES 的整行；
- 这个文件：整页怎么写、命令行。
"""

import argparse
import sys

from page_records import BLOCK, INLINE  # 先导入它（经由 runs.py）：learners/ 和仓库顶层也就在导入路径上了
from course import ROOT, STATIONS
from page_docstrings import DOC_LINES, render_docstring
from page_facts import facts
from page_tables import BLOCKS, HAND_WRITTEN

PAGES = ["README.md", "data/README.md", "docs/ladder.md", "docs/form.md", "docs/lessons.md", "docs/v12.md", "docs/kvcache.md", "docs/recipe.md"]


def render_page(text):
    """一页 markdown：每一段、每一个数都按运行记录重写。"""
    values = facts()
    text = BLOCK.sub(lambda m: m.group(0) if m.group(2) in HAND_WRITTEN else f"{m.group(1)}{BLOCKS[m.group(2)]()}\n{m.group(4)}", text)
    return INLINE.sub(lambda m: m.group(1) + values[m.group(2)] + m.group(4), text)


def rendered():
    """{文件: 按运行记录写出的全文}：页面和有“试一试”的脚本。"""
    out = {page: render_page((ROOT / page).read_text(encoding="utf-8")) for page in PAGES}
    for file in {*STATIONS.values(), *DOC_LINES}:
        if (ROOT / file).exists():
            out[file] = render_docstring(file, (ROOT / file).read_text(encoding="utf-8"))
    return out


def stale(texts=None):
    """和运行记录对不上的文件：{文件: 应该写成的全文}。"""
    texts = texts or rendered()
    return {file: text for file, text in texts.items() if (ROOT / file).read_text(encoding="utf-8") != text}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="按运行记录改写页面")
    args = parser.parse_args(argv)
    changed = stale()
    for file, text in changed.items():
        if args.write:
            (ROOT / file).write_text(text, encoding="utf-8")
        print(f"{'已改写' if args.write else '和运行记录对不上'}：{file}")
    print("页面都是最新的" if not changed else f"{len(changed)} 个文件{'已改写' if args.write else '过时了'}")
    return 0 if args.write or not changed else 1


if __name__ == "__main__":
    sys.exit(main())
