"""Lab 07's answers: scaling, the regression network, a constant baseline, residuals,
undoing target scaling."""

from __future__ import annotations

import numpy as np

LEARNING_RATE = 1e-3


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


scale_features = standardize


def build_model(n_features: int):
    """Dense 64 ReLU -> Dense 64 ReLU -> Dense 1 linear; Adam(1e-3), MSE loss, MAE metric."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(64, activation="relu"),
        keras.layers.Dense(1, activation="linear"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE), loss="mse",
                  metrics=["mae"])
    return model


def residuals(y_true, y_pred) -> np.ndarray:
    """actual - predicted, flattened to shape (n,) (``model.predict`` gives (n, 1))."""
    return np.asarray(y_true, dtype=float).reshape(-1) - np.asarray(y_pred, dtype=float).reshape(-1)


def unscale(y_scaled, mean: float, std: float) -> np.ndarray:
    """Undo ``(y - mean) / std``: back to the target's own units, shape (n,)."""
    return np.asarray(y_scaled, dtype=float).reshape(-1) * std + mean


def baseline_mae(y_train, y_eval, statistic: str = "median") -> float:
    """MAE on ``y_eval`` of always predicting one number: the median (or mean) of ``y_train``."""
    y_train = np.asarray(y_train, dtype=float).reshape(-1)
    y_eval = np.asarray(y_eval, dtype=float).reshape(-1)
    if statistic == "median":
        guess = np.median(y_train)
    elif statistic == "mean":
        guess = y_train.mean()
    else:
        raise ValueError(f'statistic must be "median" or "mean", not {statistic!r}')
    return float(np.abs(y_eval - guess).mean())
