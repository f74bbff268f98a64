"""docs/ 里的五张图，都从运行记录或检查点画出：
- docs/ladder.png：十课的验证集损失曲线（docs/runs/ladder.json 的第一遍）；
- docs/form_emergence.png：格律和验证集损失随训练时间（R）的变化（docs/runs/form_sweep.json、form_sweep_long.json）；
- docs/attention.png：快速开始训练出的模型（model.pth）读一句词时每个头的注意力（learners/attention_heatmap.py 画的那张）；
- docs/watch.png：同一个模型从头写一首的网页（learners/watch.py），在真的浏览器里点开一个逗号，截图；
- docs/meter.png：平仄和押韵，真词、CPU 配方（不约束、--tune）和 bigram 并排（docs/runs/form_check.json、tune_check.json）。

    python maintainers/figures.py                 # 五张都画（watch 要 Debian 的 chromium、chromium-driver 和 selenium）
    python maintainers/figures.py --only ladder   # 只画一张：ladder、form、attention、watch、meter
"""

import argparse
import shutil
import tempfile
from pathlib import Path

from runs import ROOT, load_run, r_per_step
from font import use_cjk_font

import attention_heatmap  # noqa: E402  learners/ 里的脚本
import watch  # noqa: E402


def ladder(out):
    """十课的验证集损失曲线画在一张图上（第 0 步都是 ln V，略去，纵轴才看得清）。"""
    use_cjk_font()
    import matplotlib.pyplot as plt

    rows = load_run("ladder.json")[0]
    fig, ax = plt.subplots(figsize=(8, 6), layout="constrained")
    for row, color in zip(rows, plt.get_cmap("tab10").colors):
        steps = [s for s, _, _, _ in row["curve"][1:]]
        vals = [v for _, _, v, _ in row["curve"][1:]]
        style = "--" if row["lesson"] in (3, 5, 6) else "-"
        ax.plot(steps, vals, style, color=color, label=f"v{row['lesson']} {row['idea']}（{vals[-1]:.2f}）")
    ax.set_xlabel("训练步数")
    ax.set_ylabel("验证集损失（交叉熵，nats/字）")
    ax.set_title("十课的验证集损失：默认设置，同一个种子")
    lowest = min(v for row in rows for _, _, v, _ in row["curve"][1:])
    ax.set_ylim(lowest - 0.05, lowest + 1.3)
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", fontsize=8, ncol=2)  # 图例放在图下面，不挡曲线
    fig.savefig(out, dpi=100)


def form(out):
    """左边：格律（逐句得分实线，整首合格式虚线）随训练时间（R）的变化；右边：同一次训练的验证集损失。一种颜色一次训练。
    横轴是时间而不是步数：配方不同，一步的用时不同，同样的时间才好比。每一步的用时按这次训练的平均算。
    GPU 规模那一套只走了二十来步，损失在刻度之外，只列在 docs/form.md 的表里。"""
    use_cjk_font()
    import matplotlib.pyplot as plt

    runs = [row for row in load_run("form_sweep.json") if row["label"] != "GPU规模"] + load_run("form_sweep_long.json")
    fig, (form_ax, loss_ax) = plt.subplots(1, 2, figsize=(10, 4.5), layout="constrained")
    for result, color in zip(runs, plt.get_cmap("tab10").colors):
        label = result["label"]
        if "machine" in result:  # 别的机器上量的：说是哪台机器（那时的 budget 记的是 R，不是倍数），横轴的 R 也是那台机器的
            label += f"（{result['curve'][-1]['step']} 步，{result['machine']['cpu']} 上量的）"
        elif result.get("budget", 1) != 1:
            label += f"（{result['budget']:g} 倍时间）"
        curve = [p for p in result["curve"] if p["step"] > 0]
        rs = [p["step"] * r_per_step(result) for p in curve]
        form_ax.plot(rs, [p["phrase"] for p in curve], "-o", color=color, ms=3, label=label)
        form_ax.plot(rs, [p["whole"] for p in curve], "--", color=color, alpha=0.7)
        loss_ax.plot(rs, [p["val_loss"] for p in curve], "-o", color=color, ms=3, label=label)
    form_ax.set_xlabel("训练时间（R）")
    form_ax.set_ylabel("格律：逐句得分（实线）、整首合格式（虚线）")
    form_ax.set_ylim(0, 1)
    form_ax.set_title("8 个词牌各写 20 首，温度 0.8")
    loss_ax.set_xlabel("训练时间（R）")
    loss_ax.set_ylabel("验证集损失（nats/字）")
    loss_ax.set_title("同一次训练的验证集损失")
    for ax in (form_ax, loss_ax):
        ax.grid(alpha=0.3)
    loss_ax.legend(fontsize=8)
    fig.savefig(out, dpi=100)


def attention(out, ckpt_path="model.pth"):
    attention_heatmap.main(["--ckpt_path", ckpt_path, "--out", str(out)])


def meter(out):
    """平仄和押韵：验证集的真词、CPU 配方（温度 0.8，不约束）、入门脚本的 bigram，再加 --tune 约束着写的，并排的柱子。"""
    use_cjk_font()
    import matplotlib.pyplot as plt

    check, tune = load_run("form_check.json"), load_run("tune_check.json")["ways"]
    rows = [("验证集的真词", check["ceiling"]), ("CPU 配方，不约束", check["model"]), ("bigram", check["floor"]),
            ("CPU 配方，--tune", tune["meter"])]
    fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
    for k, (key, label) in enumerate((("tone", "平仄：定了平仄的位置上合的比例"), ("rhyme", "押韵：韵脚和主韵同部的比例"))):
        values = [r[key] for _, r in rows]
        bars = ax.bar([i + 0.38 * k for i in range(len(rows))], values, width=0.36, label=label)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.set_xticks([i + 0.19 for i in range(len(rows))], [name for name, _ in rows])
    ax.set_ylim(0, 1.12)
    ax.set_ylabel("比例（8 个词牌的平均）")
    ax.legend(loc="upper center", ncol=2, fontsize=8)
    fig.savefig(out, dpi=100)


def chromium(width=1200, height=1600):
    """无头的 Chromium（Debian 的 chromium 和 chromium-driver，selenium 驱动），不连网、不下载任何东西。"""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic", f"--window-size={width},{height}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL", "browser": "ALL"})
    return webdriver.Chrome(service=Service(shutil.which("chromedriver")), options=options)


def watch_page(out, ckpt_path="model.pth"):
    """看它写的网页：从头写一首（和 README 的命令一样），点开第一个逗号，截图。"""
    from selenium.webdriver.common.by import By

    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "watch.html"
        watch.main(["--ckpt_path", ckpt_path, "--out", str(page)])
        driver = chromium(1100, 1500)
        try:
            driver.get(page.as_uri())
            comma = next(span for span in driver.find_elements(By.CSS_SELECTOR, "#poem span.drawn") if span.text == "，")
            comma.click()
            driver.save_screenshot(str(out))
        finally:
            driver.quit()


FIGURES = {"ladder": (ladder, "ladder.png"), "form": (form, "form_emergence.png"), "attention": (attention, "attention.png"),
           "watch": (watch_page, "watch.png"), "meter": (meter, "meter.png")}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(FIGURES), help="只画这一张")
    args = parser.parse_args(argv)
    for name, (draw, file) in FIGURES.items():
        if args.only in (None, name):
            draw(ROOT / "docs" / file)
            print(f"已画出 docs/{file}")


if __name__ == "__main__":
    main()
