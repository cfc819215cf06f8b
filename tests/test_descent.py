"""Lab 04: gradient descent for a line, against finite differences and Keras, and its checks."""

import inspect
import math

import numpy as np
import pytest
from answer_key import descent as ref
from answer_key import losses

from dlcourse.checks import descent as check

X, Y = ref.SEED_X, ref.SEED_Y


@pytest.fixture(scope="module")
def tf_keras():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras
    import tensorflow as tf

    return tf, keras


def test_loss_is_lab03_mse():
    assert ref.line_loss(X, Y, 3.0, -1.0) == losses.mse(Y, 3 * X - 1)


@pytest.mark.parametrize("w, b", [(10.0, 10.0), (2.0, -1.0), (-1.3, 0.7)])
def test_gradient_matches_finite_differences(w, b):
    h = 1e-6
    dw = (ref.line_loss(X, Y, w + h, b) - ref.line_loss(X, Y, w - h, b)) / (2 * h)
    db = (ref.line_loss(X, Y, w, b + h) - ref.line_loss(X, Y, w, b - h)) / (2 * h)
    assert np.allclose(ref.mse_gradient(X, Y, w, b), (dw, db), atol=1e-5)


def test_gradient_matches_gradient_tape(tf_keras):
    tf, _ = tf_keras
    w, b = tf.Variable(10.0, dtype=tf.float64), tf.Variable(10.0, dtype=tf.float64)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(w * X + b - Y))
    dw, db = tape.gradient(loss, [w, b])
    assert np.allclose(ref.mse_gradient(X, Y, 10.0, 10.0), (dw.numpy(), db.numpy()))


def test_seed_run_is_reproduced():
    h = ref.gradient_descent(X, Y, ref.SEED_W0, ref.SEED_B0, ref.SEED_LR, ref.SEED_EPOCHS)
    assert h.shape == (51, 3)
    assert round(h[0, 2], 2) == 715.67
    assert np.allclose(h[1, :2], [-0.41, 5.86])
    assert round(h[1, 2], 5) == 27.47032  # the worked example's loss after epoch 1
    assert round(h[49, 2], 5) == 0.00234  # ... and for epoch 49, before its update
    assert np.allclose(h[-1, :2], [1.98, -0.94], atol=0.005)


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_descent_matches_keras_sgd(tf_keras, momentum):
    tf, keras = tf_keras
    w, b = tf.Variable(10.0, dtype=tf.float64), tf.Variable(10.0, dtype=tf.float64)
    opt = keras.optimizers.SGD(learning_rate=0.01, momentum=momentum)
    for _ in range(20):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(w * X + b - Y))
        opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b], strict=True))
    h = ref.momentum_descent(X, Y, 10.0, 10.0, 0.01, momentum, 20)
    assert np.allclose(h[-1, :2], [w.numpy(), b.numpy()], rtol=1e-6)  # lr is float32
    if momentum == 0.0:
        assert np.allclose(h, ref.gradient_descent(X, Y, 10.0, 10.0, 0.01, 20))


def test_too_large_learning_rate_diverges_to_inf_and_nan_quietly():
    with np.errstate(over="ignore", invalid="ignore"):
        h = ref.gradient_descent(X, Y, 10.0, 10.0, 1.0, 400)
    assert np.isinf(h[:, 2]).any() and np.isnan(h[-1]).any()


def test_epoch_arithmetic():
    assert ref.iterations_per_epoch(10, 4) == 3
    assert ref.iterations_per_epoch(10, 5) == 2 and ref.iterations_per_epoch(10, 1) == 10
    batches = ref.make_batches(10, 4, np.random.default_rng(0))
    assert [len(bt) for bt in batches] == [4, 4, 2]
    assert sorted(np.concatenate(batches).tolist()) == list(range(10))
    assert np.array_equal(np.concatenate(ref.make_batches(5, 2)), np.arange(5))
    with pytest.raises(ValueError):
        ref.iterations_per_epoch(10, 0)


