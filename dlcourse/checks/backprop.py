"""Checks for lab 05 (backpropagation): a two-layer sigmoid network written in NumPy.

The student's network takes a parameter dict ``{"W1", "b1", "W2", "b2"}`` with ``W1`` of
shape (inputs, hidden), ``b1`` (hidden,), ``W2`` (hidden, outputs), ``b2`` (outputs,);
``forward(X, params)`` returns ``(z1, a1, z2, a2)`` and ``backward(X, y, params, cache)``
returns the gradients in a dict with the same keys as ``params``.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import CheckFailed, call, expect_close, fail, passed
from dlcourse.datasets.toy import GATE_X, XOR_Y
from dlcourse.reference import activations as act
from dlcourse.reference import mlp as ref

KEYS = ("W1", "b1", "W2", "b2")


def example(n: int = 5, inputs: int = 2, hidden: int = 3, outputs: int = 1, seed: int = 0):
    """A small random problem ``(X, y, params)`` with distinct layer shapes."""
    rng = np.random.default_rng(seed)
    params = ref.from_layers(ref.init_layers([inputs, hidden, outputs], seed=seed, init=1.0))
    params["b1"] = rng.normal(size=hidden)
    params["b2"] = rng.normal(size=outputs)
    X = rng.normal(size=(n, inputs))
    y = rng.integers(0, 2, size=(n, outputs)).astype(float)
    return X, y, params


def reference_cache(X, params):
    """``(z1, a1, z2, a2)`` from the reference network."""
    _, cache = ref.forward(ref.to_layers(params), X)
    return cache["z"][0], cache["a"][1], cache["z"][1], cache["a"][2]


def reference_grads(X, y, params) -> dict:
    layers = ref.to_layers(params)
    _, cache = ref.forward(layers, X)
    return ref.from_layers(ref.backward(layers, cache, y))


def _copy(params: dict) -> dict:
    return {k: np.array(v, dtype=float, copy=True) for k, v in params.items()}


def check_sigmoid(sigmoid, sigmoid_prime) -> None:
    __tracebackhide__ = True
    task = "sigmoid"
    for z, value in ((0.0, 0.5), (10.0, 0.9999546), (-10.0, 4.5398e-05)):
        got = call(sigmoid, np.array([z]), task=task, name="sigmoid")
        expect_close(got, [value], task, f"sigmoid({z:g})", atol=1e-7, rtol=1e-4,
                     hint="sigmoid(z) = 1 / (1 + np.exp(-z))")
    z = np.linspace(-6, 6, 13).reshape(13, 1)
    got = call(sigmoid, z, task=task, name="sigmoid")
    expect_close(got, act.sigmoid(z), task, "sigmoid of a (13, 1) array",
                 hint="use NumPy functions (np.exp), which work element-wise on whole arrays")
    task = "sigmoid_prime"
    got = call(sigmoid_prime, z, task=task, name="sigmoid_prime")
    arr = np.asarray(got, dtype=float)
    if arr.shape == z.shape and np.allclose(arr, z * (1 - z)):
        fail(task, "sigmoid_prime applies s * (1 - s) to z itself", act.sigmoid_prime(z)[:4, 0],
             arr[:4, 0], "the derivative is sigmoid(z) * (1 - sigmoid(z)): compute s = sigmoid(z) "
             "first")
    expect_close(got, act.sigmoid_prime(z), task, "sigmoid_prime of a (13, 1) array",
                 hint="sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z)); it is 0.25 at z = 0")
    if float(np.max(arr)) > 0.25 + 1e-12:
        fail(task, "sigmoid' can never exceed 0.25", "<= 0.25", float(np.max(arr)))
    passed("sigmoid", "sigmoid(10) = 0.9999546 and sigmoid' peaks at 0.25 at z = 0")


def check_forward(forward) -> None:
    __tracebackhide__ = True
    task = "forward"
    X, _, params = example()
    given = _copy(params)
    got = call(forward, X, given, task=task, name="forward")
    if not isinstance(got, (tuple, list)) or len(got) != 4:
        fail(task, "forward should return the tuple (z1, a1, z2, a2)", "4 arrays", got)
    names = ("z1", "a1", "z2", "a2")
    expected = reference_cache(X, params)
    hints = {
        "z1": "z1 = X @ W1 + b1: one row per sample, one column per hidden unit",
        "a1": "a1 = sigmoid(z1)",
        "z2": "z2 = a1 @ W2 + b2: the output layer takes the hidden activations a1, not X",
        "a2": "a2 = sigmoid(z2): the output unit has a sigmoid too",
    }
    for name, value, exp in zip(names, got, expected, strict=True):
        arr = np.asarray(value, dtype=float)
        if arr.shape == exp.T.shape and arr.shape != exp.shape:
            fail(task, f"{name} is transposed", f"shape {exp.shape} (samples x units)",
                 f"shape {arr.shape}", "write X @ W (rows are samples), not W @ X.T")
        expect_close(arr, exp, task, f"{name} for a batch of 5 samples", hints[name])
    if any(not np.array_equal(given[k], params[k]) for k in params):
        fail(task, "forward changed the parameters it was given",
             hint="forward only reads params; it must not modify the arrays")
    passed(task, "z1, a1, z2 and a2 match the reference network")


def _diagnose(name: str, got: np.ndarray, exp: np.ndarray, X, y, params, n: int):
    """Raise a failure naming the most likely mistake, when one fits."""
    __tracebackhide__ = True
    task = "backward"
    if np.allclose(got, -exp, atol=1e-9) and not np.allclose(exp, 0):
        fail(task, f"d{name} has the wrong sign", exp, got,
             "the output error is a2 - y (prediction minus target); gradient descent then "
             "subtracts lr * gradient")
    if np.allclose(got, n * exp, atol=1e-9):
        fail(task, f"d{name} is {n} times too large (summed instead of averaged)", exp, got,
             "the loss is a mean over the n samples: divide the output error (a2 - y) by n")
    if np.allclose(got, exp / n, atol=1e-12):
        fail(task, f"d{name} is {n} times too small", exp, got,
             "divide by n once, in the output error; not again in every gradient")
    z1, a1, z2, a2 = reference_cache(X, params)
    no_f2 = (a2 - y) / n
    no_f1 = (no_f2 * act.sigmoid_prime(z2)) @ params["W2"].T
    for delta2, delta1, what in (
        (no_f2, (no_f2 @ params["W2"].T) * act.sigmoid_prime(z1), "sigmoid'(z2)"),
        (no_f2 * act.sigmoid_prime(z2), no_f1, "sigmoid'(z1)"),
    ):
        wrong = {"W2": a1.T @ delta2, "b2": delta2.sum(axis=0), "W1": X.T @ delta1,
                 "b1": delta1.sum(axis=0)}
        if np.allclose(got, wrong[name], atol=1e-9):
            fail(task, f"d{name} is missing the activation derivative {what}", exp, got,
                 "every delta is the incoming error times the derivative of that layer's "
                 "activation: delta = (...) * sigmoid_prime(z)")


def check_backward(backward) -> None:
    __tracebackhide__ = True
    task = "backward"
    for seed, n in ((0, 5), (1, 8)):
        X, y, params = example(n=n, seed=seed)
        cache = reference_cache(X, params)
        try:
            grads = call(backward, X, y, _copy(params), cache, task=task, name="backward")
        except CheckFailed as exc:
            if "raised ValueError" in str(exc):
                raise CheckFailed(f"{exc}\n    hint: a shape mismatch in a product: delta2 has "
                                  "shape (n, 1) and W2 (3, 1), so the error reaches the hidden "
                                  "layer as delta2 @ W2.T") from None
            raise
        if not isinstance(grads, dict) or set(KEYS) - set(grads):
            fail(task, "backward should return a dict with the keys W1, b1, W2, b2",
                 sorted(KEYS), sorted(grads) if isinstance(grads, dict) else grads)
        expected = reference_grads(X, y, params)
        shape_hints = {
            "W1": "dW1 has W1's shape (inputs, hidden): X.T @ delta1",
            "W2": "dW2 has W2's shape (hidden, outputs): a1.T @ delta2",
            "b1": "db1 is delta1 summed over the batch: delta1.sum(axis=0)",
            "b2": "db2 is delta2 summed over the batch: delta2.sum(axis=0)",
        }
        for name in ("W2", "b2", "W1", "b1"):
            got = np.asarray(grads[name], dtype=float)
            exp = expected[name]
            if got.shape != exp.shape:
                fail(task, f"d{name} has the wrong shape", f"shape {exp.shape}",
                     f"shape {got.shape}", shape_hints[name])
            if name.startswith("b") and np.allclose(got, 0) and not np.allclose(exp, 0):
                fail(task, f"d{name} is zero: the bias gradient is missing", exp, got,
                     shape_hints[name])
            if not np.allclose(got, exp, atol=1e-9, rtol=1e-6):
                _diagnose(name, got, exp, X, y, params, n)
                fail(task, f"d{name} has the wrong values", exp, got, shape_hints[name])
    passed(task, "all four gradients match backpropagation in the reference network")


def check_numerical_gradient(numerical_gradient) -> None:
    __tracebackhide__ = True
    task = "numerical_gradient"
    x = np.array([[0.5, -1.0, 2.0], [1.5, 0.2, -0.7]])
    x_given = x.copy()
    got = call(numerical_gradient, lambda v: float(np.sum(v**3)), x_given, task=task,
               name="numerical_gradient")
    if not np.array_equal(x_given, x):
        fail(task, "x was changed by the gradient check", x, x_given,
             "after perturbing x[i], put the original value back before the next entry")
    expect_close(got, 3 * x**2, task, "the gradient of sum(x**3) at a (2, 3) array",
                 hint="central differences: (f(x + eps) - f(x - eps)) / (2 * eps), one entry "
                      "at a time", atol=1e-6, rtol=1e-6)
    v = np.array([0.3, -0.8, 1.1])
    got = call(numerical_gradient, lambda u: float(u[0] * u[1] + np.sin(u[2])), v.copy(),
               task=task, name="numerical_gradient")
    expect_close(got, [v[1], v[0], np.cos(v[2])], task, "the gradient of x0*x1 + sin(x2)",
                 hint="perturb one entry of x at a time and leave the others as they are",
                 atol=1e-6, rtol=1e-6)
    passed(task, "central differences agree with the exact derivatives to 1e-6")


def check_update(update) -> None:
    __tracebackhide__ = True
    task = "update"
    _, _, params = example(seed=3)
    grads = ref.from_layers([(np.full_like(W, 0.5), np.full_like(b, -1.0))
                             for W, b in ref.to_layers(params)])
    given = _copy(params)
    got = call(update, given, grads, 0.1, task=task, name="update")
    if not isinstance(got, dict) or set(KEYS) - set(got):
        fail(task, "update should return a new dict with the keys W1, b1, W2, b2", sorted(KEYS),
             got)
    if any(not np.array_equal(given[k], params[k]) for k in params):
        fail(task, "update changed the params dict it was given",
             hint="build new arrays: params[k] - lr * grads[k]")
    for key in KEYS:
        exp = params[key] - 0.1 * grads[key]
        if key.startswith("b") and np.allclose(got[key], params[key]):
            fail(task, f"{key} was not updated", exp, got[key],
                 "the biases learn too: b = b - lr * db")
        expect_close(got[key], exp, task, f"new {key} after one step with lr = 0.1",
                     "gradient descent steps against the gradient: p - lr * grad")
    passed(task, "one gradient-descent step on all four parameters")


def check_train_xor(train_xor) -> None:
    __tracebackhide__ = True
    task = "train_xor"
    X, y = GATE_X.astype(float), XOR_Y.reshape(-1, 1).astype(float)
    result = call(train_xor, X, y, hidden=4, lr=2.0, epochs=2000, seed=0, task=task,
                  name="train_xor")
    if not isinstance(result, tuple) or len(result) != 2:
        fail(task, "train_xor should return (params, losses)", "a 2-tuple", result)
    params, losses = result
    losses = np.asarray(losses, dtype=float).reshape(-1)
    if len(losses) != 2000:
        fail(task, "losses should hold one value per epoch", 2000, len(losses),
             "append the loss once per epoch, inside the loop")
    if not losses[-1] < 0.5 * losses[0]:
        fail(task, "the loss did not go down", f"final loss well below {losses[0]:.4f}",
             float(losses[-1]), "update with params - lr * grads (minus: descend)")
    out = ref.forward(ref.to_layers(params), X)[0]
    acc = ref.accuracy(out, y)
    if acc < 1.0:
        fail(task, "the trained network should classify all four XOR points", 1.0, acc,
             "check that update changes every parameter, biases included")
    passed(task, f"XOR learned: 4/4 right, loss {losses[0]:.4f} -> {losses[-1]:.6f}")
