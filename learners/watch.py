"""看它写：模型写一首词，每一个字是怎么来的都存进一个网页（一个 HTML 文件，双击就能打开，不联网）。

    python learners/watch.py                             # 读 model.pth，从头写一首（先写词牌名和作者），存成 watch.html
    python learners/watch.py --prompt 春江               # 接着一个开头写，写到这首词结束（空行）为止
    python learners/watch.py --tune 浣溪沙 --out 浣溪沙.html   # 按词牌写（和采样器一样的约束解码）
采样器的参数这里都认（--ckpt_path、--prompt、--seed、--temperature、--top_k、--max_new_tokens、--write_on、--tune、--free）：
同样的开头、种子和温度，写出来的就是采样器写的那一首（用的是采样器的同一段解码代码，KV 缓存照样开着）。
网页上：
1. 这首词：每个字按模型有多大把握上色，点一下就看它是怎么来的；
2. 候选：这一步分数最高的字和它们的概率、抽中的是哪个（第几名）、模型其实是在大约几个字里挑（熵）；
3. 温度和 top-k 的滑块：用存下的打分当场重新算这些概率：温度 0.3 为什么总重复，1.2 为什么乱跑；
4. 注意力：每一层、每个头在写这个字时看了前面哪些字（颜色越深看得越多；层和头都从 1 数起，和注意力图一样）；
5. 每一层的猜测（logit lens）：把每一层之后的向量直接送进最后的 LayerNorm 和 lm_head，看这个字在第几层冒出来。
终端里打印一行：写下的字在每一层进没进前三（标点和汉字分开数）。

试一试：先猜，标点（该断句了）和汉字，哪一种在更浅的层就被猜出来？再打开网页点几个字看（读 README 快速开始训练出的 model.pth；
按词牌写时，约束只管抽哪个字，每一层的猜测还是模型自己的）：
    python learners/watch.py  # 进前三的比例，标点：第 1 层 0.80、第 2 层 0.50、第 3 层 0.80、第 4 层 1.00；汉字：第 1 层 0.20、第 2 层 0.20、第 3 层 0.18、第 4 层 0.36；不到 1 分钟
    python learners/watch.py --tune 浣溪沙 --out 浣溪沙.html  # 进前三的比例，标点：第 1 层 1.00、第 2 层 1.00、第 3 层 1.00、第 4 层 1.00；汉字：第 1 层 0.04、第 2 层 0.11、第 3 层 0.11、第 4 层 0.20；不到 1 分钟
"""

import base64
import html
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.nn import functional as F

import course  # 也把仓库顶层加进导入路径
import meter

import babygpt_sample_with_kvcache as sampler  # noqa: E402
from scaffold import fail, option, parse_args, pick_device, run_main  # noqa: E402

TOP = 40  # 每一步存下分数最高的多少个字（网页上显示前 15 个；top-k 的滑块最多到它）
TEMPERATURES = [0.0, *[round(0.1 + 0.05 * i, 2) for i in range(39)]]  # 滑块上的温度：0（贪心）和 0.1 … 2.0
PUNCT = sampler.PUNCT
FONT = course.ROOT / "data" / "fonts" / "wqy-microhei-ci.ttf"  # 仓库自带的中文字体（子集）


@dataclass
class Config(sampler.Decoding):  # 写的参数和采样器的一样（同一个类）；网页只写一首，开头只有一个
    prompt: str = option("", "开头；不给就从头写一首（先写词牌名和作者）")
    device: str = option("cpu", "cpu、cuda 或 mps（网页在哪儿算都一样）")
    out: str = option("watch.html", "网页写到哪里")


