"""Checks for lab 07 (ANN regression).

The expected values are literals, computed once with the course's answer key: these checks
ship to students, so they hold fixed cases, never an implementation of a task.
"""

from __future__ import annotations

import numbers

import numpy as np

from dlcourse.checks.core import as_array, call, close, expect_close, fail, passed

# scale_features: (X_train, X_test, expected X_train_scaled, expected X_test_scaled).
# Columns of different scales, a column that is constant in the training set but not in
# the test set, a single feature with a single test row, and a constant first column.
_SCALE_CASES = (
    (
        [[1.0, -40.0, 5.0], [2.0, 10.0, 5.0], [3.0, 20.0, 5.0], [6.0, 90.0, 5.0]],
        [[5.0, 50.0, 7.0], [0.0, -10.0, 5.0]],
        [[-1.0690449676496976, -1.2939932784412609, 0.0],
         [-0.5345224838248488, -0.21566554640687682, 0.0],
         [0.0, 0.0, 0.0],
         [1.6035674514745464, 1.5096588248481377, 0.0]],
        [[1.0690449676496976, 0.6469966392206304, 2.0],
         [-1.6035674514745464, -0.6469966392206304, 0.0]],
    ),
    (
        [[2.0], [4.0], [4.0], [5.0], [10.0]],
        [[8.0]],
        [[-1.118033988749895], [-0.37267799624996495], [-0.37267799624996495], [0.0],
         [1.8633899812498247]],
        [[1.118033988749895]],
    ),
    (
        [[-2.0, 0.5], [-2.0, 3.0], [-2.0, -1.0]],
        [[0.0, 2.0], [-2.0, -4.0]],
        [[0.0, -0.2020305089104422], [0.0, 1.313198307917874], [0.0, -1.111167799007432]],
        [[2.0, 0.7071067811865475], [0.0, -2.929442379201411]],
    ),
)

# baseline_mae: (y_train, y_eval, statistic (None: leave the default), expected, and what
# three mistakes would return: the statistic of y_eval, the squared error, the other statistic).
# Skewed targets, so the median and the mean differ; an even-length training set; shapes
# (n,) and (n, 1); a single evaluation value.
_BASELINE_CASES = (
    ([1.0, 2.0, 3.0, 4.0, 100.0], [2.0, 5.0, 30.0], "median", 10.0,
     (9.333333333333334, 244.66666666666666, 15.0)),
    ([1.0, 2.0, 3.0, 4.0, 100.0], [2.0, 5.0, 30.0], "mean", 15.0,
     (11.777777777777777, 251.0, 10.0)),
    ([[4.0], [1.0], [10.0], [9.0]], [6.0, 0.0, 20.0, 3.0], "mean", 5.75, (6.375, 60.25, 6.0)),
    ([250.0, 300.0, 1000.0, 310.0, 280.0, 5000.0], [[305.0], [100.0], [400.0], [2000.0], [2500.0]],
     None, 838.0, (819.0, 1548420.0, 977.0)),
    ([3.0, -1.0, 8.0], [7.5], "mean", 4.166666666666666, (0.0, 17.361111111111107, 4.5)),
)

# residuals: (y_true, y_pred, expected, what).
_TIPS = [12.0, 7.0, 13.0, 8.0, 15.0, 5.0]
_RESIDUAL_CASES = (
    (_TIPS, [10.0] * 6, [2.0, -3.0, 3.0, -2.0, 5.0, -5.0],
     "residuals of the tips against a constant guess of 10"),
    (_TIPS, [[10.0]] * 6, [2.0, -3.0, 3.0, -2.0, 5.0, -5.0],
     "residuals when the predictions have shape (6, 1), as model.predict returns"),
    ([3.5, -1.0, 0.25, 8.0], [[4.0], [-3.0], [0.25], [5.5]], [-0.5, 2.0, 0.0, 2.5],
     "residuals of 4 targets of shape (4,) against predictions of shape (4, 1)"),
    ([[3.5], [-1.0], [0.25], [8.0]], [[4.0], [-3.0], [0.25], [5.5]], [-0.5, 2.0, 0.0, 2.5],
     "residuals when both arguments have shape (4, 1)"),
    ([7.5], [[2.0]], [5.5], "the residual of a single sample (n = 1)"),
)

