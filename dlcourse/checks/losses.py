"""Checks for lab 03 (loss functions).

Every expected value below is stored: computed once with the course's answer key and
pasted, so this module holds no implementation of a task. Comparisons use plain Python
arithmetic, not NumPy's comparison functions.
"""

from __future__ import annotations

import contextlib
import math
import types

import numpy as np

from dlcourse.checks.core import CheckFailed, as_array, call, fail, passed, strict_numpy
from dlcourse.datasets import toy

EPSILON = 1e-7  # the clipping bound the tasks ask for (keras.config.epsilon())
CLIP_HINT = f"clip p to [{EPSILON:g}, 1 - {EPSILON:g}] with np.clip before taking the log"
TIPS_PRED = np.full_like(toy.TIPS, toy.TIPS_GUESS)

# Stored regression cases: a column (4, 1), a table (2, 3) and a (2, 2, 2) batch.
COLUMN = (np.array([[3.0], [-1.0], [2.5], [0.0]]), np.array([[2.0], [1.0], [2.5], [-1.5]]))
TABLE = (np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
         np.array([[1.5, 2.0, 1.0], [4.0, 7.0, 6.5]]))
CUBE = (np.array([[[0.5, -1.0], [2.0, 3.0]], [[1.0, 1.0], [-2.0, 0.0]]]),
        np.array([[[1.0, 1.0], [2.0, 0.5]], [[-1.0, 1.5], [-2.0, 3.0]]]))
#            (name, case, sse, mse, mae, rmse)
REGRESSION = (("a (4, 1) column", COLUMN, 7.25, 1.8125, 1.125, 1.346291201783626),
              ("a (2, 3) table", TABLE, 8.5, 1.4166666666666667, 0.8333333333333334,
               1.1902380714238083),
              ("a (2, 2, 2) batch", CUBE, 23.75, 2.96875, 1.3125, 1.7230060940112777))

# Huber: residuals 0.5, 2, -4, -1.5, 3 in a (5, 1) column.
HUBER_Y = np.array([[0.0], [1.0], [2.0], [-1.0], [4.0]])
HUBER_P = HUBER_Y - np.array([[0.5], [2.0], [-4.0], [-1.5], [3.0]])


def _scalar(value, task: str, what: str) -> float:
    __tracebackhide__ = True
    arr = as_array(value, task, what)
    if arr.size != 1:
        fail(task, f"{what} should be one number (the loss of the whole batch)", "a scalar",
             f"an array of shape {arr.shape}",
             "reduce over every entry with np.sum or np.mean (no axis); do not return one "
             "value per sample")
    return float(arr.reshape(-1)[0])


def _close(got: float, expected: float, tol: float = 1e-6) -> bool:
    return math.isfinite(got) and abs(got - expected) <= tol * (1 + abs(expected))


def _expect(got, expected, task, what, hint, wrong=()):
    """Compare a scalar loss; ``wrong`` lists (value, hint) pairs of known mistakes."""
    __tracebackhide__ = True
    value = _scalar(got, task, what)
    if _close(value, expected):
        return value
    if not math.isfinite(value):
        hint = f"the loss is not finite: log(0) is -inf (and 0 * -inf is nan); {CLIP_HINT}"
    for wrong_value, wrong_hint in wrong:
        if _close(value, wrong_value):
            hint = wrong_hint
            break
    fail(task, f"{what} is wrong", expected, value, hint)


LIBRARIES = ("keras", "tensorflow", "tf_keras", "sklearn", "torch", "jax")


def _library_used(fn) -> str | None:
    """The loss library an answer (or a helper it defines) calls, if any."""
    seen, todo = set(), [fn]
    while todo:
        fn = todo.pop()
        code = getattr(fn, "__code__", None)
        if code is None or id(fn) in seen:
            continue
        seen.add(id(fn))
        names, codes = set(), [code]
        while codes:
            code = codes.pop()
            names.update(code.co_names)
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
        namespace = getattr(fn, "__globals__", {})
        for name in names:
            value = namespace.get(name)
            origin = value.__name__ if isinstance(value, types.ModuleType) else getattr(
                value, "__module__", None)
            for root in (name.split(".")[0], str(origin).split(".")[0]):
                if root in LIBRARIES:
                    return root
            if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
                todo.append(value)
    return None


