"""Checks for lab 09 (overfitting): regularised models, dropout by hand, early stopping,
reading curves.

Nothing here trains: models are checked by their layers, their compile settings and what they
compute on a few inputs; ``dropout`` by its properties and on seeded cases whose outputs are
stored below; ``fit_variant`` with a stand-in model that records the call; the callback and
the curve readers on hand-made runs whose answers are stored below.

The lab compares runs by the cross-entropy metric ``ce`` (``val_ce``): Keras adds the L2
penalty to ``loss``, so ``val_loss`` would make an L2 model look worse than it predicts.
"""

from __future__ import annotations

import inspect
import numbers

import numpy as np

from dlcourse.checks.core import as_array, call, close, fail, passed
from dlcourse.fit_shapes import DIAGNOSES, synthetic_history

# --- Task 1: the model builder ---------------------------------------------------------------


def _number(value) -> str:
    return f"{float(value):.6g}"


def _regularizer(reg, what: str) -> str:
    if reg is None:
        return ""
    import keras

    config = reg.get_config() if hasattr(reg, "get_config") else {}
    kind = type(reg)
    if kind is keras.regularizers.L2 or (kind is keras.regularizers.L1L2
                                         and not config.get("l1")):
        return f", {what}L2={_number(config['l2'])}" if config.get("l2") else ""
    return f", {what}{kind.__name__}{config}"


def _activation(fn) -> str:
    name = getattr(fn, "__name__", type(fn).__name__)
    return "" if name == "linear" else name


def layout(model) -> list[str]:
    """A model's layers as short strings, each activation a step of its own:
    ``["Dense(16, L2=0.003)", "relu", "Dropout(0.3)", "Dense(3)", "softmax"]``."""
    import keras

    steps = []
    for layer in model.layers:
        kind = type(layer)
        if kind is keras.layers.InputLayer:
            continue
        if kind is keras.layers.Dense:
            regs = (_regularizer(layer.kernel_regularizer, "")
                    + _regularizer(layer.bias_regularizer, "bias ")
                    + _regularizer(layer.activity_regularizer, "activity "))
            steps += [f"Dense({int(layer.units)}{regs})", _activation(layer.activation)]
        elif kind is keras.layers.Activation:
            steps.append(_activation(layer.activation))
        elif kind is keras.layers.ReLU:
            plain = (layer.max_value is None and not float(layer.negative_slope)
                     and not float(layer.threshold))
            steps.append("relu" if plain else "ReLU(...)")
        elif kind is keras.layers.Softmax:
            steps.append("softmax")
        elif kind is keras.layers.Dropout:
            steps.append(f"Dropout({_number(layer.rate)})" if float(layer.rate) else "")
        elif kind is keras.layers.BatchNormalization:
            steps.append("BatchNormalization")
        else:
            steps.append(kind.__name__)
    return [step for step in steps if step]


# build_model(*args, **kwargs) -> its layers; written out from the task statement.
_MODELS = [
    ((12, 3), dict(hidden=(16, 8)),
     ["Dense(16)", "relu", "Dense(8)", "relu", "Dense(3)", "softmax"]),
    ((12, 3), dict(hidden=(16, 8), l2=0.0037),
     ["Dense(16, L2=0.0037)", "relu", "Dense(8, L2=0.0037)", "relu", "Dense(3)", "softmax"]),
    ((12, 3), dict(hidden=(16, 8), dropout=0.3),
     ["Dense(16)", "relu", "Dropout(0.3)", "Dense(8)", "relu", "Dropout(0.3)", "Dense(3)",
      "softmax"]),
    ((12, 3), dict(hidden=(16, 8), batch_norm=True),
     ["Dense(16)", "BatchNormalization", "relu", "Dense(8)", "BatchNormalization", "relu",
      "Dense(3)", "softmax"]),
    ((7, 4), dict(hidden=(5,), l2=2e-4, dropout=0.45, batch_norm=True),
     ["Dense(5, L2=0.0002)", "BatchNormalization", "relu", "Dropout(0.45)", "Dense(4)",
      "softmax"]),
]

_METRICS_HINT = ('metrics=[keras.metrics.SparseCategoricalCrossentropy(name="ce"), "accuracy"]: '
                 "the history then has 'ce' and 'val_ce', the cross-entropy without the L2 "
                 "penalty")

_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "clipvalue": None,
                  "global_clipnorm": None, "use_ema": False}


def loss_name(loss) -> str:
    """The compiled loss (as ``get_compile_config()["loss"]`` serialises it) as one name;
    a SparseCategoricalCrossentropy object counts only with its default settings."""
    if isinstance(loss, str):
        return {"SparseCategoricalCrossentropy": "sparse_categorical_crossentropy"}.get(loss, loss)
    if isinstance(loss, dict):
        config = loss.get("config")
        if loss.get("class_name") == "function" and isinstance(config, str):
            return config
        if loss.get("class_name") == "SparseCategoricalCrossentropy" and isinstance(config, dict):
            changed = {k: v for k, v in config.items() if k in ("from_logits", "ignore_class",
                                                                "reduction")
                       and v != {"from_logits": False, "ignore_class": None,
                                 "reduction": "sum_over_batch_size"}[k]}
            return "sparse_categorical_crossentropy" if not changed else (
                f"SparseCategoricalCrossentropy({changed})")
        return str(loss.get("class_name"))
    return type(loss).__name__


