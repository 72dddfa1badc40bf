#!/usr/bin/env python3
"""Writes the checkpoint-format fixtures with real TensorFlow (pinned 2.21.0).

Run from the repository root with the project venv:

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/oracle/make_fixtures.py

Output: tests/fixtures/data/format/ (wiped and rewritten), including manifest.json which records,
for every fixture, what TensorFlow itself reads (names, dtypes, shapes, tensor bytes as hex, string
elements as base64), so the TypeScript tests compare against TF without running TF.

Derived fixtures (snappy-compressed index, corrupt variants) are produced here from TF-written files
with a small SSTable parser/builder (checked to reproduce TF's own index bytes exactly) and, for
snappy, verified by reading them back with TensorFlow.
"""

import base64
import json
import os
import shutil
import struct
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import tensor_bundle_pb2  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402
from tensorflow.python.framework import dtypes as tf_dtypes  # noqa: E402
from google.protobuf import json_format  # noqa: E402

TF_VERSION = "2.21.0"
assert tf.__version__ == TF_VERSION, f"need tensorflow {TF_VERSION}, have {tf.__version__}"

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "fixtures", "data", "format")

# --------------------------------------------------------------------------------------------
# Minimal CRC32C, snappy and SSTable helpers (used only to DERIVE fixtures from TF-written ones)
# --------------------------------------------------------------------------------------------

_CRC_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ 0x82F63B78 if _c & 1 else _c >> 1
    _CRC_TABLE.append(_c)


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    for b in data:
        crc = _CRC_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask(c):
    return ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(buf, pos):
    result = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            return result, pos


def snappy_compress(data):
    """Greedy raw-snappy encoder (literals + copies, overlapping copies allowed)."""
    out = bytearray(varint(len(data)))

    def literal(chunk):
        pos = 0
        while pos < len(chunk):
            part = chunk[pos:pos + 65536]
            n = len(part) - 1
            if n < 60:
                out.append(n << 2)
            elif n < 256:
                out.append(60 << 2)
                out.append(n)
            else:
                out.append(61 << 2)
                out.extend(struct.pack("<H", n))
            out.extend(part)
            pos += len(part)

    def copy(offset, length):
        while length > 0:
            n = min(length, 64)
            if length - n < 4 and length > 64:
                n = length - 4
            if 4 <= n <= 11 and offset < 2048:
                out.append(1 | ((n - 4) << 2) | ((offset >> 8) << 5))
                out.append(offset & 0xFF)
            else:
                out.append(2 | ((n - 1) << 2))
                out.extend(struct.pack("<H", offset))
            length -= n

    table = {}
    i = 0
    lit_start = 0
    n = len(data)
    while i + 4 <= n:
        key = bytes(data[i:i + 4])
        cand = table.get(key)
        table[key] = i
        if cand is not None and i - cand < 65536:
            m = 4
            while i + m < n and data[cand + m] == data[i + m]:
                m += 1
            literal(data[lit_start:i])
            copy(i - cand, m)
            i += m
            lit_start = i
        else:
            i += 1
    literal(data[lit_start:])
    return bytes(out)


def parse_block(raw):
    num_restarts = struct.unpack_from("<I", raw, len(raw) - 4)[0]
    limit = len(raw) - 4 - 4 * num_restarts
    pos = 0
    key = b""
    entries = []
    while pos < limit:
        shared, pos = read_varint(raw, pos)
        non_shared, pos = read_varint(raw, pos)
        vlen, pos = read_varint(raw, pos)
        key = key[:shared] + raw[pos:pos + non_shared]
        pos += non_shared
        entries.append((key, raw[pos:pos + vlen]))
        pos += vlen
    return entries


def parse_table(data):
    """Returns (list of data-block entry lists) of an uncompressed TF table."""
    footer = data[-48:]
    assert footer[40:] == bytes.fromhex("57fb808b247547db")
    pos = 0
    _, pos = read_varint(footer, pos)
    _, pos = read_varint(footer, pos)
    idx_off, pos = read_varint(footer, pos)
    idx_size, pos = read_varint(footer, pos)
    blocks = []
    for _, handle in parse_block(data[idx_off:idx_off + idx_size]):
        off, p = read_varint(handle, 0)
        size, _ = read_varint(handle, p)
        assert data[off + size] == 0
        blocks.append(parse_block(data[off:off + size]))
    return blocks


