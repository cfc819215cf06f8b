"""Lab 06's tasks: activation derivatives, the Playground's features, divergence; and
:func:`library_disabled`, which hidden tests use to show an answer works on its own."""

from __future__ import annotations

import contextlib
import importlib
import types

import numpy as np

from answer_key import activations

FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")

tanh_prime = activations.tanh_prime
relu_prime = activations.relu_prime
leaky_relu_prime = activations.leaky_relu_prime
elu_prime = activations.elu_prime


def feature_map(X) -> np.ndarray:
    """The seven features of each point, as columns in the order of ``FEATURES``."""
    X = np.asarray(X, dtype=float)
    x1, x2 = X[:, 0], X[:, 1]
    return np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])


def diverged(losses) -> bool:
    return bool(not np.all(np.isfinite(np.asarray(losses, dtype=float))))


def feature_choice(value) -> tuple:
    """A student's feature selection as a tuple of plain strings (one name is accepted)."""
    items = [value] if type(value) is str else list(value)
    assert all(type(item) is str for item in items), "feature names must be strings"
    assert items and all(item in FEATURES for item in items), f"unknown features {items}"
    return tuple(str(item) for item in items)


def layer_sizes(value) -> tuple:
    """A student's hidden layers as a tuple of plain ints (one number is accepted)."""
    items = [value] if isinstance(value, int | np.integer) else list(value)
    assert all(isinstance(h, int | np.integer) and not isinstance(h, bool) for h in items)
    return tuple(int(h) for h in items)


class _Disabled:
    """Stands in for a library object: using it in any way raises."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _fail(self, *args, **kwargs):
        raise RuntimeError(f"{self._name} is not available to this answer")

    __call__ = __getitem__ = __iter__ = __len__ = __contains__ = _fail

    def __getattr__(self, attribute):
        self._fail()


@contextlib.contextmanager
def library_disabled(*modules: str):
    """Replace the functions, classes, modules and private names of the course's library
    modules (default: the Playground) with objects that raise when used, so an answer that
    calls the library's code instead of computing its result fails. Constants stay."""
    saved = []
    for name in modules or ("dlcourse.playground",):
        module = importlib.import_module(name)
        namespace = vars(module)
        for key, value in list(namespace.items()):
            if key.startswith("__"):
                continue
            if (key.startswith("_") or callable(value) or isinstance(value, types.ModuleType)):
                saved.append((namespace, key, value))
                namespace[key] = _Disabled(f"{name}.{key}")
    try:
        yield
    finally:
        for namespace, key, value in saved:
            namespace[key] = value
