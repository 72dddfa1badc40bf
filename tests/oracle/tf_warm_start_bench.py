"""TensorFlow's own warm start + save on a job spec, timed: the benchmark's baseline.

    TF_CPP_MIN_LOG_LEVEL=3 .venv/bin/python tests/oracle/tf_warm_start_bench.py SPEC.json OUTPUT_PREFIX

Builds the NEW model in a graph (one variable per NEW checkpoint tensor, its name, shape and dtype, with a
zeros initializer), calls ``tf.compat.v1.train.warm_start`` with the spec's settings (relative locations resolve
against the spec's directory), runs the initializers and saves with ``tf.compat.v1.train.Saver``. Prints one
JSON line: ``seconds`` (graph building to saved, after importing TensorFlow), ``processSeconds`` (since the
interpreter started, import included) and ``peakRssMiB`` (``resource.getrusage`` of this process).
"""

import json
import os
import resource
import sys
import time

STARTED = time.time()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")


def main(spec_path, output):
    spec_path = os.path.abspath(spec_path)
    output = os.path.abspath(output)
    with open(spec_path) as f:
        spec = json.load(f)
    os.chdir(os.path.dirname(spec_path))  # relative locations, as in the engine
    t0 = time.time()
    g = tf.Graph()
    with g.as_default():
        for name, shape in tf.train.list_variables(spec["new_checkpoint"]):
            dtype = tf.train.load_checkpoint(spec["new_checkpoint"]).get_variable_to_dtype_map()[name]
            tf.compat.v1.get_variable(name, shape=shape, dtype=dtype, initializer=tf.compat.v1.zeros_initializer())
        vocab = {
            name: tf.compat.v1.train.VocabInfo(
                new_vocab=v["new_vocab"],
                new_vocab_size=v["new_vocab_size"],
                num_oov_buckets=v["num_oov_buckets"],
                old_vocab=v["old_vocab"],
                old_vocab_size=v.get("old_vocab_size", -1),
            )
            for name, v in spec.get("var_name_to_vocab_info", {}).items()
        }
        with tf.compat.v1.Session(graph=g) as sess:
            tf.compat.v1.train.warm_start(
                spec["ckpt_to_initialize_from"],
                vars_to_warm_start=spec.get("vars_to_warm_start", ".*"),
                var_name_to_vocab_info=vocab,
            )
            sess.run(tf.compat.v1.global_variables_initializer())
            tf.compat.v1.train.Saver(sharded=False).save(sess, output, write_meta_graph=False)
    now = time.time()
    print(json.dumps({
        "seconds": now - t0,
        "processSeconds": now - STARTED,
        "peakRssMiB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