class BlockBuilder:
    def __init__(self, restart_interval):
        self.interval = restart_interval
        self.reset()

    def reset(self):
        self.buf = bytearray()
        self.restarts = [0]
        self.counter = 0
        self.last_key = b""
        self.empty = True

    def add(self, key, value):
        shared = 0
        if self.counter < self.interval:
            m = min(len(key), len(self.last_key))
            while shared < m and key[shared] == self.last_key[shared]:
                shared += 1
        else:
            self.restarts.append(len(self.buf))
            self.counter = 0
        self.buf += varint(shared) + varint(len(key) - shared) + varint(len(value))
        self.buf += key[shared:] + value
        self.last_key = key
        self.counter += 1
        self.empty = False

    def size_estimate(self):
        return len(self.buf) + 4 * len(self.restarts) + 4

    def finish(self):
        return bytes(self.buf) + b"".join(struct.pack("<I", r) for r in self.restarts) + struct.pack(
            "<I", len(self.restarts))


def shortest_separator(start, limit):
    n = min(len(start), len(limit))
    i = 0
    while i < n and start[i] == limit[i]:
        i += 1
    if i >= n:
        return start
    b = start[i]
    if b < 0xFF and b + 1 < limit[i]:
        return start[:i] + bytes([b + 1])
    return start


def short_successor(key):
    for i, b in enumerate(key):
        if b != 0xFF:
            return key[:i] + bytes([b + 1])
    return key


def build_table(entries, compress=False, block_size=262144, block_type_override=None):
    """TF's TableBuilder (spec 3.6); compress=True keeps snappy blocks < 7/8 of raw like LevelDB."""
    out = bytearray()
    data_block = BlockBuilder(16)
    index_block = BlockBuilder(1)
    state = {"pending": None, "last": b""}

    def write_block(raw):
        btype = 0
        contents = raw
        if compress:
            c = snappy_compress(raw)
            if len(c) < len(raw) - len(raw) // 8:
                contents, btype = c, 1
        if block_type_override is not None:
            btype = block_type_override
        handle = (len(out), len(contents))
        out.extend(contents)
        out.append(btype)
        out.extend(struct.pack("<I", mask(crc32c(contents + bytes([btype])))))
        return handle

    def flush():
        if data_block.empty:
            return
        state["pending"] = write_block(data_block.finish())
        data_block.reset()

    for n, (key, value) in enumerate(entries):
        if n > 0 and len(key) + len(value) >= 2 * block_size:
            flush()
        if state["pending"] is not None:
            h = state["pending"]
            index_block.add(shortest_separator(state["last"], key), varint(h[0]) + varint(h[1]))
            state["pending"] = None
        state["last"] = key
        data_block.add(key, value)
        if data_block.size_estimate() >= block_size:
            flush()
    flush()
    meta = write_block(BlockBuilder(16).finish())
    if state["pending"] is not None:
        h = state["pending"]
        index_block.add(short_successor(state["last"]), varint(h[0]) + varint(h[1]))
    idx = write_block(index_block.finish())
    footer = varint(meta[0]) + varint(meta[1]) + varint(idx[0]) + varint(idx[1])
    footer += bytes(40 - len(footer)) + bytes.fromhex("57fb808b247547db")
    out.extend(footer)
    return bytes(out)


def table_entries(path):
    with open(path, "rb") as f:
        data = f.read()
    entries = [e for block in parse_table(data) for e in block]
    assert build_table(entries) == data, f"python table builder does not reproduce {path}"
    return entries


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def out_path(*parts):
    return os.path.join(OUT, *parts)


def save_v2(prefix, items):
    """items: list of (name, slice_spec, tensor). Writes with the raw SaveV2 op (BundleWriter)."""
    tf.raw_ops.SaveV2(
        prefix=prefix,
        tensor_names=[n for n, _, _ in items],
        shape_and_slices=[s for _, s, _ in items],
        tensors=[t for _, _, t in items],
    )


def describe_value(dtype, value):
    if dtype == tf.string:
        return {"strings": [base64.b64encode(x).decode() for x in np.asarray(value).reshape(-1).tolist()]}
    if dtype == tf.variant:
        return {}
    return {"hex": np.ascontiguousarray(value).tobytes().hex()}


