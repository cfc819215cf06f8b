"""Lab 09: the NumPy regularisers against Keras, the curve readers, and the checks."""

import numpy as np
import pytest
from answer_key import fitting as ref

from dlcourse.checks import fitting as check

RNG = np.random.default_rng(9)


# --- the lab's solutions, as a student would write them ----------------------------------------

def _build_model(keras, wrong=None):
    def build_model(n_features, n_classes, hidden=(256, 256), l2=0.0, dropout=0.0,
                    batch_norm=False):
        layers = [keras.Input(shape=(n_features,))]
        for units in hidden:
            if wrong == "input-dropout" and dropout > 0:
                layers.append(keras.layers.Dropout(dropout))
            reg = keras.regularizers.L2(0.01 if wrong == "fixed-l2" else l2) if l2 > 0 else None
            if wrong == "l1" and l2 > 0:
                reg = keras.regularizers.L1(l2)
            if batch_norm and wrong == "bn-after-relu":
                layers += [keras.layers.Dense(units, activation="relu", kernel_regularizer=reg),
                           keras.layers.BatchNormalization()]
            elif batch_norm:
                layers += [keras.layers.Dense(units, kernel_regularizer=reg),
                           keras.layers.BatchNormalization(), keras.layers.Activation("relu")]
            else:
                layers.append(keras.layers.Dense(units, activation="relu",
                                                 kernel_regularizer=reg))
            if dropout > 0 and wrong != "input-dropout":
                rate = 1 - dropout if wrong == "keep-prob" else dropout
                layers.append(keras.layers.Dropout(rate))
        out_reg = keras.regularizers.L2(l2) if l2 > 0 and wrong == "l2-output" else None
        layers.append(keras.layers.Dense(n_classes, activation="softmax",
                                         kernel_regularizer=out_reg))
        model = keras.Sequential(layers)
        optimizer = {"sgd": keras.optimizers.SGD(learning_rate=1e-3),
                     "lr": keras.optimizers.Adam(learning_rate=1e-2),
                     "adamw": keras.optimizers.AdamW(learning_rate=1e-3),
                     "amsgrad": keras.optimizers.Adam(learning_rate=1e-3, amsgrad=True)}.get(
            wrong, keras.optimizers.Adam(learning_rate=1e-3))
        loss = ("categorical_crossentropy" if wrong == "loss" else
                keras.losses.SparseCategoricalCrossentropy(from_logits=True)
                if wrong == "logits" else "sparse_categorical_crossentropy")
        ce = keras.metrics.SparseCategoricalCrossentropy(name="ce")
        metrics = {"mae": [ce, "accuracy", "mae"], "no-metric": [], "no-ce": ["accuracy"],
                   "ce-string": ["sparse_categorical_crossentropy", "accuracy"],
                   "ce-logits": [keras.metrics.SparseCategoricalCrossentropy(
                       name="ce", from_logits=True), "accuracy"],
                   "ce-accuracy": [keras.metrics.SparseCategoricalAccuracy(name="ce"),
                                   "accuracy"]}.get(wrong, [ce, "accuracy"])
        model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
        return model

    return build_model


def _make_early_stopping(keras, **overrides):
    def make_early_stopping(patience=5, min_delta=1e-4):
        kwargs = dict(monitor="val_ce", mode="min", min_delta=min_delta, patience=patience,
                      restore_best_weights=True)
        kwargs.update(overrides)
        return keras.callbacks.EarlyStopping(**kwargs)

    return make_early_stopping


def _fit_variant(split="val", **overrides):
    def fit_variant(model, data, epochs, callbacks=()):
        x_train, y_train = data["train"]
        kwargs = dict(validation_data=data[split], epochs=epochs, batch_size=32,
                      callbacks=list(callbacks), verbose=0)
        kwargs.update(overrides)
        return model.fit(x_train, y_train, **kwargs)

    return fit_variant


