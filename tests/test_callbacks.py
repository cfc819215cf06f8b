"""Lab 10: the callback references against Keras 3's own callbacks, and the checks."""

import os

import numpy as np
import pytest

from dlcourse.checks import callbacks as check
from dlcourse.checks.core import CheckFailed
from dlcourse.reference import callbacks as ref

RNG = np.random.default_rng(10)


@pytest.fixture(scope="module")
def keras():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras
    return keras


@pytest.fixture(scope="module")
def answers(keras):
    """The lab's solutions and the wrong answers students write, as plain classes."""

    class StopAtThreshold(keras.callbacks.Callback):
        def __init__(self, metric="accuracy", threshold=0.6):
            super().__init__()
            self.metric, self.threshold = metric, threshold

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.metric not in logs:
                raise KeyError(f"{self.metric!r} is not in the logs: {sorted(logs)}")
            if logs[self.metric] >= self.threshold:
                self.model.stop_training = True

    class StrictGreater(StopAtThreshold):
        def on_epoch_end(self, epoch, logs=None):
            if logs[self.metric] > self.threshold:
                self.model.stop_training = True

    class SeedStyle(StopAtThreshold):  # logs.get(...) > threshold: TypeError when missing
        def on_epoch_end(self, epoch, logs=None):
            if logs.get(self.metric) >= self.threshold:
                self.model.stop_training = True

    class SilentMissing(StopAtThreshold):
        def on_epoch_end(self, epoch, logs=None):
            if logs.get(self.metric, 0.0) >= self.threshold:
                self.model.stop_training = True

    class HardCoded(StopAtThreshold):
        def on_epoch_end(self, epoch, logs=None):
            if logs["accuracy"] >= 0.6:
                self.model.stop_training = True

    class LearningRateRecorder(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.rates = []

        def on_epoch_begin(self, epoch, logs=None):
            lr = self.model.optimizer.learning_rate
            self.rates.append(float(keras.ops.convert_to_numpy(lr)))

    class RecordAtEnd(LearningRateRecorder):
        def on_epoch_begin(self, epoch, logs=None):
            pass

        def on_epoch_end(self, epoch, logs=None):
            self.rates.append(float(self.model.optimizer.learning_rate.numpy()))

    class RecordOnce(LearningRateRecorder):
        def on_epoch_begin(self, epoch, logs=None):
            pass

        def on_train_begin(self, logs=None):
            self.rates.append(float(keras.ops.convert_to_numpy(
                self.model.optimizer.learning_rate)))

    class RecordVariable(LearningRateRecorder):
        def on_epoch_begin(self, epoch, logs=None):
            self.rates.append(self.model.optimizer.learning_rate)

    def make_callbacks(folder, patience=3, **changes):
        es = dict(monitor="val_loss", min_delta=1e-4, patience=patience,
                  restore_best_weights=True)
        ck = dict(monitor="val_loss", save_best_only=True)
        name = changes.pop("name", "best.keras")
        for key, value in changes.items():
            (es if key.startswith("es_") else ck)[key[3:]] = value
        return [keras.callbacks.EarlyStopping(**es),
                keras.callbacks.ModelCheckpoint(os.path.join(folder, name), **ck)]

    def variant(**changes):
        return lambda folder, patience=3: make_callbacks(folder, patience, **changes)

    return dict(
        stop=StopAtThreshold, strict=StrictGreater, seed_style=SeedStyle,
        silent=SilentMissing, hard_coded=HardCoded,
        recorder=LearningRateRecorder, at_end=RecordAtEnd, once=RecordOnce,
        variable=RecordVariable,
        make=make_callbacks,
        loss_monitor=variant(es_monitor="loss"),
        no_restore=variant(es_restore_best_weights=False),
        every_epoch=variant(ck_save_best_only=False),
        ck_loss=variant(ck_monitor="loss"),
        h5=variant(name="best.h5"),
        big_delta=variant(es_min_delta=0.5),
    )


# -- references -----------------------------------------------------------------------------

def test_threshold_stop_epoch():
    assert ref.threshold_stop_epoch([0.3, 0.6, 0.7], 0.6) == 1
    assert ref.threshold_stop_epoch([0.3, 0.5], 0.6) is None
    assert ref.threshold_stop_epoch([0.9], 0.6) == 0


def _replay_keras(cb, model, values, key="val_loss"):
    cb.set_model(model)
    model.stop_training = False
    cb.on_train_begin({})
    for epoch, value in enumerate(values):
        cb.on_epoch_begin(epoch, {})
        cb.on_epoch_end(epoch, {"loss": 1.0, key: float(value)})
        if model.stop_training:
            return epoch
    return None


@pytest.mark.parametrize("trial", range(12))
def test_early_stopping_matches_keras(keras, trial):
    rng = np.random.default_rng(trial)
    values = np.cumsum(rng.normal(0.0, 0.1, size=15)) + 2.0
    patience = int(rng.integers(0, 4))
    min_delta = float(rng.choice([0.0, 1e-3, 0.05]))
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                       min_delta=min_delta, restore_best_weights=True)
    stopped = _replay_keras(es, check.tiny_model(), values)
    best, expected = ref.early_stopping(values, patience, min_delta)
    assert stopped == expected
    assert es.best_epoch == best


