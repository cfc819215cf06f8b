"""Checks for lab 10 (callbacks): the students' callbacks are judged by their behaviour.

A check calls the callback's methods directly with made-up ``logs`` (so the epoch where
something must happen is known exactly) and then runs a tiny, seeded ``fit`` of a few
samples for a few epochs. Every expected value below is a stored literal.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import tempfile

import numpy as np

from dlcourse.checks.core import call, fail, passed, quiet


def tiny_data(n: int = 48, seed: int = 0, flip_validation: bool = False):
    """A linearly separable 4-feature binary problem: ``(x, y, x_val, y_val)``.

    ``flip_validation`` gives the validation set the opposite labels, so the better the model
    fits the training data, the worse its validation loss gets: the best validation epoch
    is early and early stopping must step in.
    """
    rng = np.random.default_rng(seed)
    w = np.array([1.5, -2.0, 1.0, 0.5])
    x = rng.normal(size=(n, 4)).astype("float32")
    x_val = rng.normal(size=(n // 2, 4)).astype("float32")
    y = (x @ w > 0).astype("float32")
    y_val = (x_val @ w > 0).astype("float32")
    if flip_validation:
        y_val = 1.0 - y_val
    return x, y, x_val, y_val


def tiny_model(learning_rate=0.05, seed: int = 0):
    """A compiled 4 -> 8 -> 1 classifier with an accuracy metric (trains in a blink);
    ``learning_rate`` may be a number or a Keras learning-rate schedule."""
    import keras

    keras.utils.set_random_seed(seed)
    model = keras.Sequential([
        keras.Input(shape=(4,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def current_lr(model) -> float:
    """The optimizer's learning rate now, as a Python float."""
    import keras

    return float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))


def _close(got, expected, rtol: float = 1e-5) -> bool:
    """Plain-Python comparison of two equally long lists of numbers."""
    if len(got) != len(expected):
        return False
    pairs = zip(got, expected, strict=True)
    return all(abs(float(g) - float(e)) <= rtol * abs(float(e)) for g, e in pairs)


def _method(cb, name, *args, task):
    """Call one of the callback's methods; report the student's exceptions clearly."""
    __tracebackhide__ = True
    return call(getattr(cb, name), *args, task=task, name=f"{type(cb).__name__}.{name}")


def _new_callback(cls, args, task, name):
    __tracebackhide__ = True
    import keras

    cb = call(cls, *args, task=task, name=name)
    if not isinstance(cb, keras.callbacks.Callback):
        fail(task, f"{name}(...) should create a Keras callback", "a keras.callbacks.Callback",
             type(cb).__name__, f"write `class {name}(keras.callbacks.Callback):`")
    return cb


# -- Task 1: StopAtThreshold ------------------------------------------------------------------

@quiet
def replay_stop(cb, logs, task: str, model=None, others=()) -> int | None:
    """Feed ``logs`` (one dict per epoch) to the callback as ``fit`` would; at the epochs in
    ``others`` another callback has already asked to stop. The epoch it stopped, or None."""
    __tracebackhide__ = True
    model = model or tiny_model()
    cb.set_model(model)
    model.stop_training = False
    with contextlib.redirect_stdout(io.StringIO()):  # the student's "stopping" messages
        _method(cb, "on_train_begin", {}, task=task)
        for epoch, entry in enumerate(logs):
            _method(cb, "on_epoch_begin", epoch, {}, task=task)
            if epoch in others:
                model.stop_training = True
            _method(cb, "on_epoch_end", epoch, dict(entry), task=task)
            if model.stop_training:
                return epoch
    return None


def _logs(metric, values, accuracy=None):
    """One logs dict per epoch: the metric, a loss, and (optionally) a training accuracy."""
    logs = []
    for epoch, value in enumerate(values):
        entry = {"loss": round(1.2 - 0.1 * epoch, 4)}
        if accuracy is not None:
            entry["accuracy"] = accuracy
        entry[metric] = value
        logs.append(entry)
    return logs


