"""Randomized differential warm-start scenarios, one directory per seed (seed_0007), deterministic per seed.

Usage: .venv/bin/python tests/oracle/make_random_scenarios.py --seeds 0-199 --out DIR [--quiet]

Each seed draws: 0-2 vocabulary-backed float32 variables (random old/new vocabularies with shuffles, removed and
new tokens, odd tokens with spaces/tabs/UTF-8, LF/CRLF, with/without trailing newline, OOV buckets,
new_vocab_size / old_vocab_size truncations, axis 0 or 1, constant or zeros backup), 1-5 plain variables of
random dtypes (float32/64, float16, bfloat16, int8/16/32/64, uint8, bool, complex64) and ranks 0-3, some
non-trainable, optimizer-slot-like companions, "twins" warm-started from the same OLD tensor, renames,
partitionings on either side with different part counts (axis 0, sometimes axis 1 for plain variables), a random
selection form (regex / list of regexes / {"variables": [...]} / null, plus the odd '' and '$' regexes), and
sometimes an object-based (TF2) OLD checkpoint. About 5% of seeds get one mutation that makes TF raise (shape,
dtype, missing tensor, unused keys, bad vocab files, ...). Whatever TF does is recorded (expected/ or
expected_error.json). scenario.json carries {"name", "source": "random seed N", "description", "mutation"}.

The selection is simulated here only to build a consistent OLD checkpoint; the expected result always comes from
TF's own warm_start.
"""

import argparse
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import oracle  # noqa: E402

PLAIN_DTYPES = ["float32"] * 6 + ["float64", "float16", "bfloat16", "int32", "int64", "int8", "int16", "uint8",
                                  "bool", "complex64"]
ODD_TOKENS = ["a b", "tab\tsep", "Ünïcödé", "UPPER", "upper", ",", "x,y", " lead", "trail ", "日本", "#", "-1", "0"]

# Which tensors carry oracle.SPECIAL_WORDS32/64, viewed as which unsigned words.
SPECIAL_BITS = {
    "float32": (np.uint32, oracle.SPECIAL_WORDS32),
    "int32": (np.uint32, oracle.SPECIAL_WORDS32),
    "float64": (np.uint64, oracle.SPECIAL_WORDS64),
    "int64": (np.uint64, oracle.SPECIAL_WORDS64),
}


class Gen:
    def __init__(self, seed):
        self.seed = seed
        self.r = np.random.RandomState(seed)
        # Bit patterns a copy through a float view would not keep (its own stream: the draws of
        # self.r, hence every scenario's structure, stay as they were).
        self.bits = np.random.RandomState(seed + 104729)

    def p(self, prob):
        return self.r.rand() < prob

    def randint(self, lo, hi):  # inclusive
        return int(self.r.randint(lo, hi + 1))

    def choice(self, seq):
        return seq[int(self.r.randint(len(seq)))]

    def values(self, dtype, shape):
        return self._special(dtype, self._values(dtype, shape))

    def _special(self, dtype, v):
        """About 1 element in 8 replaced by one of oracle.SPECIAL_WORDS32/64: bit patterns every copy must
        keep bit for bit."""
        if dtype not in SPECIAL_BITS or np.ndim(v) == 0 or np.size(v) == 0:
            return v
        v = np.array(v)
        word, patterns = SPECIAL_BITS[dtype]
        u = v.view(word)
        pick = self.bits.rand(*u.shape) < 0.125
        u[pick] = patterns[self.bits.randint(len(patterns), size=int(pick.sum()))]
        return v

    def _values(self, dtype, shape):
        r = self.r
        if dtype in ("float32", "float64", "float16", "bfloat16"):
            return r.standard_normal(shape).astype(np.float32 if dtype != "float64" else np.float64)
        if dtype == "complex64":
            return (r.standard_normal(shape) + 1j * r.standard_normal(shape)).astype(np.complex64)
        if dtype == "bool":
            return r.rand(*shape) < 0.5 if shape else np.bool_(r.rand() < 0.5)
        info = np.iinfo(oracle.DTYPES[dtype].as_numpy_dtype)
        lo, hi = max(info.min, -(2 ** 40)), min(info.max, 2 ** 40)
        return r.randint(lo, hi, size=shape, dtype=np.int64).astype(oracle.DTYPES[dtype].as_numpy_dtype)


