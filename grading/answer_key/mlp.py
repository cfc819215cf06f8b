"""A multilayer perceptron in NumPy: forward pass, backpropagation, gradient descent.

Conventions: a batch ``X`` has one sample per row, shape (n, d). A network is a list of
layers ``(W, b)`` with ``W`` of shape (inputs, units) and ``b`` of shape (units,), so a
layer computes ``z = a_prev @ W + b`` and ``a = f(z)``. The loss is half the squared error,
summed over the outputs and averaged over the batch:

    C = 1/(2n) * sum_samples sum_outputs (a_L - y)^2

Backpropagation (the error terms delta, one row per sample):

    delta_L = (a_L - y) / n * f'(z_L)
    delta_l = (delta_{l+1} @ W_{l+1}.T) * f'(z_l)
    dC/dW_l = a_{l-1}.T @ delta_l,   dC/db_l = sum of delta_l over the batch
"""

from __future__ import annotations

import numpy as np

from answer_key import activations

REGULARIZATIONS = (None, "l1", "l2")


def init_layers(sizes, seed: int = 0, init: str | float = "xavier") -> list:
    """Random weights and zero biases for layer sizes ``[inputs, hidden..., outputs]``.

    ``init``: "xavier" (Glorot uniform), "he" (normal, sigma = sqrt(2 / fan_in)),
    "uniform" (U(-0.5, 0.5), the TensorFlow Playground's choice) or a number: the standard
    deviation of a normal distribution.
    """
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        if init == "xavier":
            limit = np.sqrt(6.0 / (fan_in + fan_out))
            W = rng.uniform(-limit, limit, size=(fan_in, fan_out))
        elif init == "he":
            W = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=(fan_in, fan_out))
        elif init == "uniform":
            W = rng.uniform(-0.5, 0.5, size=(fan_in, fan_out))
        elif isinstance(init, (int, float)):
            W = rng.normal(0.0, float(init), size=(fan_in, fan_out))
        else:
            raise ValueError(f"unknown init {init!r}: use xavier, he, uniform or a number")
        layers.append((W, np.zeros(fan_out)))
    return layers


def _targets(y, out: np.ndarray) -> np.ndarray:
    return np.asarray(y, dtype=float).reshape(out.shape)


def loss(out, y) -> float:
    """Half the squared error, summed over outputs, averaged over the batch (the Playground's
    loss; no square root)."""
    out = np.asarray(out, dtype=float)
    out = out.reshape(len(out), -1)
    return float(0.5 * np.sum((out - _targets(y, out)) ** 2) / len(out))


def forward(layers, X, hidden: str = "sigmoid", output: str = "sigmoid"):
    """Run the network on a batch; returns ``(a_L, cache)`` where the cache holds the
    pre-activations ``z`` (one per layer) and activations ``a`` (``a[0]`` is ``X``)."""
    a = np.asarray(X, dtype=float)
    cache = {"z": [], "a": [a]}
    for i, (W, b) in enumerate(layers):
        f, _ = activations.get(output if i == len(layers) - 1 else hidden)
        z = a @ W + b
        a = f(z)
        cache["z"].append(z)
        cache["a"].append(a)
    return a, cache


def backward(layers, cache, y, hidden: str = "sigmoid", output: str = "sigmoid",
             reg: str | None = None, reg_rate: float = 0.0) -> list:
    """Gradients ``[(dW, db), ...]`` of :func:`loss` (plus the penalty ``reg_rate * R(W)``
    where R is sum |w| for "l1" or sum w^2 / 2 for "l2"; biases are not penalised)."""
    if reg not in REGULARIZATIONS:
        raise ValueError(f"unknown regularization {reg!r}: use None, 'l1' or 'l2'")
    a_out = cache["a"][-1]
    n = len(a_out)
    _, f_prime = activations.get(output)
    delta = (a_out - _targets(y, a_out)) / n * f_prime(cache["z"][-1])
    grads = [None] * len(layers)
    for i in range(len(layers) - 1, -1, -1):
        W, _ = layers[i]
        dW = cache["a"][i].T @ delta
        if reg == "l1":
            dW = dW + reg_rate * np.sign(W)
        elif reg == "l2":
            dW = dW + reg_rate * W
        grads[i] = (dW, delta.sum(axis=0))
        if i > 0:
            _, f_prime = activations.get(hidden)
            delta = (delta @ W.T) * f_prime(cache["z"][i - 1])
    return grads


