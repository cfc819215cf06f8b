"""Checks for lab 03 (loss functions)."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import as_array, call, fail, passed
from dlcourse.datasets import toy
from dlcourse.reference import losses as ref

TIPS_PRED = np.full_like(toy.TIPS, toy.TIPS_GUESS)


def _scalar(value, task: str, what: str) -> float:
    __tracebackhide__ = True
    arr = as_array(value, task, what)
    if arr.size != 1:
        fail(task, f"{what} should be one number (the loss of the whole batch)", "a scalar",
             f"an array of shape {arr.shape}",
             "reduce over every sample with np.sum or np.mean; do not return one value per sample")
    return float(arr.reshape(-1)[0])


def _close(got: float, expected: float) -> bool:
    return bool(np.isclose(got, expected, rtol=1e-6, atol=1e-6))


def _expect(got, expected, task, what, hint, wrong=()):
    """Compare a scalar loss; ``wrong`` lists (value, hint) pairs of known mistakes."""
    __tracebackhide__ = True
    value = _scalar(got, task, what)
    if _close(value, expected):
        return
    if not np.isfinite(value):
        hint = ("the loss is not finite: a log of 0 gives -inf (and 0 * -inf gives nan); clip "
                f"probabilities to [{ref.EPSILON:g}, 1 - {ref.EPSILON:g}] with np.clip first")
    for wrong_value, wrong_hint in wrong:
        if _close(value, wrong_value):
            hint = wrong_hint
            break
    fail(task, f"{what} is wrong", expected, value, hint)


def check_regression_losses(sse, mse, mae) -> None:
    __tracebackhide__ = True
    task = "sse_mse_mae"
    n = len(toy.TIPS)
    got = call(sse, toy.TIPS, TIPS_PRED, task=task, name="sse")
    _expect(got, 76.0, task, "sse(tips, 10) (the squared residuals 4+9+9+4+25+25)",
            "square each residual (actual - predicted), then add them up",
            [(0.0, "the residuals cancel out: square them before adding"),
             (76.0 / n, "SSE is a sum: do not divide by the number of samples"),
             (20.0, "that is the sum of absolute residuals; SSE squares them")])
    got = call(mse, toy.TIPS, TIPS_PRED, task=task, name="mse")
    _expect(got, 76.0 / n, task, "mse(tips, 10) = 76/6",
            "MSE is the mean of the squared residuals: np.mean((y_true - y_pred) ** 2)",
            [(76.0, "you returned the sum of squares: the MSE divides it by n (use np.mean)"),
             (0.0, "the residuals cancel out: square them before averaging"),
             (np.sqrt(76.0 / n), "no square root in the MSE (that would be the RMSE)")])
    got = call(mae, toy.TIPS, TIPS_PRED, task=task, name="mae")
    _expect(got, 20.0 / n, task, "mae(tips, 10) = 20/6",
            "MAE is the mean of the absolute residuals: np.mean(np.abs(y_true - y_pred))",
            [(20.0, "you returned the sum of |residuals|: the MAE divides it by n"),
             (0.0, "take the absolute value of each residual before averaging"),
             (10.0 / n, "the MAE has no factor 1/2")])
    rng = np.random.default_rng(30)
    y_true, y_pred = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    for fn, name in ((sse, "sse"), (mse, "mse"), (mae, "mae")):
        got = call(fn, y_true, y_pred, task=task, name=name)
        _expect(got, getattr(ref, name)(y_true, y_pred), task, f"{name} on a (5, 3) batch",
                "work on whole arrays (no loop over a fixed length) and reduce over every entry")
    passed(task, "tips example reproduced: SSE 76, MSE 12.67, MAE 3.33")


def check_rmse_huber(rmse, huber) -> None:
    __tracebackhide__ = True
    task = "rmse_huber"
    n = len(toy.TIPS)
    got = call(rmse, toy.TIPS, TIPS_PRED, task=task, name="rmse")
    _expect(got, np.sqrt(76.0 / n), task, "rmse(tips, 10) = sqrt(76/6)",
            "RMSE = sqrt(mean((y_true - y_pred) ** 2))",
            [(76.0 / n, "you returned the MSE: take its square root (np.sqrt)"),
             (np.sqrt(76.0), "divide by n inside the root: sqrt of the *mean* squared residual"),
             (np.sqrt(20.0 / n), "square the residuals, not their absolute values")])
    # residuals 0.5 (quadratic branch), 2 and -4 (linear branch) with delta = 1
    y_true, y_pred = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, 7.0])
    expected = ref.huber(y_true, y_pred, 1.0)
    small, large = np.array([0.5, 2.0, 4.0]), 1.0
    swapped = np.mean(np.where(small <= large, large * small - 0.5 * large**2, 0.5 * small**2))
    got = call(huber, y_true, y_pred, 1.0, task=task, name="huber")
    _expect(got, expected, task, "huber([1, 2, 3], [0.5, 0, 7], delta=1)",
            "use 0.5 * e**2 where |e| <= delta and delta * (|e| - 0.5 * delta) elsewhere, "
            "with e = y_true - y_pred, then average",
            [(swapped, "the two branches are swapped: small residuals (|e| <= delta) get the "
                       "quadratic 0.5 * e**2, large ones the linear part"),
             (ref.mse(y_true, y_pred) / 2, "every residual took the quadratic branch: large "
                                            "residuals (|e| > delta) must grow only linearly"),
             (3 * expected, "average over the samples (np.mean), do not sum")])
    got = call(huber, y_true, y_pred, 3.0, task=task, name="huber")
    _expect(got, ref.huber(y_true, y_pred, 3.0), task, "huber(..., delta=3)",
            "use the delta you are given in both the test |e| <= delta and the linear branch")
    passed(task, "RMSE in the target's units; Huber quadratic near 0 and linear beyond delta")


def check_binary_crossentropy(binary_crossentropy) -> None:
    __tracebackhide__ = True
    task = "binary_crossentropy"
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([0.9, 0.2, 0.6, 0.4])
    expected = ref.binary_crossentropy(y, p)
    got = call(binary_crossentropy, y, p, task=task, name="binary_crossentropy")
    _expect(got, expected, task, "binary_crossentropy([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4])",
            "loss = -mean(y * log(p) + (1 - y) * log(1 - p))",
            [(-expected, "sign error: log p is negative, so the loss needs a minus sign in front"),
             (4 * expected, "average over the samples (np.mean), do not sum"),
             (float(-np.mean(y * np.log(p))), "the (1 - y) * log(1 - p) term is missing: "
                                               "samples with label 0 must count too")])
    y0, p0 = np.array([1.0, 0.0, 1.0]), np.array([1.0, 0.0, 0.0])
    expected = ref.binary_crossentropy(y0, p0)
    got = call(binary_crossentropy, y0, p0, task=task, name="binary_crossentropy")
    _expect(got, expected, task, "binary_crossentropy([1, 0, 1], [1, 0, 0]) (a certain miss)",
            f"clip p to [{ref.EPSILON:g}, 1 - {ref.EPSILON:g}] before the log, as Keras does")
    passed(task, "matches Keras, including probabilities of exactly 0 and 1")


def check_categorical(categorical_crossentropy, sparse_categorical_crossentropy) -> None:
    __tracebackhide__ = True
    task = "categorical_crossentropy"
    labels = np.array([0, 1, 2, 1])
    y = ref.one_hot(labels, 3)
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
    expected = ref.categorical_crossentropy(y, p)
    wrong = [(-expected, "sign error: cross-entropy is -sum(y * log p)"),
             (expected / 3, "you averaged over the classes too: sum over the class axis "
                            "(axis=-1), then average over the samples"),
             (4 * expected, "average over the samples (np.mean), do not sum"),
             (float(-np.sum(np.log(p)) / 4), "multiply by the one-hot y: only the true class's "
                                             "probability counts")]
    got = call(categorical_crossentropy, y, p, task=task, name="categorical_crossentropy")
    _expect(got, expected, task, "categorical_crossentropy(one_hot([0, 1, 2, 1]), p)",
            "per sample: -np.sum(y * np.log(p), axis=-1); then the mean over samples", wrong)
    got = call(sparse_categorical_crossentropy, labels, p, task=task,
               name="sparse_categorical_crossentropy")
    _expect(got, expected, task, "sparse_categorical_crossentropy([0, 1, 2, 1], p)",
            "pick each row's probability of its true class: p[np.arange(n), labels], then "
            "-mean(log(...))", wrong +
            [(float(-np.mean(np.log(p[np.arange(4), labels - 1]))),
              "labels are 0..K-1 here (no -1 shift); row i's true class is column labels[i]")])
    p0 = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    y0 = ref.one_hot([0, 1], 3)
    got = call(categorical_crossentropy, y0, p0, task=task, name="categorical_crossentropy")
    _expect(got, ref.categorical_crossentropy(y0, p0), task,
            "categorical_crossentropy with a predicted probability of 0 for a true class",
            f"clip p to [{ref.EPSILON:g}, 1 - {ref.EPSILON:g}] before the log")
    got = call(sparse_categorical_crossentropy, np.array([0, 1]), p0, task=task,
               name="sparse_categorical_crossentropy")
    _expect(got, ref.sparse_categorical_crossentropy([0, 1], p0), task,
            "sparse_categorical_crossentropy with a predicted probability of 0 for a true class",
            f"clip p to [{ref.EPSILON:g}, 1 - {ref.EPSILON:g}] before the log")
    passed(task, "one-hot and integer labels give the same loss, and log(0) is avoided")


def check_best_constant(best_constant) -> None:
    __tracebackhide__ = True
    task = "best_constant"
    candidates = np.linspace(0, 20, 201)
    y = np.append(toy.TIPS, 50.0)  # the tips plus one outlier
    for loss, name, expected, hint in (
        (ref.mse, "mse", ref.best_constant(y, ref.mse, candidates),
         "with MSE the best constant is the mean (110/7 = 15.7)"),
        (ref.mae, "mae", ref.best_constant(y, ref.mae, candidates),
         "with MAE the best constant is the median (12)"),
    ):
        got = call(best_constant, y, loss, candidates, task=task, name="best_constant")
        value = _scalar(got, task, f"best_constant(tips + outlier, {name}, candidates)")
        if not np.isclose(value, expected, atol=1e-9):
            if np.isclose(value, candidates[np.argmax([loss(y, np.full_like(y, c))
                                                       for c in candidates])]):
                hint = "you returned the worst candidate: use np.argmin, not np.argmax"
            fail(task, f"best constant under {name} is wrong", expected, value, hint)
    got = call(best_constant, np.array([1.0, 2.0]), ref.mse, np.array([5.0, 1.5, 9.0]), task=task,
               name="best_constant")
    value = _scalar(got, task, "best_constant([1, 2], mse, [5, 1.5, 9])")
    if not np.isclose(value, 1.5):
        fail(task, "return the candidate value itself, not its index", 1.5, value,
             "candidates[np.argmin(losses)]")
    passed(task, "MSE picks the mean (pulled by the outlier), MAE the median")