def test_full_batch_minibatch_is_gradient_descent():
    assert np.allclose(ref.minibatch_descent(X, Y, 10.0, 10.0, 0.09, 5, batch_size=6),
                       ref.gradient_descent(X, Y, 10.0, 10.0, 0.09, 5))
    sgd = ref.minibatch_descent(X, Y, 10.0, 10.0, 0.01, 100, batch_size=1)
    assert sgd[-1, 2] < 0.01


def test_loss_surface_is_mse_at_each_point():
    W, B = np.meshgrid(np.linspace(-1, 3, 4), np.linspace(-2, 2, 5))
    surface = ref.loss_surface(X, Y, W, B)
    assert surface.shape == (5, 4)
    assert np.isclose(surface[2, 1], ref.line_loss(X, Y, W[2, 1], B[2, 1]))


def test_reference_passes_every_check(capsys):
    check.check_mse_gradient(ref.mse_gradient)
    check.check_step(ref.step)
    check.check_gradient_descent(ref.gradient_descent)
    check.check_batches(ref.iterations_per_epoch, ref.make_batches)
    check.check_momentum_descent(ref.momentum_descent)
    check.check_adam_step(ref.adam_step)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 6


def _fails(match, fn, *args):
    with pytest.raises(AssertionError, match=match):
        fn(*args)


def test_gradient_mistakes_are_named():
    def sign(x, y, w, b):
        dw, db = ref.mse_gradient(x, y, w, b)
        return -dw, -db

    def half(x, y, w, b):
        dw, db = ref.mse_gradient(x, y, w, b)
        return dw / 2, db / 2

    def summed(x, y, w, b):
        dw, db = ref.mse_gradient(x, y, w, b)
        return dw * len(x), db * len(x)

    _fails("sign error", check.check_mse_gradient, sign)
    _fails("factor 2", check.check_mse_gradient, half)
    _fails("MEAN", check.check_mse_gradient, summed)


def test_stale_gradient_update_is_named():
    def step(x, y, w, b, lr):
        w = w - lr * ref.mse_gradient(x, y, w, b)[0]
        return w, b - lr * ref.mse_gradient(x, y, w, b)[1]

    _fails("already changed", check.check_step, step)


def test_off_by_one_history_is_named():
    def gradient_descent(x, y, w, b, lr, epochs):
        return ref.gradient_descent(x, y, w, b, lr, epochs + 1)[1:]

    _fails("shifted by one epoch", check.check_gradient_descent, gradient_descent)


