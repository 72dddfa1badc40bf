"""Checks many merged checkpoints with real TensorFlow in ONE process (TF imports once).

stdin: JSON [[scenario_dir, output_prefix], ...]; stdout: JSON {name: check_output.check(...)}.
"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_output  # noqa: E402

pairs = json.load(sys.stdin)
print(json.dumps({os.path.basename(d.rstrip("/")): check_output.check(d, p) for d, p in pairs}))
