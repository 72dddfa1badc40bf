"""The small Keras models of the Keras fixtures (tests/fixtures/data/keras/), shared by the script
that writes them (make_keras_fixtures.py) and the one that restores our merged output into a NEW
model (keras_restore.py). Each case is an Embedding + Dense model with a built optimizer, written
by tf.train.Checkpoint the way Keras 3 and tf-keras users write TF checkpoints."""
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

SEQ_LEN, DIM, HIDDEN = 5, 4, 3

# name -> how the case builds its model and writes its checkpoint.
#   framework: "keras3" (keras 3, TF 2.21's default) or "tf_keras" (Keras 2)
#   optimizer: "adam" (the framework's Adam) or "legacy_adam" (tf_keras.optimizers.legacy.Adam:
#              optimizer_v2, slots in the object graph's slot_variables)
#   functional: named layers (Model(inputs, outputs)) instead of Sequential
#   batch_norm: a BatchNormalization layer (moving statistics: model variables, not trainable)
#   save_optimizer: tf.train.Checkpoint(model=m, optimizer=m.optimizer) instead of (model=m)
#   save: Checkpoint.save (adds save_counter) instead of Checkpoint.write
CASES = {
    "keras3_sequential_adam": dict(framework="keras3", optimizer="adam", functional=False,
                                   batch_norm=False, save_optimizer=False, save=False,
                                   backup="zeros"),
    "keras3_functional_bn_save": dict(framework="keras3", optimizer="adam", functional=True,
                                      batch_norm=True, save_optimizer=True, save=True,
                                      backup={"constant": 0.5}),
    "tf_keras_sequential_bn_adam": dict(framework="tf_keras", optimizer="adam", functional=False,
                                        batch_norm=True, save_optimizer=True, save=False,
                                        backup="zeros"),
    "tf_keras_legacy_adam": dict(framework="tf_keras", optimizer="legacy_adam", functional=False,
                                 batch_norm=False, save_optimizer=True, save=False,
                                 backup="zeros"),
}


def framework(case):
    if CASES[case]["framework"] == "keras3":
        import keras
        return keras
    import tf_keras
    return tf_keras


def build(case, vocab_size, seed, learning_rate):
    """A fresh model of `case` (names reset, so OLD and NEW name their variables alike)."""
    c, k = CASES[case], framework(case)
    k.backend.clear_session()
    k.utils.set_random_seed(seed)
    L = k.layers
    if c["functional"]:
        tokens = k.Input((SEQ_LEN,), dtype="int32", name="tokens")
        x = L.Embedding(vocab_size, DIM, name="emb")(tokens)
        x = L.GlobalAveragePooling1D(name="pool")(x)
        if c["batch_norm"]:
            x = L.BatchNormalization(name="bn")(x)
        x = L.Dense(HIDDEN, activation="relu", name="hidden")(x)
        model = k.Model(tokens, L.Dense(1, name="logit")(x), name="ranker")
    else:
        layers = [k.Input((SEQ_LEN,), dtype="int32"), L.Embedding(vocab_size, DIM),
                  L.GlobalAveragePooling1D()]
        if c["batch_norm"]:
            layers.append(L.BatchNormalization())
        layers += [L.Dense(HIDDEN, activation="relu"), L.Dense(1)]
        model = k.Sequential(layers)
    opt = (k.optimizers.legacy.Adam(learning_rate) if c["optimizer"] == "legacy_adam"
           else k.optimizers.Adam(learning_rate))
    model.compile(optimizer=opt, loss="mse")
    return model


def build_optimizer(case, model):
    """Creates the optimizer's slots and counters without a training step."""
    if CASES[case]["optimizer"] == "legacy_adam":
        model.optimizer._create_all_weights(model.trainable_variables)
    else:
        model.optimizer.build(model.trainable_variables)


def train(model, vocab_size, steps, seed):
    rng = np.random.default_rng(seed)
    x = rng.integers(0, vocab_size, (8 * steps, SEQ_LEN))
    y = rng.random((8 * steps, 1))
    model.fit(x, y, batch_size=8, epochs=1, verbose=0, shuffle=False)


def checkpoint(case, model):
    """The tf.train.Checkpoint a user of this framework writes."""
    if CASES[case]["save_optimizer"]:
        return tf.train.Checkpoint(model=model, optimizer=model.optimizer)
    return tf.train.Checkpoint(model=model)


def embedding_name(case):
    """The embedding variable's graph name (its full_name in the checkpoint)."""
    if CASES[case]["functional"]:
        return "emb/embeddings"
    return "sequential/embedding/embeddings" if CASES[case]["framework"] == "keras3" \
        else "embedding/embeddings"


def trainable_names(case, model):
    """Keras's own answer: the graph names of the model's trainable variables."""
    if CASES[case]["framework"] == "keras3":
        return sorted(v.path for v in model.trainable_variables)
    return sorted(v.name[:-2] for v in model.trainable_variables)
