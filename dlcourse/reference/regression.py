"""Reference pieces of a regression workflow: scaling, residuals, undoing target scaling."""

from __future__ import annotations

import numpy as np

from dlcourse.reference import losses


def standardize(X_train, X_test):
    """Scale both sets with the training set's mean and population std (like StandardScaler).

    A column that is constant in the training set is left centred but not divided.
    """
    X_train = np.asarray(X_train, dtype=float)
    X_test = np.asarray(X_test, dtype=float)
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_test - mean) / std


def residuals(y_true, y_pred) -> np.ndarray:
    """actual - predicted, flattened to shape (n,) (``model.predict`` gives (n, 1))."""
    return losses.residuals(np.ravel(y_true), np.ravel(y_pred))


def unscale(y_scaled, mean: float, std: float) -> np.ndarray:
    """Undo ``(y - mean) / std``: back to the target's own units."""
    return np.asarray(y_scaled, dtype=float).reshape(-1) * std + mean