# unscale: (y_scaled, mean, std, expected).
_UNSCALE_CASES = (
    ([[0.0], [1.0], [-2.0]], 540_000.0, 367_000.0, [540_000.0, 907_000.0, -194_000.0]),
    ([0.5, -1.5, 2.0, 0.0], -2.5, 0.4, [-2.3, -3.1, -1.7, -2.5]),
    ([[1.25]], 7.0, 3.0, [10.75]),
)

_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "clipvalue": None,
                  "global_clipnorm": None, "use_ema": False}


def check_scale_features(scale_features) -> None:
    __tracebackhide__ = True
    task = "scale_features"
    for train, test, exp_train, exp_test in _SCALE_CASES:
        train_in, test_in = np.array(train), np.array(test)
        result = call(scale_features, train_in, test_in, task=task, name="scale_features")
        if not isinstance(result, tuple) or len(result) != 2:
            fail(task, "scale_features should return (X_train_scaled, X_test_scaled)",
                 "a 2-tuple", type(result).__name__)
        train_s = as_array(result[0], task, "X_train_scaled")
        test_s = as_array(result[1], task, "X_test_scaled")
        exp_train, exp_test = np.array(exp_train), np.array(exp_test)
        shown = f"for X_train =\n{np.array(train)}\nand X_test =\n{np.array(test)}"
        for got, exp, what in ((train_s, exp_train, "X_train_scaled"),
                               (test_s, exp_test, "X_test_scaled")):
            if got.shape != exp.shape:
                fail(task, f"{what} has the wrong shape {shown}", f"shape {exp.shape}",
                     f"shape {got.shape}", "scale every column; keep one row per sample")
            if not np.all(np.isfinite(got)):
                fail(task, f"{what} holds NaN or inf {shown}", exp, got,
                     "a column that is constant in the training set has standard deviation 0:"
                     " divide it by 1 instead (StandardScaler does), so it becomes 0")
        unchanged = np.array_equal(train_in, train) and np.array_equal(test_in, test)
        if not unchanged:
            fail(task, "scale_features modified the arrays it was given",
                 hint="return new arrays instead of scaling in place (no -= or /= on the inputs)")
        if not np.allclose(train_s, exp_train, atol=1e-6, rtol=1e-6):
            fail(task, f"X_train_scaled has the wrong values {shown}", exp_train, train_s,
                 _train_hint(np.array(train), train_s))
        if not np.allclose(test_s, exp_test, atol=1e-6, rtol=1e-6):
            hint = ("transform the test set with the mean and standard deviation of the "
                    "training set; never fit on the test set")
            if np.max(np.abs(test_s)) > 1e3:
                hint = ("a column constant in the training set must be divided by 1, not by a "
                        "tiny number: its test values would explode")
            fail(task, f"X_test_scaled has the wrong values {shown}", exp_test, test_s, hint)
    passed(task, "training statistics used for both sets, constant columns handled")


def _train_hint(train: np.ndarray, got: np.ndarray) -> str:
    """Name the likely mistake behind wrong scaled training values."""
    varying = train.std(axis=0) > 0
    if not np.allclose(got.mean(axis=0), 0, atol=1e-6):
        return ("every scaled training column should have mean 0: subtract each column's "
                "mean over X_train (axis=0), and fit on X_train only (fitting on train + test "
                "shifts the mean)")
    if not np.allclose(got[:, ~varying], 0, atol=1e-6):
        return "a column constant in the training set should become 0"
    n = len(train)
    if np.allclose(got[:, varying].std(axis=0), np.sqrt((n - 1) / n), atol=1e-6):
        return "use the population standard deviation (ddof=0), as StandardScaler does"
    return ("(x - mean) / std per column, with the training set's mean and population "
            "standard deviation")


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_model"
    for n in (5, 12):
        model = call(build_model, n, task=task, name="build_model")
        _check_architecture(model, n, task, keras)
        _check_compiled(model, n, task, keras)
    passed(task, "Dense 64 ReLU -> Dense 64 ReLU -> Dense 1 linear, Adam(1e-3), MSE loss, MAE")


