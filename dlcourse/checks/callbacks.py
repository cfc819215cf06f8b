"""Checks for lab 10 (callbacks): the students' callbacks are driven by behaviour.

A check calls the callback's methods directly with made-up ``logs`` (so the epoch where
something must happen is known exactly) and then runs a tiny, seeded ``fit`` of a few
samples for a few epochs.
"""

from __future__ import annotations

import contextlib
import functools
import io
import os
import tempfile
import warnings

import numpy as np

from dlcourse.checks.core import call, fail, passed
from dlcourse.reference import callbacks as ref
from dlcourse.runtime import quiet_logger


def _quiet(check):
    @functools.wraps(check)
    def wrapper(*args, **kwargs):
        __tracebackhide__ = True
        with quiet_logger("tensorflow"):
            return check(*args, **kwargs)

    return wrapper


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


def tiny_model(learning_rate: float = 0.05, seed: int = 0):
    """A compiled 4 -> 8 -> 1 classifier with an accuracy metric (trains in a blink)."""
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


def _method(cb, name, *args, task):
    """Call one of the callback's methods; report the student's exceptions clearly."""
    __tracebackhide__ = True
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        return call(getattr(cb, name), *args, task=task, name=f"{type(cb).__name__}.{name}")


def _new_callback(cls, args, task, name):
    __tracebackhide__ = True
    import keras

    cb = call(cls, *args, task=task, name=name)
    if not isinstance(cb, keras.callbacks.Callback):
        fail(task, f"{name}(...) should create a Keras callback", "a keras.callbacks.Callback",
             type(cb).__name__, f"write `class {name}(keras.callbacks.Callback):`")
    return cb


@_quiet
def replay_stop(cb, values, metric: str, task: str) -> int | None:
    """Feed ``values`` of ``metric`` to ``cb.on_epoch_end``; the epoch it stopped, or None."""
    __tracebackhide__ = True
    model = tiny_model()
    cb.set_model(model)
    model.stop_training = False
    with contextlib.redirect_stdout(io.StringIO()):  # the student's "stopping" messages
        _method(cb, "on_train_begin", {}, task=task)
        for epoch, value in enumerate(values):
            _method(cb, "on_epoch_begin", epoch, {}, task=task)
            _method(cb, "on_epoch_end", epoch,
                    {"loss": 1.0 - float(value), metric: float(value)}, task=task)
            if model.stop_training:
                return epoch
    return None


def _expect_stop(cb, values, metric, threshold, task):
    __tracebackhide__ = True
    expected = ref.threshold_stop_epoch(values, threshold)
    got = replay_stop(cb, values, metric, task)
    if got == expected:
        return
    shown = {f"epoch {i + 1}": v for i, v in enumerate(values)}
    where = "never" if got is None else f"after epoch {got + 1}"
    if got is not None and (expected is None or got < expected):
        fail(task, f"training stopped too early: {metric}={threshold} was not reached yet",
             f"stop after epoch {expected + 1}" if expected is not None else "no stop",
             where, f"stop only once logs[{metric!r}] >= threshold; the values were {shown}")
    hint = (f"the check must be `logs[metric] >= threshold` (reaching {threshold} exactly "
            "counts); set self.model.stop_training = True in on_epoch_end")
    if any(float(v) == threshold for v in values):
        hint = f"{metric} was exactly {threshold} at one epoch: use >=, not >"
    fail(task, f"training should stop at the end of the first epoch where {metric} >= "
         f"{threshold}", f"stop after epoch {expected + 1}", where,
         hint + f" (values: {shown})")


@_quiet
def check_stop_at_threshold(StopAtThreshold) -> None:
    __tracebackhide__ = True
    task = "StopAtThreshold"
    cb = _new_callback(StopAtThreshold, ("accuracy", 0.6), task, "StopAtThreshold")
    _expect_stop(cb, [0.31, 0.45, 0.58, 0.6, 0.81], "accuracy", 0.6, task)
    cb = _new_callback(StopAtThreshold, ("accuracy", 0.6), task, "StopAtThreshold")
    _expect_stop(cb, [0.2, 0.35, 0.5, 0.55], "accuracy", 0.6, task)
    cb = _new_callback(StopAtThreshold, ("val_accuracy", 0.75), task, "StopAtThreshold")
    _expect_stop(cb, [0.5, 0.7, 0.74, 0.9], "val_accuracy", 0.75, task)

    # A metric that is not in the logs must be an error that names it, not a silent pass
    # (or the TypeError that `None >= 0.6` gives).
    cb = _new_callback(StopAtThreshold, ("val_accuracy", 0.5), task, "StopAtThreshold")
    model = tiny_model()
    cb.set_model(model)
    model.stop_training = False
    logs = {"loss": 0.4, "accuracy": 0.9}
    try:
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always")
            cb.on_epoch_end(0, dict(logs))
    except (KeyError, ValueError) as exc:
        if "val_accuracy" not in str(exc):
            fail(task, "the error for a missing metric should name the metric",
                 "a message containing 'val_accuracy'", str(exc),
                 "say which metric is missing and which keys the logs have")
    except Exception as exc:
        fail(task, "a metric missing from the logs should raise a clear KeyError or ValueError",
             "KeyError/ValueError naming 'val_accuracy'", f"{type(exc).__name__}: {exc}",
             "logs.get(metric) is None when the metric is missing, and None >= 0.5 fails "
             "with a confusing TypeError: test `if metric not in logs:` and raise KeyError")
    else:
        fail(task, "a metric missing from the logs passed silently",
             "KeyError/ValueError naming 'val_accuracy'",
             f"no error (stop_training={model.stop_training})",
             "a typo in the metric name would make the callback do nothing; raise "
             "KeyError(f'...{metric}... not in logs: {sorted(logs)}')")

    # A real fit: a threshold of 0 stops after one epoch, an unreachable one never stops.
    x, y, _, _ = tiny_data()
    for threshold, epochs in ((0.0, 1), (1.01, 3)):
        cb = _new_callback(StopAtThreshold, ("accuracy", threshold), task, "StopAtThreshold")
        model = tiny_model()
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


