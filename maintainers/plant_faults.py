"""测试是不是真的：故意把一种行为改坏（在仓库的一份拷贝里），跑 README 的测试命令，看测试能不能发现。

    python maintainers/plant_faults.py              # 每一种错误各种一遍，2 核 CPU 上约 50 分钟
    python maintainers/plant_faults.py --list       # 只列出有哪些错误
    python maintainers/plant_faults.py --only 学习率为0 答案就是输入
    python maintainers/plant_faults.py --json faults.json

每一种错误是几处文字替换（FAULTS），替换的原文在每个文件里必须正好出现一次（tests/test_house.py 检查这一点，
代码改了、错误种不进去时，测试会说）。拷贝里运行 python -m pytest -q -x tests（不查行为的测试不算，见 NOT_ABOUT_BEHAVIOUR）：退出码不是 0 就算“发现了”，
并记下第一个失败的测试。一个测试都没失败的错误，就是测试的漏洞。
"""

import argparse
import concurrent.futures
import fnmatch
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from runs import ROOT
from course import LESSONS

EVERY_LESSON = [file for _, file, _ in LESSONS]
FROM_V3 = EVERY_LESSON[2:]  # 有注意力的课
PRIMER = "simplebigrammodel_with_comments.py"
SAMPLER = "babygpt_sample_with_kvcache.py"
V12 = "babygpt_v12_wandb.py"
SCAFFOLD = "scaffold.py"

