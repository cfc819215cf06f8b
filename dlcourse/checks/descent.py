"""Checks for lab 04 (gradient descent)."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import as_array, call, expect_close, fail, passed
from answer_key import descent as ref

X, Y = ref.SEED_X, ref.SEED_Y


def _pair(value, task: str, what: str) -> tuple[float, float]:
    __tracebackhide__ = True
    arr = as_array(value, task, what).reshape(-1)
    if arr.size != 2:
        fail(task, f"{what} should be a pair of two numbers", "(w-part, b-part)", value)
    return float(arr[0]), float(arr[1])


def check_mse_gradient(mse_gradient) -> None:
    __tracebackhide__ = True
    task = "mse_gradient"
    dw, db = _pair(call(mse_gradient, X, Y, 10.0, 10.0, task=task, name="mse_gradient"), task,
                   "mse_gradient(x, y, 10, 10)")
    exp_dw, exp_db = ref.mse_gradient(X, Y, 10.0, 10.0)
    got = np.array([dw, db])
    if not np.allclose(got, [exp_dw, exp_db], rtol=1e-6, atol=1e-9):
        hint = ("with e = w*x + b - y (prediction minus target): dL/dw = 2 * mean(e * x) and "
                "dL/db = 2 * mean(e)")
        if np.allclose(got, [-exp_dw, -exp_db]):
            hint = ("sign error: differentiate with e = prediction - target (w*x + b - y); "
                    "y - prediction flips both gradients, and descent would climb")
        elif np.allclose(got, [exp_dw / 2, exp_db / 2]):
            hint = "the factor 2 from differentiating the square is missing"
        elif np.allclose(got, [exp_dw * len(X), exp_db * len(X)]):
            hint = "the loss is the MEAN squared error: average over the samples, do not sum"
        elif np.allclose(got, [exp_db, exp_dw]):
            hint = "the two gradients are swapped: return (dL/dw, dL/db)"
        elif np.isclose(db, exp_db):
            hint = "dL/db is right; dL/dw needs the extra factor x: 2 * mean(e * x)"
        fail(task, "gradient at w = b = 10 on the points of Y = 2X - 1 is wrong",
             np.array([exp_dw, exp_db]), got, hint)
    for w, b in ((2.0, -1.0), (3.0, -1.0), (-0.5, 4.0)):
        got = _pair(call(mse_gradient, X, Y, w, b, task=task, name="mse_gradient"), task,
                    f"mse_gradient(x, y, {w}, {b})")
        expect_close(got, ref.mse_gradient(X, Y, w, b), task, f"gradient at w={w}, b={b}",
                     "at the true line w=2, b=-1 both gradients must be 0")
    passed(task, "dL/dw = 115.67 and dL/db = 46 at the start of the course's run")


def check_step(step) -> None:
    __tracebackhide__ = True
    task = "step"
    for w, b, lr in ((10.0, 10.0, 0.09), (3.0, -1.0, 0.05), (0.0, 0.0, 0.1), (-2.0, 5.0, 0.01)):
        got = np.array(_pair(call(step, X, Y, w, b, lr, task=task, name="step"), task,
                             f"step(x, y, {w}, {b}, {lr})"))
        expected = np.array(ref.step(X, Y, w, b, lr))
        if np.allclose(got, expected):
            continue
        new_w = expected[0]
        stale = np.array([new_w, b - lr * ref.mse_gradient(X, Y, new_w, b)[1]])
        hint = ("w - lr * dL/dw and b - lr * dL/db, with both gradients computed at the "
                "current (w, b); from (10, 10) with lr 0.09 the step lands at (-0.41, 5.86)")
        if np.allclose(got, stale):
            hint = ("b was updated with a gradient computed after w had already changed: "
                    "compute dL/dw and dL/db first, at the old (w, b), then update both")
        elif np.allclose(got, [2 * w - expected[0], 2 * b - expected[1]]):
            hint = "you moved uphill: subtract lr * gradient"
        fail(task, f"(w, b) after one step from w={w}, b={b}, lr={lr} is wrong", expected, got,
             hint)
    passed(task, "one step from (10, 10) lands at (-0.41, 5.86), as in the course's run")


def _history(value, task, what, epochs):
    __tracebackhide__ = True
    arr = as_array(value, task, what)
    if arr.shape != (epochs + 1, 3):
        fail(task, f"{what} has the wrong shape", f"shape ({epochs + 1}, 3)", f"shape {arr.shape}",
             "one row (w, b, loss) for the start and one after each of the epochs updates")
    return arr


def check_gradient_descent(gradient_descent) -> None:
    __tracebackhide__ = True
    task = "gradient_descent"
    what = "gradient_descent(x, y, 10, 10, 0.09, 50)"
    got = _history(call(gradient_descent, X, Y, 10.0, 10.0, 0.09, 50, task=task,
                        name="gradient_descent"), task, what, 50)
    expected = ref.gradient_descent(X, Y, 10.0, 10.0, 0.09, 50)
    expect_close(got[0], expected[0], task, "row 0 (the start: w, b and the loss before any step)",
                 "row 0 is (10, 10, 715.67): record the starting point before the first update")
    if np.allclose(got[:-1], expected[1:], rtol=1e-6):
        fail(task, "the rows are shifted by one epoch", expected[1], got[0],
             "append the start (w, b, loss) first, then one row after every update")
    expect_close(got, expected, task, f"the history of {what}",
                 "each epoch: one step(...) on all the data, then append (w, b, loss) with the "
                 "loss computed at the new (w, b)", rtol=1e-6, atol=1e-9)
    passed(task, "715.67 at the start; after 50 epochs w = 1.98, b = -0.94")


def check_batches(iterations_per_epoch, make_batches) -> None:
    __tracebackhide__ = True
    task = "batches"
    for n, size in ((10, 4), (10, 5), (1000, 32), (7, 1), (5, 8)):
        got = call(iterations_per_epoch, n, size, task=task, name="iterations_per_epoch")
        expected = ref.iterations_per_epoch(n, size)
        if got != expected:
            hint = "round UP: the last, smaller batch is an iteration too (math.ceil)"
            fail(task, f"iterations_per_epoch({n}, {size}) is wrong", expected, got, hint)
    batches = call(make_batches, 10, 4, np.random.default_rng(0), task=task, name="make_batches")
    sizes = [len(batch) for batch in batches]
    if sizes != [4, 4, 2]:
        fail(task, "10 samples in batches of 4 should give batch sizes [4, 4, 2]", [4, 4, 2],
             sizes, "keep the leftover samples as a last, smaller batch")
    joined = np.concatenate([np.asarray(batch) for batch in batches])
    if sorted(joined.tolist()) != list(range(10)):
        fail(task, "every sample index 0..9 must appear exactly once per epoch",
             list(range(10)), sorted(joined.tolist()), "split one permutation of the indices")
    if joined.tolist() == list(range(10)):
        fail(task, "the batches were not shuffled", "a permutation of 0..9", joined.tolist(),
             "use rng.permutation(n_samples) to shuffle before splitting")
    passed(task, "10 samples, batch 4 -> 3 iterations per epoch (4 + 4 + 2)")


def check_momentum_descent(momentum_descent) -> None:
    __tracebackhide__ = True
    task = "momentum_descent"
    what = "momentum_descent(x, y, 10, 10, 0.01, 0.9, 30)"
    got = _history(call(momentum_descent, X, Y, 10.0, 10.0, 0.01, 0.9, 30, task=task,
                        name="momentum_descent"), task, what, 30)
    expected = ref.momentum_descent(X, Y, 10.0, 10.0, 0.01, 0.9, 30)
    plain = ref.gradient_descent(X, Y, 10.0, 10.0, 0.01, 30)
    if np.allclose(got, plain):
        fail(task, "this is plain gradient descent: the velocity is not used", expected[-1],
             got[-1], "v = momentum * v - lr * gradient, then w = w + v (same for b)")
    expect_close(got[:2], expected[:2], task, "the first two rows",
                 "velocities start at 0, so the first step is the same as plain gradient descent")
    expect_close(got, expected, task, f"the history of {what}",
                 "keep one velocity for w and one for b across epochs: "
                 "v = momentum * v - lr * gradient; w = w + v", rtol=1e-6, atol=1e-9)
    passed(task, "momentum reaches a low loss in far fewer epochs at lr = 0.01")
