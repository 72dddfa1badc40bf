"""Generates the committed warm-start scenarios (tests/fixtures/data/warmstart/) with real TensorFlow.

Ports every case of TF's warm_starting_util_test.py and checkpoint_ops_test.py that is reachable through the
public tf.compat.v1.train.warm_start, plus error cases, pinned surprising behaviours and user-realistic models.

Usage: .venv/bin/python tests/oracle/make_ported_cases.py [--out DIR] [--only SUBSTR]
"""

import argparse
import json
import os
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import oracle  # noqa: E402

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "tests", "fixtures", "data", "warmstart")

# Shared fixtures of warm_starting_util_test.py (vocab files written WITHOUT a trailing newline).
OLD4 = ["apple", "banana", "guava", "orange"]
NEW5 = ["orange", "guava", "banana", "apple", "raspberry"]
NEW6 = NEW5 + ["blueberry"]
FRUIT4x1 = [[0.5], [1.], [1.5], [2.]]
OUT4x2 = [[0.5, 0.3], [1., 0.8], [1.5, 1.2], [2., 2.3]]
COLOLD = ["apple", "orange"]
COLNEW = ["orange", "apple", "banana"]
EMB4x2 = [[0.5, 0.4], [1., 1.1], [2., 2.2], [3., 3.3]]
SCV4x1 = [[0.5], [1.], [2.], [3.]]

# checkpoint_ops_test.py fixtures (vocab files WITH a trailing newline).
W5x16 = np.arange(80, dtype=np.float32).reshape(5, 16)
NEW_FEATURE = "zero\none\ntwo\nthree\nfour\n"
OLD_FEATURE = "zero\none\ntwo\nthree\n"
NEW_CLASS = "MISSING\nknitting\nflask\neminem\n"
OLD_CLASS = "knitting\neminem\nMISSING\n"


def rs(seed):
    return np.random.RandomState(seed)


def rnd(seed, shape):
    """Deterministic float32 values (stand-ins for TF's random initializers)."""
    return rs(seed).uniform(-1, 1, size=shape).astype(np.float32)


def V(name, value, *, shape=None, dtype="float32", trainable=True, partitions=None, partition_axis=0, attr=None):
    value = np.asarray(value)
    d = {"name": name, "value": value, "shape": list(shape or value.shape), "dtype": dtype,
         "trainable": trainable}
    if partitions:
        d["partitions"] = partitions
        if partition_axis:
            d["partition_axis"] = partition_axis
    if attr:
        d["attr"] = attr
    return d


def zeros(shape):
    return np.zeros(shape, np.float32)


def ones(shape):
    return np.ones(shape, np.float32)


def VI(new_vocab, new_vocab_size, num_oov_buckets, old_vocab, old_vocab_size=-1, backup="zeros", axis=0):
    return {"new_vocab": new_vocab, "new_vocab_size": new_vocab_size, "num_oov_buckets": num_oov_buckets,
            "old_vocab": old_vocab, "old_vocab_size": old_vocab_size, "backup_initializer": backup, "axis": axis}


def S(name, source, description, old, new, spec, files=None, old_format="tf1", old_prefix=None):
    sc = {"name": name, "source": source, "description": description,
          "old": {"format": old_format, "variables": old}, "new": {"variables": new},
          "files": files or {}, "spec": spec}
    if old_prefix:
        sc["old"]["prefix"] = old_prefix
    return sc


WSU = "warm_starting_util_test."
CKO = "checkpoint_ops_test."