@pytest.mark.parametrize("overrides, match", [
    ({"batch_size": 64}, "batch size"), ({"shuffle": False}, "shuffle"),
    ({"verbose": 1}, "silent"), ({"verbose": "auto"}, "silent"), ({"epochs": 20}, "epochs"),
    ({"callbacks": []}, "exactly the callbacks"), ({"initial_epoch": 1}, "initial_epoch"),
])
def test_fit_argument_mistakes(keras, overrides, match):
    with pytest.raises(AssertionError, match=match):
        check.check_fit_variant(_fit_variant(**overrides))
    data = ref.tiny_split(1)
    got, want = ref.FitSpy(), ref.FitSpy()
    callbacks = (keras.callbacks.History(),)
    _fit_variant(**overrides)(got, data, 7, callbacks)
    ref.fit_variant(want, data, 7, callbacks)
    assert not ref.same_fit_call(got.calls[0], want.calls[0])
    ref.fit_variant(got, data, 7, callbacks)
    assert ref.same_fit_call(got.calls[1], want.calls[0])


# --- reference against Keras --------------------------------------------------------------------

def test_l2_penalty_matches_keras_regulariser(keras):
    w = RNG.normal(size=(5, 3))
    got = float(np.asarray(keras.regularizers.L2(0.01)(w.astype("float32"))))
    assert np.isclose(ref.l2_penalty([w], 0.01), got, rtol=1e-5)
    assert ref.l2_penalty([w, w], 0.5) == pytest.approx(np.sum(w**2))


def _dropout(wrong=None):
    def dropout(x, rate, rng, training=True):
        if not training:
            return x / (1 - rate) if wrong == "scale-at-inference" else x.copy()
        draw = {"global": lambda: np.random.random(x.shape),
                "fresh": lambda: np.random.default_rng().random(x.shape),
                "twice": lambda: (rng.random(), rng.random(x.shape))[1]}.get(
            wrong, lambda: rng.random(x.shape))
        u = draw()
        keep = {"keep-prob": u < rate, "other-mask": u < 1 - rate}.get(wrong, u >= rate)
        if wrong == "in-place":
            x *= keep / (1 - rate)
            return x
        scale = 1.0 if wrong == "no-rescale" else 1 / (1 - rate)
        out = x * keep * scale
        return out.ravel() if wrong == "flat" else out

    return dropout


@pytest.mark.parametrize("wrong, match", [
    ("no-rescale", "keeps the survivors"), ("scale-at-inference", "no scaling at inference"),
    ("keep-prob", "1 - rate"), ("global", "did not use the generator"),
    ("fresh", "did not use the generator"), ("in-place", "changed x itself"),
    ("other-mask", "another mask"), ("twice", "another mask"), ("flat", "same shape"),
])
def test_dropout_mistakes(wrong, match):
    with pytest.raises(AssertionError, match=match):
        check.check_dropout(_dropout(wrong))


def test_dropout_stored_cases_match_the_key():
    for _, make_x, rate, seed, want, following in check._DROPOUT_CASES:
        rng = np.random.default_rng(seed)
        assert np.allclose(ref.dropout(make_x(), rate, rng), want, rtol=1e-12, atol=0)
        assert rng.random() == following


def test_dropout_matches_keras_scaling(keras):
    x = RNG.uniform(1, 2, size=(200, 50))
    mine = ref.dropout(x, 0.3, np.random.default_rng(0))
    theirs = np.asarray(keras.layers.Dropout(0.3, seed=1)(x.astype("float32"), training=True))
    for out in (mine, theirs):
        kept = out != 0
        assert np.allclose(out[kept], x[kept] / 0.7, rtol=1e-5)
        assert abs(1 - kept.mean() - 0.3) < 0.02
    assert np.allclose(np.asarray(keras.layers.Dropout(0.3)(x, training=False)), x)
    assert np.array_equal(ref.dropout(x, 0.3, None, training=False), x)
    with pytest.raises(ValueError, match="fraction"):
        ref.dropout(x, 1.0, np.random.default_rng(0))


def test_batch_norm_matches_keras_in_training(keras):
    x = RNG.normal(3, 2, size=(32, 6)).astype("float32")
    layer = keras.layers.BatchNormalization()
    got = np.asarray(layer(x, training=True))
    assert np.allclose(ref.batch_norm(x), got, atol=1e-4)
    assert np.allclose(ref.batch_norm(x).mean(axis=0), 0, atol=1e-6)


