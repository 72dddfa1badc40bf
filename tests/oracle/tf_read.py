#!/usr/bin/env python3
"""TensorFlow side of the interop tests: reads a checkpoint with real TF and prints JSON.

    tf_read.py load PREFIX                 tf.train.load_checkpoint: every variable's dtype, shape, bytes
    tf_read.py load_many PREFIX...         the same for several checkpoints (one TF start-up)
    tf_read.py tf1_restore META PREFIX     import the .meta graph, Saver.restore(PREFIX), print variables
    tf_read.py tf2_restore PREFIX          rebuild the TF2 fixture's objects, Checkpoint.restore(PREFIX)
                                           .assert_consumed(), print variables and the iterator's next value

Values are hex of numpy .tobytes() (row-major), strings as base64, like tests/fixtures manifest.json.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from make_fixtures import build_tf2_objects, describe_checkpoint  # noqa: E402  (asserts TF 2.21.0)


def load(prefix):
    return {"variables": describe_checkpoint(prefix)}


def tf1_restore(meta, prefix):
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.compat.v1.train.import_meta_graph(meta)
        with tf.compat.v1.Session(graph=graph) as sess:
            saver.restore(sess, prefix)
            out = {}
            for v in tf.compat.v1.global_variables():
                out[v.op.name] = np.ascontiguousarray(sess.run(v)).tobytes().hex()
    return {"variables": out}


def tf2_restore(prefix):
    model, opt, it = build_tf2_objects()
    variables = [model.dense_w, model.bias]
    # Create the optimizer slots first (zero gradients leave everything unchanged) so that
    # assert_consumed() can match the checkpoint's slot variables.
    opt.apply_gradients(zip([tf.zeros_like(v) for v in variables], variables))
    ckpt = tf.train.Checkpoint(model=model, optimizer=opt, it=it)
    status = ckpt.restore(prefix)
    status.assert_consumed()
    out = {
        "model/dense_w": model.dense_w.numpy().tobytes().hex(),
        "model/bias": model.bias.numpy().tobytes().hex(),
        "model/step": model.step.numpy().tobytes().hex(),
        "slot/dense_w": opt.get_slot(model.dense_w, "momentum").numpy().tobytes().hex(),
        "slot/bias": opt.get_slot(model.bias, "momentum").numpy().tobytes().hex(),
        "save_counter": ckpt.save_counter.numpy().tobytes().hex(),
        "iterator_next": int(next(it).numpy()),
    }
    return {"variables": out, "consumed": True}


def main(argv):
    mode = argv[1]
    if mode == "load":
        result = load(argv[2])
    elif mode == "load_many":
        result = {"checkpoints": [load(p) for p in argv[2:]]}
    elif mode == "tf1_restore":
        result = tf1_restore(argv[2], argv[3])
    elif mode == "tf2_restore":
        result = tf2_restore(argv[2])
    else:
        raise SystemExit(f"unknown mode {mode}")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv)
