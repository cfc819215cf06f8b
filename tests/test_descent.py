"""Lab 04: gradient descent for a line, against finite differences and Keras, and its checks."""

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
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


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

    _fails("row 0", check.check_gradient_descent, gradient_descent)


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