def describe_checkpoint(prefix, sample_every=1):
    reader = tf.train.load_checkpoint(prefix)
    shapes = reader.get_variable_to_shape_map()
    dtypes_ = reader.get_variable_to_dtype_map()
    listed = tf.train.list_variables(prefix)
    variables = []
    for i, (name, shape) in enumerate(listed):
        assert list(shapes[name]) == list(shape)
        v = {"name": name, "dtype": dtypes_[name].name, "shape": [int(d) for d in shape]}
        if i % sample_every == 0:
            if dtypes_[name] != tf.variant:
                v.update(describe_value(dtypes_[name], reader.get_tensor(name)))
        variables.append(v)
    return variables


def rel(path):
    return os.path.relpath(path, OUT)


# --------------------------------------------------------------------------------------------
# Fixture writers
# --------------------------------------------------------------------------------------------


def make_tf1(manifest):
    """TF1 Saver checkpoint with .meta: dense vars, partitioned along axis 0 and 1, non-trainables."""
    os.makedirs(out_path("tf1"))
    cwd = os.getcwd()
    os.chdir(OUT)  # relative save path -> relative paths in the state file, like a TF1 user would get
    try:
        graph = tf.Graph()
        with graph.as_default():
            kernel = tf.compat.v1.get_variable("dense/kernel", shape=[4, 3], dtype=tf.float32)
            bias = tf.compat.v1.get_variable("dense/bias", shape=[3], dtype=tf.float32)
            emb = tf.compat.v1.get_variable(
                "emb", shape=[5, 3], dtype=tf.float32,
                partitioner=tf.compat.v1.fixed_size_partitioner(2, axis=0))
            wide = tf.compat.v1.get_variable(
                "wide", shape=[4, 6], dtype=tf.float32,
                partitioner=tf.compat.v1.fixed_size_partitioner(3, axis=1))
            counter = tf.compat.v1.get_variable(
                "counter", shape=[], dtype=tf.int32, trainable=False)
            step = tf.compat.v1.train.get_or_create_global_step()
            assigns = []
            assigns.append(kernel.assign(np.arange(12, dtype=np.float32).reshape(4, 3) / 4 - 1))
            assigns.append(bias.assign(np.array([0.5, -0.25, 2.0], np.float32)))
            full_emb = np.arange(15, dtype=np.float32).reshape(5, 3) + 100
            full_wide = np.arange(24, dtype=np.float32).reshape(4, 6) * -1.5
            for part in list(emb) + list(wide):
                info = part._save_slice_info
                sl = tuple(slice(o, o + s) for o, s in zip(info.var_offset, info.var_shape))
                src = full_emb if info.full_name == "emb" else full_wide
                assigns.append(part.assign(src[sl]))
            assigns.append(counter.assign(42))
            assigns.append(step.assign(7))
            saver = tf.compat.v1.train.Saver()
            with tf.compat.v1.Session(graph=graph) as sess:
                sess.run(tf.compat.v1.global_variables_initializer())
                sess.run(assigns)
                prefix = saver.save(sess, "tf1/model.ckpt", global_step=7)
            trainable = []
            for v in tf.compat.v1.trainable_variables():
                info = getattr(v, "_save_slice_info", None)
                name = info.full_name if info else v.op.name
                if name not in trainable:
                    trainable.append(name)
    finally:
        os.chdir(cwd)
    assert prefix == "tf1/model.ckpt-7", prefix
    full = out_path(prefix)
    manifest["fixtures"]["tf1"] = {
        "prefix": prefix, "dir": "tf1", "meta": prefix + ".meta", "trainable": trainable,
        "variables": describe_checkpoint(full),
    }


class Tf2Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.dense_w = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3) / 10, name="dense_w")
        self.bias = tf.Variable([0.1, 0.2, 0.3], name="bias")
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")


def build_tf2_objects():
    """The object structure of the TF2 fixture (also imported by tests/oracle/tf_read.py)."""
    model = Tf2Model()
    opt = tf.compat.v1.train.MomentumOptimizer(0.1, momentum=0.9)
    ds = tf.data.Dataset.range(10)
    it = iter(ds)
    return model, opt, it


