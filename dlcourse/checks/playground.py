"""Checks for lab 06 (the offline TensorFlow Playground).

Tasks that train networks use small, seeded runs of :func:`dlcourse.playground.train` and
test properties with margins (an accuracy above a threshold, a loss that is not finite),
never exact training results. The derivatives and the features are compared with stored
values, computed once with the course's answer key.
"""

from __future__ import annotations

import numpy as np

from dlcourse import playground as pg
from dlcourse.checks.core import call, expect_close, fail, passed

# Training settings of the graded runs: small and quick, with a margin on the thresholds.
NO_HIDDEN_RUN = dict(hidden=(), epochs=100, learning_rate=0.1)
SMALLEST_RUN = dict(features=("x1", "x2"), epochs=200, learning_rate=0.1, activation="tanh")
SEEDS = (0, 1)
TARGET_ACCURACY = 0.9
MOST_FEATURES = {"gauss": 2, "circle": 2, "xor": 1}
MOST_UNITS = {"gauss": 0, "circle": 3, "xor": 4}
DIVERGE_RUN = dict(dataset="gauss", hidden=(), output="linear", epochs=50)


Z = [-3.0, -1.2, -0.4, 0.3, 0.8, 2.5]  # no exact 0: the kinks are left out
DERIVATIVES = {  # name, alpha -> the derivative at Z
    ("tanh_prime", None): [0.009866037165, 0.305019996207, 0.855638786081, 0.915136961827,
                           0.559055167732, 0.026592226683],
    ("relu_prime", None): [0.0, 0.0, 0.0, 1.0, 1.0, 1.0],
    ("leaky_relu_prime", None): [0.01, 0.01, 0.01, 1.0, 1.0, 1.0],
    ("leaky_relu_prime", 0.2): [0.2, 0.2, 0.2, 1.0, 1.0, 1.0],
    ("elu_prime", None): [0.049787068368, 0.301194211912, 0.670320046036, 1.0, 1.0, 1.0],
    ("elu_prime", 0.5): [0.024893534184, 0.150597105956, 0.335160023018, 1.0, 1.0, 1.0],
}
HINTS = {
    "tanh_prime": "d/dz tanh(z) = 1 - tanh(z)**2",
    "relu_prime": "the slope of max(0, z) is 1 where z > 0 and 0 where z < 0",
    "leaky_relu_prime": "the slope is 1 for z > 0 and alpha (the argument, 0.01 by default) "
                        "for z < 0",
    "elu_prime": "for z < 0, elu(z) = alpha * (exp(z) - 1), whose slope is alpha * exp(z); for "
                 "z > 0 the slope is 1",
}
# feature_map of these points: x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)
POINTS = [[1.0, 2.0], [-3.0, 0.5], [0.0, -1.5], [2.5, -4.0]]
POINT_FEATURES = [[1.0, 2.0, 1.0, 4.0, 2.0, 0.8414709848, 0.9092974268],
                  [-3.0, 0.5, 9.0, 0.25, -1.5, -0.1411200081, 0.4794255386],
                  [0.0, -1.5, 0.0, 2.25, -0.0, 0.0, -0.9974949866],
                  [2.5, -4.0, 6.25, 16.0, -10.0, 0.5984721441, 0.7568024953]]


def _mistakes(name: str, alpha) -> dict:
    """What typical wrong derivatives give at Z (none of them is a right answer)."""
    z = np.array(Z)
    relu_slope = DERIVATIVES[("relu_prime", None)]
    elu_default = DERIVATIVES[("elu_prime", None)]
    if name == "tanh_prime":
        return {"1 - tanh(z)": 1 - np.tanh(z), "the function tanh(z) itself": np.tanh(z)}
    if name == "relu_prime":
        return {"the function relu(z) itself": np.maximum(z, 0.0)}
    if name == "leaky_relu_prime":
        wrong = {"the function leaky_relu(z) itself": np.where(z > 0, z, (alpha or 0.01) * z),
                 "a slope of 0 for negative z (plain ReLU)": relu_slope}
        if alpha is not None:
            wrong["the slope for alpha = 0.01, not the alpha it was given"] = \
                DERIVATIVES[("leaky_relu_prime", None)]
        return wrong
    wrong = {"exp(z) for every z": np.exp(z),
             "the function elu(z) itself": np.where(z > 0, z, (alpha or 1.0) * np.expm1(z)),
             "exp(z) - 1 for negative z": np.where(z > 0, 1.0, np.expm1(z))}
    if alpha is not None:
        wrong["the slope for alpha = 1, not the alpha it was given"] = elu_default
    return wrong


