"""Writes a checkpoint of tensors chosen to exercise numpy's printing (magnitudes that switch to
scientific notation, wrapping, summarising, inf/nan, every integer width, bool, float16/64) and
prints, as JSON, what TensorFlow's inspect_checkpoint prints for each tensor and its
"Total number of params" line.

Usage: tf_inspect.py OUT_DIR
"""
import contextlib
import io
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402
from tensorflow.python.tools import inspect_checkpoint  # noqa: E402

rng = np.random.default_rng(7)
TENSORS = {
    "normal": rng.standard_normal((3, 4)).astype(np.float32),
    "wide": rng.standard_normal(30).astype(np.float32),
    "mixed64": np.array([1e-7, 3.5, -2.25e5, 1.0], dtype=np.float64),
    "round": np.array([1.0, 2.5, -3.0, 0.0], dtype=np.float32),
    "big": np.array([1e9, 2.0], dtype=np.float32),
    "half": rng.standard_normal(5).astype(np.float16),
    "special": np.array([np.inf, -np.inf, np.nan, 1.5], dtype=np.float32),
    "summarised": rng.standard_normal((40, 40)).astype(np.float32),
    "cube": rng.standard_normal((2, 3, 4)).astype(np.float32),
    "long_row": rng.standard_normal(1500).astype(np.float32),
    "tiny": np.array([1.2345678e-6, 2.0e-6], dtype=np.float32),
    "scalar": np.float32(0.1),
    "scalar_small": np.float32(1e-5),
    "ints": np.array([[1, -20, 300], [4, 5, 6]], dtype=np.int64),
    "i8": np.array([-128, 0, 127], dtype=np.int8),
    "u16": np.array([0, 65535], dtype=np.uint16),
    "step": np.int64(1200),
    "flags": np.array([True, False, True]),
    "empty": np.zeros((0,), dtype=np.float32),
}


def main(out):
    os.makedirs(out, exist_ok=True)
    variables = {k: tf.Variable(v) for k, v in TENSORS.items()}
    prefix = tf.train.Checkpoint(**variables).write(os.path.join(out, "ckpt"))
    printed = {}
    for name in TENSORS:
        key = f"{name}/.ATTRIBUTES/VARIABLE_VALUE"
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            inspect_checkpoint.print_tensors_in_checkpoint_file(prefix, key, all_tensors=False)
        printed[key] = buf.getvalue()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        inspect_checkpoint.print_tensors_in_checkpoint_file(prefix, None, all_tensors=True)
    total = [line for line in buf.getvalue().splitlines() if "Total number of params" in line]
    print(json.dumps({"prefix": prefix, "tensors": printed, "total": total[0]}))


if __name__ == "__main__":
    main(sys.argv[1])
