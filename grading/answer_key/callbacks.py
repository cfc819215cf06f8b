"""Reference answers of lab 10 (callbacks) and the cases its hidden tests replay.

The replay functions in plain Python say what a callback does to a sequence of per-epoch
values (what ``logs`` holds at the end of every epoch); ``tests/test_callbacks.py`` checks
them against Keras 3's own callbacks. The lab's answers (``StopAtThreshold``,
``LearningRateRecorder``, ``make_callbacks``) and the hidden tests' helpers import Keras
only when first used, so lab 09's answer key can import this module cheaply.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import warnings
from dataclasses import dataclass, field

import numpy as np

MIN_DELTA = 1e-4          # the EarlyStopping setting the lab asks for
CHECKPOINT = "best.keras"  # the checkpoint's file name inside the given folder


# -- replays in plain Python ------------------------------------------------------------------

def threshold_stop_epoch(values, threshold: float) -> int | None:
    """0-based epoch after which a stop-at-threshold callback ends training (None: never).

    Training stops at the end of the first epoch whose value is ``>= threshold``.
    """
    for epoch, value in enumerate(values):
        if float(value) >= threshold:
            return epoch
    return None


def early_stopping(val_losses, patience: int, min_delta: float = 0.0) -> tuple[int, int | None]:
    """Replay ``EarlyStopping(monitor="val_loss")``: return ``(best_epoch, stopped_epoch)``.

    An epoch improves when its loss is below the best so far by more than ``min_delta``.
    Training stops at the end of the epoch where ``patience`` epochs have passed without an
    improvement (never at epoch 0); ``stopped_epoch`` is None when the values run out first.
    """
    delta = abs(min_delta)
    best, best_epoch, wait = None, 0, 0
    for epoch, value in enumerate(val_losses):
        value = float(value)
        wait += 1
        if best is None or value + delta < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return best_epoch, epoch
    return best_epoch, None


def reduce_lr_on_plateau(val_losses, learning_rate: float, factor: float = 0.1,
                         patience: int = 10, min_delta: float = 1e-4,
                         min_lr: float = 0.0) -> np.ndarray:
    """Replay ``ReduceLROnPlateau(monitor="val_loss")`` (no cooldown).

    Returns the learning rate in effect *during* each epoch: the rate of epoch ``e + 1`` is
    the rate of epoch ``e``, multiplied by ``factor`` (not below ``min_lr``) when ``patience``
    epochs in a row have not improved the best loss by more than ``min_delta``. Rates are
    float32, like the optimizer's variable.
    """
    delta = abs(min_delta)
    lr = np.float32(learning_rate)
    rates = []
    best, wait = None, 0
    for value in val_losses:
        rates.append(float(lr))
        value = float(value)
        if best is None or value + delta < best:
            best, wait = value, 0
            continue
        wait += 1
        if wait >= patience:
            if float(lr) > np.float32(min_lr):
                lr = np.float32(max(float(lr) * factor, min_lr))
            wait = 0
    return np.array(rates)


def exponential_decay_rates(initial: float, decay_rate: float, decay_steps: int,
                            steps_per_epoch: int, epochs: int) -> np.ndarray:
    """The rate of ``ExponentialDecay`` at the first step of each epoch (float32 values)."""
    return np.array([float(np.float32(initial * decay_rate ** (epoch * steps_per_epoch
                                                               / decay_steps)))
                     for epoch in range(epochs)])


# -- the lab's answers --------------------------------------------------------------------------

@functools.cache
def _classes() -> dict:
    import keras

    class StopAtThreshold(keras.callbacks.Callback):
        """Stop training at the end of the first epoch where logs[metric] >= threshold."""

        def __init__(self, metric="accuracy", threshold=0.6):
            super().__init__()
            self.metric = metric
            self.threshold = threshold

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.metric not in logs:
                raise KeyError(f"{self.metric!r} is not in the logs; they have {sorted(logs)}")
            if logs[self.metric] >= self.threshold:
                self.model.stop_training = True

    class LearningRateRecorder(keras.callbacks.Callback):
        """Record the optimizer's learning rate at the start of every epoch."""

        def __init__(self):
            super().__init__()
            self.rates = []

        def on_epoch_begin(self, epoch, logs=None):
            rate = keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)
            self.rates.append(float(rate))

    return {"StopAtThreshold": StopAtThreshold, "LearningRateRecorder": LearningRateRecorder}


def __getattr__(name: str):
    if name in ("StopAtThreshold", "LearningRateRecorder"):
        return _classes()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_callbacks(folder, patience=3):
    """EarlyStopping and ModelCheckpoint, both watching the validation loss."""
    import keras

    early_stopping = keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=MIN_DELTA,
                                                   patience=patience,
                                                   restore_best_weights=True)
    checkpoint = keras.callbacks.ModelCheckpoint(os.path.join(folder, CHECKPOINT),
                                                 monitor="val_loss", save_best_only=True)
    return [early_stopping, checkpoint]