# (metric, threshold, values, accuracy in the logs, epochs where another callback stops,
#  expected 0-based stop epoch or None, hint). The expected epochs are the first epoch with
#  value >= threshold (or one in `others`), worked out by hand.
_STOP_CASES = (
    ("accuracy", 0.6, (0.31, 0.45, 0.58, 0.6, 0.81), None, (), 3,
     "accuracy was exactly 0.6 at epoch 4: reaching the threshold counts, use >= (not >)"),
    ("val_precision", 0.7325, (0.5, 0.7324, 0.7326, 0.9), 0.95, (), 2,
     "compare logs[self.metric] itself (no rounding) with self.threshold; the logs also "
     "held accuracy = 0.95 at every epoch, which must not matter"),
    ("val_auc", 0.875, (0.9012, 0.7, 0.95), 0.5, (), 0,
     "the first epoch can already reach the threshold: test every epoch, epoch 0 included, "
     "and stop at the end of that same epoch"),
    ("recall", 0.65, (0.2, 0.35, 0.5, 0.6499), 0.9, (), None,
     "recall never reached 0.65, so training must run to the end"),
    ("val_accuracy", 0.8, (0.5, 0.6, 0.7, 0.85), 0.7, (1,), 1,
     "another callback (such as EarlyStopping) had set stop_training = True at epoch 2; "
     "only ever set it to True, never back to False"),
)


def _check_missing_metric(StopAtThreshold, model, task):
    __tracebackhide__ = True
    cb = _new_callback(StopAtThreshold, ("val_auc", 0.5), task, "StopAtThreshold")
    cb.set_model(model)
    model.stop_training = False
    logs = {"loss": 0.4, "accuracy": 0.9, "val_loss": 0.5}
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            cb.on_epoch_end(0, dict(logs))
    except KeyError as exc:
        missing = [name for name in ("val_auc", *logs) if name not in str(exc)]
        if missing:
            fail(task, "the KeyError for a missing metric should name the metric and list the "
                 "keys the logs have", "a message containing 'val_auc', 'loss', 'accuracy' "
                 "and 'val_loss'", str(exc), f"{missing[0]!r} is not in the message; for "
                 "example KeyError(f\"{self.metric!r} is not in the logs: {sorted(logs)}\")")
    except Exception as exc:
        fail(task, "a metric missing from the logs should raise a KeyError",
             "KeyError naming 'val_auc'", f"{type(exc).__name__}: {exc}",
             "logs.get(metric) is None when the metric is missing, and None >= 0.5 fails "
             "with a confusing TypeError: test `if self.metric not in logs:` and raise KeyError")
    else:
        fail(task, "a metric missing from the logs passed silently", "KeyError naming 'val_auc'",
             f"no error (stop_training={model.stop_training})",
             "a typo in the metric name would make the callback do nothing; raise "
             "KeyError(f\"{self.metric!r} is not in the logs: {sorted(logs)}\")")


@quiet
def check_stop_at_threshold(StopAtThreshold) -> None:
    __tracebackhide__ = True
    task = "StopAtThreshold"
    model = tiny_model()
    for metric, threshold, values, accuracy, others, expected, hint in _STOP_CASES:
        cb = _new_callback(StopAtThreshold, (metric, threshold), task, "StopAtThreshold")
        got = replay_stop(cb, _logs(metric, values, accuracy), task, model, others)
        if got != expected:
            shown = {f"epoch {i + 1}": v for i, v in enumerate(values)}
            fail(task, f"StopAtThreshold({metric!r}, {threshold}) with {metric} per epoch "
                 f"{shown}" + (f" and stop_training already True at epoch {others[0] + 1}"
                               if others else ""),
                 "no stop" if expected is None else f"stop after epoch {expected + 1}",
                 "no stop" if got is None else f"stop after epoch {got + 1}", hint)
    _check_missing_metric(StopAtThreshold, model, task)

    # A real fit: a threshold of 0 stops after one epoch, an unreachable one never stops.
    x, y, _, _ = tiny_data()
    for threshold, epochs in ((0.0, 1), (1.01, 3)):
        cb = _new_callback(StopAtThreshold, ("accuracy", threshold), task, "StopAtThreshold")
        model.stop_training = False
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                history = model.fit(x, y, epochs=3, batch_size=16, verbose=0, callbacks=[cb])
        except Exception as exc:
            fail(task, f"model.fit(..., callbacks=[StopAtThreshold('accuracy', {threshold})]) "
                 f"raised {type(exc).__name__}: {exc}")
        if len(history.epoch) != epochs:
            fail(task, f"in a real fit with threshold {threshold} training ran for the wrong "
                 "number of epochs", epochs, len(history.epoch),
                 "set self.model.stop_training = True in on_epoch_end")
    passed(task, "stops after the first epoch with metric >= threshold, and not before")


