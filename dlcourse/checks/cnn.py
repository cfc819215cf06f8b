"""Checks for lab 13 (CNNs on MNIST and Fashion-MNIST).

Stored cases with their expected values written out as literals, and properties: a split
is judged by what any right split has in common (a partition of the rows, labels kept,
the counts per class), a model by its configuration and by a tiny seeded fit.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, close, fail, passed, quiet, strict_numpy

# -- Task 1: prepare_images ---------------------------------------------------------------------

# Two 3x3 "images" of pixel values 0..255 and the same values divided by 255.
_PIXELS = [[[0, 51, 255], [102, 5, 0], [255, 255, 17]],
           [[204, 153, 34], [0, 0, 0], [68, 119, 187]]]
_SCALED = [[[0.0, 0.2, 1.0], [0.4, 0.019607843, 0.0], [1.0, 1.0, 0.066666667]],
           [[0.8, 0.6, 0.133333333], [0.0, 0.0, 0.0], [0.266666667, 0.466666667, 0.733333333]]]
# A darker 2x4 image (brightest pixel 200, darkest 40) given as float64 values.
_DARK = [[[40.0, 200.0, 120.0, 90.0], [60.0, 40.0, 180.0, 150.0]]]
_DARK_SCALED = [[[0.156862745, 0.784313725, 0.470588235, 0.352941176],
                 [0.235294118, 0.156862745, 0.705882353, 0.588235294]]]


def _prepared(prepare_images, x, task):
    __tracebackhide__ = True
    before = x.copy()
    with strict_numpy():
        got = call(prepare_images, x, task=task, name="prepare_images")
    if not (x.shape == before.shape and x.dtype == before.dtype
            and np.array_equal(x, before)):
        fail(task, "prepare_images changed the array it was given",
             hint="work on a new array: x.astype('float32') / 255 (x /= 255 divides in place)")
    if not isinstance(got, np.ndarray):
        fail(task, "prepare_images should return a NumPy array", "numpy.ndarray",
             type(got).__name__, "return x.astype('float32') / 255 with a channel axis")
    return got


def check_prepare_images(prepare_images) -> None:
    __tracebackhide__ = True
    task = "prepare_images"
    for pixels, scaled, dtype in ((_PIXELS, _SCALED, np.uint8), (_DARK, _DARK_SCALED, float)):
        x = np.array(pixels, dtype=dtype)
        n, h, w = x.shape
        got = _prepared(prepare_images, x, task)
        shown = f"an array of shape {x.shape} ({x.dtype})"
        if got.shape != (n, h, w, 1):
            hint = "add the channel axis last: x[..., np.newaxis] or x.reshape(n, h, w, 1)"
            if got.shape == (n, 1, h, w):
                hint = ("that is channels first; Keras' Conv2D expects channels last, "
                        "(samples, height, width, channels): x[..., np.newaxis]")
            elif got.shape == (n, h, w):
                hint = ("Conv2D needs a channel axis, even for greyscale images: "
                        "(samples, height, width, 1)")
            fail(task, f"prepare_images({shown}) has the wrong shape", (n, h, w, 1),
                 got.shape, hint)
        if got.dtype != np.float32:
            fail(task, f"prepare_images({shown}) has the wrong dtype", "float32",
                 str(got.dtype), "x.astype('float32') / 255: float64 doubles the memory and "
                 "Keras works in float32")
        expected = np.array(scaled)[..., np.newaxis]
        if not close(got, expected, atol=1e-6, rtol=1e-5):
            values = np.asarray(got, dtype=float).reshape(-1)
            hint = "divide by 255, the largest possible pixel value"
            if values.max() > 1.5:
                hint = "the pixels are still 0..255: divide by 255 to scale them to [0, 1]"
            elif close(got, (x / x.max())[..., np.newaxis], atol=1e-6):
                hint = ("you divided by this array's brightest pixel; divide by 255, so that "
                        "every image (and the test set) is scaled the same way")
            elif close(got, ((x - x.min()) / (x.max() - x.min()))[..., np.newaxis], atol=1e-6):
                hint = ("min-max scaling depends on the array; divide by 255, so that every "
                        "image (and the test set) is scaled the same way")
            fail(task, f"prepare_images({shown}): wrong values",
                 expected.reshape(-1)[:8].round(4), values[:8].round(4), hint)
    passed(task, "(N, H, W) pixels 0..255 -> float32 (N, H, W, 1) in [0, 1], input untouched")


# -- Task 2: split_validation -------------------------------------------------------------------

# 30 rows of three classes, 4 of class 4, 10 of class 1 and 16 of class 7; the last nine
# rows are all 7s, so "the last rows" is not a stratified split. Every row of x holds its
# own number twice, so rows can be followed.
_SPLIT_Y = [4, 1, 7, 4, 1, 1, 7, 1, 4, 1, 7, 1, 4, 1, 7, 1, 7, 1, 7, 7, 1, 7, 7, 7, 7, 7, 7,
            7, 7, 7]
# round(fraction * n) validation rows per class, worked out by hand for n = 4, 10, 16
_SPLIT_COUNTS = {0.3: {4: 1, 1: 3, 7: 5}, 0.2: {4: 1, 1: 2, 7: 3}}


def _split_data():
    y = np.array(_SPLIT_Y)
    x = np.repeat(np.arange(30, dtype="float32")[:, None], 2, axis=1)
    return x, y


def _split(split_validation, x, y, task, *args, **kwargs):
    __tracebackhide__ = True
    xc, yc = x.copy(), y.copy()
    shown = ", ".join(["x", "y", *map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    result = call(split_validation, x, y, *args, task=task, name="split_validation", **kwargs)
    if not (np.array_equal(x, xc) and np.array_equal(y, yc)):
        fail(task, f"split_validation({shown}) changed x or y",
             hint="take rows with an index (x[rows]); do not shuffle x and y in place")
    if not isinstance(result, tuple) or len(result) != 4:
        fail(task, f"split_validation({shown}) should return a tuple of four arrays",
             "(x_train, y_train, x_val, y_val)", type(result).__name__)
    parts = []
    for name, part in zip(("x_train", "y_train", "x_val", "y_val"), result, strict=True):
        if not isinstance(part, np.ndarray):
            fail(task, f"{name} should be a NumPy array", "numpy.ndarray", type(part).__name__)
        parts.append(part)
    x_tr, y_tr, x_val, y_val = parts
    for name, xs, ys in (("training", x_tr, y_tr), ("validation", x_val, y_val)):
        if xs.dtype != x.dtype or xs.shape[1:] != x.shape[1:] or len(xs) != len(ys):
            fail(task, f"split_validation({shown}): the {name} part is malformed",
                 f"x rows of shape {x.shape[1:]} and dtype {x.dtype}, one label per row",
                 f"x shape {xs.shape} ({xs.dtype}), {len(ys)} labels",
                 "index x and y with the same rows: x[rows], y[rows]")
    return shown, (x_tr, y_tr, x_val, y_val)


def _ids(xs) -> list[int]:
    return [int(round(v)) for v in np.asarray(xs, dtype=float)[:, 0].tolist()]


def check_split_validation(split_validation) -> None:
    __tracebackhide__ = True
    task = "split_validation"
    x, y = _split_data()
    chosen = {}
    for fraction, seed in ((0.3, 0), (0.3, 1), (0.2, 5), (0.3, 0)):
        args, kwargs = ((fraction,), {}) if seed == 0 else ((fraction,), {"seed": seed})
        shown, (x_tr, y_tr, x_val, y_val) = _split(split_validation, x, y, task, *args,
                                                   **kwargs)
        train_ids, val_ids = _ids(x_tr), _ids(x_val)
        if any(i < 0 or i >= 30 or x[i, 1] != x[i, 0] for i in val_ids + train_ids):
            fail(task, f"split_validation({shown}) returned rows that are not in x",
                 "rows of x only", "other rows", "split only the arrays you are given: "
                 "the validation set must come from the training data, never the test set")
        if sorted(train_ids + val_ids) != list(range(30)):
            fail(task, f"split_validation({shown}): every row of x should land in exactly "
                 "one part", "30 different rows in all",
                 f"{len(train_ids)} + {len(val_ids)} rows, {len(set(train_ids + val_ids))} "
                 "different", "choose validation rows, then take the training part as all "
                 "the other rows")
        labels = np.concatenate([y_tr, y_val]).tolist()
        if labels != [_SPLIT_Y[i] for i in train_ids + val_ids]:
            fail(task, f"split_validation({shown}): some rows lost their labels",
                 hint="index x and y with the same row numbers")
        counts = {c: int(np.sum(np.asarray(y_val) == c)) for c in (4, 1, 7)}
        if counts != _SPLIT_COUNTS[fraction]:
            fail(task, f"split_validation({shown}) with classes 4, 1, 7 of 4, 10 and 16 rows: "
                 "validation rows per class", _SPLIT_COUNTS[fraction], counts,
                 "stratify: from every class take round(fraction * rows of that class) "
                 "rows, so that the validation set has the classes in the same proportions")
        chosen.setdefault((fraction, seed), []).append(sorted(val_ids))
    if chosen[(0.3, 0)][0] != chosen[(0.3, 0)][1]:
        fail(task, "split_validation(x, y, 0.3) gave two different splits in two calls",
             "the same split for the same seed", "different ones",
             "draw with rng = np.random.default_rng(seed), not with np.random's global state")
    if chosen[(0.3, 0)][0] == chosen[(0.3, 1)][0]:
        fail(task, "seeds 0 and 1 chose the same validation rows",
             "a different random choice for another seed", chosen[(0.3, 1)][0],
             "choose the rows at random with np.random.default_rng(seed)")
    passed(task, "a partition of the rows, labels kept, round(fraction * n) rows of every "
           "class, reproducible for a seed")


# -- Task 3: build_cnn --------------------------------------------------------------------------

# (arguments, parameters of the model they build, counted by hand)
_CNN_CASES = (
    ({}, 591_786),
    ({"filters": 8, "kernel_size": 3, "pool_size": 3, "dense_units": 16,
      "learning_rate": 0.01}, 8_458),
    ({"filters": 6, "kernel_size": 5, "pool_size": 4, "dense_units": 20,
      "learning_rate": 3e-4}, 4_706),
)
_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False}
_SPARSE = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


def _describe(layer, keras) -> str:
    kind = type(layer).__name__
    act = getattr(getattr(layer, "activation", None), "__name__", None)
    if isinstance(layer, keras.layers.Conv2D):
        return (f"Conv2D({layer.filters}, {tuple(layer.kernel_size)}, strides="
                f"{tuple(layer.strides)}, padding={layer.padding!r}, {act})")
    if isinstance(layer, keras.layers.MaxPooling2D | keras.layers.AveragePooling2D):
        return f"{kind}({tuple(layer.pool_size)}, strides={tuple(layer.strides)})"
    if isinstance(layer, keras.layers.Dense):
        return f"Dense({layer.units}, {act})"
    return kind


def _from_logits(loss) -> bool | None:
    """True/False for sparse categorical cross-entropy (with that from_logits), else None."""
    if isinstance(loss, str):
        return False if loss in _SPARSE else None
    if isinstance(loss, dict) and loss.get("class_name") == "function":
        return False if loss.get("config") in _SPARSE else None
    if isinstance(loss, dict) and loss.get("class_name") in _SPARSE:
        config = loss.get("config") or {}
        if config.get("ignore_class") is None:
            return bool(config.get("from_logits"))
    return None


def _check_compiled(model, kwargs, output, task, where):
    __tracebackhide__ = True
    if not getattr(model, "compiled", False):
        fail(task, f"{where} is not compiled", hint="call model.compile(...) before returning")
    try:
        config = model.get_compile_config() or {}
    except Exception as exc:
        fail(task, "the compile settings cannot be read", "built-in Keras settings",
             f"{type(exc).__name__}: {exc}"[:150])
    optimizer = config.get("optimizer") or {}
    settings = optimizer.get("config") or {}
    if optimizer.get("class_name") != "Adam":
        fail(task, f"{where}: the optimizer should be Adam", "Adam",
             optimizer.get("class_name"), "keras.optimizers.Adam(learning_rate=learning_rate)")
    rate, wanted = settings.get("learning_rate"), kwargs.get("learning_rate", 1e-3)
    if not isinstance(rate, float) or abs(rate - wanted) > 1e-6 * wanted:
        fail(task, f"{where}: Adam's learning rate", wanted, rate,
             "pass keras.optimizers.Adam(learning_rate=learning_rate); the string 'adam' "
             "always uses 0.001")
    changed = {k: settings.get(k) for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v}
    if changed:
        fail(task, "Adam's other settings should keep their defaults",
             {k: _ADAM_DEFAULTS[k] for k in changed}, changed, "pass only learning_rate")
    loss = config.get("loss")
    logits = _from_logits(loss)
    if logits is None:
        fail(task, f"{where}: the loss should be sparse categorical cross-entropy", _SPARSE[0],
             loss, "the labels are integers 0..9; categorical_crossentropy expects one-hot "
             "rows of 10 numbers, and binary cross-entropy is for one sigmoid output")
    if output == "softmax" and logits:
        fail(task, f"{where}: a softmax output with from_logits=True",
             "softmax with from_logits=False, or a linear output with from_logits=True",
             "softmax with from_logits=True", "from_logits=True tells the loss the outputs "
             "are raw scores and applies softmax again: keep the softmax and use "
             "loss='sparse_categorical_crossentropy'")
    if output == "linear" and not logits:
        fail(task, f"{where}: a linear output with a loss that expects probabilities",
             "softmax with from_logits=False, or a linear output with from_logits=True",
             "linear output, from_logits=False", "use activation='softmax' on the last layer "
             "(or SparseCategoricalCrossentropy(from_logits=True))")
    metrics = config.get("metrics") or []
    if metrics != ["accuracy"]:
        fail(task, f"{where}: the metrics should be exactly ['accuracy']", ["accuracy"],
             [m if isinstance(m, str) else (m.get("class_name") if isinstance(m, dict) else
                                            type(m).__name__) for m in metrics],
             "compile with metrics=['accuracy']")
    return logits


@quiet
def check_build_cnn(build_cnn) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_cnn"
    for kwargs, params in _CNN_CASES:
        where = "build_cnn(" + ", ".join(f"{k}={v!r}" for k, v in kwargs.items()) + ")"
        keras.utils.set_random_seed(0)
        model = call(build_cnn, task=task, name="build_cnn", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{where} should return a Keras model", "keras.Model",
                 type(model).__name__)
        layers = [layer for layer in model.layers
                  if not isinstance(layer, keras.layers.InputLayer)]
        shown = [_describe(layer, keras) for layer in layers]
        f, k, p, d = (kwargs.get(name, default) for name, default in (
            ("filters", 32), ("kernel_size", 4), ("pool_size", 2), ("dense_units", 128)))
        output = shown[-1].split(", ")[-1].rstrip(")") if shown else ""
        expected = [f"Conv2D({f}, ({k}, {k}), strides=(1, 1), padding='valid', relu)",
                    f"MaxPooling2D(({p}, {p}), strides=({p}, {p}))", "Flatten",
                    f"Dense({d}, relu)",
                    f"Dense(10, {output if output in ('softmax', 'linear') else 'softmax'})"]
        if shown != expected:
            hint = ("after keras.Input(shape=(28, 28, 1)): Conv2D(filters, kernel_size, "
                    "activation='relu'), MaxPooling2D(pool_size), Flatten(), "
                    "Dense(dense_units, activation='relu'), Dense(10, activation='softmax')")
            kinds = [s.split("(")[0] for s in shown]
            if "MaxPooling2D" not in kinds:
                hint = ("the pooling layer is missing (or is not MaxPooling2D): it halves "
                        "each side of the feature maps and so cuts the Dense layer's weights "
                        "by 4")
            elif len(kinds) == len(expected) and kinds == [s.split("(")[0] for s in expected]:
                hint = ("the layer types are right; use the arguments filters, kernel_size, "
                        "pool_size and dense_units (not fixed numbers), activation='relu' in "
                        "the hidden layers, 10 outputs")
            fail(task, f"the layers of {where}", expected, shown, hint)
        try:
            inputs = [tuple(t.shape) for t in model.inputs]
        except (AttributeError, ValueError):
            inputs = None
        if inputs != [(None, 28, 28, 1)]:
            fail(task, f"{where} has the wrong input", [(None, 28, 28, 1)], inputs,
                 "start with keras.Input(shape=(28, 28, 1)): height, width, channels")
        if model.count_params() != params:
            fail(task, f"{where}: number of parameters", params, model.count_params(),
                 "use_bias stays True in every layer")
        logits = _check_compiled(model, kwargs, output, task, where)
        if kwargs:
            continue
        # Behaviour on tiny inputs: outputs, the loss evaluate reports, a few steps of Adam.
        rng = np.random.default_rng(13)
        x = rng.uniform(size=(32, 28, 28, 1)).astype("float32")
        labels = rng.integers(0, 10, size=32)
        out = np.asarray(keras.ops.convert_to_numpy(model(x, training=False)), dtype=float)
        probs = out if not logits else np.exp(out - out.max(axis=1, keepdims=True))
        probs = probs / probs.sum(axis=1, keepdims=True)
        if out.shape != (32, 10):
            fail(task, "the model's output for 32 images", (32, 10), out.shape)
        try:
            logs = model.evaluate(x, labels, verbose=0, return_dict=True)
        except Exception as exc:
            fail(task, "model.evaluate(images, integer labels) failed",
                 "a loss and an accuracy", f"{type(exc).__name__}: {str(exc)[:150]}",
                 "integer labels need loss='sparse_categorical_crossentropy'")
        wanted = float(np.mean(-np.log(np.maximum(probs[np.arange(32), labels], 1e-7))))
        if sorted(logs) != ["accuracy", "loss"] or abs(float(logs["loss"]) - wanted) > 1e-3:
            fail(task, "evaluate should report the cross-entropy of the predicted "
                 "probabilities, and the accuracy", {"loss": round(wanted, 4)},
                 {key: round(float(v), 4) for key, v in logs.items()},
                 "sparse categorical cross-entropy, metrics=['accuracy']")
        model.fit(x, labels, epochs=3, batch_size=32, verbose=0)
        after = float(model.evaluate(x, labels, verbose=0, return_dict=True)["loss"])
        if not after < float(logs["loss"]):
            fail(task, "three steps of training on 32 images did not lower the loss",
                 f"below {float(logs['loss']):.4f}", round(after, 4),
                 "check the optimizer and the loss")
    passed(task, "Conv2D -> MaxPooling2D -> Flatten -> Dense -> Dense(10), Adam, sparse "
           "cross-entropy, accuracy; three steps lower the loss")


# -- Task 4: most_confused_pairs ----------------------------------------------------------------

# Rows are true classes, columns predicted. Off the diagonal: 2 -> 0 and 0 -> 2 tie at 6,
# 1 -> 3 and 3 -> 1 tie at 4, 1 -> 2 is 2, 3 -> 0 is 1, 2 -> 3 is 1; the diagonal holds the
# largest numbers and must not count.
_CM = [[50, 0, 6, 0],
       [0, 41, 2, 4],
       [6, 0, 37, 1],
       [1, 4, 0, 45]]
_PAIRS = {5: [(0, 2, 6), (2, 0, 6), (1, 3, 4), (3, 1, 4), (1, 2, 2)],
          3: [(0, 2, 6), (2, 0, 6), (1, 3, 4)],
          20: [(0, 2, 6), (2, 0, 6), (1, 3, 4), (3, 1, 4), (1, 2, 2), (2, 3, 1), (3, 0, 1)]}
# A lopsided 3x3 matrix: 2 -> 1 happens 9 times, 1 -> 2 only 3 times.
_CM_ONE_WAY = [[20, 0, 0], [0, 30, 3], [0, 9, 25]]
_PAIRS_ONE_WAY = {1: [(2, 1, 9)], 2: [(2, 1, 9), (1, 2, 3)]}


def _pairs(most_confused_pairs, cm, task, *args):
    __tracebackhide__ = True
    array = np.array(cm)
    copy = array.copy()
    shown = f"most_confused_pairs(cm{''.join(', ' + repr(a) for a in args)})"
    got = call(most_confused_pairs, array, *args, task=task, name="most_confused_pairs")
    if not np.array_equal(array, copy):
        fail(task, f"{shown} changed cm", hint="work on a copy (np.fill_diagonal changes "
             "the array in place)")
    if not isinstance(got, list):
        fail(task, f"{shown} should return a list", "a list of (true, predicted, count)",
             type(got).__name__)
    rows = []
    for item in got:
        if not (isinstance(item, tuple) and len(item) == 3 and all(
                isinstance(v, int | np.integer) and not isinstance(v, bool) for v in item)):
            fail(task, f"{shown}: every item should be a tuple of three integers",
                 "(true, predicted, count)", item, "for example (int(i), int(j), int(cm[i, j]))")
        rows.append(tuple(int(v) for v in item))
    return shown, rows


def check_most_confused_pairs(most_confused_pairs) -> None:
    __tracebackhide__ = True
    task = "most_confused_pairs"
    for cm, cases in ((_CM_ONE_WAY, _PAIRS_ONE_WAY), (_CM, _PAIRS)):
        for k, expected in cases.items():
            args = () if k == 5 else (k,)
            shown, got = _pairs(most_confused_pairs, cm, task, *args)
            if got == expected:
                continue
            hint = ("off-diagonal counts > 0 only, largest first; ties by true class, then "
                    "predicted class; at most k pairs")
            if any(i == j for i, j, _ in got):
                hint = "the diagonal holds the right answers: leave it out"
            elif any(c == 0 for _, _, c in got):
                hint = "leave out pairs that never happened (count 0)"
            elif sorted(got) == sorted(expected):
                hint = "sort by count, largest first; ties by true class, then predicted"
            elif [(j, i, c) for i, j, c in got] == expected:
                hint = "cm[i, j] counts true class i predicted as j: return (i, j, count)"
            fail(task, f"{shown} with cm = {cm}", expected, got, hint)
    passed(task, "off-diagonal pairs, largest first, (true, predicted) kept, ties ordered")