def _numpy_only(task: str, **functions) -> None:
    __tracebackhide__ = True
    for name, fn in functions.items():
        library = _library_used(fn)
        if library:
            fail(task, f"{name} calls {library}: this lab asks you to write every loss in "
                 "NumPy", hint="use NumPy operations only (np.mean, np.sum, np.log, np.clip, "
                 "...): answers that call a library's loss get no marks")


def check_regression_losses(sse, mse, mae) -> None:
    __tracebackhide__ = True
    task = "sse_mse_mae"
    _numpy_only(task, sse=sse, mse=mse, mae=mae)
    n = len(toy.TIPS)
    got = call(sse, toy.TIPS.copy(), TIPS_PRED.copy(), task=task, name="sse")
    _expect(got, 76.0, task, "sse(tips, 10) (the squared residuals 4+9+9+4+25+25)",
            "square each residual (actual - predicted), then add them up",
            [(0.0, "the residuals cancel out: square them before adding"),
             (76.0 / n, "SSE is a sum: do not divide by the number of samples"),
             (20.0, "that is the sum of absolute residuals; SSE squares them")])
    got = call(mse, toy.TIPS.copy(), TIPS_PRED.copy(), task=task, name="mse")
    _expect(got, 76.0 / n, task, "mse(tips, 10) = 76/6",
            "MSE is the mean of the squared residuals: np.mean((y_true - y_pred) ** 2)",
            [(76.0, "you returned the sum of squares: the MSE divides it by n (use np.mean)"),
             (0.0, "the residuals cancel out: square them before averaging"),
             (math.sqrt(76.0 / n), "no square root in the MSE (that would be the RMSE)")])
    got = call(mae, toy.TIPS.copy(), TIPS_PRED.copy(), task=task, name="mae")
    _expect(got, 20.0 / n, task, "mae(tips, 10) = 20/6",
            "MAE is the mean of the absolute residuals: np.mean(np.abs(y_true - y_pred))",
            [(20.0, "you returned the sum of |residuals|: the MAE divides it by n"),
             (0.0, "take the absolute value of each residual before averaging"),
             (10.0 / n, "the MAE has no factor 1/2")])
    for label, (y_true, y_pred), *expected in REGRESSION:
        rows = len(y_true)
        for fn, name, value in zip((sse, mse, mae), ("sse", "mse", "mae"), expected[:3],
                                   strict=True):
            got = call(fn, y_true.copy(), y_pred.copy(), task=task, name=name)
            _expect(got, value, task, f"{name} on {label}",
                    "work on whole arrays and reduce over every entry (np.sum / np.mean "
                    "without an axis)",
                    [(value * y_true.size / rows, "divide by the number of entries "
                      "(y_true.size, or use np.mean), not by len(y_true), the number of rows")]
                    if name != "sse" and rows != y_true.size else ())
    passed(task, "tips example reproduced (SSE 76, MSE 12.67, MAE 3.33), any shape")


def _earlier_mse_is_wrong(rmse) -> bool:
    """Probe the notebook's mse (Task 1), which rmse may call, on stored cases."""
    mse = getattr(rmse, "__globals__", {}).get("mse")
    if not callable(mse):
        return False
    cases = [((toy.TIPS, TIPS_PRED), 76.0 / len(toy.TIPS))]
    cases += [(case, value) for _, case, _, value, *_ in REGRESSION]
    for (y_true, y_pred), expected in cases:
        try:
            value = float(np.asarray(mse(y_true.copy(), y_pred.copy()), dtype=float).ravel()[0])
        except Exception:  # a broken mse is exactly what this probe looks for
            return True
        if not _close(value, expected):
            return True
    return False


