"""Reference answers of lab 13 (CNNs on MNIST and Fashion-MNIST) and what its hidden tests
need: image preparation, a stratified validation split (graded by its properties, since any
random choice of rows is right), the seed's small CNN read back as plain data, and the most
confused pairs of a confusion matrix. NumPy references of output sizes and parameter counts
are checked against Keras in ``tests/test_cnn.py``."""

from __future__ import annotations

import numpy as np

INPUT_SHAPE = (28, 28, 1)
N_CLASSES = 10
ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                 "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                 "clipvalue": None, "use_ema": False}


# -- Task 1 -------------------------------------------------------------------------------------

def prepare_images(x) -> np.ndarray:
    """(N, H, W) pixels 0..255 -> a new float32 array (N, H, W, 1) in [0, 1]."""
    return (np.asarray(x).astype("float32") / 255.0)[..., np.newaxis]


# -- Task 2 -------------------------------------------------------------------------------------

def split_validation(x, y, fraction=0.1, seed=0):
    """From every class, ``round(fraction * n_class)`` random rows go to validation."""
    x, y = np.asarray(x), np.asarray(y)
    rng = np.random.default_rng(seed)
    val = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        val[rng.choice(rows, size=round(fraction * len(rows)), replace=False)] = True
    return x[~val], y[~val], x[val], y[val]


def _rows(x) -> list:
    """Every row of an array as a hashable tuple of plain floats."""
    flat = np.array(x, dtype=float, subok=False, copy=True)
    assert type(flat) is np.ndarray
    return [tuple(row) for row in flat.reshape(len(flat), -1).tolist()]


def split_problems(x, y, fraction, result) -> list[str]:
    """What is wrong with ``result = split_validation(x, y, fraction, seed)``, as a list of
    problems (empty when right). ``x`` must have distinct rows."""
    problems = []
    if type(result) is not tuple or len(result) != 4:
        return [f"not a tuple of 4: {type(result).__name__}"]
    x_tr, y_tr, x_val, y_val = result
    for name, part in (("x_train", x_tr), ("x_val", x_val)):
        if type(part) is not np.ndarray or part.dtype != np.asarray(x).dtype:
            problems.append(f"{name} is not an ndarray of x's dtype")
        elif part.shape[1:] != np.asarray(x).shape[1:]:
            problems.append(f"{name} has rows of the wrong shape")
    if problems:
        return problems
    labels = {row: int(label) for row, label in zip(_rows(x), np.asarray(y).tolist(), strict=True)}
    train_rows, val_rows = _rows(x_tr), _rows(x_val)
    train_labels = [int(v) for v in np.array(y_tr, dtype=float).reshape(-1).tolist()]
    val_labels = [int(v) for v in np.array(y_val, dtype=float).reshape(-1).tolist()]
    if len(train_labels) != len(train_rows) or len(val_labels) != len(val_rows):
        return ["labels and rows differ in number"]
    seen = train_rows + val_rows
    if sorted(seen) != sorted(labels) or len(set(seen)) != len(seen):
        problems.append("the parts are not a partition of x's rows")
    for row, label in zip(seen, train_labels + val_labels, strict=True):
        if labels.get(row) != label:
            problems.append("a row lost its label")
            break
    for label in sorted(set(labels.values())):
        n = sum(1 for v in labels.values() if v == label)
        if sum(1 for v in val_labels if v == label) != round(fraction * n):
            problems.append(f"class {label}: wrong validation count")
    return problems


def validation_rows(result) -> list:
    """The validation rows of a split, sorted: two splits are the same when these are."""
    return sorted(_rows(result[2]))