# -- Task 2: LearningRateRecorder -------------------------------------------------------------

def _drive_recorder(cb, model, epochs, steps, task, before_end=None):
    """Call the recorder's hooks as ``fit`` does for ``epochs`` epochs of ``steps`` batches
    (counting the optimizer's steps); ``before_end(epoch)`` runs before each on_epoch_end,
    where a callback listed earlier would run."""
    __tracebackhide__ = True
    cb.set_model(model)
    _method(cb, "on_train_begin", {}, task=task)
    for epoch in range(epochs):
        _method(cb, "on_epoch_begin", epoch, {}, task=task)
        for batch in range(steps):
            _method(cb, "on_train_batch_begin", batch, {}, task=task)
            model.optimizer.iterations.assign_add(1)
            _method(cb, "on_train_batch_end", batch, {"loss": 0.5}, task=task)
        if before_end is not None:
            before_end(epoch)
        _method(cb, "on_epoch_end", epoch, {"loss": 0.5}, task=task)
    _method(cb, "on_train_end", {}, task=task)
    return _rates(cb, task)


@quiet
def replay_rates(cb, rates, task: str, steps: int = 3) -> list:
    """Drive a recorder through ``len(rates)`` epochs: epoch ``e`` trains with ``rates[e]``,
    and, as ReduceLROnPlateau listed before the recorder would, the next epoch's rate is set
    at the end of each epoch. Returns what the recorder stored in ``.rates``."""
    __tracebackhide__ = True
    model = tiny_model(learning_rate=float(rates[0]))

    def next_rate(epoch):
        if epoch + 1 < len(rates):
            model.optimizer.learning_rate = float(rates[epoch + 1])

    return _drive_recorder(cb, model, len(rates), steps, task, next_rate)


@quiet
def replay_schedule(cb, schedule, epochs: int, steps: int, task: str) -> list:
    """Drive a recorder through ``epochs`` epochs of ``steps`` optimizer steps, the optimizer
    following a Keras learning-rate ``schedule``. Returns the recorder's ``.rates``."""
    __tracebackhide__ = True
    return _drive_recorder(cb, tiny_model(learning_rate=schedule), epochs, steps, task)


def _rates(cb, task):
    __tracebackhide__ = True
    rates = getattr(cb, "rates", None)
    if not isinstance(rates, list):
        fail(task, "the recorder should keep its rates in a list `self.rates`", "a list",
             type(rates).__name__, "create self.rates = [] in __init__ (after "
             "super().__init__())")
    return list(rates)


def _new_recorder(LearningRateRecorder, task):
    __tracebackhide__ = True
    cb = _new_callback(LearningRateRecorder, (), task, "LearningRateRecorder")
    if _rates(cb, task):
        fail(task, "a new recorder should start with an empty list", [], cb.rates,
             "set self.rates = [] in __init__ (a list written in the class body is shared "
             "by every recorder)")
    return cb