def _layout_hint(want: list[str], got: list[str], kwargs: dict) -> str:
    dense_at = [i for i, step in enumerate(got) if step.startswith("Dense")]
    first_dense = dense_at[0] if dense_at else len(got)
    if any(step.startswith("Dropout") for step in got[:first_dense]):
        return ("dropout sits on the INPUTS: add Dropout(dropout) after each hidden layer "
                "(after its activation), not before the first Dense")
    rate = kwargs.get("dropout", 0)
    if rate and f"Dropout({_number(1 - rate)})" in got:
        return ("Keras' rate is the fraction of units DROPPED, not kept: Dropout(0.3) drops "
                "30 %")
    if any("L1" in step or "activity" in step or "bias" in step for step in got):
        return ("kernel_regularizer=keras.regularizers.L2(l2) on each hidden Dense layer: not "
                "L1, not an activity_regularizer or a bias_regularizer")
    if dense_at and "L2" in got[dense_at[-1]]:
        return "only the hidden Dense layers get the L2 penalty, not the output layer"
    if kwargs.get("l2") and any("L2" in step for step in got) and want != got:
        if not all("L2=" + _number(kwargs["l2"]) in got[i] for i in dense_at[:-1]):
            return "use the l2 argument as the factor: keras.regularizers.L2(l2)"
    if kwargs.get("batch_norm") and "BatchNormalization" in got:
        return ("with batch_norm each hidden layer is Dense (no activation) -> "
                "BatchNormalization() -> Activation('relu'), then the Dropout if any")
    if rate and sum(step.startswith("Dropout") for step in got) != len(kwargs["hidden"]):
        return "one Dropout(dropout) after each hidden layer, none after the output layer"
    if not kwargs.get("l2") and any("L2" in step for step in got):
        return "with l2=0 there is no regularizer: the baseline is the unregularised network"
    return ("one block per entry of `hidden`, then Dense(n_classes, activation='softmax'); "
            "add a remedy only when its argument switches it on")


def _build(build_model, task, args, kwargs):
    import keras

    shown = ", ".join([repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()])
    model = call(build_model, *args, task=task, name="build_model", **kwargs)
    if not isinstance(model, keras.Model):
        fail(task, f"build_model({shown}) should return a Keras model", "keras.Sequential",
             type(model).__name__)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
    if tuple(model.input_shape) != (None, args[0]):
        fail(task, f"build_model({shown}) should take inputs of {args[0]} features",
             (None, args[0]), model.input_shape, "start with keras.Input(shape=(n_features,))")
    return model, shown


def _check_compile(model, task: str) -> None:
    import keras

    optimizer = model.optimizer
    if type(optimizer) is not keras.optimizers.Adam:
        fail(task, "the model should be compiled with the Adam optimizer", "Adam",
             type(optimizer).__name__, "optimizer=keras.optimizers.Adam(learning_rate=1e-3)")
    rate = float(np.asarray(optimizer.learning_rate))
    if abs(rate - 1e-3) > 1e-9:
        fail(task, "wrong learning rate", 1e-3, rate,
             "optimizer=keras.optimizers.Adam(learning_rate=1e-3)")
    settings = optimizer.get_config()
    changed = {k: settings.get(k) for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v}
    if changed:
        fail(task, "Adam should keep its other settings at their defaults", {},
             changed, "pass only learning_rate=1e-3")
    config = model.get_compile_config() or {}
    if config.get("weighted_metrics") or config.get("loss_weights"):
        fail(task, "compile with loss and metrics only: no weighted_metrics or loss_weights")
    loss = loss_name(config.get("loss"))
    if loss != "sparse_categorical_crossentropy":
        fail(task, "wrong loss", "sparse_categorical_crossentropy", loss,
             'compile with loss="sparse_categorical_crossentropy": integer labels 0..K-1 and '
             "a softmax output (probabilities, not logits)")
    metrics = config.get("metrics") or []
    names = [m if isinstance(m, str) else (m or {}).get("config", {}).get("name")
             for m in metrics]
    if sorted(map(str, names)) != ["accuracy", "ce"]:
        fail(task, "the model should report the cross-entropy metric 'ce' and the accuracy, "
             "nothing else", ["ce", "accuracy"], names, _METRICS_HINT)
    ce = next(m for m in metrics if not isinstance(m, str))
    settings = ce.get("config") or {}
    if ce.get("class_name") != "SparseCategoricalCrossentropy" or settings.get("from_logits") \
            or settings.get("ignore_class") is not None:
        fail(task, "the metric named 'ce' should be keras.metrics.SparseCategoricalCrossentropy "
             "with its default settings", "SparseCategoricalCrossentropy(name='ce')",
             f"{ce.get('class_name')}({settings})", _METRICS_HINT)


