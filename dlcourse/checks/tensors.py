"""Checks for lab 01 (TensorFlow basics).

Every expected value is a stored literal, worked out by hand or with the course's answer key.
TensorFlow and Keras are imported inside the checks, so importing this module stays light.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.checks.core import close as _close


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


# --- Task 1: difference_table ------------------------------------------------------------

# (a, b, a[i] - b[j]), worked out by hand: mixed signs, n > m, n == m and n == 1.
TABLE_CASES = (
    ([1.0, 2.0, 3.0], [10.0, 20.0, 30.0],
     [[-9.0, -19.0, -29.0], [-8.0, -18.0, -28.0], [-7.0, -17.0, -27.0]]),
    ([0.0, 1.0, 4.0, -2.0], [0.5, -1.0], [[-0.5, 1.0], [0.5, 2.0], [3.5, 5.0], [-2.5, -1.0]]),
    ([2.5], [1.0, -1.0, 0.0], [[1.5, 3.5, 2.5]]),
)


def check_difference_table(difference_table) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "difference_table"
    broadcast_hint = ("a - b pairs a[i] with b[i] only; make a a column of shape (n, 1) with "
                      "a[:, tf.newaxis] so that (n, 1) - (m,) broadcasts to (n, m)")
    for a_list, b_list, table in TABLE_CASES:
        a, b = tf.constant(a_list), tf.constant(b_list)
        what = f"difference_table({a_list}, {b_list})"
        got = call(difference_table, a, b, task=task, name="difference_table")
        if not tf.is_tensor(got):
            fail(task, "difference_table should return a tf.Tensor", "tf.Tensor",
                 type(got).__name__, "use TensorFlow operations on the tensors you are given, "
                 "e.g. a[:, tf.newaxis] - b; do not convert to NumPy")
        got = np.asarray(got.numpy(), dtype=float)
        expected = np.array(table)
        if _close(got, expected.T):
            fail(task, f"{what}: rows and columns are swapped", expected, got,
                 "row i belongs to a[i] and column j to b[j]: table[i, j] = a[i] - b[j]")
        if _close(got, -expected.T):
            fail(task, f"{what}: the sign is flipped and rows and columns are swapped", expected,
                 got, "table[i, j] = a[i] - b[j]: the new axis goes on a (a[:, tf.newaxis]), "
                 "not on b")
        if _close(got, -expected):
            fail(task, f"{what}: the sign is flipped", expected, got,
                 "table[i, j] = a[i] - b[j], not b[j] - a[i]")
        expect_close(got, expected, task, what, broadcast_hint)
    passed(task, "(n,) and (m,) broadcast to an (n, m) table")


# --- Task 2: x_graph ---------------------------------------------------------------------

# (a, b, a*a*b + b + 2), worked out by hand, for a scalar, a vector and a matrix.
GRAPH_CASES = (
    (10.0, 5.0, 507.0),
    ([1.0, 2.0, -3.0], [3.0, 4.0, 0.5], [8.0, 22.0, 7.0]),
    ([[0.5, -1.0], [2.0, 0.0]], [[2.0, -2.0], [-1.0, 3.0]], [[4.5, -2.0], [-3.0, 5.0]]),
)


def check_x_graph(x_graph) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "x_graph"
    for a_value, b_value, expected in GRAPH_CASES:
        got = _call_traced(x_graph, tf.constant(a_value), tf.constant(b_value), task=task,
                           name="x_graph")
        hint = ("x = a*a*b + b + 2, element-wise: 10*10*5 + 5 + 2 = 507; use tensor "
                "arithmetic (*, +), no Python loops or NumPy")
        expect_close(np.asarray(got), expected, task, f"x_graph({a_value}, {b_value})", hint,
                     atol=1e-4, rtol=1e-6)
    if not isinstance(x_graph, tf.types.experimental.PolymorphicFunction):
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
    if not ops or not math.isclose(value, 22.0, rel_tol=1e-6):
        fail(task, "the traced graph does not compute a*a*b + b + 2 at a=3, b=2", 22.0, value)
    passed(task, f"x_graph(10, 5) = 507, traced into a graph of {len(ops)} operations")


# --- Task 3: hand_gradients --------------------------------------------------------------

# (a, b, (2ab, a^2 + 1)), worked out by hand.
HAND_CASES = ((10.0, 5.0, (100.0, 101.0)), (-3.0, 2.0, (-12.0, 10.0)),
              (1.5, -4.0, (-12.0, 3.25)), (0.25, 0.5, (0.25, 1.0625)))


def check_hand_gradients(hand_gradients) -> None:
    __tracebackhide__ = True
    task = "hand_gradients"
    for a, b, expected in HAND_CASES:
        got = call(hand_gradients, a, b, task=task, name="hand_gradients")
        d_a, d_b = _pair(got, task, "hand_gradients", "(dx/da, dx/db)")
        if d_a is None or d_b is None:
            fail(task, "hand_gradients returned None", expected, got,
                 "return the two derivatives as numbers")
        got = (d_a, d_b)
        if _close(got, (expected[0], expected[1] - 1.0)):
            fail(task, "dx/db is missing the + b term", expected, got,
                 "x = a*a*b + b + 2: the a*a*b part gives a^2, and the lone + b gives another 1")
        if _close(got, expected[::-1]):
            fail(task, "the two derivatives are in the wrong order", expected, got,
                 "return (dx/da, dx/db)")
        expect_close(got, expected, task, f"hand_gradients({a}, {b})",
                     "differentiate x = a*a*b + b + 2 in terms of a and b (not as fixed numbers): "
                     "d/da treats b as a constant (2ab), d/db treats a as a constant (a^2 + 1)")
    passed(task, "dx/da = 2ab and dx/db = a^2 + 1")


# --- Task 4: gradient_of -----------------------------------------------------------------

def _gradient_cases():
    """(description, f, a, b, (df/da, df/db)), worked out by hand."""
    import tensorflow as tf

    return (
        ("a*a*b + b + 2", lambda a, b: a * a * b + b + 2.0, 10.0, 5.0, (100.0, 101.0)),
        ("a*a*b + b + 2", lambda a, b: a * a * b + b + 2.0, -1.25, 3.0, (-7.5, 2.5625)),
        # (sin 0.5, 2 cos 0.5)
        ("a * tf.sin(b)", lambda a, b: a * tf.sin(b), 2.0, 0.5,
         (0.479425538604203, 1.7551651237807455)),
        # the tape does not see through tf.stop_gradient: (b, a), not (b + 2a, a)
        ("a*b + tf.stop_gradient(a*a)", lambda a, b: a * b + tf.stop_gradient(a * a), 1.5, -2.0,
         (-2.0, 1.5)),
    )


def check_gradient_of(gradient_of) -> None:
    __tracebackhide__ = True
    task = "gradient_of"
    for text, f, a, b, expected in _gradient_cases():
        what = f"gradient_of({text}, {a}, {b})"
        got = call(gradient_of, f, a, b, task=task, name="gradient_of")
        d_a, d_b = _pair(got, task, "gradient_of", "(df/da, df/db)")
        if d_a is None or d_b is None:
            fail(task, f"{what}: tape.gradient returned None: the tape did not watch a or b",
                 expected, got,
                 "a GradientTape records operations only on trainable tf.Variables and on "
                 "tensors you tape.watch(); make a = tf.Variable(a) and b = tf.Variable(b) "
                 "before the `with` block and call f(a, b) inside it")
        got = (d_a, d_b)
        if _close(got, expected[::-1], rtol=1e-5, atol=1e-4):
            fail(task, f"{what}: the two derivatives are in the wrong order", expected, got,
                 "return (df/da, df/db): tape.gradient(y, [a, b]) keeps the order of the list")
        if "stop_gradient" in text:
            hint = ("tf.stop_gradient hides a*a from the tape, so the tape's answer is (b, a); "
                    "finite differences or derivatives by hand give (b + 2a, a). Compute the "
                    "derivatives with tf.GradientTape")
        else:
            hint = ("compute y = f(a, b) inside the tape, then tape.gradient(y, [a, b]); "
                    "differentiate the function f you are given, at the point (a, b) you are "
                    "given, and do not hard-code the derivatives of x = a*a*b + b + 2")
        expect_close(got, expected, task, what, hint, rtol=1e-5, atol=1e-4)
    passed(task, "GradientTape derivatives match for three functions at four points")


# --- Task 5: build_model -----------------------------------------------------------------

# A fixed batch and starting weights; expected values from the answer key (NumPy, float64).
FIT_X = [[-1.0], [0.0], [2.0], [3.0]]
FIT_Y = [[1.0], [0.0], [2.0], [7.0]]
FIT_W0, FIT_B0, FIT_STEPS = 1.5, 0.5, 5
FIT_MSE, FIT_MAE = 2.625, 1.5  # of 1.5 x + 0.5 on the batch
FIT_SGD = (1.51992799145, 0.5471639437)  # (w, b) after 5 steps of SGD, learning rate 0.01
FIT_MOMENTUM = (1.54977962345, 0.6225649357)  # ... of SGD with momentum 0.9
OPTIMIZER_DEFAULTS = {"momentum": 0.0, "nesterov": False, "weight_decay": None,
                      "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                      "use_ema": False, "gradient_accumulation_steps": None}


def _model_layers(model, task):
    __tracebackhide__ = True
    import keras

    if not isinstance(model, keras.Sequential):
        fail(task, "build_model should return a keras.Sequential model", "keras.Sequential",
             type(model).__name__)
    if not model.built:
        fail(task, "the model does not know its input shape yet",
             hint="start the Sequential with keras.Input(shape=(1,))")
    names = [type(layer).__name__ for layer in model.layers]
    if names != ["Dense"]:
        fail(task, "the model should be a single Dense layer", ["Dense"], names,
             "keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(units=1)])")
    unit = model.layers[0]
    if tuple(model.input_shape) != (None, 1):
        fail(task, "the model should take one number per sample", (None, 1),
             tuple(model.input_shape), "the input is one number per sample: "
             "keras.Input(shape=(1,)), not one feature per training point")
    if unit.units != 1:
        fail(task, "the Dense layer should have exactly one unit (one output)", 1, unit.units,
             "keras.layers.Dense(units=1): one weight and one bias")
    if unit.activation is not keras.activations.linear:
        fail(task, "the unit should be linear (no activation)", "linear",
             getattr(unit.activation, "__name__", unit.activation),
             "y = w*x + b can be any number; leave activation out")
    if model.count_params() != 2 or not unit.use_bias:
        fail(task, "the model should have 2 parameters (one weight, one bias)", 2,
             model.count_params(), "keep the bias: y = w*x + b")
    return unit


def _compiled(model, task):
    __tracebackhide__ = True
    import keras

    config = model.get_compile_config() if getattr(model, "compiled", False) else None
    if getattr(model, "optimizer", None) is None or not config:
        fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
    optimizer = model.optimizer
    if type(optimizer) is not keras.optimizers.SGD:
        fail(task, "the optimizer should be plain SGD", "SGD", type(optimizer).__name__,
             "compile with optimizer=keras.optimizers.SGD(learning_rate=0.01)")
    lr = float(np.asarray(optimizer.learning_rate))
    if not math.isclose(lr, 0.01, rel_tol=1e-6):
        fail(task, "the learning rate should be 0.01", 0.01, lr,
             "keras.optimizers.SGD(learning_rate=0.01)")
    settings = optimizer.get_config()
    changed = {key: settings.get(key) for key, value in OPTIMIZER_DEFAULTS.items()
               if settings.get(key) != value}
    if changed:
        fail(task, "SGD should be plain gradient descent: no other settings",
             {key: OPTIMIZER_DEFAULTS[key] for key in changed}, changed,
             "pass only the learning rate: keras.optimizers.SGD(learning_rate=0.01)")
    metrics = [m for key in ("metrics", "weighted_metrics") for m in (config.get(key) or [])]
    if metrics:
        fail(task, "the model should be compiled without metrics", "no metrics", metrics,
             "the loss is all we watch here; accuracy means nothing for a regression")
    return config


def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    task = "build_model"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = call(build_model, task=task, name="build_model")
    unit = _model_layers(model, task)
    _compiled(model, task)

    x = np.array(FIT_X, dtype="float32")
    y = np.array(FIT_Y, dtype="float32")
    unit.set_weights([np.array([[FIT_W0]], dtype="float32"), np.array([FIT_B0], dtype="float32")])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        loss = float(model.evaluate(x, y, verbose=0, return_dict=True)["loss"])
        if not math.isclose(loss, FIT_MSE, rel_tol=1e-5):
            hint = 'compile with loss="mean_squared_error"'
            if math.isclose(loss, FIT_MAE, rel_tol=1e-5):
                hint = "that is the mean ABSOLUTE error; " + hint
            fail(task, "the loss of y = 1.5x + 0.5 on a fixed batch should be the mean squared "
                 "error", FIT_MSE, loss, hint)
        for _ in range(FIT_STEPS):
            model.train_on_batch(x, y)
    got = [float(unit.get_weights()[0].reshape(-1)[0]), float(unit.get_weights()[1][0])]
    hint = ("compile with optimizer=keras.optimizers.SGD(learning_rate=0.01): plain gradient "
            "descent; Adam, momentum or another learning rate take different steps")
    if _close(got, FIT_MOMENTUM, rtol=1e-4):
        hint = "those are the steps of SGD with momentum: leave momentum at 0"
    expect_close(got, FIT_SGD, task, f"(w, b) after {FIT_STEPS} training steps on a fixed batch "
                 f"from w = {FIT_W0}, b = {FIT_B0}", hint, rtol=1e-4, atol=1e-6)
    passed(task, "one linear unit, 2 parameters, MSE loss, plain SGD with learning rate 0.01")


# --- Task 6: SimpleDense -----------------------------------------------------------------

# (input width, units, batch size, activation); None means the default (no activation).
# keras.layers.Dense with the same weights copied in is the reference for every output.
LAYER_CASES = ((3, 2, 4, None), (1, 3, 2, "relu"), (5, 1, 3, "tanh"), (4, 4, 1, None),
               (2, 5, 6, "sigmoid"))
LAYER_HINT = ("in build(self, input_shape) create self.kernel = self.add_weight(shape="
              "(input_shape[-1], self.units), initializer=\"glorot_uniform\") and self.bias = "
              "self.add_weight(shape=(self.units,), initializer=\"zeros\")")


def _make_layer(SimpleDense, units, activation, task):
    __tracebackhide__ = True
    if activation is None:
        return call(SimpleDense, units, task=task, name="SimpleDense")
    return call(SimpleDense, units, activation=activation, task=task, name="SimpleDense")


def _layer_output(layer, x, task, what):
    __tracebackhide__ = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got = layer(x)
        except Exception as exc:
            if "new elements of state" in str(exc):  # add_weight called in call
                fail(task, f"{what}: Keras refused to create weights during call",
                     hint="create the weights once, in build(self, input_shape); call only "
                     "computes with them")
            got = call(layer, x, task=task, name=what)  # reports the call and the error
    try:
        return np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        fail(task, f"{what} should return a tensor of numbers", "a tensor", type(got).__name__)


def _weights_of(layer, width, units, task):
    """The layer's (kernel, bias) variables, after checking how build made them."""
    __tracebackhide__ = True
    names = [getattr(v, "path", getattr(v, "name", "?")) for v in layer.weights]
    if len(layer.weights) != 2:
        fail(task, f"after one call on inputs of width {width} the layer should hold exactly two "
             "weights, made with self.add_weight", 2, names,
             "a weight Keras does not track (a plain tf.Variable) never trains; " + LAYER_HINT)
    kernel, bias = getattr(layer, "kernel", None), getattr(layer, "bias", None)
    if not any(v is kernel for v in layer.weights) or not any(v is bias for v in layer.weights):
        fail(task, "the weights should be the attributes self.kernel and self.bias",
             hint=LAYER_HINT)
    shapes = (tuple(kernel.shape), tuple(bias.shape))
    if shapes != ((width, units), (units,)):
        hint = LAYER_HINT
        if shapes[0] == (units, width):
            hint = ("the kernel is transposed: it maps input_shape[-1] inputs to units outputs, "
                    "shape (input_shape[-1], units), and call computes inputs @ kernel")
        fail(task, f"kernel and bias shapes for inputs of width {width} and units={units}",
             ((width, units), (units,)), shapes, hint)
    if len(layer.trainable_weights) != 2:
        fail(task, "both weights should be trainable", "kernel and bias trainable",
             [getattr(v, "path", "?") for v in layer.trainable_weights],
             "leave trainable at its default (True) in add_weight: training only changes "
             "trainable weights")
    return kernel, bias


