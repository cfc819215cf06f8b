"""Deterministic subsets for the smoke profile."""

from __future__ import annotations

import numpy as np


def balanced_subset(x, y, per_class: int | None, seed: int = 0):
    """Take ``per_class`` examples of every class, the same ones on every run.

    ``per_class=None`` returns the data unchanged (the full profile). Labels may be (N,) or
    (N, 1). Order is shuffled deterministically so batches mix classes.
    """
    if per_class is None:
        return x, y
    labels = np.asarray(y).reshape(-1)
    if len(labels) != len(x):
        raise ValueError(f"x has {len(x)} rows but y has {len(labels)}")
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1, got {per_class}")
    rng = np.random.default_rng(seed)
    chosen = []
    for cls in np.unique(labels):
        idx = np.flatnonzero(labels == cls)
        if len(idx) < per_class:
            raise ValueError(f"class {cls!r} has {len(idx)} examples, fewer than {per_class}")
        chosen.append(rng.permutation(idx)[:per_class])
    order = rng.permutation(np.concatenate(chosen))
    return x[order], y[order]


def sample_rows(frame, n: int | None, seed: int = 0):
    """A reproducible random sample of ``n`` rows of a DataFrame (all rows when None)."""
    if n is None or n >= len(frame):
        return frame
    return frame.sample(n=n, random_state=seed).sort_index()