def _lines_bytes(g, tokens, allow_crlf=True):
    nl = "\r\n" if allow_crlf and g.p(0.2) else "\n"
    s = nl.join(tokens)
    if g.p(0.5):
        s += nl
    return s.encode("utf-8")


def _tensor_names(v):
    k = v.get("partitions")
    return ["%s/part_%d:0" % (v["name"], i) for i in range(k)] if k else [v["name"] + ":0"]


def simulate_selection(form, new_vars):
    """Mimics warm_start's grouping: returns ({name: [part indices selected, possibly repeated]}, ordered)."""
    def items(trainable_only):
        for v in new_vars:
            if trainable_only and not v["trainable"]:
                continue
            for i, tn in enumerate(_tensor_names(v)):
                yield v, i, tn
    sel = []
    if isinstance(form, str) or form is None:
        rx = re.compile(form) if form is not None else None
        sel = [(v["name"], i) for v, i, tn in items(True) if rx is None or rx.match(tn)]
    elif isinstance(form, list):
        for pat in form:
            rx = re.compile(pat)
            sel += [(v["name"], i) for v, i, tn in items(False) if rx.match(tn)]
    else:  # {"variables": names}
        for n in form["variables"]:
            v = next(x for x in new_vars if x["name"] == n)
            sel += [(n, i) for i in range(v.get("partitions") or 1)]
    groups = {}
    for n, i in sel:
        groups.setdefault(n, []).append(i)
    return groups


def selection_ok(groups, new_vars):
    by = {v["name"]: v for v in new_vars}
    for n, idx in groups.items():
        k = by[n].get("partitions")
        if not k and len(idx) > 1:
            return False  # "At least two variables have the same name"
        if k and set(idx) != set(range(k)):
            return False  # partial partition selection
    return True


def make_vocab_var(g, idx):
    """A vocabulary-backed float32 variable plus its vocab files and OLD tensor description."""
    axis = 1 if g.p(0.3) else 0
    pool = ["w%02d" % i for i in range(40)]
    n_old = g.randint(1, 12)
    old_tokens = list(g.r.choice(pool, n_old, replace=False))
    if g.p(0.3):
        old_tokens[g.randint(0, n_old - 1)] = g.choice(ODD_TOKENS)
        if len(set(old_tokens)) != len(old_tokens):
            old_tokens = list(dict.fromkeys(old_tokens))
            n_old = len(old_tokens)
    kept = [t for t in old_tokens if g.p(0.75)]
    added = [t for t in g.r.choice(pool + ODD_TOKENS, g.randint(0, 5), replace=False) if t not in old_tokens]
    new_tokens = kept + added
    if not new_tokens:
        new_tokens = [old_tokens[0]]
    g.r.shuffle(new_tokens)
    n_new = len(new_tokens)
    V = n_new if g.p(0.7) else g.randint(1, n_new)
    O = g.choice([0, 0, 1, 2, 3, 5])
    old_vocab_size = -1
    if g.p(0.3):
        old_vocab_size = g.randint(1, n_old)
    if axis == 1 and g.p(0.1):
        old_vocab_size = n_old + g.randint(1, 3)  # ignored by TF on axis 1
    considered = n_old if old_vocab_size == -1 or axis == 1 else old_vocab_size
    old_file_tokens = list(old_tokens)
    if axis == 0 and old_vocab_size != -1 and old_vocab_size < n_old and g.p(0.3):
        # Lines after old_vocab_size are never read: an empty line or a duplicate there is fine.
        old_file_tokens.insert(g.randint(old_vocab_size, n_old), g.choice(["", old_tokens[0]]))
    if old_file_tokens and old_file_tokens[-1] == "":
        old_file_tokens.append("tail")
    name = "%s/%s_%d" % (g.choice(["emb", "model/embedding", "dnn/logits", "lm"]),
                         "kernel" if axis == 1 else "weights", idx)
    if axis == 0:
        d = g.randint(1, 4)
        rows = V + O if g.p(0.9) else g.randint(1, V + O)
        old_shape = [considered + g.randint(0, 2), d]
        new_shape = [rows, d]
    else:
        rows = g.randint(1, 6)
        old_shape = [rows + (1 if g.p(0.2) else 0), n_old + g.randint(0, 2)]
        new_shape = [rows, V + O]
    parts = g.randint(1, min(4, new_shape[0])) if g.p(0.5) else None
    old_parts = g.randint(1, min(4, old_shape[0])) if g.p(0.4) else None
    backup = "zeros" if g.p(0.5) else {"constant": float(np.float32(round(g.r.uniform(-3, 3), 3)))}
    files = {"vocab/%d_old.txt" % idx: _lines_bytes(g, old_file_tokens),
             "vocab/%d_new.txt" % idx: _lines_bytes(g, new_tokens)}
    vi = {"new_vocab": "vocab/%d_new.txt" % idx, "new_vocab_size": V, "num_oov_buckets": O,
          "old_vocab": "vocab/%d_old.txt" % idx, "old_vocab_size": old_vocab_size, "backup_initializer": backup,
          "axis": axis}
    new_var = {"name": name, "shape": new_shape, "dtype": "float32", "trainable": True,
               "value": g.values("float32", new_shape), "vocab": vi, "files": files}
    if parts:
        new_var["partitions"] = parts
    old_var = {"shape": old_shape, "dtype": "float32", "value": g.values("float32", old_shape)}
    if old_parts:
        old_var["partitions"] = old_parts
    return new_var, old_var


