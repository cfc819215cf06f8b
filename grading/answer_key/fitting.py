"""Answer key of lab 09 (overfitting): the graded tasks, NumPy regularisers, and the readers
the hidden tests use to compare a student's objects with the key's.

Histories are dicts of per-epoch lists, like ``keras.callbacks.History.history``; epochs are
counted from 1, as Keras prints them. ``ce``/``val_ce`` are the cross-entropy metric (no
penalty), ``loss``/``val_loss`` the loss Keras minimises (cross-entropy plus the L2 penalty).
"""

from __future__ import annotations

import inspect

import numpy as np

from dlcourse.fit_shapes import DIAGNOSES, synthetic_history

__all__ = ["DIAGNOSES", "synthetic_history"]


# --- the graded tasks ----------------------------------------------------------------------------

def build_model(n_features, n_classes, hidden=(256, 256), l2=0.0, dropout=0.0,
                batch_norm=False):
    """Task 1: Dense ReLU layers with the remedies switched on, a softmax, compiled."""
    import keras

    layers = [keras.Input(shape=(n_features,))]
    for units in hidden:
        regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
        if batch_norm:
            layers += [keras.layers.Dense(units, kernel_regularizer=regularizer),
                       keras.layers.BatchNormalization(), keras.layers.Activation("relu")]
        else:
            layers.append(keras.layers.Dense(units, activation="relu",
                                             kernel_regularizer=regularizer))
        if dropout > 0:
            layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(n_classes, activation="softmax"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                  loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseCategoricalCrossentropy(name="ce"), "accuracy"])
    return model


def fit_variant(model, data, epochs, callbacks=()):
    """Task 3: train on data["train"], validate on data["val"], return the History."""
    x_train, y_train = data["train"]
    return model.fit(x_train, y_train, validation_data=data["val"], epochs=epochs,
                     batch_size=32, callbacks=list(callbacks), verbose=0)


def make_early_stopping(patience=5, min_delta=1e-4):
    """Task 4: stop when val_ce stops improving by more than min_delta; restore the best."""
    import keras

    return keras.callbacks.EarlyStopping(monitor="val_ce", mode="min", min_delta=min_delta,
                                         patience=patience, restore_best_weights=True)


def _curve(history, key: str) -> np.ndarray:
    if hasattr(history, "history"):
        history = history.history
    if key not in history:
        raise KeyError(f"the history has no {key!r}; it has {sorted(history)}")
    values = np.asarray(history[key], dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueError(f"history[{key!r}] is empty")
    return values


def best_epoch(history) -> int:
    """Task 5: the epoch (from 1) with the lowest val_ce; the first one on a tie."""
    return int(np.argmin(_curve(history, "val_ce"))) + 1


def diagnose(history, rise: float = 0.10, halved: float = 0.5, window: int = 3) -> str:
    """Task 6: ``"overfit"``, ``"underfit"`` or ``"good fit"``, by three rules in order, on
    the cross-entropy curves ``ce`` and ``val_ce``.

    The end of a curve is the mean of its last ``window`` epochs.

    1. overfit: the end of val_ce is more than ``rise`` above its minimum;
    2. otherwise underfit: the end of ce is above ``halved`` times its first-epoch value;
    3. otherwise a good fit.
    """
    train, val = _curve(history, "ce"), _curve(history, "val_ce")
    if val[-window:].mean() > (1 + rise) * val.min():
        return "overfit"
    if train[-window:].mean() > halved * train[0]:
        return "underfit"
    return "good fit"


# --- the remedies in NumPy (the unit tests compare them with Keras) ------------------------------

def l2_penalty(kernels, l2: float) -> float:
    """What ``keras.regularizers.L2(l2)`` adds to the loss: ``l2 * sum(w**2)`` (no 1/2)."""
    return float(l2 * sum(np.sum(np.square(np.asarray(k, dtype=float))) for k in kernels))


def dropout(x, rate, rng, training=True) -> np.ndarray:
    """Task 2: inverted dropout. In training keep each unit where ``rng.random(x.shape) >=
    rate`` (one draw) and scale it by ``1 / (1 - rate)``, zero the others; at inference
    return a copy of ``x`` and draw nothing. ``x`` itself is never changed."""
    if not 0 <= rate < 1:
        raise ValueError(f"rate is the fraction of units dropped, in [0, 1); got {rate}")
    x = np.asarray(x, dtype=float)
    if not training:
        return x.copy()
    keep = rng.random(x.shape) >= rate
    return np.where(keep, x / (1.0 - rate), 0.0)


def batch_norm(x, gamma=1.0, beta=0.0, eps: float = 1e-3) -> np.ndarray:
    """Batch normalisation in training (population variance, Keras' default eps)."""
    x = np.asarray(x, dtype=float)
    return gamma * (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps) + beta


def early_stopping(val_losses, patience: int, min_delta: float = 0.0) -> tuple[int, int]:
    """Replay ``EarlyStopping(monitor="val_ce", mode="min", restore_best_weights=True)``.

    Returns ``(epochs_run, best)`` counted from 1: an epoch improves when its loss is below
    the best so far by more than ``min_delta``; training stops at the end of the epoch where
    ``patience`` epochs have passed without one (never the first), and the weights of epoch
    ``best`` are restored.
    """
    delta = abs(float(min_delta))
    best, best_at, wait = None, 0, 0
    values = [float(v) for v in np.asarray(val_losses, dtype=float).reshape(-1)]
    for epoch, value in enumerate(values):
        wait += 1
        if best is None or value + delta < best:
            best, best_at, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return epoch + 1, best_at + 1
    return len(values), best_at + 1


# --- readers for the hidden tests ----------------------------------------------------------------

def _number(value) -> str:
    return f"{float(value):.6g}"


def _regularizer(reg, what: str) -> str:
    if reg is None:
        return ""
    import keras

    config = reg.get_config() if hasattr(reg, "get_config") else {}
    kind = type(reg)
    if kind is keras.regularizers.L2:
        return f", {what}L2={_number(config['l2'])}" if config["l2"] else ""
    if kind is keras.regularizers.L1L2 and not config.get("l1"):
        return f", {what}L2={_number(config['l2'])}" if config.get("l2") else ""
    return f", {what}{kind.__name__}{config}"


def _activation(fn) -> str:
    name = getattr(fn, "__name__", type(fn).__name__)
    return "" if name == "linear" else name


# The readers below repeat those of the visible check module on purpose: hidden tests must
# not depend on code a submission can replace before they run (`check.layout = ...`).
def layout(model) -> list[str]:
    """The model's layers as plain strings, activations folded out of Dense into their own
    step: ``["Dense(16, L2=0.003)", "relu", "Dropout(0.3)", ..., "Dense(3)", "softmax"]``."""
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


_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "clipvalue": None,
                  "global_clipnorm": None, "use_ema": False}