def _check_initial_values(kernel, bias, width, units, task):
    __tracebackhide__ = True
    k, b = np.asarray(kernel, dtype=float), np.asarray(bias, dtype=float)
    if not _close(b, np.zeros(units)):
        fail(task, "the bias should start at zero", np.zeros(units), b,
             'add_weight(shape=(self.units,), initializer="zeros")')
    limit = math.sqrt(6.0 / (width + units))  # glorot_uniform draws from [-limit, limit]
    if k.size > 1 and (k.max() - k.min() < 1e-6 or np.abs(k).max() > limit + 1e-6):
        fail(task, "the kernel should start random, drawn by glorot_uniform",
             f"values in [-{limit:.3f}, {limit:.3f}], not all equal", k,
             'add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform")')


def _compare_with_dense(layer, kernel, bias, x, activation, task, what):
    __tracebackhide__ = True
    import keras

    rng = np.random.default_rng(x.shape[0] * 10 + x.shape[1])
    k = rng.normal(size=tuple(kernel.shape)).astype("float32")
    b = rng.normal(size=tuple(bias.shape)).astype("float32")
    kernel.assign(k)
    bias.assign(b)
    dense = keras.layers.Dense(k.shape[1], activation=activation)
    dense.build((None, k.shape[0]))
    dense.set_weights([k, b])
    expected = np.asarray(dense(x), dtype=float)
    got = _layer_output(layer, x, task, what)
    if got.shape != expected.shape:
        fail(task, f"{what}: output shape", expected.shape, got.shape,
             "call returns activation(inputs @ self.kernel + self.bias): (batch, units)")
    act = keras.activations.get(activation)
    hint = "call returns activation(inputs @ self.kernel + self.bias)"
    if _close(got, np.asarray(act(x @ k), dtype=float), atol=1e-5, rtol=1e-5):
        hint = "the bias is missing: add self.bias after the matrix product"
    elif activation is not None and _close(got, x @ k + b, atol=1e-5, rtol=1e-5):
        hint = f"the activation {activation!r} is not applied: keras.activations.get(activation)"
    elif k.shape[0] == k.shape[1] and _close(got, np.asarray(act(x @ k.T + b), dtype=float),
                                             atol=1e-5, rtol=1e-5):
        hint = "the kernel is used transposed: compute inputs @ self.kernel"
    expect_close(got, expected, task, f"{what} with the weights of a Dense layer copied in",
                 hint, atol=1e-5, rtol=1e-5)
    return (k, b), got


