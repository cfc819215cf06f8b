"""Loss functions in vectorised NumPy, matching ``keras.losses`` (mean over the samples).

Regression losses take ``y_true`` and ``y_pred`` of the same shape and average over every
entry. Cross-entropies take probabilities (not logits) with the classes on the last axis:
they sum over the classes, then average over the samples, and clip probabilities to
``[EPSILON, 1 - EPSILON]`` as Keras does, so a predicted 0 gives a large finite loss
instead of ``log(0) = -inf``.
"""

from __future__ import annotations

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
    """The candidate constant c whose prediction ``full_like(y, c)`` has the lowest loss."""
    y = np.asarray(y, dtype=float)
    values = [loss(y, np.full_like(y, c)) for c in np.asarray(candidates, dtype=float)]
    return float(np.asarray(candidates, dtype=float)[int(np.argmin(values))])


# Losses by name, as the notebooks and plots refer to them.
REGRESSION = {"SSE": sse, "MSE": mse, "MAE": mae, "RMSE": rmse, "Huber": huber}