class Recorder:
    """挂在模型上的几个钩子：每一次前向，记下最后一个位置的打分、每一层每个头的注意力、每一层之后的向量。
    注意力照采样器的 attend_with_cache 对最后一个字再算一遍（同样的 q、缓存里同样的 k），只有几十个数，很快；
    每一层的猜测要过 lm_head，留到写完再一起算。"""

    def __init__(self, model):
        self.steps = []
        self.hooks = [model.register_forward_pre_hook(self.start), model.lm_head.register_forward_hook(self.logits)]
        for block in model.blocks:
            self.hooks.append(block.sa.register_forward_hook(self.attention))
            self.hooks.append(block.register_forward_hook(self.residual))

    def start(self, module, args):  # 一次前向（写一个字）开始
        self.steps.append({"attention": [], "residual": []})

    def logits(self, module, args, out):  # 这一步的打分：最后一个位置 (V,)
        self.steps[-1]["logits"] = out[0, -1].detach().float().cpu()

    def attention(self, module, args, out):
        x, cache, pos = args
        B, T, C = x.shape
        n_head = len(module.heads)
        q = F.linear(x[:, -1:], cache.qkv_weight[:C]).view(B, 1, n_head, C // n_head).transpose(1, 2)  # (1, nh, 1, hs)
        k = cache.k[:, :, : pos + T]  # (1, nh, L, hs)：这一步看得到的全部
        wei = F.softmax(q @ k.transpose(-2, -1) * k.shape[-1] ** -0.5, dim=-1)  # (1, nh, 1, L)
        self.steps[-1]["attention"].append(wei[0, :, 0].detach().float().cpu())  # (nh, L)

    def residual(self, module, args, out):
        self.steps[-1]["residual"].append(out[0, -1].detach().clone())  # (C,)，还在模型所在的设备上

    def remove(self):
        for hook in self.hooks:
            hook.remove()


def grid(temperature):
    """滑块上的温度：TEMPERATURES，再加上写这首时用的那个（如果不在里面）。"""
    return sorted({*TEMPERATURES, temperature})


def sampling_probs(logits, temperature, top_k):
    """pick_next 抽字用的概率（和采样器一样：先除以温度，再只留前 k 个）。温度 0 是贪心：最高的那个概率 1。"""
    if temperature == 0:
        return F.one_hot(logits.argmax(), logits.shape[-1]).float()
    logits = logits / temperature
    if top_k > 0:
        kth = torch.topk(logits, min(top_k, logits.shape[-1])).values[-1]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    return F.softmax(logits, dim=-1)


def entropy(probs):
    nonzero = probs[probs > 0]
    return float(-(nonzero * nonzero.log()).sum())


def pack(tensor):
    """float32，小端，base64：网页里用 Float32Array 读回来，测试也按这个读。"""
    return base64.b64encode(tensor.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()).decode()


def watch(model, chars, ids, config, generator, forms=None, meter_data=None, tune_forms=None):
    """用采样器自己的 write() 写一首（同样的解码、同样的随机数），一边记下每一步。返回网页要的数据。
    forms：约束解码的格式（--free 时没有）；meter_data：格律（--no_tone 时没有）；tune_forms：这个词牌的格式，标平仄用。"""
    recorder = Recorder(model)
    start = time.perf_counter()
    try:
        new_ids, _ = sampler.write(model, chars, ids, config, generator, True, stream=False, forms=forms,
                                   meter=meter_data if forms else None)
    finally:
        recorder.remove()
    decode_seconds = time.perf_counter() - start
    steps = recorder.steps[: len(new_ids)]  # 每写一个字，模型正好前向一次
    temperatures = grid(config.temperature)
    form = sampler.FormConstraint(forms, chars, meter_data) if forms else None  # 按词牌写时，重放一遍，得到每一步允许的字
    residual = torch.stack([torch.stack(step["residual"]) for step in steps])  # (步数, 层数, C)
    with torch.inference_mode():  # 每一层的猜测，一次算完：(步数, 层数, V)
        lens = F.softmax(model.lm_head(model.ln_f(residual)), dim=-1).float().cpu()
    context = list(ids)
    out = []
    for i, (step, token) in enumerate(zip(steps, new_ids)):
        logits = step["logits"]
        if form is not None:
            logits = logits.masked_fill(~form.allowed(), float("-inf"))
            form.step(token)
        probs = sampling_probs(logits, config.temperature, config.top_k)
        order = torch.argsort(logits, descending=True)
        top = order[:TOP]
        seen = step["attention"][0].shape[-1]  # 这一步看得到的字数（缓存里的）
        layer_guesses = []
        for layer in range(lens.shape[1]):
            p = lens[i, layer]
            best = torch.topk(p, 3)
            layer_guesses.append({"top": best.indices.tolist(), "p": best.values.tolist(), "drawn_p": p[token].item(),
                                  "drawn_rank": int((p > p[token]).sum()) + 1})
        finite = torch.isfinite(logits)
        out.append({
            "token": token,
            "context_start": len(context) - seen,  # 注意力的第 0 格是全文的第几个字
            "candidates": top.tolist(), "logits": pack(logits[top]), "probs": pack(probs[top]),
            "drawn_logit": logits[token].item(), "drawn_p": probs[token].item(),
            "drawn_rank": int((logits > logits[token]).sum()) + 1, "allowed": int(finite.sum()),
            "log_z": [torch.logsumexp(logits[finite] / t, 0).item() if t > 0 else None for t in temperatures],
            "entropy": [entropy(sampling_probs(logits, t, 0)) for t in temperatures],
            "attention": pack(torch.stack(step["attention"])),  # (层, 头, seen)
            "layers": layer_guesses,
        })
        context.append(token)
    if tune_forms and meter_data:  # 按词牌写（约束或不约束）：每个字标上平仄、格律要的平仄和韵脚（learners/meter.py）
        for step, mark in zip(out, meter.marks_per_step(chars, new_ids, tune_forms, meter_data)):
            step["meter"] = mark
    return {"steps": out, "temperatures": temperatures, "decode_seconds": decode_seconds}


def depth_summary(data, chars):
    """写下的字在每一层进没进前三：标点和汉字分开，各是一串比例。"""
    groups = {"标点": [], "汉字": []}
    for step in data["steps"]:
        c = chars[step["token"]]
        group = "标点" if c in PUNCT else "汉字" if c.isalpha() else None
        if group:
            groups[group].append([guess["drawn_rank"] <= 3 for guess in step["layers"]])
    parts = []
    for name, rows in groups.items():
        if rows:
            shares = [sum(row[layer] for row in rows) / len(rows) for layer in range(len(rows[0]))]
            parts.append(f"{name}：" + "、".join(f"第 {layer + 1} 层 {share:.2f}" for layer, share in enumerate(shares)))
    return "进前三的比例，" + "；".join(parts)


def font_face(text):
    """网页上要写的字，从仓库自带的字体里取出来，嵌进网页：没装中文字体的机器上，网页也不会显示成方框。"""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(FONT)
    subsetter = subset.Subsetter(subset.Options(layout_features=[], notdef_outline=True))
    subsetter.populate(text="".join(sorted(set(text) - {"\n"})))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return f"@font-face {{ font-family: 'BabyGPT'; src: url(data:font/ttf;base64,{base64.b64encode(buffer.getvalue()).decode()}); }}"


def page(data, meta):
    """一个自带一切的网页：数据、样式、脚本、字体都在这一个文件里，没有任何外部地址。"""
    payload = json.dumps({**meta, "steps": data["steps"], "temperatures": data["temperatures"]}, ensure_ascii=False)
    template = (Path(__file__).with_name("watch.html")).read_text(encoding="utf-8")
    shown = {i for step in data["steps"] for i in (step["token"], *step["candidates"][:15], *(g for layer in step["layers"]
                                                                                              for g in layer["top"]))}
    text = template + meta["title"] + "".join(meta["chars"][i] for i in {*shown, *meta["prompt"]}) + "↵␣…"
    return (template.replace("__TITLE__", html.escape(meta["title"])).replace("/* __FONT__ */", font_face(text))
            .replace("__DATA__", payload.replace("</", "<\\/")))


def main(argv=None):
    config = parse_args(Config, argv, __doc__)
    if config.tune is not None and (config.prompt or not config.tune.strip("《》")):
        fail("--tune 要一个词牌名（如 --tune 浣溪沙），而且不能和 --prompt 一起用")
    device = pick_device(config.device)
    model, chars, checkpoint = sampler.load_checkpoint(config.ckpt_path, device)
    forms, meter_data, tune = None, None, config.tune.strip("《》") if config.tune else None
    if tune:
        found, note = sampler.tune_forms(tune, chars, config.tunes)
        if found is None:
            fail(note)
        forms = None if config.free else [form for form, _ in found]
        meter_data = sampler.tune_meter(tune, config) if not config.no_tone else None
        text = f"\n\n{tune} "
    else:
        text = config.prompt
    ids, note = sampler.prepare_prompt(text, chars, model.config.block_size)
    if ids is None:
        fail(note)
    generator = torch.Generator(device=device).manual_seed(config.seed)  # 和采样器一样：整次运行一个
    start = time.perf_counter()
    data = watch(model, chars, ids, config, generator, forms, meter_data, [form for form, _ in found] if tune else None)
    n_layer, n_head = len(model.blocks), model.config.n_head
    meta = {"title": f"看它写：{text.strip() or '从头写一首'}", "chars": chars, "prompt": ids,
            "temperature": config.temperature, "top_k": config.top_k, "seed": config.seed, "n_layer": n_layer, "n_head": n_head,
            "tune": tune, "constrained": forms is not None, "step": checkpoint.get("step"), "val_loss": checkpoint.get("val_loss")}
    Path(config.out).write_text(page(data, meta), encoding="utf-8")
    seconds = time.perf_counter() - start
    written = "".join(chars[step["token"]] for step in data["steps"])
    print(f"已写入 {config.out}（{Path(config.out).stat().st_size / 1e6:.2f} MB，写了 {len(written)} 个字，"
          f"解码 {data['decode_seconds']:.2f} 秒，整页 {seconds:.2f} 秒）。用浏览器打开它，点一个字。")
    print(text.lstrip("\n") + written.rstrip("\n"))
    print(depth_summary(data, chars))


if __name__ == "__main__":
    run_main(main)
