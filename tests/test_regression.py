"""Lab 07's answer key and visible checks: the key passes, common mistakes fail."""

import ast
from pathlib import Path

import numpy as np
import pytest
from answer_key import regression as key
from sklearn.preprocessing import StandardScaler

from dlcourse.checks import regression as check
from dlcourse.checks.core import CheckFailed


def test_answer_key_passes_every_check(capsys):
    check.check_scale_features(key.standardize)
    check.check_build_model(key.build_model)
    check.check_residuals(key.residuals)
    check.check_unscale(key.unscale)
    check.check_baseline_mae(key.baseline_mae)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


def test_check_module_ships_no_answers():
    source = Path(check.__file__).read_text()
    assert "answer_key" not in source and "reference" not in source
    names = {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    assert not names & {"scale_features", "standardize", "build_model", "residuals", "unscale",
                        "baseline_mae"}


def test_stored_cases_agree_with_the_answer_key():
    for train, test, exp_train, exp_test in check._SCALE_CASES:
        got_train, got_test = key.standardize(train, test)
        assert np.allclose(got_train, exp_train, atol=1e-12)
        assert np.allclose(got_test, exp_test, atol=1e-12)
    for y_true, y_pred, expected, _ in check._RESIDUAL_CASES:
        assert np.allclose(key.residuals(y_true, y_pred), expected, atol=1e-12)
    for scaled, mean, std, expected in check._UNSCALE_CASES:
        assert np.allclose(key.unscale(scaled, mean, std), expected, atol=1e-9)
    for y_train, y_eval, statistic, expected, mistakes in check._BASELINE_CASES:
        args = (y_train, y_eval) if statistic is None else (y_train, y_eval, statistic)
        assert np.isclose(key.baseline_mae(*args), expected, atol=1e-12)
        own, squared, other = mistakes
        guess_from = np.median if statistic in (None, "median") else np.mean
        t, e = np.ravel(y_train), np.ravel(y_eval)
        assert np.isclose(np.abs(e - guess_from(e)).mean(), own)
        assert np.isclose(((e - guess_from(t)) ** 2).mean(), squared)
        swapped = "mean" if statistic in (None, "median") else "median"
        assert np.isclose(key.baseline_mae(y_train, y_eval, swapped), other)


def test_visible_baseline_cases_cover_both_statistics_and_the_default():
    statistics = [case[2] for case in check._BASELINE_CASES]
    assert {"median", "mean", None} <= set(statistics)
    for *_, expected, mistakes in check._BASELINE_CASES[:2]:
        assert len({expected, *mistakes}) == 4  # each mistake gives its own value


def test_every_visible_scaling_case_has_a_constant_column_or_one_test_row():
    cases = [np.array(train) for train, *_ in check._SCALE_CASES]
    assert sum((train.std(axis=0) == 0).any() for train in cases) >= 2
    constant_tests = [np.array(test)[:, np.array(train).std(axis=0) == 0]
                      for train, test, *_ in check._SCALE_CASES]
    assert any((col != np.array(train)[0, np.array(train).std(axis=0) == 0]).any()
               for col, (train, *_) in zip(constant_tests, check._SCALE_CASES, strict=True))


def _unguarded(train, test):
    mean, std = train.mean(axis=0), train.std(axis=0)
    with np.errstate(all="ignore"):
        return (train - mean) / std, (test - mean) / std


def _plus_epsilon(train, test):
    mean, std = train.mean(axis=0), train.std(axis=0) + 1e-8
    return (train - mean) / std, (test - mean) / std


def _nan_to_zero(train, test):
    return tuple(np.nan_to_num(part) for part in _unguarded(train, test))


def _sample_std(train, test):
    mean, std = train.mean(axis=0), train.std(axis=0, ddof=1)
    std = np.where(std == 0, 1.0, std)
    return (train - mean) / std, (test - mean) / std


def _in_place(train, test):
    mean, std = train.mean(axis=0), train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    train -= mean
    train /= std
    test -= mean
    test /= std
    return train, test


def _fit_on_all(train, test):
    scaler = StandardScaler().fit(np.vstack([train, test]))
    return scaler.transform(train), scaler.transform(test)


def _fit_each(train, test):
    return StandardScaler().fit_transform(train), StandardScaler().fit_transform(test)


def _whole_matrix(train, test):
    return (train - train.mean()) / train.std(), (test - train.mean()) / train.std()


def _as_list(train, test):
    return list(key.standardize(train, test))


@pytest.mark.parametrize("wrong, message", [
    (_unguarded, "NaN or inf"),
    (_plus_epsilon, "explode"),
    (_nan_to_zero, "explode"),
    (_sample_std, "ddof=0"),
    (_in_place, "modified"),
    (_fit_on_all, "mean 0"),
    (_fit_each, "never fit on the test set"),
    (_whole_matrix, "axis=0"),
    (_as_list, "2-tuple"),
])
def test_scaling_mistakes_are_named(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_scale_features(wrong)


def test_standardize_matches_sklearn_with_a_constant_column():
    rng = np.random.default_rng(0)
    train, test = rng.normal(3, 2, (40, 4)), rng.normal(5, 1, (10, 4))
    train[:, 2], test[:, 2] = 4.0, rng.integers(-3, 3, 10)
    scaler = StandardScaler().fit(train)
    got_train, got_test = key.standardize(train, test)
    assert np.allclose(got_train, scaler.transform(train))
    assert np.allclose(got_test, scaler.transform(test))
    assert np.all(got_train[:, 2] == 0) and np.allclose(got_test[:, 2], test[:, 2] - 4.0)


def _model(n_features, layers=None, optimizer=None, loss="mse", metrics=("mae",)):
    import keras

    layers = layers if layers is not None else [
        keras.layers.Dense(64, activation="relu"), keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1)]
    model = keras.Sequential([keras.Input(shape=(n_features,)), *layers])
    optimizer = optimizer if optimizer is not None else keras.optimizers.Adam(1e-3)
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


def test_equivalent_spellings_of_the_model_pass(capsys):
    import keras

    check.check_build_model(lambda n: _model(
        n, optimizer="adam", loss=keras.losses.MeanSquaredError(),
        metrics=[keras.metrics.MeanAbsoluteError(name="mae")]))
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def _variants():
    import keras

    dense = keras.layers.Dense
    return {
        "sigmoid output": (lambda n: _model(n, [dense(64, activation="relu"),
                                                dense(64, activation="relu"),
                                                dense(1, activation="sigmoid")]), "linear"),
        "tanh hidden": (lambda n: _model(n, [dense(64, activation="tanh"),
                                             dense(64, activation="relu"), dense(1)]), "ReLU"),
        "32 units": (lambda n: _model(n, [dense(32, activation="relu"),
                                          dense(64, activation="relu"), dense(1)]), "64"),
        "input dropout": (lambda n: _model(n, [keras.layers.Dropout(0.2),
                                               dense(64, activation="relu"),
                                               dense(64, activation="relu"), dense(1)]),
                          "exactly three Dense"),
        "fixed input": (lambda n: _model(5), "input features"),
        "sgd": (lambda n: _model(n, optimizer=keras.optimizers.SGD(1e-3)), "Adam"),
        "adamw": (lambda n: _model(n, optimizer=keras.optimizers.AdamW(1e-3)), "Adam"),
        "learning rate": (lambda n: _model(n, optimizer=keras.optimizers.Adam(1e-2)),
                          "learning rate"),
        "schedule": (lambda n: _model(n, optimizer=keras.optimizers.Adam(
            keras.optimizers.schedules.ExponentialDecay(1e-3, 10, 0.5))), "learning rate"),
        "amsgrad": (lambda n: _model(n, optimizer=keras.optimizers.Adam(1e-3, amsgrad=True)),
                    "defaults"),
        "clipnorm": (lambda n: _model(n, optimizer=keras.optimizers.Adam(1e-3, clipnorm=1.0)),
                     "defaults"),
        "huber loss": (lambda n: _model(n, loss="huber"), "mean squared error"),
        "mae loss": (lambda n: _model(n, loss="mae", metrics=("mae",)), "mean squared error"),
        "extra metric": (lambda n: _model(n, metrics=("mae", "mse")), "exactly one metric"),
        "no metric": (lambda n: _model(n, metrics=()), "exactly one metric"),
        "long metric name": (lambda n: _model(n, metrics=("mean_absolute_error",)),
                             "exactly one metric"),
        "zero init": (lambda n: _model(n, [dense(64, activation="relu",
                                                 kernel_initializer="zeros"),
                                           dense(64, activation="relu"), dense(1)]), "defaults"),
        "frozen layer": (lambda n: _model(n, [dense(64, activation="relu", trainable=False),
                                              dense(64, activation="relu"), dense(1)]),
                         "defaults"),
        "l2": (lambda n: _model(n, [dense(64, activation="relu", kernel_regularizer="l2"),
                                    dense(64, activation="relu"), dense(1)]),
               "regularizer"),
    }


@pytest.mark.parametrize("variant", sorted(_variants()))
def test_model_mistakes_are_named(variant):
    build, message = _variants()[variant]
    with pytest.raises(CheckFailed, match=message):
        check.check_build_model(build)


@pytest.mark.parametrize("wrong, message", [
    (lambda t, p: np.asarray(t) - np.asarray(p), "flatten"),
    (lambda t, p: np.squeeze(t) - np.squeeze(p), "squeeze"),
    (lambda t, p: np.asarray(t) - np.asarray(p).reshape(-1), "shape"),
    (lambda t, p: np.ravel(p) - np.ravel(t), "not predicted - actual"),
    (lambda t, p: np.abs(np.ravel(t) - np.ravel(p)), "wrong values"),
])
def test_residual_mistakes_are_caught(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_residuals(wrong)


@pytest.mark.parametrize("wrong", [
    lambda y, m, s: np.asarray(y) * s + m,
    lambda y, m, s: np.squeeze(y) * s + m,
    lambda y, m, s: np.ravel(y) * m + s,
    lambda y, m, s: (np.ravel(y) + m) * s,
    lambda y, m, s: np.ravel(y) / s + m,
    lambda y, m, s: np.ravel(y) * 367_000.0 + 540_000.0,
])
def test_unscale_mistakes_are_caught(wrong):
    with pytest.raises(CheckFailed, match="unscale"):
        check.check_unscale(wrong)


def test_tips_residuals_worked_example():
    tips = np.array([12, 7, 13, 8, 15, 5])
    r = key.residuals(tips, np.full((6, 1), 10))
    assert r.shape == (6,) and r.sum() == 0 and (r**2).sum() == 76
    assert np.isclose((r**2).mean(), 12.67, atol=0.005)
    assert np.isclose(np.abs(r).mean(), 3.33, atol=0.005)
    assert np.allclose(key.unscale([[1.0]], 10.0, 2.0), [12.0])


def _eval_statistic(y_train, y_eval, statistic="median"):
    y_eval = np.ravel(y_eval)
    guess = np.median(y_eval) if statistic == "median" else np.mean(y_eval)
    return float(np.abs(y_eval - guess).mean())


def _always_mean(y_train, y_eval, statistic="median"):
    return float(np.abs(np.ravel(y_eval) - np.mean(y_train)).mean())


def _always_median(y_train, y_eval, statistic="mean"):
    return float(np.abs(np.ravel(y_eval) - np.median(y_train)).mean())


def _squared(y_train, y_eval, statistic="median"):
    guess = np.median(y_train) if statistic == "median" else np.mean(y_train)
    return float(((np.ravel(y_eval) - guess) ** 2).mean())


def _mean_of_mean(y_train, y_eval, statistic="median"):
    return float(np.abs(np.mean(y_eval) - np.median(y_train)))


def _array(y_train, y_eval, statistic="median"):
    return np.array([key.baseline_mae(y_train, y_eval, statistic)])


def _default_mean(y_train, y_eval, statistic="mean"):
    return key.baseline_mae(y_train, y_eval, statistic)


@pytest.mark.parametrize("wrong, message", [
    (_eval_statistic, "must come from y_train"),
    (_always_mean, "np.median"),
    (_always_median, "np.mean"),
    (_squared, "mean squared error"),
    (_mean_of_mean, "wrong value"),
    (_array, "one number"),
    (_default_mean, "the default"),
])
def test_baseline_mistakes_are_named(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_baseline_mae(wrong)
