"""Checks for lab 19 (autoencoders).

Stored cases with their expected values pasted as literals (computed once with the course's
answer key), and properties: a model is judged by its configuration (layer types and order,
units and filters, strides, padding, activations, the loss, the optimizer and its learning
rate) and by the shape of what it returns; noise by what a given generator draws.
"""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import (
    blame_earlier,
    call,
    close,
    fail,
    graded_alone,
    passed,
    quiet,
    require_callable,
    strict_numpy,
)


def _array(value, task: str, what: str) -> np.ndarray:
    __tracebackhide__ = True
    if not isinstance(value, np.ndarray):
        fail(task, f"{what} should be a NumPy array", "numpy.ndarray", type(value).__name__)
    try:
        return np.array(value, dtype=float, subok=False)
    except (TypeError, ValueError):
        fail(task, f"{what} should hold numbers", hint="return a float array")


def _pair(result, task: str, name: str, what: str = "a pair"):
    __tracebackhide__ = True
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(task, f"{name} should return {what}", "a tuple of 2", type(result).__name__)
    return result


def _unchanged(before: np.ndarray, after: np.ndarray, task: str, name: str, hint: str) -> None:
    __tracebackhide__ = True
    if not (after.shape == before.shape and after.dtype == before.dtype
            and np.array_equal(after, before)):
        fail(task, f"{name} changed the array it was given", hint=hint)


# -- Task 1: standardize -----------------------------------------------------------------------

# 4 training rows (the last column is constant) and 2 other rows
_TRAIN = [[1.0, 10.0, 5.0], [2.0, 14.0, 5.0], [4.0, 12.0, 5.0], [5.0, 20.0, 5.0]]
_OTHER = [[3.0, 8.0, 6.0], [0.0, 16.0, 4.0]]
_Z_TRAIN = [[-1.2649110640673518, -1.0690449676496976, 0.0],
            [-0.6324555320336759, 0.0, 0.0],
            [0.6324555320336759, -0.5345224838248488, 0.0],
            [1.2649110640673518, 1.6035674514745464, 0.0]]
_Z_OTHER = [[0.0, -1.6035674514745464, 1.0], [-1.8973665961010275, 0.5345224838248488, -1.0]]


def check_standardize(standardize) -> None:
    __tracebackhide__ = True
    task = "standardize"
    train, other = np.array(_TRAIN), np.array(_OTHER)
    saved = train.copy(), other.copy()
    require_callable(standardize, task, "standardize")
    with strict_numpy():
        try:
            result = standardize(train, other)
        except NotImplementedError:
            fail(task, "standardize is not written yet", hint="replace `raise "
                 "NotImplementedError()` in the answer cell with your code, then run the cell")
        except (FloatingPointError, RuntimeWarning) as exc:
            fail(task, f"standardize divided by zero: {exc}",
                 hint="the last training column is constant (std 0): divide such a column "
                      "by 1 instead, so it becomes 0 and stays finite")
        except Exception as exc:
            fail(task, f"standardize(X_train, X_other) raised {type(exc).__name__}: {exc}")
    got_train, got_other = _pair(result, task, "standardize", "(Z_train, Z_other)")
    got_train = _array(got_train, task, "Z_train")
    got_other = _array(got_other, task, "Z_other")
    _unchanged(saved[0], train, task, "standardize", "compute new arrays: X - mean (X -= "
               "mean changes the caller's data)")
    _unchanged(saved[1], other, task, "standardize", "compute new arrays: X - mean (X -= "
               "mean changes the caller's data)")
    if got_train.shape != train.shape or got_other.shape != other.shape:
        fail(task, "the standardised arrays have the wrong shapes",
             f"{train.shape} and {other.shape}", f"{got_train.shape} and {got_other.shape}",
             "scale each column; keep every row")
    if not np.isfinite(got_train).all() or not np.isfinite(got_other).all():
        fail(task, "standardize returned NaN or inf for a constant training column",
             hint="a column whose training std is 0 is divided by 1 instead")
    rows = np.vstack([train, other])
    everything = (rows - rows.mean(axis=0)) / np.where(rows.std(axis=0) == 0, 1, rows.std(0))
    if close(got_other, everything[len(train):], atol=1e-9):
        fail(task, "the mean and std come from the training AND the other rows",
             np.array(_Z_OTHER), got_other,
             "fit the statistics on X_train only, then apply them to both arrays: the other "
             "rows stand for new data the model never saw")
    sample_std = train.std(axis=0, ddof=1)
    if close(got_train[:, 0], (train[:, 0] - train[:, 0].mean()) / sample_std[0], atol=1e-9):
        fail(task, "the std is the sample std (ddof=1)", np.array(_Z_TRAIN), got_train,
             "standardising uses the population std, X_train.std(axis=0) (ddof=0), as "
             "scikit-learn's StandardScaler does")
    if not close(got_train, _Z_TRAIN, atol=1e-9):
        fail(task, "wrong standardised training rows", np.array(_Z_TRAIN), got_train,
             "(X_train - mean) / std, column by column (axis=0), a std of 0 replaced by 1")
    if not close(got_other, _Z_OTHER, atol=1e-9):
        fail(task, "wrong standardised other rows", np.array(_Z_OTHER), got_other,
             "the other rows use the TRAINING mean and std")
    passed(task, "training statistics only, population std, constant columns kept finite")