def _expect_rates(got, expected, task, what):
    __tracebackhide__ = True
    import numbers

    if len(got) != len(expected):
        hint = "append one value per epoch, in on_epoch_begin"
        if len(got) == 1:
            hint = ("the rate was recorded once; on_train_begin runs once per fit, "
                    "on_epoch_begin once per epoch")
        elif len(got) == 2 * len(expected):
            hint = "two values per epoch: record only in on_epoch_begin"
        elif len(got) > len(expected):
            hint = "on_train_batch_begin/end run once per batch; record in on_epoch_begin"
        fail(task, f"{what}: one learning rate per epoch expected", f"{len(expected)} values",
             f"{len(got)} values: {got}", hint)
    bad = [type(r).__name__ for r in got
           if not isinstance(r, numbers.Real) or isinstance(r, bool)]
    if bad:
        fail(task, f"{what}: the recorded rates should be plain numbers", "Python floats",
             bad[0], "model.optimizer.learning_rate is a variable that keeps changing; store "
             "float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))")
    if _close(got, expected):
        return
    hint = "read self.model.optimizer.learning_rate in on_epoch_begin, every epoch"
    if _close(got[:-1], expected[1:]):
        hint = ("every value is the next epoch's rate: at the end of an epoch, a callback "
                "such as ReduceLROnPlateau may already have changed it; record the rate in "
                "on_epoch_begin")
    elif all(abs(float(g) - float(e)) <= 1e-4 for g, e in zip(got, expected, strict=True)):
        hint = "the rates are close but not equal: do not round them"
    fail(task, f"{what}: the recorded rates do not match the optimizer's",
         [float(e) for e in expected], [float(g) for g in got], hint)


@quiet
def check_learning_rate_recorder(LearningRateRecorder) -> None:
    __tracebackhide__ = True
    import keras

    task = "LearningRateRecorder"
    cb = _new_recorder(LearningRateRecorder, task)
    schedule = [0.01, 0.005, 0.005, 0.00125, 0.0003, 0.0003]
    got = replay_rates(cb, schedule, task)
    _expect_rates(got, schedule, task, f"rates changed at the end of each of {len(schedule)} "
                  "epochs, for the next one")

    # A real fit with ReduceLROnPlateau before the recorder: min_delta=10 means no epoch
    # counts as an improvement, so with patience=1 the rate halves after every epoch but the
    # first.
    x, y, x_val, y_val = tiny_data()
    cb = _new_recorder(LearningRateRecorder, task)
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                               min_delta=10.0)
    model = tiny_model(learning_rate=0.01)
    try:
        model.fit(x, y, validation_data=(x_val, y_val), epochs=4, batch_size=16, verbose=0,
                  callbacks=[reduce, cb])
    except Exception as exc:
        fail(task, f"model.fit with LearningRateRecorder raised {type(exc).__name__}: {exc}")
    _expect_rates(_rates(cb, task), [0.01, 0.01, 0.005, 0.0025], task,
                  "a 4-epoch fit with callbacks=[ReduceLROnPlateau(factor=0.5), recorder]")

    # An optimizer that follows a schedule, 3 steps per epoch: the rate halves every 3 steps.
    schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=3, decay_rate=0.5)
    cb = _new_recorder(LearningRateRecorder, task)
    _expect_rates(replay_schedule(cb, schedule, 4, 3, task), [0.01, 0.005, 0.0025, 0.00125],
                  task, "4 epochs of 3 steps with Adam(learning_rate=ExponentialDecay(0.01, "
                  "decay_steps=3, decay_rate=0.5))")
    passed(task, "one float per epoch, the rate that epoch trains with, schedules included")


# -- Task 3: make_callbacks --------------------------------------------------------------------

def _callbacks(make_callbacks, folder, task, *args, **kwargs):
    __tracebackhide__ = True
    import keras

    shown = ", ".join(["folder", *map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())])
    cbs = call(make_callbacks, folder, *args, task=task, name="make_callbacks", **kwargs)
    if not isinstance(cbs, list | tuple):
        fail(task, "make_callbacks should return a list of callbacks", "a list",
             type(cbs).__name__)
    kinds = [type(cb).__name__ for cb in cbs]
    if (len(cbs) != 2 or type(cbs[0]) is not keras.callbacks.EarlyStopping
            or type(cbs[1]) is not keras.callbacks.ModelCheckpoint):
        fail(task, f"make_callbacks({shown}) should return [early_stopping, checkpoint]",
             ["EarlyStopping", "ModelCheckpoint"], kinds,
             "return exactly these two Keras callbacks, in this order")
    return cbs