def check_rmse_huber(rmse, huber) -> None:
    __tracebackhide__ = True
    task = "rmse_huber"
    _numpy_only(task, rmse=rmse, huber=huber)
    n = len(toy.TIPS)
    cases = [("rmse(tips, 10) = sqrt(76/6)", (toy.TIPS, TIPS_PRED), math.sqrt(76.0 / n))]
    cases += [(f"rmse on {label}", case, value) for label, case, *_, value in REGRESSION]
    for what, (y_true, y_pred), expected in cases:
        got = call(rmse, y_true.copy(), y_pred.copy(), task=task, name="rmse")
        value = _scalar(got, task, what)
        if _close(value, expected):
            continue
        if _earlier_mse_is_wrong(rmse):
            fail(task, "rmse is wrong because your mse (Task 1) is wrong", expected, value,
                 "fix Task 1 first: its check above says what is wrong with mse")
        _expect(value, expected, task, what, "RMSE = sqrt(mean((y_true - y_pred) ** 2))",
                [(expected**2, "you returned the MSE: take its square root (np.sqrt)"),
                 (math.sqrt(76.0), "divide by n inside the root: sqrt of the *mean* squared "
                                   "residual"),
                 (math.sqrt(20.0 / n), "square the residuals, not their absolute values")])
    # residuals 0.5 (quadratic branch), 2 and -4 (linear branch) with delta = 1
    y_true, y_pred = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.0, 7.0])
    got = call(huber, y_true, y_pred, 1.0, task=task, name="huber")
    _expect(got, 1.7083333333333333, task, "huber([1, 2, 3], [0.5, 0, 7], delta=1)",
            "use 0.5 * e**2 where |e| <= delta and delta * (|e| - 0.5 * delta) elsewhere, "
            "with e = y_true - y_pred, then average",
            [(3.3333333333333335, "the two branches are swapped: small residuals (|e| <= delta) "
                                  "get the quadratic 0.5 * e**2, large ones the linear part"),
             (3.375, "every residual took the quadratic branch: large residuals "
                                  "(|e| > delta) must grow only linearly"),
             (5.125, "average over the samples (np.mean), do not sum"),
             (-0.9583333333333334, "take |e| in the linear branch: a residual of -4 costs as "
                                   "much as one of +4")])
    # the same five residuals 0.5, 2, -4, -1.5, 3 at three values of delta
    for delta, expected, wrong in (
        (2.5, 2.9, [(2.775, "compare |e| with delta, not with 1"),
                    (1.85, "the linear branch is delta * (|e| - delta / 2): use delta in it"),
                    (1.725, "use the delta you are given, not 1")]),
        (0.3, 0.615, [(0.619, "compare |e| with delta, not with 1"),
                      (1.7, "the linear branch is delta * (|e| - delta / 2): use delta in it"),
                      (1.725, "use the delta you are given, not 1")]),
    ):
        got = call(huber, HUBER_Y.copy(), HUBER_P.copy(), delta=delta, task=task, name="huber")
        _expect(got, expected, task, f"huber on residuals [0.5, 2, -4, -1.5, 3] with "
                f"delta={delta}", "use the delta you are given in both the test |e| <= delta "
                "and the linear branch delta * (|e| - 0.5 * delta)", wrong)
    got = call(huber, HUBER_Y.copy(), HUBER_P.copy(), task=task, name="huber")
    _expect(got, 1.725, task, "huber on residuals [0.5, 2, -4, -1.5, 3] without a delta",
            "the default is delta=1.0, as in Keras: def huber(y_true, y_pred, delta=1.0)")
    passed(task, "RMSE in the target's units; Huber quadratic near 0 and linear beyond delta, "
           "at any delta")


def check_binary_crossentropy(binary_crossentropy) -> None:
    __tracebackhide__ = True
    task = "binary_crossentropy"
    _numpy_only(task, binary_crossentropy=binary_crossentropy)
    cases = (
        ("binary_crossentropy([1, 0, 1, 0], [0.9, 0.2, 0.6, 0.4])",
         np.array([1.0, 0.0, 1.0, 0.0]), np.array([0.9, 0.2, 0.6, 0.4]), 0.3375388286260044,
         [(-0.3375388286260044, "sign error: log p is negative, so the loss needs a minus "
                                "sign in front"),
          (1.3501553145040176, "average over the samples (np.mean), do not sum"),
          (0.15404653485595426, "the (1 - y) * log(1 - p) term is missing: samples with "
                                "label 0 must count too")]),
        ("binary_crossentropy on a (3, 1) column with p = 1, 0, 0 (a certain miss)",
         np.array([[1.0], [0.0], [1.0]]), np.array([[1.0], [0.0], [0.0]]), 5.37269861698611,
         []),
        ("binary_crossentropy on a (2, 3) batch with p = 1 for a label 0 and p = 1e-9 for "
         "a label 1", np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]),
         np.array([[0.7, 1.0, 0.0], [0.3, 1e-9, 0.5]]), 5.607114745146736,
         [(9.444889816287452, f"clip with epsilon = {EPSILON:g} (EPSILON), as Keras does, "
                              "not 1e-15")]),
    )
    for what, y, p, expected, wrong in cases:
        got = call(binary_crossentropy, y.copy(), p.copy(), task=task,
                   name="binary_crossentropy")
        hint = "loss = -mean(y * log(p) + (1 - y) * log(1 - p))"
        if 0.0 in p or 1.0 in p or 1e-9 in p:
            hint = (f"{CLIP_HINT}: both ends matter, 0 for log(p) and 1 for log(1 - p), and "
                    "so does a tiny p such as 1e-9")
        _expect(got, expected, task, what, hint, wrong)
    passed(task, "matches Keras, including probabilities of exactly 0 and 1, any shape")


