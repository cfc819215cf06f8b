"""Checks for lab 02 (perceptron): fixed cases with expected values worked out by hand."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import blame_earlier, call, expect_close, fail, graded_alone, passed
from dlcourse.datasets.toy import (
    AND_Y,
    CONCERT_THRESHOLD,
    CONCERT_X,
    CONCERT_Y,
    GATE_X,
    OR_Y,
    XOR_Y,
)

# (w, b, x, y, lr) -> (new w, new b), and why the case is there.
UPDATE_CASES = [
    (([-1.0, 0.0], 0.0, [1.0, 1.0], 1, 1.0), ([0.0, 1.0], 1.0),
     "a missed positive (predicted 0, target 1)"),
    (([1.0, 1.0], 0.0, [1.0, 0.0], 0, 1.0), ([0.0, 1.0], -1.0),
     "a false positive (predicted 1, target 0)"),
    (([-1.0, 0.0], 0.0, [1.0, 1.0], 1, 0.5), ([-0.5, 0.5], 0.5),
     "a missed positive with lr = 0.5"),
    (([0.5, -2.0, 1.0], 0.25, [2.0, -1.0, -1.0], 0, 0.3), ([-0.1, -1.7, 1.3], -0.05),
     "a false positive with three inputs and lr = 0.3"),
    (([1.0, 1.0], -1.0, [1.0, 1.0], 1, 1.0), ([1.0, 1.0], -1.0),
     "a correct prediction (nothing to learn)"),
]
# (gate, labels, lr, epochs) -> (w, b, mistakes per epoch), starting from w = 0, b = 0.
TRAIN_CASES = [
    ("AND", AND_Y, 1.0, 20, ([2.0, 1.0], -3.0, [2, 3, 3, 2, 1, 0])),
    ("OR", OR_Y, 1.0, 20, ([1.0, 1.0], -1.0, [2, 2, 1, 0])),
    ("AND", AND_Y, 0.25, 20, ([0.5, 0.25], -0.75, [2, 3, 3, 2, 1, 0])),
    ("XOR", XOR_Y, 1.0, 6, ([-1.0, 0.0], 0.0, [3, 3, 4, 4, 4, 4])),
]
# (w, b) -> (slope, intercept) of w1*x1 + w2*x2 + b = 0.
LINE_CASES = [(([1.0, 2.0], -3.0), (-0.5, 1.5)), (([2.0, -1.0], 0.5), (2.0, 0.5)),
              (([1.0, 1.0], -1.5), (-1.0, 1.5)), (([-0.5, 4.0], 2.0), (0.125, -0.5))]


def check_predict(predict) -> None:
    __tracebackhide__ = True
    task = "predict"
    got = call(predict, CONCERT_X, [35, 20, 30], -CONCERT_THRESHOLD, task=task,
               name="predict")
    expect_close(got, CONCERT_Y, task, "predict(CONCERT_X, [35, 20, 30], -60)",
                 hint="compute z = X @ w + b for every row, then output 1 where z >= 0")
    got = call(predict, CONCERT_X, [33, 33, 33], -CONCERT_THRESHOLD, task=task, name="predict")
    expect_close(got, [1, 1, 0, 1, 1, 0, 0], task, "predict with equal weights 33/33/33",
                 hint="with weights 33 each, a row with two 1s sums to 66 >= 60")
    got = call(predict, np.array([[1, 1, 0]]), [30, 30, 30], -60, task=task, name="predict")
    expect_close(np.asarray(got, dtype=float).reshape(-1), [1], task,
                 "a sum exactly at the threshold (z = 0)",
                 "the step function outputs 1 when z >= 0, not only when z > 0")
    got = call(predict, GATE_X, [1, 1], -1.5, task=task, name="predict")
    expect_close(got, AND_Y, task, "predict(GATE_X, [1, 1], -1.5)",
                 hint="did you add the bias b to the weighted sum?")
    single = call(predict, np.array([1, 0, 1]), [35, 20, 30], -60, task=task, name="predict")
    if np.asarray(single).size != 1 or float(np.asarray(single, dtype=float).reshape(-1)[0]) != 1:
        fail(task, "a single sample (a 1-D x) should give one prediction", 1, single,
             "X @ w works for one row too; do not loop over a fixed number of rows")
    passed(task, "all seven concert rows right, threshold and bias handled")


@graded_alone
def check_update(update) -> None:
    __tracebackhide__ = True
    task = "update"
    blame_earlier(update, task, ("predict",), _earlier_right)
    hint = ("the error is (y - y_hat): target minus prediction; "
            "w moves by lr * error * x and b by lr * error")
    for (w, b, x, y, lr), (w_exp, b_exp), why in UPDATE_CASES:
        w_in = np.array(w)
        got = call(update, w_in, b, np.array(x), y, lr, task=task, name="update")
        if not isinstance(got, tuple) or len(got) != 2:
            fail(task, "update should return a tuple (new_w, new_b)", "(w, b)", got)
        expect_close(got[0], w_exp, task, f"new w after {why}", hint)
        expect_close(got[1], b_exp, task, f"new b after {why}",
                     "the bias is a weight on a constant input 1: update it by lr * error")
        if not np.array_equal(w_in, w):
            fail(task, "update changed the w array it was given",
                 hint="build a new array (w + ...) instead of modifying w in place (w += ...)")
    passed(task, "learning rule right for both kinds of mistake, any lr, and a correct guess")


def _predict_works(predict) -> bool:
    tie = np.asarray(predict(np.array([[1, 1, 0]]), [30, 30, 30], -60), dtype=float)
    gates = np.asarray(predict(GATE_X, [1, 1], -1.5), dtype=float)
    return tie.reshape(-1).tolist() == [1.0] and gates.reshape(-1).tolist() == AND_Y.tolist()


def _update_works(update) -> bool:
    (w, b, x, y, lr), (w_exp, b_exp), _ = UPDATE_CASES[2]
    new_w, new_b = update(np.array(w), b, np.array(x), y, lr)
    return np.allclose(np.asarray(new_w, dtype=float), w_exp) and np.isclose(new_b, b_exp)


PROBES = {"predict": _predict_works, "update": _update_works}


def _earlier_right(fn, name: str) -> bool:
    """Whether the earlier task ``name`` in fn's notebook passes a stored case; a missing
    or crashing one is wrong."""
    try:
        return bool(PROBES[name](getattr(fn, "__globals__", {}).get(name)))
    except Exception:
        return False


@graded_alone
def check_train(train) -> None:
    __tracebackhide__ = True
    task = "train"
    blame_earlier(train, task, ("predict", "update"), _earlier_right)
    for gate, y, lr, epochs, (w_exp, b_exp, errors_exp) in TRAIN_CASES:
        result = call(train, GATE_X, y, lr, epochs, task=task, name="train")
        if not isinstance(result, tuple) or len(result) != 3:
            fail(task, "train should return (w, b, errors)", "a 3-tuple", result)
        w, b, errors = result
        what = f"train(GATE_X, {gate}, lr={lr}, epochs={epochs})"
        expect_close(list(errors), errors_exp, task, f"mistakes per epoch of {what}",
                     "start from w = 0 and b = 0; count a mistake when predict is wrong "
                     "*before* calling update; stop after the first epoch with no mistakes")
        expect_close(w, w_exp, task, f"final w of {what}",
                     "start from w = 0 and b = 0, and pass lr on to update")
        expect_close(b, b_exp, task, f"final b of {what}",
                     "start from b = 0 and keep the b that update returns")
    passed(task, "AND and OR learned from zero weights at two learning rates; XOR never "
                 "converges")


def check_decision_line(decision_line) -> None:
    __tracebackhide__ = True
    task = "decision_line"
    for (w, b), expected in LINE_CASES:
        got = call(decision_line, np.array(w), b, task=task, name="decision_line")
        expect_close(got, expected, task, f"(slope, intercept) for w={w}, b={b}",
                     hint="solve w1*x1 + w2*x2 + b = 0 for x2")
    passed(task, "boundary lines right")
