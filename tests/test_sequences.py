"""Lab 16: the answer key against Keras (timeseries_dataset_from_array, SimpleRNN) and
scikit-learn (MinMaxScaler), and the lab's student-facing checks."""

import numpy as np
import pytest
from answer_key import sequences as key

from dlcourse.checks import sequences as check

# --- the answer key against the libraries ---------------------------------------------------

@pytest.mark.parametrize(("length", "window", "horizon", "stride"),
                         [(10, 3, 1, 1), (37, 5, 3, 2), (50, 7, 4, 3), (12, 4, 2, 5), (9, 1, 1, 1)])
def test_windows_match_timeseries_dataset_from_array(length, window, horizon, stride):
    import keras

    series = np.random.default_rng(length).normal(size=length)
    X, y = key.make_windows(series, window, horizon, stride)
    dataset = keras.utils.timeseries_dataset_from_array(
        series.reshape(-1, 1), series[window + horizon - 1:], sequence_length=window,
        sequence_stride=stride, batch_size=1000)
    X_k, y_k = (part.numpy() for part in next(iter(dataset)))
    assert X.shape == X_k.shape == (len(y), window, 1)
    assert np.allclose(X, X_k) and np.allclose(y, y_k)


def test_the_seed_tables_for_steps_one_two_three():
    series = np.arange(1, 11)
    for window in (1, 2, 3):
        X, y = key.make_windows(series, window)
        assert X.shape == (10 - window, window, 1)
        assert np.array_equal(X[:5, 0, 0], np.arange(1, 6))
        assert np.array_equal(y[:5], np.arange(1, 6) + window)


@pytest.mark.parametrize("units", [1, 3, 6])
def test_numpy_rnn_matches_keras_simple_rnn(units):
    import keras

    x = np.random.default_rng(units).normal(size=(4, 7, 2)).astype("float32")
    for sequences in (False, True):
        layer = keras.layers.SimpleRNN(units, return_sequences=sequences)
        out = keras.ops.convert_to_numpy(layer(x))
        W, U, b = layer.get_weights()
        assert W.shape == (2, units) and U.shape == (units, units) and b.shape == (units,)
        assert np.allclose(key.simple_rnn_forward(x, W, U, b, sequences), out, atol=1e-5)


def test_scaling_matches_min_max_scaler_fitted_on_train():
    from sklearn.preprocessing import MinMaxScaler

    rng = np.random.default_rng(0)
    train, test = rng.normal(500, 100, size=60), rng.normal(700, 50, size=10)
    for feature_range in ((0.0, 1.0), (-1.0, 1.0), (0.1, 0.9)):
        scaler = MinMaxScaler(feature_range=feature_range).fit(train.reshape(-1, 1))
        tr, te, lo, hi = key.scale_train_test(train, test, feature_range)
        assert np.allclose(tr, scaler.transform(train.reshape(-1, 1)).ravel())
        assert np.allclose(te, scaler.transform(test.reshape(-1, 1)).ravel())
        assert (lo, hi) == (train.min(), train.max())


def test_recursive_forecast_feeds_its_predictions_back():
    model_fn = key.linear_model_fn([0.0, 0.0, 1.0], 1.0, 3)  # next = last + 1
    assert np.allclose(key.recursive_forecast(model_fn, [9, 9, 0, 1, 2], 4, 3), [3, 4, 5, 6])
    with pytest.raises(AssertionError, match="shape"):
        model_fn(np.zeros((3, 1)))


# --- the checks -------------------------------------------------------------------------------

def test_reference_answers_pass_every_check(capsys):
    check.check_make_windows(key.make_windows)
    check.check_naive_forecast(key.naive_forecast)
    check.check_simple_rnn(key.rnn_step, key.simple_rnn_forward)
    check.check_recursive_forecast(key.recursive_forecast)
    check.check_scale_train_test(key.scale_train_test)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


