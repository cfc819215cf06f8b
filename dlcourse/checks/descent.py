"""Checks for lab 04 (gradient descent).

Every expected value is a stored literal, computed once with the course's answer key in
float64 (printed with full precision and pasted here). Comparisons are plain Python, so a
patched NumPy comparison cannot make a wrong answer pass.
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from dlcourse.checks.core import as_array, call, close, fail, passed

# The course's six points on Y = 2X - 1, and five points that lie on no line.
X = [-1.0, 0.0, 1.0, 2.0, 3.0, 4.0]
Y = [-3.0, -1.0, 1.0, 3.0, 5.0, 7.0]
X2 = [0.0, 1.0, 2.0, 3.0, 5.0]
Y2 = [1.0, 2.5, 2.0, 4.5, 6.0]
DATA = {"the line": (X, Y), "the five points": (X2, Y2)}

# (data, w, b, (dL/dw, dL/db))
GRADIENT_CASES = (
    ("the line", 10.0, 10.0, (115.66666666666667, 46.0)),
    ("the line", 2.0, -1.0, (0.0, 0.0)),
    ("the line", 3.0, -1.0, (10.333333333333334, 3.0)),
    ("the line", -0.5, 4.0, (-10.833333333333334, 2.5)),
    ("the five points", 0.5, -2.0, (-21.0, -8.2)),
    ("the five points", -1.5, 0.25, (-42.3, -12.5)),
)
# (data, w, b, lr, new (w, b))
STEP_CASES = (
    ("the line", 10.0, 10.0, 0.09, (-0.41000000000000014, 5.86)),
    ("the line", 3.0, -1.0, 0.05, (2.4833333333333334, -1.15)),
    ("the line", 0.0, 0.0, 0.1, (1.7666666666666668, 0.4)),
    ("the line", -2.0, 5.0, 0.01, (-1.7666666666666666, 5.0)),
    ("the five points", 0.5, -2.0, 0.03, (1.13, -1.754)),
    ("the five points", -1.5, 0.25, 0.2, (6.959999999999999, 2.75)),
)
STALE_STEP = (-0.41000000000000014, 8.6707)  # b's gradient taken after w moved, first case

# The course's run: (10, 10), lr 0.09, 50 epochs; rows of the history (w, b, loss).
RUN_ROWS = {
    0: (10.0, 10.0, 715.6666666666666),
    1: (-0.41000000000000014, 5.86, 27.470316666666665),
    2: (-0.02090000000000014, 5.2759, 22.438878731666666),
    10: (1.0723274295685874, 1.876086132160874, 4.713984183905903),
    50: (1.9812342919659809, -0.9418202129101191, 0.0019289838882201574),
}
# The five points from (-1, 0.5), lr 0.05, 4 epochs; and from (2, -0.5) with 0 epochs.
SHORT_RUN = (
    (-1.0, 0.5, 36.15),
    (0.6699999999999999, 0.99, 1.1640400000000002),
    (0.9296, 1.0636, 0.3230022719999999),
    (0.97052, 1.0727280000000001, 0.30263441676799996),
    (0.97751424, 1.0719408000000001, 0.30200160036907014),
)
NO_EPOCHS = ((2.0, -0.5, 3.75),)

# Momentum on the line: (10, 10), lr 0.01, momentum 0.9, 30 epochs.
MOMENTUM_ROWS = {
    0: (10.0, 10.0, 715.6666666666666),
    1: (8.843333333333334, 9.54, 569.4390574074074),
    2: (6.77898888888889, 8.7099, 351.4928004473045),
    3: (4.135953037037037, 7.625242333333333, 153.23600242479336),
    10: (-5.390081238657586, 1.7518247142336, 228.73263503512484),
    30: (0.970558137110173, -2.512993662121997, 12.43714470070951),
}
PLAIN_ROW_30 = (0.4847096853786993, 4.678465216675609, 18.29460499362374)  # no momentum
# Momentum on the five points: (1, -1), lr 0.04, momentum 0.5, 5 epochs; and without it.
MOMENTUM_SHORT = (
    (1.0, -1.0, 4.3),
    (1.352, -0.84, 1.8022591999999995),
    (1.632192, -0.674752, 1.5636295233536006),
    (1.6725565439999999, -0.5694136320000001, 1.6469657291943829),
    (1.549280331776, -0.509561309184, 1.2837463509406204),
    (1.41057408905216, -0.455543581433856, 1.103984249640317),
)
PLAIN_SHORT_LAST = (1.46933732950016, -0.596424675065856, 1.2699850158136836)

# (n_samples, batch_size, iterations per epoch)
ITERATION_CASES = ((10, 4, 3), (10, 5, 2), (1000, 32, 32), (7, 1, 7), (5, 8, 1), (64, 64, 1),
                   (65, 64, 2))
# (seed, n_samples, batch_size, first call's batches, second call's with the same rng):
# np.random.default_rng(seed).permutation(n_samples), cut into consecutive batches.
BATCH_CASES = (
    (2024, 10, 4, [[3, 5, 2, 9], [0, 7, 4, 1], [6, 8]], [[9, 1, 5, 2], [6, 4, 0, 7], [3, 8]]),
    (7, 9, 3, [[8, 0, 7], [1, 3, 6], [2, 4, 5]], [[3, 2, 8], [4, 1, 5], [6, 0, 7]]),
    (11, 5, 8, [[1, 4, 2, 3, 0]], [[4, 2, 1, 0, 3]]),
)


# Adam (task 6), computed with the answer key's adam_step.
# (theta, grad, m, v, t, lr, beta1, beta2, epsilon) in the middle of a run, and the new
# (theta, m, v, t) it gives.
ADAM_MID = ((0.5, -1.5, 2.0), (0.2, -0.05, 1.5), (0.1, 0.02, -0.3), (0.04, 0.001, 0.5),
            4, 0.01, 0.6, 0.9, 0.01)
ADAM_MID_EXPECTED = ((0.49529339097536257, -1.4986229323064946, 1.9964802152809369),
                     (0.14, -0.008000000000000004, 0.4200000000000001),
                     (0.04000000000000001, 0.00115, 0.6749999999999999), 5)
# The theta that common mistakes give on ADAM_MID, and what each one got wrong.
ADAM_MID_MISTAKES = (
    ("the update has no bias correction: divide m by (1 - beta1**t) and v by (1 - beta2**t) "
     "before using them", (0.49333333333333335, -1.4981781600064286, 1.9949493967813268)),
    ("the bias correction uses the old t: add 1 to t first, then correct with the new t (t = 1 "
     "on the first update, so 1 - beta**t is never 0)",
     (0.4954181147968174, -1.4986449146630119, 1.996580160576418)),
    ("epsilon went inside the square root: the lab adds it after it, sqrt(v_hat) + epsilon",
     (0.4953738344447635, -1.499233518986153, 1.9964635111520332)),
    ("epsilon was added to sqrt(v) before the bias correction (Keras arranges it that way); "
     "this lab adds it to sqrt(v_hat), the square root of the corrected v",
     (0.49537409146110056, -1.4987358502225843, 1.996495455716622)),
    ("the step uses the raw gradient instead of m_hat: that is RMSProp; Adam moves by "
     "m_hat / (sqrt(v_hat) + epsilon)",
     (0.493799109847312, -1.492062581814635, 1.9884068347881831)),
    ("theta moved with the old m and v: update m and v with this gradient first, then move "
     "theta with them", (0.49663813641097326, -1.5036499128958096, 2.0029175068112566)),
    ("the square root of v_hat is missing from the denominator",
     (0.4859019755155373, -1.493227379029191, 1.997253755183428)),
    ("you moved uphill: subtract lr * m_hat / (sqrt(v_hat) + epsilon)",
     (0.5047066090246374, -1.5013770676935054, 2.003519784719063)),
)
# m and v on ADAM_MID with beta and (1 - beta) swapped.
ADAM_MID_SWAPPED = ((0.16, -0.022, 0.7799999999999999), (0.04, 0.00235, 2.075))
# From theta (10, 10), m = v = 0, t = 0: four gradients at lr 0.3, beta1 0.8, beta2 0.95,
# epsilon 0.5, each call fed the state the previous one returned; rows (theta, m, v, t).
ADAM_RUN_GRADIENTS = ((115.66666666666667, 46.0), (-20.0, 5.0), (3.0, -8.0), (0.5, 0.25))
ADAM_RUN = (
    ((9.7012912482066, 9.703225806451613), (23.13333333333333, 9.199999999999998),
     (668.9388888888896, 105.8000000000001), 1),
    ((9.554748368593094, 9.490867748599843), (14.506666666666664, 8.359999999999998),
     (655.491944444445, 101.76000000000009), 2),
    ((9.442087313321489, 9.374857842062589), (12.205333333333332, 5.087999999999999),
     (623.1673472222228, 99.87200000000009), 3),
    ((9.354142785456727, 9.284286368987294), (9.864266666666666, 4.120399999999999),
     (592.0214798611117, 94.88152500000007), 4),
)
# The first update from (10, 10) at Keras's defaults (lr 0.001, 0.9, 0.999, 1e-7).
ADAM_FIRST_DEFAULT = (9.999000000000864, 9.999000000002173)


def _close(got, expected, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    return close(got, expected, atol=atol, rtol=rtol)


def _arrays(name: str):
    x, y = DATA[name]
    return np.array(x), np.array(y)


def _pair(value, task: str, what: str) -> tuple[float, float]:
    __tracebackhide__ = True
    arr = as_array(value, task, what).reshape(-1)
    if arr.size != 2:
        fail(task, f"{what} should be a pair of two numbers", "(w-part, b-part)", value)
    return float(arr[0]), float(arr[1])


def _earlier_is_wrong(fn, name: str) -> bool:
    """Whether the earlier task ``name`` that ``fn`` can call fails any of its stored cases."""
    earlier = getattr(fn, "__globals__", {}).get(name)
    if not callable(earlier):
        return False
    try:
        if name == "mse_gradient":
            for data, w, b, expected in GRADIENT_CASES:
                got = earlier(*_arrays(data), w, b)
                if not _close(np.asarray(got, dtype=float).reshape(-1), expected):
                    return True
            return False
        for data, w, b, lr, expected in STEP_CASES:
            got = earlier(*_arrays(data), w, b, lr)
            if not _close(np.asarray(got, dtype=float).reshape(-1), expected):
                return True
        return False
    except Exception:
        return True


def _fix_first(fn, task: str, names: tuple[str, ...]) -> str | None:
    for number, name in names:
        if _earlier_is_wrong(fn, name):
            return (f"{name} (task {number}) is wrong, and {task} builds on it: fix {name} "
                    "first, rerun its cell, then this check")
    return None


def check_mse_gradient(mse_gradient) -> None:
    __tracebackhide__ = True
    task = "mse_gradient"
    for data, w, b, expected in GRADIENT_CASES:
        x, y = _arrays(data)
        what = f"mse_gradient(x, y, {w}, {b}) on {data}"
        got = _pair(call(mse_gradient, x, y, w, b, task=task, name="mse_gradient"), task, what)
        if _close(got, expected):
            continue
        exp_dw, exp_db = expected
        n = len(x)
        hint = ("with e = w*x + b - y (prediction minus target): dL/dw = 2 * mean(e * x) and "
                "dL/db = 2 * mean(e)")
        if _close(got, (-exp_dw, -exp_db)):
            hint = ("sign error: differentiate with e = prediction - target (w*x + b - y); "
                    "y - prediction flips both gradients, and descent would climb")
        elif _close(got, (exp_dw / 2, exp_db / 2)):
            hint = "the factor 2 from differentiating the square is missing"
        elif _close(got, (exp_dw * n, exp_db * n)):
            hint = "the loss is the MEAN squared error: average over the samples, do not sum"
        elif _close(got, (exp_db, exp_dw)):
            hint = "the two gradients are swapped: return (dL/dw, dL/db)"
        elif _close(got[1], exp_db):
            hint = "dL/db is right; dL/dw needs the extra factor x: 2 * mean(e * x)"
        fail(task, f"{what} is wrong", np.array(expected), np.array(got), hint)
    passed(task, "dL/dw = 115.67 and dL/db = 46 at the start of the course's run; "
           "0 at the true line")


def check_step(step) -> None:
    __tracebackhide__ = True
    task = "step"
    for data, w, b, lr, expected in STEP_CASES:
        x, y = _arrays(data)
        what = f"step(x, y, {w}, {b}, {lr}) on {data}"
        got = _pair(call(step, x, y, w, b, lr, task=task, name="step"), task, what)
        if _close(got, expected):
            continue
        hint = ("w - lr * dL/dw and b - lr * dL/db, with both gradients computed at the "
                "current (w, b) and the learning rate lr you are given; from (10, 10) with lr "
                "0.09 the step lands at (-0.41, 5.86)")
        earlier = _fix_first(step, task, ((1, "mse_gradient"),))
        if earlier:
            hint = earlier
        elif (w, b, lr) == (10.0, 10.0, 0.09) and _close(got, STALE_STEP):
            hint = ("b was updated with a gradient computed after w had already changed: "
                    "compute dL/dw and dL/db first, at the old (w, b), then update both")
        elif _close(got, (2 * w - expected[0], 2 * b - expected[1])):
            hint = "you moved uphill: subtract lr * gradient"
        fail(task, f"{what} is wrong", np.array(expected), np.array(got), hint)
    passed(task, "one step from (10, 10) lands at (-0.41, 5.86), as in the course's run")


def _history(value, task, what, epochs):
    __tracebackhide__ = True
    arr = as_array(value, task, what)
    if arr.shape != (epochs + 1, 3):
        fail(task, f"{what} has the wrong shape", f"shape ({epochs + 1}, 3)", f"shape {arr.shape}",
             "one row (w, b, loss) for the start and one after each of the epochs updates")
    return arr


def _expect_rows(got, rows, task, what, hint, earlier):
    """Compare the rows ``{index: (w, b, loss)}`` of a history."""
    __tracebackhide__ = True
    for k, expected in rows.items():
        if not _close(got[k], expected):
            if _close(got[k][:2], expected[:2]):
                hint = ("(w, b) are right but the loss is not: the loss is the MSE of the line "
                        "on all the data, np.mean((w * x + b - y) ** 2)")
            elif k == 0:
                hint = ("row 0 is the start: the (w, b) you are given and the loss there, "
                        "recorded before the first update")
            else:
                hint = earlier() or hint
            fail(task, f"row {k} of {what} is wrong", np.array(expected), got[k], hint)


def check_gradient_descent(gradient_descent) -> None:
    __tracebackhide__ = True
    task = "gradient_descent"
    def earlier():
        return _fix_first(gradient_descent, task, ((1, "mse_gradient"), (2, "step")))

    hint = ("each epoch: one step(...) on all the data with the learning rate lr, then append "
            "(w, b, loss) with the loss np.mean((w * x + b - y) ** 2) at the new (w, b)")
    what = "gradient_descent(x, y, 10, 10, 0.09, 50) on the line"
    got = _history(call(gradient_descent, np.array(X), np.array(Y), 10.0, 10.0, 0.09, 50,
                        task=task, name="gradient_descent"), task, what, 50)
    if _close(got[0], RUN_ROWS[1]):
        fail(task, "the rows are shifted by one epoch", np.array(RUN_ROWS[0]), got[0],
             "append the start (w, b, loss) first, then one row after every update")
    _expect_rows(got, RUN_ROWS, task, what, hint, earlier)
    x2, y2 = _arrays("the five points")
    what = "gradient_descent(x, y, -1, 0.5, 0.05, 4) on the five points"
    got = _history(call(gradient_descent, x2, y2, -1.0, 0.5, 0.05, 4, task=task,
                        name="gradient_descent"), task, what, 4)
    _expect_rows(got, dict(enumerate(SHORT_RUN)), task, what,
                 "start from the (w, b) you are given (not 10, 10) and use the learning rate lr",
                 earlier)
    what = "gradient_descent(x, y, 2, -0.5, 0.05, 0) on the five points"
    got = _history(call(gradient_descent, x2, y2, 2.0, -0.5, 0.05, 0, task=task,
                        name="gradient_descent"), task, what, 0)
    _expect_rows(got, dict(enumerate(NO_EPOCHS)), task, what, hint, earlier)
    passed(task, "715.67 at the start; after 50 epochs w = 1.98, b = -0.94")


def check_batches(iterations_per_epoch, make_batches) -> None:
    __tracebackhide__ = True
    task = "batches"
    for n, size, expected in ITERATION_CASES:
        got = call(iterations_per_epoch, n, size, task=task, name="iterations_per_epoch")
        if not isinstance(got, numbers.Integral) or isinstance(got, bool):
            fail(task, f"iterations_per_epoch({n}, {size}) should return an int", expected,
                 got, "math.ceil(...) returns an int; np.ceil returns a float")
        if int(got) != expected:
            fail(task, f"iterations_per_epoch({n}, {size}) is wrong", expected, int(got),
                 "round UP: the last, smaller batch is an iteration too (math.ceil)")
    for seed, n, size, first, second in BATCH_CASES:
        rng = np.random.default_rng(seed)
        for call_number, expected in ((1, first), (2, second)):
            what = (f"make_batches({n}, {size}, rng) with rng = np.random.default_rng({seed})"
                    + (", called a second time with the same rng" if call_number == 2 else ""))
            batches = call(make_batches, n, size, rng, task=task, name="make_batches")
            _expect_batches(batches, expected, n, size, task, what)
    passed(task, "10 samples, batch 4 -> 3 iterations per epoch (4 + 4 + 2), shuffled by the "
           "rng you are given")


def _expect_batches(batches, expected, n, size, task, what):
    __tracebackhide__ = True
    if not isinstance(batches, (list, tuple)):
        fail(task, f"{what} should return a list of index arrays", "list",
             type(batches).__name__, "collect the batches in a list and return it")
    arrays = [np.asarray(batch) for batch in batches]
    if any(a.ndim != 1 or (a.size and a.dtype.kind not in "iu") for a in arrays):
        fail(task, f"{what}: every batch should be a 1-D array of integer indices",
             hint="slice the permuted indices: order[i:i + batch_size]")
    sizes = [a.size for a in arrays]
    expected_sizes = [len(batch) for batch in expected]
    if sizes != expected_sizes:
        fail(task, f"{what}: the batch sizes are wrong", expected_sizes, sizes,
             f"consecutive batches of {size}, and the leftover samples as a last, smaller batch "
             "(no empty batch)")
    joined = [int(i) for a in arrays for i in a.tolist()]
    if sorted(joined) != list(range(n)):
        fail(task, f"{what}: every sample index 0..{n - 1} must appear exactly once per epoch",
             list(range(n)), sorted(joined), "split one permutation of the indices")
    if joined == list(range(n)):
        fail(task, f"{what}: the batches were not shuffled", "a permutation", joined,
             "use rng.permutation(n_samples) to shuffle before splitting")
    if [a.tolist() for a in arrays] != expected:
        fail(task, f"{what} is not the rng's shuffle", expected, [a.tolist() for a in arrays],
             "shuffle with the generator you are given, once per call: "
             "order = rng.permutation(n_samples); do not make a new generator or use np.random")


def check_momentum_descent(momentum_descent) -> None:
    __tracebackhide__ = True
    task = "momentum_descent"
    def earlier():
        return _fix_first(momentum_descent, task, ((1, "mse_gradient"),))

    hint = ("keep one velocity for w and one for b across epochs, both starting at 0: "
            "v = momentum * v - lr * gradient; w = w + v")
    what = "momentum_descent(x, y, 10, 10, 0.01, 0.9, 30) on the line"
    got = _history(call(momentum_descent, np.array(X), np.array(Y), 10.0, 10.0, 0.01, 0.9, 30,
                        task=task, name="momentum_descent"), task, what, 30)
    if _close(got[30], PLAIN_ROW_30):
        fail(task, "this is plain gradient descent: the velocity is not used or not kept",
             np.array(MOMENTUM_ROWS[30]), got[30], hint)
    _expect_rows(got, MOMENTUM_ROWS, task, what, hint, earlier)
    x2, y2 = _arrays("the five points")
    what = "momentum_descent(x, y, 1, -1, 0.04, 0.5, 5) on the five points"
    got = _history(call(momentum_descent, x2, y2, 1.0, -1.0, 0.04, 0.5, 5, task=task,
                        name="momentum_descent"), task, what, 5)
    if _close(got[5], PLAIN_SHORT_LAST):
        fail(task, f"{what} is plain gradient descent: the velocity is not used or not kept",
             np.array(MOMENTUM_SHORT[5]), got[5], hint)
    _expect_rows(got, dict(enumerate(MOMENTUM_SHORT)), task, what,
                 "start from the (w, b) you are given and use the lr and momentum you are "
                 "given (here 0.04 and 0.5); " + hint, earlier)
    passed(task, "momentum reaches a low loss in far fewer epochs at lr = 0.01")


def _adam_state(value, task, what, size):
    """The four outputs (theta, m, v, t) of adam_step as three flat arrays and an int."""
    __tracebackhide__ = True
    if not isinstance(value, (tuple, list)) or len(value) != 4:
        fail(task, f"{what} should return four things", "(theta, m, v, t)", value,
             "return theta, m, v, t: the new parameters and the new state")
    arrays = []
    for name, part in zip(("theta", "m", "v"), value[:3], strict=True):
        arr = as_array(part, task, f"the {name} that {what} returned").reshape(-1)
        if arr.size != size:
            fail(task, f"the {name} that {what} returned has {arr.size} numbers",
                 f"{size}, one per parameter", part, "work element-wise on whole arrays")
        arrays.append(arr)
    t = value[3]
    if not isinstance(t, numbers.Integral) or isinstance(t, bool):
        fail(task, f"the t that {what} returned should be an int", "an int",
             type(t).__name__, "t counts updates: t = t + 1")
    return (*arrays, int(t))


def _adam_hint(got, m_ok: bool, v_ok: bool) -> str:
    theta, m, v, _ = got
    if not m_ok:
        if _close(m, ADAM_MID_SWAPPED[0]):
            return "beta1 and (1 - beta1) are swapped: m = beta1 * m + (1 - beta1) * grad"
        return "m is the moving average of the gradients: m = beta1 * m + (1 - beta1) * grad"
    if not v_ok:
        if _close(v, ADAM_MID_SWAPPED[1]):
            return "beta2 and (1 - beta2) are swapped: v = beta2 * v + (1 - beta2) * grad**2"
        return ("v is the moving average of the SQUARED gradients (of grad, not of m): "
                "v = beta2 * v + (1 - beta2) * grad**2")
    for hint, wrong in ADAM_MID_MISTAKES:
        if _close(theta, wrong):
            return hint
    return ("m and v are right; the step is theta - lr * m_hat / (sqrt(v_hat) + epsilon) with "
            "m_hat = m / (1 - beta1**t) and v_hat = v / (1 - beta2**t), t already increased")


def check_adam_step(adam_step) -> None:
    __tracebackhide__ = True
    task = "adam_step"
    theta, grad, m, v, t, lr, beta1, beta2, epsilon = ADAM_MID
    what = (f"adam_step(theta, grad, m, v, t={t}, lr={lr}, beta1={beta1}, beta2={beta2}, "
            f"epsilon={epsilon})")
    got = _adam_state(call(adam_step, np.array(theta), np.array(grad), np.array(m), np.array(v),
                           t, lr, beta1, beta2, epsilon, task=task, name="adam_step"),
                      task, what, 3)
    if got[3] != t + 1:
        fail(task, f"{what} returned the wrong t", t + 1, got[3],
             "t counts the updates done: this call makes one more")
    m_ok, v_ok = _close(got[1], ADAM_MID_EXPECTED[1]), _close(got[2], ADAM_MID_EXPECTED[2])
    for name, k, ok in (("m", 1, m_ok), ("v", 2, v_ok), ("theta", 0, None)):
        if not (ok if ok is not None else _close(got[0], ADAM_MID_EXPECTED[0])):
            fail(task, f"the {name} that {what} returned is wrong",
                 np.array(ADAM_MID_EXPECTED[k]), got[k], _adam_hint(got, m_ok, v_ok))
    state = (np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), 0)
    for k, (g, expected) in enumerate(zip(ADAM_RUN_GRADIENTS, ADAM_RUN, strict=True), start=1):
        what = (f"update {k} of a run from theta = (10, 10), m = v = 0, t = 0 with lr=0.3, "
                "beta1=0.8, beta2=0.95, epsilon=0.5")
        got = _adam_state(call(adam_step, *state[:1], np.array(g), *state[1:], 0.3, 0.8, 0.95,
                               0.5, task=task, name="adam_step"), task, what, 2)
        for name, part, exp in zip(("theta", "m", "v", "t"), got, expected, strict=True):
            if not _close(part, exp):
                hint = ("feed each call the (theta, m, v, t) that the previous call returned; "
                        "m and v start at 0 and t at 0")
                if not all(math.isfinite(value) for value in np.ravel(got[0]).tolist()):
                    hint = ("theta is not finite: on the first update t becomes 1, so "
                            "1 - beta1**t is 1 - beta1, never 0 (increase t before correcting)")
                fail(task, f"the {name} after {what} is wrong", np.array(exp), part, hint)
        state = tuple(np.array(part) for part in got[:3]) + (got[3],)
    got = _adam_state(call(adam_step, np.array([10.0, 10.0]), np.array(ADAM_RUN_GRADIENTS[0]),
                           np.zeros(2), np.zeros(2), 0, 0.001, 0.9, 0.999, 1e-7, task=task,
                           name="adam_step"), task, "adam_step at Keras's defaults", 2)
    if not _close(got[0], ADAM_FIRST_DEFAULT):
        fail(task, "the first update at Keras's defaults (lr 0.001, beta1 0.9, beta2 0.999, "
             "epsilon 1e-7) is wrong", np.array(ADAM_FIRST_DEFAULT), got[0],
             "use the lr, beta1, beta2 and epsilon you are given")
    passed(task, "m, v, t and theta are right mid-run and over four updates at non-default "
           "settings; the first update moves each parameter by lr")