@pytest.mark.parametrize("patience", [1, 2, 3, 5])
@pytest.mark.parametrize("min_delta", [0.0, 0.05])
def test_early_stopping_matches_keras(keras, patience, min_delta):
    rng = np.random.default_rng(patience)
    for _ in range(5):
        val = list(np.cumsum(rng.normal(0, 0.1, size=15)) + 2)
        cb = keras.callbacks.EarlyStopping(monitor="val_ce", mode="min", patience=patience,
                                           min_delta=min_delta, restore_best_weights=True)
        assert ref.early_stopping(val, patience, min_delta) == ref.replay(cb, val)


def test_replay_tells_val_loss_from_val_ce(keras):
    rng = np.random.default_rng(3)
    differ = 0
    for _ in range(20):
        val = list(1 + np.cumsum(rng.normal(-0.01, 0.04, size=15)))
        cb = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                           restore_best_weights=True)
        differ += ref.replay(cb, val) != ref.early_stopping(val, 3)
    assert differ >= 10


def test_stored_answers_of_the_checks_match_the_key(keras):
    for (patience, min_delta, values), want in check._RUNS:
        assert ref.early_stopping(values, patience, min_delta) == want
        assert ref.replay(ref.make_early_stopping(patience, min_delta), values) == want
    for _, history, want, _ in check._DIAGNOSE_CASES:
        assert ref.diagnose(history) == want
    for _, history, want, _ in check._BEST:
        assert ref.best_epoch(history) == want
    assert ref.best_epoch(check._HISTORY) == 4
    assert int(np.argmin(check._HISTORY["val_loss"])) + 1 == 6
    for args, kwargs, want in check._MODELS:
        model = ref.build_model(*args, **kwargs)
        assert check.layout(model) == ref.layout(model) == want


# --- curve readers ------------------------------------------------------------------------------

def test_best_epoch_counts_from_one_and_takes_the_first_tie():
    assert ref.best_epoch({"val_ce": [3, 2, 1, 1, 2], "val_loss": [5, 4, 3, 2, 1]}) == 3
    assert ref.best_epoch({"ce": [1], "val_ce": [0.5]}) == 1
    with pytest.raises(KeyError, match="val_ce"):
        ref.best_epoch({"loss": [1.0], "val_loss": [1.0]})


@pytest.mark.parametrize("kind", ref.DIAGNOSES)
def test_synthetic_histories_are_diagnosed_as_made(kind):
    for epochs in (6, 10, 30, 100):
        for seed in range(20):
            history = ref.synthetic_history(kind, epochs, noise=0.02, seed=seed)
            assert len(history["ce"]) == len(history["val_ce"]) == epochs
            assert history["loss"] == history["ce"]
            assert ref.diagnose(history) == kind
            assert ref.diagnose(ref.synthetic_history(kind, epochs, 0.02, seed,
                                                      penalty=0.7)) == kind


def test_diagnose_follows_its_rules():
    rising = {"ce": [2.0, 1.0, 0.5, 0.3, 0.2, 0.1], "val_ce": [2.0, 1.0, 0.9, 1.0, 1.1, 1.2]}
    assert ref.diagnose(rising) == "overfit"
    slow = {"ce": [2.0, 1.9, 1.8, 1.7, 1.6, 1.5], "val_ce": [2.0, 1.9, 1.8, 1.7, 1.6, 1.5]}
    assert ref.diagnose(slow) == "underfit"
    assert ref.diagnose(slow, halved=0.8) == "good fit"
    with pytest.raises(ValueError):
        ref.synthetic_history("perfect")


# --- checks: the solution passes, typical mistakes fail with the right hint ----------------------

def test_solutions_pass_every_check(keras, capsys):
    check.check_build_model(_build_model(keras))
    check.check_dropout(_dropout())
    check.check_early_stopping(_make_early_stopping(keras))
    check.check_fit_variant(_fit_variant())
    check.check_best_epoch(ref.best_epoch)
    check.check_diagnose(ref.diagnose)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 6


def test_the_key_passes_every_check(keras, capsys):
    check.check_build_model(ref.build_model)
    check.check_dropout(ref.dropout)
    check.check_early_stopping(ref.make_early_stopping)
    check.check_fit_variant(ref.fit_variant)
    check.check_best_epoch(ref.best_epoch)
    check.check_diagnose(ref.diagnose)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 6


