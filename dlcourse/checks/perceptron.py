"""Checks for lab 02 (perceptron)."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.datasets.toy import (
    AND_Y,
    CONCERT_THRESHOLD,
    CONCERT_X,
    CONCERT_Y,
    GATE_X,
    OR_Y,
    XOR_Y,
)
from dlcourse.reference import perceptron as ref


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
    if np.asarray(got).reshape(-1).tolist() != [1]:
        fail(task, "a sum exactly at the threshold (z = 0) must give 1", [1], got,
             "the step function outputs 1 when z >= 0, not only when z > 0")
    got = call(predict, GATE_X, [1, 1], -1.5, task=task, name="predict")
    expect_close(got, AND_Y, task, "predict(GATE_X, [1, 1], -1.5)",
                 hint="did you add the bias b to the weighted sum?")
    single = call(predict, np.array([1, 0, 1]), [35, 20, 30], -60, task=task, name="predict")
    if np.asarray(single).size != 1 or int(np.asarray(single).reshape(-1)[0]) != 1:
        fail(task, "a single sample (a 1-D x) should give one prediction", 1, single,
             "X @ w works for one row too; do not loop over a fixed number of rows")
    passed(task, "all seven concert rows right, threshold and bias handled")


def check_update(update) -> None:
    __tracebackhide__ = True
    task = "update"
    cases = [  # (w, b, x, y, lr, why)
        ([-1.0, 0.0], 0.0, [1.0, 1.0], 1, 1.0, "a missed positive (predicted 0, target 1)"),
        ([1.0, 1.0], 0.0, [1.0, 0.0], 0, 1.0, "a false positive (predicted 1, target 0)"),
        ([-1.0, 0.0], 0.0, [1.0, 1.0], 1, 0.5, "a missed positive with lr = 0.5"),
        ([1.0, 1.0], -1.0, [1.0, 1.0], 1, 1.0, "a correct prediction (nothing to learn)"),
    ]
    for w, b, x, y, lr, why in cases:
        w_in = np.array(w)
        got = call(update, w_in, b, np.array(x), y, lr, task=task, name="update")
        if not isinstance(got, tuple) or len(got) != 2:
            fail(task, "update should return a tuple (new_w, new_b)", "(w, b)", got)
        w_exp, b_exp = ref.update(w, b, x, y, lr)
        hint = ("the error is (y - y_hat): target minus prediction; "
                "w moves by lr * error * x and b by lr * error")
        expect_close(got[0], w_exp, task, f"new w after {why}", hint)
        expect_close(got[1], b_exp, task, f"new b after {why}",
                     "the bias is a weight on a constant input 1: update it by lr * error")
        if not np.array_equal(w_in, w):
            fail(task, "update changed the w array it was given",
                 hint="build a new array (w + ...) instead of modifying w in place (w += ...)")
    passed(task, "learning rule right for both kinds of mistake and for a correct guess")


def check_train(train) -> None:
    __tracebackhide__ = True
    task = "train"
    for name, y in (("AND", AND_Y), ("OR", OR_Y)):
        result = call(train, GATE_X, y, 1.0, 20, task=task, name="train")
        if not isinstance(result, tuple) or len(result) != 3:
            fail(task, "train should return (w, b, errors)", "a 3-tuple", result)
        w, b, errors = result
        preds = ref.predict(GATE_X, w, b)
        expect_close(preds, y, task, f"predictions of the perceptron trained on {name}",
                     hint="loop over epochs and samples, calling update for every sample")
        if len(errors) == 0 or errors[-1] != 0:
            fail(task, f"on {name} the last epoch should make no mistakes", 0,
                 errors[-1] if len(errors) else errors,
                 "count the mistakes in each epoch and stop after an epoch with none")
    w, b, errors = call(train, GATE_X, XOR_Y, 1.0, 15, task=task, name="train")
    if len(errors) != 15 or min(errors) == 0:
        fail(task, "on XOR the rule never reaches an error-free epoch, so all 15 epochs run",
             "15 epochs, each with mistakes", f"{len(errors)} epochs, errors {list(errors)}",
             "only stop early when an epoch had zero mistakes")
    passed(task, "AND and OR learned; XOR keeps making mistakes, as it must")


def check_decision_line(decision_line) -> None:
    __tracebackhide__ = True
    task = "decision_line"
    for w, b in (([1.0, 2.0], -3.0), ([2.0, -1.0], 0.5), ([1.0, 1.0], -1.5)):
        got = call(decision_line, np.array(w), b, task=task, name="decision_line")
        expect_close(got, ref.decision_line(w, b), task, f"(slope, intercept) for w={w}, b={b}",
                     hint="solve w1*x1 + w2*x2 + b = 0 for x2")
    passed(task, "boundary lines right")