def _check_architecture(model, n: int, task: str, keras) -> None:
    __tracebackhide__ = True
    if not isinstance(model, keras.Sequential):
        fail(task, "build_model should return a keras.Sequential model", "keras.Sequential",
             type(model).__name__)
    kinds = [type(layer).__name__ for layer in model.layers]
    if kinds != ["Dense", "Dense", "Dense"]:
        fail(task, "the layers should be exactly three Dense layers, in this order",
             ["Dense", "Dense", "Dense"], kinds,
             "keras.Input is not a layer; add no Dropout, normalisation or activation layers")
    units = [layer.units for layer in model.layers]
    if units != [64, 64, 1]:
        fail(task, "the network should be Dense 64 -> Dense 64 -> Dense 1", [64, 64, 1], units)
    acts = [getattr(layer.activation, "__name__", repr(layer.activation)) for layer in model.layers]
    if acts[:2] != ["relu", "relu"]:
        fail(task, "the hidden layers should use ReLU", ["relu", "relu"], acts[:2],
             'Dense(64, activation="relu")')
    if acts[2] != "linear":
        fail(task, "the output layer of a regression network must be linear", "linear", acts[2],
             "sigmoid or softmax squash the output into (0, 1); a price is not a probability")
    if not all(layer.use_bias for layer in model.layers):
        fail(task, "every Dense layer should have a bias", hint="leave use_bias at its default")
    regularized = [i for i, layer in enumerate(model.layers)
                   if any(getattr(layer, name, None) is not None for name in
                          ("kernel_regularizer", "bias_regularizer", "activity_regularizer"))]
    if regularized:
        fail(task, "the Dense layers should have no regularizer", [], regularized,
             "regularisation is lab 09's topic; here give Dense only units and activation")
    options = [(type(layer.kernel_initializer).__name__, type(layer.bias_initializer).__name__,
                layer.kernel_constraint, layer.bias_constraint, layer.trainable)
               for layer in model.layers]
    if options != [("GlorotUniform", "Zeros", None, None, True)] * 3:
        fail(task, "leave the Dense layers' other options at their defaults",
             "(kernel initializer, bias initializer, kernel constraint, bias constraint, "
             "trainable) = ('GlorotUniform', 'Zeros', None, None, True) for every layer",
             options, "give Dense only its units and activation")
    if tuple(model.input_shape) != (None, n):
        fail(task, f"build_model({n}) should take {n} input features", (None, n),
             model.input_shape, "start with keras.Input(shape=(n_features,))")
    expected_params = (n * 64 + 64) + (64 * 64 + 64) + (64 + 1)
    if model.count_params() != expected_params:
        fail(task, f"wrong number of parameters for {n} input features", expected_params,
             model.count_params())


