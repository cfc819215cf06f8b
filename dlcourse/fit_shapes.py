"""Hand-made learning curves with the textbook shapes of an underfit, an overfit and a good fit.

Histories are dicts of per-epoch lists, like ``keras.callbacks.History.history`` of a model
compiled with ``metrics=[keras.metrics.SparseCategoricalCrossentropy(name="ce"), ...]``:
``ce``/``val_ce`` are the cross-entropy alone, ``loss``/``val_loss`` add a regulariser's
penalty (none unless ``penalty`` is given).
"""

from __future__ import annotations

import numpy as np

DIAGNOSES = ("underfit", "overfit", "good fit")


def synthetic_history(kind: str, epochs: int = 30, noise: float = 0.0, seed: int = 0,
                      start: float = 2.3, penalty: float = 0.0) -> dict:
    """A history ``{"loss", "ce", "val_loss", "val_ce"}`` whose cross-entropy curves are
    shaped like ``kind`` (one of :data:`DIAGNOSES`).

    ``noise`` is a relative jitter (0.02 = about 2 %) applied to every value; the shapes stay
    recognisable with noise up to about 0.02. ``penalty`` is added to ``loss`` and
    ``val_loss`` only, as Keras adds an L2 penalty to the loss but not to a metric.
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
    train, val = train * jitter[0], val * jitter[1]
    return {"loss": [float(v + penalty) for v in train], "ce": [float(v) for v in train],
            "val_loss": [float(v + penalty) for v in val], "val_ce": [float(v) for v in val]}