# 名字 -> (要改的文件, [(原文, 改成)])
FAULTS = {
    "学习率为0": (EVERY_LESSON, [('group["lr"] = get_lr(step, config)', 'group["lr"] = 0 * get_lr(step, config)')]),
    "答案就是输入": (EVERY_LESSON, [("y = torch.stack([data[i + 1 : i + block_size + 1] for i in ix])",
                                "y = torch.stack([data[i : i + block_size] for i in ix])")]),
    "评估时不关dropout": (EVERY_LESSON, [("    model.eval()  # 评估模式：", "    pass  # 评估模式：")]),
    "一课import另一课": (["babygpt_v5_feedforward.py"], [("from torch.nn import functional as F\n",
                                                      "from torch.nn import functional as F\nfrom babygpt_v4_multihead_attention import Head as _Head  # noqa\n")]),
    "注意力看得见未来": (FROM_V3, [('wei = wei.masked_fill(self.tril[:T, :T] == 0, float("-inf"))', "wei = wei")]),
    "没有预热": (EVERY_LESSON, [("    if step < config.warmup_iters:", "    if False:")]),
    "余弦跟着max_iters拉长": (EVERY_LESSON, [("decay_end = min(config.max_iters, config.lr_decay_iters)", "decay_end = config.max_iters")]),
    "不裁剪梯度": (EVERY_LESSON, [("torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)", "pass")]),
    "偏置也衰减": (EVERY_LESSON, [('{"params": vectors, "weight_decay": 0.0}', '{"params": vectors, "weight_decay": config.weight_decay}')]),
    "验证集换成每10段的第1段": ([SCAFFOLD], [("if i % 10 != 9)", "if i % 10 != 0)"), ("if i % 10 == 9)", "if i % 10 == 0)")]),
    "满100段也按行分": ([SCAFFOLD], [("    if len(poems) >= 100:", "    if len(poems) > 100:")]),
    "不认Windows换行": ([SCAFFOLD], [('.replace("\\r\\n", "\\n")', "")]),
    "试跑用掉随机数": ([SCAFFOLD], [("    with torch.random.fork_rng(devices=[]):", "    if True:")]),
    "--compare一个字也不比": ([SAMPLER], [("compared = min(fits, max(len(plain), len(cached)))", "compared = 0")]),
    "缓存prefill不加遮罩": ([SAMPLER], [("        if T > 1:  # 只送进一个字时", "        if False:  # 只送进一个字时")]),
    "缓存refill后位置错一位": ([SAMPLER], [("            pos = keep\n", "            pos = keep - 1\n")]),
    "--no_cache仍用缓存": ([SAMPLER], [("write(model, chars, ids, args, generator, not args.no_cache, forms=constraint, meter=meter)",
                                       "write(model, chars, ids, args, generator, True, forms=constraint, meter=meter)")]),
    "每写一首都重新播种": ([SAMPLER], [("        ok = [respond(model, chars, p, args, generator) for p in prompts]",
                                 "        ok = [respond(model, chars, p, args, generator.manual_seed(args.seed)) for p in prompts]")]),
    "格律：差一个字就打标点": ([SAMPLER], [("if form[len(self.done)] == self.current > 0]", "if form[len(self.done)] == self.current + 1 > 1]")]),
    "词牌名不加书名号时不说格律": ([SAMPLER], [("    elif text and (forms := tune_forms(text, chars, args.tunes)[0]):", "    elif False:")]),
    "默认温度和README不一样": ([SAMPLER], [('temperature: float = option(0.8,', 'temperature: float = option(1.0,')]),
    "续训不恢复随机数": ([V12], [('        set_rng_state(resume["rng"])\n', "")]),
    "续训不恢复优化器": ([V12], [('        optimizer.load_state_dict(resume["optimizer"])\n', "")]),
    "第二次Ctrl-C不退出": ([V12], [("        if self.requested:  # 第二次 Ctrl-C", "        if False:  # 第二次 Ctrl-C")]),
    "Ctrl-C后退出码为0": ([V12], [("        sys.exit(130)\n", "        sys.exit(0)\n")]),
    "续训不查词表": ([V12], [("    if checkpoint[\"chars\"] != tokenizer.chars:", "    if False:")]),
    "wandb不记学习率": ([V12], [('"lr": get_lr(step, config),', "")]),
    # torchrun：每个进程各取各的批次，评估的数和一个进程算的一样；几台机器同时写语料文件也不打架
    "每个进程同一个种子": ([V12], [("torch.manual_seed(config.seed + rank)", "torch.manual_seed(config.seed)")]),
    "评估只算自己那几批": ([V12], [("out[name] = sum_over_ranks(losses).mean().item()", "out[name] = losses.mean().item()")]),
    "语料文件原地覆盖": ([SCAFFOLD], [('_write_whole(folder / f"{name}.bin", array.tofile)', 'array.tofile(folder / f"{name}.bin")')]),
    # 平仄和押韵
    "押韵不守第一个韵脚的韵部": ([SAMPLER], [("if self.at_rhyme and self.rhyme is not None:", "if False:")]),
    "两读的字不算合平仄": (["learners/meter.py"], [('tone = sum(t in (m, "两") for m, t in marks)', "tone = sum(t == m for m, t in marks)")]),
    # 每一课的概念：拿掉或写错，形状照样对得上、损失照样会降（tests/test_concepts.py 照着概念另算一遍）
    "v1：损失加了标签平滑": (["babygpt_v1.py"], [("targets.view(B * T))", "targets.view(B * T), label_smoothing=0.1)")]),
    "v2：没加位置向量": (["babygpt_v2_position.py"], [("x = tok_emb + pos_emb  #", "x = tok_emb + 0 * pos_emb  #")]),
    "注意力不除以根号hs": (["babygpt_v3_self_attention.py"], [("wei = q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5",
                                                            "wei = q @ k.transpose(-2, -1)")]),
    "v4：只用了第一个头": (["babygpt_v4_multihead_attention.py"], [("torch.cat([h(x) for h in self.heads], dim=-1)",
                                                                "torch.cat([self.heads[0](x) for h in self.heads], dim=-1)")]),
    "v5：MLP没有ReLU": (["babygpt_v5_feedforward.py"], [("            nn.ReLU(),\n", "            nn.Identity(),\n")]),
    "v6：只用了第一层": (["babygpt_v6_block.py"], [("x = self.blocks(x)  #", "x = self.blocks[0](x)  #")]),
    "v7：前馈网络少了残差": (["babygpt_v7_residual_connection.py"], [("x = x + self.ffwd(x)  #", "x = self.ffwd(x)  #")]),
    "v8：跳过投影": (["babygpt_v8_projection.py"], [("out = self.proj(out)  #", "out = out  #")]),
    "v9：注意力前没有LayerNorm": (["babygpt_v9_layer_norm.py"], [("x = x + self.sa(self.ln1(x))", "x = x + self.sa(x)")]),
    "v9：lm_head前没有ln_f": (["babygpt_v9_layer_norm.py"], [("x = self.ln_f(x)  #", "x = x  #")]),
    "v10：dropout放在softmax之前": (["babygpt_v10_dropout.py"], [
        ("wei = F.softmax(wei, dim=-1)  # 每一行变成和为 1 的权重，-inf 处权重为 0\n        wei = self.dropout(wei)",
         "wei = self.dropout(wei)\n        wei = F.softmax(wei, dim=-1)  # 每一行变成和为 1 的权重，-inf 处权重为 0")]),
    "v10：前馈网络之后没有dropout": (["babygpt_v10_dropout.py"], [("            nn.Dropout(config.dropout),\n", "")]),
    # 采样器的旋钮：每一个都做 --help 说的事
    "温度不起作用": ([SAMPLER], [("logits = logits / temperature  #", "logits = logits / 1.0  #")]),
    "top_k多留一个": ([SAMPLER], [("min(top_k, logits.shape[-1])", "min(top_k + 1, logits.shape[-1])")]),
    "贪心选了最不可能的字": ([SAMPLER], [("return logits.argmax(dim=-1, keepdim=True)", "return logits.argmin(dim=-1, keepdim=True)")]),
    # 看它写：网页上的数就是模型算的数
    "看它写：概率没按温度算": (["learners/watch.py"], [("    logits = logits / temperature\n", "    logits = logits / 1.0\n")]),
    "看它写：注意力不除以根号hs": (["learners/watch.py"], [(" * k.shape[-1] ** -0.5, dim=-1)", ", dim=-1)")]),
    "看它写：每一层的猜测少了ln_f": (["learners/watch.py"], [("model.lm_head(model.ln_f(residual))", "model.lm_head(residual)")]),
}


