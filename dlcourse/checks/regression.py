"""Checks for lab 07 (ANN regression)."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.reference import regression as ref

_TRAIN = np.array([[1.0, 10.0, 5.0], [2.0, 20.0, 5.0], [3.0, 30.0, 5.0], [6.0, 60.0, 5.0]])
_TEST = np.array([[5.0, 50.0, 5.0], [0.0, 0.0, 5.0]])


def check_scale_features(scale_features) -> None:
    __tracebackhide__ = True
    task = "scale_features"
    train_in, test_in = _TRAIN[:, :2].copy(), _TEST[:, :2].copy()
    result = call(scale_features, train_in, test_in, task=task, name="scale_features")
    if not isinstance(result, tuple) or len(result) != 2:
        fail(task, "scale_features should return (X_train_scaled, X_test_scaled)", "a 2-tuple",
             type(result).__name__)
    train_s, test_s = (np.asarray(r, dtype=float) for r in result)
    exp_train, exp_test = ref.standardize(train_in, test_in)
    if train_s.shape == exp_train.shape and not np.allclose(train_s.mean(axis=0), 0, atol=1e-6):
        fail(task, "the scaled training set should have mean 0 in every column",
             [0.0, 0.0], train_s.mean(axis=0),
             "fit the scaler on X_train only; fitting on train + test shifts the training mean")
    expect_close(train_s, exp_train, task, "X_train_scaled",
                 "(x - mean) / std with the training set's mean and population std (ddof=0)")
    expect_close(test_s, exp_test, task, "X_test_scaled",
                 "transform the test set with the statistics learned from the training set; "
                 "never fit on the test set")
    if not (np.array_equal(train_in, _TRAIN[:, :2]) and np.array_equal(test_in, _TEST[:, :2])):
        fail(task, "scale_features modified the arrays it was given",
             hint="return new arrays instead of scaling in place")
    passed(task, "training statistics used for both sets")


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_model"
    n = 5
    model = call(build_model, n, task=task, name="build_model")
    if not isinstance(model, keras.Model):
        fail(task, "build_model should return a Keras model", "keras.Model", type(model).__name__)
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if [layer.units for layer in dense] != [64, 64, 1]:
        fail(task, "the network should be Dense 64 -> Dense 64 -> Dense 1", [64, 64, 1],
             [layer.units for layer in dense])
    acts = [layer.activation.__name__ for layer in dense]
    if acts[:2] != ["relu", "relu"]:
        fail(task, "the hidden layers should use ReLU", ["relu", "relu"], acts[:2])
    if acts[2] != "linear":
        fail(task, "the output layer of a regression network must be linear", "linear", acts[2],
             "sigmoid or softmax squash the output into (0, 1); a price is not a probability")
    expected_params = (n * 64 + 64) + (64 * 64 + 64) + (64 + 1)
    if model.count_params() != expected_params:
        fail(task, f"wrong number of parameters for {n} input features", expected_params,
             model.count_params(), "the input layer should take shape (n_features,)")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, n)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    mse = float(np.mean((model.predict(x, verbose=0) - y) ** 2))
    if not np.isclose(logs["loss"], mse, rtol=1e-3, atol=1e-5):
        fail(task, "the loss should be the mean squared error", mse, logs["loss"],
             'compile with loss="mse"')
    if not any(k in logs for k in ("mae", "mean_absolute_error")):
        fail(task, "the model should report the mean absolute error as a metric",
             "'mae' among the metrics", sorted(logs), 'compile with metrics=["mae"]')
    passed(task, f"64-64-1 network, {expected_params:,} parameters, MSE loss, MAE metric")


def check_residuals(residuals) -> None:
    __tracebackhide__ = True
    task = "residuals"
    y_true = np.array([12.0, 7.0, 13.0, 8.0, 15.0, 5.0])
    got = call(residuals, y_true, np.full(6, 10.0), task=task, name="residuals")
    expect_close(got, [2.0, -3.0, 3.0, -2.0, 5.0, -5.0], task,
                 "residuals of the tips against a constant guess of 10",
                 "residual = actual - predicted (not predicted - actual)")
    got = call(residuals, y_true, np.full((6, 1), 10.0), task=task, name="residuals")
    expect_close(got, ref.residuals(y_true, np.full(6, 10.0)), task,
                 "residuals when the predictions have shape (6, 1), as model.predict returns",
                 "flatten the predictions first (y_pred.reshape(-1)); (6,) - (6, 1) broadcasts "
                 "to a (6, 6) matrix")
    passed(task, "actual - predicted, shape (n,)")


def check_unscale(unscale) -> None:
    __tracebackhide__ = True
    task = "unscale"
    scaled = np.array([[0.0], [1.0], [-2.0]])
    got = call(unscale, scaled, 540_000.0, 367_000.0, task=task, name="unscale")
    expect_close(got, ref.unscale(scaled, 540_000.0, 367_000.0), task,
                 "prices in dollars from scaled predictions",
                 "invert y_scaled = (y - mean) / std: multiply by std, then add the mean; "
                 "return shape (n,)", atol=1e-3)
    passed(task, "predictions back in dollars")