@_quiet
def replay_rates(cb, rates, task: str) -> list:
    """Drive a recorder through ``len(rates)`` epochs, setting the optimizer's rate before
    each; return what the recorder stored in ``.rates``."""
    __tracebackhide__ = True
    model = tiny_model(learning_rate=float(rates[0]))
    cb.set_model(model)
    _method(cb, "on_train_begin", {}, task=task)
    for epoch, rate in enumerate(rates):
        model.optimizer.learning_rate = float(rate)
        _method(cb, "on_epoch_begin", epoch, {}, task=task)
        _method(cb, "on_epoch_end", epoch, {"loss": 0.5}, task=task)
    _method(cb, "on_train_end", {}, task=task)
    if not hasattr(cb, "rates"):
        fail(task, "the recorder has no attribute `rates`", "a list in self.rates", "nothing",
             "create self.rates = [] in __init__ (after super().__init__())")
    return list(cb.rates)


def _expect_rates(got, expected, task, what):
    __tracebackhide__ = True
    expected = [float(r) for r in expected]
    if len(got) != len(expected):
        hint = "append one value per epoch, in on_epoch_begin (or on_epoch_end)"
        if len(got) == 1:
            hint = ("the rate was recorded once; on_train_begin runs once per fit, "
                    "on_epoch_begin once per epoch")
        fail(task, f"{what}: one learning rate per epoch expected", f"{len(expected)} values",
             f"{len(got)} values: {got}", hint)
    bad = [type(r).__name__ for r in got if not isinstance(r, (float, int, np.floating))]
    if bad:
        fail(task, f"{what}: the recorded rates should be plain numbers", "Python floats",
             bad[0], "model.optimizer.learning_rate is a variable that keeps changing; store "
             "float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))")
    if not np.allclose(np.asarray(got, dtype=float), expected, rtol=1e-5, atol=0):
        fail(task, f"{what}: the recorded rates do not match the optimizer's",
             np.array(expected), np.asarray(got, dtype=float),
             "read self.model.optimizer.learning_rate at every epoch")


@_quiet
def check_learning_rate_recorder(LearningRateRecorder) -> None:
    __tracebackhide__ = True
    import keras

    task = "LearningRateRecorder"
    schedule = [0.01, 0.01, 0.005, 0.005, 0.001]
    cb = _new_callback(LearningRateRecorder, (), task, "LearningRateRecorder")
    got = replay_rates(cb, schedule, task)
    _expect_rates(got, schedule, task, "rates set by hand before each of 5 epochs")

    # A real fit where ReduceLROnPlateau halves the rate: min_delta=10 means no epoch ever
    # counts as an improvement, so with patience=1 the rate halves after every epoch but
    # the first.
    x, y, x_val, y_val = tiny_data()
    cb = _new_callback(LearningRateRecorder, (), task, "LearningRateRecorder")
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1,
                                               min_delta=10.0)
    model = tiny_model(learning_rate=0.01)
    try:
        history = model.fit(x, y, validation_data=(x_val, y_val), epochs=4, batch_size=16,
                            verbose=0, callbacks=[cb, reduce])
    except Exception as exc:
        fail(task, f"model.fit with LearningRateRecorder raised {type(exc).__name__}: {exc}")
    expected = ref.reduce_lr_on_plateau(history.history["val_loss"], 0.01, factor=0.5,
                                        patience=1, min_delta=10.0)
    _expect_rates(list(cb.rates), expected, task,
                  "a 4-epoch fit with ReduceLROnPlateau(factor=0.5)")
    passed(task, "one float per epoch, matching the optimizer, ReduceLROnPlateau included")


def _find(cbs, cls, task, what):
    __tracebackhide__ = True
    found = [cb for cb in cbs if isinstance(cb, cls)]
    if len(found) != 1:
        fail(task, f"make_callbacks should return exactly one {what}", 1, len(found),
             f"put keras.callbacks.{what}(...) in the list you return")
    return found[0]