def metric_name(metric) -> str:
    """A compiled metric (as ``get_compile_config()["metrics"]`` serialises it) as one name:
    a string as it is, a metric object as ``Class(name, settings that differ from 0/None)``."""
    if isinstance(metric, str):
        return metric
    if not isinstance(metric, dict):
        return type(metric).__name__
    config = metric.get("config") if isinstance(metric.get("config"), dict) else {}
    settings = sorted(f"{k}={v!r}" for k, v in config.items()
                      if k not in ("name", "dtype", "axis") and v not in (False, None, 0))
    return f"{metric.get('class_name')}({', '.join([repr(config.get('name'))] + settings)})"


def compiled(model) -> dict:
    """What ``compile`` fixed, as plain values: optimizer class, its non-default settings,
    learning rate, loss, metrics (sorted)."""
    config = model.get_compile_config() or {}
    optimizer = model.optimizer
    settings = optimizer.get_config()
    return {
        "optimizer": f"{type(optimizer).__module__}.{type(optimizer).__name__}",
        "changed": sorted(k for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v),
        "learning_rate": round(float(np.asarray(optimizer.learning_rate)), 9),
        "loss": loss_name(config.get("loss")),
        "metrics": sorted(metric_name(m) for m in config.get("metrics") or []),
        "weighted_metrics": config.get("weighted_metrics"),
        "loss_weights": config.get("loss_weights"),
    }


def evaluated(model, x, y) -> tuple[dict, dict]:
    """``model.evaluate`` on (x, y), and what it should report for a softmax classifier
    compiled with sparse cross-entropy, the ``ce`` metric and accuracy, computed in NumPy
    from its predictions and its regularisation losses."""
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    probs = np.asarray(model(x, training=False), dtype=float)
    rows = np.arange(len(y))
    ce = float(-np.mean(np.log(np.clip(probs[rows, y], 1e-7, 1.0))))
    penalty = float(sum(float(np.asarray(loss)) for loss in model.losses))
    want = {"loss": ce + penalty, "ce": ce,
            "accuracy": float(np.mean(probs.argmax(axis=1) == y))}
    return {k: float(v) for k, v in logs.items()}, want