# -- Task 2: reconstruction_mse ----------------------------------------------------------------

_X = [[0.0, 1.0, 2.0], [1.0, -1.0, 0.5]]
_X_HAT = [[0.5, 1.0, 1.0], [1.0, 1.0, 0.0]]
_MSE, _MSE_ROWS = 0.9166666666666666, [0.4166666666666667, 1.4166666666666667]
# two 2x2 one-channel images with pixels 0, 1/8, ..., 7/8, against a grey 0.5
_IMAGE_MSE, _IMAGE_MSE_ROWS = 0.0859375, [0.1171875, 0.0546875]


def _mse_hint(got, x, x_hat) -> str:
    d = (np.asarray(x) - np.asarray(x_hat)) ** 2
    if close(got, d.sum()):
        return "the MEAN of the squared differences, not their sum"
    if close(got, np.sqrt(d.mean())):
        return "that is the root of the mean squared error (RMSE); return the mean itself"
    if close(got, np.abs(np.asarray(x) - np.asarray(x_hat)).mean()):
        return "square the differences (that is the mean absolute error)"
    return "np.mean((X - X_hat) ** 2) over every entry"


def check_reconstruction_mse(reconstruction_mse) -> None:
    __tracebackhide__ = True
    task = "reconstruction_mse"
    x, x_hat = np.array(_X), np.array(_X_HAT)
    got = call(reconstruction_mse, x.copy(), x_hat.copy(), task=task, name=task)
    if not isinstance(got, float | np.floating) or isinstance(got, bool):
        fail(task, "reconstruction_mse(X, X_hat) should return one number (a float)",
             "a float", type(got).__name__, "return float(...) of the mean")
    if not close(float(got), _MSE, atol=1e-12):
        fail(task, "wrong reconstruction error of two rows of 3 features", _MSE, float(got),
             _mse_hint(float(got), x, x_hat))
    rows = _array(call(reconstruction_mse, x.copy(), x_hat.copy(), per_row=True, task=task,
                       name=task), task, "reconstruction_mse(X, X_hat, per_row=True)")
    if rows.shape != (2,):
        hint = ("one value per ROW: the mean over every axis but the first"
                if rows.shape == (3,) else "one value per row, shape (n,)")
        fail(task, "per_row=True should give one error per row", "shape (2,)",
             f"shape {rows.shape}", hint)
    if not close(rows, _MSE_ROWS, atol=1e-12):
        fail(task, "wrong per-row errors", np.array(_MSE_ROWS), rows,
             "row i: the mean of (X[i] - X_hat[i]) ** 2 over its features")
    images = np.arange(8, dtype=float).reshape(2, 2, 2, 1) / 8
    grey = np.full((2, 2, 2, 1), 0.5)
    got = call(reconstruction_mse, images, grey, task=task, name=task)
    if not close(float(np.asarray(got, dtype=float).reshape(-1)[0]), _IMAGE_MSE, atol=1e-12):
        fail(task, "wrong error for images of shape (2, 2, 2, 1)", _IMAGE_MSE, got,
             "the mean over EVERY entry, whatever the number of axes")
    rows = _array(call(reconstruction_mse, images, grey, per_row=True, task=task, name=task),
                  task, "the per-row errors of images")
    if rows.shape != (2,) or not close(rows, _IMAGE_MSE_ROWS, atol=1e-12):
        fail(task, "per_row=True on images of shape (2, 2, 2, 1) should give one error per "
             "image", np.array(_IMAGE_MSE_ROWS), rows,
             "reshape to (n, -1) first, or take the mean over axes 1, 2, 3")
    passed(task, "the mean squared error over every entry, or one per row (image)")


