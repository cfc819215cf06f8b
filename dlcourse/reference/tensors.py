"""Reference pieces for lab 01 (TensorFlow basics), in plain NumPy.

The small computation graph x = a*a*b + b + 2 and its derivatives, a broadcast table and a
finite-difference gradient. The line data, the MSE and the gradient-descent step live in
``dlcourse.datasets.toy``, ``reference.losses`` and ``reference.descent``.
"""

from __future__ import annotations

import numpy as np

from dlcourse.reference import mlp


def graph_x(a, b):
    """The worked example x = a*a*b + b + 2, element-wise (a=10, b=5 gives 507)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a * a * b + b + 2.0


def graph_x_gradients(a, b):
    """Hand derivatives of :func:`graph_x`: ``(dx/da, dx/db) = (2ab, a^2 + 1)``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return 2.0 * a * b, a * a + 1.0


def difference_table(a, b) -> np.ndarray:
    """``table[i, j] = a[i] - b[j]`` for 1-D ``a`` (n,) and ``b`` (m,): shape (n, m)."""
    a = np.asarray(a, dtype=float).reshape(-1)
    b = np.asarray(b, dtype=float).reshape(-1)
    return a[:, np.newaxis] - b[np.newaxis, :]


def numeric_gradient(f, a: float, b: float, eps: float = 1e-6):
    """Central differences ``(df/da, df/db)`` of a scalar function ``f(a, b)``."""
    point = np.array([a, b], dtype=float)
    grad = mlp.numerical_gradient(lambda v: float(f(v[0], v[1])), point, eps)
    return float(grad[0]), float(grad[1])