# -- helpers for the hidden tests ---------------------------------------------------------------

def tiny_model(learning_rate=0.01, seed: int = 0):
    """A compiled 4 -> 8 -> 1 classifier (``learning_rate`` may be a schedule)."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


@contextlib.contextmanager
def _muted():
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


@dataclass
class StopCase:
    """Per-epoch logs for a stop-at-threshold callback, and where it must stop."""

    metric: str
    threshold: float
    logs: list
    others: set = field(default_factory=set)  # epochs where another callback stops first
    expected: int | None = None


METRICS = ("val_accuracy", "auc", "val_precision", "recall", "val_auc", "f1_score")


def stop_cases(rng) -> list[StopCase]:
    """Seeded cases where every rule matters: reaching the threshold exactly, a first epoch
    already past it, values a hair either side of a 4-decimal threshold, other keys of the
    logs above it earlier, a stop asked by another callback, never reaching it."""
    cases = []
    for kind in ("exact", "first", "hair", "others", "never", "exact", "hair", "first"):
        metric = str(rng.choice(METRICS))
        threshold = round(float(rng.uniform(0.55, 0.9)), 4)
        n = int(rng.integers(5, 9))
        values = [round(float(v), 4) for v in rng.uniform(0.1, threshold - 0.01, size=n)]
        hit = int(rng.integers(1, n - 1))
        others = set()
        if kind == "exact":
            values[hit] = threshold
        elif kind == "first":
            values[0] = round(threshold + float(rng.uniform(0.0001, 0.05)), 4)
        elif kind == "hair":
            values[hit - 1] = round(threshold - 0.0001, 4)
            values[hit] = round(threshold + 0.0001, 4)
        elif kind == "others":
            others = {hit - 1 if hit > 1 else 0}
            values[hit] = round(threshold + 0.02, 4)
        else:
            values[-1] = round(threshold - 0.0001, 4)
        for later in range(hit + 1, n):
            if kind != "never" and rng.random() < 0.5:
                values[later] = round(float(rng.uniform(threshold, 1.0)), 4)
        logs = []
        for epoch, value in enumerate(values):
            early = epoch <= hit
            entry = {"loss": round(float(rng.uniform(0.1, 2.0)), 4),
                     "accuracy": round(float(rng.uniform(threshold, 1.0) if early
                                            else rng.uniform(0.0, 1.0)), 4),
                     "val_loss": round(float(rng.uniform(0.1, 2.0)), 4)}
            entry[metric] = value
            logs.append(entry)
        stops = [e for e in range(n) if e in others or values[e] >= threshold]
        cases.append(StopCase(metric, threshold, logs, others, stops[0] if stops else None))
    return cases


def replay_stop(cb, logs, model, others=()) -> int | None:
    """Drive a stopping callback through ``logs`` (one dict per epoch), like ``fit`` does;
    at the epochs in ``others`` another callback has asked to stop before this one runs.
    Returns the epoch after which training stops, or None."""
    cb.set_model(model)
    model.stop_training = False
    with _muted():
        cb.on_train_begin({})
        for epoch, entry in enumerate(logs):
            cb.on_epoch_begin(epoch, {})
            if epoch in others:
                model.stop_training = True
            cb.on_epoch_end(epoch, dict(entry))
            if bool(model.stop_training):
                return epoch
    return None


def missing_metric_error(cb, model, logs) -> BaseException | None:
    """The exception ``cb.on_epoch_end`` raises for ``logs`` (None if it raises nothing)."""
    cb.set_model(model)
    model.stop_training = False
    try:
        with _muted():
            cb.on_epoch_end(0, dict(logs))
    except Exception as exc:  # the answer's own error: the test reads its type and message
        return exc
    return None


def random_rates(rng, epochs: int) -> list[float]:
    """Learning rates with 6 significant digits over several decades, one plateau included."""
    rates = [float(f"{10 ** rng.uniform(-4.5, -1.2):.6g}") for _ in range(epochs)]
    at = int(rng.integers(1, epochs))
    rates[at] = rates[at - 1]
    return rates


def _drive_recorder(cb, model, epochs, steps, before_end=None):
    """Call a recorder's hooks as ``fit`` does (counting the optimizer's steps);
    ``before_end(epoch)`` runs where a callback listed before the recorder would."""
    cb.set_model(model)
    with _muted():
        cb.on_train_begin({})
        for epoch in range(epochs):
            cb.on_epoch_begin(epoch, {})
            for batch in range(steps):
                cb.on_train_batch_begin(batch, {})
                model.optimizer.iterations.assign_add(1)
                cb.on_train_batch_end(batch, {"loss": 0.5})
            if before_end is not None:
                before_end(epoch)
            cb.on_epoch_end(epoch, {"loss": 0.5})
        cb.on_train_end({})
    return cb.rates


def replay_rates(cb, rates, model, steps: int = 3):
    """Drive a recorder through ``len(rates)`` epochs of ``steps`` batches. Epoch ``e``
    trains with ``rates[e]``; as ReduceLROnPlateau listed before the recorder would, the
    next epoch's rate is set at the end of each epoch, before the recorder's
    ``on_epoch_end``. Returns what the recorder holds in ``.rates`` (as it is)."""
    model.optimizer.learning_rate = float(rates[0])

    def next_rate(epoch):
        if epoch + 1 < len(rates):
            model.optimizer.learning_rate = float(rates[epoch + 1])

    return _drive_recorder(cb, model, len(rates), steps, next_rate)


def replay_schedule(cb, initial: float, decay_rate: float, decay_steps: int, epochs: int,
                    steps: int):
    """Drive a recorder through ``epochs`` epochs of ``steps`` optimizer steps, the optimizer
    following ``ExponentialDecay``. Returns ``(recorded, expected)``."""
    import keras

    schedule = keras.optimizers.schedules.ExponentialDecay(initial, decay_steps, decay_rate)
    got = _drive_recorder(cb, tiny_model(learning_rate=schedule), epochs, steps)
    return got, exponential_decay_rates(initial, decay_rate, decay_steps, steps, epochs)


def val_losses(rng, n: int = 16) -> list[float]:
    """A validation-loss curve whose steps make ``min_delta=1e-4`` and the patience matter:
    big drops, drops smaller than 1e-4, drops a little bigger, and rises."""
    steps = rng.choice([-0.05, -0.00004, -0.0003, 0.002, 0.03], size=n,
                       p=[0.15, 0.45, 0.15, 0.1, 0.15])
    return [round(float(v), 6) for v in 1.0 + np.cumsum(steps)]


def replay_early_stopping(cb, losses, model) -> tuple[int, int | None]:
    """Drive an EarlyStopping through ``losses``: ``(best_epoch, stopped_epoch)``."""
    cb.set_model(model)
    model.stop_training = False
    stopped = None
    with _muted():
        cb.on_train_begin({})
        for epoch, value in enumerate(losses):
            cb.on_epoch_begin(epoch, {})
            cb.on_epoch_end(epoch, {"loss": 1.0, "val_loss": float(value)})
            if bool(model.stop_training):
                stopped = epoch
                break
        best = int(cb.best_epoch)
    return best, stopped


def _plain(value, kind):
    assert type(value) is kind, f"expected {kind.__name__}, got {type(value).__name__}"
    return value


def settings(cb) -> tuple:
    """What decides how an EarlyStopping or ModelCheckpoint behaves, as plain values (read
    with exact type checks, so an object with a tricked comparison cannot pass)."""
    import numbers

    kind = type(cb)
    assert kind.__module__ in ("keras.src.callbacks.early_stopping",
                               "keras.src.callbacks.model_checkpoint"), kind.__module__
    monitor, mode = _plain(cb.monitor, str), _plain(cb.mode, str)
    if mode == "auto" and monitor in ("loss", "val_loss"):
        mode = "min"
    common = (kind.__module__, kind.__qualname__, monitor, mode)
    if kind.__qualname__ == "EarlyStopping":
        assert isinstance(cb.patience, numbers.Integral) and not isinstance(cb.patience, bool)
        assert isinstance(cb.min_delta, numbers.Real)
        return common + (int(cb.patience), round(abs(float(cb.min_delta)), 12),
                         bool(cb.restore_best_weights), cb.baseline is None,
                         int(cb.start_from_epoch))
    assert kind.__qualname__ == "ModelCheckpoint", kind.__qualname__
    path = os.path.normpath(os.path.abspath(_plain(cb.filepath, str)))
    return common + (path, bool(cb.save_best_only), bool(cb.save_weights_only),
                     str(cb.save_freq), cb.best is None)


def pair(cbs) -> tuple:
    """The two callbacks of ``make_callbacks``, in the order the lab asks for."""
    assert type(cbs) in (list, tuple) and len(cbs) == 2, type(cbs).__name__
    early_stopping, checkpoint = cbs
    assert type(early_stopping).__qualname__ == "EarlyStopping"
    assert type(checkpoint).__qualname__ == "ModelCheckpoint"
    return early_stopping, checkpoint
