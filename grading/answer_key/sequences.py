"""Lab 16's tasks (RNNs for time series) with the notebook's interface: windows over a
series, the last-value baseline, one SimpleRNN cell in NumPy, recursive forecasting and
min-max scaling fitted on the training days."""

from __future__ import annotations

import numpy as np


def make_windows(series, window, horizon=1, stride=1):
    """Windows of ``window`` consecutive values, shape (N, window, 1), and the value
    ``horizon`` steps after each window's last one, shape (N,); a window starts every
    ``stride`` steps from index 0."""
    series = np.asarray(series, dtype=float).reshape(-1)
    last_start = len(series) - window - horizon
    starts = np.arange(0, last_start + 1, stride) if last_start >= 0 else np.arange(0)
    X = np.array([series[s:s + window] for s in starts]).reshape(len(starts), window, 1)
    y = np.array([series[s + window + horizon - 1] for s in starts], dtype=float)
    return X, y


def naive_forecast(X):
    """The last value of each window, shape (N,)."""
    return np.asarray(X, dtype=float)[:, -1, 0].copy()


def rnn_step(x_t, h_prev, W, U, b):
    """One SimpleRNN step: tanh(x_t W + h_prev U + b), shape (batch, units)."""
    return np.tanh(np.asarray(x_t, dtype=float) @ W + np.asarray(h_prev, dtype=float) @ U + b)


def simple_rnn_forward(x, W, U, b, return_sequences=False):
    """A SimpleRNN over x of shape (batch, timesteps, features), from a zero state: the last
    hidden state (batch, units), or every one (batch, timesteps, units)."""
    x = np.asarray(x, dtype=float)
    h = np.zeros((x.shape[0], np.asarray(U).shape[0]))
    states = []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t, :], h, W, U, b)
        states.append(h)
    return np.stack(states, axis=1) if return_sequences else h


def recursive_forecast(model_fn, history, steps, window):
    """``steps`` forecasts, each from the last ``window`` values known or predicted so far:
    the model sees shape (1, window, 1) and its one output is fed back in."""
    buffer = list(np.asarray(history, dtype=float).reshape(-1)[-window:])
    out = []
    for _ in range(steps):
        x = np.array(buffer[-window:], dtype=float).reshape(1, window, 1)
        value = float(np.asarray(model_fn(x), dtype=float).reshape(-1)[0])
        out.append(value)
        buffer.append(value)
    return np.array(out)


def scale_train_test(train, test, feature_range=(0.0, 1.0)):
    """Min-max scaling fitted on ``train`` alone, applied to both: returns
    ``(train_scaled, test_scaled, lo, hi)`` with lo, hi the training minimum and maximum."""
    train = np.asarray(train, dtype=float)
    test = np.asarray(test, dtype=float)
    lo, hi = float(train.min()), float(train.max())
    a, b = feature_range

    def scale(values):
        return a + (values - lo) / (hi - lo) * (b - a)

    return scale(train), scale(test), lo, hi


# --- cases for the hidden tests -------------------------------------------------------------

def linear_model_fn(coefs, intercept, window):
    """A plain-Python stand-in for a trained model: one output from a (1, window, 1) input,
    which it insists on."""
    coefs = np.asarray(coefs, dtype=float)

    def model_fn(x):
        x = np.asarray(x, dtype=float)
        assert x.shape == (1, window, 1), f"model_fn got shape {x.shape}"
        return np.array([[float(x[0, :, 0] @ coefs) + intercept]])

    return model_fn


def nonlinear_model_fn(window, seed):
    """A stand-in whose output depends on every value of the window, non-linearly."""
    rng = np.random.default_rng(seed)
    w = rng.normal(size=window) / window
    c = float(rng.normal())

    def model_fn(x):
        x = np.asarray(x, dtype=float)
        assert x.shape == (1, window, 1), f"model_fn got shape {x.shape}"
        return np.array([[np.tanh(float(x[0, :, 0] @ w) + c) + 0.3 * x[0, -1, 0]]])

    return model_fn
