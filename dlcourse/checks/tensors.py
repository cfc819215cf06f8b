"""Checks for lab 01 (TensorFlow basics).

TensorFlow and Keras are imported inside the checks, so importing this module stays light.
"""

from __future__ import annotations

import warnings

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.reference import descent, losses
from dlcourse.reference import tensors as ref


def _pair(result, task: str, name: str, what: str):
    """Two numbers from a ``(first, second)`` result; ``None`` entries are kept as ``None``."""
    __tracebackhide__ = True
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        fail(task, f"{name} should return a pair {what}", "a tuple of two numbers",
             type(result).__name__)
    values = []
    for item in result:
        if item is None:
            values.append(None)
            continue
        try:
            arr = np.asarray(item, dtype=float).reshape(-1)
        except (TypeError, ValueError):
            fail(task, f"{name} should return numbers", "two floats", result)
        if arr.size != 1:
            fail(task, f"{name} should return one number per derivative", "two floats", result)
        values.append(float(arr[0]))
    return values


def _call_traced(fn, *args, task: str, name: str):
    """Like :func:`core.call`, but explains NumPy calls on symbolic tensors in a tf.function."""
    __tracebackhide__ = True
    try:
        return fn(*args)
    except NotImplementedError as exc:
        if "symbolic" in str(exc):  # "Cannot convert a symbolic tf.Tensor to a numpy array"
            fail(task, f"{name} tried to turn a symbolic tensor into a NumPy array",
                 hint="inside a tf.function the inputs are symbolic tensors: use TensorFlow "
                 "operations (*, +, tf.square), not NumPy functions or .numpy()")
        return call(fn, *args, task=task, name=name)  # reports "not written yet"
    except Exception:
        return call(fn, *args, task=task, name=name)  # reports the call and the error


def check_difference_table(difference_table) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "difference_table"
    a, b = tf.constant([1.0, 2.0, 3.0]), tf.constant([10.0, 20.0, 30.0])
    got = call(difference_table, a, b, task=task, name="difference_table")
    if not tf.is_tensor(got):
        fail(task, "difference_table should return a tf.Tensor", "tf.Tensor", type(got).__name__,
             "use TensorFlow operations on the tensors you are given, e.g. "
             "a[:, tf.newaxis] - b; do not convert to NumPy")
    got = got.numpy()
    expected = ref.difference_table(a.numpy(), b.numpy())
    broadcast_hint = ("a - b pairs a[i] with b[i] only; make a a column of shape (n, 1) with "
                      "a[:, tf.newaxis] so that (n, 1) - (m,) broadcasts to (n, m)")
    if got.shape == expected.shape and np.allclose(got, expected.T):
        fail(task, "rows and columns are swapped", expected, got,
             "row i belongs to a[i] and column j to b[j]: table[i, j] = a[i] - b[j]")
    if got.shape == expected.shape and np.allclose(got, -expected.T):
        fail(task, "the sign is flipped and rows and columns are swapped", expected, got,
             "table[i, j] = a[i] - b[j]: the new axis goes on a (a[:, tf.newaxis]), not on b")
    if got.shape == expected.shape and np.allclose(got, -expected):
        fail(task, "the sign is flipped", expected, got,
             "table[i, j] = a[i] - b[j], not b[j] - a[i]")
    expect_close(got, expected, task, "difference_table([1, 2, 3], [10, 20, 30])",
                 broadcast_hint)
    a, b = tf.constant([0.0, 1.0, 4.0, -2.0]), tf.constant([0.5, -1.0])
    got = call(difference_table, a, b, task=task, name="difference_table")
    expect_close(np.asarray(got), ref.difference_table(a.numpy(), b.numpy()), task,
                 "difference_table of a (4,) and a (2,) tensor", broadcast_hint)
    passed(task, "(n,) and (m,) broadcast to an (n, m) table")


