"""Reference answers of lab 20 (a GAN on MNIST digits) and the helpers its hidden tests use.

The tasks: ``scale_images`` (uint8 pixels to [-1, 1], with a channel axis),
``discriminator_loss`` and ``generator_loss`` (binary cross-entropy on logits; one-sided
label smoothing of the real targets), ``build_generator`` (noise -> Dense/LeakyReLU blocks
-> 784 tanh pixels -> 28 x 28 x 1), ``build_discriminator`` (image -> Flatten ->
Dense/LeakyReLU/Dropout blocks -> one logit), ``discriminator_step`` (phase 1: only the
discriminator's weights move), ``generator_step`` (phase 2: the fake images go through the
discriminator, labelled real, and only the generator's weights move) and ``gan_score``
(confident share, classes covered and entropy of the mean prediction, from a classifier's
probabilities). ``tests/test_gans.py`` checks them against Keras. TensorFlow and Keras are
imported only when first used.
"""

from __future__ import annotations

import numpy as np

IMAGE_SHAPE = (28, 28, 1)

# -- Task 1: pixels ----------------------------------------------------------------------------


def scale_images(images) -> np.ndarray:
    """uint8 pixels (n, h, w) -> float32 (n, h, w, 1) in [-1, 1]: x / 127.5 - 1."""
    x = np.asarray(images, dtype="float32")
    return (x / np.float32(127.5) - np.float32(1.0))[..., None]


# -- Task 2 and 3: losses ----------------------------------------------------------------------

def bce_with_logits(targets, logits) -> np.ndarray:
    """Element-wise binary cross-entropy of sigmoid(logits), stable, in float64."""
    z = np.asarray(logits, dtype=float)
    t = np.asarray(targets, dtype=float)
    return np.maximum(z, 0.0) - z * t + np.log1p(np.exp(-np.abs(z)))


def discriminator_loss_np(real_logits, fake_logits, smoothing: float = 0.0) -> float:
    real = bce_with_logits(1.0 - smoothing, real_logits).mean()
    fake = bce_with_logits(0.0, fake_logits).mean()
    return float(real + fake)


def generator_loss_np(fake_logits) -> float:
    return float(bce_with_logits(1.0, fake_logits).mean())


def discriminator_loss(real_logits, fake_logits, smoothing=0.0):
    """Mean BCE of the real logits against 1 - smoothing plus mean BCE of the fake logits
    against 0 (a scalar tensor; works inside tf.function)."""
    import keras

    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    real_logits = keras.ops.convert_to_tensor(real_logits, dtype="float32")
    fake_logits = keras.ops.convert_to_tensor(fake_logits, dtype="float32")
    real = bce(keras.ops.ones_like(real_logits) * (1.0 - smoothing), real_logits)
    fake = bce(keras.ops.zeros_like(fake_logits), fake_logits)
    return real + fake


def generator_loss(fake_logits):
    """Mean BCE of the fake logits against 1: the generator wants its fakes called real."""
    import keras

    fake_logits = keras.ops.convert_to_tensor(fake_logits, dtype="float32")
    return keras.losses.BinaryCrossentropy(from_logits=True)(
        keras.ops.ones_like(fake_logits), fake_logits)


# -- Task 4 and 5: the two networks ------------------------------------------------------------

def build_generator(noise_dim: int, units=(256, 512)):
    import keras

    layers = [keras.Input(shape=(noise_dim,))]
    for u in units:
        layers += [keras.layers.Dense(u), keras.layers.LeakyReLU(negative_slope=0.2)]
    layers += [keras.layers.Dense(28 * 28, activation="tanh"), keras.layers.Reshape(IMAGE_SHAPE)]
    return keras.Sequential(layers, name="generator")