def make_plain_var(g, idx):
    dtype = g.choice(PLAIN_DTYPES)
    rank = g.choice([0, 1, 1, 2, 2, 2, 3])
    shape = [g.randint(1, 5) for _ in range(rank)]
    name = "%s/%s_%d" % (g.choice(["m", "model/dense", "out", "bn"]), g.choice(["w", "b", "v", "k"]), idx)
    v = {"name": name, "shape": shape, "dtype": dtype, "trainable": dtype.startswith("float") and g.p(0.85),
         "value": g.values(dtype, shape)}
    # No partitioning for float16: TF cannot restore/read sliced float16 tensors ("Dtype half not supported."),
    # pinned separately by the ported scenario err_float16_partitioned_restore.
    if rank >= 1 and dtype != "float16" and g.p(0.35):
        axis = 1 if rank >= 2 and g.p(0.25) else 0
        if shape[axis] >= 1:
            v["partitions"] = g.randint(1, min(4, shape[axis]))
            if axis:
                v["partition_axis"] = axis
    return v


def _old_partitioning(g, shape, dtype):
    if len(shape) >= 1 and dtype != "float16" and g.p(0.35):
        axis = 1 if len(shape) >= 2 and g.p(0.25) else 0
        out = {"partitions": g.randint(1, min(4, shape[axis]))}
        if axis:
            out["partition_axis"] = axis
        return out
    return {}


def regex_candidates(g, new_vars):
    names = [v["name"] for v in new_vars]
    n = g.choice(names)
    scope = n.split("/")[0] + "/"
    cands = [".*", scope, ".*" + n.split("/")[-1].split("_")[0] + "_.*", re.escape(n) + "(:|/part_)",
             re.escape(n) + ":0", n + "[:/]", "(%s|%s)" % (re.escape(g.choice(names)), re.escape(g.choice(names)))]
    return cands


def choose_form(g, new_vars):
    x = g.r.rand()
    if x < 0.40:
        if g.p(0.03):
            return ""
        if g.p(0.03):
            return g.choice(new_vars)["name"] + "$"
        return g.choice(regex_candidates(g, new_vars))
    if x < 0.65:
        k = g.randint(1, 3)
        return [g.choice(regex_candidates(g, new_vars)) for _ in range(k)]
    if x < 0.85:
        k = g.randint(1, len(new_vars))
        return {"variables": [v["name"] for v in g.r.permutation(np.array(new_vars, dtype=object))[:k]]}
    return None


MUTATIONS = ["old_shape", "old_missing", "old_dtype", "unused_prev", "unused_vocab", "new_vocab_size_too_big",
             "old_vocab_empty_line", "old_vocab_duplicate", "vocab_width", "old_vocab_size_too_big"]


