"""只看代码的 diff：相邻两课去掉开头的文档字符串再比，看到的就是这一课的概念，别的一行不差。

    python learners/code_diff.py 7            # v6 -> v7：残差连接的两个 “x +”
    python learners/code_diff.py 6 9          # v6 -> v9：中间三课加在一起
    python learners/code_diff.py sampler      # v12 -> 采样器：同名的几个类，加了 KV 缓存的地方
    python learners/code_diff.py 12 --context 0
普通的 diff babygpt_v6_block.py babygpt_v7_residual_connection.py 先列出文档字符串的不同（每课的说明都不一样），
代码的改动要往下翻才看得到；这里只比代码，行号是文件里真正的行号。终端支持颜色时，加的行绿、删的行红。
"""

import argparse
import ast
import difflib
import sys

from course import LESSONS, PRIMER, ROOT, SAMPLER

GREEN, RED, RESET = "\033[32m", "\033[31m", "\033[0m"
NO_STEP_BEFORE_V1 = (f"v1 之前没有可比的一课：入门脚本 {PRIMER} 用数数做 bigram（纯 Python），v1 用 torch 学同一张概率表，"
                     "两份代码没有一行相同。从头读 babygpt_v1.py，它就是之后每一课的底子。")


def code_lines(file):
    """去掉模块开头的文档字符串之后的代码行（文档字符串每课都不同，不算在概念的 diff 里）。"""
    source = (ROOT / file).read_text(encoding="utf-8")
    return source.splitlines()[ast.parse(source).body[0].end_lineno :]


def diff_size(a, b):
    """两课的代码之间改动了多少行（加的行 + 删的行，不含文档字符串）。"""
    diff = difflib.unified_diff(code_lines(a), code_lines(b), lineterm="", n=0)
    return sum(1 for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---")))


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


def classes(file):
    """{类名: (开头的行号, 源代码的行)}，按文件里的顺序。"""
    source = (ROOT / file).read_text(encoding="utf-8")
    lines = source.splitlines()
    return {node.name: (node.lineno, lines[node.lineno - 1 : node.end_lineno])
            for node in ast.parse(source).body if isinstance(node, ast.ClassDef)}


def sampler_diff(context=3):
    """v12 -> 采样器：两边都有的类（Head、MultiHeadAttention、FeedForward、Block、BabyGPT）逐个比。
    采样器不训练，训练的代码它都没有；它新加的 LayerCache、格律那一节，直接读采样器。"""
    before, after = classes(LESSONS[-1][1]), classes(SAMPLER)
    out = []
    for name in ("Head", "MultiHeadAttention", "FeedForward", "Block", "BabyGPT"):  # 采样器的 Config 是它自己的命令行，不是模型
        (start_a, a), (start_b, b) = before[name], after[name]
        for line in difflib.unified_diff(a, b, f"{LESSONS[-1][1]} {name}", f"{SAMPLER} {name}", lineterm="", n=context):
            if line.startswith("@@"):
                old, new = line.split()[1:3]
                line = f"@@ {shift(old, start_a - 1)} {shift(new, start_b - 1)} @@"
            out.append(line)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="+", help="一个数 N：比 v(N-1) 和 vN；两个数：比这两课；sampler：比 v12 和采样器")
    parser.add_argument("--context", type=int, default=3, help="改动前后各带几行没改的代码（默认 3）")
    args = parser.parse_args(argv)
    files = {str(n): file for n, file, _ in LESSONS}
    if args.lessons == ["sampler"]:
        lines = sampler_diff(args.context)
    elif args.lessons == ["1"]:
        lines = [NO_STEP_BEFORE_V1]
    else:
        numbers = [str(int(args.lessons[0]) - 1), args.lessons[0]] if len(args.lessons) == 1 and args.lessons[0].isdigit() \
            else args.lessons[:2]
        if len(args.lessons) > 2 or not all(n in files for n in numbers):
            sys.exit(f"错误：要一课（2 到 12）、两课（1 到 12）的编号，或者 sampler；现在是 {' '.join(args.lessons)}")
        lines = code_diff(files[numbers[0]], files[numbers[1]], args.context)
    color = sys.stdout.isatty()
    for line in lines:
        if color and line[:1] in "+-" and not line.startswith(("+++", "---")):
            line = f"{GREEN if line[0] == '+' else RED}{line}{RESET}"
        print(line)


if __name__ == "__main__":
    main()