def check(name):
    """这个错误还种得进去吗：每处原文在每个文件里正好出现一次。返回问题的列表（空的就是没问题）。"""
    files, replacements = FAULTS[name]
    problems = []
    for file in files:
        text = (ROOT / file).read_text(encoding="utf-8")
        for old, _ in replacements:
            if text.count(old) != 1:
                problems.append(f"{file}：{old!r} 出现了 {text.count(old)} 次")
    return problems


def plant(name, folder):
    """在 folder（仓库的一份拷贝）里种下这个错误。"""
    files, replacements = FAULTS[name]
    for file in files:
        path = folder / file
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, (name, file, old)
            text = text.replace(old, new)
        path.write_text(text, encoding="utf-8")


def files_of_the_course(root=ROOT):
    """工作区里 git 管着的和还没加进去的文件（不含被忽略的：检查点、wandb 的记录……），相对 root 的路径。
    下载的压缩包里没有 .git：走一遍目录，跳过 .gitignore 忽略的和以点开头的缓存（.ci 除外）；忽略的文件夹不走进去。
    tests/test_house.py 用它查顶层放了什么。"""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"], cwd=root,
                            capture_output=True, text=True)
    if (root / ".git").exists() and listed.returncode == 0:
        return [name for name in listed.stdout.split("\0") if name and (root / name).is_file()]
    rules = [line.strip() for line in (root / ".gitignore").read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]

    def kept(name, top):  # 以 / 开头的规则只管顶层
        hit = any(fnmatch.fnmatch(name, rule.strip("/")) for rule in rules if top or not rule.startswith("/"))
        return not hit and (name in (".ci", ".gitignore") or not name.startswith("."))

    found = []
    for folder, dirs, files in os.walk(root):
        top = Path(folder) == root
        dirs[:] = [d for d in dirs if kept(d, top)]
        found += [str((Path(folder) / f).relative_to(root)) for f in files if kept(f, top)]
    return found


def copy_of_the_repository(folder):
    """课程的文件（files_of_the_course）拷进 folder。"""
    for name in files_of_the_course():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, folder / name)


