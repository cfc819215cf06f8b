"""Activation functions and their derivatives, in NumPy.

Every ``<name>_prime`` is the derivative with respect to the pre-activation ``z``, taken
element-wise. The functions never overflow: ``sigmoid(1000)`` is 1 without a warning.
"""

from __future__ import annotations

import numpy as np


def _f(z) -> np.ndarray:
    return np.asarray(z, dtype=float)


def linear(z) -> np.ndarray:
    """The identity: what a layer computes with no activation."""
    return _f(z).copy()


def linear_prime(z) -> np.ndarray:
    return np.ones_like(_f(z))


def sigmoid(z) -> np.ndarray:
    """The logistic function 1 / (1 + exp(-z)), in (0, 1); sigmoid(10) = 0.9999546."""
    return 0.5 * (1.0 + np.tanh(0.5 * _f(z)))  # the same function, without exp overflow


def sigmoid_prime(z) -> np.ndarray:
    """sigmoid(z) * (1 - sigmoid(z)); its largest value is 0.25, at z = 0."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z) -> np.ndarray:
    """The hyperbolic tangent, in (-1, 1); tanh(1) = 0.761594, and tanh(z) = 2*sigmoid(2z) - 1."""
    return np.tanh(_f(z))


def tanh_prime(z) -> np.ndarray:
    """1 - tanh(z)^2; its largest value is 1, at z = 0."""
    return 1.0 - np.tanh(_f(z)) ** 2


def relu(z) -> np.ndarray:
    """max(0, z)."""
    return np.maximum(_f(z), 0.0)


def relu_prime(z) -> np.ndarray:
    """1 for z > 0, else 0 (the value at exactly 0 is taken as 0, as TensorFlow does)."""
    return (_f(z) > 0).astype(float)


def leaky_relu(z, alpha: float = 0.01) -> np.ndarray:
    """z for z > 0, alpha * z otherwise: negative inputs keep a small slope."""
    z = _f(z)
    return np.where(z > 0, z, alpha * z)


def leaky_relu_prime(z, alpha: float = 0.01) -> np.ndarray:
    return np.where(_f(z) > 0, 1.0, alpha)


def elu(z, alpha: float = 1.0) -> np.ndarray:
    """z for z > 0, alpha * (exp(z) - 1) otherwise: smooth, and tends to -alpha."""
    z = _f(z)
    return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0.0)))


def elu_prime(z, alpha: float = 1.0) -> np.ndarray:
    z = _f(z)
    return np.where(z > 0, 1.0, alpha * np.exp(np.minimum(z, 0.0)))


def softmax(z, axis: int = -1) -> np.ndarray:
    """exp(z) normalised along ``axis``: positive outputs that sum to 1."""
    z = _f(z)
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def softmax_jacobian(z) -> np.ndarray:
    """The derivative of softmax for one vector z of length k: the (k, k) matrix
    d s_i / d z_j = s_i * (delta_ij - s_j). Softmax mixes its inputs, so it has no
    element-wise derivative."""
    s = softmax(np.asarray(z, dtype=float).reshape(-1))
    return np.diag(s) - np.outer(s, s)


ACTIVATIONS = {
    "linear": (linear, linear_prime),
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "leaky_relu": (leaky_relu, leaky_relu_prime),
    "elu": (elu, elu_prime),
}
"""The element-wise activations by name: ``name -> (function, derivative)``."""


def get(name: str):
    """``(function, derivative)`` of an element-wise activation, by name."""
    try:
        return ACTIVATIONS[name]
    except KeyError:
        raise ValueError(
            f"unknown activation {name!r}; choose one of {', '.join(ACTIVATIONS)}"
        ) from None
