"""An independent numpy model of warm_start's semantics (from shared/reference/warm-start-semantics.md), checked
against what real TF wrote into scenario directories. TF is only used here to READ checkpoints and the NEW .meta.

Usage: .venv/bin/python tests/oracle/reference_model.py DIR [DIR...]
  DIR is a scenario directory or a directory of scenario directories.

For each scenario, predicts either the merged values of every NEW variable or "error", and compares with
expected/ (bitwise) or expected_error.json. Prints one JSON line per disagreement and a summary. A disagreement
means either the model (= our reading of the reference doc) or the scenario is wrong: it is the place to look
before blaming the TypeScript implementation.
"""

import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402

tf.get_logger().setLevel("ERROR")


class WSError(Exception):
    pass


SLICE_UNSUPPORTED = {"float16", "uint16", "uint32", "uint64"}


def read_vocab(path, limit=-1):
    with open(path, "rb") as f:
        data = f.read()
    if not data:
        raise WSError("empty vocab file %s" % path)
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines = lines[:-1]
    lines = [ln[:-1] if ln.endswith(b"\r") else ln for ln in lines]
    if limit == 0:
        raise WSError("old_vocab_size 0")
    if limit > 0:
        if limit > len(lines):
            raise WSError("Invalid vocab_size in %s" % path)
        lines = lines[:limit]
    if any(ln == b"" for ln in lines):
        raise WSError("empty line in %s" % path)
    return lines


def old_index(lines):
    idx = {}
    for i, t in enumerate(lines):
        if t in idx:
            raise WSError("duplicate old token")
        idx[t] = i
    return idx


class NewModel:
    """Variables of the NEW graph (from new/model-0.meta): name -> {dtype, shape, trainable, parts}."""

    def __init__(self, meta):
        g = tf.Graph()
        with g.as_default():
            tf.compat.v1.train.import_meta_graph(meta)
            trainable = {v.name for v in tf.compat.v1.trainable_variables()}
            self.global_items = []  # (tensor name, full name, offset, shape, dtype, trainable)
            for v in tf.compat.v1.global_variables():
                si = v._get_save_slice_info()
                full = si.full_name if si else v.name[:-2]
                self.global_items.append({
                    "tname": v.name, "full": full, "offset": list(si.var_offset) if si else None,
                    "shape": v.shape.as_list(), "full_shape": list(si.full_shape) if si else v.shape.as_list(),
                    "dtype": v.dtype.base_dtype.name, "trainable": v.name in trainable, "part": si is not None})


def select(form, model):
    if isinstance(form, str) or form is None:
        coll = [it for it in model.global_items if it["trainable"]]
        sel = [it for it in coll if form is None or re.match(form, it["tname"])]
    elif isinstance(form, list):
        sel = []
        for pat in form:
            sel += [it for it in model.global_items if re.match(pat, it["tname"])]
    else:
        sel = []
        for n in form["variables"]:
            m = re.match(r"^(.*)/part_(\d+)$", n)
            sel += [it for it in model.global_items
                    if it["full"] == n or (m and it["tname"] == n + ":0")]
    groups = {}
    for it in sel:
        groups.setdefault(it["full"], []).append(it)
    for n, items in groups.items():
        if not items[0]["part"] and len(items) > 1:
            raise WSError("At least two variables have the same name")
    return groups


def resolve_ckpt(loc):
    if os.path.isdir(loc):
        st = os.path.join(loc, "checkpoint")
        if not os.path.exists(st):
            raise WSError("no checkpoint in dir")
        m = re.search(r'model_checkpoint_path: "([^"]*)"', open(st).read())
        p = m.group(1)
        p = p if os.path.isabs(p) else os.path.join(loc, p)
        if not os.path.exists(p + ".index"):
            raise WSError("no index")
        return p
    if not os.path.exists(loc + ".index"):
        raise WSError("prefix not found")
    return loc


def predict(sdir):
    """Returns {tensor name of NEW variable/part: value} or raises WSError."""
    spec = json.load(open(os.path.join(sdir, "spec.json")))
    cwd = os.getcwd()
    os.chdir(sdir)
    try:
        return _predict(spec)
    finally:
        os.chdir(cwd)


