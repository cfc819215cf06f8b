"""Seeded generators of small 2-D and 1-D datasets.

Classification generators return ``(X, y)`` with float32 ``X`` of shape (n, 2) and int64
labels; the same seed gives the same data.
"""

from __future__ import annotations

import numpy as np


def _check_n(n: int) -> None:
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n must be an integer of at least 2, got {n!r}")


def _finish(X, y, rng):
    order = rng.permutation(len(y))
    return X[order].astype(np.float32), y[order].astype(np.int64)


def blobs(n: int = 200, centers=((-2.0, -2.0), (2.0, 2.0)), std: float = 1.0, seed: int = 0):
    """Gaussian blobs, one class per centre (the Playground's 'gauss')."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    centers = np.asarray(centers, dtype=float)
    y = np.arange(n) % len(centers)
    X = centers[y] + rng.normal(scale=std, size=(n, 2))
    return _finish(X, y, rng)


def xor(n: int = 200, noise: float = 0.0, seed: int = 0):
    """Points in [-1, 1]^2 labelled 1 where x1 and x2 have different signs."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = (X[:, 0] * X[:, 1] < 0).astype(int)
    X = X + rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, rng)


def circles(n: int = 200, noise: float = 0.05, factor: float = 0.5, seed: int = 0):
    """An inner disc (class 1) inside an outer ring (class 0)."""
    _check_n(n)
    if not 0 < factor < 1:
        raise ValueError(f"factor must be between 0 and 1, got {factor}")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.where(y == 1, factor, 1.0)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    X = X + rng.normal(scale=noise, size=X.shape)
    return _finish(X, y, rng)


def spiral(n: int = 200, noise: float = 0.1, turns: float = 1.5, seed: int = 0):
    """Two interleaved spirals, one per class."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.sqrt(rng.uniform(0, 1, n)) * turns * 2 * np.pi
    sign = np.where(y == 1, 1.0, -1.0)
    X = np.c_[sign * t * np.cos(t), sign * t * np.sin(t)] / (turns * 2 * np.pi)
    X = X + rng.normal(scale=noise, size=X.shape) / 4
    return _finish(X, y, rng)


def noisy_sine(n: int = 1000, frequency: float = 0.02, noise: float = 0.1, seed: int = 0):
    """A sine series ``sin(frequency * t) + noise`` for t = 0..n-1; returns ``(t, values)``."""
    _check_n(n)
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float32)
    values = np.sin(frequency * t) + rng.normal(scale=noise, size=n)
    return t, values.astype(np.float32)