@pytest.mark.parametrize("trial", range(12))
def test_reduce_lr_on_plateau_matches_keras(keras, trial):
    rng = np.random.default_rng(100 + trial)
    values = np.cumsum(rng.normal(0.0, 0.1, size=12)) + 2.0
    kwargs = dict(factor=float(rng.choice([0.1, 0.5])), patience=int(rng.integers(1, 3)),
                  min_delta=float(rng.choice([1e-4, 0.05])), min_lr=1e-4)
    model = check.tiny_model(learning_rate=0.01)
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", **kwargs)
    reduce.set_model(model)
    reduce.on_train_begin({})
    seen = []
    for epoch, value in enumerate(values):
        seen.append(check.current_lr(model))
        reduce.on_epoch_end(epoch, {"val_loss": float(value)})
    assert np.allclose(seen, ref.reduce_lr_on_plateau(values, 0.01, **kwargs), rtol=1e-6)


# -- checks: the solutions pass ---------------------------------------------------------------

def test_solutions_pass(answers, capsys):
    check.check_stop_at_threshold(answers["stop"])
    check.check_learning_rate_recorder(answers["recorder"])
    check.check_learning_rate_recorder(answers["at_end"])
    check.check_make_callbacks(answers["make"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 4
    assert out.err == ""


# -- checks: typical wrong answers fail with the right hint -----------------------------------

@pytest.mark.parametrize("name, message", [
    ("strict", "use >=, not >"),
    ("seed_style", "confusing TypeError"),
    ("silent", "passed silently"),
    ("hard_coded", "raised KeyError"),
])
def test_stop_at_threshold_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_stop_at_threshold(answers[name])


@pytest.mark.parametrize("name, message", [
    ("once", "recorded once"),
    ("variable", "plain numbers"),
])
def test_recorder_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_learning_rate_recorder(answers[name])


@pytest.mark.parametrize("name, message", [
    ("loss_monitor", "watch the validation loss"),
    ("no_restore", "best weights"),
    ("every_epoch", "only the best model"),
    ("ck_loss", "judge 'best' by the validation loss"),
    ("h5", r"\.keras file"),
    ("big_delta", "min_delta should be small"),
])
def test_make_callbacks_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_make_callbacks(answers[name])


def test_flipped_validation_run_stops_early(keras, answers, tmp_path):
    """The tiny run in check_make_callbacks really exercises early stopping."""
    x, y, x_val, y_val = check.tiny_data(flip_validation=True)
    model = check.tiny_model()
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=10, batch_size=16,
                        verbose=0, callbacks=answers["make"](str(tmp_path), patience=2))
    assert len(history.epoch) < 10
    val = history.history["val_loss"]
    assert int(np.argmin(val)) < len(val) - 1
