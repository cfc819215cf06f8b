"""Reference answers of lab 19 (autoencoders) and the helpers its hidden tests use.

The tasks: ``standardize`` (statistics of the training rows only), ``reconstruction_mse``
(all entries, or one value per row), ``principal_angles`` (between two column spaces, in
degrees), ``build_linear_autoencoder`` (Dense -> Dense, both linear),
``build_conv_autoencoder`` (two strided Conv2D, a Dense code, two strided Conv2DTranspose,
a sigmoid Conv2D), ``add_noise`` (clipped Gaussian noise from a given generator) and
``denoising_pairs``. ``tests/test_autoencoders.py`` checks them against scikit-learn, SciPy
and Keras. Keras is imported only when first used.
"""

from __future__ import annotations

import numpy as np

# -- Task 1: standardize ----------------------------------------------------------------------


def standardize(X_train, X_other):
    """Both arrays scaled with the training rows' mean and population std (a std of 0 -> 1)."""
    X_train = np.asarray(X_train, dtype=float)
    X_other = np.asarray(X_other, dtype=float)
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_other - mean) / std


# -- Task 2: reconstruction_mse ---------------------------------------------------------------

def reconstruction_mse(X, X_hat, per_row=False):
    """The mean squared difference over every entry (a float), or over every axis but the
    first (one value per row) when ``per_row``."""
    d = (np.asarray(X, dtype=float) - np.asarray(X_hat, dtype=float)) ** 2
    if per_row:
        return d.reshape(len(d), -1).mean(axis=1)
    return float(d.mean())


# -- Task 3: principal_angles -----------------------------------------------------------------

def principal_angles(A, B):
    """The principal angles, in degrees and ascending, between the column spaces of A (d, k)
    and B (d, m): min(k, m) of them."""
    qa, _ = np.linalg.qr(np.asarray(A, dtype=float))
    qb, _ = np.linalg.qr(np.asarray(B, dtype=float))
    cosines = np.linalg.svd(qa.T @ qb, compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(cosines, -1.0, 1.0))))


def principal_angles_scipy(A, B):
    """The same through SciPy (more accurate for very small angles)."""
    from scipy.linalg import subspace_angles

    return np.sort(np.degrees(subspace_angles(np.asarray(A, dtype=float),
                                              np.asarray(B, dtype=float))))


# -- Task 4 and 5: the models -----------------------------------------------------------------

def build_linear_autoencoder(n_features: int, code_size: int, learning_rate: float = 1e-3):
    import keras

    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(code_size),
        keras.layers.Dense(n_features),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.MeanSquaredError())
    return model


def build_conv_autoencoder(input_shape=(28, 28, 1), filters=(16, 8), code_size=32,
                           learning_rate=1e-3):
    import keras

    height, width, channels = input_shape
    f1, f2 = filters
    small = (height // 4, width // 4, f2)
    model = keras.Sequential([
        keras.Input(shape=(height, width, channels)),
        keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(code_size),
        keras.layers.Dense(small[0] * small[1] * small[2], activation="relu"),
        keras.layers.Reshape(small),
        keras.layers.Conv2DTranspose(f2, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2DTranspose(f1, 3, strides=2, padding="same", activation="relu"),
        keras.layers.Conv2D(channels, 3, padding="same", activation="sigmoid"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.BinaryCrossentropy())
    return model


def conv_parameter_count(input_shape, filters, code_size: int) -> int:
    """3x3 kernels with one bias per filter, and the two Dense layers, layer by layer."""
    height, width, c = input_shape
    f1, f2 = filters
    flat = (height // 4) * (width // 4) * f2
    return ((9 * c * f1 + f1) + (9 * f1 * f2 + f2) + (flat * code_size + code_size)
            + (code_size * flat + flat) + (9 * f2 * f2 + f2) + (9 * f2 * f1 + f1)
            + (9 * f1 * c + c))


def encoder_of(model):
    """The first four layers of a conv autoencoder (image -> code) as a model of their own."""
    import keras

    layers = model_layers(model)
    return keras.Sequential([keras.Input(shape=model.inputs[0].shape[1:]), *layers[:4]])


def model_layers(model) -> list:
    """The model's layers without its InputLayer."""
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _activation(layer) -> str:
    return getattr(layer.activation, "__name__", repr(layer.activation))


def _loss_name(loss) -> str:
    """A loss given as a string, a function or a Loss object, by one canonical name."""
    import keras

    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        extra = [k for k in ("from_logits", "label_smoothing") if config.get(k)]
        return type(loss).__name__ + ("(" + ",".join(extra) + ")" if extra else "")
    name = loss if isinstance(loss, str) else getattr(loss, "__name__", repr(loss))
    aliases = {"mse": "MeanSquaredError", "mean_squared_error": "MeanSquaredError",
               "binary_crossentropy": "BinaryCrossentropy"}
    return aliases.get(name, name)


def settings(model) -> dict:
    """What the model tasks fix, read from a compiled model."""
    import keras

    described = []
    for layer in model_layers(model):
        kind = type(layer).__name__
        if type(layer) is keras.layers.Dense:
            described.append((kind, int(layer.units), _activation(layer), bool(layer.use_bias)))
        elif type(layer) in (keras.layers.Conv2D, keras.layers.Conv2DTranspose):
            described.append((kind, int(layer.filters), tuple(layer.kernel_size),
                              tuple(layer.strides), layer.padding, _activation(layer),
                              bool(layer.use_bias)))
        elif type(layer) is keras.layers.Reshape:
            described.append((kind, tuple(int(v) for v in layer.target_shape)))
        else:
            described.append((kind,))
    optimizer = getattr(model, "optimizer", None)
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate)) if optimizer else None
    return dict(layers=described, loss=_loss_name(getattr(model, "loss", None)),
                optimizer=type(optimizer).__name__ if optimizer else None,
                learning_rate=round(rate, 9) if rate is not None else None,
                input_shape=tuple(model.inputs[0].shape[1:]) if model.inputs else None)


# -- Task 6 and 7: noise ----------------------------------------------------------------------

def add_noise(images, stddev: float, rng):
    """A new float32 array: images + N(0, stddev) noise drawn with ``rng``, clipped to [0, 1]."""
    images = np.asarray(images)
    noise = rng.normal(0.0, stddev, size=images.shape)
    return np.clip(images + noise, 0.0, 1.0).astype(np.float32)


def denoising_pairs(images, stddev: float, rng, copies: int = 1):
    """(noisy inputs, clean targets): the images repeated ``copies`` times (whole set after
    whole set), noise added to the inputs only, by one call of ``add_noise``."""
    repeated = np.concatenate([np.asarray(images)] * copies)
    return add_noise(repeated, stddev, rng), repeated.astype(np.float32)