def test_floor_instead_of_ceil_is_named():
    _fails("round UP", check.check_batches, lambda n, s: n // s, ref.make_batches)

    def dropping(n, size, rng):
        order = rng.permutation(n)
        return [order[i * size:(i + 1) * size] for i in range(n // size)]

    _fails("leftover", check.check_batches, ref.iterations_per_epoch, dropping)


def test_momentum_without_velocity_is_named():
    def momentum_descent(x, y, w, b, lr, momentum, epochs):
        return ref.gradient_descent(x, y, w, b, lr, epochs)

    _fails("plain gradient descent", check.check_momentum_descent, momentum_descent)


# --- the stored cases of the checks agree with the answer key --------------------------------

def test_checks_ship_no_answer_key():
    assert "answer_key" not in inspect.getsource(check)
    assert np.array_equal(check.X, X) and np.array_equal(check.Y, Y)


def _data(name):
    x, y = check.DATA[name]
    return np.array(x), np.array(y)


def test_stored_gradients_and_steps_match_the_key():
    for data, w, b, expected in check.GRADIENT_CASES:
        assert np.allclose(expected, ref.mse_gradient(*_data(data), w, b), rtol=1e-12, atol=0)
    for data, w, b, lr, expected in check.STEP_CASES:
        assert np.allclose(expected, ref.step(*_data(data), w, b, lr), rtol=1e-12, atol=0)
    x, y = _data("the line")
    new_w = ref.step(x, y, 10.0, 10.0, 0.09)[0]
    stale_b = 10.0 - 0.09 * ref.mse_gradient(x, y, new_w, 10.0)[1]
    assert np.allclose(check.STALE_STEP, (new_w, stale_b))


def test_stored_histories_match_the_key():
    run = ref.gradient_descent(X, Y, 10.0, 10.0, 0.09, 50)
    assert all(np.allclose(run[k], row, rtol=1e-12) for k, row in check.RUN_ROWS.items())
    x2, y2 = _data("the five points")
    assert np.allclose(check.SHORT_RUN, ref.gradient_descent(x2, y2, -1.0, 0.5, 0.05, 4),
                       rtol=1e-12)
    assert np.allclose(check.NO_EPOCHS, ref.gradient_descent(x2, y2, 2.0, -0.5, 0.05, 0))
    rolling = ref.momentum_descent(X, Y, 10.0, 10.0, 0.01, 0.9, 30)
    assert all(np.allclose(rolling[k], row, rtol=1e-12) for k, row in check.MOMENTUM_ROWS.items())
    assert np.allclose(check.PLAIN_ROW_30, ref.gradient_descent(X, Y, 10.0, 10.0, 0.01, 30)[-1])
    assert np.allclose(check.MOMENTUM_SHORT,
                       ref.momentum_descent(x2, y2, 1.0, -1.0, 0.04, 0.5, 5), rtol=1e-12)
    assert np.allclose(check.PLAIN_SHORT_LAST,
                       ref.gradient_descent(x2, y2, 1.0, -1.0, 0.04, 5)[-1], rtol=1e-12)


def test_stored_batches_match_the_key():
    for n, size, expected in check.ITERATION_CASES:
        assert ref.iterations_per_epoch(n, size) == expected
    for seed, n, size, first, second in check.BATCH_CASES:
        rng = np.random.default_rng(seed)
        assert [b.tolist() for b in ref.make_batches(n, size, rng)] == first
        assert [b.tolist() for b in ref.make_batches(n, size, rng)] == second


# --- more mistakes the checks name -------------------------------------------------------------

NOTEBOOK_WITH_A_SIGN_ERROR = """
def mse_gradient(x, y, w, b):
    e = y - (w * x + b)
    return 2 * np.mean(e * x), 2 * np.mean(e)


def step(x, y, w, b, lr):
    dw, db = mse_gradient(x, y, w, b)
    return w - lr * dw, b - lr * db


def momentum_descent(x, y, w, b, lr, momentum, epochs):
    v_w = v_b = 0.0
    history = [(w, b, ref.line_loss(x, y, w, b))]
    for _ in range(epochs):
        dw, db = mse_gradient(x, y, w, b)
        v_w, v_b = momentum * v_w - lr * dw, momentum * v_b - lr * db
        w, b = w + v_w, b + v_b
        history.append((w, b, ref.line_loss(x, y, w, b)))
    return np.array(history)
"""


def test_earlier_task_is_named_first():
    notebook = {"np": np, "ref": ref}  # answers share the notebook's global namespace
    exec(NOTEBOOK_WITH_A_SIGN_ERROR, notebook)
    _fails(r"mse_gradient \(task 1\) is wrong", check.check_step, notebook["step"])
    _fails(r"mse_gradient \(task 1\) is wrong", check.check_momentum_descent,
           notebook["momentum_descent"])


def test_ignored_start_and_learning_rate_fail():
    def from_ten(x, y, w, b, lr, epochs):
        return ref.gradient_descent(x, y, 10.0, 10.0, lr, epochs)

    def fixed_rate(x, y, w, b, lr, epochs):
        return ref.gradient_descent(x, y, w, b, 0.09, epochs)

    _fails("row 0", check.check_gradient_descent, from_ten)
    _fails("five points", check.check_gradient_descent, fixed_rate)


def test_float_iterations_fail():
    _fails("should return an int", check.check_batches,
           lambda n, s: np.ceil(n / s), ref.make_batches)


def test_lying_int_fails():
    class Agreeable(int):
        def __eq__(self, other):
            return True

        def __ne__(self, other):
            return False

        __hash__ = int.__hash__

    _fails("round UP", check.check_batches, lambda n, s: Agreeable(n // s), ref.make_batches)


@pytest.mark.parametrize("make_batches, hint", [
    (lambda n, s, rng: ref.make_batches(n, s, np.random.default_rng(0)), "not the rng's shuffle"),
    (lambda n, s, rng: ref.make_batches(n, s, None), "not shuffled"),
    (lambda n, s, rng: np.array_split(rng.permutation(n), math.ceil(n / s)), "batch sizes"),
    (lambda n, s, rng: (ref.make_batches(n, s, rng), rng.permutation(n))[0], "second time"),
    (lambda n, s, rng: [b.astype(float) for b in ref.make_batches(n, s, rng)], "integer"),
])
def test_batch_mistakes(make_batches, hint):
    _fails(hint, check.check_batches, ref.iterations_per_epoch, make_batches)


def test_momentum_mistakes():
    def fixed_beta(x, y, w, b, lr, momentum, epochs):
        return ref.momentum_descent(x, y, w, b, lr, 0.9, epochs)

    def from_ten(x, y, w, b, lr, momentum, epochs):
        return ref.momentum_descent(x, y, 10.0, 10.0, lr, momentum, epochs)

    def average(x, y, w, b, lr, momentum, epochs):
        v_w = v_b = 0.0
        history = [(w, b, ref.line_loss(x, y, w, b))]
        for _ in range(epochs):
            dw, db = ref.mse_gradient(x, y, w, b)
            v_w, v_b = momentum * v_w + (1 - momentum) * dw, momentum * v_b + (1 - momentum) * db
            w, b = w - lr * v_w, b - lr * v_b
            history.append((w, b, ref.line_loss(x, y, w, b)))
        return np.array(history)

    _fails("0.04 and 0.5", check.check_momentum_descent, fixed_beta)
    _fails("row 0", check.check_momentum_descent, from_ten)
    _fails("row 1", check.check_momentum_descent, average)


def test_patched_numpy_comparisons_do_not_fool_the_checks(monkeypatch):
    def half(x, y, w, b):
        dw, db = ref.mse_gradient(x, y, w, b)
        return dw / 2, db / 2

    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "isclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "array_equal", lambda *args, **kwargs: True)
    _fails("factor 2", check.check_mse_gradient, half)
    _fails("plain gradient descent", check.check_momentum_descent,
           lambda x, y, w, b, lr, momentum, epochs: ref.gradient_descent(x, y, w, b, lr, epochs))


SIX_SAMPLE_GRADIENT = """
def mse_gradient(x, y, w, b):  # right only for six samples
    e = w * x + b - y
    return 2 * np.sum(e * x) / 6, 2 * np.sum(e) / 6


def step(x, y, w, b, lr):
    dw, db = mse_gradient(x, y, w, b)
    return w - lr * dw, b - lr * db
"""
FIXED_RATE_STEP = """
def step(x, y, w, b, lr):  # right only at the worked example's learning rate
    dw, db = ref.mse_gradient(x, y, w, b)
    return w - 0.09 * dw, b - 0.09 * db


def gradient_descent(x, y, w, b, lr, epochs):
    history = [(w, b, ref.line_loss(x, y, w, b))]
    for _ in range(epochs):
        w, b = step(x, y, w, b, lr)
        history.append((w, b, ref.line_loss(x, y, w, b)))
    return np.array(history)
"""


def test_later_checks_probe_every_stored_case_of_earlier_tasks():
    first, second = {"np": np, "ref": ref}, {"np": np, "ref": ref}
    exec(SIX_SAMPLE_GRADIENT, first)
    exec(FIXED_RATE_STEP, second)
    _fails(r"mse_gradient \(task 1\) is wrong", check.check_step, first["step"])
    _fails(r"step \(task 2\) is wrong", check.check_gradient_descent, second["gradient_descent"])


def test_summed_loss_in_the_history_is_named():
    def gradient_descent(x, y, w, b, lr, epochs):
        h = ref.gradient_descent(x, y, w, b, lr, epochs)
        h[:, 2] *= len(x)
        return h

    _fails("loss is not", check.check_gradient_descent, gradient_descent)


# --- Adam ---------------------------------------------------------------------------------------

def _adam_variant(kind):
    """adam_step with one common mistake."""
    def adam_step(theta, grad, m, v, t, lr, beta1, beta2, epsilon):
        t_new = t + 1
        m_new = beta1 * m + (1 - beta1) * grad
        v_new = beta2 * v + (1 - beta2) * grad**2
        if kind == "swapped-m":
            m_new = (1 - beta1) * m + beta1 * grad
        if kind == "v-from-m":
            v_new = beta2 * v + (1 - beta2) * m_new**2
        t_c = t if kind == "old-t" else t_new
        m_hat, v_hat = m_new / (1 - beta1**t_c), v_new / (1 - beta2**t_c)
        step = lr * m_hat / (np.sqrt(v_hat) + epsilon)
        if kind == "no-bias":
            step = lr * m_new / (np.sqrt(v_new) + epsilon)
        elif kind == "eps-inside":
            step = lr * m_hat / np.sqrt(v_hat + epsilon)
        elif kind == "keras-eps":
            step = lr * np.sqrt(1 - beta2**t_new) / (1 - beta1**t_new) * m_new / (
                np.sqrt(v_new) + epsilon)
        elif kind == "no-m":
            step = lr * grad / (np.sqrt(v_hat) + epsilon)
        elif kind == "params-first":
            step = lr * (m / (1 - beta1**t_new)) / (np.sqrt(v / (1 - beta2**t_new)) + epsilon)
        return theta - step, m_new, v_new, (float(t_new) if kind == "float-t" else t_new)
    return adam_step


@pytest.mark.parametrize("kind, hint", [
    ("no-bias", "no bias correction"),
    ("old-t", "old t"),
    ("eps-inside", "inside the square root"),
    ("keras-eps", "before the bias correction"),
    ("no-m", "RMSProp"),
    ("params-first", "old m and v"),
    ("swapped-m", "swapped"),
    ("v-from-m", "SQUARED gradients"),
    ("float-t", "should be an int"),
])
def test_adam_mistakes_are_named(kind, hint):
    _fails(hint, check.check_adam_step, _adam_variant(kind))


def test_adam_variants_match_the_stored_mistakes():
    theta, grad, m, v, t, lr, beta1, beta2, epsilon = (np.array(a) if isinstance(a, tuple) else a
                                                       for a in check.ADAM_MID)
    kinds = ("no-bias", "old-t", "eps-inside", "keras-eps", "no-m", "params-first")
    for kind, (_, stored) in zip(kinds, check.ADAM_MID_MISTAKES, strict=False):
        got = _adam_variant(kind)(theta, grad, m, v, t, lr, beta1, beta2, epsilon)[0]
        assert np.allclose(got, stored, rtol=1e-12), kind
    assert np.allclose(_adam_variant("swapped-m")(theta, grad, m, v, t, lr, beta1, beta2,
                                                  epsilon)[1], check.ADAM_MID_SWAPPED[0])


def test_stored_adam_cases_match_the_key():
    theta, grad, m, v, t, lr, beta1, beta2, epsilon = (np.array(a) if isinstance(a, tuple) else a
                                                       for a in check.ADAM_MID)
    got = ref.adam_step(theta, grad, m, v, t, lr, beta1, beta2, epsilon)
    for part, stored in zip(got, check.ADAM_MID_EXPECTED, strict=True):
        assert np.allclose(part, stored, rtol=1e-12, atol=0)
    state = (np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), 0)
    for g, row in zip(check.ADAM_RUN_GRADIENTS, check.ADAM_RUN, strict=True):
        state = ref.adam_step(state[0], np.array(g), *state[1:], 0.3, 0.8, 0.95, 0.5)
        assert all(np.allclose(a, b, rtol=1e-12, atol=0) for a, b in zip(state, row, strict=True))
    first = ref.adam_step(np.array([10.0, 10.0]), np.array(check.ADAM_RUN_GRADIENTS[0]),
                          np.zeros(2), np.zeros(2), 0, 0.001, 0.9, 0.999, 1e-7)[0]
    assert np.allclose(first, check.ADAM_FIRST_DEFAULT, rtol=1e-12)
    assert np.allclose(10.0 - first, 0.001, rtol=1e-6)  # the first update moves by lr


def test_adam_state_is_checked():
    def keeps_old_moments(theta, grad, m, v, t, lr, beta1, beta2, epsilon):
        new = ref.adam_step(theta, grad, m, v, t, lr, beta1, beta2, epsilon)
        return new[0], m, v, new[3]

    def counts_from_one(theta, grad, m, v, t, lr, beta1, beta2, epsilon):
        new = ref.adam_step(theta, grad, m, v, t, lr, beta1, beta2, epsilon)
        return new[0], new[1], new[2], new[3] + 1

    _fails("returned is wrong", check.check_adam_step, keeps_old_moments)
    _fails("wrong t", check.check_adam_step, counts_from_one)


def _keras_adam(tf_keras, grads, lr, beta1, beta2, epsilon):
    _, keras = tf_keras
    theta = keras.Variable(np.array([10.0, 10.0]), dtype="float64")
    optimizer = keras.optimizers.Adam(learning_rate=lr, beta_1=beta1, beta_2=beta2,
                                      epsilon=epsilon)
    path = []
    for g in grads:
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), theta)])
        path.append(np.array(theta.numpy()))
    return np.array(path)


