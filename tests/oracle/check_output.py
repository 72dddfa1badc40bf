"""Validates a merged checkpoint against a scenario's expected/ checkpoint, using real TensorFlow.

Usage: .venv/bin/python tests/oracle/check_output.py <scenario_dir> <output_prefix>

<output_prefix> is a checkpoint prefix (e.g. /tmp/x/out/model-0); a relative prefix is resolved against the
current directory, else against <scenario_dir>.

Checks:
1. bitwise: tf.train.load_checkpoint on expected/model-0 and on the output; same key set, and for every key equal
   dtype, shape and numpy tobytes().
2. interop: in a fresh graph, tf.compat.v1.train.import_meta_graph(new/model-0.meta) + Saver.restore(sess, output)
   must succeed (TF can load the merged checkpoint into the NEW model), and every restored variable/part must be
   bitwise equal to what restoring expected/ gives (this also covers tensors TF's reader cannot assemble: sliced
   float16/uint16/uint32/uint64).

Prints JSON {"ok": bool, "mismatches": [...], "interop": {"ok": bool, "error": ...}} and exits 0 iff ok.
"""

import json
import os
import re
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")


def _read(prefix):
    """{key: (dtype, array or None)}; None when TF's reader cannot assemble the tensor (TF cannot read sliced
    float16/uint16/uint32/uint64 tensors: "Dtype half not supported.")."""
    r = tf.train.load_checkpoint(prefix)
    dtypes = r.get_variable_to_dtype_map()
    out = {}
    for k in r.get_variable_to_shape_map():
        try:
            out[k] = (dtypes[k], r.get_tensor(k))
        except Exception as e:  # noqa: BLE001
            out[k] = (dtypes[k], "unreadable: %s" % e)
    return out


def _diff(label, k, ev, av):
    ev, av = np.asarray(ev), np.asarray(av)
    if ev.dtype != av.dtype:
        return "%s: %s dtype %s != expected %s" % (label, k, av.dtype, ev.dtype)
    if ev.shape != av.shape:
        return "%s: %s shape %s != expected %s" % (label, k, list(av.shape), list(ev.shape))
    if ev.tobytes() == av.tobytes():
        return None
    eb = ev.reshape(-1).view(np.uint8).reshape(ev.size, -1)
    ab = av.reshape(-1).view(np.uint8).reshape(av.size, -1)
    bad = np.nonzero((eb != ab).any(axis=1))[0]
    first = int(bad[0])
    return "%s: %s values differ (%d of %d elements; first flat index %d: got %r, expected %r)" % (
        label, k, len(bad), ev.size, first, av.reshape(-1)[first].item(), ev.reshape(-1)[first].item())


def compare(expected_prefix, actual_prefix, label="output"):
    """Reader-level comparison: key set, dtype, shape, bytes."""
    mismatches = []
    try:
        exp = _read(expected_prefix)
    except Exception as e:  # noqa: BLE001
        return ["cannot read expected %s: %s: %s" % (expected_prefix, type(e).__name__, e)]
    try:
        act = _read(actual_prefix)
    except Exception as e:  # noqa: BLE001
        return ["cannot read %s %s: %s: %s" % (label, actual_prefix, type(e).__name__, e)]
    for k in sorted(set(exp) - set(act)):
        mismatches.append("%s: missing key %s" % (label, k))
    for k in sorted(set(act) - set(exp)):
        mismatches.append("%s: unexpected key %s" % (label, k))
    for k in sorted(set(exp) & set(act)):
        (edt, ev), (adt, av) = exp[k], act[k]
        if edt != adt:
            mismatches.append("%s: %s dtype %s != expected %s" % (label, k, adt.name, edt.name))
            continue
        if isinstance(ev, str) or isinstance(av, str):
            if not (isinstance(ev, str) and isinstance(av, str)):
                mismatches.append("%s: %s readable in only one checkpoint (expected: %s; %s: %s)" % (
                    label, k, ev if isinstance(ev, str) else "ok", label, av if isinstance(av, str) else "ok"))
            continue  # both unreadable by the reader: compared through restore below
        d = _diff(label, k, ev, av)
        if d:
            mismatches.append(d)
    return mismatches


def _restore_values(meta, prefix):
    """Restores prefix into the NEW graph (import_meta_graph) and returns {variable/part name: value}."""
    g = tf.Graph()
    with g.as_default():
        saver = tf.compat.v1.train.import_meta_graph(meta)
        with tf.compat.v1.Session(graph=g) as sess:
            saver.restore(sess, prefix)
            vs = tf.compat.v1.global_variables()
            vals = sess.run(vs)
            return {v.name: val for v, val in zip(vs, vals)}


def _op_msg(e):
    msg = e.message if isinstance(e, tf.errors.OpError) else str(e)
    m = re.search(r"\nNode: '[^']*'\n", msg)
    if m:
        msg = msg[m.end():]
    return "%s: %s" % (type(e).__name__, re.split(r"\n\s*\[\[", msg)[0].strip()[:2000])


def interop(scenario_dir, actual_prefix):
    """import_meta_graph(new/model-0.meta) + restore(output) must work; the restored variables (every part) must
    equal those restored from expected/. Returns (ok, error, mismatches)."""
    meta = os.path.join(scenario_dir, "new", "model-0.meta")
    try:
        act = _restore_values(meta, actual_prefix)
    except Exception as e:  # noqa: BLE001
        return False, _op_msg(e), []
    exp = _restore_values(meta, os.path.join(scenario_dir, "expected", "model-0"))
    mism = []
    for k in sorted(exp):
        d = _diff("restored", k, exp[k], act.get(k))
        if d:
            mism.append(d)
    return True, None, mism


def check(scenario_dir, output_prefix):
    scenario_dir = os.path.abspath(scenario_dir)
    if not os.path.isabs(output_prefix) and not os.path.exists(output_prefix + ".index"):
        cand = os.path.join(scenario_dir, output_prefix)
        if os.path.exists(cand + ".index"):
            output_prefix = cand
    output_prefix = os.path.abspath(output_prefix)
    if os.path.exists(os.path.join(scenario_dir, "expected_error.json")):
        with open(os.path.join(scenario_dir, "expected_error.json")) as f:
            err = json.load(f)
        return {"ok": False, "mismatches": ["scenario expects an error, not an output: %s" % json.dumps(err)],
                "interop": None}
    mismatches = compare(os.path.join(scenario_dir, "expected", "model-0"), output_prefix)
    ok_i, err_i, resaved = interop(scenario_dir, output_prefix)
    mismatches += resaved
    if not ok_i:
        mismatches.append("interop: restore into the NEW graph failed: %s" % err_i)
    return {"ok": not mismatches, "mismatches": mismatches, "interop": {"ok": ok_i, "error": err_i}}


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    res = check(sys.argv[1], sys.argv[2])
    print(json.dumps(res, indent=2))
    sys.exit(0 if res["ok"] else 1)


if __name__ == "__main__":
    main()
