"""从 npm 包 chinese-poetry@2.0.1 重建 data/ci.txt（宋词 + 南唐二主词）。

用法：
    npm pack chinese-poetry@2.0.1            # 下载约 85 MB 的 tarball（不要提交它）
    tar xzf chinese-poetry-2.0.1.tgz         # 解压出 package/ 目录
    python data/prepare_ci.py package        # 写出 data/ci.txt

格式：每首词先写一行「<词牌> <作者>」，然后 paragraphs 里的每一句各占一行；词与词之间隔一个空行，
文件以一个换行结尾（最后一首词后面没有空行）。
"""

import argparse
import json
import re
import sys
from pathlib import Path


def songci_files(package_dir):
    """按文件名中的数字排序返回 dist/songci/ci.song.<N>.json（不含《宋词三百首》选本，它与全宋词重复）。"""
    folder = Path(package_dir) / "dist" / "songci"
    files = [p for p in folder.glob("ci.song.*.json") if re.fullmatch(r"ci\.song\.\d+\.json", p.name)]
    return sorted(files, key=lambda p: int(p.name.split(".")[2]))


def format_poem(poem):
    """一首词 -> 文本块：标题行，然后每句一行（不含结尾的换行）。"""
    lines = [f"{poem['rhythmic']} {poem['author']}"]
    lines += poem["paragraphs"]
    return "\n".join(lines)


def build(package_dir):
    """返回 (全文, 词的数量)。"""
    poems = []
    files = songci_files(package_dir)
    if not files:
        raise FileNotFoundError(f"在 {package_dir}/dist/songci 下没有找到 ci.song.<N>.json")
    for path in files:
        poems += json.loads(path.read_text(encoding="utf-8"))
    nantang = Path(package_dir) / "dist" / "wudaishici" / "nantang" / "poetrys.json"
    poems += json.loads(nantang.read_text(encoding="utf-8"))
    return "\n\n".join(format_poem(p) for p in poems) + "\n", len(poems)


def main(argv=None):
    parser = argparse.ArgumentParser(description="从 chinese-poetry 包重建 data/ci.txt")
    parser.add_argument("package_dir", help="解压后的 npm 包目录（含 dist/）")
    parser.add_argument("--out", default=str(Path(__file__).resolve().parent / "ci.txt"), help="输出文件")
    args = parser.parse_args(argv)
    try:
        text, n_poems = build(args.package_dir)
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"错误：无法读取 {args.package_dir}：{e}")
    Path(args.out).write_text(text, encoding="utf-8")
    print(f"写出 {args.out}：{n_poems} 首词，{len(text)} 个字符，{len(set(text))} 个不同字符")


if __name__ == "__main__":
    main()
