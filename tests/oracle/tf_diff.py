"""What `inspect diff A B` must say, computed by TensorFlow and numpy: variables added, removed,
reshaped, retyped, and equal or different values (tf.train.load_checkpoint + np.array_equal on
the raw bytes). Prints one JSON object per pair, one per line. Usage: tf_diff.py A B [A B]..."""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402



def diff(pa, pb):
    a, b = tf.train.load_checkpoint(pa), tf.train.load_checkpoint(pb)
    sa, sb = a.get_variable_to_shape_map(), b.get_variable_to_shape_map()
    da, db = a.get_variable_to_dtype_map(), b.get_variable_to_dtype_map()
    out = {"added": sorted(set(sb) - set(sa)), "removed": sorted(set(sa) - set(sb)),
           "reshaped": [], "retyped": [], "equal": [], "different": []}
    for k in sorted(set(sa) & set(sb)):
        if da[k] != db[k]:
            out["retyped"].append(k)
        elif sa[k] != sb[k]:
            out["reshaped"].append(k)
        else:
            va, vb = np.asarray(a.get_tensor(k)), np.asarray(b.get_tensor(k))
            same = va.tobytes() == vb.tobytes() if va.dtype != object else np.array_equal(va, vb)
            out["equal" if same else "different"].append(k)
    return out


args = sys.argv[1:]
for i in range(0, len(args), 2):
    print(json.dumps(diff(args[i], args[i + 1])))