def ported_wsu():
    out = []
    fw_files = {"old_vocab.txt": OLD4, "new_vocab.txt": NEW5}
    col_files = {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}
    out.append(S("wsu_01_var", WSU + "testWarmStartVar",
                 "Plain copy of fruit_weights (private _get_var_info+init_from_checkpoint expressed as warm_start '.*').",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*"}))
    out.append(S("wsu_02_var_prev_var_partitioned", WSU + "testWarmStartVarPrevVarPartitioned",
                 "OLD saved partitioned (2 parts); NEW unpartitioned: reader assembles the slices.",
                 [V("fruit_weights", FRUIT4x1, partitions=2)], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*"}))
    out.append(S("wsu_03_var_current_var_partitioned", WSU + "testWarmStartVarCurrentVarPartitioned",
                 "NEW partitioned [2,1]; each part gets its rows of the OLD tensor.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([4, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*"}))
    out.append(S("wsu_04_var_both_vars_partitioned", WSU + "testWarmStartVarBothVarsPartitioned",
                 "Both partitioned; renamed new_scope/fruit_weights <- old_scope/fruit_weights.",
                 [V("old_scope/fruit_weights", FRUIT4x1, partitions=2)],
                 [V("new_scope/fruit_weights", zeros([4, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_prev_var_name": {"new_scope/fruit_weights": "old_scope/fruit_weights"}}))
    out.append(S("wsu_05_var_with_vocab", WSU + "testWarmStartVarWithVocab",
                 "Axis-0 vocab remap, reversed vocab + raspberry -> [[2],[1.5],[1],[0.5],[0]].",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}},
                 fw_files))
    out.append(S("wsu_06_var_with_column_vocab", WSU + "testWarmStartVarWithColumnVocab",
                 "Axis-1 (class vocab) remap of an output layer [4,2] -> [4,3].",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([4, 3]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1)}},
                 col_files))
    out.append(S("wsu_07_var_with_vocab_constrained_old_vocab_size",
                 WSU + "testWarmStartVarWithVocabConstrainedOldVocabSize",
                 "old_vocab_size=2 limits the old vocab to apple, banana.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt", 2)}},
                 fw_files))
    out.append(S("wsu_08_var_with_vocab_prev_var_partitioned", WSU + "testWarmStartVarWithVocabPrevVarPartitioned",
                 "Axis-0 vocab remap from an OLD tensor saved in 2 partitions.",
                 [V("fruit_weights", FRUIT4x1, partitions=2)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}},
                 fw_files))
    out.append(S("wsu_09_var_with_column_vocab_prev_var_partitioned",
                 WSU + "testWarmStartVarWithColumnVocabPrevVarPartitioned",
                 "Axis-1 remap from an OLD tensor saved in 2 partitions.",
                 [V("fruit_output_layer", OUT4x2, partitions=2)], [V("fruit_output_layer", zeros([4, 3]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1)}},
                 col_files))
    out.append(S("wsu_10_var_with_vocab_current_var_partitioned",
                 WSU + "testWarmStartVarWithVocabCurrentVarPartitioned",
                 "NEW [6,1] in 2 parts, 1 OOV bucket: part1 = apple, raspberry, OOV.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([6, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 1, "old_vocab.txt")}},
                 fw_files))
    out.append(S("wsu_11_var_with_column_vocab_current_var_partitioned",
                 WSU + "testWarmStartVarWithColumnVocabCurrentVarPartitioned",
                 "Axis-1 remap into a NEW [4,3] variable in 2 row parts.",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([4, 3]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1)}},
                 col_files))
    out.append(S("wsu_12_var_with_vocab_both_vars_partitioned", WSU + "testWarmStartVarWithVocabBothVarsPartitioned",
                 "Both partitioned, NEW6 vocab (size 6, no OOV).",
                 [V("fruit_weights", FRUIT4x1, partitions=2)], [V("fruit_weights", zeros([6, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 6, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": OLD4, "new_vocab.txt": NEW6}))
    out.append(S("wsu_13_var_with_column_vocab_both_vars_partitioned",
                 WSU + "testWarmStartVarWithColumnVocabBothVarsPartitioned",
                 "Axis-1 remap, both partitioned.",
                 [V("fruit_output_layer", OUT4x2, partitions=2)],
                 [V("fruit_output_layer", zeros([4, 3]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1)}},
                 col_files))
    out.append(S("wsu_14_list_of_variables", WSU + "testWarmStart_ListOfVariables",
                 "vars_to_warm_start = [v1 Variable] ({'variables': ['v1']}).",
                 [V("v1", ones([10, 1]))], [V("v1", zeros([10, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": {"variables": ["v1"]}}))
    out.append(S("wsu_15_list_of_strings", WSU + "testWarmStart_ListOfStrings",
                 "vars_to_warm_start = ['v1'].",
                 [V("v1", ones([10, 1]))], [V("v1", zeros([10, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["v1"]}))
    out.append(S("wsu_16_two_vars_from_same_prev_var", WSU + "testWarmStart_TwoVarsFromTheSamePrevVar",
                 "v1 and v2 both from OLD v1 (flush-and-restart batching).",
                 [V("v1", ones([10, 1]))], [V("v1", zeros([10, 1])), V("v2", zeros([10, 1]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["v1", "v2"],
                  "var_name_to_prev_var_name": {"v2": "v1"}}))
    mom = ["v1", "v1/Momentum", "v2", "v2/Momentum"]
    out.append(S("wsu_17_list_of_regexes", WSU + "testWarmStart_ListOfRegexes",
                 "['v1', 'v2[^/]']: v1, v1/Momentum, v2 warm-started; v2/Momentum not.",
                 [V(n, ones([10, 1])) for n in mom], [V(n, zeros([10, 1])) for n in mom],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["v1", "v2[^/]"]}))
    bias_new = V("linear_model/bias_weights", zeros([1]), partitions=1)
    out.append(S("wsu_18_sparse_column_integerized", WSU + "testWarmStart_SparseColumnIntegerized",
                 "linear_model with single-part partitioner; '.*sc_int.*' (bias untouched).",
                 [V("linear_model/sc_int/weights", ones([10, 1]))],
                 [V("linear_model/sc_int/weights", zeros([10, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*sc_int.*"}))
    out.append(S("wsu_19_sparse_column_hashed", WSU + "testWarmStart_SparseColumnHashed",
                 "'.*sc_hash.*', [15,1] single-part partitioned.",
                 [V("linear_model/sc_hash/weights", rnd(19, [15, 1]))],
                 [V("linear_model/sc_hash/weights", zeros([15, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*sc_hash.*"}))
    out.append(S("wsu_20_sparse_column_vocabulary", WSU + "testWarmStart_SparseColumnVocabulary",
                 "Vocab column without VocabInfo: plain copy.",
                 [V("linear_model/sc_vocab/weights", ones([4, 1]))],
                 [V("linear_model/sc_vocab/weights", zeros([4, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*sc_vocab.*"},
                 {"vocab.txt": OLD4}))
    out.append(S("wsu_21_explicit_checkpoint_file", WSU + "testWarmStart_ExplicitCheckpointFile",
                 "As 20 but ckpt_to_initialize_from is the prefix old/model-0.",
                 [V("linear_model/sc_vocab/weights", ones([4, 1]))],
                 [V("linear_model/sc_vocab/weights", zeros([4, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old/model-0", "vars_to_warm_start": ".*sc_vocab.*"},
                 {"vocab.txt": OLD4}))
    out.append(S("wsu_22_sparse_column_vocabulary_constrained_vocab_sizes",
                 WSU + "testWarmStart_SparseColumnVocabularyConstrainedVocabSizes",
                 "new_vocab_size=2 of 4 lines, old_vocab_size=2 of 3 lines -> [[1],[0]].",
                 [V("linear_model/sc_vocab/weights", ones([2, 1]))],
                 [V("linear_model/sc_vocab/weights", zeros([2, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*sc_vocab.*",
                  "var_name_to_vocab_info": {"linear_model/sc_vocab/weights":
                                             VI("current_vocab.txt", 2, 0, "old_vocab.txt", 2)}},
                 {"old_vocab.txt": ["apple", "guava", "banana"], "current_vocab.txt": OLD4}))
    out.append(S("wsu_23_bucketized_column", WSU + "testWarmStart_BucketizedColumn",
                 "'.*real_bucketized.*' [5,1].",
                 [V("linear_model/real_bucketized/weights", rnd(23, [5, 1]))],
                 [V("linear_model/real_bucketized/weights", zeros([5, 1]), partitions=1), bias_new],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*real_bucketized.*"}))
    mc_old = [V("linear_model/sc_int/weights", ones([10, 1])),
              V("linear_model/sc_hash/weights", rnd(241, [15, 1])),
              V("linear_model/sc_keys/weights", rnd(242, [4, 1])),
              V("linear_model/sc_vocab/weights", ones([4, 1])),
              V("linear_model/real_bucketized/weights", rnd(243, [5, 1])),
              V("linear_model/sc_keys_X_sc_vocab/weights", rnd(244, [20, 1])),
              V("linear_model/bias_weights", rnd(245, [1]))]
    mc_new = [V("linear_model/real_bucketized/weights", zeros([5, 1]), partitions=1),
              V("linear_model/sc_hash/weights", zeros([15, 1]), partitions=1),
              V("linear_model/sc_int/weights", zeros([10, 1]), partitions=1),
              V("linear_model/sc_keys/weights", zeros([4, 1]), partitions=1),
              V("linear_model/sc_keys_X_sc_vocab/weights", zeros([20, 1]), partitions=1),
              V("linear_model/sc_vocab/weights", zeros([4, 1]), partitions=1),
              V("linear_model/bias_weights", zeros([1]), partitions=1)]
    out.append(S("wsu_24_multiple_cols", WSU + "testWarmStart_MultipleCols",
                 "Full linear model, default vars ('.*' omitted), identity VocabInfo for sc_vocab; bias too.",
                 mc_old, mc_new,
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"linear_model/sc_vocab/weights": VI("vocab.txt", 4, 0, "vocab.txt")}},
                 {"vocab.txt": OLD4}))
    ms_old = [V("linear_model/sc_hash/weights", rnd(251, [15, 1])),
              V("some_other_name", rnd(252, [4, 1])),
              V("linear_model/sc_vocab/weights", SCV4x1)]
    ms_files = {"old_vocab.txt": OLD4, "new_vocab.txt": NEW6}
    ms_spec = {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*(sc_keys|sc_vocab).*",
               "var_name_to_vocab_info": {"linear_model/sc_vocab/weights": VI("new_vocab.txt", 6, 0, "old_vocab.txt")},
               "var_name_to_prev_var_name": {"linear_model/sc_keys/weights": "some_other_name"}}

    def ms_new(parts):
        return [V("linear_model/sc_hash/weights", zeros([15, 1]), partitions=parts),
                V("linear_model/sc_keys/weights", zeros([4, 1]), partitions=parts),
                V("linear_model/sc_vocab/weights", zeros([6, 1]), partitions=parts),
                V("linear_model/bias_weights", zeros([1]), partitions=1 if parts else None)]
    out.append(S("wsu_25_more_settings", WSU + "testWarmStartMoreSettings",
                 "Regex + VocabInfo + rename, _partitioner (2 parts, bias 1 part).",
                 ms_old, ms_new(2), ms_spec, ms_files))
    out.append(S("wsu_26_more_settings_no_partitioning", WSU + "testWarmStartMoreSettingsNoPartitioning",
                 "As 25 without partitioning.", ms_old, ms_new(None), ms_spec, ms_files))
    spec27 = dict(ms_spec, vars_to_warm_start=None)
    out.append(S("wsu_27_vars_to_warm_start_is_none", WSU + "testWarmStartVarsToWarmstartIsNone",
                 "vars_to_warm_start=None: only the VocabInfo var; the prev-name entry for sc_keys counts as used "
                 "(no error) though sc_keys is not warm-started.",
                 ms_old, ms_new(2), spec27, ms_files))
    out.append(S("wsu_28_embedding_column", WSU + "testWarmStartEmbeddingColumn",
                 "input_layer embedding [6,2] in 2 parts, constant 0.42 backup, default vars.",
                 [V("input_layer/sc_vocab_embedding/embedding_weights", EMB4x2)],
                 [V("input_layer/sc_vocab_embedding/embedding_weights", rnd(28, [6, 2]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"input_layer/sc_vocab_embedding/embedding_weights":
                                             VI("new_vocab.txt", 6, 0, "old_vocab.txt", backup={"constant": 0.42})}},
                 ms_files))
    out.append(S("wsu_29_embedding_column_linear_model", WSU + "testWarmStartEmbeddingColumnLinearModel",
                 "linear_model embedding + its [2,1] weights (1+1 parts), '.*sc_vocab.*'; bias untouched.",
                 [V("linear_model/sc_vocab_embedding/embedding_weights", EMB4x2),
                  V("linear_model/sc_vocab_embedding/weights", [[0.69], [0.71]])],
                 [V("linear_model/sc_vocab_embedding/weights", zeros([2, 1]), partitions=2),
                  V("linear_model/sc_vocab_embedding/embedding_weights", rnd(29, [6, 2]), partitions=2),
                  V("linear_model/bias_weights", zeros([1]), partitions=1)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*sc_vocab.*",
                  "var_name_to_vocab_info": {"linear_model/sc_vocab_embedding/embedding_weights":
                                             VI("new_vocab.txt", 6, 0, "old_vocab.txt", backup={"constant": 0.42})}},
                 ms_files))
    x_old = [V("x", ones([4, 1]), partitions=2)]
    x_new = [V("x", ones([4, 1]), partitions=2)]
    out.append(S("wsu_30b_error_unused_vocab_info", WSU + "testErrorConditions (b)",
                 "VocabInfo for 'y' which does not exist -> ValueError after x was processed.",
                 x_old, x_new,
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"y": VI("", 1, 0, "")}}))
    out.append(S("wsu_30c_error_unused_prev_name", WSU + "testErrorConditions (c)",
                 "prev-name entry {'y': 'y2'} unused -> ValueError.",
                 x_old, x_new,
                 {"ckpt_to_initialize_from": "old", "var_name_to_prev_var_name": {"y": "y2"}}))
    out.append(S("wsu_31_object_based_checkpoint", WSU + "testWarmStartFromObjectBasedCheckpoint",
                 "OLD = TF2 tf.train.Checkpoint(v=fruit_weights).save('old/checkpoint') -> old/checkpoint-1; "
                 "warm_start('old') maps fruit_weights -> v/.ATTRIBUTES/VARIABLE_VALUE.",
                 [V("fruit_weights", FRUIT4x1, attr="v")], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old"}, old_format="tf2", old_prefix="old/checkpoint"))
    return out


def ported_cko():
    out = []
    W = V("some_scope/embeddings", W5x16)
    feat = {"new_feature_vocab.txt": NEW_FEATURE, "old_feature_vocab.txt": OLD_FEATURE}
    cls = {"new_class_vocab.txt": NEW_CLASS, "old_class_vocab.txt": OLD_CLASS}
    c42 = {"constant": 42.0}
    out.append(S("cko_c3_output_layer_dnn_output", CKO + "test_load_and_remap_output_layer_weight_initializer_dnn_output",
                 "Axis-1 class remap [2,0,-1,1] + 1 col OOV, NEW [5,5] in 3+2 parts, backup 42.",
                 [W], [V("some_scope/embeddings", zeros([5, 5]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_class_vocab.txt", 4, 1, "old_class_vocab.txt", backup=c42, axis=1)}},
                 cls))
    out.append(S("cko_c4_rowonly_oov_only_partition",
                 CKO + "test_initializer_with_oov_only_partition (row-only analogue)",
                 "Row-only analogue of C4: V=5, 5 OOV, [10,16] in 5+5: part 1 offset == new_vocab_size -> 0 rows "
                 "loaded + 5 OOV rows (42).",
                 [W], [V("some_scope/embeddings", zeros([10, 16]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_feature_vocab.txt", 5, 5, "old_feature_vocab.txt", backup=c42)}},
                 feat))
    out.append(S("cko_c5_axis1_default_init_analogue",
                 CKO + "test_load_and_remap_linear_multiclass_initializer_default_init (column-only analogue)",
                 "Column-only analogue of C5: as C3 with zeros backup, NEW [5,5] in 2 parts.",
                 [W], [V("some_scope/embeddings", ones([5, 5]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_class_vocab.txt", 4, 1, "old_class_vocab.txt", axis=1)}},
                 cls))
    out.append(S("cko_c6_embedding", CKO + "test_load_embedding_initializer",
                 "Embedding [6,16] in 3+3, V=5, 1 OOV, backup 42: rows 0-3 = W rows 0-3, rows 4-5 = 42.",
                 [W], [V("some_scope/embeddings", zeros([6, 16]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_feature_vocab.txt", 5, 1, "old_feature_vocab.txt", backup=c42)}},
                 feat))
    out.append(S("cko_c7_embedding_large_oov", CKO + "test_load_embedding_initializer_large_oov",
                 "new=one,zero,two,four; old=zero,one; V=4, 5 OOV, [9,16] in 5+4 (part 1 offset 5 > 4: all backup).",
                 [W], [V("some_scope/embeddings", zeros([9, 16]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_feature_vocab.txt", 4, 5, "old_feature_vocab.txt", backup=c42)}},
                 {"new_feature_vocab.txt": "one\nzero\ntwo\nfour\n", "old_feature_vocab.txt": "zero\none\n"}))
    out.append(S("cko_c8_embedding_old_row_vocab", CKO + "test_load_embedding_initializer_old_row_vocab",
                 "As C6 with old_vocab_size=3: rows 0-2 = W rows 0-2, rows 3-5 = 42.",
                 [W], [V("some_scope/embeddings", zeros([6, 16]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"some_scope/embeddings":
                                             VI("new_feature_vocab.txt", 5, 1, "old_feature_vocab.txt", 3, backup=c42)}},
                 feat))
    return out


def errors():
    out = []
    fw_files = {"old_vocab.txt": OLD4, "new_vocab.txt": NEW5}
    fw_old = [V("fruit_weights", FRUIT4x1)]
    emb_old = [V("emb", rnd(1, [4, 3]))]

    def vspec(vi, name="fruit_weights", **kw):
        d = {"ckpt_to_initialize_from": "old", "var_name_to_vocab_info": {name: vi}}
        d.update(kw)
        return d
    out.append(S("err_prev_name_for_unselected_var", "error case",
                 "prev-name entry for b while the regex selects only a -> unused ValueError (a was already processed).",
                 [V("a", ones([2, 2])), V("old_b", ones([2, 2]))], [V("a", zeros([2, 2])), V("b", zeros([2, 2]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "a",
                  "var_name_to_prev_var_name": {"b": "old_b"}}))
    out.append(S("err_vocab_info_for_nontrainable_var", "error case",
                 "VocabInfo for a non-trainable variable with the string form ('.*' searches TRAINABLE only) -> unused.",
                 fw_old, [V("fruit_weights", zeros([5, 1]), trainable=False)],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt"), vars_to_warm_start=".*"), fw_files))
    out.append(S("err_unused_prev_and_vocab_both", "error case",
                 "Both an unused prev-name and an unused VocabInfo: the prev-name error is raised first.",
                 fw_old, [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old", "var_name_to_prev_var_name": {"nope": "x"},
                  "var_name_to_vocab_info": {"nope2": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}}, fw_files))
    out.append(S("err_prev_name_empty_string", "error case ([inferred] in reference)",
                 "{'fruit_weights': ''}: empty prev name is never marked used -> unused ValueError.",
                 fw_old, [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old", "var_name_to_prev_var_name": {"fruit_weights": ""}}))
    out.append(S("err_missing_tensor", "error case",
                 "Selected variable 'extra' absent from OLD -> ValueError at warm_start (plain path).",
                 fw_old, [V("fruit_weights", zeros([4, 1])), V("extra", zeros([3]))],
                 {"ckpt_to_initialize_from": "old"}))
    out.append(S("err_missing_tensor_vocab_path", "error case",
                 "VocabInfo variable whose OLD tensor is missing -> NotFound when the initializer runs.",
                 fw_old, [V("other_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt"), name="other_weights"), fw_files))
    out.append(S("err_shape_mismatch", "error case",
                 "Plain path, unpartitioned: [5,1] vs OLD [4,1] -> ValueError at warm_start.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))], {"ckpt_to_initialize_from": "old"}))
    out.append(S("err_shape_mismatch_partitioned", "error case",
                 "Plain path, NEW partitioned [6,1] vs OLD [4,1] -> error when the restore runs.",
                 fw_old, [V("fruit_weights", zeros([6, 1]), partitions=2)], {"ckpt_to_initialize_from": "old"}))
    out.append(S("err_dtype_mismatch", "error case",
                 "Plain path: NEW float32 vs OLD float64 -> error when the restore runs (no casting).",
                 [V("fruit_weights", FRUIT4x1, dtype="float64")], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old"}))
    out.append(S("err_vocab_width_mismatch", "error case",
                 "Axis 0: embedding width 3 in OLD, 4 in NEW -> kernel InvalidArgument.",
                 emb_old, [V("emb", zeros([5, 4]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt"), name="emb"), fw_files))
    out.append(S("err_new_vocab_too_short", "error case",
                 "new_vocab_size 6 but the new vocab file has 5 lines.",
                 fw_old, [V("fruit_weights", zeros([6, 1]))],
                 vspec(VI("new_vocab.txt", 6, 0, "old_vocab.txt")), fw_files))
    out.append(S("err_old_vocab_size_too_large", "error case",
                 "old_vocab_size 5 > 4 lines.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt", 5)), fw_files))
    out.append(S("err_old_vocab_size_zero", "error case ([inferred] in reference)",
                 "old_vocab_size 0 (only -1 means all).",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt", 0)), fw_files))
    out.append(S("err_new_vocab_size_zero", "error case",
                 "new_vocab_size 0 is falsy -> 'Invalid args' ValueError.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 0, 5, "old_vocab.txt")), fw_files))
    out.append(S("err_empty_line_in_new_vocab", "error case",
                 "Empty line inside the new vocab (even beyond new_vocab_size, the whole file is validated).",
                 fw_old, [V("fruit_weights", zeros([3, 1]))],
                 vspec(VI("new_vocab.txt", 3, 0, "old_vocab.txt")),
                 {"old_vocab.txt": OLD4, "new_vocab.txt": "orange\nguava\nbanana\n\napple\n"}))
    out.append(S("err_empty_line_in_old_vocab", "error case",
                 "Empty line inside the old vocab.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt")),
                 {"old_vocab.txt": "apple\n\nbanana\nguava\n", "new_vocab.txt": NEW5}))
    out.append(S("err_empty_line_crlf", "error case",
                 "A CRLF-only line is empty after stripping the \\r -> empty-line error.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt")),
                 {"old_vocab.txt": "apple\r\nbanana\r\n\r\nguava\r\norange\r\n", "new_vocab.txt": NEW5}))
    out.append(S("err_duplicate_old_vocab_token", "error case",
                 "Duplicate token in the old vocab -> FailedPrecondition from the hash table.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt")),
                 {"old_vocab.txt": ["apple", "banana", "apple", "orange"], "new_vocab.txt": NEW5}))
    out.append(S("err_duplicate_new_vocab_token_same_part", "error case",
                 "Duplicate new-vocab token present in the old vocab, same part -> Unimplemented 'Old ID ... mapped to both'.",
                 fw_old, [V("fruit_weights", zeros([5, 1]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt")),
                 {"old_vocab.txt": OLD4, "new_vocab.txt": ["orange", "guava", "orange", "apple", "kiwi"]}))
    out.append(S("err_axis1_column_count_mismatch", "error case",
                 "Axis 1: NEW has 4 columns but new_vocab_size+oov = 3 -> ValueError at warm_start.",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([4, 4]))],
                 vspec(VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1), name="fruit_output_layer"),
                 {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}))
    out.append(S("err_axis0_rows_exceed_vocab_plus_oov", "error case",
                 "Axis 0: NEW [7,1] but new_vocab_size 5 + 1 OOV = 6 -> ValueError at warm_start.",
                 fw_old, [V("fruit_weights", zeros([7, 1]))],
                 vspec(VI("new_vocab.txt", 5, 1, "old_vocab.txt")), fw_files))
    out.append(S("err_axis1_rows_exceed_old_rows", "error case ([inferred] in reference)",
                 "Axis 1: NEW has 5 rows, OLD 4 -> out-of-bounds read.",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([5, 3]))],
                 vspec(VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1), name="fruit_output_layer"),
                 {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}))
    out.append(S("err_old_vocab_index_beyond_ckpt_rows", "error case ([inferred] in reference)",
                 "Axis 0: old vocab has 6 tokens but the OLD tensor only 4 rows; new token maps to old row 5.",
                 fw_old, [V("fruit_weights", zeros([2, 1]))],
                 vspec(VI("new_vocab.txt", 2, 0, "old_vocab.txt")),
                 {"old_vocab.txt": OLD4 + ["kiwi", "lime"], "new_vocab.txt": ["lime", "apple"]}))
    out.append(S("err_vocab_non_float32_variable", "error case ([inferred] in reference)",
                 "VocabInfo on a float64 variable: the float32 remap value cannot be assigned.",
                 [V("fruit_weights", FRUIT4x1, dtype="float64")], [V("fruit_weights", zeros([5, 1]), dtype="float64")],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt")), fw_files))
    out.append(S("err_vocab_1d_variable", "error case ([inferred] in reference)",
                 "VocabInfo (axis 0) on a 1-D bias variable -> IndexError (v_shape[1]).",
                 [V("bias", [0.5, 1., 1.5, 2.])], [V("bias", zeros([5]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt"), name="bias"), fw_files))
    out.append(S("err_empty_new_vocab_file", "error case",
                 "Empty new vocab file.",
                 fw_old, [V("fruit_weights", zeros([1, 1]))],
                 vspec(VI("new_vocab.txt", 1, 0, "old_vocab.txt")), {"old_vocab.txt": OLD4, "new_vocab.txt": ""}))
    out.append(S("err_regex_list_overlap_duplicate", "error case ([inferred] in reference)",
                 "['v1', 'v1/Momentum']: v1/Momentum selected twice -> 'At least two variables have the same name'.",
                 [V("v1", ones([3, 1])), V("v1/Momentum", ones([3, 1]))],
                 [V("v1", zeros([3, 1])), V("v1/Momentum", zeros([3, 1]), trainable=False)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["v1", "v1/Momentum"]}))
    out.append(S("err_object_based_missing_variables", "error case",
                 "OLD object-based checkpoint lacks 'extra' -> ValueError 'Attempting to warm-start from an "
                 "object-based checkpoint...'.",
                 [V("fruit_weights", FRUIT4x1, attr="v")],
                 [V("fruit_weights", zeros([4, 1])), V("extra", zeros([2]))],
                 {"ckpt_to_initialize_from": "old"}, old_format="tf2"))
    out.append(S("err_object_based_none_requires_all", "error case",
                 "Object-based OLD, vars_to_warm_start=None: every grouped (trainable) variable must be in the object "
                 "graph, even those None would skip.",
                 [V("emb", rnd(1, [4, 3]), attr="e")],
                 [V("emb", zeros([5, 3])), V("dense", zeros([2]))],
                 vspec(VI("new_vocab.txt", 5, 0, "old_vocab.txt"), name="emb", vars_to_warm_start=None),
                 fw_files, old_format="tf2"))
    out.append(S("err_ckpt_prefix_not_found", "error case",
                 "ckpt_to_initialize_from = 'old/model-7' (no such prefix).",
                 fw_old, [V("fruit_weights", zeros([4, 1]))], {"ckpt_to_initialize_from": "old/model-7"}))
    out.append(S("err_ckpt_dir_without_checkpoint", "error case",
                 "ckpt_to_initialize_from = 'empty' (a directory without a checkpoint file).",
                 fw_old, [V("fruit_weights", zeros([4, 1]))], {"ckpt_to_initialize_from": "empty"},
                 {"empty/readme.txt": "no checkpoint here\n"}))
    out.append(S("err_float16_partitioned_restore", "pinned behaviour",
                 "Plain copy of a float16 variable into a NEW variable partitioned 2-ways: TF's sliced restore does not "
                 "support half -> error when the restore runs.",
                 [V("h", rnd(5, [4, 2]), dtype="float16")], [V("h", zeros([4, 2]), dtype="float16", partitions=2)],
                 {"ckpt_to_initialize_from": "old"}))
    out.append(S("err_uint32_sliced_old", "pinned behaviour",
                 "Plain copy from a uint32 tensor that OLD saved partitioned: the reader cannot assemble sliced uint32.",
                 [V("u", [[1, 2], [3, 4], [5, 4294967295]], dtype="uint32", partitions=2)],
                 [V("u", [[0, 0], [0, 0], [0, 0]], dtype="uint32", trainable=False)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["u"]}))
    out.append(S("err_partial_partition_plain_path", "pinned behaviour ([inferred] in reference)",
                 "Regex 'x/part_0' selects one part of a partitioned variable (plain path).",
                 [V("x", rnd(3, [4, 2]))], [V("x", zeros([4, 2]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "x/part_0"}))
    return out


def semantics():
    out = []
    fw_files = {"old_vocab.txt": OLD4, "new_vocab.txt": NEW5}
    two_old = [V("v1", rnd(11, [3, 2])), V("v10", rnd(12, [2])), V("v2", rnd(13, [2, 2]))]
    two_new = [V("v1", zeros([3, 2])), V("v10", zeros([2])), V("v2", zeros([2, 2]))]
    out.append(S("sem_regex_dollar_selects_nothing", "pinned behaviour",
                 "'v1$' matches nothing (names are 'v1:0'): NEW unchanged.",
                 two_old, two_new, {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "v1$"}))
    out.append(S("sem_regex_prefix_match", "pinned behaviour",
                 "'v1' is re.match (prefix): selects v1 and v10, not v2.",
                 two_old, two_new, {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "v1"}))
    out.append(S("sem_regex_colon_anchor", "pinned behaviour",
                 "'v1:0' selects exactly v1 (the tensor name includes ':0').",
                 two_old, two_new, {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "v1:0"}))
    out.append(S("sem_empty_string_like_none", "pinned behaviour ([inferred] in reference)",
                 "vars_to_warm_start='' selects all trainables but is falsy: only the VocabInfo variable is warm-started.",
                 [V("fruit_weights", FRUIT4x1), V("other", rnd(21, [3]))],
                 [V("fruit_weights", zeros([5, 1])), V("other", zeros([3]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}}, fw_files))
    out.append(S("sem_empty_list_selects_nothing", "pinned behaviour",
                 "vars_to_warm_start=[]: nothing selected, NEW unchanged.",
                 two_old, two_new, {"ckpt_to_initialize_from": "old", "vars_to_warm_start": []}))
    out.append(S("sem_none_without_vocab_info", "pinned behaviour",
                 "vars_to_warm_start=None without VocabInfo: nothing warm-started.",
                 two_old, two_new, {"ckpt_to_initialize_from": "old", "vars_to_warm_start": None}))
    out.append(S("sem_string_form_skips_nontrainable", "pinned behaviour",
                 "'.*' only covers TRAINABLE_VARIABLES: global_step and the slot keep NEW values.",
                 [V("w", rnd(31, [3, 2])), V("w/Momentum", rnd(32, [3, 2])), V("global_step", np.int64(1234), dtype="int64")],
                 [V("w", zeros([3, 2])), V("w/Momentum", zeros([3, 2]), trainable=False),
                  V("global_step", np.int64(0), dtype="int64", trainable=False)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ".*"}))
    out.append(S("sem_list_of_strings_includes_nontrainable", "pinned behaviour",
                 "['.*'] searches GLOBAL_VARIABLES: non-trainables (int64 global_step, slot) warm-started too.",
                 [V("w", rnd(31, [3, 2])), V("w/Momentum", rnd(32, [3, 2])),
                  V("global_step", np.int64(1234), dtype="int64")],
                 [V("w", zeros([3, 2])), V("w/Momentum", zeros([3, 2]), trainable=False),
                  V("global_step", np.int64(0), dtype="int64", trainable=False)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": [".*"]}))
    out.append(S("sem_variables_form_nontrainable_and_partitioned", "pinned behaviour",
                 "{'variables': ['global_step', 'x']}: list-of-Variables form with a non-trainable and all parts of a "
                 "partitioned variable (y unselected).",
                 [V("global_step", np.int64(77), dtype="int64"), V("x", rnd(41, [4, 2])), V("y", rnd(42, [2]))],
                 [V("global_step", np.int64(0), dtype="int64", trainable=False),
                  V("x", zeros([4, 2]), partitions=2), V("y", zeros([2]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": {"variables": ["global_step", "x"]}}))
    out.append(S("err_variables_form_single_partition", "pinned behaviour",
                 "{'variables': ['x/part_1']}: a single selected part is unwrapped to a bare Variable and fails "
                 "init_from_checkpoint's shape check against the full OLD tensor.",
                 [V("x", rnd(41, [4, 2]))], [V("x", zeros([4, 2]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": {"variables": ["x/part_1"]}}))
    out.append(S("sem_partial_partition_two_of_three", "pinned behaviour",
                 "Regex 'x/part_[01]' selects 2 of 3 parts: those two are restored as slices, part 2 keeps NEW values.",
                 [V("x", rnd(43, [6, 2]))], [V("x", rnd(44, [6, 2]), partitions=3)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "x/part_[01]"}))
    out.append(S("sem_partial_partition_vocab_axis0", "pinned behaviour",
                 "Regex 'fruit_weights/part_1' + axis-0 VocabInfo: only part 1 is remapped (rows at its offset).",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", ones([6, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "fruit_weights/part_1",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 1, "old_vocab.txt")}}, fw_files))
    out.append(S("err_partial_partition_vocab_axis1", "pinned behaviour",
                 "Regex selecting part 1 only + axis-1 VocabInfo: total rows = selected rows only (2) -> the part at "
                 "offset 2 exceeds them -> ValueError.",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([4, 3]), partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "fruit_output_layer/part_1",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", axis=1)}},
                 {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}))
    out.append(S("sem_vocab_rows_fewer_than_vocab_plus_oov", "pinned behaviour",
                 "Axis 0: variable has 3 rows < new_vocab_size 5 + 1 OOV: silently only the first 3 rows.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", ones([3, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 1, "old_vocab.txt")}}, fw_files))
    out.append(S("sem_axis1_old_vocab_size_ignored", "pinned behaviour",
                 "Axis 1 ignores old_vocab_size (1 given, 'orange' at old index 1 is still found).",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([4, 3]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 0, "old_vocab.txt", 1,
                                                                      axis=1)}},
                 {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}))
    out.append(S("sem_axis1_fewer_rows_than_old", "pinned behaviour",
                 "Axis 1: NEW has 3 rows, OLD 4: the extra old row is dropped silently; 2 OOV columns, backup -1.5.",
                 [V("fruit_output_layer", OUT4x2)], [V("fruit_output_layer", zeros([3, 5]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_output_layer": VI("new_vocab.txt", 3, 2, "old_vocab.txt",
                                                                      backup={"constant": -1.5}, axis=1)}},
                 {"old_vocab.txt": COLOLD, "new_vocab.txt": COLNEW}))
    out.append(S("sem_vocab_crlf", "pinned behaviour",
                 "CRLF vocab files: one trailing \\r per line is stripped.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": "apple\r\nbanana\r\nguava\r\norange\r\n",
                  "new_vocab.txt": "orange\r\nguava\r\nbanana\r\napple\r\nraspberry"}))
    out.append(S("sem_vocab_mixed_newlines", "pinned behaviour",
                 "Old vocab LF, new vocab CRLF with trailing newline: tokens still match.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": "apple\nbanana\nguava\norange\n",
                  "new_vocab.txt": "orange\r\nguava\r\nbanana\r\napple\r\nraspberry\r\n"}))
    out.append(S("sem_vocab_exact_bytes", "pinned behaviour",
                 "Tokens are whole lines, byte-exact: spaces, tabs, case and UTF-8 matter; no trimming.",
                 [V("emb", rnd(51, [6, 2]))], [V("emb", zeros([7, 2]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"emb": VI("new_vocab.txt", 7, 0, "old_vocab.txt",
                                                       backup={"constant": 9.0})}},
                 {"old_vocab.txt": "a b\nc\td\nÄpfel\nx,y\n tab\nCase\n",
                  "new_vocab.txt": "Case\ncase\na b\na  b\nc\td\nÄpfel\n tab"}))
    out.append(S("sem_vocab_utf8_bom", "pinned behaviour",
                 "A UTF-8 BOM is part of the first token: '\\ufeffapple' in the new vocab does not match 'apple'.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 4, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": OLD4, "new_vocab.txt": "\ufeffapple\nbanana\nguava\norange\n"}))
    out.append(S("sem_vocab_carriage_returns", "pinned behaviour",
                 "Only ONE trailing \\r per line is stripped: 'a\\rb' keeps its inner CR, 'apple\\r\\r' becomes "
                 "'apple\\r' (no match); a line of one space is a token.",
                 [V("emb", rnd(52, [4, 2]))], [V("emb", zeros([5, 2]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"emb": VI("new_vocab.txt", 5, 0, "old_vocab.txt",
                                                       backup={"constant": 7.0})}},
                 {"old_vocab.txt": b"a\rb\r\napple\n \nbanana\r\n",
                  "new_vocab.txt": b"banana\napple\r\r\n \r\na\rb\nzzz"}))
    out.append(S("sem_old_vocab_size_truncation_skips_validation", "pinned behaviour",
                 "old_vocab_size=3: lines after the 3rd are not read (an empty line and a duplicate there are fine).",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 5, 0, "old_vocab.txt", 3)}},
                 {"old_vocab.txt": "apple\nbanana\nguava\n\napple\n", "new_vocab.txt": NEW5}))
    out.append(S("sem_new_vocab_size_smaller_than_file", "pinned behaviour",
                 "new_vocab_size=3 of 5 lines + 2 OOV: rows = first 3 new tokens then 2 OOV rows.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([5, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 3, 2, "old_vocab.txt",
                                                                 backup={"constant": 0.25})}}, fw_files))
    out.append(S("sem_oov_only_partition_offset_gt_vocab", "pinned behaviour",
                 "V=2, 6 OOV, [8,3] in 4 parts (2 rows each): parts 2,3 have offset > V: whole part backup.",
                 [V("emb", rnd(61, [4, 3]))], [V("emb", zeros([8, 3]), partitions=4)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"emb": VI("new_vocab.txt", 2, 6, "old_vocab.txt",
                                                       backup={"constant": 3.5})}},
                 {"old_vocab.txt": OLD4, "new_vocab.txt": ["guava", "kiwi"]}))
    out.append(S("sem_duplicate_new_token_across_parts", "pinned behaviour ([inferred] in reference)",
                 "Duplicate new-vocab token in different parts: no error, both rows get the old row.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([4, 1]), partitions=2)],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 4, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": OLD4, "new_vocab.txt": ["guava", "apple", "guava", "kiwi"]}))
    out.append(S("sem_duplicate_new_token_not_in_old", "pinned behaviour ([inferred] in reference)",
                 "Duplicate new-vocab token absent from old vocab, same part: both rows backup, no error.",
                 [V("fruit_weights", FRUIT4x1)], [V("fruit_weights", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"fruit_weights": VI("new_vocab.txt", 4, 0, "old_vocab.txt")}},
                 {"old_vocab.txt": OLD4, "new_vocab.txt": ["kiwi", "apple", "kiwi", "banana"]}))
    out.append(S("sem_vocab_with_prev_name", "pinned behaviour",
                 "VocabInfo + rename: new 'emb_new' remapped from OLD 'emb_old'.",
                 [V("emb_old", rnd(71, [4, 3]))], [V("emb_new", zeros([6, 3]), partitions=3)],
                 {"ckpt_to_initialize_from": "old/model-0",
                  "var_name_to_vocab_info": {"emb_new": VI("new_vocab.txt", 5, 1, "old_vocab.txt",
                                                           backup={"constant": -0.125})},
                  "var_name_to_prev_var_name": {"emb_new": "emb_old"}}, fw_files))
    out.append(S("sem_two_vars_from_same_prev_partitioned", "pinned behaviour",
                 "Three NEW variables (one partitioned 3-ways, one 2-ways, one plain) from the same OLD tensor.",
                 [V("src", rnd(81, [6, 2]), partitions=2)],
                 [V("a", zeros([6, 2]), partitions=3), V("b", zeros([6, 2]), partitions=2), V("c", zeros([6, 2]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": [".*"],
                  "var_name_to_prev_var_name": {"a": "src", "b": "src", "c": "src"}}))
    out.append(S("sem_partition_axis1_plain_copy", "pinned behaviour",
                 "Plain copy into a NEW variable partitioned along axis 1 (3 column parts) from OLD partitioned on axis 0.",
                 [V("k", rnd(91, [4, 7]), partitions=2)], [V("k", zeros([4, 7]), partitions=3, partition_axis=1)],
                 {"ckpt_to_initialize_from": "old"}))
    out.append(S("sem_dtypes_plain_copy", "pinned behaviour",
                 "Plain copies are bit-exact for every dtype (list-of-strings form, non-trainables included).",
                 [V("f64", rnd(101, [3, 2]), dtype="float64"), V("f16", rnd(102, [5]), dtype="float16"),
                  V("bf16", rnd(103, [2, 3]), dtype="bfloat16"), V("i32", [[1, -2], [3, 2147483647]], dtype="int32"),
                  V("i64", [-(2 ** 62), 5, 7], dtype="int64"), V("b", [True, False, True], dtype="bool"),
                  V("u8", [0, 255, 17], dtype="uint8"), V("i8", [-128, 5], dtype="int8"),
                  V("i16", [-300, 300], dtype="int16"), V("c64", np.array([1 + 2j, -3.5j], np.complex64),
                                                           dtype="complex64"),
                  V("scalar", np.float32(3.25))],
                 [V("f64", zeros([3, 2]), dtype="float64"), V("f16", zeros([5]), dtype="float16"),
                  V("bf16", zeros([2, 3]), dtype="bfloat16"), V("i32", [[0, 0], [0, 0]], dtype="int32", trainable=False),
                  V("i64", [0, 0, 0], dtype="int64", trainable=False), V("b", [False] * 3, dtype="bool", trainable=False),
                  V("u8", [0, 0, 0], dtype="uint8", trainable=False), V("i8", [0, 0], dtype="int8", trainable=False),
                  V("i16", [0, 0], dtype="int16", trainable=False),
                  V("c64", np.zeros([2], np.complex64), dtype="complex64"), V("scalar", np.float32(0))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": [".*"]}))
    out.append(S("sem_float16_partitioned_unselected", "pinned behaviour",
                 "NEW has a partitioned float16 variable that is not selected: TF warm-starts the rest; TF saves the "
                 "float16 slices fine (though its reader cannot assemble them).",
                 [V("a", rnd(6, [3]))],
                 [V("a", zeros([3])), V("h", rnd(7, [4, 2]), dtype="float16", partitions=2)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "a"}))
    out.append(S("sem_old_3parts_new_2parts_rename", "pinned behaviour",
                 "OLD partitioned 3-ways, NEW 2-ways, renamed; plus an unselected variable that keeps NEW values.",
                 [V("old/w", rnd(111, [7, 3]), partitions=3)],
                 [V("new/w", zeros([7, 3]), partitions=2), V("untouched", rnd(112, [2, 2]))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "new/",
                  "var_name_to_prev_var_name": {"new/w": "old/w"}}))
    out.append(S("sem_prev_dict_empty_object_based", "pinned behaviour",
                 "Object-based OLD, var_name_to_prev_var_name={} (falsy -> object renames computed), VocabInfo variable "
                 "found via its checkpoint key.",
                 [V("emb", rnd(121, [4, 3]), attr="layer_emb"), V("dense", rnd(122, [3]), attr="d")],
                 [V("emb", zeros([6, 3])), V("dense", zeros([3]))],
                 {"ckpt_to_initialize_from": "old", "var_name_to_prev_var_name": {},
                  "var_name_to_vocab_info": {"emb": VI("new_vocab.txt", 5, 1, "old_vocab.txt")}},
                 fw_files, old_format="tf2"))
    out.append(S("sem_object_based_partitioned_new_vocab", "pinned behaviour",
                 "Object-based OLD, NEW partitioned 3-ways: the vocab variable is remapped from "
                 "'e/.ATTRIBUTES/VARIABLE_VALUE', the plain partitioned one restored as slices of 'k/.ATTRIBUTES/...'.",
                 [V("emb", rnd(123, [4, 3]), attr="e"), V("kern", rnd(124, [5, 2]), attr="k")],
                 [V("emb", zeros([7, 3]), partitions=3), V("kern", zeros([5, 2]), partitions=3)],
                 {"ckpt_to_initialize_from": "old/",
                  "var_name_to_vocab_info": {"emb": VI("new_vocab.txt", 5, 2, "old_vocab.txt",
                                                       backup={"constant": 0.5})}},
                 fw_files, old_format="tf2"))
    out.append(S("sem_object_based_explicit_prev_map", "pinned behaviour",
                 "Object-based OLD with an explicit prev map to the checkpoint key: no object renames are computed.",
                 [V("fruit_weights", FRUIT4x1, attr="v")], [V("w", zeros([4, 1]))],
                 {"ckpt_to_initialize_from": "old/ckpt-1",
                  "var_name_to_prev_var_name": {"w": "v/.ATTRIBUTES/VARIABLE_VALUE"}}, old_format="tf2"))
    return out


def realistic():
    out = []
    r = rs(2024)
    # 1) Embedding with shuffled + grown vocab, 2 OOV buckets, NEW 3 parts, OLD 2 parts.
    old_tokens = ["tok%03d" % i for i in range(40)]
    kept = [t for t in old_tokens if r.rand() > 0.2]
    new_tokens = kept + ["new%03d" % i for i in range(12)]
    r.shuffle(new_tokens)
    old_emb = r.standard_normal([40, 16]).astype(np.float32)
    n = len(new_tokens)
    out.append(S("real_embedding_shuffled_grown_vocab", "user-realistic",
                 "Embedding [V,16]: old 40 tokens (2 OOV rows in OLD too), new vocab shuffled, ~20%% removed, 12 added, "
                 "2 OOV buckets; NEW 3 parts, OLD 2 parts; dense layer copied; constant backup 0.0625.",
                 [V("model/embedding/embeddings", np.concatenate([old_emb, r.standard_normal([2, 16]).astype(np.float32)]),
                    partitions=2),
                  V("model/dense/kernel", r.standard_normal([16, 8]).astype(np.float32)),
                  V("model/dense/bias", r.standard_normal([8]).astype(np.float32))],
                 [V("model/embedding/embeddings", r.standard_normal([n + 2, 16]).astype(np.float32), partitions=3),
                  V("model/dense/kernel", zeros([16, 8])), V("model/dense/bias", zeros([8]))],
                 {"ckpt_to_initialize_from": "old",
                  "var_name_to_vocab_info": {"model/embedding/embeddings":
                                             VI("vocab/new_tokens.txt", n, 2, "vocab/old_tokens.txt",
                                                backup={"constant": 0.0625})}},
                 {"vocab/old_tokens.txt": "\n".join(old_tokens) + "\n", "vocab/new_tokens.txt": "\n".join(new_tokens) + "\n"}))
    # 2) Output layer kernel with an axis-1 class vocab.
    old_cls = ["cat", "dog", "bird", "fish", "horse"]
    new_cls = ["dog", "cat", "lizard", "horse", "snake", "bird"]
    out.append(S("real_output_layer_class_vocab", "user-realistic",
                 "dnn/logits/kernel [32,5] -> [32,6+1] remapped on axis 1 (class vocab, 1 OOV column), hidden layer "
                 "copied; logits bias (1-D, cannot take a VocabInfo) excluded by the regex.",
                 [V("dnn/hiddenlayer_0/kernel", r.standard_normal([10, 32]).astype(np.float32)),
                  V("dnn/hiddenlayer_0/bias", r.standard_normal([32]).astype(np.float32)),
                  V("dnn/logits/kernel", r.standard_normal([32, 5]).astype(np.float32)),
                  V("dnn/logits/bias", r.standard_normal([5]).astype(np.float32))],
                 [V("dnn/hiddenlayer_0/kernel", zeros([10, 32])), V("dnn/hiddenlayer_0/bias", zeros([32])),
                  V("dnn/logits/kernel", zeros([32, 7]), partitions=2),
                  V("dnn/logits/bias", r.standard_normal([7]).astype(np.float32))],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "dnn/(hiddenlayer_0/|logits/kernel)",
                  "var_name_to_vocab_info": {"dnn/logits/kernel": VI("classes_new.txt", 6, 1, "classes_old.txt",
                                                                     backup={"constant": -0.01}, axis=1)}},
                 {"classes_old.txt": old_cls, "classes_new.txt": "\n".join(new_cls) + "\n"}))
    # 3) global_step + Momentum / Adam slots, list-of-regex selection.
    shapes = {"dense/kernel": [6, 4], "dense/bias": [4], "out/kernel": [4, 2], "out/bias": [2]}
    old_vars, new_vars = [], []
    for name, shp in shapes.items():
        old_vars.append(V(name, r.standard_normal(shp).astype(np.float32)))
        new_vars.append(V(name, r.standard_normal(shp).astype(np.float32)))
        for slot in ("Momentum", "Adam", "Adam_1"):
            old_vars.append(V(name + "/" + slot, r.standard_normal(shp).astype(np.float32)))
            new_vars.append(V(name + "/" + slot, zeros(shp), trainable=False))
    old_vars += [V("global_step", np.int64(98765), dtype="int64"), V("beta1_power", np.float32(0.3)),
                 V("beta2_power", np.float32(0.9))]
    new_vars += [V("global_step", np.int64(0), dtype="int64", trainable=False),
                 V("beta1_power", np.float32(0.9), trainable=False), V("beta2_power", np.float32(0.999), trainable=False)]
    out.append(S("real_optimizer_slots_regex_list", "user-realistic",
                 "Model with global_step, Momentum and Adam slots: ['dense/', 'out/kernel/Adam', 'global_step', "
                 "'beta1_power'] (GLOBAL_VARIABLES; out/kernel/Adam also matches out/kernel/Adam_1).",
                 old_vars, new_vars,
                 {"ckpt_to_initialize_from": "old",
                  "vars_to_warm_start": ["dense/", "out/kernel/Adam", "global_step", "beta1_power"]}))
    # 4) Bit patterns every copy must keep (oracle.SPECIAL_WORDS32/64): an embedding made only of them,
    #    remapped over a shuffled vocabulary (rows of 32 bytes); float64 and int64 tensors of the 64-bit
    #    words copied verbatim.
    w32 = oracle.SPECIAL_WORDS32
    w64 = oracle.SPECIAL_WORDS64
    old_tokens = ["w%02d" % i for i in range(48)]
    new_tokens = old_tokens[:40] + ["fresh%d" % i for i in range(8)]
    r.shuffle(new_tokens)
    bits_emb = w32[r.randint(len(w32), size=[48, 8])].view(np.float32)
    out.append(S("real_embedding_nan_payload_bits", "user-realistic",
                 "Embedding [48,8] of NaN payloads, signalling NaNs, infinities, -0.0 and subnormals remapped over a "
                 "shuffled vocabulary (40 kept, 8 new, 1 OOV bucket); float64 and int64 tensors of the same words "
                 "copied verbatim: every byte must survive.",
                 [V("emb/weights", bits_emb),
                  V("dense/kernel64", w64[r.randint(len(w64), size=[6, 4])].view(np.float64), dtype="float64"),
                  V("dense/ids", w64[r.randint(len(w64), size=[5, 2])].view(np.int64), dtype="int64",
                    trainable=False)],
                 [V("emb/weights", zeros([49, 8])), V("dense/kernel64", np.zeros([6, 4]), dtype="float64"),
                  V("dense/ids", np.zeros([5, 2], np.int64), dtype="int64", trainable=False)],
                 {"ckpt_to_initialize_from": "old", "vars_to_warm_start": [".*"],
                  "var_name_to_vocab_info": {"emb/weights": VI("new.txt", 48, 1, "old.txt")}},
                 {"old.txt": "\n".join(old_tokens) + "\n", "new.txt": "\n".join(new_tokens) + "\n"}))
    return out


# Assertions of the TF tests (values in expected/), checked after generation: the oracle must reproduce them.
_W = W5x16
TF_TEST_ASSERTIONS = {
    "wsu_01_var": {"fruit_weights": FRUIT4x1},
    "wsu_02_var_prev_var_partitioned": {"fruit_weights": FRUIT4x1},
    "wsu_03_var_current_var_partitioned": {"fruit_weights": FRUIT4x1},
    "wsu_04_var_both_vars_partitioned": {"new_scope/fruit_weights": FRUIT4x1},
    "wsu_05_var_with_vocab": {"fruit_weights": [[2.], [1.5], [1.], [0.5], [0.]]},
    "wsu_06_var_with_column_vocab": {"fruit_output_layer": [[0.3, 0.5, 0.], [0.8, 1.0, 0.], [1.2, 1.5, 0.],
                                                            [2.3, 2., 0.]]},
    "wsu_07_var_with_vocab_constrained_old_vocab_size": {"fruit_weights": [[0.], [0.], [1.], [0.5], [0.]]},
    "wsu_08_var_with_vocab_prev_var_partitioned": {"fruit_weights": [[2.], [1.5], [1.], [0.5], [0.]]},
    "wsu_09_var_with_column_vocab_prev_var_partitioned": {
        "fruit_output_layer": [[0.3, 0.5, 0.], [0.8, 1.0, 0.], [1.2, 1.5, 0.], [2.3, 2., 0.]]},
    "wsu_10_var_with_vocab_current_var_partitioned": {"fruit_weights": [[2.], [1.5], [1.], [0.5], [0.], [0.]]},
    "wsu_11_var_with_column_vocab_current_var_partitioned": {
        "fruit_output_layer": [[0.3, 0.5, 0.], [0.8, 1.0, 0.], [1.2, 1.5, 0.], [2.3, 2., 0.]]},
    "wsu_12_var_with_vocab_both_vars_partitioned": {"fruit_weights": [[2.], [1.5], [1.], [0.5], [0.], [0.]]},
    "wsu_13_var_with_column_vocab_both_vars_partitioned": {
        "fruit_output_layer": [[0.3, 0.5, 0.], [0.8, 1.0, 0.], [1.2, 1.5, 0.], [2.3, 2., 0.]]},
    "wsu_14_list_of_variables": {"v1": np.ones([10, 1])},
    "wsu_15_list_of_strings": {"v1": np.ones([10, 1])},
    "wsu_16_two_vars_from_same_prev_var": {"v1": np.ones([10, 1]), "v2": np.ones([10, 1])},
    "wsu_17_list_of_regexes": {"v1": np.ones([10, 1]), "v1/Momentum": np.ones([10, 1]), "v2": np.ones([10, 1]),
                               "v2/Momentum": np.zeros([10, 1])},
    "wsu_18_sparse_column_integerized": {"linear_model/sc_int/weights": np.ones([10, 1]),
                                         "linear_model/bias_weights": [0.]},
    "wsu_19_sparse_column_hashed": {"linear_model/sc_hash/weights": rnd(19, [15, 1])},
    "wsu_20_sparse_column_vocabulary": {"linear_model/sc_vocab/weights": np.ones([4, 1])},
    "wsu_21_explicit_checkpoint_file": {"linear_model/sc_vocab/weights": np.ones([4, 1])},
    "wsu_22_sparse_column_vocabulary_constrained_vocab_sizes": {"linear_model/sc_vocab/weights": [[1.], [0.]]},
    "wsu_23_bucketized_column": {"linear_model/real_bucketized/weights": rnd(23, [5, 1])},
    "wsu_24_multiple_cols": {"linear_model/sc_int/weights": np.ones([10, 1]),
                             "linear_model/sc_hash/weights": rnd(241, [15, 1]),
                             "linear_model/sc_keys/weights": rnd(242, [4, 1]),
                             "linear_model/sc_vocab/weights": np.ones([4, 1]),
                             "linear_model/real_bucketized/weights": rnd(243, [5, 1]),
                             "linear_model/sc_keys_X_sc_vocab/weights": rnd(244, [20, 1]),
                             "linear_model/bias_weights": rnd(245, [1])},
    "wsu_25_more_settings": {"linear_model/sc_keys/weights": rnd(252, [4, 1]),
                             "linear_model/sc_hash/weights": np.zeros([15, 1]),
                             "linear_model/sc_vocab/weights": [[3.], [2.], [1.], [0.5], [0.], [0.]]},
    "wsu_26_more_settings_no_partitioning": {"linear_model/sc_keys/weights": rnd(252, [4, 1]),
                                             "linear_model/sc_hash/weights": np.zeros([15, 1]),
                                             "linear_model/sc_vocab/weights": [[3.], [2.], [1.], [0.5], [0.], [0.]]},
    "wsu_27_vars_to_warm_start_is_none": {"linear_model/sc_keys/weights": np.zeros([4, 1]),
                                          "linear_model/sc_hash/weights": np.zeros([15, 1]),
                                          "linear_model/sc_vocab/weights": [[3.], [2.], [1.], [0.5], [0.], [0.]]},
    "wsu_28_embedding_column": {"input_layer/sc_vocab_embedding/embedding_weights":
                                [[3., 3.3], [2., 2.2], [1., 1.1], [0.5, 0.4], [0.42, 0.42], [0.42, 0.42]]},
    "wsu_29_embedding_column_linear_model": {
        "linear_model/sc_vocab_embedding/weights": [[0.69], [0.71]],
        "linear_model/sc_vocab_embedding/embedding_weights":
            [[3., 3.3], [2., 2.2], [1., 1.1], [0.5, 0.4], [0.42, 0.42], [0.42, 0.42]]},
    "wsu_31_object_based_checkpoint": {"fruit_weights": FRUIT4x1},
    "cko_c3_output_layer_dnn_output": {"some_scope/embeddings": [[2, 0, 42, 1, 42], [18, 16, 42, 17, 42],
                                                                 [34, 32, 42, 33, 42], [50, 48, 42, 49, 42],
                                                                 [66, 64, 42, 65, 42]]},
    "cko_c4_rowonly_oov_only_partition": {"some_scope/embeddings": np.concatenate([_W[:4], np.full([6, 16], 42.)])},
    "cko_c5_axis1_default_init_analogue": {"some_scope/embeddings": [[2, 0, 0, 1, 0], [18, 16, 0, 17, 0],
                                                                     [34, 32, 0, 33, 0], [50, 48, 0, 49, 0],
                                                                     [66, 64, 0, 65, 0]]},
    "cko_c6_embedding": {"some_scope/embeddings": np.concatenate([_W[:4], np.full([2, 16], 42.)])},
    "cko_c7_embedding_large_oov": {"some_scope/embeddings": np.concatenate([_W[1:2], _W[0:1],
                                                                            np.full([7, 16], 42.)])},
    "cko_c8_embedding_old_row_vocab": {"some_scope/embeddings": np.concatenate([_W[:3], np.full([3, 16], 42.)])},
}


def check_tf_assertions(out_dir):
    """Returns a list of failures (TF-test assertion vs expected/ written by the oracle)."""
    failures = []
    for name, want in TF_TEST_ASSERTIONS.items():
        sdir = os.path.join(out_dir, name)
        if not os.path.isdir(sdir):
            continue
        got = oracle.read_checkpoint(os.path.join(sdir, "expected", "model-0"))
        for var, val in want.items():
            val = np.asarray(val, dtype=np.float32)
            if var not in got or got[var].shape != val.shape or not np.allclose(got[var], val, atol=1e-6):
                failures.append("%s: %s = %r, TF test asserts %r" % (name, var, got.get(var), val))
    return failures



def review_cases():
    """Cases found in code review (prefix rev_): repeated parts, same partitioning with dtypes TF's
    sliced copy lacks, 3-D repartitioning, vocab remaps from column-partitioned OLD tensors, and
    Python-only regex syntax."""
    sc = []
    x = np.arange(8, dtype=np.float32).reshape(4, 2) + 1
    plain_old = {"format": "tf1", "variables": [{"name": "x", "shape": [4, 2], "value": x}]}
    parted_new = {"variables": [{"name": "x", "shape": [4, 2], "partitions": 2, "value": np.zeros((4, 2))}]}
    sc.append({"name": "rev_dup_part_regex_list", "source": "review", "description": "the list form selects x/part_0 twice: a list of parts, not a bare variable",
               "old": plain_old, "new": parted_new, "spec": {"ckpt_to_initialize_from": "old", "vars_to_warm_start": ["x/part_0", "x/part_0"]}})
    sc.append({"name": "rev_dup_part_variables", "source": "review", "description": "the variables form lists x/part_1 twice",
               "old": plain_old, "new": parted_new, "spec": {"ckpt_to_initialize_from": "old", "vars_to_warm_start": {"variables": ["x/part_1", "x/part_1"]}}})
    w1 = lambda v: {"variables": [{"name": "w1", "shape": [2], "value": v}]}  # noqa: E731
    sc.append({"name": "rev_regex_brace_comma", "source": "review", "description": "Python's {,} is {0,}",
               "old": dict(w1([5, 6]), format="tf1"), "new": w1([0, 0]), "spec": {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "ww{,}1"}})
    sc.append({"name": "rev_regex_class_W", "source": "review", "description": "[\\W] as a whole class",
               "old": dict(w1([5, 6]), format="tf1"), "new": w1([0, 0]), "spec": {"ckpt_to_initialize_from": "old", "vars_to_warm_start": "w1[\\W]"}})
    for dt in ["float16", "uint32", "uint16"]:
        v = lambda val: {"variables": [{"name": "x", "shape": [4, 2], "dtype": dt, "partitions": 2, "value": val}]}  # noqa: E731
        sc.append({"name": "rev_same_partitioning_%s" % dt, "source": "review",
                   "description": "OLD and NEW partitioned alike: TF copies the stored slices, whatever the dtype",
                   "old": dict(v(x), format="tf1"), "new": v(np.zeros((4, 2))), "spec": {"ckpt_to_initialize_from": "old"}})
    x3 = np.arange(5 * 4 * 3, dtype=np.float32).reshape(5, 4, 3) + 1
    for (pa_old, k_old, pa_new, k_new) in [(1, 2, 2, 3), (2, 3, 1, 3), (0, 3, 2, 2), (2, 2, 0, 2), (1, 4, 1, 3)]:
        sc.append({"name": "rev_geo3d_old%dx%d_new%dx%d" % (pa_old, k_old, pa_new, k_new), "source": "review",
                   "description": "3-D tensor repartitioned between axes",
                   "old": {"format": "tf1", "variables": [{"name": "x", "shape": [5, 4, 3], "partitions": k_old, "partition_axis": pa_old, "value": x3}]},
                   "new": {"variables": [{"name": "x", "shape": [5, 4, 3], "partitions": k_new, "partition_axis": pa_new, "value": np.zeros((5, 4, 3))}]},
                   "spec": {"ckpt_to_initialize_from": "old"}})
    w = np.arange(4 * 6, dtype=np.float32).reshape(4, 6) + 1
    sc.append({"name": "rev_vocab_old_axis1_parts", "source": "review", "description": "axis-0 vocab remap from OLD partitioned along axis 1",
               "old": {"format": "tf1", "variables": [{"name": "emb", "shape": [4, 6], "partitions": 3, "partition_axis": 1, "value": w}]},
               "new": {"variables": [{"name": "emb", "shape": [7, 6], "partitions": 3, "value": np.zeros((7, 6))}]},
               "files": {"old.txt": ["a", "b", "c", "d"], "new.txt": ["d", "x", "b", "a", "y"]},
               "spec": {"ckpt_to_initialize_from": "old", "var_name_to_vocab_info": {"emb": {"new_vocab": "new.txt", "new_vocab_size": 5, "num_oov_buckets": 2, "old_vocab": "old.txt", "old_vocab_size": -1, "backup_initializer": {"constant": 0.5}, "axis": 0}}}})
    w2 = np.arange(6 * 3, dtype=np.float32).reshape(6, 3) + 1
    sc.append({"name": "rev_vocab_axis1_old_axis1_parts", "source": "review", "description": "axis-1 remap from OLD partitioned along axis 1, NEW in 3 parts",
               "old": {"format": "tf1", "variables": [{"name": "out", "shape": [6, 3], "partitions": 3, "partition_axis": 1, "value": w2}]},
               "new": {"variables": [{"name": "out", "shape": [5, 4], "partitions": 3, "value": np.zeros((5, 4))}]},
               "files": {"old.txt": ["a", "b", "c"], "new.txt": ["c", "z", "a"]},
               "spec": {"ckpt_to_initialize_from": "old", "var_name_to_vocab_info": {"out": {"new_vocab": "new.txt", "new_vocab_size": 3, "num_oov_buckets": 1, "old_vocab": "old.txt", "old_vocab_size": -1, "backup_initializer": {"constant": 0.25}, "axis": 1}}}})
    return sc


def all_scenarios():
    return ported_wsu() + ported_cko() + errors() + semantics() + realistic() + review_cases()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    scs = all_scenarios()
    names = [s["name"] for s in scs]
    assert len(names) == len(set(names)), "duplicate scenario names"
    if args.only:
        scs = [s for s in scs if args.only in s["name"]]
    elif os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out, exist_ok=True)
    t0 = time.time()
    summary = []
    for sc in scs:
        res = oracle.generate(sc, args.out)
        line = {"name": res["name"], "status": res["status"]}
        if res["status"] == "error":
            line.update(error=res["error"], when=res["when"], message=res["message"][:300])
        summary.append(line)
        print(json.dumps(line))
    print("generated %d scenarios in %.1fs" % (len(scs), time.time() - t0), file=sys.stderr)
    failures = check_tf_assertions(args.out)
    for f in failures:
        print("ASSERTION MISMATCH: " + f, file=sys.stderr)
    if failures:
        sys.exit(1)
    print("all %d TF-test assertions reproduced" % len(TF_TEST_ASSERTIONS), file=sys.stderr)


if __name__ == "__main__":
    main()