def _check_outputs(model, task: str, shown: str) -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, model.input_shape[-1])).astype("float32")
    y = rng.integers(0, model.output_shape[-1], size=16)
    try:
        logs = model.evaluate(x, y, verbose=0, return_dict=True)
    except Exception as exc:  # a loss or metric that does not fit integer labels
        fail(task, f"build_model({shown}): evaluating the model on integer labels 0..K-1 "
             f"raised {type(exc).__name__}", hint='compile with loss='
             '"sparse_categorical_crossentropy" and ' + _METRICS_HINT)
    if sorted(logs) != ["accuracy", "ce", "loss"]:
        fail(task, "the model should report the loss, 'ce' and the accuracy, nothing else",
             ["accuracy", "ce", "loss"], sorted(logs), _METRICS_HINT)
    probs = np.asarray(model(x, training=False), dtype=float)
    ce = float(-np.mean(np.log(np.clip(probs[np.arange(16), y], 1e-7, 1.0))))
    penalty = float(sum(float(np.asarray(loss)) for loss in model.losses))
    if not np.isclose(logs["ce"], ce, rtol=1e-3, atol=1e-4):
        fail(task, f"build_model({shown}): the metric 'ce' should be the sparse categorical "
             "cross-entropy of the predicted probabilities (without the L2 penalty)", ce,
             logs["ce"], _METRICS_HINT)
    if not np.isclose(logs["loss"], ce + penalty, rtol=1e-3, atol=1e-4):
        fail(task, f"build_model({shown}): the loss should be the sparse categorical "
             "cross-entropy (plus the L2 penalty)", ce + penalty, logs["loss"],
             'compile with loss="sparse_categorical_crossentropy" (integer labels 0..K-1)')
    accuracy = float(np.mean(probs.argmax(axis=1) == y))
    if not np.isclose(logs["accuracy"], accuracy, atol=1e-6):
        fail(task, "the metric named 'accuracy' does not measure the accuracy", accuracy,
             logs["accuracy"], 'metrics=["accuracy"]')


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    task = "build_model"
    for number, (args, kwargs, want) in enumerate(_MODELS):
        model, shown = _build(build_model, task, args, kwargs)
        got = layout(model)
        if got != want:
            fail(task, f"build_model({shown}) has the wrong layers (in order)", want, got,
                 _layout_hint(want, got, kwargs))
        _check_compile(model, task)
        if number < 2:
            _check_outputs(model, task, shown)
    passed(task, "layers in order, L2 factor, dropout rate, batch norm, Adam(1e-3), loss, "
           "'ce' and accuracy")


# --- Task 2: dropout by hand ------------------------------------------------------------------

# (x, rate, seed) -> dropout(x, rate, np.random.default_rng(seed)) and the generator's next
# rng.random() afterwards, written out from the statement's rule
# keep = rng.random(x.shape) >= rate, survivors times 1 / (1 - rate).
_DROPOUT_CASES = [
    ("np.arange(1.0, 13.0).reshape(3, 4)", lambda: np.arange(1.0, 13.0).reshape(3, 4), 0.25, 7,
     [[4 / 3, 8 / 3, 4.0, 0.0], [20 / 3, 8.0, 0.0, 32 / 3], [12.0, 40 / 3, 44 / 3, 16.0]],
     0.2548695876541246),
    ("np.array([[-1.5, 2.0, 0.5], [3.0, -0.25, 1.0]])",
     lambda: np.array([[-1.5, 2.0, 0.5], [3.0, -0.25, 1.0]]), 0.6, 2024,
     [[-3.75, 0.0, 0.0], [7.5, -0.625, 0.0]], 0.07872553376199898),
    ("np.linspace(-1.0, 1.0, 12).reshape(2, 2, 3)",
     lambda: np.linspace(-1.0, 1.0, 12).reshape(2, 2, 3), 0.5, 11,
     [[[0.0, 0.0, -14 / 11], [0.0, 0.0, -2 / 11]], [[0.0, 0.0, 10 / 11], [14 / 11, 0.0, 2.0]]],
     0.6628429525167993),
    ("np.array([0.5, -2.0, 4.0, 1.0, 3.0, -1.0, 2.0])",
     lambda: np.array([0.5, -2.0, 4.0, 1.0, 3.0, -1.0, 2.0]), 0.1, 3,
     [0.0, -20 / 9, 40 / 9, 10 / 9, 0.0, -10 / 9, 20 / 9], 0.15973891463707857),
]
_SHAPES = [(9,), (6, 5), (2, 3, 4), (2, 2, 3, 2)]


def _state(rng) -> str:
    return repr(rng.bit_generator.state)


def _dropout_call(dropout, task, x, rate, rng, training=True):
    """Call dropout on a copy of x (``training=None``: leave it at its default); fail if x
    was changed or the result has another shape."""
    given = x.copy()
    shown = f"x of shape {x.shape}, rate={rate}, rng" + (
        "" if training is None else f", training={training}")
    args = (given, rate, rng) if training is None else (given, rate, rng, training)
    out = call(dropout, *args, task=task, name="dropout")
    if not np.array_equal(given, x):
        fail(task, f"dropout({shown}) changed x itself", hint="build a new array, for "
             "example x * keep / (1 - rate); x *= ... or x[...] = 0 changes the caller's "
             "array (Keras' activations, in a real network)")
    out = as_array(out, task, f"dropout({shown})")
    if out.shape != x.shape:
        fail(task, f"dropout({shown}) should return an array of the same shape", x.shape,
             out.shape, "one mask entry per unit: rng.random(x.shape)")
    return out, shown


