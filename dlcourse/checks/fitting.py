"""Checks for lab 09 (overfitting): regularised models, early stopping, reading curves.

Nothing here depends on a training run: models are checked by their structure and by what
they compute on a few inputs, and the curve readers on hand-made histories.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, fail, passed
from dlcourse.reference import fitting as ref

_ANSWERS = set(ref.DIAGNOSES)


# --- Task 1: the model builder ---------------------------------------------------------------

def _layers_of(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def _build(build_model, task, **kwargs):
    import keras

    model = call(build_model, 12, 3, task=task, name="build_model", **kwargs)
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    if not isinstance(model, keras.Model):
        fail(task, f"build_model(12, 3, {shown}) should return a Keras model", "keras.Model",
             type(model).__name__)
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
    return model


def _penalty(model) -> float:
    return float(sum(float(np.asarray(loss)) for loss in model.losses))


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_model"
    hidden = (16, 8)
    model = _build(build_model, task, hidden=hidden)
    dense = _layers_of(model, keras.layers.Dense)
    units = [layer.units for layer in dense]
    if units != [16, 8, 3]:
        fail(task, "build_model(12, 3, hidden=(16, 8)) should have Dense layers 16 -> 8 -> 3",
             [16, 8, 3], units, "one Dense layer per entry of `hidden`, then Dense(n_classes)")
    acts = [layer.activation.__name__ for layer in dense]
    if acts[:2] != ["relu", "relu"]:
        fail(task, "the hidden Dense layers should use ReLU", ["relu", "relu"], acts[:2])
    if acts[2] != "softmax":
        fail(task, "a classifier over n_classes should end in a softmax", "softmax", acts[2])
    expected = (12 * 16 + 16) + (16 * 8 + 8) + (8 * 3 + 3)
    if model.count_params() != expected:
        fail(task, "wrong number of parameters", expected, model.count_params(),
             "keras.Input(shape=(n_features,)) first; no extra layers when l2=0, dropout=0, "
             "batch_norm=False")
    if any(layer.rate > 0 for layer in _layers_of(model, keras.layers.Dropout)):
        fail(task, "with dropout=0 the model should have no dropout", hint="add Dropout layers "
             "only when dropout > 0: the baseline is the unregularised network")
    if _layers_of(model, keras.layers.BatchNormalization):
        fail(task, "with batch_norm=False the model should have no BatchNormalization layer")
    if _penalty(model) > 0:
        fail(task, "with l2=0 nothing should be added to the loss", 0.0, _penalty(model))

    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 12)).astype("float32")
    y = rng.integers(0, 3, size=16)
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    probs = np.asarray(model.predict(x, verbose=0), dtype=float)
    ce = float(-np.mean(np.log(np.clip(probs[np.arange(16), y], 1e-7, 1.0))))
    if not np.isclose(logs["loss"], ce, rtol=1e-3, atol=1e-4):
        fail(task, "the loss should be the sparse categorical cross-entropy", ce, logs["loss"],
             'compile with loss="sparse_categorical_crossentropy" (integer labels 0..K-1)')
    if "accuracy" not in logs:
        fail(task, "the model should report accuracy", "'accuracy' among the metrics",
             sorted(logs), 'compile with metrics=["accuracy"]; it appears in the history as '
             "history.history['accuracy'] and ['val_accuracy']")

    # L2: a penalty l2 * sum(w**2) on the hidden kernels, added to the loss
    model = _build(build_model, task, hidden=hidden, l2=0.01)
    dense = _layers_of(model, keras.layers.Dense)
    hidden_kernels = [np.asarray(layer.kernel) for layer in dense[:-1]]
    all_kernels = hidden_kernels + [np.asarray(dense[-1].kernel)]
    got = _penalty(model)
    options = (ref.l2_penalty(hidden_kernels, 0.01), ref.l2_penalty(all_kernels, 0.01))
    if not any(np.isclose(got, want, rtol=1e-4) for want in options):
        fail(task, "with l2=0.01 the model should add 0.01 * sum(w**2) of the hidden kernels "
             "to the loss", options[0], got,
             "kernel_regularizer=keras.regularizers.L2(l2) on every hidden Dense layer (not L1, "
             "not an activity_regularizer, and use the l2 argument)")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    probs = np.asarray(model.predict(x, verbose=0), dtype=float)
    ce = float(-np.mean(np.log(np.clip(probs[np.arange(16), y], 1e-7, 1.0))))
    if not np.isclose(logs["loss"], ce + got, rtol=1e-3, atol=1e-4):
        fail(task, "with L2 the loss should be cross-entropy + penalty", ce + got, logs["loss"])

    # Dropout: rate = fraction dropped, active only in training
    model = _build(build_model, task, hidden=hidden, dropout=0.2)
    rates = [round(float(layer.rate), 6) for layer in _layers_of(model, keras.layers.Dropout)]
    if rates != [0.2, 0.2]:
        hint = ("Keras' rate is the fraction of units DROPPED, not kept: Dropout(0.2) drops 20 %"
                if 0.8 in rates else "one Dropout(dropout) after each hidden layer")
        fail(task, "with dropout=0.2 there should be a Dropout(0.2) after each hidden layer",
             [0.2, 0.2], rates, hint)
    infer = [np.asarray(model(x, training=False)) for _ in range(2)]
    if not np.allclose(infer[0], infer[1]):
        fail(task, "with dropout the predictions at inference (training=False) changed from "
             "call to call", hint="use keras.layers.Dropout: it is active only in training")
    if np.allclose(np.asarray(model(x, training=True)), infer[0]):
        fail(task, "with dropout=0.2 the training-mode output equals the inference output",
             hint="use keras.layers.Dropout(dropout) after each hidden layer")

    # Batch normalisation: one layer per hidden layer, batch statistics in training
    model = _build(build_model, task, hidden=hidden, batch_norm=True)
    n_bn = len(_layers_of(model, keras.layers.BatchNormalization))
    if n_bn != len(hidden):
        fail(task, "with batch_norm=True there should be one BatchNormalization per hidden layer",
             len(hidden), n_bn)
    if np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x, training=False))):
        fail(task, "batch normalisation should normalise with batch statistics in training",
             hint="use keras.layers.BatchNormalization()")

    model = _build(build_model, task, hidden=(4,), l2=1e-3, dropout=0.5, batch_norm=True)
    kinds = [type(layer).__name__ for layer in model.layers]
    if not {"Dropout", "BatchNormalization"} <= set(kinds) or _penalty(model) <= 0:
        fail(task, "with every option on, the model should have L2, Dropout and "
             "BatchNormalization together", hint="treat the three options independently",
             got=kinds)
    passed(task, "baseline, L2, dropout and batch-norm variants built and compiled")


# --- Task 2: the early-stopping callback -------------------------------------------------------

def check_early_stopping(make_early_stopping) -> None:
    __tracebackhide__ = True
    import keras

    task = "make_early_stopping"
    for patience in (4, 7):
        cb = call(make_early_stopping, patience, task=task, name="make_early_stopping")
        if not isinstance(cb, keras.callbacks.EarlyStopping):
            fail(task, "make_early_stopping should return a keras.callbacks.EarlyStopping",
                 "EarlyStopping", type(cb).__name__)
        if cb.monitor != "val_loss":
            hint = ("the training loss keeps falling while a model overfits, so it never "
                    "triggers: watch the validation loss" if cb.monitor == "loss" else
                    'monitor="val_loss": the validation loss is what rises when the model '
                    "overfits (accuracy can stay flat meanwhile)")
            fail(task, "the callback monitors the wrong quantity", "val_loss", cb.monitor, hint)
        if cb.mode not in ("auto", "min"):
            fail(task, "a loss should be minimised", "mode 'auto' or 'min'", cb.mode)
        if cb.restore_best_weights is not True:
            fail(task, "the model should get back the weights of its best epoch",
                 "restore_best_weights=True", f"restore_best_weights={cb.restore_best_weights!r}",
                 "without it the model keeps the weights of the last epoch, `patience` epochs "
                 "past the best one")
        if cb.patience != patience:
            fail(task, f"make_early_stopping({patience}) should wait {patience} epochs",
                 patience, cb.patience, "pass the patience argument through")
        if cb.min_delta > 0.01:
            fail(task, "min_delta is too large", "a small value such as 0 or 1e-4",
                 cb.min_delta, "an improvement smaller than min_delta does not count; with a "
                 "large one (the 0.5 some tutorials use) nearly every epoch looks like no "
                 "progress")

    # Behaviour, without training: feed the callback a made-up run epoch by epoch.
    cb = call(make_early_stopping, 4, task=task, name="make_early_stopping")
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    val = [1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0, 1.1]
    cb.set_model(model)
    cb.on_train_begin()
    ran = 0
    for epoch, v in enumerate(val):
        model.set_weights([np.full((1, 1), float(epoch + 1)), np.zeros(1)])
        cb.on_epoch_end(epoch, {"loss": 1.0 - 0.05 * epoch, "val_loss": v})
        ran = epoch + 1
        if getattr(model, "stop_training", False):
            break
    cb.on_train_end()
    stop, best = ref.early_stopping(val, 4, cb.min_delta)
    if ran != stop:
        fail(task, "on a run whose validation loss is lowest at epoch 3, the callback with "
             "patience 4 should stop training after epoch 7", stop, ran)
    restored = float(np.asarray(model.get_weights()[0]).reshape(-1)[0])
    if restored != best:
        fail(task, "after stopping, the model should hold the weights of the best epoch",
             f"weights of epoch {best}", f"weights of epoch {restored:g}")
    passed(task, "monitors val_loss, stops after `patience` epochs, restores the best weights")


# --- Task 3: training with a validation set ------------------------------------------------------

class SpyModel:
    """Stands in for a Keras model: records how ``fit`` was called, trains nothing."""

    _ORDER = ("x", "y", "batch_size", "epochs", "verbose", "callbacks", "validation_split",
              "validation_data")

    def __init__(self):
        import keras

        self.calls = []
        self.history = keras.callbacks.History()
        self.history.history = {"loss": [1.0], "val_loss": [1.1]}

    def fit(self, *args, **kwargs):
        args_by_name = dict(zip(self._ORDER, args, strict=False))
        args_by_name.update(kwargs)
        self.calls.append(args_by_name)
        return self.history


def tiny_split(seed: int):
    rng = np.random.default_rng(seed)

    def part(n, offset):
        return (rng.normal(offset, 0.1, size=(n, 4)).astype("float32"),
                rng.integers(0, 3, size=n))

    return {"train": part(20, 0.0), "val": part(8, 5.0), "test": part(10, -5.0)}


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and np.array_equal(a, b)


def check_fit_variant(fit_variant) -> None:
    __tracebackhide__ = True
    import keras

    task = "fit_variant"
    data = tiny_split(0)
    stopper = keras.callbacks.EarlyStopping()
    spy = SpyModel()
    result = call(fit_variant, spy, data, 5, [stopper], task=task, name="fit_variant")
    if len(spy.calls) != 1:
        fail(task, "fit_variant should call model.fit exactly once", 1, len(spy.calls))
    args = spy.calls[0]
    if not (_same(args.get("x"), data["train"][0]) and _same(args.get("y"), data["train"][1])):
        fail(task, "the model should be trained on data['train']",
             hint="x_train, y_train = data['train']; model.fit(x_train, y_train, ...)")
    vd = args.get("validation_data")
    if vd is None:
        fail(task, "the model was not given the validation set",
             "validation_data=data['val']", f"validation_split={args.get('validation_split')}"
             if args.get("validation_split") else None,
             "pass validation_data=data['val'] so the history has val_loss for every epoch "
             "(early stopping needs it too)")
    vd = tuple(vd)
    if len(vd) >= 2 and _same(vd[0], data["test"][0]):
        fail(task, "the model is validated on the TEST set", hint="the test set is not a "
             "validation set: it is used once, at the very end, to report the chosen model. "
             "Validate on data['val']")
    if len(vd) < 2 or not (_same(vd[0], data["val"][0]) and _same(vd[1], data["val"][1])):
        fail(task, "validation_data should be the validation set", hint="validation_data="
             "data['val'] (a tuple (x_val, y_val))")
    if args.get("epochs") != 5:
        fail(task, "fit_variant(model, data, 5, ...) should train for 5 epochs", 5,
             args.get("epochs"), "pass epochs=epochs to model.fit")
    callbacks = list(args.get("callbacks") or [])
    if stopper not in callbacks:
        fail(task, "the callbacks were not passed to model.fit",
             hint="model.fit(..., callbacks=list(callbacks))")
    if result is not spy.history:
        fail(task, "fit_variant should return what model.fit returns (the History object)",
             "keras.callbacks.History", type(result).__name__,
             "return model.fit(...); the curves are in its .history dict")
    spy = SpyModel()
    call(fit_variant, spy, data, 3, task=task, name="fit_variant")
    if spy.calls and spy.calls[0].get("epochs") != 3:
        fail(task, "callbacks should be optional: fit_variant(model, data, 3) should train "
             "3 epochs", 3, spy.calls[0].get("epochs"))
    passed(task, "trains on data['train'], validates on data['val'], returns the History")


# --- Task 4: the best epoch ---------------------------------------------------------------------

_HISTORY = {
    "loss": [1.00, 0.80, 0.62, 0.50, 0.41, 0.33, 0.26],
    "accuracy": [0.60, 0.70, 0.78, 0.82, 0.86, 0.89, 0.92],
    "val_loss": [1.05, 0.86, 0.74, 0.70, 0.72, 0.79, 0.88],
    "val_accuracy": [0.58, 0.67, 0.72, 0.73, 0.75, 0.74, 0.73],
}


def check_best_epoch(best_epoch) -> None:
    __tracebackhide__ = True
    task = "best_epoch"
    got = call(best_epoch, {k: list(v) for k, v in _HISTORY.items()}, task=task,
               name="best_epoch")
    if not isinstance(got, (int, np.integer)) or isinstance(got, bool):
        fail(task, "best_epoch should return an int", "4", f"{got!r} ({type(got).__name__})",
             "wrap the result in int(...)")
    hints = {
        3: "epochs are counted from 1, as Keras prints them: add 1 to np.argmin's index",
        7: "that is the epoch of the lowest TRAINING loss; it keeps falling while the model "
           "overfits - use history['val_loss']",
        5: "that is the best val_accuracy; this lab picks the epoch by the validation loss",
    }
    if got != 4:
        fail(task, "wrong best epoch: the validation loss is lowest (0.70) at epoch 4", 4,
             got, hints.get(int(got), "np.argmin(history['val_loss']) + 1"))
    tie = {"loss": [1.0, 0.9, 0.8, 0.7], "val_loss": [1.0, 0.6, 0.6, 0.7]}
    got = call(best_epoch, tie, task=task, name="best_epoch")
    if got != 2:
        fail(task, "on a tie the first best epoch should win", 2, got,
             "np.argmin returns the first minimum")
    passed(task, "epoch of the lowest validation loss, counted from 1")


# --- Task 5: reading the curves -----------------------------------------------------------------

def _diagnose_cases():
    over = ref.synthetic_history("overfit", 30)
    good = ref.synthetic_history("good fit", 30)
    under = ref.synthetic_history("underfit", 30)
    dropout_good = {"loss": list(np.asarray(good["loss"]) * 1.15),
                    "val_loss": list(good["loss"])}
    spike = {"loss": list(good["loss"]), "val_loss": list(good["val_loss"])}
    spike["val_loss"][-1] *= 1.15
    return [
        ("a textbook overfit (validation loss turns up after epoch 10)", over, "overfit",
         "compare the end of the VALIDATION loss with its minimum; the training loss alone "
         "always looks fine when a model overfits"),
        ("a textbook good fit (both curves fall and flatten together)", good, "good fit",
         "the validation loss never rises and the training loss falls far below its start"),
        ("a textbook underfit (both curves stay high)", under, "underfit",
         "the training loss ends above half its first-epoch value: the model has not learned "
         "much"),
        ("a good fit with dropout: validation loss BELOW the training loss", dropout_good,
         "good fit", "validation below training usually means dropout/regularisation is active "
         "in training only; it is not a problem"),
        ("a good fit whose last epoch alone is 15 % worse (noise)", spike, "good fit",
         "use the mean of the last 3 epochs as the end of a curve: one noisy epoch is not a "
         "trend"),
    ] + [
        (f"a noisy {kind} (2 % jitter, seed {seed})",
         ref.synthetic_history(kind, epochs, noise=0.02, seed=seed), kind,
         "follow the three rules in order: overfit, then underfit, then good fit")
        for seed, (kind, epochs) in enumerate([("overfit", 12), ("underfit", 40),
                                               ("good fit", 20), ("overfit", 60)])
    ]


def check_diagnose(diagnose) -> None:
    __tracebackhide__ = True
    task = "diagnose"
    for what, history, want, hint in _diagnose_cases():
        got = call(diagnose, {k: list(v) for k, v in history.items()}, task=task,
                   name="diagnose")
        if got not in _ANSWERS:
            fail(task, "diagnose should return one of three strings", sorted(_ANSWERS), got,
                 'exactly "underfit", "overfit" or "good fit"')
        if got != want:
            fail(task, f"wrong diagnosis for {what}", want, got, hint)
    passed(task, "under-, over- and good fit read correctly, noise included")