def make_tf2(manifest):
    """TF2 tf.train.Checkpoint with an optimizer slot variable and an iterator (DT_VARIANT)."""
    os.makedirs(out_path("tf2"))
    model, opt, it = build_tf2_objects()
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(model.dense_w ** 2) + tf.reduce_sum(model.bias * 3.0)
    grads = tape.gradient(loss, [model.dense_w, model.bias])
    opt.apply_gradients(zip(grads, [model.dense_w, model.bias]))
    model.step.assign(1)
    next(it)
    next(it)
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, it=it)
    path = ckpt.save(out_path("tf2", "ckpt"))
    assert path == out_path("tf2", "ckpt-1"), path
    reader = tf.train.load_checkpoint(path)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    manifest["fixtures"]["tf2"] = {
        "prefix": "tf2/ckpt-1", "dir": "tf2",
        "variables": describe_checkpoint(path),
        "object_graph": json_format.MessageToDict(graph, preserving_proto_field_name=False),
    }


def every_dtype_tensors():
    def cast(values, dt):
        return tf.constant(np.array(values).astype(dt.as_numpy_dtype))

    items = [
        ("float32/matrix", "", tf.constant([[1.5, -2.0, 3.25], [0.0, -0.0, 1e-30]], tf.float32)),
        ("float32/scalar", "", tf.constant(3.5, tf.float32)),
        ("float32/empty", "", tf.zeros([0], tf.float32)),
        ("float64/vector", "", tf.constant([1.0 / 3, -2.5e300, 7.0], tf.float64)),
        ("int32/matrix", "", tf.constant([[1, -2], [2147483647, -2147483648]], tf.int32)),
        ("int32/empty_0x3", "", tf.zeros([0, 3], tf.int32)),
        ("uint8/vector", "", tf.constant([0, 1, 128, 255], tf.uint8)),
        ("int16/vector", "", tf.constant([-32768, 0, 32767], tf.int16)),
        ("int8/vector", "", tf.constant([-128, -1, 0, 127], tf.int8)),
        ("complex64/vector", "", tf.constant([1 + 2j, -3.5 - 0.5j], tf.complex64)),
        ("int64/vector", "", tf.constant([2 ** 40, -1, 2 ** 63 - 1], tf.int64)),
        ("int64/scalar", "", tf.constant(-9007199254740993, tf.int64)),
        ("bool/vector", "", tf.constant([True, False, True], tf.bool)),
        ("bool/scalar", "", tf.constant(True, tf.bool)),
        ("qint8/vector", "", tf.constant(np.array([1, -2, 3]), dtype=tf.qint8)),
        ("quint8/vector", "", tf.constant(np.array([1, 2, 250]), dtype=tf.quint8)),
        ("qint32/vector", "", tf.constant(np.array([1, -2, 3]), dtype=tf.qint32)),
        ("bfloat16/vector", "", tf.constant([1.0, -2.5, 3.0], tf.bfloat16)),
        ("qint16/vector", "", tf.constant(np.array([1, -2, 3]), dtype=tf.qint16)),
        ("quint16/vector", "", tf.constant(np.array([1, 2, 65535]), dtype=tf.quint16)),
        ("uint16/vector", "", tf.constant([0, 65535], tf.uint16)),
        ("complex128/vector", "", tf.constant([1 + 2j, -3.5 - 0.5j], tf.complex128)),
        ("float16/vector", "", tf.constant([1.0, -2.5, 65504.0], tf.float16)),
        ("uint32/vector", "", tf.constant([0, 4000000000], tf.uint32)),
        ("uint64/vector", "", tf.constant(np.array([0, 2 ** 64 - 1], np.uint64), tf.uint64)),
        ("float8_e5m2/vector", "", cast([1.0, -2.0, 3.0], tf_dtypes.float8_e5m2)),
        ("float8_e4m3fn/vector", "", cast([1.0, -2.0, 3.0], tf_dtypes.float8_e4m3fn)),
        ("float8_e4m3fnuz/vector", "", cast([1.0, -2.0, 3.0], tf_dtypes.float8_e4m3fnuz)),
        ("float8_e4m3b11fnuz/vector", "", cast([1.0, -2.0, 3.0], tf_dtypes.float8_e4m3b11fnuz)),
        ("float8_e5m2fnuz/vector", "", cast([1.0, -2.0, 3.0], tf_dtypes.float8_e5m2fnuz)),
        ("int4/vector", "", cast([1, -2, 3, -8, 7], tf_dtypes.int4)),
        ("uint4/vector", "", cast([1, 2, 15], tf_dtypes.uint4)),
        ("int2/vector", "", cast([1, -2, -1], tf_dtypes.int2)),
        ("uint2/vector", "", cast([1, 2, 3], tf_dtypes.uint2)),
        ("string/scalar_empty", "", tf.constant(b"", tf.string)),
        ("string/vector", "", tf.constant([b"", b"a", b"x" * 200, b"\xff\x00\xfe\x80 not utf8",
                                           "caf\u00e9 \U0001F600".encode()], tf.string)),
        ("string/empty_0x3", "", tf.zeros([0, 3], tf.string)),
        ("string/matrix", "", tf.constant([[b"ab", b"c"], [b"", b"d" * 130]], tf.string)),
        ("variant/tensor_list", "", tf.raw_ops.TensorListFromTensor(
            tensor=[1.0, 2.0], element_shape=tf.constant([], tf.int32))),
        ("unicode/caf\u00e9", "", tf.constant([1.0], tf.float32)),
        ("unicode/\U0001F600", "", tf.constant([2.0], tf.float32)),
        ("unicode/\ue000", "", tf.constant([3.0], tf.float32)),
    ]
    return items