def split_cases(rng, n_cases: int = 8):
    """Seeded cases ``(x, y, fraction)``: imbalanced classes, labels that are not 0..K-1,
    rows that are all different, and no fraction * n_class exactly halfway between two
    integers (Python's round would go to the even one)."""
    cases = []
    while len(cases) < n_cases:
        k = int(rng.integers(2, 7))
        labels = rng.choice(np.arange(-2, 20), size=k, replace=False)
        counts = rng.integers(1, 40, size=k)
        fraction = float(np.round(rng.uniform(0.05, 0.6), 3))
        if any(abs(fraction * c - np.floor(fraction * c) - 0.5) < 1e-6 for c in counts):
            continue
        y = np.repeat(labels, counts)
        order = rng.permutation(len(y))
        y = y[order]
        shape = ((len(y), 3, 2), (len(y), 4), (len(y), 2, 2, 1))[len(cases) % 3]
        x = rng.permutation(np.arange(np.prod(shape), dtype=float)).reshape(shape)
        x = x.astype("float32" if len(cases) % 2 else "float64")
        cases.append((x, y.astype(int), fraction))
    return cases


def n_splits(y, fraction) -> int:
    """How many different validation sets a stratified split of ``y`` can choose from."""
    from math import comb

    y = np.asarray(y)
    total = 1
    for label in np.unique(y):
        n = int(np.sum(y == label))
        total *= comb(n, round(fraction * n))
    return total


def default_split_case():
    """Rows for the default ``fraction=0.1``: classes of 12, 30 and 7 rows (1, 3 and 1 go
    to validation; 0.7 rounds up), shuffled."""
    rng = np.random.default_rng(136)
    y = rng.permutation(np.repeat([0, 1, 2], [12, 30, 7]))
    x = np.arange(len(y) * 3, dtype="float32").reshape(len(y), 3)
    return x, y


# -- Task 3 -------------------------------------------------------------------------------------