# -- Task 3: build_linear_autoencoder ----------------------------------------------------------

def _layers(model):
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _loss_name(loss) -> str:
    import keras

    if isinstance(loss, keras.losses.Loss):
        return type(loss).__name__
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", repr(loss))
    return {"mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
            "binary_crossentropy": "BinaryCrossentropy"}.get(name, name)


def _compiled(model, task: str, shown: str, loss: str, rate: float, hint: str) -> None:
    __tracebackhide__ = True
    import keras

    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or getattr(model, "loss", None) is None:
        fail(task, f"{shown} is not compiled", hint="call model.compile(optimizer=..., "
             "loss=...) before returning the model")
    got_loss = _loss_name(model.loss)
    if got_loss != loss:
        fail(task, f"{shown} has the wrong loss", loss, got_loss, hint)
    if isinstance(model.loss, keras.losses.BinaryCrossentropy) and \
            model.loss.get_config().get("from_logits"):
        fail(task, f"{shown}: the loss says from_logits=True", "from_logits=False", True,
             "the last layer's sigmoid already gives probabilities in [0, 1]")
    if type(optimizer) is not keras.optimizers.Adam:
        fail(task, f"{shown} should use the Adam optimizer", "Adam", type(optimizer).__name__)
    got_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    if not close(got_rate, rate, rtol=1e-5):
        fail(task, f"{shown} has the wrong learning rate", rate, got_rate,
             "keras.optimizers.Adam(learning_rate=learning_rate)")


@quiet
def check_build_linear_autoencoder(build_linear_autoencoder) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_linear_autoencoder"
    for (n, k), kwargs, rate in (((13, 2), dict(learning_rate=0.005), 0.005),
                                 ((30, 3), {}, 0.001)):
        shown = f"build_linear_autoencoder({n}, {k}" + "".join(
            f", {a}={v}" for a, v in kwargs.items()) + ")"
        model = call(build_linear_autoencoder, n, k, task=task, name=task, **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "a keras.Model",
                 type(model).__name__)
        layers = _layers(model)
        kinds = [type(layer).__name__ for layer in layers]
        if kinds != ["Dense", "Dense"]:
            fail(task, f"{shown} has the wrong layers", ["Dense", "Dense"], kinds,
                 "an encoder Dense(code_size) and a decoder Dense(n_features), nothing else")
        units = [int(layer.units) for layer in layers]
        if units != [k, n]:
            fail(task, f"{shown} has the wrong numbers of units", [k, n], units,
                 "the code has code_size numbers; the output has n_features, like the input")
        acts = [getattr(layer.activation, "__name__", "?") for layer in layers]
        if acts != ["linear", "linear"]:
            fail(task, f"{shown} is not linear", ["linear", "linear"], acts,
                 "a linear autoencoder has no activation function (leave activation=None): "
                 "only then is it the same as PCA")
        if not all(layer.use_bias for layer in layers):
            fail(task, f"{shown}: keep the biases (use_bias=True, the default)")
        if tuple(model.inputs[0].shape[1:]) != (n,):
            fail(task, f"{shown} has the wrong input shape", (n,),
                 tuple(model.inputs[0].shape[1:]), "keras.Input(shape=(n_features,))")
        _compiled(model, task, shown, "MeanSquaredError", rate,
                  "the reconstruction error of PCA is a mean squared error: loss='mse'")
        if model.count_params() != 2 * n * k + n + k:
            fail(task, f"{shown} has the wrong number of parameters", 2 * n * k + n + k,
                 model.count_params())
    passed(task, "Dense(code_size) -> Dense(n_features), both linear, MSE, Adam")


