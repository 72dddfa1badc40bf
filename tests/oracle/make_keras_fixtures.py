"""Writes the Keras fixtures: tests/fixtures/data/keras/<case>/ (see keras_models.py for the cases).

Each case: an OLD model trained 4 steps on a 6-token vocabulary and a NEW model with the vocabulary
grown to 9 tokens (reordered, 3 new), its optimizer built and trained 2 steps (so NEW's iteration,
learning rate and slots differ from OLD's), both written by tf.train.Checkpoint as Keras users do.

expected/model is TF's own tf.compat.v1.train.warm_start result, a name-based checkpoint keyed by
the variables' graph names: warm_start finds nothing in eager mode (empty collections), so each NEW
variable is made in a tf.Graph with get_variable(full_name, NEW value, trainable=Keras's own
answer) and warm_start(OLD, ".*", {embedding: VocabInfo}) runs there (it maps full names to the
object-based OLD's keys itself). The script checks TF's answer against the rule it implements
(embedding rows from OLD or the backup, the rest of the model from OLD, optimizer state NEW's).

files/ holds a Keras 3 model.weights.h5 and model.keras (not TF checkpoints: the CLI must say so).

Usage: TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/oracle/make_keras_fixtures.py [OUT_ROOT]
"""
import json
import os
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import keras_models as km  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.core.protobuf import trackable_object_graph_pb2  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
OLD_VOCAB = ["a", "b", "c", "d", "e", "f"]
NEW_VOCAB = ["c", "a", "x", "b", "f", "y", "d", "z", "e"]


def object_graph_variables(prefix):
    """full_name -> checkpoint key of every variable of an object-based checkpoint."""
    reader = tf.train.load_checkpoint(prefix)
    graph = trackable_object_graph_pb2.TrackableObjectGraph()
    graph.ParseFromString(reader.get_tensor("_CHECKPOINTABLE_OBJECT_GRAPH"))
    out = {}
    for node in graph.nodes:
        for a in node.attributes:
            if a.name == "VARIABLE_VALUE":
                out[a.full_name] = a.checkpoint_key
    return out, reader


def backup_initializer(backup):
    if backup == "zeros":
        return None
    c = backup["constant"]
    return tf.compat.v1.random_uniform_initializer(c, c)


def tf_warm_start(case, old_prefix, new_prefix, trainable, emb):
    """TF's own warm_start on the NEW variables (graph mode); returns full_name -> value."""
    names, reader = object_graph_variables(new_prefix)
    graph = tf.Graph()
    with graph.as_default():
        variables = {
            n: tf.compat.v1.get_variable(n, initializer=tf.constant(reader.get_tensor(k)),
                                         trainable=n in trainable, use_resource=True)
            for n, k in sorted(names.items())
        }
        vi = tf.compat.v1.train.VocabInfo(
            new_vocab="new_vocab.txt", new_vocab_size=len(NEW_VOCAB), num_oov_buckets=0,
            old_vocab="old_vocab.txt", old_vocab_size=-1,
            backup_initializer=backup_initializer(km.CASES[case]["backup"]))
        tf.compat.v1.train.warm_start(ckpt_to_initialize_from=old_prefix, vars_to_warm_start=".*",
                                      var_name_to_vocab_info={emb: vi})
        with tf.compat.v1.Session(graph=graph) as s:
            s.run(tf.compat.v1.global_variables_initializer())
            values = {n: s.run(v) for n, v in variables.items()}
            saver = tf.compat.v1.train.Saver(variables, sharded=False, save_relative_paths=True)
            saver.save(s, "expected/model", write_meta_graph=False, write_state=False)
    return values


def check_rule(case, values, old_prefix, new_prefix, trainable, emb):
    """TF's answer is the rule the engine implements (a sanity check of the recipe)."""
    old_names, old = object_graph_variables(old_prefix)
    new_names, new = object_graph_variables(new_prefix)
    backup = km.CASES[case]["backup"]
    fill = 0.0 if backup == "zeros" else backup["constant"]
    for n, v in values.items():
        nv = new.get_tensor(new_names[n])
        if n == emb:
            ov = old.get_tensor(old_names[n])
            want = np.array([ov[OLD_VOCAB.index(t)] if t in OLD_VOCAB else np.full(km.DIM, fill)
                             for t in NEW_VOCAB], dtype=nv.dtype)
        elif n in trainable:
            want = old.get_tensor(old_names[n])
        else:
            want = nv
        assert np.array_equal(v, want), f"{case}: TF's warm_start gave {n} = {v}, rule says {want}"
        assert n in trainable or np.array_equal(v, nv), n


def make_case(case, root):
    d = os.path.join(root, case)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    cwd = os.getcwd()
    os.chdir(d)
    try:
        with open("old_vocab.txt", "w") as f:
            f.write("\n".join(OLD_VOCAB) + "\n")
        with open("new_vocab.txt", "w") as f:
            f.write("\n".join(NEW_VOCAB) + "\n")
        save = km.CASES[case]["save"]

        def write(model, prefix):
            ckpt = km.checkpoint(case, model)
            return ckpt.save(prefix) if save else ckpt.write(prefix)

        old = km.build(case, len(OLD_VOCAB), seed=1, learning_rate=1e-3)
        km.train(old, len(OLD_VOCAB), steps=4, seed=11)
        old_prefix = write(old, "old/ckpt")
        new = km.build(case, len(NEW_VOCAB), seed=2, learning_rate=2e-3)
        km.train(new, len(NEW_VOCAB), steps=2, seed=12)
        new_prefix = write(new, "new/ckpt")
        trainable = km.trainable_names(case, new)
        emb = km.embedding_name(case)
        values = tf_warm_start(case, old_prefix, new_prefix, trainable, emb)
        check_rule(case, values, old_prefix, new_prefix, trainable, emb)
        spec = {
            "ckpt_to_initialize_from": old_prefix,
            "new_checkpoint": new_prefix,
            "output": "out/ckpt",
            "var_name_to_vocab_info": {emb: {
                "new_vocab": "new_vocab.txt", "new_vocab_size": len(NEW_VOCAB),
                "num_oov_buckets": 0, "old_vocab": "old_vocab.txt", "old_vocab_size": -1,
                "backup_initializer": km.CASES[case]["backup"], "axis": 0}},
        }
        all_names = sorted(values)
        scenario = {
            "name": case, **km.CASES[case], "tf_version": tf.__version__,
            "keras_version": km.framework(case).__version__,
            "embedding": emb, "old_vocab": OLD_VOCAB, "new_vocab": NEW_VOCAB,
            "trainable": trainable,
            "not_trainable": [n for n in all_names if n not in trainable],
        }
        for name, obj in (("spec.json", spec), ("scenario.json", scenario)):
            with open(name, "w") as f:
                json.dump(obj, f, indent=2, sort_keys=True)
                f.write("\n")
        if case == "keras3_sequential_adam":
            os.makedirs(os.path.join(root, "files"), exist_ok=True)
            new.save_weights(os.path.join(root, "files", "model.weights.h5"))
            new.save(os.path.join(root, "files", "model.keras"))
    finally:
        os.chdir(cwd)
    print(f"{case}: {len(trainable)} trainable, {len(values) - len(trainable)} kept from NEW")


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(REPO, "tests/fixtures/data/keras")
    os.makedirs(root, exist_ok=True)
    for case in km.CASES:
        make_case(case, os.path.abspath(root))


if __name__ == "__main__":
    main()
