"""Checks for lab 05 (backpropagation): a two-layer sigmoid network written in NumPy.

The student's network takes a parameter dict ``{"W1", "b1", "W2", "b2"}`` with ``W1`` of
shape (inputs, hidden), ``b1`` (hidden,), ``W2`` (hidden, outputs), ``b2`` (outputs,);
``forward(X, params)`` returns ``(z1, a1, z2, a2)`` and ``backward(X, y, params, cache)``
returns the gradients in a dict with the same keys as ``params``.

Every expected value below is a stored number, computed once with the course's answer key:
two fixed problems of different sizes (A: 5 samples, 2-3-1 network; B: 4 samples, 3-2-2),
a short XOR run at non-default settings, and four batches of logits for the softmax
cross-entropy delta.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import (
    CheckFailed,
    blame_earlier,
    call,
    call_blaming,
    close,
    expect_close,
    fail,
    graded_alone,
    passed,
    strict_numpy,
)
from dlcourse.datasets.toy import GATE_X, XOR_Y

KEYS = ("W1", "b1", "W2", "b2")

# sigmoid and sigmoid' at z = [[0, 10, -10], [2.5, -0.7, 30]]
SIGMOID_Z = [[0.0, 10.0, -10.0], [2.5, -0.7, 30.0]]
SIGMOID = [[0.5, 0.999954602131, 4.53978687024e-05], [0.924141819979, 0.331812227832, 1.0]]
SIGMOID_PRIME = [[0.25, 4.53958077359e-05, 4.53958077359e-05],
                 [0.0701037165451, 0.221712873293, 9.35762296884e-14]]

CASES = {
    "A": dict(
        X=[[-0.22, -1.25], [-0.73, -0.54], [-0.32, 0.41], [1.04, -0.13], [1.37, -0.67]],
        y=[[1.0], [1.0], [0.0], [1.0], [1.0]],
        params=dict(W1=[[0.13, -0.13, 0.64], [0.1, -0.54, 0.36]], b1=[1.3, 0.95, -0.7],
                    W2=[[-1.27], [-0.62], [0.04]], b2=[-2.33]),
        z1=[[1.1464, 1.6536, -1.2908], [1.1511, 1.3365, -1.3616], [1.2994, 0.7702, -0.7572],
            [1.4222, 0.885, -0.0812], [1.4111, 1.1337, -0.0644]],
        a1=[[0.7588527481, 0.8393770073, 0.2157174333], [0.7597117791, 0.7919137785,
            0.2039803834], [0.7857339867, 0.6835641562, 0.319254485], [0.8056830753,
            0.7078572714, 0.4797111466], [0.8039393845, 0.7565210745, 0.4839055621]],
        z2=[[-3.8055280372], [-3.7776612868], [-3.7389217605], [-3.7729005681],
            [-3.800689862]],
        a2=[[0.0217632694], [0.0223645161], [0.0232273885], [0.0224688431], [0.021866511]],
        grads=dict(W1=[[0.0011061415, 0.0008362985, -7.5671e-05],
                       [-0.0024266425, -0.0010685962, 8.41818e-05]],
                   b1=[0.0036279758, 0.0017992115, -0.0001397059],
                   W2=[[-0.013149301], [-0.0130146614], [-0.0058215547]],
                   b2=[-0.0168131686]),
        # dW2 without sigmoid'(z2) in delta2, dW1 without sigmoid'(z1) in delta1
        no_f2=[[-0.6081497239], [-0.6022732309], [-0.2690565115]],
        no_f1=[[0.0078672621, 0.0038407106, -0.0002477878],
               [-0.0138683099, -0.006770356, 0.0004367972]],
    ),
    "B": dict(
        X=[[-0.48, 0.6, 0.04], [-0.29, -0.78, -0.26], [0.01, -0.28, 1.29],
           [1.01, -2.71, -1.89]],
        y=[[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0]],
        params=dict(W1=[[0.35, 0.82], [0.33, -1.3], [0.91, 0.45]], b1=[-0.54, 0.58],
                    W2=[[0.36, 0.29], [0.03, 0.55]], b2=[-0.74, -0.16]),
        z1=[[-0.4736, -0.5756], [-1.1355, 1.2392], [0.545, 1.5327], [-2.8007, 4.0807]],
        a1=[[0.3837645266, 0.3599456608], [0.2431475242, 0.775424732],
            [0.6329747767, 0.822401013], [0.0572863609, 0.983385085]],
        z2=[[-0.5910464006, 0.1492618261], [-0.6292041493, 0.3369963846],
            [-0.48745705, 0.4758832424], [-0.6898753575, 0.3974748414]],
        a2=[[0.3563947975, 0.537246331], [0.3476910164, 0.5834607248],
            [0.3804928044, 0.6167752923], [0.3340608012, 0.5980808127]],
        grads=dict(W1=[[0.0002503673, 0.0005705657], [0.0005096618, -0.0048110095],
                       [-0.0006030619, 0.0029907821]],
                   b1=[-0.0014058975, 0.0022587819],
                   W2=[[-0.0231938644, 0.0192675653], [-0.0330769027, 0.0233573951]],
                   b2=[-0.0344771134, 0.0189810797]),
        no_f2=[[-0.0987077337, 0.0829143258], [-0.1396266735, 0.099464748]],
        no_f1=[[0.0010071855, -0.0106985022], [0.0033536551, 0.0057179533],
               [-0.0019727676, 0.0431103081]],
    ),
}

# update(params of case B, grads, lr) with every weight gradient 0.5 and bias gradient -1
UPDATE_RUNS = {
    0.1: dict(W1=[[0.3, 0.77], [0.28, -1.35], [0.86, 0.4]], b1=[-0.44, 0.68],
              W2=[[0.31, 0.24], [-0.02, 0.5]], b2=[-0.64, -0.06]),
    0.35: dict(W1=[[0.175, 0.645], [0.155, -1.475], [0.735, 0.275]], b1=[-0.19, 0.93],
               W2=[[0.185, 0.115], [-0.145, 0.375]], b2=[-0.39, 0.19]),
}

# train_xor(XOR, hidden=3, lr=0.5, epochs=5, seed=7): from init_params(2, 3, 1, seed=7)
XOR_RUN = dict(hidden=3, lr=0.5, epochs=5, seed=7)
XOR_LOSSES = [0.1321667198, 0.1314719279, 0.1308353883, 0.1302533188, 0.1297219779]
XOR_PARAMS = dict(W1=[[0.0009619922, 0.2861893108, -0.2728860731],
                      [-0.8908890609, -0.4651731739, -0.989940305]],
                  b1=[-0.0007463158, -0.0228957154, 0.006383698],
                  W2=[[0.0335480229], [1.3083736759], [-0.5172881563]],
                  b2=[-0.0653362335])
XOR_LOSSES_AT = {"lr=2.0 (the default)": [0.1321667198, 0.1295736998, 0.1278251057],
                 "seed=0": [0.137695286, 0.1364549761, 0.1353245513]}


# softmax and the delta of softmax with cross-entropy, dC/dz for the batch-mean cost,
# on four batches of logits z (n, K) with integer labels (one-hot rows in the checks).
SOFTMAX_CASES = {
    "3 samples, 3 classes": dict(
        z=[[2.0, 1.0, 0.1], [0.5, 2.5, -1.0], [0.0, 0.0, 0.0]], labels=[0, 2, 1],
        softmax=[[0.659001138886, 0.242432970705, 0.0985658904093],
                 [0.116114534674, 0.857976810608, 0.0259086547174],
                 [0.333333333333, 0.333333333333, 0.333333333333]],
        delta=[[-0.113666287038, 0.0808109902349, 0.0328552968031],
               [0.0387048448914, 0.285992270203, -0.324697115094],
               [0.111111111111, -0.222222222222, 0.111111111111]]),
    "1 sample, 2 classes": dict(
        z=[[0.3, -1.2]], labels=[1], softmax=[[0.817574476194, 0.182425523806]],
        delta=[[0.817574476194, -0.817574476194]]),
    "5 samples, 5 classes": dict(
        z=[[0.2, -0.4, 1.1, 0.0, -2.0], [3.0, 1.0, -1.0, 0.5, 0.5],
           [-0.7, -0.7, 2.2, 1.4, 0.1], [10.0, -10.0, 0.0, 5.0, -5.0],
           [0.0, 0.9, -0.3, -1.6, 0.8]], labels=[4, 0, 2, 1, 3],
        softmax=[[0.202513243681, 0.111141624595, 0.498102204207, 0.165803820507,
                  0.02243910701],
                 [0.758828445731, 0.102696262631, 0.0138984277905, 0.0622884319236,
                  0.0622884319236],
                 [0.0327162436777, 0.0327162436777, 0.59458976854, 0.267166404773,
                  0.0728113393312],
                 [0.993262053015, 2.0472656786e-09, 4.50940274426e-05, 0.00669254706942,
                  3.03841166884e-07],
                 [0.150878290176, 0.371100711922, 0.111773386467, 0.0304618014275,
                  0.335785810007]],
        delta=[[0.0405026487361, 0.022228324919, 0.0996204408415, 0.0331607641014,
                -0.195512178598],
               [-0.0482343108538, 0.0205392525262, 0.00277968555810, 0.0124576863847,
                0.0124576863847],
               [0.00654324873554, 0.00654324873554, -0.0810820462919, 0.0534332809546,
                0.0145622678662],
               [0.198652410603, -0.199999999591, 9.01880548852e-06, 0.00133850941388,
                6.07682333767e-08],
               [0.0301756580351, 0.0742201423845, 0.0223546772935, -0.193907639715,
                0.0671571620014]]),
    "2 samples, 4 classes, logits up to 1000": dict(
        z=[[1000.0, 0.0, -1000.0, 3.0], [-2.0, 5.0, 0.5, 1.0]], labels=[2, 1],
        softmax=[[1.0, 0.0, 0.0, 0.0],
                 [0.000885033142242, 0.970556690091, 0.0107819109104, 0.0177763658567]],
        delta=[[0.5, 0.0, -0.5, 0.0],
               [0.000442516571121, -0.0147216549547, 0.00539095545519, 0.00888818292837]]),
}



def _case(name: str) -> dict:
    """A fresh copy of a stored case, as float arrays."""
    case = CASES[name]
    out = {key: np.array(value, dtype=float) for key, value in case.items()
           if key not in ("params", "grads")}
    out["params"] = {k: np.array(v, dtype=float) for k, v in case["params"].items()}
    out["grads"] = {k: np.array(v, dtype=float) for k, v in case["grads"].items()}
    return out


def _close(got, expected, atol=1e-8, rtol=1e-6) -> bool:
    return close(got, expected, atol=atol, rtol=rtol)


def _earlier_ok(fn, name: str) -> bool:
    """Whether the student's earlier function ``name`` (seen from ``fn``) is right on the
    stored cases; True when it cannot be found (nothing to blame)."""
    other = getattr(fn, "__globals__", {}).get(name)
    if not callable(other):
        return True
    try:
        if name == "sigmoid":
            return _close(other(np.array(SIGMOID_Z)), SIGMOID)
        if name == "sigmoid_prime":
            return _close(other(np.array(SIGMOID_Z)), SIGMOID_PRIME)
        if name == "forward":
            case = _case("B")
            got = other(case["X"], case["params"])
            return all(_close(g, case[k]) for g, k in zip(got, ("z1", "a1", "z2", "a2"),
                                                          strict=True))
        if name == "backward":
            case = _case("B")
            cache = tuple(case[k] for k in ("z1", "a1", "z2", "a2"))
            got = other(case["X"], case["y"], case["params"], cache)
            return all(_close(got[k], case["grads"][k]) for k in KEYS)
        if name == "update":
            case = _case("B")
            grads = {k: np.full_like(v, 0.5 if k[0] == "W" else -1.0)
                     for k, v in case["params"].items()}
            got = other(case["params"], grads, 0.1)
            return all(_close(got[k], UPDATE_RUNS[0.1][k]) for k in KEYS)
    except Exception:
        return False
    return True


def _blame(fn, task: str, *earlier: str) -> None:
    __tracebackhide__ = True
    blame_earlier(fn, task, earlier, _earlier_ok)


def _call(fn, *args, task: str, name: str, earlier=(), **kwargs):
    __tracebackhide__ = True
    return call_blaming(fn, *args, task=task, name=name, earlier=earlier, is_right=_earlier_ok,
                        **kwargs)


def check_sigmoid(sigmoid, sigmoid_prime) -> None:
    __tracebackhide__ = True
    task = "sigmoid"
    z = np.array(SIGMOID_Z)
    for (i, j) in ((0, 0), (0, 1), (0, 2)):
        got = call(sigmoid, np.array([z[i, j]]), task=task, name="sigmoid")
        expect_close(got, [SIGMOID[i][j]], task, f"sigmoid({z[i, j]:g})", atol=1e-9,
                     rtol=1e-6, hint="sigmoid(z) = 1 / (1 + np.exp(-z))")
    got = call(sigmoid, z.copy(), task=task, name="sigmoid")
    expect_close(got, SIGMOID, task, f"sigmoid of the (2, 3) array {SIGMOID_Z}", atol=1e-9,
                 hint="use NumPy functions (np.exp), which work element-wise on whole arrays")
    task = "sigmoid_prime"
    got = call(sigmoid_prime, z.copy(), task=task, name="sigmoid_prime")
    arr = np.asarray(got, dtype=float)
    if arr.shape == z.shape and _close(arr, z * (1 - z)):
        fail(task, "sigmoid_prime applies s * (1 - s) to z itself", np.array(SIGMOID_PRIME),
             arr, "the derivative is sigmoid(z) * (1 - sigmoid(z)): compute s = sigmoid(z) "
             "first")
    if arr.shape == z.shape and _close(arr, SIGMOID):
        fail(task, "sigmoid_prime returns sigmoid(z) itself", np.array(SIGMOID_PRIME), arr,
             "the slope is sigmoid(z) * (1 - sigmoid(z))")
    expect_close(got, SIGMOID_PRIME, task, f"sigmoid_prime of the (2, 3) array {SIGMOID_Z}",
                 atol=1e-9, hint="sigmoid'(z) = sigmoid(z) * (1 - sigmoid(z)); it is 0.25 at "
                                 "z = 0")
    passed("sigmoid", "sigmoid(10) = 0.9999546 and sigmoid' peaks at 0.25 at z = 0")


@graded_alone
def check_forward(forward) -> None:
    __tracebackhide__ = True
    task = "forward"
    hints = {
        "z1": "z1 = X @ W1 + b1: one row per sample, one column per hidden unit",
        "a1": "a1 = sigmoid(z1)",
        "z2": "z2 = a1 @ W2 + b2: the output layer takes the hidden activations a1, not X",
        "a2": "a2 = sigmoid(z2): the output unit has a sigmoid too",
    }
    for name, what in (("A", "5 samples, 2 inputs, 3 hidden units, 1 output"),
                       ("B", "4 samples, 3 inputs, 2 hidden units, 2 outputs")):
        case = _case(name)
        given = {k: v.copy() for k, v in case["params"].items()}
        got = _call(forward, case["X"].copy(), given, task=task, name="forward",
                    earlier=("sigmoid",))
        if not isinstance(got, tuple | list) or len(got) != 4:
            fail(task, "forward should return the tuple (z1, a1, z2, a2)", "4 arrays", got)
        for part, value in zip(("z1", "a1", "z2", "a2"), got, strict=True):
            arr = np.asarray(value, dtype=float)
            exp = case[part]
            if arr.shape == exp.T.shape and arr.shape != exp.shape:
                fail(task, f"{part} is transposed", f"shape {exp.shape} (samples x units)",
                     f"shape {arr.shape}", "write X @ W (rows are samples), not W @ X.T")
            if not _close(arr, exp) and part in ("a1", "a2"):
                _blame(forward, task, "sigmoid")
            expect_close(arr, exp, task, f"{part} for a batch of {what}", hints[part],
                         atol=1e-8)
        if any(not np.array_equal(given[k], case["params"][k]) for k in KEYS):
            fail(task, "forward changed the parameters it was given",
                 hint="forward only reads params; it must not modify the arrays")
    passed(task, "z1, a1, z2 and a2 are right for two networks of different sizes")


def _diagnose(name: str, got: np.ndarray, case: dict, n: int):
    """Raise a failure naming the most likely mistake, when one fits."""
    __tracebackhide__ = True
    task = "backward"
    exp = case["grads"][name]
    if _close(got, -exp, atol=1e-10):
        fail(task, f"d{name} has the wrong sign", exp, got,
             "the output error is a2 - y (prediction minus target); gradient descent then "
             "subtracts lr * gradient")
    if _close(got, n * exp, atol=1e-10):
        fail(task, f"d{name} is {n} times too large (summed instead of averaged)", exp, got,
             "the loss is a mean over the n samples: divide the output error (a2 - y) by n")
    if _close(got, exp / n, atol=1e-12):
        fail(task, f"d{name} is {n} times too small", exp, got,
             "divide by n once, in the output error; not again in every gradient")
    for wrong, part, what in (("no_f2", "W2", "sigmoid'(z2)"), ("no_f1", "W1", "sigmoid'(z1)")):
        if name == part and _close(got, case[wrong]):
            fail(task, f"d{name} is missing the activation derivative {what}", exp, got,
                 "every delta is the incoming error times the derivative of that layer's "
                 "activation: delta = (...) * sigmoid_prime(z)")


@graded_alone
def check_backward(backward) -> None:
    __tracebackhide__ = True
    task = "backward"
    shape_hints = {
        "W1": "dW1 has W1's shape (inputs, hidden): X.T @ delta1",
        "W2": "dW2 has W2's shape (hidden, outputs): a1.T @ delta2",
        "b1": "db1 is delta1 summed over the batch: delta1.sum(axis=0)",
        "b2": "db2 is delta2 summed over the batch: delta2.sum(axis=0)",
    }
    for name in ("A", "B"):
        case = _case(name)
        n = len(case["X"])
        cache = tuple(case[k].copy() for k in ("z1", "a1", "z2", "a2"))
        try:
            grads = _call(backward, case["X"].copy(), case["y"].copy(),
                          {k: v.copy() for k, v in case["params"].items()}, cache, task=task,
                          name="backward", earlier=("sigmoid_prime",))
        except CheckFailed as exc:
            if "raised ValueError" in str(exc):
                raise CheckFailed(f"{exc}\n    hint: a shape mismatch in a product: delta2 has "
                                  "shape (n, outputs) and W2 (hidden, outputs), so the error "
                                  "reaches the hidden layer as delta2 @ W2.T") from None
            raise
        if not isinstance(grads, dict) or set(KEYS) - set(grads):
            fail(task, "backward should return a dict with the keys W1, b1, W2, b2",
                 sorted(KEYS), sorted(grads) if isinstance(grads, dict) else grads)
        for key in ("W2", "b2", "W1", "b1"):
            got = np.asarray(grads[key], dtype=float)
            exp = case["grads"][key]
            if got.shape != exp.shape:
                fail(task, f"d{key} has the wrong shape (network {name})",
                     f"shape {exp.shape}", f"shape {got.shape}", shape_hints[key])
            if key.startswith("b") and np.allclose(got, 0) and not np.allclose(exp, 0):
                fail(task, f"d{key} is zero: the bias gradient is missing", exp, got,
                     shape_hints[key])
            if not _close(got, exp, atol=1e-9):
                _blame(backward, task, "sigmoid_prime")
                _diagnose(key, got, case, n)
                fail(task, f"d{key} has the wrong values (network {name}, {n} samples)", exp,
                     got,
                     shape_hints[key])
    passed(task, "all four gradients are right for two networks of different sizes")


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
    # With eps = 0.1 the central difference of x**3 is exactly 3 x**2 + eps**2.
    got = call(numerical_gradient, lambda u: float(np.sum(u**3)), x.copy(), eps=0.1,
               task=task, name="numerical_gradient")
    arr = np.asarray(got, dtype=float)
    if arr.shape == x.shape and _close(arr, 3 * x**2, atol=1e-4):
        fail(task, "numerical_gradient(f, x, eps=0.1) does not use the eps it is given",
             3 * x**2 + 0.01, arr, "step by the eps argument, not by a fixed 1e-5")
    expect_close(arr, 3 * x**2 + 0.01, task, "the central difference of sum(x**3) with "
                 "eps=0.1 (exactly 3 x**2 + eps**2)", atol=1e-9, rtol=1e-9,
                 hint="(f(x + eps e_i) - f(x - eps e_i)) / (2 * eps): a central difference, "
                      "not a one-sided one")
    passed(task, "central differences agree with the exact derivatives, at any eps")


def check_update(update) -> None:
    __tracebackhide__ = True
    task = "update"
    params = _case("B")["params"]
    grads = {k: np.full_like(v, 0.5 if k[0] == "W" else -1.0) for k, v in params.items()}
    for lr, expected in UPDATE_RUNS.items():
        given = {k: v.copy() for k, v in params.items()}
        got = call(update, given, {k: v.copy() for k, v in grads.items()}, lr, task=task,
                   name="update")
        if not isinstance(got, dict) or set(KEYS) - set(got):
            fail(task, "update should return a new dict with the keys W1, b1, W2, b2",
                 sorted(KEYS), got)
        if any(not np.array_equal(given[k], params[k]) for k in KEYS):
            fail(task, "update changed the params dict it was given",
                 hint="build new arrays: params[k] - lr * grads[k]")
        for key in KEYS:
            if key.startswith("b") and _close(got[key], params[key]):
                fail(task, f"{key} was not updated", np.array(expected[key]), got[key],
                     "the biases learn too: b = b - lr * db")
            expect_close(got[key], expected[key], task, f"new {key} after one step with "
                         f"lr = {lr}", "gradient descent steps against the gradient, by the "
                         "lr it is given: p - lr * grad")
    passed(task, "one gradient-descent step on all four parameters, at two learning rates")


@graded_alone
def check_train_xor(train_xor) -> None:
    __tracebackhide__ = True
    task = "train_xor"
    X, y = GATE_X.astype(float), XOR_Y.reshape(-1, 1).astype(float)
    earlier = ("forward", "backward", "update")
    result = _call(train_xor, X.copy(), y.copy(), task=task, name="train_xor", earlier=earlier,
                   **XOR_RUN)
    if not isinstance(result, tuple) or len(result) != 2:
        fail(task, "train_xor should return (params, losses)", "a 2-tuple", result)
    params, losses = result
    losses = np.asarray(losses, dtype=float).reshape(-1)
    run = ", ".join(f"{k}={v}" for k, v in XOR_RUN.items())
    if len(losses) != XOR_RUN["epochs"]:
        fail(task, f"losses should hold one value per epoch (train_xor(X, y, {run}))",
             XOR_RUN["epochs"], len(losses), "append the cost once per epoch, inside the loop")
    if not _close(losses, XOR_LOSSES):
        _blame(train_xor, task, *earlier)
        for what, wrong in XOR_LOSSES_AT.items():
            if _close(losses[:3], wrong):
                fail(task, f"train_xor(X, y, {run}) trained as if {what}", XOR_LOSSES, losses,
                     "use the arguments train_xor is given, not fixed values")
        if _close(losses[:-1], XOR_LOSSES[1:]):
            fail(task, "the losses are recorded after each update, not before", XOR_LOSSES,
                 losses, "each epoch: forward, record the cost of that forward pass, then "
                         "backward and update")
        fail(task, f"the losses of train_xor(X, y, {run}) are wrong", XOR_LOSSES, losses,
             "start from init_params(X.shape[1], hidden, 1, seed); record C = sum((a2 - y)**2)"
             " / (2 n) before each update")
    if not isinstance(params, dict) or set(KEYS) - set(params):
        fail(task, "train_xor should return the trained params dict first", sorted(KEYS),
             params)
    for key in KEYS:
        expect_close(params[key], XOR_PARAMS[key], task, f"trained {key} after train_xor(X, y, "
                     f"{run})", "return the params after the last update", atol=1e-8)
    result = _call(train_xor, X.copy(), y.copy(), task=task, name="train_xor", earlier=earlier,
                   hidden=4, lr=2.0, epochs=2000, seed=0)
    params, losses = result
    losses = np.asarray(losses, dtype=float).reshape(-1)
    if len(losses) != 2000 or not losses[-1] < 0.5 * losses[0]:
        fail(task, "with hidden=4, lr=2.0, epochs=2000 the loss did not go down",
             "2000 losses, the last well below the first", losses[-3:],
             "update with params - lr * grads (minus: descend)")
    forward = train_xor.__globals__.get("forward")
    if callable(forward) and _earlier_ok(train_xor, "forward"):
        out = np.asarray(forward(X, params)[3], dtype=float).reshape(-1)
        right = int(np.sum((out >= 0.5) == (XOR_Y == 1)))
        if right < 4:
            fail(task, "the trained network should classify all four XOR points", 4, right,
                 "check that update changes every parameter, biases included")
    passed(task, f"XOR learned, loss {losses[0]:.4f} -> {losses[-1]:.6f}; the settings given "
           "are the ones used")


STABLE_SOFTMAX = ("subtract each row's largest logit first: np.exp(z - z.max(axis=1, "
                  "keepdims=True)), then divide by the row's sum; the result is the same, and "
                  "no exp overflows")


def _strict_call(fn, *args, task: str, name: str):
    __tracebackhide__ = True
    try:
        with strict_numpy():
            return call(fn, *args, task=task, name=name)
    except CheckFailed as exc:
        text = str(exc)
        if any(alarm in text for alarm in ("FloatingPointError", "RuntimeWarning",
                                           "OverflowError")):
            detail = text.split(": ", 2)[-1].splitlines()[0]
            fail(task, f"{name} made NumPy warn \"{detail}\" on logits up to 1000 (in the "
                 "notebook: a warning on stderr, and nan values)", hint=STABLE_SOFTMAX)
        raise


def check_softmax_delta(softmax, softmax_crossentropy_delta) -> None:
    __tracebackhide__ = True
    task = "softmax_delta"
    for what, case in SOFTMAX_CASES.items():
        z = np.array(case["z"])
        got = _strict_call(softmax, z.copy(), task=task, name="softmax")
        arr = np.asarray(got, dtype=float)
        if arr.shape != z.shape:
            fail(task, f"softmax of logits of shape {z.shape} ({what}) has the wrong shape",
                 f"shape {z.shape}", f"shape {arr.shape}", "one probability per logit: "
                 "keep the shape, and sum each row with keepdims=True")
        if not _close(arr, case["softmax"], atol=1e-9, rtol=1e-7):
            rows = arr.sum(axis=1)
            hint = "softmax(z)[i, k] = exp(z[i, k]) / sum over j of exp(z[i, j])"
            if not _close(rows, np.ones(len(z)), atol=1e-9):
                hint = ("every row of probabilities should sum to 1: normalise each row "
                        "(axis=1, keepdims=True), not each column or the whole array")
            fail(task, f"softmax of the logits {case['z']} ({what}) is wrong",
                 np.array(case["softmax"]), arr, hint)
    for what, case in SOFTMAX_CASES.items():
        z, labels = np.array(case["z"]), np.array(case["labels"])
        y = np.eye(z.shape[1])[labels]
        n, k = z.shape
        got = _strict_call(softmax_crossentropy_delta, z.copy(), y.copy(), task=task,
                           name="softmax_crossentropy_delta")
        arr = np.asarray(got, dtype=float)
        exp, a = np.array(case["delta"]), np.array(case["softmax"])
        if arr.shape != exp.shape:
            fail(task, f"the delta for {what} has the wrong shape", f"shape {exp.shape}",
                 f"shape {arr.shape}", "one value per logit: the same shape as z, (n, K)")
        if _close(arr, exp, atol=1e-9, rtol=1e-7):
            continue
        known = [
            (-exp, "sign error: the delta is a - y (prediction minus target), not y - a"),
            (n * exp, f"{n} times too large: the cost is the mean over the {n} samples, so "
                      "divide a - y by n"),
            (exp / k, "divide by n, the number of samples, not by the number of entries "
                      "n * K"),
            (exp * a * (1 - a), "the softmax's derivative is already inside a - y: do not "
                                "multiply by a * (1 - a) again"),
            (exp + (y - labels.reshape(-1, 1)) / n, "y is one-hot: subtract the one-hot "
                                                    "rows, not the class indices "
                                                    "(np.argmax(y, axis=1))"),
        ]
        rows = arr.sum(axis=1)
        hint = ("delta = (softmax(z) - y) / n, with n = z.shape[0] samples and y the one-hot "
                "labels")
        if not _close(rows, np.zeros(n), atol=1e-9):
            hint = ("each row of the delta should sum to 0 (the probabilities sum to 1, and "
                    "so does a one-hot row): " + hint)
        for wrong, known_hint in known:
            if _close(arr, wrong, atol=1e-9, rtol=1e-7):
                hint = known_hint
                break
        fail(task, f"the delta for {what} (logits {case['z']}, labels {case['labels']}) is "
             "wrong", exp, arr, hint)
    passed(task, "softmax is stable at logits of 1000, and the delta of softmax with "
           "cross-entropy is (a - y) / n")
