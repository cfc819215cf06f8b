"""Checks for lab 16 (RNNs for time series): windows over a series, the last-value
baseline, one SimpleRNN cell in NumPy, recursive forecasting and min-max scaling.

Every expected value below is a stored number, computed once with the course's answer key
(windows of small series, a SimpleRNN with fixed weights, a recursive forecast by a fixed
linear stand-in for a model, min-max scaling of a few prices at three output ranges).
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import as_array, call, close, expect_close, fail, passed, strict_numpy

# --- make_windows ---------------------------------------------------------------------------

# (series, window, horizon, stride) -> windows X[:, :, 0] and targets y
WINDOW_CASES = [
    dict(series=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], window=3, horizon=None, stride=None,
         X=[[1, 2, 3], [2, 3, 4], [3, 4, 5], [4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]],
         y=[4, 5, 6, 7, 8, 9, 10]),
    dict(series=[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], window=4, horizon=3, stride=2,
         X=[[1, 2, 3, 4], [3, 4, 5, 6], [5, 6, 7, 8]], y=[7, 9, 11],
         y_horizon_1=[5, 7, 9]),
    dict(series=[0.5, -1.0, 2.0, 3.5, -2.0, 0.0, 1.5, 4.0, -0.5], window=2, horizon=2, stride=3,
         X=[[0.5, -1.0], [3.5, -2.0]], y=[3.5, 1.5], y_horizon_1=[2.0, 0.0]),
]


def _describe(case) -> str:
    args = [f"window={case['window']}"]
    if case["horizon"] is not None:
        args.append(f"horizon={case['horizon']}")
    if case["stride"] is not None:
        args.append(f"stride={case['stride']}")
    return f"make_windows({case['series']}, {', '.join(args)})"


def check_make_windows(make_windows) -> None:
    __tracebackhide__ = True
    task = "make_windows"
    for case in WINDOW_CASES:
        series = np.array(case["series"], dtype=float)
        given = series.copy()
        kwargs = {k: case[k] for k in ("horizon", "stride") if case[k] is not None}
        what = _describe(case)
        got = call(make_windows, given, case["window"], task=task, name="make_windows",
                   **kwargs)
        if not isinstance(got, tuple | list) or len(got) != 2:
            fail(task, f"{what} should return the pair (X, y)", "a tuple of 2 arrays", got)
        X = as_array(got[0], task, "X")
        y = as_array(got[1], task, "y")
        X_exp = np.array(case["X"], dtype=float)[:, :, None]
        n, window = X_exp.shape[:2]
        if X.shape == (n, 1, window) and window != 1:
            fail(task, f"X of {what} has timesteps and features swapped",
                 f"shape {X_exp.shape} = (windows, timesteps, features)", f"shape {X.shape}",
                 "an RNN reads (timesteps, features): each window is `window` timesteps of "
                 "1 feature, X.reshape(n, window, 1), not (n, 1, window)")
        if X.shape == (n, window):
            fail(task, f"X of {what} has no features axis", f"shape {X_exp.shape}",
                 f"shape {X.shape}", "add the features axis: X.reshape(n, window, 1) "
                 "(or X[..., np.newaxis])")
        if X.ndim == 3 and X.shape[1:] == (window + 1, 1):
            fail(task, f"the windows of {what} hold window + 1 values",
                 f"shape {X_exp.shape}", f"shape {X.shape}",
                 "a window is series[s : s + window]; the slice's end is not included")
        if X.shape != X_exp.shape:
            fail(task, f"X of {what} has the wrong shape", f"shape {X_exp.shape}",
                 f"shape {X.shape}", "count the windows: a window starts every `stride` "
                 "steps from index 0, as long as its target is still inside the series")
        if not close(X, X_exp, atol=1e-12):
            fail(task, f"the windows X of {what} are wrong", X_exp[:, :, 0], X[:, :, 0],
                 "window i is series[s : s + window] with s = i * stride")
        if y.shape != (n,):
            fail(task, f"y of {what} has the wrong shape", f"shape {(n,)}", f"shape {y.shape}",
                 "one target per window, a 1-D array")
        if not close(y, case["y"], atol=1e-12):
            if close(y, X_exp[:, -1, 0], atol=1e-12):
                fail(task, f"the target of {what} is the last value inside the window",
                     case["y"], y, "the target must come after the window (no leakage): "
                     "series[s + window + horizon - 1]")
            if "y_horizon_1" in case and close(y, case["y_horizon_1"], atol=1e-12):
                fail(task, f"the targets of {what} ignore the horizon", case["y"], y,
                     "the target is `horizon` steps after the window's last value: "
                     "series[s + window + horizon - 1]")
            fail(task, f"the targets y of {what} are wrong", case["y"], y,
                 "the target of the window starting at s is series[s + window + horizon - 1]")
        if not np.array_equal(given, series):
            fail(task, "make_windows changed the series it was given",
                 hint="slice and copy; never write into `series`")
    passed(task, "windows of shape (N, window, 1) and their targets, at several window "
                 "lengths, horizons and strides")


# --- naive_forecast -------------------------------------------------------------------------

NAIVE_CASES = [
    dict(X=[[[1.0], [2.0], [3.0], [4.0]], [[0.5], [-1.0], [2.5], [-3.0]],
            [[7.0], [6.0], [6.5], [6.25]]], expected=[4.0, -3.0, 6.25]),
    dict(X=[[[0.2], [0.9]], [[-0.4], [1.1]]], expected=[0.9, 1.1]),
]


def check_naive_forecast(naive_forecast) -> None:
    __tracebackhide__ = True
    task = "naive_forecast"
    for case in NAIVE_CASES:
        X = np.array(case["X"], dtype=float)
        given = X.copy()
        got = as_array(call(naive_forecast, given, task=task, name="naive_forecast"), task,
                       "the forecast")
        expected = np.array(case["expected"])
        shape = f"X of shape {X.shape}"
        if got.shape == (len(X), 1) and close(got.reshape(-1), expected):
            fail(task, f"the forecast for {shape} is a column", f"shape {expected.shape}",
                 f"shape {got.shape}", "return one number per window, shape (N,): "
                 "X[:, -1, 0]")
        if got.shape != expected.shape:
            fail(task, f"the forecast for {shape} has the wrong shape",
                 f"shape {expected.shape}", f"shape {got.shape}",
                 "one number per window: X[:, -1, 0]")
        if close(got, X[:, 0, 0]):
            fail(task, f"the forecast for {shape} is the first value of each window",
                 expected, got, "the last value is X[:, -1, 0]")
        if close(got, X[:, :, 0].mean(axis=1)):
            fail(task, f"the forecast for {shape} is the mean of each window", expected, got,
                 "the last-value baseline repeats the most recent value: X[:, -1, 0]")
        expect_close(got, expected, task, f"the forecast for {shape}",
                     "the last value of each window: X[:, -1, 0]", atol=1e-12)
        if not np.array_equal(given, X):
            fail(task, "naive_forecast changed X", hint="read X; do not write into it")
    passed(task, "the last value of each window")


# --- rnn_step and simple_rnn_forward ------------------------------------------------------

STEP = dict(
    x_t=[[-0.59, 0.63, 1.04], [1.03, 1.82, -0.39]],
    h_prev=[[0.75, 0.71, -0.91, 0.6], [-0.63, 0.39, -0.69, 0.38]],
    W=[[-0.11, 0.67, 0.34, 0.34], [0.21, -0.11, -1.12, 0.59], [-0.9, 0.13, -0.07, 0.08]],
    U=[[0.15, -0.2, 0.54, -0.77], [0.48, -1.02, 0.71, -0.31], [0.22, 0.9, -1.3, -0.19],
       [0.34, 0.54, 0.81, 0.36]],
    b=[0.15, 0.03, 0.08, 0.02],
    h=[[-0.1309438053, -0.931366347, 0.9327446629, -0.1335965661],
       [0.6858090622, -0.2149925424, -0.4131469798, 0.9670662328]],
    # the same without tanh, and without the recurrent term h_prev U
    no_tanh=[[-0.1317, -1.6686, 1.6791, -0.1344], [0.84, -0.2184, -0.4394, 2.0449]],
    no_u=[[-0.529032006, -0.2907634344, -0.715810604, 0.2676214387],
          [0.6468712985, 0.4375527032, -0.9187423302, 0.8880872491]],
)
# two features and two units: W and U have the same shape, so swapping them runs
SQUARE = dict(
    x_t=[[0.99, 0.16], [0.67, 1.62], [1.17, -0.34]],
    h_prev=[[0.53, 0.61], [0.33, -0.3], [-0.36, 0.34]],
    W=[[-0.17, -0.29], [0.6, -0.84]], U=[[1.81, 0.02], [-0.26, 1.63]], b=[-0.33, -0.15],
    h=[[0.3785791086, 0.4081588172], [0.8346887398, -0.9751366983],
       [-0.9001292178, 0.330420307]],
    swapped=[[0.9349323408, -0.4895740833], [0.2216588485, 0.9902679501],
             [0.972762623, -0.6972866889]],
)
# simple_rnn_forward(X_SEQ, STEP's W, U, b, return_sequences=True); the last state is [:, -1]
X_SEQ = [[[-0.09, -0.96, -0.34], [0.58, 0.17, -0.05], [0.99, 1.89, 1.56], [-2.09, 1.37, 0.78]],
         [[0.41, -0.98, -0.45], [-0.21, -1.39, 1.23], [0.89, -0.01, -0.95], [1.35, 0.64, 1.06]]]
H_SEQ = [[[0.2583130501, 0.0310899771, 0.8172233388, -0.5400314501],
          [0.2134169037, 0.6374755959, -0.8477086005, -0.2399515461],
          [-0.7143831021, -0.7149415738, -0.3220088775, 0.8640813705],
          [-0.2559631366, -0.3545924992, -0.96363393, 0.867789517]],
         [[0.295060177, 0.3399181648, 0.8736987771, -0.4258366068],
          [-0.7491218854, 0.3388108584, 0.3792970601, -0.8906321784],
          [0.6266563879, 0.1669847224, -0.7250297587, 0.3093246763],
          [-0.6032780907, 0.2172354988, 0.884928398, 0.5758435794]]]


def _arrays(case, *names):
    return [np.array(case[name], dtype=float) for name in names]


def _step_ok(rnn_step) -> bool:
    try:
        x_t, h_prev, W, U, b = _arrays(STEP, "x_t", "h_prev", "W", "U", "b")
        with strict_numpy():
            return close(rnn_step(x_t, h_prev, W, U, b), STEP["h"], atol=1e-8)
    except Exception:
        return False


def check_simple_rnn(rnn_step, simple_rnn_forward) -> None:
    __tracebackhide__ = True
    task = "rnn_step"
    for case, what in ((STEP, "a batch of 2, 3 features, 4 units"),
                       (SQUARE, "a batch of 3, 2 features, 2 units")):
        x_t, h_prev, W, U, b = _arrays(case, "x_t", "h_prev", "W", "U", "b")
        with strict_numpy():
            got = call(rnn_step, x_t.copy(), h_prev.copy(), W.copy(), U.copy(), b.copy(),
                       task=task, name="rnn_step")
        got = as_array(got, task, "the new hidden state")
        expected = np.array(case["h"])
        if got.shape == expected.shape and not close(got, expected, atol=1e-8):
            for wrong, problem, hint in (
                    ("no_tanh", "has no tanh", "h_t = tanh(x_t W + h_prev U + b)"),
                    ("no_u", "ignores the previous hidden state",
                     "the recurrent term h_prev @ U carries the memory from step to step"),
                    ("swapped", "multiplies x_t by U and h_prev by W",
                     "W (features, units) weighs the input, U (units, units) the previous "
                     "state: x_t @ W + h_prev @ U")):
                if wrong in case and close(got, case[wrong], atol=1e-8):
                    fail(task, f"the step for {what} {problem}", expected, got, hint)
        expect_close(got, expected, task, f"the new hidden state for {what}",
                     "h_t = tanh(x_t @ W + h_prev @ U + b): x_t is (batch, features), "
                     "h_prev (batch, units)", atol=1e-8)

    task = "simple_rnn_forward"
    x = np.array(X_SEQ)
    W, U, b = _arrays(STEP, "W", "U", "b")
    expected = np.array(H_SEQ)
    for sequences in (False, True):
        kwargs = {"return_sequences": True} if sequences else {}
        with strict_numpy():
            got = call(simple_rnn_forward, x.copy(), W.copy(), U.copy(), b.copy(), task=task,
                       name="simple_rnn_forward", **kwargs)
        got = as_array(got, task, "the output")
        want = expected if sequences else expected[:, -1]
        what = ("every hidden state (return_sequences=True)" if sequences
                else "the last hidden state (return_sequences left at False)")
        if got.shape != want.shape:
            fail(task, f"{what} of a batch of 2 sequences, 4 steps, 3 features, 4 units has "
                       "the wrong shape", f"shape {want.shape}", f"shape {got.shape}",
                 "(batch, units) for the last state; (batch, timesteps, units) with "
                 "return_sequences=True (np.stack(states, axis=1))")
        if not close(got, want, atol=1e-7):
            earlier = getattr(simple_rnn_forward, "__globals__", {}).get("rnn_step", rnn_step)
            if not _step_ok(earlier):
                fail(task, "your rnn_step is not right yet, and simple_rnn_forward uses it",
                     hint="fix rnn_step first (see above), then run this cell again")
            if sequences and close(got[:, 0], want[:, 0], atol=1e-7):
                hint = ("the first step is right but the later ones are not: carry the hidden "
                        "state, h = rnn_step(x[:, t, :], h, W, U, b), starting from zeros")
            else:
                hint = ("start from h = zeros((batch, units)), then for t in "
                        "range(timesteps): h = rnn_step(x[:, t, :], h, W, U, b)")
            fail(task, f"{what} is wrong", want, got, hint)
    passed("rnn_step and simple_rnn_forward", "one step, and a whole sequence with and "
                                              "without return_sequences")


# --- recursive_forecast ---------------------------------------------------------------------

HISTORY = [0.2, -0.4, 1.0, 0.6, -0.3, 0.9]
# the stand-in model: 0.5 * (last value of the window) - 0.25 * (first value) + 0.1
RECURSIVE_RUNS = {(5, 3): [0.4, 0.375, 0.0625, 0.03125, 0.021875],
                  (4, 4): [0.3, 0.1, 0.225, -0.0125]}


def _stand_in(window, calls):
    def model_fn(x):
        if not isinstance(x, np.ndarray):
            x = np.asarray(x)
        if x.shape != (1, window, 1):
            raise ValueError(f"the model expects shape (1, {window}, 1): one window of "
                             f"{window} timesteps and 1 feature; it got {x.shape}")
        calls.append(np.array(x[0, :, 0], dtype=float))
        return np.array([[0.5 * float(x[0, -1, 0]) - 0.25 * float(x[0, 0, 0]) + 0.1]])
    return model_fn


def check_recursive_forecast(recursive_forecast) -> None:
    __tracebackhide__ = True
    task = "recursive_forecast"
    for (steps, window), expected in RECURSIVE_RUNS.items():
        history = np.array(HISTORY)
        calls = []
        what = f"recursive_forecast(model_fn, {HISTORY}, steps={steps}, window={window})"
        got = call(recursive_forecast, _stand_in(window, calls), history.copy(), steps,
                   window, task=task, name="recursive_forecast")
        got = as_array(got, task, "the forecast")
        expected = np.array(expected)
        if got.shape != expected.shape:
            fail(task, f"{what} has the wrong shape", f"shape {expected.shape}",
                 f"shape {got.shape}", "return a 1-D array of `steps` forecasts")
        if close(got, expected, atol=1e-9):
            continue
        if calls and close(calls[0], HISTORY[:window]):
            fail(task, f"{what} starts from the first values of the history",
                 np.array(HISTORY[-window:]), calls[0],
                 "the first window is the last `window` values: history[-window:]")
        if len(calls) > 1 and all(close(c, calls[0]) for c in calls):
            fail(task, f"{what} gives the model the same window every time", expected, got,
                 "after each forecast, drop the oldest value and append the forecast: the "
                 "model must see its own predictions")
        fail(task, f"{what} is wrong", expected, got,
             "window = last `window` values; repeat `steps` times: predict from "
             "window.reshape(1, window, 1), append the prediction, drop the oldest value")
    passed(task, "each forecast is fed back into the next window")


# --- scale_train_test -----------------------------------------------------------------------

SCALE_TRAIN, SCALE_TEST = [3.0, 7.0, 5.0, 11.0], [12.0, 2.0, 8.0]
SCALE_RUNS = {
    None: ([0.0, 0.5, 0.25, 1.0], [1.125, -0.125, 0.625]),
    (-1.0, 1.0): ([-1.0, 0.0, -0.5, 1.0], [1.25, -1.25, 0.25]),
    (0.2, 0.8): ([0.2, 0.5, 0.35, 0.8], [0.875, 0.125, 0.575]),
}
# wrong fits, default range: the test days scaled with their own min and max, and min and
# max taken over the training and test days together
SCALE_OWN_FIT = [1.0, 0.0, 0.6]
SCALE_ALL_DAYS = [0.1, 0.5, 0.3, 0.9]


def check_scale_train_test(scale_train_test) -> None:
    __tracebackhide__ = True
    task = "scale_train_test"
    for feature_range, (train_exp, test_exp) in SCALE_RUNS.items():
        train, test = np.array(SCALE_TRAIN), np.array(SCALE_TEST)
        kwargs = {} if feature_range is None else {"feature_range": feature_range}
        what = (f"scale_train_test({SCALE_TRAIN}, {SCALE_TEST}"
                + (f", feature_range={feature_range})" if feature_range else ")"))
        got = call(scale_train_test, train, test, task=task, name="scale_train_test",
                   **kwargs)
        if not isinstance(got, tuple | list) or len(got) != 4:
            fail(task, f"{what} should return (train_scaled, test_scaled, lo, hi)",
                 "a tuple of 4", got)
        train_got, test_got = as_array(got[0], task, "train_scaled"), as_array(got[1], task,
                                                                              "test_scaled")
        lohi = as_array([got[2], got[3]], task, "lo and hi")
        if feature_range is None and close(train_got, SCALE_ALL_DAYS):
            fail(task, f"{what}: min and max come from the training and test days together",
                 train_exp, train_got, "fit on the training days only: the test days are "
                 "the future, unknown when the model is trained")
        if not close(lohi, [3.0, 11.0]):
            fail(task, f"{what}: lo and hi are not the training minimum and maximum",
                 [3.0, 11.0], lohi, "lo = train.min(), hi = train.max()")
        expect_close(train_got, train_exp, task, f"train_scaled of {what}",
                     "a + (v - lo) / (hi - lo) * (b - a) for feature_range (a, b)")
        if feature_range is None and close(test_got, SCALE_OWN_FIT):
            fail(task, f"{what}: the test days are scaled with their own min and max",
                 test_exp, test_got, "scale the test days with the training lo and hi; "
                 "values outside [0, 1] are expected when prices leave the training range")
        expect_close(test_got, test_exp, task, f"test_scaled of {what}",
                     "the same formula with the training lo and hi; do not clip")
        if not (np.array_equal(train, SCALE_TRAIN) and np.array_equal(test, SCALE_TEST)):
            fail(task, "scale_train_test changed its inputs", hint="return new arrays")
    passed(task, "fitted on the training days, applied to both, at three output ranges")