def check_x_graph(x_graph) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "x_graph"
    got = _call_traced(x_graph, tf.constant(10.0), tf.constant(5.0), task=task, name="x_graph")
    expect_close(np.asarray(got), 507.0, task, "x_graph(10.0, 5.0)",
                 "x = a*a*b + b + 2, so 10*10*5 + 5 + 2 = 507", atol=1e-3)
    a, b = tf.constant([1.0, 2.0, -3.0]), tf.constant([3.0, 4.0, 0.5])
    got = _call_traced(x_graph, a, b, task=task, name="x_graph")
    expect_close(np.asarray(got), ref.graph_x(a.numpy(), b.numpy()), task,
                 "x_graph on vectors a=[1, 2, -3], b=[3, 4, 0.5] (element-wise)",
                 "use element-wise tensor arithmetic (*, +), no Python loops or NumPy",
                 atol=1e-4)
    if not callable(getattr(x_graph, "get_concrete_function", None)):
        fail(task, "x_graph gives the right numbers, but it is a plain Python function that runs "
             "eagerly, op by op", "a tf.function (traced into a graph)",
             type(x_graph).__name__, "write @tf.function on the line above `def x_graph`")
    spec = tf.TensorSpec(shape=[], dtype=tf.float32)
    try:
        concrete = x_graph.get_concrete_function(spec, spec)
    except Exception as exc:  # the student's function cannot be traced symbolically
        fail(task, f"x_graph could not be traced into a graph: {type(exc).__name__}: {exc}",
             hint="inside a tf.function the inputs are symbolic tensors: use TensorFlow "
             "operations, not .numpy() or NumPy functions")
    ops = concrete.graph.get_operations()
    value = float(np.asarray(concrete(tf.constant(3.0), tf.constant(2.0))))
    if not ops or not np.isclose(value, 22.0):
        fail(task, "the traced graph does not compute a*a*b + b + 2", 22.0, value)
    passed(task, f"x_graph(10, 5) = 507, traced into a graph of {len(ops)} operations")


def check_hand_gradients(hand_gradients) -> None:
    __tracebackhide__ = True
    task = "hand_gradients"
    got = call(hand_gradients, 10.0, 5.0, task=task, name="hand_gradients")
    d_a, d_b = _pair(got, task, "hand_gradients", "(dx/da, dx/db)")
    if d_a is None or d_b is None:
        fail(task, "hand_gradients returned None", "(100.0, 101.0)", got,
             "return the two derivatives as numbers")
    if np.isclose(d_b, 100.0) and np.isclose(d_a, 100.0):
        fail(task, "dx/db is missing the + b term", "(100.0, 101.0)", (d_a, d_b),
             "x = a*a*b + b + 2: the a*a*b part gives a^2, and the lone + b gives another 1")
    if np.isclose(d_a, 101.0) and np.isclose(d_b, 100.0):
        fail(task, "the two derivatives are in the wrong order", "(100.0, 101.0)", (d_a, d_b),
             "return (dx/da, dx/db)")
    expect_close([d_a, d_b], [100.0, 101.0], task, "hand_gradients(10.0, 5.0)",
                 "differentiate x = a*a*b + b + 2: d/da treats b as a constant (2ab), "
                 "d/db treats a as a constant (a^2 + 1)")
    for a, b in ((-3.0, 2.0), (1.5, -4.0)):
        got = _pair(call(hand_gradients, a, b, task=task, name="hand_gradients"), task,
                    "hand_gradients", "(dx/da, dx/db)")
        expect_close(got, ref.graph_x_gradients(a, b), task, f"hand_gradients({a}, {b})",
                     "write the derivatives in terms of a and b, not as fixed numbers")
    passed(task, "dx/da = 2ab and dx/db = a^2 + 1")


