"""Lab 01 (TensorFlow basics): the answer key against TensorFlow/Keras, and the checks."""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from answer_key import descent, losses
from answer_key import tensors as key

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


# --- the answer key against TensorFlow ---------------------------------------------------

def test_worked_example_is_507():
    assert key.graph_x(10, 5) == 507.0
    assert float(x_graph(tf.constant(10.0), tf.constant(5.0))) == 507.0
    assert float(key.x_graph(tf.constant(10.0), tf.constant(5.0))) == 507.0
    assert key.hand_gradients(10, 5) == (100.0, 101.0)


def test_graph_gradients_match_gradient_tape():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=6), rng.normal(size=6)
    va, vb = tf.Variable(a), tf.Variable(b)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(va * va * vb + vb + 2)
    d_a, d_b = tape.gradient(y, [va, vb])
    exp_a, exp_b = key.hand_gradients(a, b)
    assert np.allclose(d_a.numpy(), exp_a) and np.allclose(d_b.numpy(), exp_b)


def test_numeric_gradient_matches_hand_derivatives_and_the_tape():
    for a, b in [(10.0, 5.0), (-1.5, 0.25), (0.0, 3.0)]:
        got = key.numeric_gradient(key.graph_x, a, b)
        assert np.allclose(got, key.hand_gradients(a, b), rtol=1e-6, atol=1e-5)
        tape = key.gradient_of(lambda u, v: u * u * v + v + 2, a, b)
        assert np.allclose(tape, got, rtol=1e-5, atol=1e-4)


def test_difference_table_matches_tf_broadcasting():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=5), rng.normal(size=3)
    table = key.difference_table(a, b)
    assert table.shape == (5, 3) and table[4, 2] == a[4] - b[2]
    assert np.allclose(table, (tf.constant(a)[:, tf.newaxis] - tf.constant(b)).numpy())


def test_sgd_steps_match_keras_training_steps():
    model = key.build_model()
    model.layers[0].set_weights([np.array([[0.7]]), np.array([-0.2])])
    x = toy.LINE_X.reshape(-1, 1).astype("float32")
    y = toy.LINE_Y.reshape(-1, 1).astype("float32")
    for _ in range(3):
        model.train_on_batch(x, y)
    w, b = model.layers[0].get_weights()
    expected = descent.gradient_descent(toy.LINE_X, toy.LINE_Y, 0.7, -0.2, 0.01, 3)[-1, :2]
    assert np.allclose([w[0, 0], b[0]], expected, atol=1e-6)


# --- the stored cases of the checks agree with the answer key ------------------------------

def test_checks_ship_no_answer_key():
    assert "answer_key" not in inspect.getsource(check)


def test_stored_tables_graphs_and_gradients_match_the_key():
    for a, b, table in check.TABLE_CASES:
        assert np.array_equal(table, key.difference_table(a, b))
    for a, b, x in check.GRAPH_CASES:
        assert np.array_equal(x, key.graph_x(a, b))
    for a, b, grads in check.HAND_CASES:
        assert np.allclose(grads, key.hand_gradients(a, b), rtol=0, atol=1e-12)
    for _, f, a, b, grads in check._gradient_cases():
        assert np.allclose(grads, key.gradient_of(f, a, b), rtol=1e-6, atol=1e-6)


def test_stored_training_steps_match_the_key():
    x, y = np.ravel(check.FIT_X), np.ravel(check.FIT_Y)
    w0, b0 = check.FIT_W0, check.FIT_B0
    assert np.isclose(check.FIT_MSE, losses.mse(y, w0 * x + b0))
    assert np.isclose(check.FIT_MAE, losses.mae(y, w0 * x + b0))
    sgd = descent.gradient_descent(x, y, w0, b0, 0.01, check.FIT_STEPS)[-1, :2]
    momentum = descent.momentum_descent(x, y, w0, b0, 0.01, 0.9, check.FIT_STEPS)[-1, :2]
    assert np.allclose(check.FIT_SGD, sgd, rtol=1e-10)
    assert np.allclose(check.FIT_MOMENTUM, momentum, rtol=1e-10)


def test_optimizer_defaults_are_keras_sgd_defaults():
    config = keras.optimizers.SGD(learning_rate=0.01).get_config()
    assert all(config[name] == value for name, value in check.OPTIMIZER_DEFAULTS.items())


# --- the checks ----------------------------------------------------------------------------