def check_derivatives(tanh_prime, relu_prime, leaky_relu_prime, elu_prime) -> None:
    __tracebackhide__ = True
    functions = {"tanh_prime": tanh_prime, "relu_prime": relu_prime,
                 "leaky_relu_prime": leaky_relu_prime, "elu_prime": elu_prime}
    z = np.array(Z)
    for (name, alpha), expected in DERIVATIVES.items():
        fn = functions[name]
        kwargs = {} if alpha is None else {"alpha": alpha}
        call_text = f"{name}(z{'' if alpha is None else f', alpha={alpha}'})"
        got = call(fn, z.copy(), task=name, name=name, **kwargs)
        arr = np.asarray(got, dtype=float)
        expected = np.array(expected)
        if arr.shape == z.shape and not np.allclose(arr, expected, atol=1e-9):
            for what, wrong in _mistakes(name, alpha).items():
                if np.allclose(arr, wrong, atol=1e-9):
                    fail(name, f"{call_text} computes {what}", expected, arr, HINTS[name])
        expect_close(arr, expected, name, f"{call_text} for z = {Z}", HINTS[name], atol=1e-9)
        grid = z.reshape(2, 3)
        got = call(fn, grid.copy(), task=name, name=name, **kwargs)
        expect_close(got, expected.reshape(2, 3), name, f"{call_text} of a (2, 3) array",
                     "work element-wise with NumPy (np.where), for arrays of any shape",
                     atol=1e-9)
    passed("derivatives", "tanh', ReLU', leaky ReLU' and ELU' are right, at other alphas too")


def check_feature_map(feature_map) -> None:
    __tracebackhide__ = True
    task = "feature_map"
    X = np.array(POINTS)
    got = call(feature_map, X.copy(), task=task, name="feature_map")
    arr = np.asarray(got, dtype=float)
    expected = np.array(POINT_FEATURES)
    names = ", ".join(pg.FEATURES)
    if arr.shape != expected.shape:
        fail(task, "feature_map should return one row per point and one column per feature",
             f"shape {expected.shape}", f"shape {arr.shape}",
             f"seven columns, in this order: {names}; np.column_stack puts them side by side")
    for col, name in enumerate(pg.FEATURES):
        if not np.allclose(arr[:, col], expected[:, col], atol=1e-9):
            others = [pg.FEATURES[k] for k in range(7)
                      if np.allclose(arr[:, col], expected[:, k], atol=1e-9)]
            extra = f" (it holds {others[0]})" if others else ""
            fail(task, f"column {col} should be {name}{extra}", expected[:, col], arr[:, col],
                 f"the columns are, in order: {names}")
    got = call(feature_map, X[:1].copy(), task=task, name="feature_map")
    expect_close(got, expected[:1], task, "feature_map of a single point (shape (1, 2))",
                 "index the columns of X (X[:, 0]), so any number of rows works", atol=1e-9)
    passed(task, "all seven Playground features, in the right order")


def _accuracy(config, task: str) -> float:
    """The best test accuracy over the seeded runs (one unlucky start is forgiven)."""
    try:
        runs = [pg.train(config, seed=seed) for seed in SEEDS]
    except ValueError as exc:
        fail(task, f"this setting cannot be trained: {exc}")
    return max(r.test_accuracy for r in runs)


def _choices(choices, task: str, what: str) -> dict:
    __tracebackhide__ = True
    if not isinstance(choices, dict) or set(MOST_FEATURES) - set(choices):
        fail(task, f"expected a dict with the keys gauss, circle and xor, each holding {what}",
             "{'gauss': ..., 'circle': ..., 'xor': ...}", choices)
    return choices


