"""Checks for lab 15 (transfer learning).

These checks ship to students, so they hold fixed cases and properties, never an
implementation of a task: the expected splits below are literals (worked out once with the
course's answer key), and the Keras checks build their own tiny convolutional base, read
the student's model's configuration and watch which weights a two-step ``fit`` moves.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, fail, passed, quiet

_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False}
_SPARSE = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


# -- Task 1: split_classes -----------------------------------------------------------------------

# (labels, held_out, source rows, source labels, target rows, target labels). Image i is the
# 2x2 image filled with the number i, so the rows returned can be read off the images.
_SPLIT_CASES = (
    ([3, 0, 6, 1, 6, 2, 0, 5, 9, 4, 7, 8, 6, 3, 0, 9, 1, 2, 8, 5, 4, 7], (6, 0),
     [0, 3, 5, 7, 8, 9, 10, 11, 13, 15, 16, 17, 18, 19, 20, 21],
     [2, 0, 1, 4, 7, 3, 5, 6, 2, 7, 0, 1, 6, 4, 3, 5],
     [1, 2, 4, 6, 12, 14], [1, 0, 0, 1, 0, 1]),
    ([4, 1, 3, 0, 2, 3, 1, 4, 0, 2, 3], [3, 1],
     [0, 3, 4, 7, 8, 9], [2, 0, 1, 2, 0, 1],
     [1, 2, 5, 6, 10], [1, 0, 0, 1, 0]),
)


def _pair(result, task, what):
    __tracebackhide__ = True
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(task, f"{what} should be a pair (x, y)", "(x, y)", type(result).__name__,
             "return (x_source, y_source), (x_target, y_target)")
    x, y = result
    try:
        x, y = np.asarray(x), np.asarray(y)
    except Exception:
        fail(task, f"{what} should hold arrays", "(array, array)",
             f"({type(x).__name__}, {type(y).__name__})")
    return x, y


def _labels(y, task, what):
    __tracebackhide__ = True
    if y.ndim != 1:
        fail(task, f"{what} should be a 1-D array of labels", "shape (n,)", y.shape,
             "keep the labels 1-D")
    if y.size and not np.issubdtype(y.dtype, np.integer):
        fail(task, f"{what} should be integers (sparse cross-entropy needs integer labels)",
             "an integer dtype", str(y.dtype), "np.searchsorted or np.array(..., dtype=int)")
    return [int(v) for v in y.tolist()]


def _rows(x, n, task, what):
    __tracebackhide__ = True
    if x.ndim != 3 or x.shape[1:] != (2, 2):
        fail(task, f"{what} should keep the images' shape", "shape (m, 2, 2)", x.shape,
             "select whole rows of x with a boolean mask: x[mask]")
    rows = [float(v) for v in x[:, 0, 0].tolist()]
    if any(r != int(r) or not 0 <= r < n for r in rows):
        fail(task, f"{what} holds images that are not rows of x", hint="select rows of x, "
             "do not change the images")
    return [int(r) for r in rows]


@quiet
def check_split_classes(split_classes) -> None:
    __tracebackhide__ = True
    task = "split_classes"
    for labels, held, s_rows, s_y, t_rows, t_y in _SPLIT_CASES:
        n = len(labels)
        x = np.repeat(np.arange(n, dtype="float32"), 4).reshape(n, 2, 2)
        y = np.array(labels, dtype="uint8")
        shown = f"split_classes(x, y={labels}, held_out={held!r})"
        result = call(split_classes, x.copy(), y.copy(), held, task=task, name="split_classes")
        if not isinstance(result, tuple | list) or len(result) != 2:
            fail(task, f"{shown} should return two pairs",
                 "((x_source, y_source), (x_target, y_target))", type(result).__name__)
        (xs, ys), (xt, yt) = (_pair(part, task, name)
                              for part, name in zip(result, ("the source", "the target"),
                                                    strict=True))
        got_s, got_t = _rows(xs, n, task, "x_source"), _rows(xt, n, task, "x_target")
        ys_l, yt_l = _labels(ys, task, "y_source"), _labels(yt, task, "y_target")
        if len(ys_l) != len(got_s) or len(yt_l) != len(got_t):
            fail(task, f"{shown}: x and y of a part should have the same number of rows",
                 hint="apply the same mask to x and y")
        leaked = sorted({labels[r] for r in got_s} & set(held))
        if leaked:
            fail(task, f"{shown}: the source data holds images of held-out classes",
                 f"no image of classes {list(held)}", f"images of class {leaked}",
                 "drop every held-out class from the source data, not only the first one")
        if sorted(got_s) != s_rows or sorted(got_t) != t_rows:
            fail(task, f"{shown}: the wrong images went to the source or the target",
                 {"source": s_rows, "target": t_rows},
                 {"source": sorted(got_s), "target": sorted(got_t)},
                 "source: every image whose class is not held out; target: the others")
        if got_s != s_rows or got_t != t_rows:
            fail(task, f"{shown}: the images should keep their order", t_rows, got_t,
                 "select with a boolean mask (np.isin) instead of sorting or shuffling")
        if yt_l != t_y:
            hint = (f"held_out[i] becomes label i: with held_out={held!r} class {held[0]} is 0 "
                    f"and class {held[1]} is 1")
            if yt_l == [labels[r] for r in t_rows]:
                hint = ("the target labels are still the old class numbers; the new head has "
                        f"{len(held)} outputs, so its labels must be 0..{len(held) - 1}")
            elif yt_l == [sorted(held).index(labels[r]) for r in t_rows]:
                hint = "number the target classes in the order of held_out, not sorted"
            fail(task, f"{shown}: wrong target labels", t_y, yt_l, hint)
        if ys_l != s_y:
            hint = ("the remaining classes, in increasing order of their old number, become "
                    "0, 1, 2, ...")
            if ys_l == [labels[r] for r in s_rows]:
                hint = ("the source labels are still the old class numbers: with "
                        f"{len(set(labels)) - len(held)} source classes they must be 0..."
                        f"{len(set(labels)) - len(held) - 1}")
            fail(task, f"{shown}: wrong source labels", s_y, ys_l, hint)
    passed(task, "held-out classes only in the target, labels 0..K-1 in both parts")


# -- a tiny base for the Keras checks -----------------------------------------------------------

def _tiny_base(name: str = "tiny_base", dense: bool = True, seed: int = 0):
    """(8, 8, 1) images -> Conv-BN-ReLU-pool x 2 -> Conv-BN-ReLU -> global average pooling
    (-> Dense(5)-BN-ReLU). The BN layers get non-trivial statistics, so a BN layer that
    updates them or trains gamma/beta shows."""
    import keras

    keras.utils.set_random_seed(seed)
    layers = [keras.Input(shape=(8, 8, 1))]
    for block, width in enumerate((2, 3, 4)):
        layers += [keras.layers.Conv2D(width, 3, padding="same", use_bias=False),
                   keras.layers.BatchNormalization(), keras.layers.ReLU()]
        if block < 2:
            layers.append(keras.layers.MaxPooling2D())
    layers.append(keras.layers.GlobalAveragePooling2D())
    if dense:
        layers += [keras.layers.Dense(5), keras.layers.BatchNormalization(),
                   keras.layers.ReLU()]
    base = keras.Sequential(layers, name=name)
    rng = np.random.default_rng(seed)
    for layer in base.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            dim = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0.0, 0.5, size=dim).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, size=dim).astype("float32"))
            layer.gamma.assign(rng.uniform(0.5, 1.5, size=dim).astype("float32"))
    return base


def _data(n: int = 16, classes: int = 3, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, 8, 8, 1)).astype("float32")
    return x, (np.arange(n) % classes).astype("int64")


def _values(weights) -> list[np.ndarray]:
    return [np.array(w, dtype=float, copy=True) for w in weights]


def _moved(before, after) -> list[bool]:
    """Which arrays differ, compared as raw bytes (a patched NumPy cannot fool it)."""
    return [b.shape != a.shape or b.tobytes() != a.tobytes()
            for b, a in zip(before, after, strict=True)]


def _fit(model, x, y, task, shown):
    __tracebackhide__ = True
    try:
        model.fit(x, y, epochs=1, batch_size=8, verbose=0, shuffle=False)
    except Exception as exc:
        fail(task, f"{shown}: model.fit on integer labels raised {type(exc).__name__}: {exc}",
             hint="compile with loss='sparse_categorical_crossentropy' and a softmax output "
             "with one unit per class")


def _weight_names(base) -> list[str]:
    names = []
    for layer in base.layers:
        names += [f"{layer.name}/{w.name}" for w in layer.weights]
    return names


def _check_compile(model, learning_rate, task, shown):
    __tracebackhide__ = True
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", False):
        fail(task, f"{shown}: the model is not compiled", hint="call model.compile(...) "
             "before returning it")
    if type(optimizer) is not keras.optimizers.Adam:
        fail(task, f"{shown}: the optimizer should be Adam", "Adam", type(optimizer).__name__,
             "optimizer=keras.optimizers.Adam(learning_rate=learning_rate)")
    rate = float(np.asarray(optimizer.learning_rate))
    if not abs(rate - learning_rate) <= 1e-6 * learning_rate:
        fail(task, f"{shown}: wrong learning rate", learning_rate, rate,
             "pass the learning_rate argument on: Adam(learning_rate=learning_rate)")
    settings = optimizer.get_config()
    changed = {k: settings.get(k) for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v}
    if changed:
        fail(task, f"{shown}: leave Adam's other settings at their defaults", {}, changed)
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    name = loss if isinstance(loss, str) else (loss or {}).get("class_name") \
        if isinstance(loss, dict) else type(loss).__name__
    from_logits = isinstance(loss, dict) and (loss.get("config") or {}).get("from_logits")
    if name not in _SPARSE or from_logits:
        fail(task, f"{shown}: wrong loss", "sparse_categorical_crossentropy", loss,
             "integer labels 0..K-1 and a softmax output: "
             "loss='sparse_categorical_crossentropy'")
    metrics = config.get("metrics") or []
    names = [m if isinstance(m, str) else (m or {}).get("config", {}).get("name")
             if isinstance(m, dict) else type(m).__name__ for m in metrics]
    if names != ["accuracy"] or config.get("weighted_metrics") or config.get("loss_weights"):
        fail(task, f"{shown}: the model should report the accuracy and nothing else",
             ["accuracy"], names, "metrics=['accuracy']")


# -- Task 2: build_transfer_model ---------------------------------------------------------------

# (num_classes, units, dropout, learning_rate, keyword arguments?, parameters in all, trainable)
# for the tiny base with its Dense(5) top: the base holds 18 + 54 + 108 conv weights,
# 4 * 5 + 5 Dense weights and 4 * (2 + 3 + 4 + 5) BN values, 261 in all, none trainable.
_BUILD_CASES = (
    (3, 7, 0.25, 2e-3, True, 327, 66),
    (2, 64, 0.3, 1e-3, None, 775, 514),
    (4, 3, 0.5, 5e-4, False, 295, 34),
)


def _build(build_transfer_model, base, case, task):
    __tracebackhide__ = True
    num_classes, units, dropout, rate, keywords, _, _ = case
    if keywords is None:
        shown = f"build_transfer_model(base, {num_classes})"
        model = call(build_transfer_model, base, num_classes, task=task,
                     name="build_transfer_model")
    elif keywords:
        shown = (f"build_transfer_model(base, {num_classes}, units={units}, "
                 f"dropout={dropout}, learning_rate={rate})")
        model = call(build_transfer_model, base, num_classes, units=units, dropout=dropout,
                     learning_rate=rate, task=task, name="build_transfer_model")
    else:
        shown = f"build_transfer_model(base, {num_classes}, {units}, {dropout}, {rate})"
        model = call(build_transfer_model, base, num_classes, units, dropout, rate, task=task,
                     name="build_transfer_model")
    return model, shown


def _check_layers(model, base, case, task, shown):
    __tracebackhide__ = True
    import keras

    num_classes, units, dropout, *_ = case
    if not isinstance(model, keras.Model):
        fail(task, f"{shown} should return a Keras model", "keras.Model", type(model).__name__)
    if not any(layer is base for layer in model.layers):
        fail(task, f"{shown}: the model should contain the base itself",
             "the base object among model.layers", [layer.name for layer in model.layers],
             "call the given base on the inputs: features = base(inputs, training=False); "
             "do not rebuild or clone it")
    kinds = [("base" if layer is base else type(layer).__name__) for layer in model.layers]
    want = ["InputLayer", "base", "Dense", "Dropout", "Dense"]
    if kinds != want:
        fail(task, f"{shown}: the layers should be input -> base -> Dense -> Dropout -> Dense",
             want, kinds, "a functional model: inputs = keras.Input(shape=base.input_shape"
             "[1:]); base(inputs, training=False); Dense(units, relu); Dropout(dropout); "
             "Dense(num_classes, softmax)")
    hidden, drop, out = model.layers[2:]
    got = (int(hidden.units), keras.activations.serialize(hidden.activation),
           round(float(drop.rate), 9), int(out.units),
           keras.activations.serialize(out.activation))
    if got != (units, "relu", round(dropout, 9), num_classes, "softmax"):
        fail(task, f"{shown}: the head's settings",
             {"hidden units": units, "hidden activation": "relu", "dropout": dropout,
              "output units": num_classes, "output activation": "softmax"},
             {"hidden units": got[0], "hidden activation": got[1], "dropout": got[2],
              "output units": got[3], "output activation": got[4]},
             "Dense(units, activation='relu'), Dropout(dropout), Dense(num_classes, "
             "activation='softmax'): one probability per class of the new task")
    if tuple(model.input_shape) != tuple(base.input_shape):
        fail(task, f"{shown}: the model should take the base's inputs", base.input_shape,
             model.input_shape, "keras.Input(shape=base.input_shape[1:])")


def _check_training_false(model, base, task, shown):
    __tracebackhide__ = True
    try:
        layers = model.get_config().get("layers", [])
    except Exception as exc:
        fail(task, f"{shown}: model.get_config() raised {type(exc).__name__}",
             hint="build a functional keras.Model(inputs, outputs)")
    nodes = [node for entry in layers if entry.get("name") == base.name
             for node in entry.get("inbound_nodes", [])]
    training = [(node.get("kwargs") or {}).get("training", "not given")
                if isinstance(node, dict) else "not given" for node in nodes]
    if training != [False]:
        fail(task, f"{shown}: the base should be called once, with training=False",
             [False], training, "features = base(inputs, training=False): the frozen base "
             "always runs in inference mode")


@quiet
def check_build_transfer_model(build_transfer_model) -> None:
    __tracebackhide__ = True
    task = "build_transfer_model"
    x, _ = _data()
    for i, case in enumerate(_BUILD_CASES):
        base = _tiny_base(f"tiny_base_{i}", seed=i)
        before = _values(base.weights)
        model, shown = _build(build_transfer_model, base, case, task)
        _check_layers(model, base, case, task, shown)
        if base.trainable or any(layer.trainable for layer in base.layers):
            fail(task, f"{shown}: the base should be frozen",
                 "base.trainable == False", f"base.trainable == {base.trainable}",
                 "set base.trainable = False (before compiling): the source task's features "
                 "stay as they are while the new head learns")
        _check_training_false(model, base, task, shown)
        _check_compile(model, case[3], task, shown)
        total, trainable = case[5], case[6]
        got_trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        if (model.count_params(), got_trainable) != (total, trainable):
            fail(task, f"{shown}: parameter counts", {"all": total, "trainable": trainable},
                 {"all": model.count_params(), "trainable": got_trainable},
                 "only the new head's two Dense layers should be trainable")
        if i:
            continue  # one fit is enough: it is the slow part of the check
        y = (np.arange(len(x)) % case[0]).astype("int64")
        head = [w for w in model.trainable_weights]
        head_before = _values(head)
        _fit(model, x, y, task, shown)
        moved = [name for name, m in zip(_weight_names(base), _moved(before,
                                                                     _values(base.weights)),
                                         strict=True) if m]
        if moved:
            fail(task, f"{shown}: a short fit changed the base", "no base weight changes",
                 moved[:6], "moving_mean/moving_variance change when a BatchNormalization "
                 "layer runs in training mode; freeze the whole base: base.trainable = False")
        if not all(_moved(head_before, _values(head))):
            fail(task, f"{shown}: a short fit should train every weight of the new head",
                 hint="the two Dense layers of the head stay trainable")
    passed(task, "frozen base called with training=False, new head, Adam with the given "
           "learning rate; a fit leaves the base and its BN statistics untouched")


# -- Task 3: unfreeze_top -----------------------------------------------------------------------

# The tiny base's layers that hold weights, bottom to top: conv, BN, conv, BN, conv, BN,
# Dense, BN. For each n_layers: the trainable flag each of them must have afterwards.
_UNFREEZE_FLAGS = {
    0: [False, False, False, False, False, False, False, False],
    1: [False, False, False, False, False, False, True, False],
    2: [False, False, False, False, True, False, True, False],
    3: [False, False, True, False, True, False, True, False],
    4: [True, False, True, False, True, False, True, False],
}
# (n_layers, learning_rate, keyword arguments?, fitted before unfreezing?)
_UNFREEZE_CASES = ((2, 1e-4, True, True), (0, 3e-5, False, False), (4, 2e-4, True, False),
                   (1, 5e-5, False, False))


def _frozen_model(seed, fit=True):
    """The tiny base, frozen, under a Dense(3) softmax head, compiled with Adam(1e-2) and
    (when ``fit``) fitted once - the state a model is in when fine-tuning begins, with the
    training step of that fit kept in ``model.train_function``."""
    import keras

    base = _tiny_base(f"ft_base_{seed}", seed=seed)
    base.trainable = False
    inputs = keras.Input(shape=(8, 8, 1))
    outputs = keras.layers.Dense(3, activation="softmax")(base(inputs, training=False))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-2),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = _data(seed=seed)
    if fit:
        model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    return base, model, x, y


@quiet
def check_unfreeze_top(unfreeze_top) -> None:
    __tracebackhide__ = True
    import keras

    task = "unfreeze_top"
    for seed, (n_layers, rate, keywords, fit) in enumerate(_UNFREEZE_CASES):
        base, model, x, y = _frozen_model(seed, fit)
        if keywords:
            shown = f"unfreeze_top(model, base, n_layers={n_layers}, learning_rate={rate})"
            result = call(unfreeze_top, model, base, n_layers=n_layers, learning_rate=rate,
                          task=task, name="unfreeze_top")
        else:
            shown = f"unfreeze_top(model, base, {n_layers}, {rate})"
            result = call(unfreeze_top, model, base, n_layers, rate, task=task,
                          name="unfreeze_top")
        if result is not model:
            fail(task, f"{shown} should return the model it was given", "model",
                 type(result).__name__, "end with `return model`")
        weighted = [layer for layer in base.layers if layer.weights]
        flags = [bool(layer.trainable) for layer in weighted]
        want = _UNFREEZE_FLAGS[n_layers]
        if flags != want:
            names = [layer.name for layer in weighted]
            bn = [f for f, layer in zip(flags, weighted, strict=True)
                  if isinstance(layer, keras.layers.BatchNormalization)]
            hint = (f"count only the layers that hold weights and are not BatchNormalization "
                    f"(here {[n for n in names if 'batch' not in n]}); make the top "
                    f"{n_layers} of them trainable and every other layer of the base frozen")
            if any(bn):
                hint = ("BatchNormalization layers must stay frozen (trainable = False): set "
                        "base.trainable = True first, then freeze every BN layer again")
            elif all(flags):
                hint = ("base.trainable = True unfreezes every layer; keep all but the top "
                        f"{n_layers} frozen")
            fail(task, f"{shown}: trainable flags of the base's layers with weights {names}",
                 want, flags, hint)
        if fit and getattr(model, "train_function", None) is not None:
            fail(task, f"{shown}: the model was not compiled again",
                 "model.compile(...) after changing the trainable flags",
                 "the training step of the last fit, still in place",
                 "Keras 3 keeps the training step it built in the last fit, with the "
                 "trainable weights of that moment, until the next compile: without "
                 "compiling again, fine-tuning trains nothing new")
        _check_compile(model, rate, task, shown)
    passed(task, "only the top layers with weights train, BatchNormalization stays frozen, "
           "recompiled with the low learning rate")
