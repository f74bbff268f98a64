"""文档字符串里由页面写手写的地方（学习者直接读代码，里面不放标记）：每一条“试一试”命令后面的答案，
和以 DOC_LINES 里的几个开头（“默认设置下（”“CPU 配方下（”……）开始的整行。"""

import functools

from course import LESSONS, exercises
from page_facts import facts
from page_records import final, ladder
from page_words import try_answer

import babygpt_v12_wandb as v12  # noqa: E402


def default_line(n):
    row = next(row for row in ladder() if row["lesson"] == n)
    train_loss, val_loss = final(row)
    return (f"默认设置下（2 核 CPU，约 {row['seconds']:.0f} 秒，{row['ratio']:.1f} R）："
            f"验证集损失 {val_loss:.4f}，训练损失 {train_loss:.4f}。")


def cpu_recipe_line():
    f = facts()
    return (f"CPU 配方下（2 核 CPU，{f['cpu_minutes']}，{f['cpu_r']} R）：验证集损失 {f['cpu_val']}，训练损失 {f['cpu_train']}，"
            f"比入门脚本数出来的 bigram（{f['bigram_val']}）低 {f['below_bigram']}。")


def gpu_recipe_line():
    f = facts()
    return (f"GPU 配方下（v12 同样的模型和训练，一块 H200 上 {v12.Config().max_iters} 步，整条命令 {f['gpu_seconds']} 秒）：验证集损失 {f['gpu_val']}，"
            f"训练损失 {f['gpu_train']}。")


def parameters_line():
    f = facts()
    return (f"参数（{f['gpu_params']}）是 v10（{f['v10_params']}）的 {f['gpu_vs_v10']} 倍：字向量表和 lm_head 里 "
            f"{f['gpu_params_table']}，6 个 Block 里 {f['gpu_params_blocks']}。")


DOC_LINES = {  # 文件 -> {一行的开头: 写出整行}
    **{file: {"默认设置下（": functools.partial(default_line, n)} for n, file, _ in LESSONS[:10]},
    "babygpt_v11_hyper_params.py": {"GPU 配方下（": gpu_recipe_line, "参数（": parameters_line},
    "babygpt_v12_wandb.py": {"CPU 配方下（": cpu_recipe_line},
}


def render_docstring(file, source):
    """一个文件：文档字符串里“试一试”的答案和 DOC_LINES 的整行换成按运行记录写的（只动文档字符串）。"""
    lines = source.split("\n")
    end = next(i for i, line in enumerate(lines) if i > 0 and line.rstrip().endswith('"""'))
    answers = {line: f"{line.split('  # ')[0]}  # {try_answer(command)}" for line, command in exercises(file)}
    keyed = DOC_LINES.get(file, {})
    for i in range(end):
        if lines[i] in answers:
            lines[i] = answers[lines[i]]
        for start, render in keyed.items():
            if lines[i].startswith(start):
                lines[i] = render()
    return "\n".join(lines)