class FitSpy:
    """Stands in for a Keras model: records every ``fit`` call with all of Keras' arguments
    (defaults filled in), trains nothing."""

    def __init__(self):
        import keras

        self._signature = inspect.signature(keras.Model.fit)
        self.calls = []
        self.history = keras.callbacks.History()
        self.history.history = {"loss": [1.0], "val_loss": [1.1]}

    def fit(self, *args, **kwargs):
        bound = self._signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        arguments.pop("self")
        self.calls.append(arguments)
        return self.history


def tiny_split(seed: int, n_train: int = 70) -> dict:
    """A small dict like the lab's ``data``: three (x, y) pairs that differ everywhere."""
    rng = np.random.default_rng(seed)

    def part(n, offset):
        return (rng.normal(offset, 0.1, size=(n, 4)).astype("float32"),
                rng.integers(0, 3, size=n))

    return {"train": part(n_train, 0.0), "val": part(9, 5.0), "test": part(11, -5.0)}


def replay(callback, val_losses, train_losses=None) -> tuple[int, int]:
    """Feed an early-stopping callback a made-up run epoch by epoch, without training.

    ``val_losses`` are the validation cross-entropies (``val_ce``); ``val_loss`` adds an L2
    penalty that shrinks from epoch to epoch, so a callback watching it stops elsewhere.
    The model's single weight holds the epoch number (from 1), so the restored weight says
    which epoch was restored. Returns ``(epochs_run, restored_epoch)``."""
    import keras

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.stop_training = False
    callback.set_model(model)
    callback.on_train_begin()
    ran = 0
    for epoch, val in enumerate(val_losses):
        model.set_weights([np.full((1, 1), float(epoch + 1)), np.zeros(1)])
        train = 2.0 - 0.05 * epoch if train_losses is None else train_losses[epoch]
        penalty = 0.5 * 0.8 ** epoch
        callback.on_epoch_end(epoch, {"loss": float(train) + penalty, "ce": float(train),
                                      "accuracy": 0.5 + 0.01 * epoch,
                                      "val_loss": float(val) + penalty, "val_ce": float(val),
                                      "val_accuracy": 0.5})
        ran = epoch + 1
        if model.stop_training:
            break
    callback.on_train_end()
    return ran, int(round(float(np.asarray(model.get_weights()[0]).reshape(-1)[0])))


def _end(values, window=3):
    return float(np.mean(values[-window:]))


def diagnose_cases() -> list[dict]:
    """Hand-made histories where each rule of :func:`diagnose` decides the verdict: the order
    of the rules, the validation curve for rule 1 and the training curve for rule 2, the mean
    of the last 3 epochs (not the last, not 2 or 5), the minimum (not the first value) and the
    first value (not the maximum), relative thresholds at every scale, and the cross-entropy
    (``ce``, ``val_ce``), not the penalised loss."""
    cases = []
    for scale, penalty in ((0.05, 0.0), (1.0, 0.4), (40.0, 3.0)):
        def h(train, val, scale=scale, penalty=penalty):
            return {"loss": [scale * v + penalty for v in train],
                    "ce": [scale * v for v in train], "accuracy": [0.5] * len(train),
                    "val_loss": [scale * v + penalty for v in val],
                    "val_ce": [scale * v for v in val], "val_accuracy": [0.4] * len(val)}

        cases += [
            # val turned up AND train not halved: the order of the rules decides
            h([1.0, 0.9, 0.85, 0.8, 0.78, 0.76], [1.0, 0.8, 0.9, 1.0, 1.05, 1.1]),
            # val below train (dropout), train not halved -> underfit from the TRAIN curve
            h([2.0, 1.6, 1.4, 1.2, 1.15, 1.1], [1.5, 0.8, 0.6, 0.55, 0.54, 0.53]),
            # train halved, val not halved, no rise -> good fit (val never judged by rule 2)
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.9, 1.8, 1.75, 1.72, 1.7]),
            # last epoch 15 % up, mean of last 3 only 5 % up -> not overfit
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.2, 1.0, 1.0, 1.0, 1.15]),
            # last epoch back down, mean of last 3 still 20 % up -> overfit
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.2, 1.0, 1.3, 1.3, 1.0]),
            # last two up 15 %, the third-last at the minimum -> mean of 3 is 10 % - e: fine
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 1.5, 1.2, 1.0, 1.14, 1.14]),
            # last five mean high but last three flat at the minimum -> good fit
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45, 0.42],
              [2.0, 1.6, 1.4, 1.4, 1.0, 1.0, 1.0]),
            # the minimum is early and far below the first value: rise measured from the min
            h([2.0, 1.2, 0.8, 0.6, 0.5, 0.45], [2.0, 0.7, 0.75, 0.8, 0.82, 0.85]),
            # train's first epoch is not its maximum: halving is measured from the FIRST value
            h([1.0, 1.8, 1.2, 0.6, 0.55, 0.52], [1.0, 0.9, 0.8, 0.7, 0.68, 0.66]),
            # training end at 0.45 of the first value, the last epoch alone at 0.55 -> good
            h([2.0, 1.5, 1.2, 0.8, 0.8, 1.1], [2.0, 1.5, 1.2, 1.1, 1.08, 1.07]),
            # training end at 0.55 of the first value, the last epoch alone at 0.45 -> under
            h([2.0, 1.5, 1.2, 1.2, 1.2, 0.9], [2.0, 1.5, 1.2, 1.1, 1.08, 1.07]),
            # a plain good fit and a plain overfit, longer
            h(list(1.5 * np.exp(-np.arange(20) / 4) + 0.2),
              list(1.5 * np.exp(-np.arange(20) / 4) + 0.3)),
            h(list(1.5 * np.exp(-np.arange(20) / 4) + 0.05),
              list(1.2 * np.exp(-np.arange(20) / 4) + 0.4 + 0.02 * np.maximum(np.arange(20) - 6,
                                                                              0))),
        ]
    return cases