def check_gradient_of(gradient_of) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "gradient_of"

    def x_fn(a, b):
        return a * a * b + b + 2.0

    got = call(gradient_of, x_fn, 10.0, 5.0, task=task, name="gradient_of")
    d_a, d_b = _pair(got, task, "gradient_of", "(df/da, df/db)")
    if d_a is None or d_b is None:
        fail(task, "tape.gradient returned None: the tape did not watch a or b",
             "(100.0, 101.0)", got,
             "a GradientTape records operations only on trainable tf.Variables and on tensors "
             "you tape.watch(); make a = tf.Variable(a) and b = tf.Variable(b) before the "
             "`with` block and call f(a, b) inside it")
    if np.isclose(d_a, 101.0) and np.isclose(d_b, 100.0):
        fail(task, "the two derivatives are in the wrong order", "(100.0, 101.0)", (d_a, d_b),
             "return (df/da, df/db): tape.gradient(y, [a, b]) keeps the order of the list")
    expect_close([d_a, d_b], [100.0, 101.0], task, "gradient_of(a*a*b + b + 2, 10.0, 5.0)",
                 "compute y = f(a, b) inside the tape, then tape.gradient(y, [a, b])",
                 rtol=1e-5, atol=1e-4)

    def other(a, b):
        return a * tf.sin(b)

    got = _pair(call(gradient_of, other, 2.0, 0.5, task=task, name="gradient_of"), task,
                "gradient_of", "(df/da, df/db)")
    expect_close(got, [np.sin(0.5), 2.0 * np.cos(0.5)], task,
                 "gradient_of(a * sin(b), 2.0, 0.5)",
                 "differentiate the function f you are given with the tape; do not hard-code "
                 "the derivatives of x = a*a*b + b + 2", rtol=1e-5, atol=1e-5)
    passed(task, "GradientTape derivatives match for two different functions")


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = call(build_model, task=task, name="build_model")
    if not isinstance(model, keras.Model):
        fail(task, "build_model should return a Keras model", "keras.Model", type(model).__name__)
    if not model.built:
        fail(task, "the model does not know its input shape yet",
             hint="start the Sequential with keras.Input(shape=(1,))")
    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    if len(dense) != 1 or len(model.layers) != 1:
        fail(task, "the model should be a single Dense layer", "[Dense]",
             [type(layer).__name__ for layer in model.layers])
    unit = dense[0]
    if unit.units != 1:
        fail(task, "the Dense layer should have exactly one unit (one output)", 1, unit.units,
             "keras.layers.Dense(units=1): one weight and one bias")
    if unit.activation.__name__ != "linear":
        fail(task, "the unit should be linear (no activation)", "linear",
             unit.activation.__name__, "y = w*x + b can be any number; leave activation out")
    if model.count_params() != 2:
        fail(task, "the model should have 2 parameters (one weight, one bias)", 2,
             model.count_params(), "the input is one number per sample: keras.Input(shape=(1,))")
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")

    x = np.array([[-1.0], [0.0], [2.0], [3.0]], dtype="float32")
    y = np.array([[1.0], [0.0], [2.0], [7.0]], dtype="float32")
    unit.set_weights([np.array([[1.5]], dtype="float32"), np.array([0.5], dtype="float32")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    expected_loss = losses.mse(y, 1.5 * x + 0.5)
    if not np.isclose(loss, expected_loss, rtol=1e-4, atol=1e-5):
        fail(task, "the loss should be the mean squared error", expected_loss, float(loss),
             'compile with loss="mean_squared_error"')

    unit.set_weights([np.zeros((1, 1), dtype="float32"), np.zeros(1, dtype="float32")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.train_on_batch(x, y)
    got = [float(unit.get_weights()[0].reshape(-1)[0]), float(unit.get_weights()[1][0])]
    expect_close(got, descent.step(x, y, 0.0, 0.0, lr=0.01), task,
                 "(w, b) after one training step from w = b = 0",
                 "compile with optimizer=keras.optimizers.SGD(learning_rate=0.01): plain "
                 "gradient descent; Adam or another learning rate takes a different step",
                 rtol=1e-4, atol=1e-6)
    passed(task, "one linear unit, 2 parameters, MSE loss, SGD with learning rate 0.01")