def build(seed):
    g = Gen(seed)
    n_vocab = g.choice([0, 1, 1, 1, 2])
    n_plain = g.randint(1, 5)
    new_vars, old_of, files = [], {}, {}
    idx = 0
    for _ in range(n_vocab):
        nv, ov = make_vocab_var(g, idx)
        idx += 1
        files.update(nv.pop("files"))
        new_vars.append(nv)
        old_of[nv["name"]] = ov
    for _ in range(n_plain):
        v = make_plain_var(g, idx)
        idx += 1
        new_vars.append(v)
        if g.p(0.2) and v["dtype"].startswith("float"):  # optimizer-slot-like companion, never trainable
            s = dict(v, name=v["name"] + "/Momentum", trainable=False, value=g.values(v["dtype"], v["shape"]))
            new_vars.append(s)
        if g.p(0.15):  # twin: same shape/dtype, may be warm-started from the same OLD tensor
            t = dict(v, name="%s/twin_%d" % (v["name"].split("/")[0], idx), value=g.values(v["dtype"], v["shape"]))
            t["twin_of"] = v["name"]
            idx += 1
            new_vars.append(t)
    g.r.shuffle(new_vars)
    # Selection.
    for _ in range(20):
        form = choose_form(g, new_vars)
        groups = simulate_selection(form, new_vars)
        if selection_ok(groups, new_vars):
            break
    else:
        form = ".*"
        groups = simulate_selection(form, new_vars)
    truthy = bool(form)
    by = {v["name"]: v for v in new_vars}
    vocab_infos = {n: by[n]["vocab"] for n in groups if "vocab" in by[n]}
    warm = [n for n in groups if n in vocab_infos or truthy]
    tf2 = g.p(0.08)
    prev = {}
    old_vars = []
    old_name_of = {}
    for n in warm:
        v = by[n]
        if not tf2 and v.get("twin_of") in old_name_of and g.p(0.7):
            prev[n] = old_name_of[v["twin_of"]]
            continue
        oname = n
        if not tf2 and g.p(0.2):
            oname = "old_" + n.replace("/", "_")
            prev[n] = oname
        old_name_of[n] = oname
        if n in old_of:
            ov = dict(old_of[n], name=oname)
        else:
            ov = dict(name=oname, shape=v["shape"], dtype=v["dtype"], value=g.values(v["dtype"], v["shape"]),
                      **_old_partitioning(g, v["shape"], v["dtype"]))
        old_vars.append(ov)
    if not tf2 and not truthy and groups and g.p(0.2):
        # prev-name entry for a selected but (falsy form) skipped variable: counts as used, no effect.
        skipped = [n for n in groups if n not in vocab_infos]
        if skipped:
            prev[g.choice(skipped)] = "does_not_exist"
    if tf2:
        # Every grouped variable must be in the object graph, even ones a falsy form would skip.
        have = {o["name"] for o in old_vars}
        for n in groups:
            if n not in have:
                v = by[n]
                old_vars.append(dict(name=n, shape=v["shape"], dtype=v["dtype"], value=g.values(v["dtype"], v["shape"])))
        for o in old_vars:
            o.pop("partitions", None)
            o.pop("partition_axis", None)
    for i in range(g.choice([0, 0, 1, 2])):  # OLD-only noise
        shp = [g.randint(1, 3)]
        old_vars.append({"name": "old_only/x_%d" % i, "shape": shp, "dtype": "float32", "value": g.values("float32", shp)})
    if not old_vars:
        old_vars.append({"name": "old_only/dummy", "shape": [1], "dtype": "float32", "value": np.zeros([1], np.float32)})
    if tf2:
        for i, o in enumerate(old_vars):
            o["attr"] = "obj_%d" % i

    mutation = None
    if g.p(0.05):
        mutation = mutate(g, new_vars, old_vars, warm, vocab_infos, prev, files, by, old_name_of, tf2)

    for o in old_vars:
        o.pop("twin_of", None)
    clean_new = []
    for v in new_vars:
        v = {k: val for k, val in v.items() if k not in ("vocab", "twin_of")}
        clean_new.append(v)
    if tf2:
        ckpt = g.choice(["old", "old/ckpt-1"])
    else:
        ckpt = g.choice(["old", "old/model-0"])
    spec = {"ckpt_to_initialize_from": ckpt}
    if not (form == ".*" and g.p(0.5)):
        spec["vars_to_warm_start"] = form
    if vocab_infos or g.p(0.2):
        spec["var_name_to_vocab_info"] = vocab_infos
    if prev or g.p(0.2):
        spec["var_name_to_prev_var_name"] = prev
    desc = "%d vocab var(s), %d NEW vars, form %s, old %s%s" % (
        len([v for v in new_vars if "vocab" in v]), len(new_vars), json.dumps(form), "tf2" if tf2 else "tf1",
        ", mutation " + mutation if mutation else "")
    return {"name": "seed_%04d" % seed, "source": "random seed %d" % seed, "description": desc,
            "old": {"format": "tf2" if tf2 else "tf1", "variables": old_vars}, "new": {"variables": clean_new},
            "files": files, "spec": spec}, mutation


