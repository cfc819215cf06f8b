"""Helpers for hidden tests: plain values, trusted comparisons, earlier answers substituted.

A hidden test never compares a student's raw return value: an ndarray subclass or an int
with a tricked ``__eq__`` would pass. It converts first (:func:`floats`, :func:`integer`,
:func:`number`) and compares with :func:`same`, which is plain Python arithmetic and so
unaffected by a patched NumPy comparison.
"""

from __future__ import annotations

import builtins
import contextlib
import importlib
import math
import numbers
import os
import sys
import types

import numpy as np

_BUILTINS = ("abs", "all", "any", "float", "int", "isinstance", "len", "max", "min", "range",
             "round", "sum", "type", "zip")
_NUMPY = ("array", "asarray")


def genuine() -> None:
    """Fail when an answer replaced a builtin or a NumPy constructor the hidden tests use,
    and reload the answer key's modules, undoing any patch of a reference function."""
    folder = os.path.dirname(os.path.abspath(__file__))
    for name, module in list(sys.modules.items()):
        if name.startswith("answer_key.") and name != __name__:
            assert isinstance(module, types.ModuleType) and os.path.dirname(
                os.path.abspath(getattr(module, "__file__", "") or "")) == folder, (
                f"{name} was replaced")
            importlib.reload(module)
    for name in _BUILTINS:
        value = getattr(builtins, name)
        assert getattr(value, "__module__", None) == "builtins", f"builtins.{name} was replaced"
    for name in _NUMPY:
        value = getattr(np, name)
        assert type(value) is type(len) and value.__module__ == "numpy", f"numpy.{name} replaced"
    for name in ("isnan", "isinf"):
        assert type(getattr(math, name)) is type(len), f"math.{name} was replaced"


def floats(value) -> np.ndarray:
    """``value`` as a new plain float ndarray (never a subclass)."""
    array = np.array(value, dtype=float, subok=False, copy=True)
    assert type(array) is np.ndarray, f"got a {type(value).__name__}, not an array of numbers"
    return array


def number(value) -> float:
    """A real number (Python or NumPy scalar, or a 0-d/1-element array) as a plain float."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    assert isinstance(value, numbers.Real) and not isinstance(value, bool), (
        f"expected a number, got {type(value).__name__}")
    return float(value)


def integer(value) -> int:
    """An integer (Python or NumPy, not bool, not a float) as a plain int."""
    assert isinstance(value, numbers.Integral) and not isinstance(value, bool), (
        f"expected an integer, got {type(value).__name__}")
    return int(value)


def same(got, expected, atol: float = 1e-6, rtol: float = 1e-6) -> bool:
    """Same shape and every element close (NaN equals NaN), in plain Python arithmetic."""
    got, expected = floats(got), floats(expected)
    if got.shape != expected.shape:
        return False
    for g, e in zip(got.ravel().tolist(), expected.ravel().tolist(), strict=True):
        if math.isnan(e) or math.isnan(g):
            if not (math.isnan(e) and math.isnan(g)):
                return False
        elif math.isinf(e) or math.isinf(g):
            if g != e:
                return False
        elif abs(g - e) > atol + rtol * abs(e):
            return False
    return True


@contextlib.contextmanager
def substituted(function, **names):
    """Call ``function`` with some of its global names bound to other objects, typically the
    answer key's versions of earlier tasks, so that one mistake costs one task."""
    namespace = function.__globals__
    missing = object()
    saved = {name: namespace.get(name, missing) for name in names}
    namespace.update(names)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is missing:
                namespace.pop(name, None)
            else:
                namespace[name] = value