def test_stored_values_match_the_answer_key():
    for case in check.WINDOW_CASES:
        X, y = key.make_windows(case["series"], case["window"], case["horizon"] or 1,
                                case["stride"] or 1)
        assert np.array_equal(X[:, :, 0], case["X"]) and np.array_equal(y, case["y"])
        if "y_horizon_1" in case:
            _, y1 = key.make_windows(case["series"], case["window"], 1, case["stride"])
            assert np.array_equal(y1[:len(case["y"])], case["y_horizon_1"])
    for case in check.NAIVE_CASES:
        assert np.array_equal(key.naive_forecast(case["X"]), case["expected"])
    for case in (check.STEP, check.SQUARE):
        x_t, h, W, U, b = (np.array(case[k]) for k in ("x_t", "h_prev", "W", "U", "b"))
        assert np.allclose(key.rnn_step(x_t, h, W, U, b), case["h"], atol=1e-10)
    s = check.STEP
    x_t, h, W, U, b = (np.array(s[k]) for k in ("x_t", "h_prev", "W", "U", "b"))
    assert np.allclose(x_t @ W + h @ U + b, s["no_tanh"], atol=1e-10)
    assert np.allclose(np.tanh(x_t @ W + b), s["no_u"], atol=1e-10)
    q = check.SQUARE
    assert np.allclose(key.rnn_step(q["x_t"], q["h_prev"], q["U"], q["W"], q["b"]),
                       q["swapped"], atol=1e-10)
    assert np.allclose(key.simple_rnn_forward(check.X_SEQ, W, U, b, True), check.H_SEQ,
                       atol=1e-10)
    for (steps, window), expected in check.RECURSIVE_RUNS.items():
        got = key.recursive_forecast(check._stand_in(window, []), check.HISTORY, steps, window)
        assert np.allclose(got, expected, atol=1e-12)
    for feature_range, (train_exp, test_exp) in check.SCALE_RUNS.items():
        tr, te, lo, hi = key.scale_train_test(check.SCALE_TRAIN, check.SCALE_TEST,
                                              feature_range or (0.0, 1.0))
        assert np.allclose(tr, train_exp) and np.allclose(te, test_exp) and (lo, hi) == (3, 11)
    both = check.SCALE_TRAIN + check.SCALE_TEST
    assert np.allclose((np.array(check.SCALE_TRAIN) - min(both)) / (max(both) - min(both)),
                       check.SCALE_ALL_DAYS)
    test = np.array(check.SCALE_TEST)
    assert np.allclose((test - test.min()) / np.ptp(test), check.SCALE_OWN_FIT)


def test_the_checks_hold_no_answers():
    import inspect

    import dlcourse.checks.sequences as module

    imports = [line for line in inspect.getsource(module).splitlines()
               if line.startswith(("import ", "from "))]
    assert imports and not any("answer_key" in line for line in imports)
    tasks = {"make_windows", "naive_forecast", "rnn_step", "simple_rnn_forward",
             "recursive_forecast", "scale_train_test"}
    assert not tasks & set(vars(module))


def _windows(swap=False, leak=False, no_horizon=False, no_stride=False, flat=False):
    def make_windows(series, window, horizon=1, stride=1):
        series = np.asarray(series, dtype=float)
        h = 1 if no_horizon else horizon
        s = 1 if no_stride else stride
        starts = range(0, len(series) - window - h + 1, s)
        X = np.array([series[i:i + window] for i in starts])
        y = np.array([series[i + window + h - 1 - (1 if leak else 0)] for i in starts])
        if flat:
            return X, y
        return (X[:, None, :] if swap else X[:, :, None]), y
    return make_windows


@pytest.mark.parametrize(("mistake", "message"), [
    (dict(swap=True), "timesteps and features swapped"),
    (dict(flat=True), "no features axis"),
    (dict(leak=True), "last value inside the window"),
    (dict(no_horizon=True), "wrong shape|ignore the horizon"),
    (dict(no_stride=True), "wrong shape"),
])
def test_window_mistakes_get_specific_hints(mistake, message):
    check.check_make_windows(_windows())
    with pytest.raises(AssertionError, match=message):
        check.check_make_windows(_windows(**mistake))


@pytest.mark.parametrize(("naive", "message"), [
    (lambda X: np.asarray(X)[:, 0, 0], "first value"),
    (lambda X: np.asarray(X)[:, :, 0].mean(axis=1), "mean"),
    (lambda X: np.asarray(X)[:, -1], "column"),
    (lambda X: np.asarray(X)[:, -2, 0], "wrong values"),
])
def test_naive_mistakes(naive, message):
    with pytest.raises(AssertionError, match=message):
        check.check_naive_forecast(naive)


def _step(tanh=True, recurrent=True, swap=False):
    def rnn_step(x_t, h_prev, W, U, b):
        if swap:
            W, U = U, W
        z = x_t @ W + (h_prev @ U if recurrent else 0) + b
        return np.tanh(z) if tanh else z
    return rnn_step


