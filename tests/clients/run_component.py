"""Runs a Kubeflow Pipelines component's container command here, as KFP would in its container:
placeholders ({inputValue: x}, {outputPath: x}) replaced by the given inputs (defaults from the
component) and temporary output files. Prints {"outputs": {name: contents}, "stdout": ...}.

Usage: run_component.py COMPONENT_YAML OUT_DIR NAME=VALUE...
"""
import json
import os
import subprocess
import sys

import yaml

component = yaml.safe_load(open(sys.argv[1]))
out_dir = sys.argv[2]
given = dict(a.split("=", 1) for a in sys.argv[3:])
inputs = {}
for i in component["inputs"]:
    if i["name"] in given:
        inputs[i["name"]] = given[i["name"]]
    elif "default" in i:
        inputs[i["name"]] = i["default"]
    else:
        sys.exit(f"input {i['name']} is required")
outputs = {o["name"]: os.path.join(out_dir, "outputs", o["name"]) for o in component["outputs"]}


def resolve(arg):
    if isinstance(arg, dict):
        (kind, name), = arg.items()
        return inputs[name] if kind == "inputValue" else outputs[name]
    return arg


container = component["implementation"]["container"]
cmd = [resolve(a) for a in container["command"] + container.get("args", [])]
run = subprocess.run(cmd, capture_output=True, text=True)
if run.returncode != 0:
    sys.exit(run.stderr)
print(json.dumps({"stdout": run.stdout,
                  "outputs": {k: open(p).read() for k, p in outputs.items() if os.path.exists(p)}}))
