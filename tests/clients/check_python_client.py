"""Runs the Python client (installed with pip into a --target directory on PYTHONPATH) against a
running server on TF-made scenarios and compares each merged checkpoint with TF's own
warm_start result (the scenario's expected/), tensor by tensor, as TensorFlow reads them.

Usage: check_python_client.py URL TOKEN OUT_DIR SCENARIO_DIR...     prints one JSON object
"""
import json
import os
import sys
import types

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
import warm_start_client  # noqa: E402
from warm_start_client import RetryableError, warm_start  # noqa: E402


def tf_args(spec, d):
    """The scenario's spec as the arguments a TF user passes (VocabInfo objects, initializers)."""
    p = lambda rel: os.path.join(d, rel)  # noqa: E731
    vocab = {}
    for name, vi in spec.get("var_name_to_vocab_info", {}).items():
        b = vi.get("backup_initializer", "zeros")
        backup = None if b == "zeros" else tf.compat.v1.random_uniform_initializer(
            b["constant"], b["constant"])
        vocab[name] = tf.compat.v1.train.VocabInfo(
            new_vocab=p(vi["new_vocab"]), new_vocab_size=vi["new_vocab_size"],
            num_oov_buckets=vi["num_oov_buckets"], old_vocab=p(vi["old_vocab"]),
            old_vocab_size=vi.get("old_vocab_size", -1), backup_initializer=backup,
            axis=vi.get("axis", 0))
    vars_ = spec.get("vars_to_warm_start", ".*")
    if isinstance(vars_, dict):  # TF takes Variable objects: anything with a .name
        vars_ = [types.SimpleNamespace(name=n + ":0") for n in vars_["variables"]]
    return dict(ckpt_to_initialize_from=p(spec["ckpt_to_initialize_from"]),
                vars_to_warm_start=vars_, var_name_to_vocab_info=vocab or None,
                var_name_to_prev_var_name=spec.get("var_name_to_prev_var_name"),
                new_checkpoint=p(spec["new_checkpoint"]))


def same_as_expected(output, d):
    want = tf.train.load_checkpoint(os.path.join(d, "expected", "model-0"))
    got = tf.train.load_checkpoint(output)
    names = sorted(want.get_variable_to_shape_map())
    if names != sorted(got.get_variable_to_shape_map()):
        return False
    return all(np.array_equal(want.get_tensor(n), got.get_tensor(n)) for n in names)


def main(url, token, out, dirs):
    results = {"version": warm_start_client.__version__, "module": warm_start_client.__file__}
    for d in dirs:
        name = os.path.basename(d.rstrip("/"))
        spec = json.load(open(os.path.join(d, "spec.json")))
        output = os.path.join(out, name, "model-0")
        events = []
        try:
            report = warm_start(**tf_args(spec, d), output=output, url=url, token=token,
                                on_progress=events.append)
            results[name] = {"ok": True, "matches_tf": same_as_expected(output, d),
                             "warm_started": report["totals"]["warmStarted"],
                             "progress": len(events),
                             "phases": sorted({e["phase"] for e in events})}
        except ValueError as e:
            results[name] = {"ok": False, "raised": "ValueError", "message": str(e),
                             "written": os.path.exists(os.path.dirname(output))}
        except RetryableError as e:
            results[name] = {"ok": False, "raised": "RetryableError", "status": e.status}
    print(json.dumps(results))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:])
