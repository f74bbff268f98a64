"""读回 wandb 离线记录（run-<id>.wandb）里的内容，测试用。

.wandb 文件是 LevelDB 的日志格式：开头 7 字节的文件头，然后按 32 KiB 分块，每条记录前有 7 字节的头
（CRC32C 4 字节、长度 2 字节、类型 1 字节），一条长记录可以跨块分成 FIRST / MIDDLE / LAST 几段。
每条完整的记录是一个 protobuf 的 wandb Record。
"""

import json
import struct

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