def make_dtypes(manifest):
    os.makedirs(out_path("dtypes"))
    prefix = out_path("dtypes", "all")
    save_v2(prefix, every_dtype_tensors())
    manifest["fixtures"]["dtypes"] = {"prefix": "dtypes/all", "variables": describe_checkpoint(prefix)}


def make_sliced(manifest):
    """Partitioned tensors written by SaveV2 slice specs: axis 0, axis 1, both, rank 3, 1-D."""
    os.makedirs(out_path("sliced"))
    grid = np.arange(24, dtype=np.float32).reshape(4, 6)
    rows = np.arange(15, dtype=np.int64).reshape(5, 3) * 1000
    cube = np.arange(24, dtype=np.int16).reshape(2, 3, 4)
    vec = np.arange(10, dtype=np.float64) / 8
    big = (np.arange(1005) % 251).astype(np.int8).reshape(1005, 1)
    items = [
        ("grid", "4 6 0,2:0,3", tf.constant(grid[0:2, 0:3])),
        ("grid", "4 6 0,2:3,3", tf.constant(grid[0:2, 3:6])),
        ("grid", "4 6 2,2:0,3", tf.constant(grid[2:4, 0:3])),
        ("grid", "4 6 2,2:3,3", tf.constant(grid[2:4, 3:6])),
        ("rows", "5 3 0,2:-", tf.constant(rows[0:2])),
        ("rows", "5 3 2,3:-", tf.constant(rows[2:5])),
        ("cube", "2 3 4 -:0,1:-", tf.constant(cube[:, 0:1, :])),
        ("cube", "2 3 4 -:1,2:-", tf.constant(cube[:, 1:3, :])),
        ("vec", "10 4,6", tf.constant(vec[4:10])),
        ("vec", "10 0,4", tf.constant(vec[0:4])),
        ("big", "1005 1 0,1000:-", tf.constant(big[0:1000])),
        ("big", "1005 1 1000,5:-", tf.constant(big[1000:1005])),
        ("plain", "", tf.constant([7.0, 8.0], tf.float32)),
    ]
    prefix = out_path("sliced", "parts")
    save_v2(prefix, items)
    manifest["fixtures"]["sliced"] = {
        "prefix": "sliced/parts",
        "variables": describe_checkpoint(prefix),
        "slices": {
            name: [spec for n, spec, _ in items if n == name]
            for name in ["grid", "rows", "cube", "vec", "big"]
        },
    }