def _check_settings(es, ck, folder, patience, task, shown):
    """The configuration the lab asks for, read from the callbacks' attributes."""
    __tracebackhide__ = True
    if es.monitor != "val_loss" or es.mode not in ("auto", "min"):
        fail(task, "EarlyStopping should watch the validation loss, which should go down",
             "monitor='val_loss' (mode 'auto' or 'min')",
             f"monitor={es.monitor!r}, mode={es.mode!r}", "the training loss keeps falling "
             "while the model overfits; only the validation loss shows when to stop")
    if not es.restore_best_weights:
        fail(task, "EarlyStopping should put back the best weights when it stops",
             "restore_best_weights=True", f"restore_best_weights={es.restore_best_weights}",
             "without it the model keeps the weights of the last, worse epochs")
    if es.patience != patience:
        fail(task, f"{shown}: EarlyStopping should use the patience argument", patience,
             es.patience, "pass patience=patience (and keep the default patience=3)")
    if not math.isclose(abs(float(es.min_delta)), 1e-4, rel_tol=1e-9, abs_tol=0):
        fail(task, "EarlyStopping's min_delta should be 1e-4", 1e-4, es.min_delta,
             "min_delta is the smallest drop of val_loss that counts as progress: 0 counts "
             "every tiny wobble, a large one (such as 0.5) stops training almost at once")
    if es.baseline is not None or es.start_from_epoch != 0:
        fail(task, "EarlyStopping should keep its other settings at their defaults",
             "baseline=None, start_from_epoch=0",
             f"baseline={es.baseline}, start_from_epoch={es.start_from_epoch}")
    path = os.fspath(ck.filepath)
    wanted = os.path.join(folder, "best.keras")
    if not path.endswith(".keras"):
        fail(task, "the checkpoint should be a .keras file", wanted, path,
             "Keras 3 saves whole models as .keras; .h5 is the legacy format")
    if os.path.normpath(os.path.abspath(path)) != os.path.normpath(os.path.abspath(wanted)):
        fail(task, "the checkpoint should be the file best.keras inside the folder given",
             wanted, path, "use os.path.join(folder, 'best.keras')")
    if ck.monitor != "val_loss" or ck.mode not in ("auto", "min"):
        fail(task, "ModelCheckpoint should judge 'best' by the lowest validation loss",
             "monitor='val_loss' (mode 'auto' or 'min')",
             f"monitor={ck.monitor!r}, mode={ck.mode!r}",
             "with monitor='loss' it keeps saving the later, overfitted epochs")
    if not ck.save_best_only:
        fail(task, "ModelCheckpoint should keep only the best model", "save_best_only=True",
             f"save_best_only={ck.save_best_only}", "otherwise every epoch overwrites the "
             "file and it ends up holding the last epoch, not the best one")
    if ck.save_weights_only or ck.save_freq != "epoch" or ck.best is not None:
        fail(task, "ModelCheckpoint should save the whole model at the end of epochs, with "
             "its other settings at their defaults",
             "save_weights_only=False, save_freq='epoch', initial_value_threshold=None",
             f"save_weights_only={ck.save_weights_only}, save_freq={ck.save_freq!r}, "
             f"initial_value_threshold={ck.best}", "keras.models.load_model needs the "
             "whole model")


# A validation-loss curve with drops of 0.0005 (progress for min_delta=1e-4, not for 1e-3)
# and of 0.00004 (progress only for min_delta=0). Replayed through EarlyStopping(
# monitor="val_loss", min_delta=1e-4, patience=p): (best epoch, epoch it stops), 0-based.
_VAL_LOSSES = (1.0, 0.95, 0.9495, 0.94946, 0.96, 0.93, 0.92996, 0.92993, 0.95, 0.9, 0.91,
               0.92, 0.93, 0.94)
