"""Lab 09: the NumPy regularisers against Keras, the curve readers, and the checks."""

import numpy as np
import pytest

from dlcourse.checks import fitting as check
from dlcourse.reference import fitting as ref

RNG = np.random.default_rng(9)


@pytest.fixture(scope="module")
def keras():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras
    return keras


# --- the lab's solutions, as a student would write them ----------------------------------------

def _build_model(keras, wrong=None):
    def build_model(n_features, n_classes, hidden=(256, 256), l2=0.0, dropout=0.0,
                    batch_norm=False):
        layers = [keras.Input(shape=(n_features,))]
        for units in hidden:
            reg = keras.regularizers.L2(l2) if l2 > 0 else None
            if wrong == "l1" and l2 > 0:
                reg = keras.regularizers.L1(l2)
            if batch_norm:
                layers += [keras.layers.Dense(units, kernel_regularizer=reg),
                           keras.layers.BatchNormalization(), keras.layers.Activation("relu")]
            else:
                layers.append(keras.layers.Dense(units, activation="relu",
                                                 kernel_regularizer=reg))
            if dropout > 0:
                rate = 1 - dropout if wrong == "keep-prob" else dropout
                layers.append(keras.layers.Dropout(rate))
        layers.append(keras.layers.Dense(n_classes, activation="softmax"))
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=1e-3),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    return build_model


def _make_early_stopping(keras, **overrides):
    def make_early_stopping(patience=5):
        kwargs = dict(monitor="val_loss", min_delta=1e-4, patience=patience,
                      restore_best_weights=True)
        kwargs.update(overrides)
        return keras.callbacks.EarlyStopping(**kwargs)

    return make_early_stopping


def _fit_variant(split="val"):
    def fit_variant(model, data, epochs, callbacks=()):
        x_train, y_train = data["train"]
        return model.fit(x_train, y_train, validation_data=data[split], epochs=epochs,
                         batch_size=32, callbacks=list(callbacks), verbose=0)

    return fit_variant


# --- reference against Keras --------------------------------------------------------------------

def test_l2_penalty_matches_keras_regulariser(keras):
    w = RNG.normal(size=(5, 3))
    got = float(np.asarray(keras.regularizers.L2(0.01)(w.astype("float32"))))
    assert np.isclose(ref.l2_penalty([w], 0.01), got, rtol=1e-5)
    assert ref.l2_penalty([w, w], 0.5) == pytest.approx(np.sum(w**2))


def test_dropout_matches_keras_scaling(keras):
    x = RNG.uniform(1, 2, size=(200, 50))
    mine = ref.dropout(x, 0.3, rng=0)
    theirs = np.asarray(keras.layers.Dropout(0.3, seed=1)(x.astype("float32"), training=True))
    for out in (mine, theirs):
        kept = out != 0
        assert np.allclose(out[kept], x[kept] / 0.7, rtol=1e-5)
        assert abs(1 - kept.mean() - 0.3) < 0.02
    assert np.allclose(np.asarray(keras.layers.Dropout(0.3)(x, training=False)), x)
    with pytest.raises(ValueError, match="fraction"):
        ref.dropout(x, 1.0)


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
        cb = keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience,
                                           min_delta=min_delta, restore_best_weights=True)
        model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
        cb.set_model(model)
        cb.on_train_begin()
        ran = 0
        for epoch, v in enumerate(val):
            model.set_weights([np.full((1, 1), float(epoch + 1)), np.zeros(1)])
            cb.on_epoch_end(epoch, {"val_loss": v})
            ran = epoch + 1
            if getattr(model, "stop_training", False):
                break
        cb.on_train_end()
        assert ref.early_stopping(val, patience, min_delta) == (
            ran, int(model.get_weights()[0][0, 0]))


# --- curve readers ------------------------------------------------------------------------------