def test_the_student_package_ships_no_answers():
    import ast
    from pathlib import Path

    import dlcourse

    root = Path(dlcourse.__file__).parent
    for path in (root / "checks" / "fitting.py", root / "fit_shapes.py"):
        tree = ast.parse(path.read_text())
        imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not any("answer_key" in name for name in imported), path
        defined = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert not defined & {"build_model", "fit_variant", "make_early_stopping", "best_epoch",
                              "diagnose", "early_stopping", "dropout"}, path


@pytest.mark.parametrize("wrong, match", [
    ("keep-prob", "DROPPED"), ("l1", "not L1"), ("input-dropout", "INPUTS"),
    ("fixed-l2", "l2 argument"), ("l2-output", "not the output layer"),
    ("bn-after-relu", "no activation"), ("sgd", "Adam optimizer"), ("adamw", "Adam optimizer"),
    ("lr", "learning rate"), ("amsgrad", "defaults"), ("mae", "nothing else"),
    ("no-metric", "nothing else"), ("logits", "wrong loss"), ("loss", "wrong loss"),
    ("no-ce", "'ce'"), ("ce-string", "'ce'"), ("ce-logits", "default settings"),
    ("ce-accuracy", "SparseCategoricalCrossentropy"),
])
def test_model_mistakes(keras, wrong, match):
    with pytest.raises(AssertionError, match=match):
        check.check_build_model(_build_model(keras, wrong))


@pytest.mark.parametrize("wrong", ["keep-prob", "l1", "input-dropout", "fixed-l2", "l2-output",
                                   "bn-after-relu", "sgd", "adamw", "lr", "amsgrad", "mae",
                                   "no-metric", "logits", "loss", "no-ce", "ce-string",
                                   "ce-logits", "ce-accuracy"])
def test_hidden_readers_tell_model_mistakes(keras, wrong):
    student, key_model = _build_model(keras, wrong), ref.build_model
    for kwargs in (dict(l2=0.0123), dict(dropout=0.27), dict(batch_norm=True),
                   dict(l2=0.002, dropout=0.4, batch_norm=True)):
        got, want = student(5, 3, (4, 6), **kwargs), key_model(5, 3, (4, 6), **kwargs)
        if ref.layout(got) != ref.layout(want) or ref.compiled(got) != ref.compiled(want):
            return
    pytest.fail(f"the answer key's readers do not tell {wrong!r} from the key")


@pytest.mark.parametrize("overrides, match", [
    ({"monitor": "loss"}, "training loss keeps falling"),
    ({"monitor": "val_loss", "mode": "auto"}, "L2 penalty"),
    ({"monitor": "ce"}, "TRAINING cross-entropy"),
    ({"mode": "auto"}, "mode="),
    ({"monitor": "val_accuracy"}, "wrong quantity"),
    ({"restore_best_weights": False}, "restore_best_weights=True"),
    ({"min_delta": 0.5}, "min_delta argument"),
    ({"patience": 3}, "wait"),
    ({"min_delta": 1e-4}, "min_delta argument"),
    ({"start_from_epoch": 3}, "start_from_epoch"),
    ({"mode": "max"}, "minimised"),
])
def test_early_stopping_mistakes(keras, overrides, match):
    with pytest.raises(AssertionError, match=match):
        check.check_early_stopping(_make_early_stopping(keras, **overrides))


def test_validating_on_the_test_set_is_caught(keras):
    with pytest.raises(AssertionError, match="TEST set"):
        check.check_fit_variant(_fit_variant("test"))

    def no_validation(model, data, epochs, callbacks=()):
        return model.fit(*data["train"], validation_split=0.2, epochs=epochs,
                         callbacks=list(callbacks))

    with pytest.raises(AssertionError, match="not given the validation set"):
        check.check_fit_variant(no_validation)

    def returns_dict(model, data, epochs, callbacks=()):
        return _fit_variant()(model, data, epochs, callbacks).history

    with pytest.raises(AssertionError, match="History"):
        check.check_fit_variant(returns_dict)