def test_solution_and_key_pass_every_check(capsys):
    check.check_difference_table(difference_table)
    check.check_x_graph(x_graph)
    check.check_hand_gradients(hand_gradients)
    check.check_gradient_of(gradient_of)
    check.check_build_model(build_model)
    check.check_hand_gradients(key.hand_gradients)
    check.check_gradient_of(key.gradient_of)
    check.check_build_model(key.build_model)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 8 and out.err == ""


@pytest.mark.parametrize("wrong, hint", [
    (lambda a, b: a - b, "tf.newaxis"),
    (lambda a, b: b[:, tf.newaxis] - a, "sign is flipped and rows"),
    (lambda a, b: b - a[:, tf.newaxis], "sign is flipped"),
    (lambda a, b: a - b[:, tf.newaxis], "swapped"),
    (lambda a, b: tf.abs(a[:, tf.newaxis] - b), "sign"),
    (lambda a, b: key.difference_table(a.numpy(), b.numpy()), "tf.Tensor"),
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
    with pytest.raises(AssertionError, match=r"x_graph\(\[1.0, 2.0, -3.0\]"):
        check.check_x_graph(tf.function(lambda a, b: tf.abs(a) * a * b + b + 2))

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


def test_patched_numpy_comparisons_do_not_fool_the_checks(monkeypatch):
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "isclose", lambda *args, **kwargs: True)
    with pytest.raises(AssertionError, match=r"\+ b term"):
        check.check_hand_gradients(lambda a, b: (2 * a * b, a * a))
    with pytest.raises(AssertionError, match="tf.newaxis"):
        check.check_difference_table(lambda a, b: a - b)


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


def test_hard_coded_gradients_and_points_fail():
    with pytest.raises(AssertionError, match="hard-code"):
        check.check_gradient_of(lambda f, a, b: (2 * a * b, a * a + 1))
    with pytest.raises(AssertionError, match="-1.25"):
        check.check_gradient_of(lambda f, a, b: gradient_of(f, 10.0, 5.0))


def test_finite_differences_fail():
    def central(f, a, b, eps=1e-6):
        a, b = np.float64(a), np.float64(b)
        return key.numeric_gradient(lambda u, v: float(f(u, v)), a, b, eps)

    with pytest.raises(AssertionError, match="stop_gradient|wrong values"):
        check.check_gradient_of(central)


def _model(units=1, optimizer=None, loss="mean_squared_error", activation=None, metrics=None,
           layers=()):
    def build():
        model = keras.Sequential([keras.Input(shape=(1,)), *layers,
                                  keras.layers.Dense(units, activation=activation)])
        model.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=0.01), loss=loss,
                      metrics=metrics)
        return model
    return build


@pytest.mark.parametrize("build, hint", [
    (_model(units=2), "one unit"),
    (_model(activation="relu"), "linear"),
    (_model(loss="mae"), "mean ABSOLUTE"),
    (_model(loss="huber"), "mean squared error"),
    (_model(optimizer="adam"), "plain SGD"),
    (_model(optimizer=keras.optimizers.SGD(learning_rate=0.1)), "learning rate should be 0.01"),
    (_model(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9)), "momentum"),
    (_model(optimizer=keras.optimizers.SGD(learning_rate=0.01, nesterov=True)), "nesterov"),
    (_model(metrics=["accuracy"]), "without metrics"),
    (_model(layers=[keras.layers.Dropout(0.2)]), "single Dense layer"),
])
def test_model_mistakes(build, hint):
    with pytest.raises(AssertionError, match=hint):
        check.check_build_model(build)


def test_equivalent_spellings_pass(capsys):
    def build():
        model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1, "linear")])
        model.compile(optimizer="sgd", loss=keras.losses.MeanSquaredError())
        return model

    check.check_build_model(build)
    assert "\N{CHECK MARK}" in capsys.readouterr().out


def test_uncompiled_model_fails():
    def build():
        return keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])

    with pytest.raises(AssertionError, match="not compiled"):
        check.check_build_model(build)


# --- Task 6: SimpleDense --------------------------------------------------------------------

# The wrong layers below each change one thing in the answer key's layer.
SimpleDense = key.SimpleDense


class NoBias(SimpleDense):
    def call(self, inputs):
        return self.activation(inputs @ self.kernel)


class NoActivation(SimpleDense):
    def call(self, inputs):
        return inputs @ self.kernel + self.bias