def _key_adam(lr, beta1, beta2, epsilon, updates=20):
    theta, m, v, t = np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), 0
    path, grads = [], []
    for _ in range(updates):
        grads.append(np.array(ref.mse_gradient(X, Y, *theta)))
        theta, m, v, t = ref.adam_step(theta, grads[-1], m, v, t, lr, beta1, beta2, epsilon)
        path.append(theta)
    return np.array(path), grads


@pytest.mark.parametrize("lr, beta1, beta2", [(0.5, 0.75, 0.875), (0.125, 0.5, 0.9375)])
def test_adam_matches_keras_on_the_same_gradients(tf_keras, lr, beta1, beta2):
    ours, grads = _key_adam(lr, beta1, beta2, 1e-7)
    assert np.allclose(ours, _keras_adam(tf_keras, grads, lr, beta1, beta2, 1e-7),
                       rtol=0, atol=1e-7)
    # A large epsilon shows the two placements: Keras's acts like ours times sqrt(1 - beta2**t).
    ours, grads = _key_adam(lr, beta1, beta2, 1.0)
    theirs = _keras_adam(tf_keras, grads, lr, beta1, beta2, 1.0)
    assert np.max(np.abs(ours - theirs)) > 1e-2
    keras_form = _adam_variant("keras-eps")
    theta, m, v, t = np.array([10.0, 10.0]), np.zeros(2), np.zeros(2), 0
    for g, expected in zip(grads, theirs, strict=True):
        theta, m, v, t = keras_form(theta, g, m, v, t, lr, beta1, beta2, 1.0)
        assert np.allclose(theta, expected, rtol=0, atol=1e-9)