def check_dropout(dropout) -> None:
    __tracebackhide__ = True
    task = "dropout"
    for shape in _SHAPES:
        x = np.random.default_rng(len(shape)).uniform(1, 2, size=shape)
        rng = np.random.default_rng(0)
        before = _state(rng)
        out, shown = _dropout_call(dropout, task, x, 0.6, rng, training=False)
        if not close(out, x, atol=0, rtol=1e-12):
            scaled = close(out, x / 0.4) or close(out, x * 0.4)
            fail(task, f"dropout({shown}) should return x unchanged: at inference dropout "
                 "does nothing", x, out, "the survivors were already scaled by 1/(1 - rate) "
                 "in training, so the expected value matches: no scaling at inference"
                 if scaled else "if not training: return a copy of x")
        if _state(rng) != before:
            fail(task, f"dropout({shown}) drew random numbers at inference",
                 hint="return before drawing the mask when training is False")

    x = np.random.default_rng(5).uniform(1, 2, size=(400, 250))
    for rate in (0.3, 0.7):
        rng = np.random.default_rng(6)
        before = _state(rng)
        out, shown = _dropout_call(dropout, task, x, rate, rng)
        dropped = float(np.mean(out == 0))
        if abs(dropped - rate) > 0.01:
            hint = ("you drop a fraction 1 - rate: rate is the fraction DROPPED, so keep a "
                    "unit where rng.random(x.shape) >= rate" if abs(dropped - (1 - rate)) < 0.01
                    else "keep each unit where rng.random(x.shape) >= rate")
            fail(task, f"dropout({shown}) should zero a fraction {rate} of the units",
                 f"about {rate}", round(dropped, 4), hint)
        kept = out != 0
        if close(out[kept], x[kept], rtol=1e-9):
            fail(task, f"dropout({shown}) keeps the survivors as they are",
                 "x / (1 - rate) where kept", "x where kept", "inverted dropout scales the "
                 "survivors by 1 / (1 - rate) in training, so the expected output equals x")
        if not close(out[kept], x[kept] / (1 - rate), rtol=1e-6):
            fail(task, f"dropout({shown}): each unit should be 0 or x / (1 - rate)",
                 hint="np.where(keep, x / (1 - rate), 0.0), or x * keep / (1 - rate)")
        ratio = float(out.mean() / x.mean())
        if abs(ratio - 1) > 0.02:
            fail(task, f"dropout({shown}) should keep the expected value: mean(out) / mean(x) "
                 "near 1", 1.0, round(ratio, 4), "scale the survivors by 1 / (1 - rate)")
        if _state(rng) == before:
            fail(task, f"dropout({shown}) did not use the generator rng it was given",
                 hint="draw the mask from the argument: rng.random(x.shape), not np.random.* "
                 "(the global state) or a new default_rng()")

    for shape in _SHAPES:
        x = np.random.default_rng(len(shape)).uniform(1, 2, size=shape)
        out, shown = _dropout_call(dropout, task, x, 0.0, np.random.default_rng(1))
        if not close(out, x, atol=0, rtol=1e-12):
            fail(task, f"dropout({shown}) with rate 0 should keep every unit unchanged", x,
                 out, "rate is the fraction DROPPED: rate 0 keeps all, scaled by 1/(1 - 0)")

    for source, make_x, rate, seed, want, following in _DROPOUT_CASES:
        x, rng = make_x(), np.random.default_rng(seed)
        out, shown = _dropout_call(dropout, task, x, rate, rng, training=None)
        if not close(out, np.asarray(want), atol=1e-9, rtol=1e-9):
            fail(task, f"dropout(x={source}, rate={rate}, rng=np.random.default_rng({seed})) "
                 "drew another mask", np.asarray(want), out, "draw exactly as the statement "
                 "says: keep = rng.random(x.shape) >= rate, one call, before anything else "
                 "draws from rng")
        if not close(rng.random(), following, atol=0, rtol=0):
            fail(task, f"dropout(x={source}, rate={rate}, rng=np.random.default_rng({seed})) "
                 "should draw x.size numbers from rng, once", hint="one call "
                 "rng.random(x.shape) per training call")
    passed(task, "inverted dropout: drops a fraction rate, scales by 1/(1 - rate), identity "
           "at inference and at rate 0, leaves x alone, mask from rng.random(x.shape) >= rate")


# --- Task 3: training with a validation set ----------------------------------------------------

class _Spy:
    """Stands in for a Keras model: records how ``fit`` was called, trains nothing."""

    def __init__(self):
        import keras

        self._signature = inspect.signature(keras.Model.fit)
        self.calls = []
        self.history = keras.callbacks.History()
        self.history.history = {"loss": [1.0], "val_loss": [1.1]}

    def fit(self, *args, **kwargs):
        bound = self._signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.calls.append({k: v for k, v in bound.arguments.items() if k != "self"})
        return self.history