# -- Task 4: principal_angles ------------------------------------------------------------------

_C30, _S30 = 0.8660254037844387, 0.5
# (A, B, angles in degrees, what)
_ANGLE_CASES = (
    ([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]], [0.0, 90.0],
     "the planes x-y and x-z in 3-D: they share the x axis and are otherwise perpendicular"),
    ([[2.0, 1.0], [0.0, 3.0], [0.0, 0.0]], [[3.0, 0.0], [0.0, 2 * _C30], [0.0, 2 * _S30]],
     [0.0, 30.0], "the x-y plane and that plane tilted by 30 degrees about x, neither "
     "basis orthonormal"),
    ([[1.0, 1.0], [1.0, -1.0], [0.0, 0.0], [0.0, 2.0]],
     [[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]],
     [27.367805158622716, 62.63219484137734], "two planes in 4-D"),
    ([[1.0], [0.0], [1.0]], [[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]], [45.0],
     "a line (one column) and a plane (two): one angle"),
    ([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 0.0]], [[4.0, 3.0], [10.0, 7.0], [16.0, 11.0],
                                                        [2.0, 1.0]],
     [0.0, 0.0], "the same plane, given by two different bases"),
)


def _angle_hint(got, a, b) -> str:
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(all="ignore"):
        raw = np.sort(np.degrees(np.arccos(np.clip(
            np.linalg.svd(a.T @ b, compute_uv=False), -1, 1))))
    if got.shape == raw.shape and close(got, raw, atol=1e-6):
        return ("orthonormalise each basis first (np.linalg.qr(A)[0]): the singular values "
                "of A.T @ B are cosines only for orthonormal columns")
    return ("Q_A, Q_B = the Q of np.linalg.qr of each; the singular values of Q_A.T @ Q_B "
            "are the cosines of the angles (scipy.linalg.subspace_angles does it all, in "
            "radians)")


def check_principal_angles(principal_angles) -> None:
    __tracebackhide__ = True
    task = "principal_angles"
    for a, b, want, what in _ANGLE_CASES:
        with np.errstate(all="ignore"):
            got = call(principal_angles, np.array(a), np.array(b), task=task, name=task)
        got = np.asarray(got, dtype=float).reshape(-1) if np.ndim(got) else np.array([got])
        want = np.array(want)
        if np.isnan(got).any():
            fail(task, f"NaN angles for {what}", want, got,
                 "rounding can make a cosine 1.0000000002: np.clip the cosines to [-1, 1] "
                 "before np.arccos")
        if got.shape == want.shape and want.max() > 1 and close(np.degrees(got), want,
                                                                 atol=1e-4):
            fail(task, f"the angles of {what} are in radians", want, got,
                 "return degrees: np.degrees(...)")
        if got.shape == want.shape and close(got[::-1], want, atol=1e-4) and \
                not close(got, want, atol=1e-4):
            fail(task, f"the angles of {what} are in the wrong order", want, got,
                 "smallest first: np.sort(...) (SciPy returns them largest first)")
        if got.shape != want.shape:
            fail(task, f"wrong number of angles for {what}", f"shape {want.shape}",
                 f"shape {got.shape}", "min(k, m) angles for bases of k and m columns")
        if not close(got, want, atol=1e-4, rtol=0.0):
            fail(task, f"wrong angles for {what}", want, got, _angle_hint(got, a, b))
    passed(task, "principal angles in degrees, smallest first, for any bases")