def build_cnn(filters=32, kernel_size=4, pool_size=2, dense_units=128, learning_rate=1e-3):
    """Conv2D(filters, kernel_size, ReLU) -> MaxPooling2D(pool_size) -> Flatten ->
    Dense(dense_units, ReLU) -> Dense(10, softmax); Adam, sparse CCE, accuracy."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=INPUT_SHAPE),
        keras.layers.Conv2D(filters, kernel_size, activation="relu"),
        keras.layers.MaxPooling2D(pool_size),
        keras.layers.Flatten(),
        keras.layers.Dense(dense_units, activation="relu"),
        keras.layers.Dense(N_CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _activation(layer) -> str:
    activation = getattr(layer, "activation", None)
    return str(getattr(activation, "__name__", type(activation).__name__))


def _pair(value) -> tuple:
    if isinstance(value, int | np.integer):
        return (int(value), int(value))
    return tuple(int(v) for v in value)


def _loss(loss):
    """The compiled loss as ``("sparse", from_logits)``, or something else for any other."""
    names = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")
    if isinstance(loss, str):
        return ("sparse", False) if loss in names else ("other", loss)
    if isinstance(loss, dict) and loss.get("class_name") == "function":
        return ("sparse", False) if loss.get("config") in names else ("other", repr(loss))
    if isinstance(loss, dict) and loss.get("class_name") in names:
        config = dict(loss.get("config") or {})
        if config.get("ignore_class") is None and config.get("reduction") in (
                None, "sum_over_batch_size"):
            return ("sparse", bool(config.get("from_logits")))
    return ("other", repr(loss))


def _metric(metric) -> str:
    if isinstance(metric, str):
        return "accuracy" if metric in ("accuracy", "acc") else metric
    if isinstance(metric, dict):
        kind = str(metric.get("class_name"))
        name = str((metric.get("config") or {}).get("name"))
        if kind == "SparseCategoricalAccuracy" and name == "accuracy":
            return "accuracy"
        return f"{kind}({name})"
    return repr(metric)


def describe_cnn(model) -> dict:
    """What the task fixes, as plain data. A linear output with ``from_logits=True`` reads
    the same as softmax with ``from_logits=False``; any other pairing does not."""
    import keras

    assert isinstance(model, keras.Model), f"not a Keras model: {type(model).__name__}"
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        kind = type(layer).__name__
        if kind == "Conv2D":
            layers.append((kind, int(layer.filters), _pair(layer.kernel_size),
                           _pair(layer.strides), layer.padding, _pair(layer.dilation_rate),
                           int(layer.groups), _activation(layer), bool(layer.use_bias)))
        elif kind == "MaxPooling2D":
            layers.append((kind, _pair(layer.pool_size), _pair(layer.strides), layer.padding))
        elif kind == "Dense":
            layers.append((kind, int(layer.units), _activation(layer), bool(layer.use_bias)))
        else:
            layers.append((kind,))
    try:
        inputs = [tuple(None if d is None else int(d) for d in t.shape) for t in model.inputs]
    except (AttributeError, ValueError):
        inputs = None
    compiled = bool(getattr(model, "compiled", False))
    config = model.get_compile_config() if compiled else {}
    optimizer = dict(config.get("optimizer") or {})
    settings = dict(optimizer.get("config") or {})
    rate = settings.get("learning_rate")
    others = {k: settings.get(k) for k in ADAM_DEFAULTS}
    loss = _loss(config.get("loss"))
    if layers and layers[-1][0] == "Dense" and loss[0] == "sparse":
        last = layers[-1]
        if (last[2], loss[1]) in (("linear", True), ("softmax", False)):
            layers[-1] = (last[0], last[1], "probabilities", last[3])
            loss = ("sparse", "consistent")
    return {
        "inputs": inputs,
        "layers": layers,
        "compiled": compiled,
        "optimizer": optimizer.get("class_name"),
        "learning_rate": round(rate, 9) if isinstance(rate, float) else repr(rate),
        "adam_defaults": others == ADAM_DEFAULTS,
        "loss": loss,
        "metrics": [_metric(m) for m in config.get("metrics") or []],
    }


def cnn_param_count(filters, kernel_size, pool_size, dense_units, size=28, channels=1,
                    n_classes=N_CLASSES) -> int:
    """Parameters of ``build_cnn``: conv weights and biases, then the two Dense layers."""
    conv = filters * (kernel_size * kernel_size * channels + 1)
    side = conv_output_size(size, kernel_size)
    pooled = pool_output_size(side, pool_size)
    flat = pooled * pooled * filters
    return conv + flat * dense_units + dense_units + dense_units * n_classes + n_classes


def conv_output_size(w, k, p=0, s=1) -> int:
    """floor((W - K + 2P) / S) + 1."""
    return (w - k + 2 * p) // s + 1


def pool_output_size(w, pool) -> int:
    """A 'valid' pooling window of ``pool`` with stride ``pool``."""
    return (w - pool) // pool + 1


def lowers_loss(model, seed: int = 0, epochs: int = 3) -> bool:
    """A tiny seeded fit on 32 random images lowers the training loss."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=(32, *INPUT_SHAPE)).astype("float32")
    y = rng.integers(0, N_CLASSES, size=32)
    before = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    after = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
    return after < before


# -- Task 4 -------------------------------------------------------------------------------------

def most_confused_pairs(cm, k=5) -> list[tuple[int, int, int]]:
    """The k largest off-diagonal counts > 0 as (true, predicted, count), by count
    descending, ties by true class then predicted class ascending."""
    cm = np.asarray(cm)
    pairs = [(int(cm[i, j]), i, j) for i in range(cm.shape[0]) for j in range(cm.shape[1])
             if i != j and cm[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(i, j, count) for count, i, j in pairs[:k]]


def confusion_cases(rng, n_cases: int = 10):
    """Seeded confusion matrices with big diagonals, zeros, and ties off the diagonal, in
    both directions of a pair, so the order of every rule changes the answer."""
    cases = []
    for case in range(n_cases):
        n = int(rng.integers(3, 11))
        cm = rng.integers(0, 6, size=(n, n)) * rng.integers(0, 2, size=(n, n))
        i, j = rng.choice(n, size=2, replace=False)
        cm[i, j] = cm[j, i] = 7  # a tie in both directions of one pair
        cm[np.diag_indices(n)] = rng.integers(50, 200, size=n)
        k = [1, 3, 5, n * n][case % 4]
        cases.append((cm.astype(int), k))
    return cases