def _split(seed: int) -> dict:
    rng = np.random.default_rng(seed)

    def part(n, offset):
        return (rng.normal(offset, 0.1, size=(n, 4)).astype("float32"),
                rng.integers(0, 3, size=n))

    return {"train": part(70, 0.0), "val": part(9, 5.0), "test": part(11, -5.0)}


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


# Keras' defaults that fit_variant leaves alone, and the one setting the statement fixes.
_FIT_DEFAULTS = {"validation_split": 0.0, "shuffle": True, "class_weight": None,
                 "sample_weight": None, "initial_epoch": 0, "steps_per_epoch": None,
                 "validation_steps": None, "validation_freq": 1}


def _check_fit_call(args: dict, data: dict, epochs: int, callbacks: list, task: str) -> None:
    if not (_same(args.get("x"), data["train"][0]) and _same(args.get("y"), data["train"][1])):
        fail(task, "the model should be trained on data['train'] (and nothing else)",
             hint="x_train, y_train = data['train']; model.fit(x_train, y_train, ...)")
    vd = args.get("validation_data")
    if vd is None:
        fail(task, "the model was not given the validation set", "validation_data=data['val']",
             f"validation_split={args.get('validation_split')}", "pass validation_data="
             "data['val'] so the history has val_ce for every epoch (early stopping needs "
             "it too)")
    vd = tuple(vd) if isinstance(vd, (tuple, list)) else (vd,)
    if len(vd) >= 1 and _same(vd[0], data["test"][0]):
        fail(task, "the model is validated on the TEST set", hint="the test set is not a "
             "validation set: it is used once, at the very end, to report the chosen model. "
             "Validate on data['val']")
    if len(vd) != 2 or not (_same(vd[0], data["val"][0]) and _same(vd[1], data["val"][1])):
        fail(task, "validation_data should be the validation set",
             hint="validation_data=data['val'] (a tuple (x_val, y_val))")
    if args.get("epochs") != epochs or isinstance(args.get("epochs"), bool):
        fail(task, f"fit_variant(model, data, {epochs}, ...) should train for {epochs} epochs",
             epochs, args.get("epochs"), "pass epochs=epochs to model.fit")
    if args.get("batch_size") not in (32, None) or isinstance(args.get("batch_size"), bool):
        fail(task, "wrong batch size", 32, args.get("batch_size"), "batch_size=32")
    if args.get("verbose") is not False and args.get("verbose") != 0:
        fail(task, "training should be silent", 0, args.get("verbose"), "verbose=0")
    given = args.get("callbacks")
    if list(given or []) != callbacks or any(
            a is not b for a, b in zip(given or [], callbacks, strict=False)):
        fail(task, "model.fit should get exactly the callbacks passed to fit_variant",
             [type(c).__name__ for c in callbacks], [type(c).__name__ for c in given or []],
             "model.fit(..., callbacks=list(callbacks))")
    for name, default in _FIT_DEFAULTS.items():
        value = args.get(name)
        if not (value is default or (type(value) in (int, float, bool) and value == default)):
            fail(task, f"leave {name} at Keras' default", default, value,
                 "the statement fixes validation_data, epochs, batch_size, callbacks and verbose "
                 "only")
    if args.get("validation_batch_size") not in (None, 32):
        fail(task, "leave validation_batch_size at Keras' default", None,
             args.get("validation_batch_size"))


def check_fit_variant(fit_variant) -> None:
    __tracebackhide__ = True
    import keras

    task = "fit_variant"
    for epochs, callbacks in ((5, [keras.callbacks.EarlyStopping(), keras.callbacks.History()]),
                              (3, None)):
        data = _split(epochs)
        spy = _Spy()
        given = () if callbacks is None else tuple(callbacks)
        if callbacks is None:
            result = call(fit_variant, spy, data, epochs, task=task, name="fit_variant")
        else:
            result = call(fit_variant, spy, data, epochs, given, task=task, name="fit_variant")
        if len(spy.calls) != 1:
            fail(task, "fit_variant should call model.fit exactly once", 1, len(spy.calls))
        _check_fit_call(spy.calls[0], data, epochs, list(given), task)
        if result is not spy.history:
            fail(task, "fit_variant should return what model.fit returns (the History object)",
                 "keras.callbacks.History", type(result).__name__,
                 "return model.fit(...); the curves are in its .history dict")
    passed(task, "trains on data['train'], validates on data['val'], epochs, batch size, "
           "callbacks, silent; returns the History")


# --- Task 4: the early-stopping callback -------------------------------------------------------

def _replay(callback, val_ces) -> tuple[int, int]:
    """Feed a callback a made-up run without training: the model's one weight is the epoch
    number, so the weight left at the end says which epoch was restored. ``val_loss`` is
    ``val_ce`` plus an L2 penalty that shrinks as training goes on."""
    import keras

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, val in enumerate(val_ces):
        model.set_weights([np.full((1, 1), float(epoch + 1)), np.zeros(1)])
        penalty = 0.5 * 0.8 ** epoch
        callback.on_epoch_end(epoch, {"loss": 2.0 - 0.05 * epoch + penalty,
                                      "ce": 2.0 - 0.05 * epoch, "accuracy": 0.5 + 0.01 * epoch,
                                      "val_loss": val + penalty, "val_ce": val,
                                      "val_accuracy": 0.5})
        ran = epoch + 1
        if model.stop_training:
            break
    callback.on_train_end()
    return ran, int(round(float(np.asarray(model.get_weights()[0]).reshape(-1)[0])))