def _check_training(SimpleDense, task):
    """Two SimpleDense layers in a model take the same SGD steps as two Dense layers."""
    __tracebackhide__ = True
    import keras

    rng = np.random.default_rng(6)
    x = rng.uniform(-1, 1, size=(8, 2)).astype("float32")
    y = (2 * x[:, :1] - x[:, 1:] - 1).astype("float32")  # a plane: y = 2 x1 - x2 - 1
    start = [rng.normal(scale=0.5, size=s).astype("float32") for s in ((2, 3), (3,), (3, 1), (1,))]

    def trained(make):
        model = keras.Sequential([keras.Input(shape=(2,)), make(3, "tanh"), make(1, None)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1),
                      loss="mean_squared_error")
        model.set_weights(start)
        losses = [float(model.train_on_batch(x, y)) for _ in range(5)]
        return model.get_weights(), losses

    def student(units, activation):
        return _make_layer(SimpleDense, units, activation, task)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            got, losses = trained(student)
        except Exception as exc:  # the layer fails inside a compiled model
            fail(task, "a Sequential model of two SimpleDense layers could not train: "
                 f"{type(exc).__name__}: {str(exc)[:300]}",
                 hint="create the weights once, in build; call only computes with them")
        expected, _ = trained(lambda units, activation: keras.layers.Dense(units, activation))
    if all(_close(g, s) for g, s in zip(got, start, strict=True)):
        fail(task, "the weights did not change in 5 training steps", hint="make the weights "
             "trainable (the default of add_weight) and keep them in self.kernel, self.bias")
    for got_w, expected_w in zip(got, expected, strict=True):
        expect_close(got_w, expected_w, task, "weights after 5 SGD steps of a model "
                     "[SimpleDense(3, 'tanh'), SimpleDense(1)], compared with Dense layers",
                     "the layer should compute exactly what Dense does", atol=1e-5, rtol=1e-4)
    return losses


