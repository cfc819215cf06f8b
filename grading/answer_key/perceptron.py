"""Rosenblatt's perceptron in NumPy: step activation and the perceptron learning rule."""

from __future__ import annotations

import numpy as np


def predict(X, w, b) -> np.ndarray:
    """Step activation of ``X @ w + b``: 1 where the sum is >= 0, else 0.

    ``X`` is (n, d) or a single sample (d,); returns int64 labels of shape (n,) or ().
    """
    z = np.asarray(X, dtype=float) @ np.asarray(w, dtype=float) + float(b)
    return (z >= 0).astype(np.int64)


def update(w, b, x, y, lr: float = 1.0):
    """One learning-rule step on sample ``(x, y)``: ``w += lr * (y - y_hat) * x``, same for b.

    Returns new ``(w, b)``; the inputs are not modified.
    """
    x = np.asarray(x, dtype=float)
    error = float(y) - float(predict(x, w, b))
    return np.asarray(w, dtype=float) + lr * error * x, float(b) + lr * error


def train(X, y, lr: float = 1.0, epochs: int = 20, w=None, b: float = 0.0):
    """Run the learning rule over the data in order until an epoch makes no mistake.

    Returns ``(w, b, errors)`` where ``errors[k]`` counts the mistakes made during epoch k.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y)
    w = np.zeros(X.shape[1]) if w is None else np.asarray(w, dtype=float)
    errors = []
    for _ in range(epochs):
        mistakes = 0
        for xi, yi in zip(X, y, strict=True):
            if predict(xi, w, b) != yi:
                mistakes += 1
            w, b = update(w, b, xi, yi, lr)
        errors.append(mistakes)
        if mistakes == 0:
            break
    return w, b, errors


def decision_line(w, b):
    """Slope and intercept of the boundary ``w1*x1 + w2*x2 + b = 0`` as ``x2 = m*x1 + c``."""
    w1, w2 = (float(v) for v in np.asarray(w, dtype=float).reshape(-1)[:2])
    if w2 == 0:
        raise ValueError("w2 is 0: the boundary is vertical and has no slope")
    return -w1 / w2, -float(b) / w2
