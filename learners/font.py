"""画图用的中文字体：仓库自带的 data/fonts/wqy-microhei-ci.ttf（一个子集），新装的机器上汉字也不会变成方框。"""

from pathlib import Path

FONT = Path(__file__).resolve().parent.parent / "data" / "fonts" / "wqy-microhei-ci.ttf"


def use_cjk_font():
    """让 matplotlib 用这个字体，不开窗口（Agg）。返回字体里有的字：画图前可以查一句话里的字都在不在。"""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from fontTools.ttLib import TTFont
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(FONT))
    plt.rcParams["font.family"] = font_manager.FontProperties(fname=str(FONT)).get_name()
    plt.rcParams["axes.unicode_minus"] = False  # 这个字体里没有 Unicode 的负号
    return {chr(c) for c in TTFont(str(FONT)).getBestCmap()}