def _callbacks(make_callbacks, folder, patience, task):
    __tracebackhide__ = True
    import keras

    cbs = call(make_callbacks, folder, patience=patience, task=task, name="make_callbacks")
    if not isinstance(cbs, (list, tuple)):
        fail(task, "make_callbacks should return a list of callbacks", "a list",
             type(cbs).__name__)
    es = _find(cbs, keras.callbacks.EarlyStopping, task, "EarlyStopping")
    ck = _find(cbs, keras.callbacks.ModelCheckpoint, task, "ModelCheckpoint")
    return list(cbs), es, ck


def check_callback_settings(es, ck, folder, patience, task="make_callbacks") -> None:
    """The configuration the lab asks for, read from the callbacks' attributes."""
    __tracebackhide__ = True
    if es.monitor != "val_loss":
        fail(task, "EarlyStopping should watch the validation loss", "monitor='val_loss'",
             f"monitor={es.monitor!r}", "the training loss keeps falling while the model "
             "overfits; only the validation loss shows when to stop")
    if not es.restore_best_weights:
        fail(task, "EarlyStopping should put back the best weights when it stops",
             "restore_best_weights=True", "restore_best_weights=False",
             "without it the model keeps the weights of the last, worse epochs")
    if es.patience != patience:
        fail(task, "EarlyStopping should use the patience argument", patience, es.patience,
             "pass patience=patience")
    if abs(es.min_delta) > 0.01:
        fail(task, "EarlyStopping's min_delta should be small", "min_delta <= 0.01",
             abs(es.min_delta), "min_delta is the smallest drop of val_loss that counts as "
             "progress; a large one (such as 0.5) stops training almost at once")
    path = os.fspath(ck.filepath)
    if not path.endswith(".keras"):
        fail(task, "the checkpoint should be a .keras file", "a path ending in .keras", path,
             "Keras 3 saves whole models as .keras; .h5 is the legacy format")
    if os.path.dirname(os.path.abspath(path)) != os.path.abspath(folder):
        fail(task, "the checkpoint should be saved inside the folder you were given",
             os.path.join(folder, "best.keras"), path, "use os.path.join(folder, 'best.keras')")
    if ck.monitor != "val_loss":
        fail(task, "ModelCheckpoint should judge 'best' by the validation loss",
             "monitor='val_loss'", f"monitor={ck.monitor!r}",
             "with monitor='loss' it keeps saving the later, overfitted epochs")
    if not ck.save_best_only:
        fail(task, "ModelCheckpoint should keep only the best model", "save_best_only=True",
             "save_best_only=False", "otherwise every epoch overwrites the file and it ends "
             "up holding the last epoch, not the best one")
    if ck.save_weights_only:
        fail(task, "ModelCheckpoint should save the whole model", "save_weights_only=False",
             "save_weights_only=True", "keras.models.load_model needs the whole model")


@_quiet
def check_make_callbacks(make_callbacks) -> None:
    __tracebackhide__ = True
    import keras

    task = "make_callbacks"
    patience = 2
    with tempfile.TemporaryDirectory() as folder:
        cbs, es, ck = _callbacks(make_callbacks, folder, patience, task)
        check_callback_settings(es, ck, folder, patience, task)

        # A run where validation gets worse as training gets better (flipped labels):
        # early stopping must step in and the checkpoint must hold the best epoch.
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
        best, stopped = ref.early_stopping(val, patience, es.min_delta)
        if stopped is None or len(history.epoch) != stopped + 1:
            fail(task, "early stopping did not stop the tiny run where expected",
                 f"{(stopped + 1) if stopped is not None else epochs} epochs",
                 f"{len(history.epoch)} epochs", "monitor='val_loss' with patience=patience")
        restored = model.evaluate(x_val, y_val, verbose=0, return_dict=True)["loss"]
        if not np.isclose(restored, min(val), rtol=1e-4, atol=1e-6):
            fail(task, "after training the model should hold the best epoch's weights",
                 f"val_loss {min(val):.4f} (epoch {best + 1})", f"val_loss {restored:.4f}",
                 "restore_best_weights=True")
        path = os.fspath(ck.filepath)
        if not os.path.isfile(path):
            fail(task, "no checkpoint file was written", path, "no file")
        reloaded = keras.models.load_model(path)
        same = np.allclose(keras.ops.convert_to_numpy(reloaded(x_val, training=False)),
                           keras.ops.convert_to_numpy(model(x_val, training=False)), atol=1e-5)
        if not same:
            fail(task, "the reloaded checkpoint and the restored model predict differently",
                 f"the epoch-{best + 1} model in both", "different predictions",
                 "save_best_only=True and monitor='val_loss' keep the best epoch on disk")
    passed(task, f"EarlyStopping + ModelCheckpoint agree: stopped after epoch {stopped + 1}, "
           f"best epoch {best + 1} restored and saved")
