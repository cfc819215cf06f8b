"""Lab 01 (TensorFlow basics): the NumPy reference against TensorFlow/Keras, and the checks."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from answer_key import descent
from answer_key import tensors as ref

from dlcourse.checks import tensors as check
from dlcourse.datasets import toy

# --- answers a student could write (the solution) -------------------------------------

def difference_table(a, b):
    return a[:, tf.newaxis] - b


@tf.function
def x_graph(a, b):
    return a * a * b + b + 2


def hand_gradients(a, b):
    return 2 * a * b, a * a + 1


def gradient_of(f, a, b):
    a, b = tf.Variable(float(a)), tf.Variable(float(b))
    with tf.GradientTape() as tape:
        y = f(a, b)
    d_a, d_b = tape.gradient(y, [a, b])
    return float(d_a), float(d_b)


def build_model():
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(units=1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mean_squared_error")
    return model


# --- the reference against TensorFlow --------------------------------------------------

def test_worked_example_is_507():
    assert ref.graph_x(10, 5) == 507.0
    assert float(x_graph(tf.constant(10.0), tf.constant(5.0))) == 507.0
    assert ref.graph_x_gradients(10, 5) == (100.0, 101.0)


def test_graph_gradients_match_gradient_tape():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6)
    va, vb = tf.Variable(a), tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(va * va * vb + vb + 2)
    d_a, d_b = tape.gradient(y, [va, vb])
    exp_a, exp_b = ref.graph_x_gradients(a, b)
    assert np.allclose(d_a.numpy(), exp_a) and np.allclose(d_b.numpy(), exp_b)


def test_numeric_gradient_matches_hand_derivatives():
    for a, b in [(10.0, 5.0), (-1.5, 0.25), (0.0, 3.0)]:
        got = ref.numeric_gradient(ref.graph_x, a, b)
        assert np.allclose(got, ref.graph_x_gradients(a, b), rtol=1e-6, atol=1e-5)


def test_difference_table_matches_tf_broadcasting():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5), rng.normal(size=3)
    table = ref.difference_table(a, b)
    assert table.shape == (5, 3) and table[4, 2] == a[4] - b[2]
    assert np.allclose(table, (tf.constant(a)[:, tf.newaxis] - tf.constant(b)).numpy())


def test_sgd_step_matches_one_keras_training_step():
    model = build_model()
    model.layers[0].set_weights([np.array([[0.7]]), np.array([-0.2])])
    x = toy.LINE_X.reshape(-1, 1).astype("float32")
    y = toy.LINE_Y.reshape(-1, 1).astype("float32")
    model.train_on_batch(x, y)
    w, b = model.layers[0].get_weights()
    expected = descent.step(toy.LINE_X, toy.LINE_Y, 0.7, -0.2, lr=0.01)
    assert np.allclose([w[0, 0], b[0]], expected, atol=1e-6)



# --- the checks --------------------------------------------------------------------------

def test_solution_passes_every_check(capsys):
    check.check_difference_table(difference_table)
    check.check_x_graph(x_graph)
    check.check_hand_gradients(hand_gradients)
    check.check_gradient_of(gradient_of)
    check.check_build_model(build_model)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 5 and out.err == ""


def test_reference_gradients_pass():
    check.check_hand_gradients(ref.graph_x_gradients)


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b: a - b, "tf.newaxis"),
    (lambda a, b: b[:, tf.newaxis] - a, "sign is flipped and rows"),
    (lambda a, b: b - a[:, tf.newaxis], "sign is flipped"),
    (lambda a, b: a - b[:, tf.newaxis], "swapped"),
    (lambda a, b: ref.difference_table(a.numpy(), b.numpy()), "tf.Tensor"),
])
def test_difference_table_mistakes(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check.check_difference_table(wrong)


def test_plain_python_function_is_not_a_tf_function():
    def eager(a, b):
        return a * a * b + b + 2

    with pytest.raises(AssertionError, match="@tf.function"):
        check.check_x_graph(eager)


def test_wrong_expression_and_untraceable_function():
    with pytest.raises(AssertionError, match="507"):
        check.check_x_graph(tf.function(lambda a, b: a * b * b + b + 2))

    @tf.function
    def uses_numpy(a, b):
        return np.asarray(a) ** 2 * b + b + 2

    with pytest.raises(AssertionError, match="symbolic tensors"):
        check.check_x_graph(uses_numpy)
    with pytest.raises(AssertionError, match="not written yet"):
        check.check_x_graph(lambda a, b: (_ for _ in ()).throw(NotImplementedError()))


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b: (2 * a * b, a * a), r"\+ b term"),
    (lambda a, b: (a * a + 1, 2 * a * b), "wrong order"),
    (lambda a, b: (100.0, 101.0), "in terms of a and b"),
    (lambda a, b: (2 * a, a * a + 1), "2ab"),
])
def test_hand_gradient_mistakes(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check.check_hand_gradients(wrong)


def test_unwatched_constants_give_none():
    def gradient_of_constants(f, a, b):
        a, b = tf.constant(a), tf.constant(b)
        with tf.GradientTape() as tape:
            y = f(a, b)
        return tuple(tape.gradient(y, [a, b]))

    with pytest.raises(AssertionError, match="tf.Variable"):
        check.check_gradient_of(gradient_of_constants)


def test_watched_constants_are_fine(capsys):
    def gradient_of_watched(f, a, b):
        a, b = tf.constant(a), tf.constant(b)
        with tf.GradientTape() as tape:
            tape.watch([a, b])
            y = f(a, b)
        return tuple(tape.gradient(y, [a, b]))

    check.check_gradient_of(gradient_of_watched)
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def test_hard_coded_gradients_fail():
    with pytest.raises(AssertionError, match="hard-code"):
        check.check_gradient_of(lambda f, a, b: (2 * a * b, a * a + 1))


def _model(units=1, optimizer=None, loss="mean_squared_error", activation=None):
    def build():
        model = keras.Sequential([keras.Input(shape=(1,)),
                                  keras.layers.Dense(units, activation=activation)])
        model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01), loss=loss)
        return model
    return build


@pytest.mark.parametrize("build, hint", [
    (_model(units=2), "one unit"),
    (_model(activation="relu"), "linear"),
    (_model(loss="mae"), "mean squared error"),
    (_model(optimizer="adam"), "SGD"),
    (_model(optimizer=keras.optimizers.SGD(learning_rate=0.1)), "learning_rate=0.01"),
])
def test_model_mistakes(build, hint):
    with pytest.raises(AssertionError, match=hint):
        check.check_build_model(build)


def test_uncompiled_model_fails():
    def build():
        return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])

    with pytest.raises(AssertionError, match="not compiled"):
        check.check_build_model(build)
