"""Reference logic of the training callbacks in lab 10, in plain Python and NumPy.

Each function replays a sequence of per-epoch values (what ``logs`` would hold at the end of
every epoch) and says what the callback would do; ``tests/test_callbacks.py`` checks them
against Keras 3's own callbacks.
"""

from __future__ import annotations

import numpy as np


def threshold_stop_epoch(values, threshold: float) -> int | None:
    """0-based epoch after which a stop-at-threshold callback ends training (None: never).

    Training stops at the end of the first epoch whose value is ``>= threshold``.
    """
    for epoch, value in enumerate(values):
        if float(value) >= threshold:
            return epoch
    return None


def early_stopping(val_losses, patience: int, min_delta: float = 0.0) -> tuple[int, int | None]:
    """Replay ``EarlyStopping(monitor="val_loss")``: return ``(best_epoch, stopped_epoch)``.

    An epoch improves when its loss is below the best so far by more than ``min_delta``.
    Training stops at the end of the epoch where ``patience`` epochs have passed without an
    improvement (never at epoch 0); ``stopped_epoch`` is None when the values run out first.
    """
    delta = abs(min_delta)
    best, best_epoch, wait = None, 0, 0
    for epoch, value in enumerate(val_losses):
        value = float(value)
        wait += 1
        if best is None or value + delta < best:
            best, best_epoch, wait = value, epoch, 0
            continue
        if wait >= patience and epoch > 0:
            return best_epoch, epoch
    return best_epoch, None


def reduce_lr_on_plateau(val_losses, learning_rate: float, factor: float = 0.1,
                         patience: int = 10, min_delta: float = 1e-4,
                         min_lr: float = 0.0) -> np.ndarray:
    """Replay ``ReduceLROnPlateau(monitor="val_loss")`` (no cooldown).

    Returns the learning rate in effect *during* each epoch: the rate of epoch ``e + 1`` is
    the rate of epoch ``e``, multiplied by ``factor`` (not below ``min_lr``) when ``patience``
    epochs in a row have not improved the best loss by more than ``min_delta``. Rates are
    float32, like the optimizer's variable.
    """
    delta = abs(min_delta)
    lr = np.float32(learning_rate)
    rates = []
    best, wait = None, 0
    for value in val_losses:
        rates.append(float(lr))
        value = float(value)
        if best is None or value + delta < best:
            best, wait = value, 0
            continue
        wait += 1
        if wait >= patience:
            if float(lr) > np.float32(min_lr):
                lr = np.float32(max(float(lr) * factor, min_lr))
            wait = 0
    return np.array(rates)