def make_sharded(manifest):
    """Three SaveV2 bundles merged by MergeV2Checkpoints (3 data shards; one tensor sliced across)."""
    os.makedirs(out_path("sharded"))
    tmp = out_path("sharded", "tmp")
    m = np.arange(8, dtype=np.float32).reshape(4, 2)
    save_v2(os.path.join(tmp, "part-0"), [
        ("a", "", tf.constant([1.0, 2.0])), ("c", "", tf.constant([3], tf.int32)),
        ("m", "4 2 0,2:-", tf.constant(m[0:2]))])
    save_v2(os.path.join(tmp, "part-1"), [
        ("b", "", tf.constant([4.0])), ("m", "4 2 2,2:-", tf.constant(m[2:4]))])
    save_v2(os.path.join(tmp, "part-2"), [("d", "", tf.constant([b"shard", b"two"]))])
    prefix = out_path("sharded", "merged")
    tf.raw_ops.MergeV2Checkpoints(
        checkpoint_prefixes=[os.path.join(tmp, f"part-{i}") for i in range(3)],
        destination_prefix=prefix, delete_old_dirs=True)
    shutil.rmtree(tmp, ignore_errors=True)
    manifest["fixtures"]["sharded"] = {
        "prefix": "sharded/merged", "num_shards": 3, "variables": describe_checkpoint(prefix)}


MANY_KEYS = 12500


def make_many(manifest):
    os.makedirs(out_path("many"))
    prefix = out_path("many", "keys")
    items = [(f"layer_{i:05d}/.ATTRIBUTES/VARIABLE_VALUE", "", tf.constant(i % 251 - 125, tf.int8))
             for i in range(MANY_KEYS)]
    save_v2(prefix, items)
    blocks = parse_table(open(prefix + ".index", "rb").read())
    assert len(blocks) >= 3, len(blocks)
    manifest["fixtures"]["many"] = {
        "prefix": "many/keys", "num_keys": MANY_KEYS, "num_data_blocks": len(blocks),
        "variables": describe_checkpoint(prefix, sample_every=997),
    }


def make_snappy(manifest):
    """The many-key index (and the sliced one) re-encoded with snappy blocks; TF must read it."""
    os.makedirs(out_path("snappy"))
    made = {}
    for name, src in [("keys", "many/keys"), ("parts", "sliced/parts")]:
        entries = table_entries(out_path(src + ".index"))
        data = build_table(entries, compress=True)
        dst = out_path("snappy", name)
        with open(dst + ".index", "wb") as f:
            f.write(data)
        shutil.copy(out_path(src + ".data-00000-of-00001"), dst + ".data-00000-of-00001")
        # Verify: TensorFlow 2.21 reads every tensor of the snappy bundle with the same values.
        a = describe_checkpoint(out_path(src))
        b = describe_checkpoint(dst)
        assert a == b, f"TF reads the snappy index {name} differently"
        types = []
        with open(dst + ".index", "rb") as f:
            raw = f.read()
        footer = raw[-48:]
        pos = 0
        moff, pos = read_varint(footer, pos)
        msize, pos = read_varint(footer, pos)
        ioff, pos = read_varint(footer, pos)
        isize, pos = read_varint(footer, pos)
        types.append(raw[ioff + isize])
        made[name] = {"prefix": "snappy/" + name, "source": src, "index_block_type": raw[ioff + isize]}
        assert b"\x01" in bytes(types) or name == "parts"
    manifest["fixtures"]["snappy"] = made


def make_state_files(manifest):
    """A directory with two TF2 saves by CheckpointManager (state file with timestamps)."""
    d = out_path("managed")
    os.makedirs(d)
    v = tf.Variable([1.0, 2.0])
    ckpt = tf.train.Checkpoint(v=v)
    mgr = tf.train.CheckpointManager(ckpt, d, max_to_keep=1)
    mgr.save()
    v.assign([3.0, 4.0])
    latest = mgr.save()
    with open(os.path.join(d, "checkpoint")) as f:
        text = f.read()
    manifest["fixtures"]["managed"] = {
        "prefix": rel(latest), "dir": "managed", "state_text": text,
        "latest_checkpoint": rel(tf.train.latest_checkpoint(d)),
        "variables": describe_checkpoint(latest)}


# --------------------------------------------------------------------------------------------
# Corrupt variants, derived from a small TF-written bundle
# --------------------------------------------------------------------------------------------


def entry_proto(value):
    e = tensor_bundle_pb2.BundleEntryProto()
    e.ParseFromString(value)
    return e


def header_proto(value):
    h = tensor_bundle_pb2.BundleHeaderProto()
    h.ParseFromString(value)
    return h


