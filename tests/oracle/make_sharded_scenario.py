"""A scenario whose NEW checkpoint has TWO data shards and tensors larger than one multipart part.

Usage: .venv/bin/python tests/oracle/make_sharded_scenario.py OUT_DIR [--rows N] [--kernel-rows N]

Writes OUT_DIR/sharded_large/ in the scenario directory format of oracle.py (old/, new/, vocab files,
spec.json, expected/ from TF's own tf.compat.v1.train.warm_start, scenario.json). The NEW graph puts
its variables on two CPU devices and saves with Saver(sharded=True), so new/model-0 has
data-00000-of-00002 and data-00001-of-00002 (the merged output keeps NEW's sharding):

- shard 0 (/cpu:0): `emb` [rows, 64] float32 warm-started through a vocabulary remap (the new vocab is
  a shuffled 90% of the old one plus new tokens; new rows are zeros), `global_step` int64;
- shard 1 (/cpu:1): `dense/kernel` [kernel_rows, 1000] float32 (a verbatim copy from OLD) and
  `dense/bias` [1000].

With the defaults (50,000 rows, 2,200 kernel rows) each shard is > 8 MiB (the S3 store's part size),
so tasks of one part each cross tensor boundaries. Deterministic: same bytes on every run.
Used by tests/function/step_functions_test.ts (generated into a temp dir: too large to commit).
"""

import argparse
import json
import os
import shutil
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import oracle  # noqa: E402

tf.get_logger().setLevel("ERROR")

DIM = 64
UNITS = 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=50_000)
    ap.add_argument("--kernel-rows", type=int, default=2_200)
    args = ap.parse_args()
    rows, krows = args.rows, args.kernel_rows
    rng = np.random.default_rng(12)
    old_vocab = ["w%05d" % i for i in range(rows)]
    kept = rng.permutation(rows)[: rows * 9 // 10]
    new_vocab = [old_vocab[i] for i in kept] + ["n%05d" % i for i in range(rows - len(kept))]
    old_emb = rng.standard_normal((rows, DIM), dtype=np.float32)
    old_kernel = rng.standard_normal((krows, UNITS), dtype=np.float32)
    old_bias = rng.standard_normal((UNITS,), dtype=np.float32)

    sdir = os.path.abspath(os.path.join(args.out, "sharded_large"))
    if os.path.exists(sdir):
        shutil.rmtree(sdir)
    os.makedirs(os.path.join(sdir, "old"))
    os.makedirs(os.path.join(sdir, "new"))
    os.chdir(sdir)
    with open("old_vocab.txt", "w") as f:
        f.write("\n".join(old_vocab) + "\n")
    with open("new_vocab.txt", "w") as f:
        f.write("\n".join(new_vocab) + "\n")

    oracle._save_tf1(
        [
            {"name": "emb", "value": old_emb},
            {"name": "dense/kernel", "value": old_kernel},
            {"name": "dense/bias", "value": old_bias},
        ],
        "old/model",
        write_meta=False,
    )
    vocab_info = {
        "new_vocab": "new_vocab.txt",
        "new_vocab_size": rows,
        "num_oov_buckets": 0,
        "old_vocab": "old_vocab.txt",
        "old_vocab_size": -1,
        "backup_initializer": "zeros",
        "axis": 0,
    }
    spec = {
        "ckpt_to_initialize_from": "old",
        "new_checkpoint": oracle.NEW_PREFIX,
        "output": oracle.OUTPUT_PREFIX,
        "var_name_to_vocab_info": {"emb": vocab_info},
    }
    oracle._write_json("spec.json", spec)
    oracle._write_json("scenario.json", {
        "name": "sharded_large",
        "source": "tests/oracle/make_sharded_scenario.py",
        "description": "NEW in 2 data shards (Saver(sharded=True) over 2 CPU devices); emb [%d,%d] "
                       "remapped by vocabulary, dense/kernel [%d,%d] copied." % (rows, DIM, krows, UNITS),
        "tf_version": tf.__version__,
    })

    g = tf.Graph()
    config = tf.compat.v1.ConfigProto(device_count={"CPU": 2})
    with g.as_default():
        # Seeded random initializers (deterministic on CPU), not constants: the .meta stays small.
        tf.compat.v1.set_random_seed(7)
        normal = tf.compat.v1.random_normal_initializer
        with tf.device("/cpu:0"):
            tf.compat.v1.get_variable("emb", [rows, DIM], initializer=normal(seed=1))
            gs = tf.compat.v1.train.get_or_create_global_step()
        with tf.device("/cpu:1"):
            tf.compat.v1.get_variable("dense/kernel", [krows, UNITS], initializer=normal(seed=2))
            tf.compat.v1.get_variable("dense/bias", [UNITS], initializer=tf.compat.v1.zeros_initializer())
        with tf.compat.v1.Session(graph=g, config=config) as sess:
            sess.run(tf.compat.v1.global_variables_initializer())
            saver = tf.compat.v1.train.Saver(sharded=True, save_relative_paths=True)
            saver.save(sess, "new/model", global_step=0, write_meta_graph=False)
            # Devices cleared: a one-CPU process (check_output.py) can import and restore it.
            tf.compat.v1.train.export_meta_graph(
                "new/model-0.meta", clear_devices=True, saver_def=saver.saver_def)
            tf.compat.v1.train.warm_start(
                "old", vars_to_warm_start=".*",
                var_name_to_vocab_info={"emb": oracle._to_vocab_info(vocab_info)})
            sess.run(tf.compat.v1.global_variables_initializer())
            del gs
            saver2 = tf.compat.v1.train.Saver(sharded=False, save_relative_paths=True)
            saver2.save(sess, oracle.EXPECTED_PREFIX, write_meta_graph=False)
    shards = sorted(n for n in os.listdir("new") if ".data-" in n)
    if shards != ["model-0.data-00000-of-00002", "model-0.data-00001-of-00002"]:
        raise SystemExit("expected 2 NEW data shards, got %s" % shards)
    print(json.dumps({"dir": sdir, "shards": shards}))


if __name__ == "__main__":
    main()
