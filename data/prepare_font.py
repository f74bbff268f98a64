"""从文泉驿微米黑（WenQuanYi Micro Hei）里取出语料用到的字，做成 data/fonts/wqy-microhei-ci.ttf。

画注意力热图和学习曲线时，图上要写汉字；新装的机器上常常没有中文字体，matplotlib 会画出一个个方框。
所以仓库自带一份只含语料里的字、画图脚本里的字（再加 ASCII 和常用标点）的子集字体，约 1 MB。
文泉驿微米黑以 Apache-2.0（或 GPL-3+ 加字体例外）发布，子集照样以 Apache-2.0 发布，见 data/fonts/LICENSE。

重新生成（需要 fonttools，装 matplotlib 时已经带上了）：
    apt-get download fonts-wqy-microhei && dpkg -x fonts-wqy-microhei_*.deb wqy
    python data/prepare_font.py wqy/usr/share/fonts/truetype/wqy/wqy-microhei.ttc
原字体缺 21 个很少见的字（扩展 A/B 区，如“𠺕”），这些字在子集里也没有。
"""

import argparse
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

HERE = Path(__file__).resolve().parent
EXTRA = "".join(chr(c) for c in range(0x20, 0x7F)) + "，。、：；！？（）《》“”‘’·—…"
FIGURE_SCRIPTS = ["learners/attention_heatmap.py", "learners/plot_run.py", "learners/watch.html", "maintainers/figures.py"]  # 画图、网页


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ttc", help="wqy-microhei.ttc 的路径")
    parser.add_argument("--out", default=str(HERE / "fonts" / "wqy-microhei-ci.ttf"))
    args = parser.parse_args(argv)
    font = TTCollection(args.ttc).fonts[0]  # 集合里的第一个是微米黑（第二个是等宽的 Mono）
    text = (HERE / "ci.txt").read_text(encoding="utf-8")
    for script in FIGURE_SCRIPTS:  # 图上的标题、坐标轴说明里的字（比如“交叉熵”的“熵”）语料里不一定有
        text += (HERE.parent / script).read_text(encoding="utf-8")
    wanted = sorted(set(text) - {"\n"}) + list(EXTRA)
    cmap = font.getBestCmap()
    missing = [ch for ch in wanted if ord(ch) not in cmap]
    options = subset.Options()
    options.layout_features = []  # 只要字形，不要排版特性
    options.name_IDs = ["*"]  # 保留字体名和版权信息
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(wanted))
    subsetter.subset(font)
    font.save(args.out)
    print(f"{args.out}：{len(wanted) - len(missing)} 个字，{Path(args.out).stat().st_size / 1e6:.2f} MB；原字体缺 {len(missing)} 个：{''.join(missing)}")


if __name__ == "__main__":
    main()