def check_no_hidden(choices) -> None:
    __tracebackhide__ = True
    task = "no_hidden"
    choices = _choices(choices, task, "a list of feature names")
    hints = {
        "gauss": "the two blobs are split by a straight line in the plane of x1 and x2",
        "circle": "a circle is x1^2 + x2^2 = r^2: a straight line in which two features?",
        "xor": "XOR's class is the sign of one product of the inputs",
    }
    report = []
    for dataset, features in choices.items():
        if dataset not in MOST_FEATURES:
            continue
        features = tuple([features] if isinstance(features, str) else features)
        unknown = [f for f in features if f not in pg.FEATURES]
        if unknown or not features:
            fail(task, f"{dataset}: unknown or no features {list(features)}",
                 f"names from {', '.join(pg.FEATURES)}", list(features))
        config = pg.Config(dataset=dataset, features=features, **NO_HIDDEN_RUN)
        acc = _accuracy(config, task)
        if acc < TARGET_ACCURACY:
            fail(task, f"{dataset} with features {list(features)} and no hidden layer reaches "
                 "only this test accuracy", f">= {TARGET_ACCURACY:.0%}", f"{acc:.0%}",
                 hints[dataset])
        if len(features) > MOST_FEATURES[dataset]:
            fail(task, f"{dataset}: fewer features are enough", f"at most "
                 f"{MOST_FEATURES[dataset]}", f"{len(features)}: {list(features)}",
                 hints[dataset])
        report.append(f"{dataset} {acc:.0%}")
    passed(task, "no hidden layer, the right features: " + ", ".join(report))


def check_smallest(choices) -> None:
    __tracebackhide__ = True
    task = "smallest"
    choices = _choices(choices, task, "a tuple of hidden-layer sizes")
    report = []
    for dataset in MOST_UNITS:
        hidden = choices[dataset]
        try:
            hidden = tuple(int(h) for h in ([hidden] if np.isscalar(hidden) else hidden))
        except (TypeError, ValueError):
            fail(task, f"{dataset}: hidden should be a tuple of layer sizes like (3,) or ()",
                 got=hidden)
        try:
            config = pg.Config(dataset=dataset, hidden=hidden, **SMALLEST_RUN)
        except ValueError as exc:
            fail(task, f"{dataset}: {exc}")
        acc = _accuracy(config, task)
        if acc < TARGET_ACCURACY:
            fail(task, f"{dataset} with hidden layers {hidden} reaches only this test accuracy",
                 f">= {TARGET_ACCURACY:.0%}", f"{acc:.0%}",
                 "too small: add a unit or a layer and try again with playground.train")
        if sum(hidden) > MOST_UNITS[dataset]:
            fail(task, f"{dataset}: a network with fewer hidden units also reaches "
                 f"{TARGET_ACCURACY:.0%}", f"at most {MOST_UNITS[dataset]} hidden units",
                 f"{sum(hidden)} in {hidden}",
                 "remove units one at a time while the test accuracy stays above 90%")
        report.append(f"{dataset} {hidden or 'none'} -> {acc:.0%}")
    passed(task, "; ".join(report))


def check_diverged(diverged, too_high, good) -> None:
    __tracebackhide__ = True
    task = "diverged"
    cases = (([0.5, 0.4, 0.3], False), ([0.5, 0.7, float("nan")], True),
             ([0.5, 3e5, float("inf")], True), (np.array([0.9, np.nan, 0.2]), True),
             ([0.5, -np.inf], True))
    for losses, expected in cases:
        got = call(diverged, losses, task=task, name="diverged")
        if not isinstance(got, (bool, np.bool_)) or bool(got) != expected:
            hint = "use np.isfinite: it is False for NaN, inf and -inf"
            if expected and np.isnan(np.asarray(losses, dtype=float)).any():
                hint = "NaN is not equal to anything, itself included: x == np.nan is always " \
                       "False; use np.isnan or np.isfinite"
            fail(task, f"diverged({_show(losses)}) is wrong", expected, got, hint)
    for name, rate in (("TOO_HIGH", too_high), ("GOOD", good)):
        if not isinstance(rate, (int, float)) or not rate > 0:
            fail(task, f"{name} should be a positive learning rate", "a number > 0", rate)
    result = pg.train(DIVERGE_RUN, learning_rate=float(too_high))
    if not result.diverged:
        fail(task, f"with learning rate {too_high:g} training did not diverge",
             "a NaN or inf loss", f"final loss {result.final_train_loss:.3f}",
             "try a larger rate: multiply by 10")
    result = pg.train(DIVERGE_RUN, learning_rate=float(good))
    if result.diverged or result.test_accuracy < TARGET_ACCURACY:
        fail(task, f"learning rate {good:g} should train to {TARGET_ACCURACY:.0%} test accuracy "
             "in 50 epochs", f">= {TARGET_ACCURACY:.0%}, finite loss",
             "diverged" if result.diverged else f"{result.test_accuracy:.0%}",
             "too high overshoots, too low barely moves: try values between 0.01 and 1")
    passed(task, f"lr {too_high:g} diverges (no crash, no warning); lr {good:g} learns")


def _show(losses) -> str:
    return "[" + ", ".join(f"{float(v):g}" for v in losses) + "]"
