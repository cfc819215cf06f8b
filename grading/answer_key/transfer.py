"""Reference answers of lab 15 (transfer learning) and the helpers its hidden tests use.

``split_classes`` is plain NumPy; ``build_transfer_model`` and ``unfreeze_top`` import Keras
when called. The helpers below build small random convolutional bases, summarise a model as
plain values (layer types, units, activations, trainable flags, the ``training`` argument of
the base's call, what ``compile`` fixed) and replay a short ``fit`` to see which weights and
batch-normalisation statistics moved.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np

ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                 "weight_decay": None, "clipnorm": None, "clipvalue": None,
                 "global_clipnorm": None, "use_ema": False}


# -- the lab's answers --------------------------------------------------------------------------

def split_classes(x, y, held_out):
    """Source data (every class not held out, relabelled 0, 1, ... in increasing order of the
    old label) and target data (the held-out classes, relabelled 0, 1, ... in the order of
    ``held_out``); both keep the order of the rows."""
    x, y = np.asarray(x), np.asarray(y)
    held = [int(c) for c in held_out]
    rest = [int(c) for c in np.unique(y) if int(c) not in held]
    source = np.isin(y, rest)
    target = np.isin(y, held)
    y_source = np.searchsorted(np.array(rest), y[source]).astype("int64")
    y_target = np.array([held.index(int(v)) for v in y[target]], dtype="int64")
    return (x[source], y_source), (x[target], y_target)


def build_transfer_model(base, num_classes, units=64, dropout=0.3, learning_rate=1e-3):
    """Frozen ``base`` (called with ``training=False``) -> Dense(units, relu) ->
    Dropout(dropout) -> Dense(num_classes, softmax); Adam(learning_rate), sparse categorical
    cross-entropy, accuracy."""
    import keras

    base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs, training=False)
    hidden = keras.layers.Dense(units, activation="relu")(features)
    hidden = keras.layers.Dropout(dropout)(hidden)
    outputs = keras.layers.Dense(num_classes, activation="softmax")(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def unfreeze_top(model, base, n_layers, learning_rate):
    """Make the top ``n_layers`` layers of ``base`` that hold weights (BatchNormalization
    layers not counted) trainable, keep everything else in the base frozen (every
    BatchNormalization layer included), and recompile with Adam(learning_rate)."""
    import keras

    base.trainable = True
    weighted = [layer for layer in base.layers
                if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    top = weighted[len(weighted) - n_layers:] if n_layers > 0 else []
    for layer in base.layers:
        layer.trainable = any(layer is chosen for chosen in top)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def weighted_layers(base):
    """The base's layers that hold weights, BatchNormalization excluded, bottom to top."""
    import keras

    return [layer for layer in base.layers
            if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]


# -- hidden-test helpers ------------------------------------------------------------------------

@contextlib.contextmanager
def muted():
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


def split_case(rng, classes: int = 10, n: int = 60):
    """Images (n, 2, 3) whose pixels name their row, labels 0..classes-1 (every class at
    least twice), and 2 or 3 held-out classes in a random, unsorted order."""
    y = np.concatenate([np.arange(classes), np.arange(classes),
                        rng.integers(0, classes, size=n - 2 * classes)])
    y = rng.permutation(y).astype(rng.choice(["int64", "uint8", "int32"]))
    x = (np.arange(n * 6, dtype="float32").reshape(n, 2, 3) + rng.normal(size=(n, 2, 3))
         ).astype("float32")
    while True:
        held = [int(c) for c in rng.choice(classes, size=int(rng.integers(2, 4)), replace=False)]
        if held != sorted(held) and held[0] != 0:
            return x, y, tuple(held) if rng.random() < 0.5 else held


def random_base(seed: int, size: int = 10, channels: int = 1, blocks: int = 3,
                dense: int = 0, bias: bool = False):
    """A small convolutional base like the lab's: ``blocks`` Conv-BN-ReLU(-pool) blocks,
    global average pooling, optionally a Dense layer (and its own BN) on top. Its BN layers
    have non-trivial moving statistics and gamma/beta, so freezing mistakes show."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(size, size, channels))]
    width = 2
    for block in range(blocks):
        layers += [keras.layers.Conv2D(width + block, 3, padding="same", use_bias=bias),
                   keras.layers.BatchNormalization(), keras.layers.ReLU()]
        if block < 2:
            layers.append(keras.layers.MaxPooling2D())
    layers.append(keras.layers.GlobalAveragePooling2D())
    if dense:
        layers += [keras.layers.Dense(dense), keras.layers.BatchNormalization(),
                   keras.layers.Dropout(0.2), keras.layers.ReLU()]
    base = keras.Sequential(layers, name=f"base_{seed}")
    rng = np.random.default_rng(seed)
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            dim = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0.0, 0.5, size=dim).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, size=dim).astype("float32"))
            layer.gamma.assign(rng.uniform(0.5, 1.5, size=dim).astype("float32"))
            layer.beta.assign(rng.normal(0.0, 0.2, size=dim).astype("float32"))
    return base


def data_for(model, rng, n: int = 24, num_classes: int | None = None):
    """Random images for ``model``'s input and integer labels for its output."""
    shape = tuple(model.input_shape[1:])
    classes = num_classes or int(model.output_shape[-1])
    x = rng.uniform(0.0, 1.0, size=(n, *shape)).astype("float32")
    y = (np.arange(n) % classes).astype("int64")
    return x, rng.permutation(y)