def _check_compiled(model, n: int, task: str, keras) -> None:
    __tracebackhide__ = True
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not getattr(model, "compiled", False):
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
    if type(optimizer).__name__ != "Adam" or not isinstance(optimizer, keras.optimizers.Adam):
        fail(task, "the optimizer should be Adam", "Adam", type(optimizer).__name__,
             "optimizer=keras.optimizers.Adam(learning_rate=1e-3)")
    config = optimizer.get_config()
    rate = config.get("learning_rate")
    if not isinstance(rate, float) or not np.isclose(rate, 1e-3, rtol=1e-5, atol=0):
        fail(task, "Adam's learning rate should be 1e-3 (a fixed number)", 1e-3, rate,
             "keras.optimizers.Adam(learning_rate=1e-3)")
    changed = {k: config.get(k) for k, v in _ADAM_DEFAULTS.items()
               if not (config.get(k) == v or (isinstance(v, float)
                                              and np.isclose(config.get(k) or 0.0, v)))}
    if changed:
        fail(task, "leave Adam's other settings at their defaults",
             {k: _ADAM_DEFAULTS[k] for k in changed}, changed,
             "keras.optimizers.Adam(learning_rate=1e-3) and nothing else")
    rng = np.random.default_rng(7)
    x = rng.normal(size=(16, n)).astype("float32")
    y = (5.0 * rng.normal(size=(16, 1)) + 3.0).astype("float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    if sorted(logs) != ["loss", "mae"]:
        fail(task, "the model should report exactly one metric, named 'mae'",
             ["loss", "mae"], sorted(logs), 'compile with metrics=["mae"] (the lab reads "mae")')
    errors = np.asarray(model.predict(x, verbose=0), dtype=float) - y
    mse, mae = float(np.mean(errors**2)), float(np.mean(np.abs(errors)))
    if not np.isclose(logs["loss"], mse, rtol=1e-3, atol=1e-5):
        fail(task, "the loss should be the mean squared error", mse, logs["loss"],
             'compile with loss="mse"')
    if not np.isclose(logs["mae"], mae, rtol=1e-3, atol=1e-5):
        fail(task, "the 'mae' metric should be the mean absolute error", mae, logs["mae"],
             'compile with metrics=["mae"]')


def check_residuals(residuals) -> None:
    __tracebackhide__ = True
    task = "residuals"
    for y_true, y_pred, expected, what in _RESIDUAL_CASES:
        got = call(residuals, np.array(y_true), np.array(y_pred), task=task, name="residuals")
        hint = "residual = actual - predicted (not predicted - actual)"
        arr = as_array(got, task, what)
        if arr.shape != (len(expected),):
            hint = ("flatten both arguments first (np.asarray(y).reshape(-1)); (n,) - (n, 1) "
                    "broadcasts to an (n, n) matrix, and squeeze() gives shape () when n = 1")
        expect_close(got, expected, task, what, hint)
    passed(task, "actual - predicted, shape (n,)")


def check_unscale(unscale) -> None:
    __tracebackhide__ = True
    task = "unscale"
    for scaled, mean, std, expected in _UNSCALE_CASES:
        got = call(unscale, np.array(scaled), mean, std, task=task, name="unscale")
        expect_close(got, expected, task,
                     f"unscale of shape {np.shape(scaled)} with mean={mean:g}, std={std:g}",
                     "invert y_scaled = (y - mean) / std: multiply by std, then add the mean; "
                     "return shape (n,) with reshape(-1)", atol=1e-6)
    passed(task, "predictions back in their own units, shape (n,)")


def check_baseline_mae(baseline_mae) -> None:
    __tracebackhide__ = True
    task = "baseline_mae"
    for y_train, y_eval, statistic, expected, (own, squared, other) in _BASELINE_CASES:
        args = (np.array(y_train), np.array(y_eval))
        shown = f"baseline_mae({y_train}, {y_eval}" + (f", {statistic!r})" if statistic else ")")
        if statistic is None:
            got = call(baseline_mae, *args, task=task, name="baseline_mae")
        else:
            got = call(baseline_mae, *args, statistic, task=task, name="baseline_mae")
        if not isinstance(got, numbers.Real) or isinstance(got, bool):
            fail(task, f"{shown} should return one number", "a float", type(got).__name__,
                 "the mean of the absolute errors is a single number: return float(...)")
        got = float(got)
        if close(got, expected, atol=1e-9):
            continue
        hint = "the mean of |y_eval - guess|, where guess is one number computed from y_train"
        if close(got, own, atol=1e-9):
            hint = ("the guess must come from y_train: the evaluation targets stand for data "
                    "the baseline has never seen")
        elif close(got, squared, atol=1e-9):
            hint = "that is the mean squared error: take absolute errors, not squared ones"
        elif close(got, other, atol=1e-9):
            hint = (f'statistic={statistic or "median"!r}: use np.median for "median" (the '
                    'default) and np.mean for "mean"')
        fail(task, f"wrong value for {shown}", expected, got, hint)
    passed(task, "the training median or mean as the guess, scored by MAE")