def build_discriminator(units=(512, 256), dropout: float = 0.3):
    import keras

    layers = [keras.Input(shape=IMAGE_SHAPE), keras.layers.Flatten()]
    for u in units:
        layers += [keras.layers.Dense(u), keras.layers.LeakyReLU(negative_slope=0.2),
                   keras.layers.Dropout(dropout)]
    layers.append(keras.layers.Dense(1))
    return keras.Sequential(layers, name="discriminator")


def settings(model) -> list[tuple]:
    """The layers of a model as comparable tuples (type, and what matters for that type)."""
    import keras

    described = []
    for layer in model.layers:
        kind = type(layer).__name__
        if type(layer) is keras.layers.Dense:
            described.append((kind, int(layer.units), layer.activation.__name__,
                              bool(layer.use_bias)))
        elif type(layer) is keras.layers.LeakyReLU:
            described.append((kind, round(float(layer.negative_slope), 6)))
        elif type(layer) is keras.layers.Dropout:
            described.append((kind, round(float(layer.rate), 6)))
        elif type(layer) is keras.layers.Reshape:
            described.append((kind, tuple(layer.target_shape)))
        else:
            described.append((kind,))
    return described


def generator_parameters(noise_dim: int, units) -> int:
    sizes = [noise_dim, *units, 28 * 28]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


def discriminator_parameters(units) -> int:
    sizes = [28 * 28, *units, 1]
    return sum(a * b + b for a, b in zip(sizes[:-1], sizes[1:], strict=True))


# -- Task 6 and 7: the two phases --------------------------------------------------------------

def discriminator_step(generator, discriminator, d_optimizer, real_images, noise):
    """Phase 1: real images labelled 1, fakes labelled 0; only the discriminator learns."""
    import tensorflow as tf

    fake_images = generator(noise, training=True)
    with tf.GradientTape() as tape:
        real_logits = discriminator(real_images, training=True)
        fake_logits = discriminator(fake_images, training=True)
        loss = discriminator_loss(real_logits, fake_logits)
    variables = discriminator.trainable_variables
    d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def generator_step(generator, discriminator, g_optimizer, noise):
    """Phase 2: fakes through the discriminator, labelled 1; only the generator learns."""
    import tensorflow as tf

    with tf.GradientTape() as tape:
        fake_logits = discriminator(generator(noise, training=True), training=True)
        loss = generator_loss(fake_logits)
    variables = generator.trainable_variables
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def tiny_pair(seed: int, noise_dim: int = 5, g_units=(7,), d_units=(6,), scale: float = 0.3):
    """A small generator and discriminator (no dropout) with seeded random weights."""
    generator = build_generator(noise_dim, g_units)
    discriminator = build_discriminator(d_units, dropout=0.0)
    rng = np.random.default_rng(seed)
    for model in (generator, discriminator):
        model.set_weights([rng.normal(0.0, scale, w.shape).astype("float32")
                           for w in model.get_weights()])
    return generator, discriminator


def step_inputs(seed: int, n_real: int, n_noise: int, noise_dim: int = 5):
    rng = np.random.default_rng(seed + 1000)
    real = rng.uniform(-1.0, 1.0, (n_real, *IMAGE_SHAPE)).astype("float32")
    noise = rng.normal(0.0, 1.0, (n_noise, noise_dim)).astype("float32")
    return real, noise


def weights(model) -> list[np.ndarray]:
    return [np.array(w, dtype=float) for w in model.get_weights()]


# -- Task 8: scoring generated digits ----------------------------------------------------------

def gan_score(probabilities, threshold: float = 0.9) -> tuple[float, int, float]:
    """(share of rows whose largest probability is above threshold, number of classes
    among the argmax of those confident rows, entropy in bits of the mean row)."""
    p = np.asarray(probabilities, dtype=float)
    top = p.max(axis=1)
    confident = top > threshold
    classes = len(set(p.argmax(axis=1)[confident].tolist()))
    mean = p.mean(axis=0)
    nonzero = mean[mean > 0]
    entropy = float(-(nonzero * np.log2(nonzero)).sum())
    return float(confident.mean()), int(classes), entropy