def _predict(spec):
    model = NewModel("new/model-0.meta")
    new_r = tf.train.load_checkpoint("new/model-0")
    form = spec.get("vars_to_warm_start", ".*")
    groups = select(form, model)
    vocab = spec.get("var_name_to_vocab_info") or {}
    prev = spec.get("var_name_to_prev_var_name")
    ckpt = spec["ckpt_to_initialize_from"]
    prefix = None
    if not prev:
        try:
            prefix = resolve_ckpt(ckpt)
        except WSError:
            if os.path.isdir(ckpt):
                raise
            prefix = None
        prev = {}
        if prefix is not None:
            r = tf.train.load_checkpoint(prefix)
            if r.has_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"):
                og = trackable_object_graph_pb2.TrackableObjectGraph()
                og.ParseFromString(r.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
                keys = {a.full_name: a.checkpoint_key for n in og.nodes for a in n.attributes}
                missing = set(groups) - set(keys)
                if missing:
                    raise WSError("object-based ckpt missing %s" % missing)
                prev = {n: keys[n] for n in groups}
    prefix = resolve_ckpt(ckpt)
    old = tf.train.load_checkpoint(prefix)
    old_shapes = old.get_variable_to_shape_map()
    old_dtypes = old.get_variable_to_dtype_map()

    def old_tensor(key):
        try:
            return old.get_tensor(key)
        except Exception as e:  # noqa: BLE001
            raise WSError("cannot read %s: %s" % (key, e))

    # Start from NEW values per part.
    out = {}
    for it in model.global_items:
        try:
            full = new_r.get_tensor(it["full"])
        except Exception:  # noqa: BLE001 - TF's reader cannot assemble sliced float16/uint16/32/64
            out[it["tname"]] = None
            continue
        if it["part"]:
            out[it["tname"]] = full[tuple(slice(o, o + s) for o, s in zip(it["offset"], it["shape"]))]
        else:
            out[it["tname"]] = full
    prev_used, vocab_used = set(), set()
    for name, items in groups.items():
        p = prev.get(name)
        if p:
            prev_used.add(name)
        vi = vocab.get(name)
        key = p or name
        if vi:
            vocab_used.add(name)
            for it, val in zip(items, remap(vi, items, key, old, old_shapes, old_dtypes, old_tensor, prefix)):
                out[it["tname"]] = val
        elif form:
            if key not in old_shapes:
                raise WSError("Tensor %s is not found" % key)
            if list(old_shapes[key]) != items[0]["full_shape"]:
                raise WSError("shape mismatch")
            if old_dtypes[key].name != items[0]["dtype"]:
                raise WSError("dtype mismatch")
            if items[0]["part"] and len(items) == 1 and items[0]["shape"] != items[0]["full_shape"]:
                raise WSError("single part selected: shape check against the full tensor")
            if items[0]["part"] and items[0]["dtype"] in SLICE_UNSUPPORTED:
                raise WSError("sliced restore of %s unsupported" % items[0]["dtype"])
            full = old_tensor(key)
            for it in items:
                if it["part"]:
                    out[it["tname"]] = full[tuple(slice(o, o + s) for o, s in zip(it["offset"], it["shape"]))]
                else:
                    out[it["tname"]] = full
    if set(spec.get("var_name_to_prev_var_name") or {}) - prev_used:
        raise WSError("unused prev")
    if set(vocab) - vocab_used:
        raise WSError("unused vocab")
    return out


def remap(vi, items, key, old, old_shapes, old_dtypes, old_tensor, prefix):
    if not (vi["new_vocab"] and vi["new_vocab_size"] and vi["old_vocab"]):
        raise WSError("Invalid args")
    b = vi["backup_initializer"]
    B = np.float32(0 if b in (None, "zeros") else b["constant"])
    V, O, axis = vi["new_vocab_size"], vi["num_oov_buckets"], vi["axis"]
    if any(len(it["shape"]) != 2 for it in items):
        raise WSError("vocab var must be 2-D")
    if items[0]["dtype"] != "float32":
        raise WSError("vocab var must be float32")
    total_rows = sum(it["shape"][0] for it in items)
    results, checks = [], []
    for it in items:
        r, c = it["shape"]
        o = it["offset"][0] if it["part"] else 0
        if axis == 0:
            if o + r > V + O:
                raise WSError("rows exceed")
        else:
            if c != V + O:
                raise WSError("Expected 2nd dim")
            if o + r > total_rows:
                raise WSError("rows exceed (axis 1)")
        checks.append((it, r, c, o))
    # Run-time part (the initializers).
    new_lines = read_vocab(vi["new_vocab"])
    old_lines = read_vocab(vi["old_vocab"], vi["old_vocab_size"] if axis == 0 else -1)
    oidx = old_index(old_lines)
    if key not in old_shapes:
        raise WSError("NotFound %s" % key)
    if old_dtypes[key].name != "float32" or len(old_shapes[key]) != 2:
        raise WSError("old tensor not float32 rank 2")
    W = None
    for it, r, c, o in checks:
        val = np.full([r, c], B, np.float32)
        if axis == 0:
            oov = min(r, max(0, o + r - V))
            L = r - oov
            if o <= V:
                if o + L > len(new_lines):
                    raise WSError("lookup table size")
                if old_shapes[key][1] != c:
                    raise WSError("2nd dimension")
                js = [oidx.get(new_lines[o + i], -1) for i in range(L)]
                present = [j for j in js if j >= 0]
                if len(set(present)) != len(present):
                    raise WSError("Old ID mapped to both")
                if present and max(present) >= old_shapes[key][0]:
                    raise WSError("out of bounds")
                if present:
                    W = old_tensor(key) if W is None else W
                for i, j in enumerate(js):
                    if j >= 0:
                        val[i] = W[j]
        else:
            if V > len(new_lines):
                raise WSError("lookup table size")
            js = [oidx.get(new_lines[k], -1) for k in range(V)]
            present = [j for j in js if j >= 0]
            if len(set(present)) != len(present):
                raise WSError("Old ID mapped to both")
            if o + r > old_shapes[key][0]:
                raise WSError("out of bounds (rows)")
            if present and max(present) >= old_shapes[key][1]:
                raise WSError("column beyond old tensor: TF leaves garbage")
            W = old_tensor(key) if W is None else W
            for k, j in enumerate(js):
                if j >= 0:
                    val[:, k] = W[o:o + r, j]
        results.append(val)
    return results


def check_one(sdir):
    try:
        pred = predict(sdir)
        perr = None
    except WSError as e:
        pred, perr = None, str(e)
    except Exception as e:  # noqa: BLE001 - TF errors while reading count as errors
        pred, perr = None, "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    has_err = os.path.exists(os.path.join(sdir, "expected_error.json"))
    if has_err:
        if perr is None:
            err = json.load(open(os.path.join(sdir, "expected_error.json")))
            return {"scenario": sdir, "problem": "TF raised, model did not", "tf": err}
        return None
    if perr is not None:
        return {"scenario": sdir, "problem": "model raised, TF did not", "model": perr}
    exp_items = NewModel(os.path.join(sdir, "new", "model-0.meta")).global_items
    exp_r = tf.train.load_checkpoint(os.path.join(sdir, "expected", "model-0"))
    diffs = []
    for it in exp_items:
        try:
            full = exp_r.get_tensor(it["full"])
        except Exception:  # noqa: BLE001 - sliced float16 etc.
            continue
        want = full[tuple(slice(o, o + s) for o, s in zip(it["offset"], it["shape"]))] if it["part"] else full
        got = np.asarray(pred[it["tname"]])
        if got.dtype != want.dtype or got.shape != want.shape or got.tobytes() != want.tobytes():
            diffs.append(it["tname"])
    if diffs:
        return {"scenario": sdir, "problem": "values differ", "variables": diffs}
    return None


def main():
    dirs = []
    for d in sys.argv[1:]:
        if os.path.exists(os.path.join(d, "spec.json")):
            dirs.append(d)
        else:
            dirs += [os.path.join(d, x) for x in sorted(os.listdir(d)) if os.path.exists(os.path.join(d, x, "spec.json"))]
    bad = 0
    for d in dirs:
        res = check_one(d)
        if res:
            bad += 1
            print(json.dumps(res, default=str))
    print(json.dumps({"scenarios": len(dirs), "disagreements": bad}))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