_TURNS_UP = [1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1]
_CREEPS = [1.0, 0.8, 0.7, 0.69, 0.68, 0.675, 0.672, 0.671, 0.67, 0.669, 0.668, 0.667]
# (patience, min_delta, val_ce values) -> (epochs run, epoch restored), from 1: Keras'
# EarlyStopping(monitor="val_ce", mode="min", restore_best_weights=True) replayed on them.
_RUNS = [
    ((4, 0.0, _TURNS_UP), (7, 3)),
    ((2, 0.0, _TURNS_UP), (5, 3)),
    ((3, 0.02, _CREEPS), (9, 6)),
    ((2, 0.02, _CREEPS), (5, 3)),
    ((3, 0.0, _CREEPS), (12, 12)),
    ((2, 0.0, [1.0, 0.9, 0.95, 0.97, 0.85, 0.9, 0.8]), (4, 2)),
]


def check_early_stopping(make_early_stopping) -> None:
    __tracebackhide__ = True
    import keras

    task = "make_early_stopping"
    for patience, min_delta in ((4, 0.0), (7, 0.05), (2, 0.003), (5, 1e-4)):
        cb = call(make_early_stopping, patience, min_delta, task=task,
                  name="make_early_stopping")
        if not isinstance(cb, keras.callbacks.EarlyStopping):
            fail(task, "make_early_stopping should return a keras.callbacks.EarlyStopping",
                 "EarlyStopping", type(cb).__name__)
        if cb.monitor != "val_ce":
            hint = {
                "loss": "the training loss keeps falling while a model overfits, so it never "
                        'triggers: watch the validation cross-entropy, monitor="val_ce"',
                "ce": "that is the TRAINING cross-entropy; it keeps falling while a model "
                      'overfits: monitor="val_ce"',
                "val_loss": "val_loss includes the L2 penalty, which shrinks as the weights "
                            "do: it can keep falling while the model gets worse on new data. "
                            'Watch the cross-entropy alone: monitor="val_ce"',
            }.get(cb.monitor, 'monitor="val_ce": the validation cross-entropy is what rises '
                  "when the model overfits (accuracy can stay flat meanwhile)")
            fail(task, "the callback monitors the wrong quantity", "val_ce", cb.monitor, hint)
        if cb.mode != "min":
            fail(task, "the cross-entropy should be minimised", "mode='min'", cb.mode,
                 "Keras can guess the direction of 'val_ce' only from a compiled model; say "
                 'mode="min"')
        if cb.restore_best_weights is not True:
            fail(task, "the model should get back the weights of its best epoch",
                 "restore_best_weights=True", f"restore_best_weights={cb.restore_best_weights!r}",
                 "without it the model keeps the weights of the last epoch, `patience` epochs "
                 "past the best one")
        if cb.patience != patience:
            fail(task, f"make_early_stopping({patience}, {min_delta}) should wait {patience} "
                 "epochs", patience, cb.patience, "pass the patience argument through")
        if abs(abs(float(cb.min_delta)) - min_delta) > 1e-12:
            fail(task, f"make_early_stopping({patience}, {min_delta}) should count only drops "
                 f"larger than {min_delta} as improvements", min_delta, cb.min_delta,
                 "pass the min_delta argument through")
        if cb.baseline is not None or cb.start_from_epoch != 0:
            fail(task, "leave baseline and start_from_epoch at their defaults", "None and 0",
                 f"{cb.baseline!r} and {cb.start_from_epoch!r}")
    cb = call(make_early_stopping, task=task, name="make_early_stopping")
    if getattr(cb, "patience", None) != 5 or abs(float(getattr(cb, "min_delta", 0)) - 1e-4) > 1e-12:
        fail(task, "make_early_stopping() should default to patience=5, min_delta=1e-4",
             (5, 1e-4), (getattr(cb, "patience", None), getattr(cb, "min_delta", None)),
             "keep the signature make_early_stopping(patience=5, min_delta=1e-4)")

    for (patience, min_delta, values), (stop, best) in _RUNS:
        cb = call(make_early_stopping, patience, min_delta, task=task,
                  name="make_early_stopping")
        ran, restored = _replay(cb, values)
        if ran != stop:
            fail(task, f"on the val_ce values {values} the callback with patience "
                 f"{patience} and min_delta {min_delta} should stop training after epoch {stop}",
                 stop, ran, "an epoch improves only when val_ce drops by more than min_delta")
        if restored != best:
            fail(task, "after training, the model should hold the weights of the best epoch",
                 f"weights of epoch {best}", f"weights of epoch {restored}",
                 "restore_best_weights=True")
    passed(task, "monitors val_ce (mode min) with the given patience and min_delta, restores "
           "the best weights")