def mutate(g, new_vars, old_vars, warm, vocab_infos, prev, files, by, old_name_of, tf2):
    copy_old = [o for o in old_vars if any(old_name_of.get(n) == o["name"] and n not in vocab_infos for n in warm)]
    vocab_names = list(vocab_infos)
    for m in g.r.permutation(MUTATIONS):
        if m == "old_shape" and copy_old:
            o = g.choice(copy_old)
            o["shape"] = list(o["shape"]) + [1] if not o["shape"] or g.p(0.5) else [o["shape"][0] + 1] + o["shape"][1:]
            o["value"] = g.values(o["dtype"], o["shape"])
            o.pop("partitions", None)
            o.pop("partition_axis", None)
            return m
        if m == "old_missing" and copy_old:
            old_vars.remove(g.choice(copy_old))
            if not old_vars:
                old_vars.append({"name": "old_only/dummy", "shape": [1], "dtype": "float32",
                                 "value": np.zeros([1], np.float32)})
            return m
        if m == "old_dtype" and copy_old:
            o = g.choice(copy_old)
            o["dtype"] = "float64" if o["dtype"] != "float64" else "float32"
            o["value"] = g.values(o["dtype"], o["shape"])
            return m
        if m == "unused_prev" and not tf2:
            prev["ghost/var"] = "ghost_old"
            return m
        if m == "unused_vocab":
            vocab_infos["ghost/vocab_var"] = {"new_vocab": "vocab/ghost.txt", "new_vocab_size": 1,
                                              "num_oov_buckets": 0, "old_vocab": "vocab/ghost.txt",
                                              "old_vocab_size": -1, "backup_initializer": "zeros", "axis": 0}
            files["vocab/ghost.txt"] = b"ghost\n"
            return m
        if vocab_names:
            n = g.choice(vocab_names)
            vi = vocab_infos[n]
            if m == "new_vocab_size_too_big":
                lines = files[vi["new_vocab"]].replace(b"\r", b"").rstrip(b"\n").split(b"\n")
                vi["new_vocab_size"] = len(lines) + 1
                return m
            if m == "old_vocab_empty_line":
                files[vi["old_vocab"]] = b"\n" + files[vi["old_vocab"]]
                return m
            if m == "old_vocab_duplicate":
                lines = files[vi["old_vocab"]].split(b"\n")
                files[vi["old_vocab"]] = lines[0] + b"\n" + files[vi["old_vocab"]]
                return m
            if m == "vocab_width" and vi["axis"] == 0:
                o = next(o for o in old_vars if o["name"] == old_name_of.get(n, n))
                o["shape"] = [o["shape"][0], o["shape"][1] + 1]
                o["value"] = g.values("float32", o["shape"])
                return m
            if m == "old_vocab_size_too_big" and vi["axis"] == 0:
                lines = files[vi["old_vocab"]].replace(b"\r", b"").rstrip(b"\n").split(b"\n")
                vi["old_vocab_size"] = len(lines) + 1
                return m
    return None


def parse_seeds(s):
    out = []
    for part in s.split(","):
        if "-" in part:
            a, b = part.split("-")
            out += list(range(int(a), int(b) + 1))
        else:
            out.append(int(part))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", required=True, help="e.g. 0-199 or 3,5,7-9")
    ap.add_argument("--out", required=True)
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    counts = {"expected": 0, "error": 0}
    errors = {}
    for seed in parse_seeds(args.seeds):
        sc, mutation = build(seed)
        res = oracle.generate(sc, args.out, extra_meta={"mutation": mutation})
        counts[res["status"]] += 1
        if res["status"] == "error":
            errors[res["error"]] = errors.get(res["error"], 0) + 1
        if not args.quiet:
            line = {"name": res["name"], "status": res["status"], "mutation": mutation}
            if res["status"] == "error":
                line.update(error=res["error"], when=res["when"], message=res["message"][:200])
            print(json.dumps(line), flush=True)
    print(json.dumps({"seconds": round(time.time() - t0, 1), "counts": counts, "errors": errors}), file=sys.stderr)


if __name__ == "__main__":
    main()