def test_best_epoch_counts_from_one_and_takes_the_first_tie():
    assert ref.best_epoch({"val_loss": [3, 2, 1, 1, 2]}) == 3
    assert ref.best_epoch({"loss": [1], "val_loss": [0.5]}) == 1
    with pytest.raises(KeyError, match="val_loss"):
        ref.best_epoch({"loss": [1.0]})


@pytest.mark.parametrize("kind", ref.DIAGNOSES)
def test_synthetic_histories_are_diagnosed_as_made(kind):
    for epochs in (6, 10, 30, 100):
        for seed in range(20):
            history = ref.synthetic_history(kind, epochs, noise=0.02, seed=seed)
            assert len(history["loss"]) == len(history["val_loss"]) == epochs
            assert ref.diagnose(history) == kind


def test_diagnose_follows_its_rules():
    rising = {"loss": [2.0, 1.0, 0.5, 0.3, 0.2, 0.1], "val_loss": [2.0, 1.0, 0.9, 1.0, 1.1, 1.2]}
    assert ref.diagnose(rising) == "overfit"
    slow = {"loss": [2.0, 1.9, 1.8, 1.7, 1.6, 1.5], "val_loss": [2.0, 1.9, 1.8, 1.7, 1.6, 1.5]}
    assert ref.diagnose(slow) == "underfit"
    assert ref.diagnose(slow, halved=0.8) == "good fit"
    with pytest.raises(ValueError):
        ref.synthetic_history("perfect")


# --- checks: the solution passes, typical mistakes fail with the right hint ----------------------

def test_solutions_pass_every_check(keras, capsys):
    check.check_build_model(_build_model(keras))
    check.check_early_stopping(_make_early_stopping(keras))
    check.check_fit_variant(_fit_variant())
    check.check_best_epoch(ref.best_epoch)
    check.check_diagnose(ref.diagnose)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


@pytest.mark.parametrize("wrong, match", [("keep-prob", "DROPPED"), ("l1", "not L1")])
def test_model_mistakes(keras, wrong, match):
    with pytest.raises(AssertionError, match=match):
        check.check_build_model(_build_model(keras, wrong))


@pytest.mark.parametrize("overrides, match", [
    ({"monitor": "loss"}, "training loss keeps falling"),
    ({"monitor": "val_accuracy"}, "wrong quantity"),
    ({"restore_best_weights": False}, "restore_best_weights=True"),
    ({"min_delta": 0.5}, "min_delta is too large"),
    ({"patience": 3}, "wait"),
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
    (lambda h: int(np.argmin(h["val_loss"])), "counted from 1"),
    (lambda h: int(np.argmin(h["loss"])) + 1, "TRAINING loss"),
    (lambda h: int(np.argmax(h["val_accuracy"])) + 1, "val_accuracy"),
    (lambda h: np.argmin(h["val_loss"]) + 1.0, "an int"),
])
def test_best_epoch_mistakes(answer, match):
    with pytest.raises(AssertionError, match=match):
        check.check_best_epoch(answer)


def _training_only(history):
    t = np.asarray(history["loss"])
    return "good fit" if t[-3:].mean() <= 0.5 * t[0] else "underfit"


def _last_epoch_only(history):
    t, v = np.asarray(history["loss"]), np.asarray(history["val_loss"])
    if v[-1] > 1.1 * v.min():
        return "overfit"
    return "underfit" if t[-1] > 0.5 * t[0] else "good fit"


def _gap_size(history):
    t, v = np.asarray(history["loss"]), np.asarray(history["val_loss"])
    if abs(v[-3:].mean() - t[-3:].mean()) > 0.1 * t[-3:].mean():
        return "overfit"
    return "underfit" if t[-3:].mean() > 0.5 * t[0] else "good fit"


@pytest.mark.parametrize("answer, match", [
    (_training_only, "training loss alone"),
    (_last_epoch_only, "one noisy epoch"),
    (_gap_size, "BELOW the training loss"),
    (lambda h: "overfitting", "one of three strings"),
])
def test_diagnose_mistakes(answer, match):
    with pytest.raises(AssertionError, match=match):
        check.check_diagnose(answer)