# --- Task 5: the best epoch ---------------------------------------------------------------------

_HISTORY = {
    "loss": [1.40, 1.12, 0.90, 0.76, 0.63, 0.47, 0.34],
    "ce": [1.00, 0.80, 0.62, 0.50, 0.41, 0.33, 0.26],
    "accuracy": [0.60, 0.70, 0.78, 0.82, 0.86, 0.89, 0.92],
    "val_loss": [1.45, 1.18, 1.02, 0.96, 0.94, 0.93, 0.96],
    "val_ce": [1.05, 0.86, 0.74, 0.70, 0.72, 0.79, 0.88],
    "val_accuracy": [0.58, 0.67, 0.72, 0.73, 0.75, 0.74, 0.73],
}
# (what, history, best epoch counted from 1, hint)
_BEST = [
    ("a tie: the lowest val_ce 0.6 at epochs 2 and 3", {
        "ce": [1.0, 0.9, 0.8, 0.7], "val_ce": [1.0, 0.6, 0.6, 0.7]}, 2,
     "on a tie the first best epoch wins (np.argmin returns the first minimum)"),
    ("the last epoch is the best", {
        "val_ce": [0.9, 0.8, 0.85, 0.7], "ce": [1.0, 0.8, 0.7, 0.6]}, 4,
     "np.argmin(history['val_ce']) + 1 can be the last epoch"),
    ("a run of one epoch", {"ce": [0.5], "val_ce": [0.7]}, 1, "epochs are counted from 1"),
    ("other metrics first and last", {
        "val_mae": [0.3, 0.2, 0.1, 0.15, 0.2], "val_loss": [1.4, 1.0, 0.9, 0.85, 0.87],
        "val_ce": [0.9, 0.5, 0.6, 0.7, 0.8], "ce": [1.0, 0.9, 0.8, 0.7, 0.6],
        "val_accuracy": [0.5, 0.6, 0.7, 0.8, 0.9],
        "learning_rate": [0.01, 0.01, 0.001, 0.001, 0.0001]}, 2,
     "read history['val_ce'] by name, whatever other keys the history holds"),
]


def check_best_epoch(best_epoch) -> None:
    __tracebackhide__ = True
    task = "best_epoch"
    got = call(best_epoch, {k: list(v) for k, v in _HISTORY.items()}, task=task,
               name="best_epoch")
    if not isinstance(got, numbers.Integral) or isinstance(got, bool):
        fail(task, "best_epoch should return an int", "4", f"{got!r} ({type(got).__name__})",
             "wrap the result in int(...)")
    hints = {
        3: "epochs are counted from 1, as Keras prints them: add 1 to np.argmin's index",
        7: "that is the epoch of the lowest TRAINING loss; it keeps falling while the model "
           "overfits - use history['val_ce']",
        5: "that is the best val_accuracy; this lab picks the epoch by the validation "
           "cross-entropy",
        6: "that is the lowest val_loss, which includes the L2 penalty (it shrinks as the "
           "weights do); use the cross-entropy alone, history['val_ce']",
    }
    if int(got) != 4:
        fail(task, "wrong best epoch: val_ce is lowest (0.70) at epoch 4", 4,
             got, hints.get(int(got), "np.argmin(history['val_ce']) + 1"))
    for what, history, want, hint in _BEST:
        got = call(best_epoch, {k: list(v) for k, v in history.items()}, task=task,
                   name="best_epoch")
        if not isinstance(got, numbers.Integral) or isinstance(got, bool) or int(got) != want:
            fail(task, f"wrong best epoch for {what}", want, got, hint)
    passed(task, "epoch of the lowest val_ce, counted from 1, the first on a tie")


# --- Task 6: reading the curves -----------------------------------------------------------------

def _h(train, val, penalty=0.0):
    """A history whose cross-entropy curves are ``train`` and ``val``; ``loss`` and
    ``val_loss`` add ``penalty``, as Keras adds an L2 penalty."""
    return {"loss": [v + penalty for v in train], "ce": list(train),
            "accuracy": [0.5] * len(train), "val_loss": [v + penalty for v in val],
            "val_ce": list(val), "val_accuracy": [0.4] * len(val)}


_GOOD = synthetic_history("good fit", 30)
_PENALTY_HINT = ("read history['ce'] and history['val_ce']: 'loss' and 'val_loss' include "
                 "the L2 penalty, which hides how the cross-entropy moves")
