"""Reference pieces of lab 09 (overfitting): regularisers in NumPy and reading learning curves.

Histories are dicts of per-epoch lists, like ``keras.callbacks.History.history``; epochs are
counted from 1, as Keras prints them.
"""

from __future__ import annotations

import numpy as np

from dlcourse.reference import callbacks

DIAGNOSES = ("underfit", "overfit", "good fit")


def l2_penalty(kernels, l2: float) -> float:
    """What ``keras.regularizers.L2(l2)`` adds to the loss: ``l2 * sum(w**2)`` (no 1/2)."""
    return float(l2 * sum(np.sum(np.square(np.asarray(k, dtype=float))) for k in kernels))


def dropout(x, rate: float, rng=None) -> np.ndarray:
    """Inverted dropout in training: zero a fraction ``rate`` of the units, scale the rest.

    Kept values are divided by ``1 - rate`` so the expected activation is unchanged; at
    inference dropout does nothing, which is why Keras needs no rescaling there.
    """
    if not 0 <= rate < 1:
        raise ValueError(f"rate is the fraction of units dropped, in [0, 1); got {rate}")
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(rng)
    keep = rng.random(x.shape) >= rate
    return np.where(keep, x / (1.0 - rate), 0.0)


def batch_norm(x, gamma=1.0, beta=0.0, eps: float = 1e-3) -> np.ndarray:
    """Batch normalisation in training: standardise each feature over the batch, then
    scale by ``gamma`` and shift by ``beta`` (population variance, Keras' default eps)."""
    x = np.asarray(x, dtype=float)
    mean = x.mean(axis=0)
    var = x.var(axis=0)
    return gamma * (x - mean) / np.sqrt(var + eps) + beta


def _curve(history, key: str) -> np.ndarray:
    if hasattr(history, "history"):
        history = history.history
    if key not in history:
        raise KeyError(f"the history has no {key!r}; it has {sorted(history)}")
    values = np.asarray(history[key], dtype=float).reshape(-1)
    if values.size == 0:
        raise ValueError(f"history[{key!r}] is empty")
    return values


def best_epoch(history) -> int:
    """The epoch (counted from 1) with the lowest validation loss; the first one on a tie."""
    return int(np.argmin(_curve(history, "val_loss"))) + 1


def diagnose(history, rise: float = 0.10, halved: float = 0.5, window: int = 3) -> str:
    """Read train and validation loss curves: ``"overfit"``, ``"underfit"`` or ``"good fit"``.

    The end of a curve is the mean of its last ``window`` epochs (it smooths the noise).

    1. overfit: the validation loss has turned up - its end is more than ``rise`` (10 %)
       above its minimum;
    2. otherwise underfit: the training loss has not even halved - its end is above
       ``halved`` times its first-epoch value;
    3. otherwise a good fit.
    """
    train, val = _curve(history, "loss"), _curve(history, "val_loss")
    if val[-window:].mean() > (1 + rise) * val.min():
        return "overfit"
    if train[-window:].mean() > halved * train[0]:
        return "underfit"
    return "good fit"


def early_stopping(val_losses, patience: int, min_delta: float = 0.0):
    """Simulate ``EarlyStopping(monitor="val_loss", restore_best_weights=True)``.

    Returns ``(epochs_run, best)`` counted from 1: training stops after ``patience`` epochs
    without an improvement of more than ``min_delta``, and the weights of epoch ``best`` are
    restored. (:func:`dlcourse.reference.callbacks.early_stopping` counts from 0.)
    """
    values = np.asarray(val_losses, dtype=float).reshape(-1)
    best, stopped = callbacks.early_stopping(values, patience, min_delta)
    return (len(values) if stopped is None else stopped + 1), best + 1


def synthetic_history(kind: str, epochs: int = 30, noise: float = 0.0, seed: int = 0,
                      start: float = 2.3) -> dict:
    """A hand-made history with the textbook shape of ``kind`` (one of :data:`DIAGNOSES`).

    ``noise`` is a relative jitter (0.02 = about 2 %) applied to every value; the shapes are
    clear enough that :func:`diagnose` reads them correctly with noise up to about 0.02.
    """
    if kind not in DIAGNOSES:
        raise ValueError(f"kind must be one of {DIAGNOSES}, got {kind!r}")
    if epochs < 6:
        raise ValueError(f"need at least 6 epochs to show a shape, got {epochs}")
    rng = np.random.default_rng(seed)
    t = np.arange(epochs, dtype=float)
    if kind == "underfit":      # both high, close together, barely moving
        train = start * (0.75 + 0.25 * np.exp(-t / (epochs / 3)))
        val = train * 1.02
    elif kind == "good fit":    # both fall and flatten together, a small gap
        floor = 0.3 * start
        train = floor + (start - floor) * np.exp(-t / (epochs / 6))
        val = 1.08 * floor + (start - 1.08 * floor) * np.exp(-t / (epochs / 6))
    else:                       # training keeps falling, validation turns up after a third
        turn = epochs / 3
        train = start * (0.05 + 0.95 * np.exp(-t / (epochs / 8)))
        slope = 0.6 * start / (epochs - turn)
        val = start * (0.3 + 0.7 * np.exp(-t / (epochs / 8))) + slope * np.maximum(t - turn, 0)
    jitter = 1 + noise * rng.uniform(-1, 1, size=(2, epochs))
    return {"loss": list(train * jitter[0]), "val_loss": list(val * jitter[1])}