_EARLY_STOPS = {2: (2, 4), 3: (5, 8)}


def _check_replay(es, patience, model, task):
    __tracebackhide__ = True
    got = replay_stop(es, [{"loss": 1.0, "val_loss": v} for v in _VAL_LOSSES], task, model)
    best, expected = _EARLY_STOPS[patience]
    if got != expected or es.best_epoch != best:
        shown = {f"epoch {i + 1}": v for i, v in enumerate(_VAL_LOSSES)}
        fail(task, f"EarlyStopping(patience={patience}) fed val_loss {shown}",
             f"best epoch {best + 1}, stop after epoch {expected + 1}",
             f"best epoch {es.best_epoch + 1}, "
             + ("no stop" if got is None else f"stop after epoch {got + 1}"),
             "monitor='val_loss', min_delta=1e-4, patience=patience, defaults otherwise")


@quiet
def check_make_callbacks(make_callbacks) -> None:
    __tracebackhide__ = True
    import keras

    task = "make_callbacks"
    model = tiny_model()
    with tempfile.TemporaryDirectory() as root:
        for i, (args, kwargs, patience) in enumerate((((), {"patience": 5}, 5), ((), {}, 3),
                                                      ((1,), {}, 1), ((), {"patience": 2}, 2))):
            folder = os.path.join(root, f"run-{i}")
            cbs = _callbacks(make_callbacks, folder, task, *args, **kwargs)
            shown = "make_callbacks(" + ", ".join(
                ["folder", *map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"
            _check_settings(*cbs, folder, patience, task, shown)
            if patience in _EARLY_STOPS:
                _check_replay(cbs[0], patience, model, task)

        # A run where validation gets worse as training gets better (flipped labels):
        # early stopping must step in and the checkpoint must hold the best epoch.
        folder = os.path.join(root, "fit")
        os.makedirs(folder)
        cbs = _callbacks(make_callbacks, folder, task, patience=2)
        x, y, x_val, y_val = tiny_data(flip_validation=True)
        model = tiny_model()
        epochs = 10
        try:
            history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs,
                                batch_size=16, verbose=0, callbacks=cbs)
        except Exception as exc:
            fail(task, f"model.fit(..., callbacks=make_callbacks(folder)) raised "
                 f"{type(exc).__name__}: {exc}")
        val = history.history["val_loss"]
        best = int(np.argmin(val))
        if len(history.epoch) >= epochs:
            fail(task, "early stopping did not stop a tiny run whose validation loss rises",
                 f"fewer than {epochs} epochs", f"{len(history.epoch)} epochs",
                 "monitor='val_loss' with patience=patience")
        restored = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["loss"]
        if not math.isclose(restored, min(val), rel_tol=1e-4, abs_tol=1e-6):
            fail(task, "after training the model should hold the best epoch's weights",
                 f"val_loss {min(val):.4f} (epoch {best + 1})", f"val_loss {restored:.4f}",
                 "restore_best_weights=True")
        path = os.fspath(cbs[1].filepath)
        if not os.path.isfile(path):
            fail(task, "no checkpoint file was written", path, "no file")
        reloaded = keras.models.load_model(path)
        gap = np.max(np.abs(keras.ops.convert_to_numpy(reloaded(x_val, training=False))
                            - keras.ops.convert_to_numpy(model(x_val, training=False))))
        if not float(gap) <= 1e-5:
            fail(task, "the reloaded checkpoint and the restored model predict differently",
                 f"the epoch-{best + 1} model in both", "different predictions",
                 "save_best_only=True and monitor='val_loss' keep the best epoch on disk")
    passed(task, f"EarlyStopping + ModelCheckpoint agree: stopped after epoch "
           f"{len(history.epoch)}, best epoch {best + 1} restored and saved")