# (what, history, diagnosis, hint); the synthetic shapes are what their names say.
_DIAGNOSE_CASES = [
    ("a textbook overfit (val_ce turns up after epoch 10)",
     synthetic_history("overfit", 30), "overfit",
     "compare the end of the VALIDATION cross-entropy with its minimum; the training curve "
     "alone always looks fine when a model overfits"),
    ("a textbook good fit (both curves fall and flatten together)", _GOOD, "good fit",
     "val_ce never rises and ce falls far below its start"),
    ("a textbook underfit (both curves stay high)", synthetic_history("underfit", 30),
     "underfit", "ce ends above half its first-epoch value: the model has not learned much"),
    ("an L2 run that overfits: val_ce turns up, the penalty in val_loss hides it",
     synthetic_history("overfit", 30, penalty=2.0), "overfit", _PENALTY_HINT),
    ("an L2 run that fits well: ce falls below half its start, loss with its penalty not",
     synthetic_history("good fit", 30, penalty=1.2), "good fit", _PENALTY_HINT),
    ("a good fit with dropout: val_ce BELOW the training ce",
     _h([1.15 * v for v in _GOOD["ce"]], _GOOD["ce"]), "good fit",
     "validation below training usually means dropout/regularisation is active in training "
     "only; it is not a problem"),
    ("a good fit whose last epoch alone is 15 % worse (noise)",
     _h(_GOOD["ce"], _GOOD["val_ce"][:-1] + [1.15 * _GOOD["val_ce"][-1]]), "good fit",
     "use the mean of the last 3 epochs as the end of a curve: one noisy epoch is not a "
     "trend"),
    ("a curve that overfits AND whose training ce has not halved",
     _h([1.0, 0.9, 0.85, 0.8, 0.78, 0.76], [1.0, 0.8, 0.9, 1.0, 1.05, 1.1]), "overfit",
     "apply the rules in order: overfit first, then underfit, then good fit"),
    ("a run whose training ce has not halved while val_ce has",
     _h([2.0, 1.6, 1.4, 1.2, 1.15, 1.1], [1.5, 0.8, 0.6, 0.55, 0.54, 0.53]), "underfit",
     "rule 2 reads the TRAINING cross-entropy: history['ce']"),
    ("a run whose training ce has halved and val_ce only levelled off",
     _h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.9, 1.8, 1.75, 1.72, 1.7]), "good fit",
     "rule 2 reads the TRAINING cross-entropy: history['ce']"),
    ("a val_ce whose last 3 epochs average 20 % above the minimum, the last alone "
     "at it", _h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.2, 1.0, 1.3, 1.3, 1.0]), "overfit",
     "the end of a curve is the mean of its LAST 3 epochs"),
    ("a val_ce whose last 2 epochs are 14 % above the minimum, the third-last at it",
     _h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.5, 1.2, 1.0, 1.14, 1.14]), "good fit",
     "the end of a curve is the mean of its last 3 epochs: (1.0 + 1.14 + 1.14) / 3 < 1.1"),
    ("a val_ce that turned up in the middle and is back at its minimum",
     _h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45, 0.42], [2.0, 1.6, 1.4, 1.4, 1.0, 1.0, 1.0]),
     "good fit", "the end of a curve is the mean of its last 3 epochs, not more"),
    ("a val_ce 18 % above its early minimum (and far below its first value)",
     _h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 0.7, 0.75, 0.8, 0.82, 0.85]), "overfit",
     "compare the end with the MINIMUM of val_ce, not its first value"),
    ("a training ce that rose in epoch 2 and ends above half its first value",
     _h([1.0, 1.8, 1.2, 0.6, 0.55, 0.52], [1.0, 0.9, 0.8, 0.7, 0.68, 0.66]), "underfit",
     "compare with the FIRST epoch's training cross-entropy, history['ce'][0], not its "
     "maximum"),
    ("a training ce whose last 3 epochs average below half its start, the last alone not",
     _h([2.0, 1.5, 1.2, 0.8, 0.8, 1.1], [2.0, 1.5, 1.2, 1.1, 1.08, 1.07]), "good fit",
     "the end of the training curve is the mean of its last 3 epochs too"),
    ("the overfit above with every value times 40",
     _h([40.0, 36.0, 34.0, 32.0, 31.2, 30.4], [40.0, 32.0, 36.0, 40.0, 42.0, 44.0]), "overfit",
     "the thresholds are relative: end > 1.1 * min, end > 0.5 * first"),
    ("a small overfit: cross-entropies around 0.05",
     _h([0.05, 0.03, 0.02, 0.015, 0.0125, 0.011], [0.05, 0.02, 0.021, 0.023, 0.024, 0.025]),
     "overfit", "the thresholds are relative: end > 1.1 * min, not end > min + 0.1"),
] + [
    (f"a noisy {kind} (2 % jitter, seed {seed})",
     synthetic_history(kind, epochs, noise=0.02, seed=seed), kind,
     "follow the three rules in order: overfit, then underfit, then good fit")
    for seed, (kind, epochs) in enumerate([("overfit", 12), ("underfit", 40),
                                           ("good fit", 20), ("overfit", 60)])
]


def check_diagnose(diagnose) -> None:
    __tracebackhide__ = True
    task = "diagnose"
    for what, history, want, hint in _DIAGNOSE_CASES:
        got = call(diagnose, {k: list(v) for k, v in history.items()}, task=task,
                   name="diagnose")
        if type(got) is not str or got not in DIAGNOSES:
            fail(task, "diagnose should return one of three strings", sorted(DIAGNOSES), got,
                 'exactly "underfit", "overfit" or "good fit"')
        if got != want:
            fail(task, f"wrong diagnosis for {what}", want, got, hint)
    passed(task, "under-, over- and good fit read correctly, in order, noise included")