def test_rmsprop_matches_keras(tf_keras):
    _, keras = tf_keras
    var = keras.Variable(np.array([10.0, 10.0]), dtype="float64")
    optimizer = keras.optimizers.RMSprop(learning_rate=0.25, rho=0.875, epsilon=1e-7)
    theta, v = np.array([10.0, 10.0]), np.zeros(2)
    for _ in range(15):
        g = np.array(ref.mse_gradient(X, Y, *theta))
        theta, v = ref.rmsprop_step(theta, g, v, 0.25, 0.875, 1e-7)
        optimizer.apply_gradients([(keras.ops.convert_to_tensor(g), var)])
        assert np.allclose(theta, var.numpy(), rtol=0, atol=1e-9)


def test_the_lab_challenge_can_be_met():
    """Adam from (10, 10) reaches MSE < 1e-4 within 30 updates (lr 3, beta1 0.5)."""
    h = ref.adam_descent(X, Y, 10.0, 10.0, 3.0, 0.5, 0.99, 1e-7, 30)
    assert h.shape == (31, 3) and h[0, 2] == ref.line_loss(X, Y, 10.0, 10.0)
    assert np.allclose(h[1, :2], 10.0 - 3.0, rtol=1e-6)  # first step: lr in each parameter
    assert h[-1, 2] < 1e-4
    default = ref.adam_descent(X, Y, 10.0, 10.0, 1.0, 0.9, 0.999, 1e-7, 30)
    assert default[-1, 2] > 1e-4  # the defaults betas do not
