"""Answer key for lab 01 (TensorFlow basics).

The NumPy pieces (the graph x = a*a*b + b + 2, its derivatives, the broadcast table, finite
differences) need no TensorFlow; ``x_graph``, ``gradient_of``, ``build_model`` and the custom
layer ``SimpleDense`` import it when used. The gradient-descent step of the model lives in
:mod:`answer_key.descent`.
"""

from __future__ import annotations

import functools

import numpy as np

LEARNING_RATE = 0.01  # the SGD learning rate build_model compiles with


def graph_x(a, b):
    """The worked example x = a*a*b + b + 2, element-wise (a=10, b=5 gives 507)."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return a * a * b + b + 2.0


def hand_gradients(a, b):
    """Hand derivatives of :func:`graph_x`: ``(dx/da, dx/db) = (2ab, a^2 + 1)``."""
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    return 2.0 * a * b, a * a + 1.0


def difference_table(a, b) -> np.ndarray:
    """``table[i, j] = a[i] - b[j]`` for 1-D ``a`` (n,) and ``b`` (m,): shape (n, m)."""
    a = np.asarray(a, dtype=float).reshape(-1)
    b = np.asarray(b, dtype=float).reshape(-1)
    return a[:, np.newaxis] - b[np.newaxis, :]


def numeric_gradient(f, a: float, b: float, eps: float = 1e-6) -> tuple[float, float]:
    """Central differences ``(df/da, df/db)`` of a scalar function ``f(a, b)``."""
    d_a = (float(f(a + eps, b)) - float(f(a - eps, b))) / (2 * eps)
    d_b = (float(f(a, b + eps)) - float(f(a, b - eps))) / (2 * eps)
    return d_a, d_b


def x_graph(a, b):
    """:func:`graph_x` as a ``tf.function`` on tensors."""
    import tensorflow as tf

    return tf.function(lambda a, b: a * a * b + b + 2)(a, b)


def gradient_of(f, a: float, b: float) -> tuple[float, float]:
    """``(df/da, df/db)`` at ``(a, b)`` with ``tf.GradientTape``."""
    import tensorflow as tf

    a, b = tf.Variable(float(a)), tf.Variable(float(b))
    with tf.GradientTape() as tape:
        y = f(a, b)
    d_a, d_b = tape.gradient(y, [a, b])
    return float(d_a), float(d_b)


def build_model():
    """One Dense unit on one input, compiled with SGD (learning rate 0.01) and the MSE."""
    import keras

    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(units=1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=LEARNING_RATE),
                  loss="mean_squared_error")
    return model


@functools.cache
def _simple_dense_class():
    """Define :class:`SimpleDense` on first use, so that importing the key needs no Keras."""
    import keras

    class SimpleDense(keras.layers.Layer):
        """``activation(inputs @ kernel + bias)``, weights made in ``build`` like Dense's."""

        def __init__(self, units, activation=None, **kwargs):
            super().__init__(**kwargs)
            self.units = units
            self.activation = keras.activations.get(activation)

        def build(self, input_shape):
            self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                          initializer="glorot_uniform", name="kernel")
            self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

        def call(self, inputs):
            return self.activation(keras.ops.matmul(inputs, self.kernel) + self.bias)

        def get_config(self):
            config = super().get_config()
            config.update(units=self.units,
                          activation=keras.activations.serialize(self.activation))
            return config

    return SimpleDense


def __getattr__(name):
    if name == "SimpleDense":
        return _simple_dense_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