# binary_crossentropy_from_logits: (what, y, z, expected, known mistakes), expected values
# from the answer key and equal to keras.losses.BinaryCrossentropy(from_logits=True) in float64.
LOGIT_CASES = (
    ("binary_crossentropy_from_logits([1, 0, 1, 0], [2, -1, -0.5, 3])",
     [1.0, 0.0, 1.0, 0.0], [2.0, -1.0, -0.5, 3.0], 1.115713508578761,
     [(1.8657135085787608, "sign error: the middle term is - z * y"),
      (0.9907135085787611, "the labels are swapped: y = 1 means class 1, whose probability "
                           "is sigmoid(z)"),
      (4.462854034315044, "average over every entry (np.mean without an axis), do not "
                          "sum"),
      (-0.134286491421239, "the max(z, 0) term is missing")]),
    ("a (5, 1) column with logits 1000, -1000, 40, -40, 0 and labels 0, 1, 1, 1, 0",
     [[0.0], [1.0], [1.0], [1.0], [0.0]], [[1000.0], [-1000.0], [40.0], [-40.0], [0.0]],
     408.13862943611196,
     [(8.138629436111989, "sign error or swapped labels: a logit of 1000 for a label 0 "
                          "costs about 1000"),
      (9.809486846792254, "no clipping here: a logit of -40 for a label 1 costs 40, not "
                          "-log(1e-7) = 16.1; compute the loss from z, not from sigmoid(z)"),
      (2040.69314718056, "average over every entry (np.mean), do not sum")]),
    ("a (2, 3) batch with logits [[17, -25, 710], [-709.5, 3.2, -0.1]]",
     [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]], [[17.0, -25.0, 710.0], [-709.5, 3.2, -0.1]],
     118.4640583391082,
     [(2.817074324120115, "no clipping here: a logit of 710 for a label 0 costs 710; compute "
                          "the loss from z, not from sigmoid(z)"),
      (355.39217501732463, "average over every entry: np.mean without an axis, not a sum "
                           "over the last axis")]),
    ("a (2, 2, 2) batch", [[[1.0, 0.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 1.0]]],
     [[[0.7, -1.2], [2.5, 0.0]], [[-3.0, 4.1], [-0.4, 1.5]]], 0.9647447700356676,
     [(1.929489540071335, "average over every entry: np.mean without an axis")]),
)
STABLE_HINT = ("use the stable form max(z, 0) - z * y + log(1 + exp(-|z|)): exp(-|z|) is "
               "at most 1, so nothing overflows (np.log1p(x) is log(1 + x), accurate for "
               "tiny x)")
NUMPY_ALARMS = ("FloatingPointError", "RuntimeWarning", "OverflowError")



def check_binary_crossentropy_from_logits(binary_crossentropy_from_logits) -> None:
    __tracebackhide__ = True
    task = "binary_crossentropy_from_logits"
    _numpy_only(task, binary_crossentropy_from_logits=binary_crossentropy_from_logits)
    for what, y, z, expected, wrong in LOGIT_CASES:
        y, z = np.array(y), np.array(z)
        try:
            with strict_numpy():
                got = call(binary_crossentropy_from_logits, y.copy(), z.copy(), task=task,
                           name="binary_crossentropy_from_logits")
        except CheckFailed as exc:
            alarm = next((a for a in NUMPY_ALARMS if a in str(exc)), None)
            if alarm is None:
                raise
            detail = str(exc).rsplit(f"raised {alarm}: ", 1)[-1].splitlines()[0]
            fail(task, f"on {what}, NumPy warned \"{detail}\" (in the notebook: a warning on "
                 "stderr, and an inf or nan loss)", hint=STABLE_HINT + "; do not compute "
                 "sigmoid(z) and then its log, and remember that np.where computes both of its "
                 "branches")
        value = _scalar(got, task, what)
        if not math.isfinite(value):
            fail(task, f"the loss on {what} is not finite", expected, value, STABLE_HINT)
        _expect(value, expected, task, what, "loss = mean(max(z, 0) - z * y + log(1 + "
                "exp(-|z|))) over every entry", wrong)
    passed(task, "matches Keras's from_logits=True, with no overflow even at |z| = 1000")


