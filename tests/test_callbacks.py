"""Lab 10: the answer key against Keras 3's own callbacks; the visible checks and the hidden
tests accept the key's answers and reject typical wrong ones."""

import os
from pathlib import Path

import numpy as np
import pytest
from answer_key import callbacks as ref

from dlcourse.checks import callbacks as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = Path(__file__).resolve().parents[1] / "solutions/10-callbacks/10-callbacks.ipynb"


@pytest.fixture(scope="module")
def answers(keras):
    """The key's answers and the wrong answers students write, as plain classes."""
    StopAtThreshold = ref.StopAtThreshold
    LearningRateRecorder = ref.LearningRateRecorder

    def stopper(rule):
        class Wrong(StopAtThreshold):
            def on_epoch_end(self, epoch, logs=None):
                rule(self, epoch, logs or {})
        return Wrong

    def stop(self):
        self.model.stop_training = True

    def strict(self, epoch, logs):
        if logs[self.metric] > self.threshold:
            stop(self)

    def seed_style(self, epoch, logs):  # logs.get(...) >= threshold: TypeError when missing
        if logs.get(self.metric) >= self.threshold:
            stop(self)

    def silent(self, epoch, logs):
        if logs.get(self.metric, 0.0) >= self.threshold:
            stop(self)

    def hard_coded(self, epoch, logs):
        if self.metric not in logs:
            raise KeyError(f"{self.metric} is not in the logs: {sorted(logs)}")
        if logs["accuracy"] >= self.threshold:
            stop(self)

    def guarded(check_first):
        def rule(self, epoch, logs):
            if self.metric not in logs:
                raise KeyError(f"{self.metric} is not in the logs: {sorted(logs)}")
            check_first(self, epoch, logs)
        return rule

    def resets(self, epoch, logs):
        self.model.stop_training = logs[self.metric] >= self.threshold

    def rounded(self, epoch, logs):
        if round(logs[self.metric], 2) >= self.threshold:
            stop(self)

    def skips_first(self, epoch, logs):
        if epoch > 0 and logs[self.metric] >= self.threshold:
            stop(self)

    def key_only(self, epoch, logs):
        if self.metric not in logs:
            raise KeyError(f"{self.metric} is missing")
        if logs[self.metric] >= self.threshold:
            stop(self)

    def recorder(record, hook="on_epoch_begin"):
        class Wrong(LearningRateRecorder):
            def on_epoch_begin(self, epoch, logs=None):
                pass
        setattr(Wrong, hook, lambda self, *args: self.rates.append(record(self)))
        return Wrong

    def rate(self):
        return float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))

    class SharedList(LearningRateRecorder):
        rates = []

        def __init__(self):
            keras.callbacks.Callback.__init__(self)

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
        stop=StopAtThreshold, strict=stopper(guarded(strict)), seed_style=stopper(seed_style),
        silent=stopper(silent), hard_coded=stopper(hard_coded),
        resets=stopper(guarded(resets)), rounded=stopper(guarded(rounded)),
        skips_first=stopper(guarded(skips_first)), key_only=stopper(key_only),
        recorder=LearningRateRecorder,
        at_end=recorder(rate, "on_epoch_end"),
        once=recorder(rate, "on_train_begin"),
        per_batch=recorder(rate, "on_train_batch_begin"),
        variable=recorder(lambda self: self.model.optimizer.learning_rate),
        round_rate=recorder(lambda self: round(rate(self), 4)),
        shared=SharedList,
        make=make_callbacks,
        loss_monitor=variant(es_monitor="loss"),
        no_restore=variant(es_restore_best_weights=False),
        every_epoch=variant(ck_save_best_only=False),
        ck_loss=variant(ck_monitor="loss"),
        ck_accuracy=variant(ck_monitor="val_accuracy"),
        h5=variant(name="best.h5"),
        other_name=variant(name="model.keras"),
        big_delta=variant(es_min_delta=0.5),
        no_delta=variant(es_min_delta=0.0),
        delta_1e3=variant(es_min_delta=1e-3),
        es_max=variant(es_mode="max"),
        fixed_patience=lambda folder, patience=3: make_callbacks(folder, 2),
        default_5=lambda folder, patience=5: make_callbacks(folder, patience),
        swapped=lambda folder, patience=3: make_callbacks(folder, patience)[::-1],
        extra=lambda folder, patience=3: [*make_callbacks(folder, patience),
                                          keras.callbacks.TerminateOnNaN()],
    )


# -- the answer key against Keras -------------------------------------------------------------

def test_threshold_stop_epoch():
    assert ref.threshold_stop_epoch([0.3, 0.6, 0.7], 0.6) == 1
    assert ref.threshold_stop_epoch([0.3, 0.5], 0.6) is None
    assert ref.threshold_stop_epoch([0.9], 0.6) == 0


@pytest.mark.parametrize("trial", range(12))
def test_early_stopping_matches_keras(keras, trial):
    rng = np.random.default_rng(trial)
    values = np.cumsum(rng.normal(0.0, 0.1, size=15)) + 2.0
    patience = int(rng.integers(0, 4))
    min_delta = float(rng.choice([0.0, 1e-3, 0.05]))
    es = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                       min_delta=min_delta, restore_best_weights=True)
    assert ref.replay_early_stopping(es, values, check.tiny_model()) == ref.early_stopping(
        values, patience, min_delta)


def test_hidden_loss_curves_match_keras(keras):
    """The hidden curves sit on the edges of min_delta=1e-4; Keras agrees with the key."""
    rng = np.random.default_rng(5)
    model = check.tiny_model()
    for patience in (1, 2, 4):
        for _ in range(4):
            values = ref.val_losses(rng)
            es = ref.make_callbacks(".", patience)[0]
            assert ref.replay_early_stopping(es, values, model) == ref.early_stopping(
                values, patience, ref.MIN_DELTA)