@pytest.mark.parametrize(("mistake", "message"), [
    (dict(tanh=False), "no tanh"),
    (dict(recurrent=False), "ignores the previous hidden state"),
    (dict(swap=True), "raised ValueError|multiplies x_t by U"),
])
def test_rnn_step_mistakes(mistake, message):
    with pytest.raises(AssertionError, match=message):
        check.check_simple_rnn(_step(**mistake), key.simple_rnn_forward)


def test_rnn_forward_mistakes():
    def not_carried(x, W, U, b, return_sequences=False):
        h0 = np.zeros((x.shape[0], U.shape[0]))
        states = np.stack([key.rnn_step(x[:, t], h0, W, U, b) for t in range(x.shape[1])], 1)
        return states if return_sequences else states[:, -1]

    def always_last(x, W, U, b, return_sequences=False):
        return key.simple_rnn_forward(x, W, U, b)

    def first_state(x, W, U, b, return_sequences=False):
        states = key.simple_rnn_forward(x, W, U, b, True)
        return states if return_sequences else states[:, 0]

    with pytest.raises(AssertionError, match="wrong"):
        check.check_simple_rnn(key.rnn_step, not_carried)
    with pytest.raises(AssertionError, match="wrong shape"):
        check.check_simple_rnn(key.rnn_step, always_last)
    with pytest.raises(AssertionError, match="last hidden state"):
        check.check_simple_rnn(key.rnn_step, first_state)


def test_a_wrong_rnn_step_is_named_by_the_forward_check():
    namespace = {"np": np, "rnn_step": _step(tanh=False)}
    exec("def simple_rnn_forward(x, W, U, b, return_sequences=False):\n"
         "    h = np.zeros((x.shape[0], U.shape[0]))\n"
         "    for t in range(x.shape[1]):\n"
         "        h = rnn_step(x[:, t, :], h, W, U, b)\n"
         "    return h\n", namespace)
    with pytest.raises(AssertionError, match="fix rnn_step first"):
        check.check_simple_rnn(key.rnn_step, namespace["simple_rnn_forward"])


def _recursive(first=False, frozen=False, truth=False, flat=False):
    def recursive_forecast(model_fn, history, steps, window):
        history = list(np.asarray(history, dtype=float))
        buffer = history[:window] if first else history[-window:]
        out = []
        for _ in range(steps):
            x = np.array(buffer[-window:])
            value = float(np.asarray(model_fn(x if flat else x.reshape(1, window, 1))).ravel()[0])
            out.append(value)
            if not frozen:
                buffer.append(buffer[-1] if truth else value)
        return np.array(out)
    return recursive_forecast


@pytest.mark.parametrize(("mistake", "message"), [
    (dict(first=True), "first values of the history"),
    (dict(frozen=True), "same window every time"),
    (dict(truth=True), "is wrong"),
    (dict(flat=True), r"expects shape \(1, 3, 1\)"),
])
def test_recursive_mistakes(mistake, message):
    check.check_recursive_forecast(_recursive())
    with pytest.raises(AssertionError, match=message):
        check.check_recursive_forecast(_recursive(**mistake))


def _scaler(fit="train", clip=False, ignore_range=False):
    def scale_train_test(train, test, feature_range=(0.0, 1.0)):
        train, test = np.asarray(train, dtype=float), np.asarray(test, dtype=float)
        a, b = (0.0, 1.0) if ignore_range else feature_range
        both = np.concatenate([train, test])
        lo, hi = (both.min(), both.max()) if fit == "all" else (train.min(), train.max())
        tr = a + (train - lo) / (hi - lo) * (b - a)
        if fit == "own":
            te = a + (test - test.min()) / np.ptp(test) * (b - a)
        else:
            te = a + (test - lo) / (hi - lo) * (b - a)
        return tr, (np.clip(te, a, b) if clip else te), lo, hi
    return scale_train_test


@pytest.mark.parametrize(("mistake", "message"), [
    (dict(fit="all"), "training and test days together"),
    (dict(fit="own"), "their own min and max"),
    (dict(clip=True), "do not clip"),
    (dict(ignore_range=True), r"feature_range=\(-1.0, 1.0\)"),
])
def test_scaling_mistakes(mistake, message):
    check.check_scale_train_test(_scaler())
    with pytest.raises(AssertionError, match=message):
        check.check_scale_train_test(_scaler(**mistake))