@contextlib.contextmanager
def _task4_epsilon(*functions):
    """Run Task 5 with EPSILON = 1e-7 even when Task 4's cell set another value: Task 4's
    check reports that mistake, so it costs one task only."""
    namespaces = [ns for ns in (getattr(fn, "__globals__", None) for fn in functions)
                  if isinstance(ns, dict) and "EPSILON" in ns]
    saved = [ns["EPSILON"] for ns in namespaces]
    for ns in namespaces:
        ns["EPSILON"] = EPSILON
    try:
        yield
    finally:
        for ns, value in zip(namespaces, saved, strict=True):
            ns["EPSILON"] = value


def check_categorical(categorical_crossentropy, sparse_categorical_crossentropy) -> None:
    __tracebackhide__ = True
    with _task4_epsilon(categorical_crossentropy, sparse_categorical_crossentropy):
        _check_categorical(categorical_crossentropy, sparse_categorical_crossentropy)


def _check_categorical(categorical_crossentropy, sparse_categorical_crossentropy) -> None:
    __tracebackhide__ = True
    task = "categorical_crossentropy"
    _numpy_only(task, categorical_crossentropy=categorical_crossentropy,
                sparse_categorical_crossentropy=sparse_categorical_crossentropy)
    labels = np.array([0, 1, 2, 1])
    onehot = np.eye(3)[labels]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])
    expected = 0.720600897061747
    wrong = [(-expected, "sign error: cross-entropy is -sum(y * log p)"),
             (expected / 3, "you averaged over the classes too: sum over the class axis "
                            "(axis=-1), then average over the samples"),
             (4 * expected, "average over the samples (np.mean), do not sum"),
             (3.9717459824987333, "multiply by the one-hot y: only the true class's "
                                  "probability counts")]
    got = call(categorical_crossentropy, onehot.copy(), p.copy(), task=task,
               name="categorical_crossentropy")
    _expect(got, expected, task, "categorical_crossentropy(one_hot([0, 1, 2, 1]), p)",
            "per sample: -np.sum(y * np.log(p), axis=-1); then the mean over samples", wrong)
    got = call(sparse_categorical_crossentropy, labels.copy(), p.copy(), task=task,
               name="sparse_categorical_crossentropy")
    _expect(got, expected, task, "sparse_categorical_crossentropy([0, 1, 2, 1], p)",
            "pick each row's probability of its true class: p[np.arange(n), labels], then "
            "-mean(log(...))", wrong +
            [(1.625572542718493, "labels are 0..K-1 here (no -1 shift); row i's true class "
                                 "is column labels[i]")])
    # four classes, class 3 never a label; zeros everywhere, one on a true class
    labels = np.array([1, 0, 1, 2])
    p = np.array([[0.1, 0.6, 0.3, 0.0], [0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25],
                  [0.0, 0.0, 1.0, 0.0]])
    expected = 4.503803933961052
    got = call(categorical_crossentropy, np.eye(4)[labels], p.copy(), task=task,
               name="categorical_crossentropy")
    _expect(got, expected, task, "categorical_crossentropy with 4 classes and probabilities "
            "of 0 (one of them for a true class)", CLIP_HINT,
            [(expected / 4, "sum over the class axis (axis=-1), then average over the "
                            "samples")])
    try:
        got = call(sparse_categorical_crossentropy, labels.reshape(-1, 1), p.copy(), task=task,
                   name="sparse_categorical_crossentropy")
    except CheckFailed as exc:
        raise CheckFailed(f"{exc.args[0]}\n    hint: labels may have shape (n,) or (n, 1) "
                          "(flatten them), and the number of classes is p_pred.shape[1], not "
                          "labels.max() + 1 (class 3 is never a label here)") from None
    _expect(got, expected, task, "sparse_categorical_crossentropy with labels of shape "
            "(4, 1), 4 classes (class 3 never a label) and a probability of 0 for a true class",
            CLIP_HINT + "; the number of classes is "
            "p_pred.shape[1], not labels.max() + 1",
            [(6.717194235977588, "labels of shape (n, 1) must be flattened first "
                                 "(labels.reshape(-1)): p[np.arange(n), labels] with a column "
                                 "of labels picks an (n, n) block")])
    passed(task, "one-hot and integer labels give the same loss, and log(0) is avoided")