class Transposed(SimpleDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(self.units, input_shape[-1]))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, inputs):
        return self.activation(inputs @ tf.transpose(self.kernel) + self.bias)


class SquareTransposed(SimpleDense):
    """Right shapes, but the product uses the kernel transposed (caught where width == units)."""

    def call(self, inputs):
        if self.kernel.shape[0] == self.kernel.shape[1]:
            return self.activation(inputs @ tf.transpose(self.kernel) + self.bias)
        return super().call(inputs)


class Frozen(SimpleDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), trainable=False)
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", trainable=False)


class Untracked(SimpleDense):
    def build(self, input_shape):
        self.kernel = tf.Variable(keras.initializers.GlorotUniform()((input_shape[-1], self.units)))
        self.bias = tf.Variable(tf.zeros((self.units,)))


class WeightsInInit(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.activation = keras.activations.get(activation)
        self.kernel = self.add_weight(shape=(3, units))
        self.bias = self.add_weight(shape=(units,), initializer="zeros")

    def call(self, inputs):
        return self.activation(inputs @ self.kernel + self.bias)


class WeightsInCall(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, inputs):
        self.kernel = self.add_weight(shape=(inputs.shape[-1], self.units))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")
        return inputs @ self.kernel + self.bias


class OnesKernel(SimpleDense):
    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), initializer="ones")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros")


class RandomBias(SimpleDense):
    def build(self, input_shape):
        super().build(input_shape)
        self.bias.assign(tf.random.normal((self.units,)))


class NoConfig(SimpleDense):
    def get_config(self):
        return keras.layers.Layer.get_config(self)


class WrapsDense(keras.layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.inner = keras.layers.Dense(units, activation=activation)

    def build(self, input_shape):
        self.inner.build(input_shape)
        self.kernel, self.bias = self.inner.kernel, self.inner.bias

    def call(self, inputs):
        return self.inner(inputs)


class InheritsDense(keras.layers.Dense):
    pass


class StopsGradient(SimpleDense):
    """Right outputs, but the hidden layer's weights never receive a gradient."""

    def call(self, inputs):
        return self.activation(inputs @ tf.stop_gradient(self.kernel) + self.bias)


def test_simple_dense_and_key_pass_the_check(capsys):
    check.check_simple_dense(key.SimpleDense)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK} SimpleDense") == 1 and out.err == ""


def test_key_simple_dense_equals_keras_dense():
    layer, dense = key.SimpleDense(3, activation="tanh"), keras.layers.Dense(3, "tanh")
    x = np.random.default_rng(7).normal(size=(4, 5)).astype("float32")
    layer(x)
    dense(x)
    dense.set_weights(layer.get_weights())
    assert np.allclose(layer(x), dense(x), atol=1e-6)
    assert [tuple(w.shape) for w in layer.weights] == [(5, 3), (3,)]
    assert key.SimpleDense.from_config(layer.get_config()).activation is layer.activation


def test_stored_layer_cases_make_every_mistake_visible():
    widths_units = [(width, units) for width, units, _, _ in check.LAYER_CASES]
    assert any(width == units for width, units in widths_units)  # a transposed kernel fits
    assert any(width != units for width, units in widths_units)
    assert {None, "relu"} <= {activation for *_, activation in check.LAYER_CASES}
    assert any(batch > 1 for _, _, batch, _ in check.LAYER_CASES)


@pytest.mark.parametrize("wrong, hint", [
    (NoBias, "bias is missing"),
    (NoActivation, "not applied"),
    (Transposed, "transposed"),
    (SquareTransposed, "transposed"),
    (Frozen, "trainable"),
    (Untracked, "exactly two weights"),
    (WeightsInInit, "before it has seen an input"),
    (WeightsInCall, "during call"),
    (OnesKernel, "glorot_uniform"),
    (RandomBias, "bias should start at zero"),
    (NoConfig, "get_config"),
    (WrapsDense, "not a layer inside"),
    (InheritsDense, "not inherit Dense"),
    (StopsGradient, "5 SGD steps"),
    (lambda units, activation=None: keras.layers.Dense(units, activation), "subclasses"),
])
def test_simple_dense_mistakes(wrong, hint):
    with pytest.raises(AssertionError, match=hint):
        check.check_simple_dense(wrong)


def test_unwritten_layer_says_not_written_yet():
    class Blank(keras.layers.Layer):
        def __init__(self, units, activation=None, **kwargs):
            raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        check.check_simple_dense(Blank)