# 两种测试不查行为，跑的时候不算：查“每种错误还种得进去”的那个测试，在种了错误的拷贝里必然失败（它查的是这个工具）；
# tests/test_pages.py 查页面和 docs/runs 的记录对不对得上，代码少了一行，梯子表里“diff 行数”那一列就对不上：那是页面过时了，不是查出了错
ABOUT_THIS_TOOL = "tests/test_house.py::test_every_planted_fault_can_still_be_planted"
NOT_ABOUT_BEHAVIOUR = ["--deselect", ABOUT_THIS_TOOL, "--ignore", "tests/test_pages.py"]


def run_suite(folder, timeout):
    """在拷贝里运行 README 的测试命令（-x：第一个失败就停；NOT_ABOUT_BEHAVIOUR 不算）。返回 (退出码, 第一个失败的测试, 秒数, 输出的最后一段)。"""
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests",
                               *NOT_ABOUT_BEHAVIOUR], cwd=folder,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "超时", time.perf_counter() - start, ""
    failed = [line.split(" ", 1)[1].split(" - ")[0] for line in proc.stdout.splitlines() if line.startswith(("FAILED ", "ERROR "))]
    return proc.returncode, (failed[0] if failed else ""), time.perf_counter() - start, proc.stdout[-3000:]


def caught_again(pairs, timeout=300):
    """抽查：pairs 是 [(错误, 记录里第一个发现它的测试)]。没种错误的拷贝里这些测试必须都通过；每一种错误种进一份新拷贝，
    它的那个测试必须失败。返回 (对照通过了吗, {错误: 种了之后失败了吗})。tests/test_pages.py 这样抽查，faults.json 才不只是一份旧记录。"""

    def pytest_in_copy(planted, test_ids):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            copy_of_the_repository(folder)
            if planted:
                plant(planted, folder)
            return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *test_ids], cwd=folder,
                                  capture_output=True, text=True, timeout=timeout).returncode

    with concurrent.futures.ThreadPoolExecutor(2) as pool:  # 两份拷贝同时跑：每个 pytest 大半时间在启动
        control = pool.submit(pytest_in_copy, None, [test_id for _, test_id in pairs])
        codes = {name: pool.submit(pytest_in_copy, name, [test_id]) for name, test_id in pairs}
        return control.result() == 0, {name: code.result() not in (0, 5) for name, code in codes.items()}  # 5：没收集到测试，不算


def suite_with(name, timeout):
    """在仓库的一份新拷贝里种下这个错误（None：什么都不种），跑测试。"""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        copy_of_the_repository(folder)
        if name:
            plant(name, folder)
        return run_suite(folder, timeout)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(FAULTS), help="只种这几种错误")
    parser.add_argument("--list", action="store_true", help="只列出有哪些错误")
    parser.add_argument("--timeout", type=int, default=600, help="每一遍测试最多跑多少秒")
    parser.add_argument("--json", help="把结果另存为 JSON")
    args = parser.parse_args(argv)
    names = args.only or list(FAULTS)
    if args.list:
        for name in names:
            files, replacements = FAULTS[name]
            print(f"{name}：{len(files)} 个文件，{replacements[0][0]!r} -> {replacements[0][1]!r}")
        return
    broken = {name: problems for name in names if (problems := check(name))}
    if broken:
        sys.exit(f"错误：这些错误种不进去了（代码改过）：{broken}")
    code, first, seconds, tail = suite_with(None, args.timeout)  # 对照：什么都不种，测试必须全过，否则“发现了”什么也说明不了
    if code != 0:
        sys.exit(f"错误：没种错误的拷贝里测试就不过（{first or code}），先修好：\n{tail}")
    print(f"对照：没种错误的拷贝里测试全过（{seconds:.0f} 秒）", flush=True)
    rows = []
    for name in names:
        code, first, seconds, _ = suite_with(name, args.timeout)
        caught = code not in (0, None)
        rows.append({"fault": name, "caught": caught, "exit_code": code, "first_failure": first, "seconds": round(seconds, 1)})
        print(f"{'发现了' if caught else '没发现'}  {name}：{first or '（没有失败的测试）'}（{seconds:.0f} 秒）", flush=True)
    missed = [row["fault"] for row in rows if not row["caught"]]
    print(f"{len(rows) - len(missed)}/{len(rows)} 种错误被测试发现" + (f"；没发现：{'、'.join(missed)}" if missed else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
