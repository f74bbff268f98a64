"""读回 wandb 离线记录（wandb/offline-run-*/run-<id>.wandb）里的内容：每次 run.log 记下的数和 run 的超参数。

    python maintainers/wandb_records.py wandb/offline-run-*/run-*.wandb     # 打印每次评估记下的数
tests/test_v12.py 也用它检查 v12 记下的东西（损失、学习率、tokens/s、超参数）和检查点里的一致。

为什么自己读，而不用 wandb 的 SDK：wandb 没有读离线记录的公开接口。公开的 wandb.Api() 只读已经上传到服务器的 run
（要账号、要联网）；从前 SDK 里读 .wandb 文件的 wandb/sdk/internal/datastore.py 是内部模块，随 Python 版的旧后端
一起删掉了（wandb/wandb#12687，记录现在由 Go 写的 wandb-core 读写；本仓库用的 wandb 0.31 里已经没有它）。
文件格式是公开的、稳定的：LevelDB 的日志格式，开头 7 字节的文件头，然后按 32 KiB 分块，每条记录前有 7 字节的头
（CRC32C 4 字节、长度 2 字节、类型 1 字节），一条长记录可以跨块分成 FIRST / MIDDLE / LAST 几段；
每条完整的记录是一个 protobuf 的 wandb Record，它的定义随 SDK 一起发布（wandb.proto.wandb_internal_pb2）。
"""

import argparse
import json
import struct
from pathlib import Path

from wandb.proto import wandb_internal_pb2

HEADER = 7
BLOCK = 32 * 1024
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4


def read_records(path):
    data = path.read_bytes()
    assert data[:4] == b":W&B", "不是 wandb 的记录文件"
    chunks, pending, pos = [], b"", HEADER
    while pos + HEADER <= len(data):
        left_in_block = BLOCK - pos % BLOCK
        if left_in_block < HEADER:  # 块尾放不下一个记录头，用 0 填充
            pos += left_in_block
            continue
        _crc, length, kind = struct.unpack("<IHB", data[pos : pos + HEADER])
        if kind not in (FULL, FIRST, MIDDLE, LAST):  # 块里剩下的是填充
            pos += left_in_block
            continue
        payload = data[pos + HEADER : pos + HEADER + length]
        pos += HEADER + length
        if kind == FULL:
            chunks.append(payload)
        elif kind == FIRST:
            pending = payload
        elif kind == MIDDLE:
            pending += payload
        else:
            chunks.append(pending + payload)
    records = []
    for chunk in chunks:
        record = wandb_internal_pb2.Record()
        record.ParseFromString(chunk)
        records.append(record)
    return records


def history(path):
    """每次 run.log(...) 的内容：[{键: 值}]，值是 JSON 解析后的数。"""
    rows = []
    for record in read_records(path):
        if record.WhichOneof("record_type") == "history":
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item})
    return rows


def run_config(path):
    """wandb.init(config=...) 记下的超参数。"""
    for record in read_records(path):
        if record.WhichOneof("record_type") == "run":
            return {item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.run.config.update}
    return {}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="+", help="run-<id>.wandb 文件")
    args = parser.parse_args(argv)
    for path in map(Path, args.paths):
        print(f"{path}：{run_config(path)}")
        for row in history(path):
            values = {key: row[key] for key in sorted(row) if not key.startswith("_")}
            print(f"  step {row.get('_step')}：" + "，".join(f"{key} {value:.4g}" for key, value in values.items()))


if __name__ == "__main__":
    main()