def random_history(rng, margin: float = 0.01) -> dict:
    """A random history near both thresholds of :func:`diagnose`, but no closer than
    ``margin`` (relative) to either, with extra keys, a noisy last epoch, and a penalised
    ``loss``/``val_loss`` next to ``ce``/``val_ce``."""
    while True:
        n = int(rng.integers(5, 40))
        t = np.arange(n, dtype=float)
        start = float(rng.uniform(0.05, 5))
        ratio = float(rng.uniform(0.3, 0.75))
        train = start * (ratio + (1 - ratio) * np.exp(-t / rng.uniform(1, n / 2 + 1)))
        if rng.random() < 0.3:
            train[0] *= rng.uniform(0.6, 0.95)      # a first epoch below the second
        train *= 1 + rng.uniform(-0.08, 0.08, size=n)
        low = float(rng.uniform(0.3, 1.2)) * start
        turn = int(rng.integers(0, n))
        val = np.concatenate([np.linspace(start, low, turn + 1)[:-1] if turn else [],
                              low * (1 + np.linspace(0, rng.uniform(0, 0.25), n - turn))])
        val *= 1 + rng.uniform(-0.03, 0.03, size=n)
        val[-1] *= rng.uniform(0.88, 1.15)
        rule1 = _end(val) / ((1.1) * val.min())
        rule2 = _end(train) / (0.5 * train[0])
        if abs(rule1 - 1) > margin and abs(rule2 - 1) > margin:
            penalty = float(rng.uniform(0, 0.8)) * start
            history = {"loss": [float(v + penalty) for v in train],
                       "ce": [float(v) for v in train],
                       "val_loss": [float(v + penalty) for v in val],
                       "val_ce": [float(v) for v in val]}
            if rng.random() < 0.5:
                history = {"val_accuracy": [0.5] * n, **history, "accuracy": [0.6] * n}
            return history


def same_fit_call(got: dict, want: dict) -> bool:
    """Whether two recorded ``fit`` calls train on the same data with the same settings.
    ``batch_size`` None and 32 are the same in Keras, as are ``verbose`` 0 and False."""
    from answer_key import hidden

    arrays = [(got["x"], want["x"]), (got["y"], want["y"])]
    vd_got, vd_want = got["validation_data"], want["validation_data"]
    if not isinstance(vd_got, (tuple, list)) or len(vd_got) != 2:
        return False
    arrays += list(zip(vd_got, vd_want, strict=True))
    if not all(hidden.same(a, b, atol=0, rtol=0) for a, b in arrays):
        return False
    callbacks = list(got["callbacks"] or [])
    if len(callbacks) != len(want["callbacks"]) or any(
            a is not b for a, b in zip(callbacks, want["callbacks"], strict=True)):
        return False
    if type(got["epochs"]) is not int or got["epochs"] != want["epochs"]:
        return False
    if got["batch_size"] not in (None, 32) or type(got["batch_size"]) not in (int, type(None)):
        return False
    if type(got["verbose"]) not in (int, bool) or got["verbose"] != 0:
        return False
    if got["validation_batch_size"] not in (None, 32):
        return False
    rest = set(want) - {"x", "y", "validation_data", "callbacks", "epochs", "batch_size",
                        "verbose", "validation_batch_size"}
    plain = (int, float, bool, type(None))
    return all(type(got[k]) in plain and got[k] == want[k] for k in rest)
