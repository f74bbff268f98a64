"""只看代码的 diff：相邻两课去掉开头的文档字符串再比，看到的就是这一课的概念，别的一行不差。

    python tools/code_diff.py 7            # v6 -> v7：残差连接的两个 “x +”
    python tools/code_diff.py 6 9          # v6 -> v9：中间三课加在一起
    python tools/code_diff.py 12 --context 0
普通的 diff babygpt_v6_block.py babygpt_v7_residual_connection.py 先列出文档字符串的不同（每课的说明都不一样），
代码的改动要往下翻才看得到；这里只比代码，行号是文件里真正的行号。终端支持颜色时，加的行绿、删的行红。
"""

import argparse
import difflib
import sys

from common import LESSONS, ROOT, code_lines

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"


def code_diff(a, b, context=3):
    """两个文件去掉文档字符串后的 unified diff（一行一个字符串）。行号按文件里的算。"""
    lines_a, lines_b = code_lines(a), code_lines(b)
    offset_a = len((ROOT / a).read_text(encoding="utf-8").splitlines()) - len(lines_a)
    offset_b = len((ROOT / b).read_text(encoding="utf-8").splitlines()) - len(lines_b)
    out = []
    for line in difflib.unified_diff(lines_a, lines_b, a, b, lineterm="", n=context):
        if line.startswith("@@"):  # 把“去掉文档字符串之后的行号”换回文件里的行号
            old, new = line.split()[1:3]
            line = f"@@ {shift(old, offset_a)} {shift(new, offset_b)} @@"
        out.append(line)
    return out


def shift(span, offset):
    """'-12,3' 这样的行号范围加上 offset。"""
    sign, rest = span[0], span[1:]
    start, _, count = rest.partition(",")
    return f"{sign}{int(start) + offset}" + (f",{count}" if count else "")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", type=int, nargs="+", help="一个数 N：比 v(N-1) 和 vN；两个数：比这两课")
    parser.add_argument("--context", type=int, default=3, help="改动前后各带几行没改的代码（默认 3）")
    args = parser.parse_args(argv)
    numbers = [args.lessons[0] - 1, args.lessons[0]] if len(args.lessons) == 1 else args.lessons[:2]
    files = {n: file for n, file, _ in LESSONS}
    if len(args.lessons) > 2 or not all(n in files for n in numbers):
        sys.exit(f"错误：要一课（2 到 12）或两课（1 到 12）的编号，现在是 {' '.join(map(str, args.lessons))}")
    color = sys.stdout.isatty()
    for line in code_diff(files[numbers[0]], files[numbers[1]], args.context):
        if color and line[:1] in "+-" and not line.startswith(("+++", "---")):
            line = f"{GREEN if line[0] == '+' else RED}{line}{RESET}"
        print(line)


if __name__ == "__main__":
    main()
