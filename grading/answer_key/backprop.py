"""Lab 05's tasks with the notebook's interface: a two-layer sigmoid network whose
parameters are a dict ``{"W1", "b1", "W2", "b2"}`` (``W1`` of shape (inputs, hidden)), and
the output delta of softmax with cross-entropy.

The general multilayer version is :mod:`answer_key.mlp`; these functions are what the
hidden tests compare the students' answers with.
"""

from __future__ import annotations

import numpy as np

from answer_key import activations, mlp

KEYS = ("W1", "b1", "W2", "b2")

sigmoid = activations.sigmoid
sigmoid_prime = activations.sigmoid_prime
numerical_gradient = mlp.numerical_gradient


def init_params(n_in, n_hidden, n_out, seed=0):
    """The notebook's given initialisation: standard-normal weights, zero biases."""
    rng = np.random.default_rng(seed)
    return {"W1": rng.normal(size=(n_in, n_hidden)), "b1": np.zeros(n_hidden),
            "W2": rng.normal(size=(n_hidden, n_out)), "b2": np.zeros(n_out)}


def forward(X, params):
    """``(z1, a1, z2, a2)`` of the two-layer sigmoid network."""
    _, cache = mlp.forward(mlp.to_layers(params), X)
    return cache["z"][0], cache["a"][1], cache["z"][1], cache["a"][2]


def backward(X, y, params, cache):
    """The gradients of the mean half squared error, a dict with the keys of ``params``."""
    layers = mlp.to_layers(params)
    z1, a1, z2, a2 = cache
    full = {"z": [z1, z2], "a": [np.asarray(X, dtype=float), a1, a2]}
    return mlp.from_layers(mlp.backward(layers, full, np.asarray(y, dtype=float)))


def update(params, grads, lr):
    """A new dict: every parameter moved by ``-lr * grad``."""
    return {key: params[key] - lr * grads[key] for key in params}


def cost(a2, y) -> float:
    return float(0.5 * np.sum((np.asarray(a2) - np.asarray(y)) ** 2) / len(a2))


def train_xor(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
    """Full-batch gradient descent from ``init_params``; the cost is recorded before each
    step. Returns ``(params, losses)``."""
    params = init_params(X.shape[1], hidden, 1, seed)
    losses = []
    for _ in range(epochs):
        cache = forward(X, params)
        losses.append(cost(cache[3], y))
        params = update(params, backward(X, y, params, cache), lr)
    return params, losses


def softmax(z):
    """Row-wise softmax of logits of shape (n, K), stable at any logit."""
    return activations.softmax(z, axis=-1)


def crossentropy_cost(z, y_onehot) -> float:
    """The mean over the batch of -sum_k y_k log softmax(z)_k, by log-sum-exp."""
    z = np.asarray(z, dtype=float)
    m = z.max(axis=-1, keepdims=True)
    log_p = z - m - np.log(np.exp(z - m).sum(axis=-1, keepdims=True))
    return float(-np.sum(np.asarray(y_onehot, dtype=float) * log_p) / len(z))


def softmax_crossentropy_delta(z, y_onehot):
    """dC/dz of :func:`crossentropy_cost`: (softmax(z) - y) / n, shape (n, K)."""
    z = np.asarray(z, dtype=float)
    return (softmax(z) - np.asarray(y_onehot, dtype=float)) / len(z)


def random_problem(rng, n=None, inputs=None, hidden=None, outputs=None):
    """``(X, y, params)`` of random sizes (or the sizes given), with non-zero biases."""
    n = n or int(rng.integers(2, 9))
    inputs, hidden = inputs or int(rng.integers(1, 5)), hidden or int(rng.integers(1, 6))
    outputs = outputs or int(rng.integers(1, 3))
    params = {"W1": rng.normal(size=(inputs, hidden)), "b1": rng.normal(size=hidden),
              "W2": rng.normal(size=(hidden, outputs)), "b2": rng.normal(size=outputs)}
    X = rng.normal(size=(n, inputs))
    y = rng.integers(0, 2, size=(n, outputs)).astype(float)
    return X, y, params