def make_corrupt(manifest):
    os.makedirs(out_path("corrupt"))
    base = out_path("corrupt", "base")
    save_v2(base, [
        ("v", "", tf.constant([1.0, 2.0], tf.float32)),
        ("s", "", tf.constant([b"a", b"bc", b""], tf.string)),
        ("z", "", tf.constant([[1, 2], [3, 4]], tf.int32)),
    ])
    index = open(base + ".index", "rb").read()
    data = open(base + ".data-00000-of-00001", "rb").read()
    entries = table_entries(base + ".index")
    by_key = dict(entries)
    v_entry = entry_proto(by_key[b"v"])
    s_entry = entry_proto(by_key[b"s"])
    cases = []

    def write(name, index_bytes=None, data_bytes=None, shard=True):
        p = out_path("corrupt", name)
        with open(p + ".index", "wb") as f:
            f.write(index if index_bytes is None else index_bytes)
        if shard:
            with open(p + ".data-00000-of-00001", "wb") as f:
                f.write(data if data_bytes is None else data_bytes)
        return "corrupt/" + name

    def case(name, stage, index_bytes=None, data_bytes=None, key=None, file="index", shard=True,
             offset=None, note=""):
        prefix = write(name, index_bytes, data_bytes, shard)
        c = {"name": name, "prefix": prefix, "stage": stage, "file": prefix + (
            ".index" if file == "index" else ".data-00000-of-00001"), "note": note}
        if key is not None:
            c["key"] = key
        if offset is not None:
            c["offset"] = offset
        cases.append(c)

    def with_entry(key, proto):
        return [(k, proto.SerializeToString() if k == key else v) for k, v in entries]

    footer_start = len(index) - 48
    # Block layout of the base index: one data block at 0.
    _, p = read_varint(index, footer_start)
    _, p = read_varint(index, p)
    idx_off, p = read_varint(index, p)
    idx_size, p = read_varint(index, p)

    case("short_index", "index", index_bytes=index[:40], note="file shorter than the 48-byte footer")
    case("bad_magic", "index", index_bytes=index[:-1] + bytes([index[-1] ^ 0xFF]),
         offset=len(index) - 8, note="last magic byte changed")
    case("truncated_footer", "index", index_bytes=index[:-20], note="footer cut short")
    case("truncated_blocks", "index", index_bytes=index[:20] + index[footer_start:],
         note="blocks cut out, footer kept: handles point past the end")
    flip = bytearray(index)
    flip[12] ^= 0x01
    case("data_block_flip", "index", index_bytes=bytes(flip), offset=0,
         note="one bit flipped inside data block 0")
    flip = bytearray(index)
    flip[idx_off + 3] ^= 0x40
    case("index_block_flip", "index", index_bytes=bytes(flip), offset=idx_off,
         note="one bit flipped inside the index block")
    flip = bytearray(index)
    flip[idx_off + idx_size + 2] ^= 0x10
    case("trailer_flip", "index", index_bytes=bytes(flip), offset=idx_off,
         note="one bit flipped in the index block's stored crc")
    typed = build_table(entries, block_type_override=2)
    _, p = read_varint(typed, len(typed) - 48)
    _, p = read_varint(typed, p)
    typed_idx_off, _ = read_varint(typed, p)
    case("bad_block_type", "index", index_bytes=typed, offset=typed_idx_off,
         note="every block with type byte 2 (valid crc); the index block is read first")
    case("missing_header", "index", index_bytes=build_table(entries[1:]),
         note="no '' header entry")
    unsorted = [entries[0], entries[2], entries[1]] + entries[3:]
    case("unsorted_keys", "index", index_bytes=build_table(unsorted), note="keys out of order")
    h = header_proto(entries[0][1])
    h.version.min_consumer = 2
    case("min_consumer", "index",
         index_bytes=build_table([(b"", h.SerializeToString())] + entries[1:]),
         note="header min_consumer 2")
    h = header_proto(entries[0][1])
    h.version.bad_consumers.append(1)
    case("bad_consumers", "index",
         index_bytes=build_table([(b"", h.SerializeToString())] + entries[1:]),
         note="header bad_consumers [1]")
    h = header_proto(entries[0][1])
    h.endianness = 1
    case("big_endian", "index",
         index_bytes=build_table([(b"", h.SerializeToString())] + entries[1:]),
         note="header endianness BIG")
    case("bad_entry_proto", "index",
         index_bytes=build_table([(k, b"\x0a\xff\xff" if k == b"v" else v) for k, v in entries]),
         key="v", note="entry value not a parseable proto")
    # Tensor-stage corruptions: the index is fine, reading the named tensor fails.
    tensor_flip = bytearray(data)
    tensor_flip[v_entry.offset + 1] ^= 0x01
    case("tensor_flip", "tensor", data_bytes=bytes(tensor_flip), key="v", file="data",
         offset=v_entry.offset, note="one bit flipped in v's bytes")
    s_flip = bytearray(data)
    s_flip[s_entry.offset + 3] ^= 0x01  # first byte of the string length checksum
    case("string_length_checksum", "tensor", data_bytes=bytes(s_flip), key="s", file="data",
         offset=s_entry.offset + 3, note="string length checksum flipped")
    case("data_truncated", "tensor", data_bytes=data[:3], key="v", file="data",
         note="data file shorter than v's extent")
    e = entry_proto(by_key[b"v"])
    e.offset = len(data) + 100
    case("entry_past_end", "tensor", index_bytes=build_table(with_entry(b"v", e)), key="v",
         file="data", note="v's offset past the end of the data file")
    e = entry_proto(by_key[b"v"])
    e.size = 12
    case("size_mismatch", "tensor", index_bytes=build_table(with_entry(b"v", e)), key="v",
         note="size 12 for float32[2]")
    e = entry_proto(by_key[b"v"])
    e.shape.dim[0].size = 2 ** 38
    e.size = 2 ** 40
    case("huge_shape", "tensor", index_bytes=build_table(with_entry(b"v", e)), key="v", file="data",
         note="float32[2^38] with size 2^40 in a tiny file")
    e = entry_proto(by_key[b"s"])
    e.size = 2 ** 40
    case("huge_string", "tensor", index_bytes=build_table(with_entry(b"s", e)), key="s", file="data",
         note="string tensor with size 2^40 in a tiny file")
    case("missing_shard", "tensor", key="v", shard=False, file="data", note="no data file")

    # Record what TensorFlow says about each (in a subprocess: some corruptions abort TF).
    for c in cases:
        code = (
            "import os,sys;os.environ['TF_CPP_MIN_LOG_LEVEL']='3';import tensorflow as tf\n"
            "r=tf.train.load_checkpoint(sys.argv[1])\n"
            "m=r.get_variable_to_shape_map()\n"
            "k=sys.argv[2] if len(sys.argv)>2 else None\n"
            "print('OK', sorted(m)) if k is None else print('OK', r.get_tensor(k).tolist())\n")
        args = [sys.executable, "-c", code, out_path(c["prefix"])] + ([c["key"]] if "key" in c else [])
        proc = subprocess.run(args, capture_output=True, text=True, timeout=120)
        lines = [ln.replace(OUT + "/", "") for ln in (proc.stdout + proc.stderr).strip().splitlines()
                 if ln.strip() and not ln.startswith(("I0000", "W0000", "WARNING: All log"))]
        err = [ln for ln in lines if "Check failed" in ln] or [
            ln for ln in lines if "Error" in ln or "error" in ln]
        c["tf_result"] = (err[-1] if err else (lines[-1] if lines else ""))[:300]
        c["tf_exit"] = proc.returncode
    manifest["corrupt"] = {"base": "corrupt/base", "cases": cases}


def main():
    if os.path.exists(OUT):
        shutil.rmtree(OUT)
    os.makedirs(OUT)
    tf.random.set_seed(1)
    manifest = {"tf_version": tf.__version__, "fixtures": {}}
    make_tf1(manifest)
    make_tf2(manifest)
    make_dtypes(manifest)
    make_sliced(manifest)
    make_sharded(manifest)
    make_many(manifest)
    make_snappy(manifest)
    make_state_files(manifest)
    make_corrupt(manifest)
    # Sanity: the python table builder reproduces every TF-written index byte for byte.
    for fx in ["tf1", "tf2", "dtypes", "sliced", "sharded", "many", "managed"]:
        table_entries(out_path(manifest["fixtures"][fx]["prefix"] + ".index"))
    with open(out_path("manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = 0
    for root, _, files in os.walk(OUT):
        total += sum(os.path.getsize(os.path.join(root, n)) for n in files)
    print(f"wrote {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