def _check_config(SimpleDense, layer, units, activation, x, weights, task):
    __tracebackhide__ = True
    config = call(layer.get_config, task=task, name="get_config")
    if not isinstance(config, dict) or config.get("units") != units or "activation" not in config:
        fail(task, "get_config() should return the base config plus units and activation",
             {"units": units, "activation": activation},
             {k: config.get(k) for k in ("units", "activation")} if isinstance(config, dict)
             else config,
             "config = super().get_config(); config.update(units=self.units, activation="
             "keras.activations.serialize(self.activation)); return config")
    clone = call(SimpleDense.from_config, config, task=task, name="SimpleDense.from_config")
    _layer_output(clone, x, task, "the layer rebuilt by from_config")
    if len(clone.weights) == 2:
        clone.kernel.assign(weights[0])
        clone.bias.assign(weights[1])
    expect_close(_layer_output(clone, x, task, "the rebuilt layer"),
                 _layer_output(layer, x, task, "the layer"), task,
                 f"SimpleDense.from_config(layer.get_config()) for units={units}, "
                 f"activation={activation!r}, with the same weights",
                 "get_config must record units and activation so that from_config builds "
                 "the same layer", atol=1e-6, rtol=1e-6)


def check_simple_dense(SimpleDense) -> None:
    __tracebackhide__ = True
    import keras

    task = "SimpleDense"
    if not isinstance(SimpleDense, type) or not issubclass(SimpleDense, keras.layers.Layer):
        fail(task, "SimpleDense should be a class that subclasses keras.layers.Layer",
             "class SimpleDense(keras.layers.Layer)", type(SimpleDense).__name__)
    if issubclass(SimpleDense, keras.layers.Dense):
        fail(task, "SimpleDense should be written from keras.layers.Layer, not inherit Dense",
             hint="class SimpleDense(keras.layers.Layer): write __init__, build and call")
    rng = np.random.default_rng(61)
    for width, units, batch, activation in LAYER_CASES:
        layer = _make_layer(SimpleDense, units, activation, task)
        if not isinstance(layer, keras.layers.Layer):
            fail(task, "SimpleDense(...) should create a Keras layer", "a keras.layers.Layer",
                 type(layer).__name__)
        if layer.weights:
            fail(task, "the layer has weights before it has seen an input",
                 "no weights until build", [tuple(v.shape) for v in layer.weights],
                 "create the weights in build(self, input_shape), where input_shape[-1] tells "
                 "the input width; __init__ does not know it yet")
        x = rng.normal(size=(batch, width)).astype("float32")
        what = f"SimpleDense({units}, activation={activation!r}) on a ({batch}, {width}) batch"
        _layer_output(layer, x, task, what)
        if any(True for _ in layer._flatten_layers(include_self=False)):
            fail(task, "SimpleDense should hold its own weights, not a layer inside it",
                 hint="no keras.layers.Dense inside: " + LAYER_HINT)
        kernel, bias = _weights_of(layer, width, units, task)
        _check_initial_values(kernel, bias, width, units, task)
        weights, first = _compare_with_dense(layer, kernel, bias, x, activation, task, what)
        again = _layer_output(layer, x, task, what)
        if len(layer.weights) != 2 or not _close(again, first):
            fail(task, "a second call changed the layer's weights",
                 hint="create the weights once, in build, not in call")
    _check_config(SimpleDense, layer, units, activation, x, weights, task)
    losses = _check_training(SimpleDense, task)
    passed(task, f"weights made in build, equal to Dense on {len(LAYER_CASES)} cases; "
           f"a model of two SimpleDense layers trains (loss {losses[0]:.3f} -> {losses[-1]:.3f})")
