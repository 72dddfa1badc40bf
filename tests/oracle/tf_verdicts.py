#!/usr/bin/env python3
"""TensorFlow's verdict on many (possibly corrupt) checkpoints, in one TF start-up.

    tf_verdicts.py < locations.json

stdin: a JSON list of checkpoint prefixes or directories. stdout: a JSON list, one verdict per
location: {"ok": true, "values": {name: sha256 hex of the tensor bytes}} when
tf.train.load_checkpoint opens it and every tensor reads, else {"ok": false, "error": class name}.
"""

import hashlib
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def verdict(location):
    try:
        reader = tf.train.load_checkpoint(location)
        values = {}
        for name in sorted(reader.get_variable_to_shape_map()):
            value = np.asarray(reader.get_tensor(name))
            data = value.tobytes() if value.dtype != object else repr(value.tolist()).encode()
            values[name] = hashlib.sha256(data).hexdigest()
        return {"ok": True, "values": values}
    except Exception as e:  # noqa: BLE001 - the class is the verdict
        return {"ok": False, "error": type(e).__name__}


def main():
    locations = json.load(sys.stdin)
    print(json.dumps([verdict(location) for location in locations]))


if __name__ == "__main__":
    main()