def test_stored_early_stops_are_the_keys():
    for patience, expected in check._EARLY_STOPS.items():
        assert ref.early_stopping(check._VAL_LOSSES, patience, ref.MIN_DELTA) == expected
    for patience, min_delta in ((1, 1e-4), (4, 1e-4), (3, 0.0), (3, 1e-3)):
        assert ref.early_stopping(check._VAL_LOSSES, patience, min_delta) != (5, 8)


def test_stored_stop_cases_are_the_keys():
    for _, threshold, values, _, others, expected, _ in check._STOP_CASES:
        stops = [e for e, v in enumerate(values) if e in others or v >= threshold]
        assert (stops[0] if stops else None) == expected
        if not others:
            assert ref.threshold_stop_epoch(values, threshold) == expected


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


def test_schedule_rates_match_a_real_fit(keras):
    schedule = keras.optimizers.schedules.ExponentialDecay(0.02, 2, 0.6)
    model, recorder = check.tiny_model(learning_rate=schedule), ref.LearningRateRecorder()
    x, y, _, _ = check.tiny_data()
    model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[recorder])
    assert np.allclose(recorder.rates, ref.exponential_decay_rates(0.02, 0.6, 2, 3, 4),
                       rtol=1e-6)


# -- visible checks ---------------------------------------------------------------------------

def test_key_passes_the_checks(answers, capsys):
    check.check_stop_at_threshold(answers["stop"])
    check.check_learning_rate_recorder(answers["recorder"])
    check.check_make_callbacks(answers["make"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 3
    assert out.err == ""


@pytest.mark.parametrize("name, message", [
    ("strict", r"use >= \(not >\)"),
    ("seed_style", "confusing TypeError"),
    ("silent", "passed silently"),
    ("hard_coded", "must not matter|stop after epoch 1"),
    ("resets", "never back to False"),
    ("rounded", "no rounding"),
    ("skips_first", "epoch 0 included"),
    ("key_only", "list the keys"),
])
def test_stop_at_threshold_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_stop_at_threshold(answers[name])


@pytest.mark.parametrize("name, message", [
    ("once", "recorded once"),
    ("per_batch", "once per batch"),
    ("variable", "plain numbers"),
    ("at_end", "next epoch's rate"),
    ("round_rate", "do not round them"),
    ("shared", "start with an empty list"),
])
def test_recorder_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_learning_rate_recorder(answers[name])


@pytest.mark.parametrize("name, message", [
    ("loss_monitor", "watch the validation loss"),
    ("es_max", "watch the validation loss"),
    ("no_restore", "best weights"),
    ("every_epoch", "only the best model"),
    ("ck_loss", "judge 'best' by the lowest validation loss"),
    ("ck_accuracy", "judge 'best' by the lowest validation loss"),
    ("h5", r"\.keras file"),
    ("other_name", "best.keras inside the folder"),
    ("big_delta", "min_delta should be 1e-4"),
    ("no_delta", "min_delta should be 1e-4"),
    ("delta_1e3", "min_delta should be 1e-4"),
    ("fixed_patience", "use the patience argument"),
    ("default_5", "use the patience argument"),
    ("swapped", r"should return \[early_stopping, checkpoint\]"),
    ("extra", r"should return \[early_stopping, checkpoint\]"),
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


# -- hidden tests -----------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(keras, cell_id, **answer):
    exec(_hidden(cell_id), {"np": np, "os": os, "keras": keras, **answer})  # noqa: S102


@pytest.mark.parametrize("cell_id, name, answer", [
    ("test_StopAtThreshold", "StopAtThreshold", "stop"),
    ("test_LearningRateRecorder", "LearningRateRecorder", "recorder"),
    ("test_make_callbacks", "make_callbacks", "make"),
])
def test_hidden_tests_accept_the_key(keras, answers, cell_id, name, answer):
    _run_hidden(keras, cell_id, **{name: answers[answer]})


@pytest.mark.parametrize("cell_id, name, answer", [
    *[("test_StopAtThreshold", "StopAtThreshold", wrong) for wrong in (
        "strict", "seed_style", "silent", "hard_coded", "resets", "rounded", "skips_first",
        "key_only")],
    *[("test_LearningRateRecorder", "LearningRateRecorder", wrong) for wrong in (
        "at_end", "once", "per_batch", "variable", "round_rate", "shared")],
    *[("test_make_callbacks", "make_callbacks", wrong) for wrong in (
        "loss_monitor", "es_max", "no_restore", "every_epoch", "ck_loss", "ck_accuracy", "h5",
        "other_name",
        "big_delta", "no_delta", "delta_1e3", "fixed_patience", "default_5", "swapped",
        "extra")],
])
def test_hidden_tests_reject_wrong_answers(keras, answers, cell_id, name, answer):
    with pytest.raises(Exception):  # noqa: B017 - an assertion or the answer's own error
        _run_hidden(keras, cell_id, **{name: answers[answer]})


def test_hidden_min_delta_and_patience_replays_matter(keras):
    """Even with its settings read correctly, the hidden replays alone tell min_delta=1e-4
    from 0 or 1e-3, and the patience asked for from one more or one less."""
    rng = np.random.default_rng(103)
    runs = [(patience, ref.val_losses(rng)) for patience in (4, 7, 2, 5) for _ in range(3)]
    right = [ref.early_stopping(c, p, 1e-4) for p, c in runs]
    for shift, delta in ((0, 0.0), (0, 1e-3), (1, 1e-4), (-1, 1e-4)):
        assert right != [ref.early_stopping(c, p + shift, delta) for p, c in runs]
