"""用自己的文本训练，量一个例子：把宋词改写成“散文”，存成 Windows 的记事本常见的样子，再用 v1 的默认设置训练。

    python learners/own_text.py                 # 写出 own_text_example.txt，再运行 babygpt_v1.py --data 它（2 核 CPU 约一分半钟）
    python learners/own_text.py --lesson 4      # 换一课

改写的方式：每首词的标题和正文接成一行，词与词之间不空行（小说、歌词常常就是一段一行、没有空行），
用 GB18030 编码、\\r\\n 换行保存。读进来以后编码和换行都还原，按行分验证集：一首词一行，每 10 行里的第 10 行
正好是按整首词分时的那些词，所以验证集损失可以直接和梯子表里的比。
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from course import LESSONS, ROOT

import scaffold  # noqa: E402  course 把仓库顶层加进了导入路径

STEP_LINE = re.compile(r"step (\d+)/\d+: train loss ([\d.]+), val loss ([\d.]+)")

def reflow(text):
    """一首词一行：标题和正文之间、句与句之间的换行去掉，词与词之间的空行变成一个换行。"""
    return "".join(poem.replace("\n", "") + "\n" for poem in text.strip("\n").split("\n\n"))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lesson", type=int, default=1, help="用哪一课训练（默认 1）")
    parser.add_argument("--out", default="own_text_example.txt", help="改写后的文件写到这里")
    parser.add_argument("--json", help="把量出的数另存为 JSON（docs/runs/own_text.json 是 data/README.md 用的那一份）")
    args = parser.parse_args(argv)

    text, _ = scaffold.read_text(scaffold.DEFAULT_DATA)
    prose = reflow(text)
    Path(args.out).write_bytes(prose.replace("\n", "\r\n").encode("gb18030"))
    print(f"写出 {args.out}：{prose.count(chr(10)):,} 行，没有空行，GB18030 编码，\\r\\n 换行")
    file = LESSONS[args.lesson - 1][1]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, str(ROOT / file), "--data", args.out], capture_output=True, text=True, env=env)
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(proc.stderr.strip())
    lines = proc.stdout.splitlines()
    vocab = re.search(r"词表 ([\d,]+) 字", proc.stdout).group(1)
    steps = STEP_LINE.findall(proc.stdout)
    print(f"python {file} --data {args.out} 打印的前两行：\n  {lines[0]}\n  {lines[1]}")
    print(f"词表 {vocab} 字；{lines[2]}")
    print(f"第 {steps[0][0]} 步：验证集损失 {steps[0][2]}；第 {steps[-1][0]} 步：验证集损失 {steps[-1][2]}，训练损失 {steps[-1][1]}；"
          f"用时 {seconds:.0f} 秒")
    if args.json:
        result = {"lesson": args.lesson, "first_line": lines[0], "vocab": int(vocab.replace(",", "")), "seconds": seconds,
                  "curve": [[int(s), float(train), float(val)] for s, train, val in steps]}
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
