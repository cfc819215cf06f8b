"""Loss functions in vectorised NumPy, matching ``keras.losses`` (mean over the samples).

Regression losses take ``y_true`` and ``y_pred`` of the same shape and average over every
entry. Cross-entropies take probabilities with the classes on the last axis: they sum over
the classes, then average over the samples, and clip probabilities to
``[EPSILON, 1 - EPSILON]`` as Keras does, so a predicted 0 gives a large finite loss
instead of ``log(0) = -inf``. ``binary_crossentropy_from_logits`` takes logits instead and
needs no clipping.
"""

from __future__ import annotations

import types
from pathlib import Path

import numpy as np

EPSILON = 1e-7  # keras.config.epsilon(): the clipping bound for probabilities


def _pair(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    y_pred = np.asarray(y_pred, dtype=float)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has shape {y_true.shape} but y_pred has shape {y_pred.shape}")
    return y_true, y_pred


def residuals(y_true, y_pred) -> np.ndarray:
    """actual - predicted, element by element."""
    y_true, y_pred = _pair(y_true, y_pred)
    return y_true - y_pred


def sse(y_true, y_pred) -> float:
    """Sum of squared errors (also called RSS or SSR)."""
    return float(np.sum(residuals(y_true, y_pred) ** 2))


def mse(y_true, y_pred) -> float:
    """Mean squared error (L2 loss)."""
    return float(np.mean(residuals(y_true, y_pred) ** 2))


def mae(y_true, y_pred) -> float:
    """Mean absolute error (L1 loss); no 1/2 factor."""
    return float(np.mean(np.abs(residuals(y_true, y_pred))))


def rmse(y_true, y_pred) -> float:
    """Root mean squared error: the square root of the MSE, in the target's units."""
    return float(np.sqrt(mse(y_true, y_pred)))


def huber(y_true, y_pred, delta: float = 1.0) -> float:
    """Huber loss: quadratic ``e**2 / 2`` for ``|e| <= delta``, linear beyond it.

    The linear branch ``delta * (|e| - delta / 2)`` joins the quadratic one smoothly.
    """
    err = np.abs(residuals(y_true, y_pred))
    quadratic = 0.5 * err**2
    linear = delta * err - 0.5 * delta**2
    return float(np.mean(np.where(err <= delta, quadratic, linear)))


def clip_probabilities(p, eps: float = EPSILON) -> np.ndarray:
    """Keep probabilities inside ``[eps, 1 - eps]`` so their logs stay finite."""
    return np.clip(np.asarray(p, dtype=float), eps, 1 - eps)


def binary_crossentropy(y_true, p_pred) -> float:
    """``-mean(y log p + (1 - y) log(1 - p))`` for labels 0/1 and probabilities of class 1."""
    y_true, p_pred = _pair(y_true, p_pred)
    p = clip_probabilities(p_pred)
    return float(-np.mean(y_true * np.log(p) + (1 - y_true) * np.log(1 - p)))


def binary_crossentropy_from_logits(y_true, logits) -> float:
    """Binary cross-entropy of labels 0/1 and logits z (sigmoid(z) is the probability of
    class 1), in the stable form ``max(z, 0) - z * y + log(1 + exp(-|z|))``: no exp
    overflows and no probability rounds to 0 or 1, at any z."""
    y_true, z = _pair(y_true, logits)
    return float(np.mean(np.maximum(z, 0.0) - z * y_true + np.log1p(np.exp(-np.abs(z)))))


def categorical_crossentropy(y_onehot, p_pred) -> float:
    """``-sum_k y_k log p_k`` for each sample (classes on the last axis), averaged over samples."""
    y_onehot, p_pred = _pair(y_onehot, p_pred)
    per_sample = -np.sum(y_onehot * np.log(clip_probabilities(p_pred)), axis=-1)
    return float(np.mean(per_sample))


def one_hot(labels, n_classes: int) -> np.ndarray:
    """Integer labels 0..K-1 of shape (n,) -> one-hot rows of shape (n, K)."""
    labels = np.asarray(labels).reshape(-1).astype(int)
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(f"labels must lie in 0..{n_classes - 1}, "
                         f"got {labels.min()}..{labels.max()}")
    return np.eye(n_classes)[labels]


def sparse_categorical_crossentropy(labels, p_pred) -> float:
    """Categorical cross-entropy with integer labels 0..K-1 instead of one-hot rows."""
    p_pred = np.asarray(p_pred, dtype=float)
    labels = np.asarray(labels).reshape(-1).astype(int)
    if p_pred.ndim != 2 or len(labels) != len(p_pred):
        raise ValueError(f"need labels of shape (n,) and p_pred of shape (n, K); got "
                         f"{labels.shape} and {p_pred.shape}")
    picked = p_pred[np.arange(len(labels)), labels]  # the probability of the true class
    return float(-np.mean(np.log(clip_probabilities(picked))))


def best_constant(y, loss, candidates) -> float:
    """The candidate constant c whose prediction ``full_like(y, c)`` has the lowest loss;
    the first of equally good candidates."""
    y = np.asarray(y, dtype=float)
    values = [loss(y, np.full_like(y, c)) for c in np.asarray(candidates, dtype=float)]
    return float(np.asarray(candidates, dtype=float)[int(np.argmin(values))])


# Losses by name, as the notebooks and plots refer to them.
REGRESSION = {"SSE": sse, "MSE": mse, "MAE": mae, "RMSE": rmse, "Huber": huber}


def pinball(tau: float):
    """The quantile (pinball) loss at level ``tau``: not a task of lab 03, but a loss whose
    best constant is the ``tau``-quantile, and which changes when its arguments are swapped."""

    def loss(y_true, y_pred) -> float:
        err = residuals(y_true, y_pred)
        return float(np.mean(np.maximum(tau * err, (tau - 1) * err)))

    return loss


# Guards for hidden tests -------------------------------------------------------------------

_KEY_DIR = Path(__file__).resolve().parent
_TASKS = ("residuals", "sse", "mse", "mae", "rmse", "huber", "clip_probabilities",
          "binary_crossentropy", "binary_crossentropy_from_logits", "categorical_crossentropy",
          "one_hot",
          "sparse_categorical_crossentropy", "best_constant", "pinball")
# The key's values on one fixed case, computed once and stored: a NumPy function that an
# answer replaced would change them.
_Y, _P = [3.0, -1.0, 2.5, 0.0], [2.0, 1.0, 2.5, -1.5]
_STORED = {"sse": 7.25, "mse": 1.8125, "mae": 1.125, "rmse": 1.346291201783626,
           "huber": 0.875, "binary_crossentropy": 6.512939093883008,
           "binary_crossentropy_from_logits": 208.12991846935938,
           "categorical_crossentropy": 5.774022818428086,
           "sparse_categorical_crossentropy": 5.774022818428086, "best_constant": 2.5}


def _from_key(obj) -> bool:
    code = getattr(getattr(obj, "__wrapped__", obj), "__code__", None)
    return code is not None and Path(code.co_filename).resolve().parent == _KEY_DIR


def intact() -> None:
    """Fail when an answer replaced this key's functions or the hidden-test helpers, or
    changed NumPy so that the key no longer gives its stored values."""
    from answer_key import hidden

    for name in _TASKS:
        assert _from_key(globals()[name]), f"answer_key.losses.{name} was replaced"
    for name in ("genuine", "floats", "number", "integer", "same", "substituted"):
        assert _from_key(getattr(hidden, name)), f"answer_key.hidden.{name} was replaced"
    hidden.genuine()
    y, p = np.array(_Y), np.array(_P)
    labels = np.array([2, 0, 1])
    probs = np.array([[0.2, 0.3, 0.5], [0.0, 0.0, 1.0], [0.1, 0.6, 0.3]])
    got = {"sse": sse(y, p), "mse": mse(y, p), "mae": mae(y, p), "rmse": rmse(y, p),
           "huber": huber(y, p, 1.5),
           "binary_crossentropy": binary_crossentropy([1.0, 0.0, 1.0, 0.0, 1.0],
                                                      [0.9, 0.2, 0.0, 1.0, 1.0]),
           "binary_crossentropy_from_logits": binary_crossentropy_from_logits(
               [1.0, 0.0, 1.0, 0.0, 1.0], [-1000.0, 40.0, 0.5, -3.0, 2.0]),
           "categorical_crossentropy": categorical_crossentropy(one_hot(labels, 3), probs),
           "sparse_categorical_crossentropy": sparse_categorical_crossentropy(labels, probs),
           "best_constant": best_constant([1.0, 2.0, 3.0, 10.0], mae, [2.5, 4.0, 2.0, 1.0])}
    for name, value in _STORED.items():
        assert type(got[name]) is float and abs(got[name] - value) <= 1e-12 * (1 + abs(value)), (
            f"the answer key's {name} no longer gives its stored value: NumPy was changed")


# Libraries that ship these losses: the lab asks for them in NumPy.
_NOT_ALLOWED = ("answer_key", "keras", "tensorflow", "tf_keras", "sklearn", "torch", "jax")


def _origin(value) -> str:
    if isinstance(value, types.ModuleType):
        return value.__name__
    module = getattr(value, "__module__", None)
    return module if isinstance(module, str) else ""


def _names(code) -> tuple[set, set]:
    """Global or imported names and local names used by ``code`` and the code nested in it."""
    names, local, codes = set(), set(), [code]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        local.update(code.co_varnames)
        names.update(c for c in code.co_consts if isinstance(c, str)
                     and any(root in c for root in _NOT_ALLOWED))
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    return names, local


def not_delegated(*functions) -> None:
    """Fail when an answer is, or calls (directly or through helpers it defines), a function
    of this answer key or of a library that ships the losses (Keras, TensorFlow, ...)."""
    seen, todo = set(), list(functions)
    while todo:
        fn = todo.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        label = getattr(fn, "__name__", type(fn).__name__)
        assert callable(fn), f"{fn!r} is not a function"
        assert not _from_key(fn), f"{label} comes from the answer key"
        origin = _origin(fn)
        assert origin.split(".")[0] not in _NOT_ALLOWED, f"{label} comes from {origin}"
        code = getattr(getattr(fn, "__func__", fn), "__code__", None)
        if code is None:
            continue
        names, local = _names(code)
        for name in names | {n for n in local if "answer_key" in n}:
            assert not any(root in name.split(".")[0] for root in _NOT_ALLOWED), (
                f"{label} uses {name}")
        namespace = getattr(fn, "__globals__", {})
        for name in names:
            value = namespace.get(name)
            if value is None:
                continue
            origin = _origin(value)
            assert not _from_key(value) and origin.split(".")[0] not in _NOT_ALLOWED, (
                f"{label} uses {origin or 'the answer key'} through {name}")
            if isinstance(value, types.FunctionType) and value.__globals__ is namespace:
                todo.append(value)  # a helper the answer defines: check it too