def _shape_checked(loss):
    def checked(y_true, y_pred):
        y_true, y_pred = np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"the loss got y of shape {y_true.shape} and a prediction of "
                             f"shape {y_pred.shape}: predict np.full_like(y, c)")
        return loss(y_true - y_pred)
    return checked


def _pinball(tau: float):
    """A test loss (not a task of this lab): under-predictions cost tau, over-predictions
    1 - tau per unit, so its best constant is the tau-quantile of y."""
    return _shape_checked(lambda e: float(np.mean(np.maximum(tau * e, (tau - 1) * e))))


_worst = _shape_checked(lambda e: float(np.max(np.abs(e))))  # best constant: the midrange

TIPS_OUTLIER = np.append(toy.TIPS, 50.0)  # mean 15.71, median 12
GRID = np.linspace(0, 20, 201)


def check_best_constant(best_constant) -> None:
    __tracebackhide__ = True
    task = "best_constant"
    _numpy_only(task, best_constant=best_constant)
    cases = (
        ("tips + $50 outlier, loss charging |e| / 2 (best: the median, 12)", TIPS_OUTLIER,
         _pinball(0.5), GRID, 12.0, {0.0: "you returned the worst candidate: use np.argmin, "
                                          "not np.argmax",
                                     15.7: "use the loss you are given, not the mean (the "
                                           "MSE's answer)"}),
        ("tips + $50 outlier, loss charging under-predictions 3x more (best: 15)",
         TIPS_OUTLIER, _pinball(0.75), GRID, 15.0,
         {7.0: "call loss(y, prediction), with y first: this loss is not symmetric",
          15.7: "use the loss you are given, not the mean (the MSE's answer)",
          12.0: "use the loss you are given, not the median (the MAE's answer)"}),
        ("tips + $50 outlier, loss = largest |e| (best: the last candidate, 20)",
         TIPS_OUTLIER, _worst, GRID, 20.0,
         {19.9: "try every candidate, the last one too"}),
        ("y of shape (7, 1), loss charging |e| / 2", TIPS_OUTLIER.reshape(-1, 1),
         _pinball(0.5), GRID, 12.0, {}),
        ("y = [0, 4], candidates [3, 1, 2], all equally good", np.array([0.0, 4.0]),
         _pinball(0.5), np.array([3.0, 1.0, 2.0]), 3.0,
         {2.0: "return the first of equally good candidates (np.argmin does), not the last"}),
        ("y = [1, 2], candidates [5, 1.5, 9]", np.array([1.0, 2.0]), _pinball(0.5),
         np.array([5.0, 1.5, 9.0]), 1.5,
         {1.0: "return the candidate value itself, not its index: candidates[best_index]",
          0.25: "return the best candidate, not its loss"}),
    )
    for what, y, loss, candidates, expected, known in cases:
        got = call(best_constant, y.copy(), loss, candidates.copy(), task=task,
                   name="best_constant")
        value = _scalar(got, task, f"best_constant({what})")
        if not _close(value, expected, 1e-9):
            hint = next((h for v, h in known.items() if _close(value, v, 1e-9)),
                        "for each candidate c compute loss(y, np.full_like(y, c)); return "
                        "candidates[np.argmin(losses)]")
            if value.is_integer() and 0 <= value < len(candidates) \
                    and _close(float(candidates[int(value)]), expected, 1e-9):
                hint = "return the candidate value itself, not its index: candidates[best_index]"
            fail(task, f"best_constant({what}) is wrong", expected, value, hint)
    passed(task, "the given loss decides: the median, a quantile or the midrange; ties go to "
           "the first candidate")