# -- Task 5: build_conv_autoencoder ------------------------------------------------------------

_CONV_KINDS = ["Conv2D", "Conv2D", "Flatten", "Dense", "Dense", "Reshape", "Conv2DTranspose",
               "Conv2DTranspose", "Conv2D"]
# (input shape, filters, code size, learning rate given?, parameter count)
_CONV_CASES = (((28, 28, 1), (16, 8), 32, 0.002, 28729),
               ((16, 12, 3), (6, 4), 5, None, 1456))


@quiet
def check_build_conv_autoencoder(build_conv_autoencoder) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_conv_autoencoder"
    for shape, (f1, f2), code, rate, count in _CONV_CASES:
        kwargs = dict(learning_rate=rate) if rate else {}
        shown = f"build_conv_autoencoder({shape}, {(f1, f2)}, {code}" + (
            f", learning_rate={rate})" if rate else ")")
        model = call(build_conv_autoencoder, shape, (f1, f2), code, task=task, name=task,
                     **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "a keras.Model",
                 type(model).__name__)
        layers = _layers(model)
        kinds = [type(layer).__name__ for layer in layers]
        if kinds != _CONV_KINDS:
            hint = "Conv2D, Conv2D, Flatten, Dense (the code), Dense, Reshape, " \
                   "Conv2DTranspose, Conv2DTranspose, Conv2D (the output), in that order"
            if "UpSampling2D" in kinds:
                hint = "the decoder upsamples with strided Conv2DTranspose layers, not " \
                       "UpSampling2D: " + hint
            fail(task, f"{shown} has the wrong layers", _CONV_KINDS, kinds, hint)
        h, w, c = shape
        convs = [layers[i] for i in (0, 1, 6, 7, 8)]
        want = [(f1, (2, 2)), (f2, (2, 2)), (f2, (2, 2)), (f1, (2, 2)), (c, (1, 1))]
        got = [(int(layer.filters), tuple(layer.strides)) for layer in convs]
        if got != want:
            fail(task, f"{shown}: wrong (filters, strides) of the five convolutions", want,
                 got, "encoder f1 then f2 filters, each halving the image (strides=2); the "
                 "decoder mirrors it (f2 then f1, strides=2); the last Conv2D has one filter "
                 "per input channel and stride 1")
        for layer in convs:
            if tuple(layer.kernel_size) != (3, 3) or layer.padding != "same":
                fail(task, f"{shown}: every convolution is 3x3 with padding='same'",
                     "kernel (3, 3), 'same'", (tuple(layer.kernel_size), layer.padding),
                     "padding='same' with strides=2 halves 28 -> 14 -> 7 and doubles 7 -> "
                     "14 -> 28 exactly")
        acts = [getattr(layer.activation, "__name__", "?") for layer in layers
                if hasattr(layer, "activation")]
        want_acts = ["relu", "relu", "linear", "relu", "relu", "relu", "sigmoid"]
        if acts != want_acts:
            hint = "ReLU inside, a linear code, and a sigmoid output"
            if acts[-1] != "sigmoid":
                hint = ("the output must be a pixel value in [0, 1]: the last Conv2D needs "
                        "activation='sigmoid', which binary cross-entropy expects")
            fail(task, f"{shown} has the wrong activations", want_acts, acts, hint)
        if int(layers[3].units) != code:
            fail(task, f"{shown}: the code layer has the wrong size", code,
                 int(layers[3].units), "Dense(code_size), with no activation")
        small = (h // 4, w // 4, f2)
        if int(layers[4].units) != small[0] * small[1] * small[2] or \
                tuple(layers[5].target_shape) != small:
            fail(task, f"{shown}: the decoder must rebuild the encoder's last feature maps",
                 f"Dense({small[0] * small[1] * small[2]}) then Reshape({small})",
                 f"Dense({layers[4].units}) then Reshape({tuple(layers[5].target_shape)})",
                 "height // 4, width // 4, f2: the shape before Flatten")
        if tuple(model.inputs[0].shape[1:]) != tuple(shape) or \
                tuple(model.outputs[0].shape[1:]) != tuple(shape):
            fail(task, f"{shown}: input and output should both have shape {shape}", shape,
                 (tuple(model.inputs[0].shape[1:]), tuple(model.outputs[0].shape[1:])))
        _compiled(model, task, shown, "BinaryCrossentropy", rate or 0.001,
                  "pixels in [0, 1] against a sigmoid output: "
                  "keras.losses.BinaryCrossentropy()")
        if model.count_params() != count:
            fail(task, f"{shown} has the wrong number of parameters", count,
                 model.count_params(), "keep the biases and 3x3 kernels everywhere")
    passed(task, "strided Conv2D encoder, a Dense code, Conv2DTranspose decoder, sigmoid, "
                 "binary cross-entropy")


# -- Task 6: add_noise -------------------------------------------------------------------------

_IMAGES = [[[0.0, 0.2, 1.0], [0.5, 0.9, 0.05]], [[1.0, 1.0, 0.3], [0.0, 0.0, 0.7]]]
# add_noise(_IMAGES, 0.5, np.random.default_rng(19)) and (0.1, default_rng(7))
_NOISY_19 = [[[0.0, 0.6970393657684326, 1.0], [0.19091814756393433, 1.0, 0.0]],
             [[1.0, 0.719085156917572, 0.6157265901565552],
              [0.21954531967639923, 0.0, 0.9641843438148499]]]
_NOISY_7 = [[[0.0001230153429787606, 0.22987455129623413, 0.9725862145423889],
             [0.41094082593917847, 0.8545328974723816, 0.0]],
            [[1.0, 1.0, 0.2507793605327606],
             [0.0, 0.04898420348763466, 0.7356886863708496]]]


def _noisy(add_noise, images, stddev, rng, task):
    __tracebackhide__ = True
    before = images.copy()
    got = call(add_noise, images, stddev, rng, task=task, name="add_noise")
    _unchanged(before, images, task, "add_noise", "compute a new array: images + noise "
               "(images += noise, or np.clip(..., out=images), changes the caller's images)")
    if not isinstance(got, np.ndarray) or got.dtype != np.float32:
        fail(task, "add_noise should return a float32 NumPy array", "float32 ndarray",
             getattr(got, "dtype", type(got).__name__), "np.clip(...).astype(np.float32)")
    if got.shape != images.shape:
        fail(task, "add_noise changed the shape", images.shape, got.shape)
    return np.array(got, dtype=float)


def check_add_noise(add_noise) -> None:
    __tracebackhide__ = True
    task = "add_noise"
    images = np.array(_IMAGES, dtype=np.float32)
    np.random.seed(0)
    got = _noisy(add_noise, images, 0.5, np.random.default_rng(19), task)
    if close(got, images, atol=1e-7):
        fail(task, "add_noise returned the images without noise", hint="add "
             "rng.normal(0.0, stddev, size=images.shape)")
    if got.min() < 0.0 or got.max() > 1.0:
        fail(task, "noisy pixels fall outside [0, 1]", "values in [0, 1]",
             f"min {got.min():.3f}, max {got.max():.3f}",
             "clip the result: np.clip(images + noise, 0.0, 1.0); a pixel is never darker "
             "than black or brighter than white")
    np.random.seed(1)
    again = _noisy(add_noise, images, 0.5, np.random.default_rng(19), task)
    if not close(got, again, atol=0.0):
        fail(task, "two calls with generators of the same seed gave different noise",
             hint="draw the noise with the rng you are given (rng.normal(...)), never with "
                  "np.random.*: then the same seed gives the same noise")
    if not close(got, _NOISY_19, atol=1e-6):
        fail(task, "wrong noisy images for stddev=0.5, rng=np.random.default_rng(19)",
             np.array(_NOISY_19), got.astype(np.float32),
             "noise = rng.normal(0.0, stddev, size=images.shape), drawn once; then "
             "np.clip(images + noise, 0.0, 1.0)")
    rng = np.random.default_rng(7)
    got = _noisy(add_noise, images, 0.1, rng, task)
    if not close(got, _NOISY_7, atol=1e-6):
        fail(task, "wrong noisy images for stddev=0.1, rng=np.random.default_rng(7)",
             np.array(_NOISY_7), got.astype(np.float32),
             "the noise's standard deviation is the stddev argument")
    passed(task, "Gaussian noise of the given stddev from the given rng, clipped to [0, 1], "
                 "the input untouched")


# -- Task 7: denoising_pairs -------------------------------------------------------------------

_CLEAN = [[[0.0, 0.5], [1.0, 0.25]], [[0.75, 0.0], [0.5, 1.0]]]
# denoising_pairs(_CLEAN, 0.3, np.random.default_rng(5), copies=2)[0]
_PAIRS_NOISY = [[[0.0, 0.10269229859113693], [0.9254915118217468, 0.3761335611343384]],
                [[1.0, 0.03291191905736923], [0.3342058062553406, 0.7645658850669861]],
                [[0.22462372481822968, 0.9904348850250244], [1.0, 0.0]],
                [[0.46252045035362244, 0.48000574111938477],
                 [0.5608647465705872, 0.4803595542907715]]]


def _add_noise_ok(fn, name) -> bool:
    add_noise = fn.__globals__.get(name)
    images = np.array(_IMAGES, dtype=np.float32)
    try:
        got = add_noise(images, 0.5, np.random.default_rng(19))
        return close(got, _NOISY_19, atol=1e-6) and close(images, _IMAGES, atol=0.0)
    except Exception:
        return False


@graded_alone
def check_denoising_pairs(denoising_pairs) -> None:
    __tracebackhide__ = True
    task = "denoising_pairs"
    blame_earlier(denoising_pairs, task, ["add_noise"], _add_noise_ok)
    clean = np.array(_CLEAN, dtype=np.float32)
    before = clean.copy()
    result = call(denoising_pairs, clean, 0.3, np.random.default_rng(5), copies=2,
                  task=task, name=task)
    _unchanged(before, clean, task, "denoising_pairs", "leave the images as they are")
    inputs, targets = _pair(result, task, task, "(noisy inputs, clean targets)")
    inputs, targets = _array(inputs, task, "the inputs"), _array(targets, task, "the targets")
    tiled = np.concatenate([before, before])
    if inputs.shape != (4, 2, 2) or targets.shape != (4, 2, 2):
        fail(task, "2 images with copies=2 should give 4 pairs",
             "inputs and targets of shape (4, 2, 2)", (inputs.shape, targets.shape),
             "np.concatenate([images] * copies): the whole set, copies times")
    if close(targets, _PAIRS_NOISY, atol=1e-6) or (
            not close(targets, tiled, atol=0.0) and close(inputs, _PAIRS_NOISY, atol=1e-6)):
        fail(task, "the targets are noisy", np.array(tiled), targets,
             "noise goes on the inputs only: the model must learn to output the CLEAN image")
    if close(inputs, tiled, atol=0.0):
        fail(task, "the inputs have no noise", hint="inputs = add_noise(repeated images, "
             "stddev, rng)")
    if close(targets, np.repeat(before, 2, axis=0), atol=0.0):
        fail(task, "the copies are in the wrong order", tiled, targets,
             "whole set after whole set: np.concatenate([images] * copies), not np.repeat")
    if not close(targets, tiled, atol=0.0):
        fail(task, "wrong targets", tiled, targets, "the clean images, repeated copies times")
    if not close(inputs, _PAIRS_NOISY, atol=1e-6):
        fail(task, "wrong noisy inputs for stddev=0.3, rng=np.random.default_rng(5), copies=2",
             np.array(_PAIRS_NOISY, dtype=np.float32), inputs.astype(np.float32),
             "one call: add_noise(np.concatenate([images] * copies), stddev, rng), so the "
             "noise of every copy is new")
    passed(task, "noisy inputs, clean targets, copies whole set after whole set")