@pytest.mark.parametrize("answer, match", [
    (lambda h: int(np.argmin(h["val_ce"])), "counted from 1"),
    (lambda h: int(np.argmin(h["ce"])) + 1, "TRAINING loss"),
    (lambda h: int(np.argmin(h["val_loss"])) + 1, "L2 penalty"),
    (lambda h: int(np.argmax(h["val_accuracy"])) + 1, "val_accuracy"),
    (lambda h: np.argmin(h["val_ce"]) + 1.0, "an int"),
    (lambda h: len(h["val_ce"]) - int(np.argmin(h["val_ce"][::-1])), "tie"),
    (lambda h: int(np.argmin(h[[k for k in h if k.startswith("val_")][0]])) + 1, "L2 penalty"),
    (lambda h: int(np.argmin(h["val_ce"][:-1])) + 1, "last epoch"),
])
def test_best_epoch_mistakes(answer, match):
    with pytest.raises(AssertionError, match=match):
        check.check_best_epoch(answer)


def _training_only(history):
    t = np.asarray(history["ce"])
    return "good fit" if t[-3:].mean() <= 0.5 * t[0] else "underfit"


def _last_epoch_only(history):
    t, v = np.asarray(history["ce"]), np.asarray(history["val_ce"])
    if v[-1] > 1.1 * v.min():
        return "overfit"
    return "underfit" if t[-1] > 0.5 * t[0] else "good fit"


def _gap_size(history):
    t, v = np.asarray(history["ce"]), np.asarray(history["val_ce"])
    if abs(v[-3:].mean() - t[-3:].mean()) > 0.1 * t[-3:].mean():
        return "overfit"
    return "underfit" if t[-3:].mean() > 0.5 * t[0] else "good fit"


def _rules(over, under):
    def diagnose(history):
        t, v = np.asarray(history["ce"]), np.asarray(history["val_ce"])
        if over(t, v):
            return "overfit"
        return "underfit" if under(t, v) else "good fit"
    return diagnose


def _underfit_first(history):
    t, v = np.asarray(history["ce"]), np.asarray(history["val_ce"])
    if t[-3:].mean() > 0.5 * t[0]:
        return "underfit"
    return "overfit" if v[-3:].mean() > 1.1 * v.min() else "good fit"


def _window(n):
    return _rules(lambda t, v: v[-n:].mean() > 1.1 * v.min(),
                  lambda t, v: t[-n:].mean() > 0.5 * t[0])


_absolute = _rules(lambda t, v: v[-3:].mean() > v.min() + 0.1,
                   lambda t, v: t[-3:].mean() > 0.5 * t[0])
_from_the_maximum = _rules(lambda t, v: v[-3:].mean() > 1.1 * v.min(),
                           lambda t, v: t[-3:].mean() > 0.5 * t.max())
_penalised = _rules(lambda t, v: v[-3:].mean() > 1.1 * v.min(),
                     lambda t, v: t[-3:].mean() > 0.5 * t[0])


def _reads_loss(history):
    return _penalised({"ce": history["loss"], "val_ce": history["val_loss"]})


_val_for_rule_2 = _rules(lambda t, v: v[-3:].mean() > 1.1 * v.min(),
                         lambda t, v: v[-3:].mean() > 0.5 * v[0])


def test_hidden_cases_tell_every_rule():
    cases = ref.diagnose_cases() + [ref.random_history(np.random.default_rng(95))
                                    for _ in range(60)]
    for wrong in (_underfit_first, _absolute, _from_the_maximum, _window(1), _window(2),
                  _window(5), _val_for_rule_2, _training_only, _last_epoch_only, _gap_size,
                  _reads_loss):
        assert any(wrong(h) != ref.diagnose(h) for h in cases)


@pytest.mark.parametrize("answer, match", [
    (_training_only, "training curve alone"),
    (_last_epoch_only, "one noisy epoch"),
    (_gap_size, "BELOW the training ce"),
    (lambda h: "overfitting", "one of three strings"),
    (_underfit_first, "in order"),
    (_absolute, "relative"),
    (_from_the_maximum, "FIRST epoch"),
    (_window(2), "last 3"),
    (_window(5), "wrong diagnosis"),
    (_val_for_rule_2, "TRAINING cross-entropy"),
    (_reads_loss, "L2 penalty"),
])
def test_diagnose_mistakes(answer, match):
    with pytest.raises(AssertionError, match=match):
        check.check_diagnose(answer)
