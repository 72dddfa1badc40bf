"""Restores a merged checkpoint into a fresh NEW Keras model of a Keras fixture case, as a user
would, and prints what it found as one JSON object.

Usage: keras_restore.py CASE_DIR MERGED_PREFIX [CASE_DIR MERGED_PREFIX]...   (a JSON line each)

The NEW model is built with its optimizer built (slots and counters exist), then
tf.train.Checkpoint(...).read(MERGED).assert_existing_objects_matched(). Every model and optimizer
variable is compared with expected/model (TF's own warm_start result), optimizer state with NEW's
checkpoint, and every embedding row with OLD's row of the same token or the backup value.
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_models as km  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from make_keras_fixtures import object_graph_variables  # noqa: E402


def main(case_dir, merged):
    scenario = json.load(open(os.path.join(case_dir, "scenario.json")))
    spec = json.load(open(os.path.join(case_dir, "spec.json")))
    case = scenario["name"]
    model = km.build(case, len(scenario["new_vocab"]), seed=3, learning_rate=1e-1)
    km.build_optimizer(case, model)
    ckpt = km.checkpoint(case, model)
    status = ckpt.restore(merged) if km.CASES[case]["save"] else ckpt.read(merged)
    out = {"existing_objects_matched": False, "consumed": False}
    try:
        status.assert_existing_objects_matched()
        out["existing_objects_matched"] = True
        status.assert_consumed()
        out["consumed"] = True
    except AssertionError as e:
        out["assertion"] = str(e)[:500]
    expected = tf.train.load_checkpoint(os.path.join(case_dir, "expected/model"))
    new_names, new = object_graph_variables(os.path.join(case_dir, spec["new_checkpoint"]))
    old_names, old = object_graph_variables(os.path.join(case_dir, spec["ckpt_to_initialize_from"]))
    # What the model now holds: written back through the same Checkpoint, named like NEW's
    # variables by checkpoint key (a freshly built tf-keras optimizer names its slots differently).
    name_of = {k: n for n, k in new_names.items()}
    with tempfile.TemporaryDirectory() as tmp:
        held_names, held = object_graph_variables(ckpt.write(f"{tmp}/ckpt"))
        values = {name_of.get(k, k): held.get_tensor(k) for k in held_names.values()}
    mismatches, kept = [], []
    for name, value in sorted(values.items()):
        if name not in name_of.values() or not np.array_equal(value, expected.get_tensor(name)):
            mismatches.append(name)
        if name in scenario["not_trainable"] and np.array_equal(value, new.get_tensor(new_names[name])):
            kept.append(name)
    compared = len(values)
    emb_name = scenario["embedding"]
    emb = values[emb_name]
    old_emb = old.get_tensor(old_names[emb_name])
    backup = scenario["backup"]
    fill = 0.0 if backup == "zeros" else backup["constant"]
    rows = []
    for i, token in enumerate(scenario["new_vocab"]):
        if token in scenario["old_vocab"]:
            ok = np.array_equal(emb[i], old_emb[scenario["old_vocab"].index(token)])
            rows.append("old" if ok else "wrong")
        else:
            rows.append("backup" if np.all(emb[i] == fill) else "wrong")
    out.update({"compared": compared, "mismatches": mismatches, "kept_from_new": kept,
                "embedding_rows": rows})
    print(json.dumps(out))


if __name__ == "__main__":
    args = sys.argv[1:]
    for i in range(0, len(args), 2):
        main(args[i], args[i + 1])
