"""TensorFlow side of the end-to-end test (runs in the repo's .venv).

  python tf_checkpoints.py make DIR   writes DIR/old (model.ckpt-100) and DIR/new (model.ckpt-1),
                                       TF1 Saver checkpoints with .meta and `checkpoint` files and
                                       vocabularies (old/old_vocab.txt, new/new_vocab.txt), and
                                       DIR/expected.json: what tf.compat.v1.train.warm_start gives
                                       the NEW graph from the OLD checkpoint (the oracle), with the
                                       embedding `emb` remapped by vocabulary
                                       (docs/sample/ was made by this command)
  python tf_checkpoints.py read PREFIX  prints {name: values} of a checkpoint (tf.train.load_checkpoint)
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

v1 = tf.compat.v1


OLD_VOCAB = ["apple", "banana", "guava", "orange"]
NEW_VOCAB = ["orange", "guava", "kiwi", "apple", "banana"]
NUM_OOV = 1


def build(kernel, bias, emb, step):
    k = v1.get_variable("dense/kernel", initializer=tf.constant(kernel, dtype=tf.float32))
    b = v1.get_variable("dense/bias", initializer=tf.constant(bias, dtype=tf.float32))
    e = v1.get_variable("emb", initializer=tf.constant(emb, dtype=tf.float32))
    gs = v1.get_variable("global_step", initializer=tf.constant(step, dtype=tf.int64), trainable=False)
    return [k, b, e, gs]


def write_vocab(path, words):
    with open(path, "w") as f:
        f.write("\n".join(words) + "\n")


def save(directory, kernel, bias, emb, step):
    g = tf.Graph()
    with g.as_default():
        build(kernel, bias, emb, step)
        saver = v1.train.Saver(save_relative_paths=True)
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            return saver.save(s, os.path.join(directory, "model.ckpt"), global_step=step)


def values(session, variables):
    return {v.op.name: np.asarray(session.run(v)).tolist() for v in variables}


def make(root):
    old_kernel = np.arange(6, dtype=np.float32).reshape(2, 3) + 0.5
    old_bias = np.array([10.0, 20.0, 30.0], dtype=np.float32)
    new_kernel = np.full((2, 3), -1.0, dtype=np.float32)
    new_bias = np.zeros(3, dtype=np.float32)
    old_emb = np.array([[1, 1.5], [2, 2.5], [3, 3.5], [4, 4.5]], dtype=np.float32)
    new_emb = np.full((len(NEW_VOCAB) + NUM_OOV, 2), 9.0, dtype=np.float32)
    old = save(os.path.join(root, "old"), old_kernel, old_bias, old_emb, 100)
    new = save(os.path.join(root, "new"), new_kernel, new_bias, new_emb, 1)
    old_vocab = os.path.join(root, "old", "old_vocab.txt")
    new_vocab = os.path.join(root, "new", "new_vocab.txt")
    write_vocab(old_vocab, OLD_VOCAB)
    write_vocab(new_vocab, NEW_VOCAB)
    g = tf.Graph()
    with g.as_default():
        variables = build(new_kernel, new_bias, new_emb, 1)
        vocab_info = v1.train.VocabInfo(new_vocab=new_vocab, new_vocab_size=len(NEW_VOCAB),
                                        num_oov_buckets=NUM_OOV, old_vocab=old_vocab)
        v1.train.warm_start(os.path.join(root, "old"), vars_to_warm_start=".*",
                            var_name_to_vocab_info={"emb": vocab_info})
        with v1.Session() as s:
            s.run(v1.global_variables_initializer())
            expected = values(s, variables)
    with open(os.path.join(root, "expected.json"), "w") as f:
        json.dump(expected, f)
    print(json.dumps({"old": old, "new": new}))


def read(prefix):
    reader = tf.train.load_checkpoint(prefix)
    names = [n for n in reader.get_variable_to_shape_map()]
    print(json.dumps({n: np.asarray(reader.get_tensor(n)).tolist() for n in sorted(names)}))


if __name__ == "__main__":
    {"make": make, "read": read}[sys.argv[1]](sys.argv[2])