def update(layers, grads, lr: float) -> list:
    """One gradient-descent step: every weight and bias moves by ``-lr * gradient``."""
    return [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads, strict=True)]


def penalty(layers, reg: str | None, reg_rate: float) -> float:
    """The regularisation term added to the loss."""
    if reg is None or reg_rate == 0:
        return 0.0
    weights = np.concatenate([W.ravel() for W, _ in layers])
    if reg == "l1":
        return float(reg_rate * np.abs(weights).sum())
    return float(reg_rate * 0.5 * (weights**2).sum())


def train(layers, X, y, lr: float, epochs: int, hidden: str = "sigmoid",
          output: str = "sigmoid", batch_size: int | None = None, seed: int = 0,
          reg: str | None = None, reg_rate: float = 0.0, callback=None):
    """(Mini-batch) gradient descent. ``batch_size=None`` uses the whole batch.

    Returns ``(layers, losses)`` with the training loss after every epoch. Training stops
    early, without warnings, once the loss is not finite (a learning rate too large);
    ``callback(epoch, layers, loss)`` runs after every epoch and may return True to stop.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(len(X), -1)
    rng = np.random.default_rng(seed)
    size = len(X) if batch_size is None else int(batch_size)
    losses = []
    with np.errstate(all="ignore"):
        for epoch in range(epochs):
            order = rng.permutation(len(X)) if size < len(X) else np.arange(len(X))
            for start in range(0, len(X), size):
                idx = order[start:start + size]
                _, cache = forward(layers, X[idx], hidden, output)
                layers = update(layers, backward(layers, cache, y[idx], hidden, output, reg,
                                                 reg_rate), lr)
            out, _ = forward(layers, X, hidden, output)
            losses.append(loss(out, y))
            stop = callback(epoch, layers, losses[-1]) if callback is not None else False
            if stop or not np.isfinite(losses[-1]):
                break
    return layers, losses


def numerical_gradient(f, x, eps: float = 1e-5) -> np.ndarray:
    """Central differences: dF/dx_i ~ (f(x + eps e_i) - f(x - eps e_i)) / (2 eps).

    ``f`` takes the array ``x`` (perturbed in place and restored) and returns a number.
    """
    x = np.asarray(x)
    grad = np.zeros(x.shape, dtype=float)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        plus = f(x)
        x[i] = old - eps
        minus = f(x)
        x[i] = old
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def relative_error(a, b) -> float:
    """max |a - b| / (|a| + |b|), the usual score of a gradient check (< 1e-7 is good)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-12)))


def gradient_norms(grads) -> np.ndarray:
    """The Frobenius norm of each layer's weight gradient, input layer first."""
    return np.array([float(np.linalg.norm(dW)) for dW, _ in grads])


def accuracy(out, y, threshold: float = 0.5) -> float:
    """Share of samples whose output is on the right side of ``threshold``."""
    pred = (np.asarray(out, dtype=float).reshape(-1) >= threshold).astype(int)
    return float(np.mean(pred == np.asarray(y).reshape(-1)))


def to_layers(params: dict) -> list:
    """``{"W1": .., "b1": .., "W2": .., ...}`` (the labs' parameter dicts) -> ``[(W, b), ...]``."""
    count = sum(1 for key in params if key.startswith("W"))
    return [(np.asarray(params[f"W{i}"], dtype=float), np.asarray(params[f"b{i}"], dtype=float))
            for i in range(1, count + 1)]


def from_layers(layers) -> dict:
    """``[(W, b), ...]`` -> ``{"W1": .., "b1": .., ...}``; also turns gradients into dicts."""
    params = {}
    for i, (W, b) in enumerate(layers, start=1):
        params[f"W{i}"], params[f"b{i}"] = W, b
    return params