def _plain(value):
    if isinstance(value, bool | int | float | str) or value is None:
        return type(value)(value) if value is not None else None
    return repr(value)


def activation_name(layer) -> str:
    import keras

    return str(keras.activations.serialize(layer.activation))


def layer_summary(layer, base) -> tuple:
    """One layer as plain values."""
    import keras

    if layer is base:
        return ("BASE",)
    kind = type(layer)
    name = f"{kind.__module__}.{kind.__qualname__}"
    if isinstance(layer, keras.layers.Dense):
        return (name, int(layer.units), activation_name(layer), bool(layer.use_bias),
                type(layer.kernel_initializer).__name__, type(layer.bias_initializer).__name__,
                layer.kernel_regularizer is None, layer.bias_regularizer is None,
                layer.activity_regularizer is None, layer.kernel_constraint is None)
    if isinstance(layer, keras.layers.Dropout):
        return (name, round(float(layer.rate), 9), layer.noise_shape is None)
    if isinstance(layer, keras.layers.InputLayer):
        return (name, tuple(layer.batch_shape))
    return (name,)


def base_call_kwargs(model, base) -> list:
    """The keyword arguments of every call of ``base`` in ``model``'s graph (plain values)."""
    config = model.get_config()
    calls = []
    for entry in config.get("layers", []):
        if entry.get("name") == base.name:
            for node in entry.get("inbound_nodes", []):
                kwargs = node.get("kwargs", {}) if isinstance(node, dict) else {}
                calls.append(sorted((str(k), _plain(v)) for k, v in kwargs.items()))
    return calls


def compiled(model) -> dict:
    """What ``compile`` fixed, as plain values."""
    optimizer = model.optimizer
    settings = optimizer.get_config()
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    if isinstance(loss, dict) and loss.get("class_name") == "SparseCategoricalCrossentropy":
        settings = loss.get("config") or {}
        if not settings.get("from_logits") and settings.get("ignore_class") is None:
            loss = "sparse_categorical_crossentropy"
    metrics = config.get("metrics") or []
    return {
        "optimizer": f"{type(optimizer).__module__}.{type(optimizer).__name__}",
        "changed": sorted(k for k, v in ADAM_DEFAULTS.items() if settings.get(k) != v),
        "learning_rate": round(float(np.asarray(optimizer.learning_rate)), 12),
        "loss": loss if isinstance(loss, str) else repr(loss),
        "metrics": [m if isinstance(m, str) else repr(m) for m in metrics],
        "weighted_metrics": repr(config.get("weighted_metrics")),
        "loss_weights": repr(config.get("loss_weights")),
        "compiled": bool(model.compiled),
    }


def summary(model, base) -> dict:
    """A transfer model as plain values: its layers, how it calls the base, what is
    trainable, its shapes and parameter counts, and what compile fixed."""
    return {
        "type": f"{type(model).__module__}.{type(model).__qualname__}",
        "layers": [layer_summary(layer, base) for layer in model.layers],
        "base_calls": base_call_kwargs(model, base),
        "input": tuple(model.input_shape),
        "output": tuple(model.output_shape),
        "base_trainable": bool(base.trainable),
        "base_layers_trainable": [bool(layer.trainable) for layer in base.layers
                                  if layer.weights],
        "trainable": [tuple(w.shape) for w in model.trainable_weights],
        "non_trainable": sorted(tuple(w.shape) for w in model.non_trainable_weights),
        "params": int(model.count_params()),
        "compile": compiled(model),
    }


def snapshot(layer) -> list[np.ndarray]:
    return [np.array(w, dtype=float, copy=True) for w in layer.weights]


def changed(before, after) -> list[bool]:
    """Which arrays differ, compared as raw bytes (no NumPy comparison function)."""
    return [b.shape != a.shape or b.tobytes() != a.tobytes()
            for b, a in zip(before, after, strict=True)]


def fit_changes(model, base, x, y, epochs: int = 1, batch_size: int = 8) -> dict:
    """Fit ``model`` briefly; which weights of the base moved (BN moving statistics
    included, in ``base.weights`` order) and whether every head weight moved."""
    head = [w for w in model.weights if not any(w is v for v in base.weights)]
    before_base = snapshot(base)
    before_head = [np.array(w, dtype=float, copy=True) for w in head]
    with muted():
        model.fit(x, y, epochs=epochs, batch_size=batch_size, verbose=0, shuffle=False)
    after_head = [np.array(w, dtype=float, copy=True) for w in head]
    return {"base": changed(before_base, snapshot(base)),
            "head": all(changed(before_head, after_head))}


def expected_base_changes(base, n_layers: int) -> list[bool]:
    """After unfreeze_top(n_layers), which of ``base.weights`` a fit must move."""
    top = weighted_layers(base)
    top = top[len(top) - n_layers:] if n_layers > 0 else []
    moving = {id(w) for layer in top for w in layer.weights}
    return [id(w) in moving for w in base.weights]


def prepared(seed: int, blocks: int = 3, dense: int = 0, num_classes: int = 3,
             size: int = 10, channels: int = 1, fit: bool = True):
    """A random base inside the key's frozen transfer model, fitted once when ``fit`` (so a
    train function exists, as in the lab before fine-tuning)."""
    base = random_base(seed, size=size, channels=channels, blocks=blocks, dense=dense)
    model = build_transfer_model(base, num_classes, units=5, dropout=0.1, learning_rate=1e-2)
    x, y = data_for(model, np.random.default_rng(seed))
    if fit:
        with muted():
            model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return base, model, x, y
