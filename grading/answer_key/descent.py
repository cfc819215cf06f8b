"""Gradient descent for a line ``y = w * x + b`` under the MSE loss, in NumPy.

The loss itself comes from :mod:`answer_key.losses`. Trajectories are returned as
``history`` arrays of shape ``(epochs + 1, 3)``: row k holds ``(w, b, loss)`` after k
updates, so row 0 is the starting point.
"""

from __future__ import annotations

import math

import numpy as np

from answer_key.losses import mse
from dlcourse.datasets.toy import LINE_X, LINE_Y

# The course's worked example: fit Y = 2X - 1 from w = b = 10 with learning rate 0.09.
SEED_X, SEED_Y = LINE_X, LINE_Y
SEED_W0, SEED_B0, SEED_LR, SEED_EPOCHS = 10.0, 10.0, 0.09, 50


def predict(x, w: float, b: float) -> np.ndarray:
    """The line's predictions ``w * x + b``."""
    return w * np.asarray(x, dtype=float) + b


def line_loss(x, y, w: float, b: float) -> float:
    """MSE of the line ``(w, b)`` on the points ``(x, y)``."""
    return mse(y, predict(x, w, b))


def mse_gradient(x, y, w: float, b: float) -> tuple[float, float]:
    """``(dL/dw, dL/db)`` of ``L = mean((w x + b - y)**2)``: ``2 mean(e x)`` and ``2 mean(e)``."""
    x = np.asarray(x, dtype=float)
    err = predict(x, w, b) - np.asarray(y, dtype=float)
    return float(2 * np.mean(err * x)), float(2 * np.mean(err))


def step(x, y, w: float, b: float, lr: float) -> tuple[float, float]:
    """One gradient-descent update; both gradients are taken at the old ``(w, b)``."""
    dw, db = mse_gradient(x, y, w, b)
    return w - lr * dw, b - lr * db


def gradient_descent(x, y, w: float, b: float, lr: float, epochs: int) -> np.ndarray:
    """Full-batch gradient descent; returns the ``(epochs + 1, 3)`` history of (w, b, loss)."""
    history = [(w, b, line_loss(x, y, w, b))]
    for _ in range(epochs):
        w, b = step(x, y, w, b, lr)
        history.append((w, b, line_loss(x, y, w, b)))
    return np.array(history, dtype=float)


def iterations_per_epoch(n_samples: int, batch_size: int) -> int:
    """Batches in one pass over the data: the last, smaller batch counts too (round up)."""
    if n_samples < 1 or batch_size < 1:
        raise ValueError("n_samples and batch_size must be at least 1")
    return math.ceil(n_samples / batch_size)


def make_batches(n_samples: int, batch_size: int, rng=None) -> list[np.ndarray]:
    """Index arrays of one epoch's batches, shuffled by ``rng`` (in order when it is None)."""
    order = np.arange(n_samples) if rng is None else rng.permutation(n_samples)
    return [order[i:i + batch_size] for i in range(0, n_samples, batch_size)]


def minibatch_descent(x, y, w: float, b: float, lr: float, epochs: int, batch_size: int,
                      seed: int = 0) -> np.ndarray:
    """Mini-batch gradient descent (batch_size 1: stochastic; len(x): batch).

    One update per batch; the history holds one row per *epoch*, with the loss on all data.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    rng = np.random.default_rng(seed)
    history = [(w, b, line_loss(x, y, w, b))]
    for _ in range(epochs):
        for idx in make_batches(len(x), batch_size, rng):
            w, b = step(x[idx], y[idx], w, b, lr)
        history.append((w, b, line_loss(x, y, w, b)))
    return np.array(history, dtype=float)


def momentum_descent(x, y, w: float, b: float, lr: float, momentum: float,
                     epochs: int) -> np.ndarray:
    """Gradient descent with momentum, as ``keras.optimizers.SGD(momentum=...)`` does it.

    ``v = momentum * v - lr * gradient``; ``param = param + v``; velocities start at 0.
    """
    vw = vb = 0.0
    history = [(w, b, line_loss(x, y, w, b))]
    for _ in range(epochs):
        dw, db = mse_gradient(x, y, w, b)
        vw, vb = momentum * vw - lr * dw, momentum * vb - lr * db
        w, b = w + vw, b + vb
        history.append((w, b, line_loss(x, y, w, b)))
    return np.array(history, dtype=float)


def loss_surface(x, y, W, B) -> np.ndarray:
    """The MSE at every grid point: ``W`` and ``B`` are arrays of the same shape (a meshgrid)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    W, B = np.asarray(W, dtype=float), np.asarray(B, dtype=float)
    err = W[..., None] * x + B[..., None] - y
    return np.mean(err**2, axis=-1)


def adam_step(theta, grad, m, v, t: int, lr: float, beta1: float, beta2: float,
              epsilon: float):
    """One Adam update (Kingma and Ba, Algorithm 1); returns the new ``(theta, m, v, t)``.

    ``t`` counts the updates done so far (0 at the start) and is increased first, so the
    bias corrections divide by ``1 - beta**t`` with ``t >= 1``. Epsilon is added to the
    square root of the bias-corrected ``v``. Keras adds it before the correction instead,
    which equals this with ``epsilon * sqrt(1 - beta2**t)`` in its place.
    """
    theta, grad = np.asarray(theta, dtype=float), np.asarray(grad, dtype=float)
    t = t + 1
    m = beta1 * np.asarray(m, dtype=float) + (1 - beta1) * grad
    v = beta2 * np.asarray(v, dtype=float) + (1 - beta2) * grad**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return theta - lr * m_hat / (np.sqrt(v_hat) + epsilon), m, v, t


def rmsprop_step(theta, grad, v, lr: float, rho: float, epsilon: float):
    """One RMSProp update as ``keras.optimizers.RMSprop`` makes it (epsilon inside the root)."""
    grad = np.asarray(grad, dtype=float)
    v = rho * np.asarray(v, dtype=float) + (1 - rho) * grad**2
    return np.asarray(theta, dtype=float) - lr * grad / np.sqrt(v + epsilon), v


def adam_descent(x, y, w: float, b: float, lr: float, beta1: float, beta2: float,
                 epsilon: float, epochs: int) -> np.ndarray:
    """Full-batch Adam on the line; the ``(epochs + 1, 3)`` history of (w, b, loss)."""
    theta, m, v, t = np.array([w, b], dtype=float), np.zeros(2), np.zeros(2), 0
    history = [(w, b, line_loss(x, y, w, b))]
    for _ in range(epochs):
        grad = np.array(mse_gradient(x, y, *theta))
        theta, m, v, t = adam_step(theta, grad, m, v, t, lr, beta1, beta2, epsilon)
        history.append((*theta, line_loss(x, y, *theta)))
    return np.array(history, dtype=float)
