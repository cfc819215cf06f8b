"""Checks for lab 20 (a GAN on MNIST digits).

Stored cases with their expected values pasted as literals (computed once with the course's
answer key), and properties: the scaled pixels span [-1, 1]; the networks' layers, shapes
and output activations are read from the models; one training step on two small models of
the check's own (not the lab's architecture, with seeded weights) must move only the
weights of the network that the phase trains, by the stored amounts.
"""

from __future__ import annotations

import contextlib

import numpy as np

from dlcourse.checks.core import (
    blame_earlier,
    call,
    call_blaming,
    close,
    fail,
    graded_alone,
    passed,
    quiet,
)


def _not_written(task: str) -> None:
    __tracebackhide__ = True
    fail(task, f"{task} is not written yet", hint="replace `raise NotImplementedError()` in "
         "the answer cell with your code, then run the cell")


def _scalar(value, task: str, what: str) -> float:
    """A loss as one Python float: a 0-d tensor or array, or a number."""
    __tracebackhide__ = True
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        fail(task, f"{what} should be a number (a scalar tensor)", "a scalar",
             type(value).__name__)
    if arr.shape != ():
        fail(task, f"{what} should be one number (a scalar tensor)", "shape ()",
             f"shape {arr.shape}", "take the mean over the batch: Keras' BinaryCrossentropy "
             "does (reduction='sum_over_batch_size')")
    return float(arr)


# -- Task 1: scale_images ----------------------------------------------------------------------

_PIXELS = [[[0, 255, 127], [128, 51, 204]]]
# x / 127.5 - 1 for the pixels above, with a channel axis
_SCALED = [[[[-1.0], [1.0], [-0.003921568627451]], [[0.003921568627451], [-0.6], [0.6]]]]


@quiet
def check_scale_images(scale_images) -> None:
    __tracebackhide__ = True
    task = "scale_images"
    pixels = np.array(_PIXELS, dtype=np.uint8)
    got = call(scale_images, pixels.copy(), task=task, name="scale_images")
    try:
        arr = np.asarray(got)
    except Exception:
        fail(task, "scale_images should return a NumPy array", "an ndarray", type(got).__name__)
    if arr.shape != (1, 2, 3, 1):
        hint = ("add a channel axis at the end: images[..., None] (or np.expand_dims(x, -1)); "
                "the networks take images of shape (28, 28, 1)")
        fail(task, f"images of shape {pixels.shape} should come back as (1, 2, 3, 1)",
             "shape (1, 2, 3, 1)", f"shape {arr.shape}", hint)
    if arr.dtype != np.float32:
        fail(task, "the scaled images should be float32 (what Keras computes in)", "float32",
             str(arr.dtype), "np.asarray(images, dtype='float32') before dividing")
    values = np.asarray(arr, dtype=float)
    if not close(values, _SCALED, atol=1e-6, rtol=0.0):
        hint = "x / 127.5 - 1 maps 0 to -1, 127.5 to 0 and 255 to 1"
        if close(values, np.array(_PIXELS, dtype=float)[..., None] / 255.0, atol=1e-6):
            hint = ("these are pixels in [0, 1] (x / 255): the generator ends in tanh, whose "
                    "outputs are in [-1, 1], so the real images must be in [-1, 1] too, or "
                    "the discriminator tells them apart by their range alone")
        fail(task, f"wrong values for the pixels {_PIXELS}", np.array(_SCALED)[..., 0],
             values[..., 0], hint)
    many = np.random.default_rng(20).integers(0, 256, (3, 28, 28)).astype(np.uint8)
    many[0, 0, 0], many[1, 0, 0] = 0, 255
    out = np.asarray(call(scale_images, many.copy(), task=task, name="scale_images"), dtype=float)
    if out.shape != (3, 28, 28, 1) or out.min() != -1.0 or out.max() != 1.0:
        fail(task, "3 random 28 x 28 images should come back with shape (3, 28, 28, 1), from "
             "-1 (pixel 0) to 1 (pixel 255)", "shape (3, 28, 28, 1), min -1, max 1",
             f"shape {out.shape}, min {out.min():.4g}, max {out.max():.4g}")
    passed(task, "uint8 pixels -> float32 in [-1, 1] with a channel axis, the range of tanh")


# -- Task 2 and 3: the losses ------------------------------------------------------------------

# (real_logits, fake_logits, smoothing, loss): mean BCE(1 - smoothing, real) + mean BCE(0, fake)
_D_CASES = (
    ([[1.5], [-0.3], [2.2]], [[-1.0], [0.4]], 0.0, 1.000089084032413),
    ([[0.2], [0.7], [-1.1], [3.0]], [[0.5], [-2.0], [1.3]], 0.1, 1.5599830484244128),
    ([[30.0], [-40.0]], [[50.0], [-60.0], [0.0]], 0.0, 36.89771572685336),
)
# what common mistakes give on the first case (and, for smoothing, the second)
_D_WRONG = (
    (2.433422565460205, 0, "the labels are swapped: real images are labelled 1 (they are "
     "real), fakes 0"),
    (1.339837670326233, 0, "the sigmoid is applied twice: the discriminator outputs logits, "
     "so pass them straight to BinaryCrossentropy(from_logits=True), without tf.sigmoid"),
    (5.628111362457275, 0, "the loss treats the logits as probabilities: use "
     "BinaryCrossentropy(from_logits=True) (the discriminator has no sigmoid)"),
    (0.477425754070282, 0, "one mean over the real and fake logits together: take the mean "
     "loss of the real batch plus the mean loss of the fake batch"),
    (0.5000445432568896, 0, "half the loss: add the real and the fake loss, do not average "
     "them"),
    (1.5666497084958386, 1, "only the REAL targets are smoothed (1 - smoothing); the fake "
     "targets stay 0 (one-sided label smoothing)"),
    (1.4899830410592787, 1, "smoothing is ignored: the real targets are 1 - smoothing"),
)
# (fake_logits, loss): mean BCE(1, fake)
_G_CASES = (
    ([[0.5], [-1.2], [2.0]], 0.6880958208537035),
    ([[-30.0], [45.0]], 15.000000000000046),
    ([[0.0], [1.0], [-0.25], [3.5]], 0.46552467655740803),
)
_G_WRONG = (
    (1.1214290857315063, "the fakes are labelled 0: the generator wants the discriminator to "
     "call its fakes REAL, so its targets are 1"),
    (-1.1214290857315063, "this is minus the discriminator's loss on the fakes (the minimax "
     "form, which saturates): use BCE with target 1 instead"),
    (0.4534740149974823, "the sigmoid is applied twice: pass the logits to "
     "BinaryCrossentropy(from_logits=True)"),
    (5.603747844696045, "the loss treats the logits as probabilities: use "
     "BinaryCrossentropy(from_logits=True)"),
)


def _tensor_call(fn, *arrays, task: str, name: str, kwargs=None, graph=False):
    """Call a loss on float32 tensors, eagerly or inside tf.function (as the training step
    will)."""
    __tracebackhide__ = True
    import tensorflow as tf

    kwargs = kwargs or {}
    tensors = [tf.constant(np.array(a, dtype="float32")) for a in arrays]
    try:
        if graph:  # after an eager call: NotImplementedError here is NumPy on a graph tensor
            return tf.function(lambda *t: fn(*t, **kwargs))(*tensors)
        return fn(*tensors, **kwargs)
    except NotImplementedError as exc:
        if not graph:
            _not_written(task)
        fail(task, f"{name} failed on tensors inside tf.function: {str(exc)[:300]}",
             hint="use TensorFlow or keras.ops functions (a Keras loss object works), not "
                  "NumPy: the training step runs in a tf.function graph")
    except Exception as exc:
        where = " inside tf.function" if graph else ""
        fail(task, f"{name} failed on tensors{where}: {type(exc).__name__}: "
             f"{str(exc)[:300]}", hint="use TensorFlow or keras.ops functions (a Keras "
             "loss object works), not NumPy: the training step runs in a tf.function graph")


@quiet
def check_discriminator_loss(discriminator_loss) -> None:
    __tracebackhide__ = True
    task = "discriminator_loss"
    for real, fake, smoothing, expected in _D_CASES:
        shown = f"discriminator_loss({real}, {fake}" + (
            f", smoothing={smoothing})" if smoothing else ")")
        kwargs = {"smoothing": smoothing} if smoothing else {}
        got = _scalar(_tensor_call(discriminator_loss, real, fake, task=task, name=shown,
                                   kwargs=kwargs), task, shown)
        if got != got or abs(got) == float("inf"):
            fail(task, f"{shown} is not finite", expected, got,
                 "sigmoid then log overflows for large logits: let "
                 "BinaryCrossentropy(from_logits=True) work on the logits")
        if not close(got, expected, atol=1e-5, rtol=1e-5):
            hint = "mean BCE of the real logits against 1 plus mean BCE of the fakes against 0"
            case = _D_CASES.index((real, fake, smoothing, expected))
            for value, where, why in _D_WRONG:
                if where == case and close(got, value, atol=1e-5, rtol=1e-5):
                    hint = why
            fail(task, f"wrong value of {shown}", expected, got, hint)
    real, fake, _, expected = _D_CASES[0]
    shown = f"discriminator_loss({real}, {fake})"
    got = _scalar(_tensor_call(discriminator_loss, real, fake, task=task, name=shown,
                               graph=True), task, shown + " inside tf.function")
    if not close(got, expected, atol=1e-5, rtol=1e-5):
        fail(task, f"{shown} inside tf.function differs from the same call outside", expected,
             got, "use TensorFlow or keras.ops functions, not NumPy or Python floats")
    passed(task, "BCE(real, 1 - smoothing) + BCE(fake, 0) from logits, stable, in tf.function")


@quiet
def check_generator_loss(generator_loss) -> None:
    __tracebackhide__ = True
    task = "generator_loss"
    for fake, expected in _G_CASES:
        shown = f"generator_loss({fake})"
        got = _scalar(_tensor_call(generator_loss, fake, task=task, name=shown), task, shown)
        if not close(got, expected, atol=1e-5, rtol=1e-5):
            hint = "mean BCE of the fake logits against 1 (the fakes labelled real)"
            if fake == _G_CASES[0][0]:
                for value, why in _G_WRONG:
                    if close(got, value, atol=1e-5, rtol=1e-5):
                        hint = why
            fail(task, f"wrong value of {shown}", expected, got, hint)
    fake, expected = _G_CASES[0]
    shown = f"generator_loss({fake})"
    got = _scalar(_tensor_call(generator_loss, fake, task=task, name=shown, graph=True), task,
                  shown + " inside tf.function")
    if not close(got, expected, atol=1e-5, rtol=1e-5):
        fail(task, f"{shown} inside tf.function differs from the same call outside", expected,
             got, "use TensorFlow or keras.ops functions, not NumPy or Python floats")
    passed(task, "BCE(fake, 1) from logits: the generator wants its fakes called real")


# -- Task 4 and 5: the networks ----------------------------------------------------------------

def _layers(model):
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _describe(model) -> list[str]:
    return [type(layer).__name__ for layer in _layers(model)]


def _check_blocks(layers, units, task, shown, dropout=None):
    """Dense(u), LeakyReLU(0.2)[, Dropout(rate)] for every u."""
    __tracebackhide__ = True
    import keras

    size = 2 if dropout is None else 3
    for k, u in enumerate(units):
        dense, leaky = layers[size * k], layers[size * k + 1]
        if dense.units != u:
            fail(task, f"hidden Dense layer {k + 1} of {shown} has the wrong number of units",
                 u, dense.units, "one Dense(u) per entry of units, in order")
        if dense.activation.__name__ != "linear":
            fail(task, f"hidden Dense layer {k + 1} of {shown} should have no activation of "
                 "its own", "linear, followed by a LeakyReLU layer", dense.activation.__name__)
        if not close(float(leaky.negative_slope), 0.2, atol=1e-7):
            fail(task, f"the LeakyReLU layers of {shown} have the wrong slope",
                 "negative_slope=0.2", f"negative_slope={float(leaky.negative_slope):g}",
                 "keras.layers.LeakyReLU(negative_slope=0.2)")
        if dropout is not None:
            drop = layers[size * k + 2]
            if not isinstance(drop, keras.layers.Dropout) or not close(drop.rate, dropout):
                fail(task, f"the Dropout layers of {shown} have the wrong rate", dropout,
                     getattr(drop, "rate", None), "Dropout(dropout) after every LeakyReLU")


@quiet
def check_build_generator(build_generator) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_generator"
    # (noise_dim, units given or None, units used, parameter count)
    for noise_dim, given, units, count in ((16, (32, 64), (32, 64), 53616),
                                           (10, None, (256, 512), 536592),
                                           (3, (20,), (20,), 16544)):
        shown = f"build_generator({noise_dim}" + (f", units={given})" if given else ")")
        kwargs = {"units": given} if given else {}
        model = call(build_generator, noise_dim, task=task, name="build_generator", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "a keras.Model",
                 type(model).__name__)
        want = ["Dense", "LeakyReLU"] * len(units) + ["Dense", "Reshape"]
        if _describe(model) != want:
            fail(task, f"{shown} has the wrong layers", ", ".join(want),
                 ", ".join(_describe(model)), "Dense(u) and LeakyReLU(negative_slope=0.2) for "
                 "each u in units, then Dense(784, activation='tanh') and Reshape((28, 28, 1))")
        layers = _layers(model)
        _check_blocks(layers, units, task, shown)
        last = layers[-2]
        if last.units != 784:
            fail(task, f"the last Dense layer of {shown} should output one value per pixel",
                 784, last.units)
        if last.activation.__name__ != "tanh":
            fail(task, f"the last Dense layer of {shown} should end in tanh", "tanh",
                 last.activation.__name__, "tanh gives pixels in [-1, 1], the range of the "
                 "scaled real images (a sigmoid would give [0, 1])")
        out = np.asarray(keras.ops.convert_to_numpy(model(np.zeros((2, noise_dim), "float32"))))
        if out.shape != (2, 28, 28, 1):
            fail(task, f"{shown} maps 2 noise vectors to the wrong shape", "(2, 28, 28, 1)",
                 out.shape)
        if model.count_params() != count:
            fail(task, f"{shown} has the wrong number of parameters", count,
                 model.count_params(), "every Dense layer has a bias")
    passed(task, "noise -> [Dense, LeakyReLU(0.2)] per units -> Dense(784, tanh) -> 28 x 28 x 1")


@quiet
def check_build_discriminator(build_discriminator) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_discriminator"
    for given, dropout, units, rate, count in (((40, 20), 0.25, (40, 20), 0.25, 32241),
                                               (None, None, (512, 256), 0.3, 533505),
                                               ((9,), 0.5, (9,), 0.5, 7075)):
        args = ([f"units={given}"] if given else []) + (
            [f"dropout={dropout}"] if dropout is not None else [])
        shown = f"build_discriminator({', '.join(args)})"
        kwargs = ({"units": given} if given else {}) | (
            {"dropout": dropout} if dropout is not None else {})
        model = call(build_discriminator, task=task, name="build_discriminator", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "a keras.Model",
                 type(model).__name__)
        want = ["Flatten"] + ["Dense", "LeakyReLU", "Dropout"] * len(units) + ["Dense"]
        if _describe(model) != want:
            fail(task, f"{shown} has the wrong layers", ", ".join(want),
                 ", ".join(_describe(model)), "Flatten, then Dense(u), LeakyReLU(0.2) and "
                 "Dropout(dropout) for each u in units, then Dense(1)")
        layers = _layers(model)
        _check_blocks(layers[1:], units, task, shown, dropout=rate)
        last = layers[-1]
        if last.units != 1 or last.activation.__name__ != "linear":
            fail(task, f"the last layer of {shown} should output one logit per image",
                 "Dense(1), no activation", f"Dense({last.units}, activation="
                 f"'{last.activation.__name__}')", "the losses take logits "
                 "(from_logits=True): a sigmoid here would be applied twice")
        out = np.asarray(keras.ops.convert_to_numpy(model(np.zeros((3, 28, 28, 1), "float32"))))
        if out.shape != (3, 1):
            fail(task, f"{shown} maps 3 images to the wrong shape", "(3, 1)", out.shape)
        if model.count_params() != count:
            fail(task, f"{shown} has the wrong number of parameters", count,
                 model.count_params())
    passed(task, "28 x 28 x 1 -> Flatten -> [Dense, LeakyReLU(0.2), Dropout] per units -> "
                 "Dense(1) logit")


# -- Task 6 and 7: the two phases --------------------------------------------------------------

_NOISE_DIM = 4


def _tiny_models():
    """A small generator and discriminator of the check's own, with seeded weights."""
    import keras

    generator = keras.Sequential([keras.Input(shape=(_NOISE_DIM,)),
                                  keras.layers.Dense(784, activation="tanh"),
                                  keras.layers.Reshape((28, 28, 1))])
    discriminator = keras.Sequential([keras.Input(shape=(28, 28, 1)), keras.layers.Flatten(),
                                      keras.layers.Dense(5), keras.layers.LeakyReLU(0.2),
                                      keras.layers.Dense(1)])
    rng = np.random.default_rng(2020)
    for model, scale in ((generator, 0.5), (discriminator, 0.08)):
        model.set_weights([rng.normal(0.0, scale, w.shape).astype("float32")
                           for w in model.get_weights()])
    return generator, discriminator


def _step_inputs():
    rng = np.random.default_rng(2021)
    real = rng.uniform(-1.0, 1.0, (6, 28, 28, 1)).astype("float32")
    noise = rng.normal(0.0, 1.0, (5, _NOISE_DIM)).astype("float32")
    return real, noise


def _weights(model) -> list[np.ndarray]:
    return [np.array(w, dtype=float) for w in model.get_weights()]


# after one step with SGD(learning_rate=0.5): the loss (before the update) and, for the
# network the phase trains, the sum of each weight array
_D_STEP = dict(loss=1.2712750434875488,
               sums=[-6.568646319312393, -0.36104465648531914, 0.15643078833818436,
                     -0.01633574441075325])
_G_STEP = dict(loss=0.7937344312667847,
               sums=[7.3891095586295705, 23.04029015696142])


def _loss_ok(fn, name: str) -> bool:
    """The earlier loss task, as ``fn`` sees it, on its first stored case."""
    other = fn.__globals__.get(name)
    try:
        with contextlib.redirect_stdout(None):
            if name == "discriminator_loss":
                real, fake, _, expected = _D_CASES[0]
                got = other(np.array(real, "float32"), np.array(fake, "float32"))
            else:
                fake, expected = _G_CASES[0]
                got = other(np.array(fake, "float32"))
        return close(float(np.array(got, dtype=float)), expected, atol=1e-5, rtol=1e-5)
    except Exception:
        return False


def _run_step(fn, task, loss_name, trained, graph):
    """One step of ``fn`` on fresh tiny models; return (loss, generator and discriminator
    weights before and after, the discriminator)."""
    __tracebackhide__ = True
    import keras
    import tensorflow as tf

    generator, discriminator = _tiny_models()
    real, noise = _step_inputs()
    optimizer = keras.optimizers.SGD(learning_rate=0.5)
    before = _weights(generator), _weights(discriminator)
    if trained == "discriminator":
        def step(r, z):
            return fn(generator, discriminator, optimizer, r, z)
        args = (real, noise)
    else:
        def step(z):
            return fn(generator, discriminator, optimizer, z)
        args = (noise,)
    shown = f"{task}(...)" + (" inside tf.function" if graph else "")
    if graph:
        try:  # runs after the eager step, so a NotImplementedError is NumPy in the graph
            loss = tf.function(step)(*[tf.constant(a) for a in args])
        except Exception as exc:
            blame_earlier(fn, task, (loss_name,), _loss_ok)
            fail(task, f"{shown} raised {type(exc).__name__}: {str(exc)[:300]}",
                 hint="the training loop runs the step in a tf.function: no .numpy() or "
                      "float() of tensors inside it")
    else:
        loss = call_blaming(step, *args, task=task, name=task, earlier=(loss_name,),
                            is_right=_loss_ok)
    after = _weights(generator), _weights(discriminator)
    return loss, before, after, discriminator, shown


def _changed(before, after) -> bool:
    return any(not close(a, b, atol=0.0, rtol=0.0) for a, b in zip(before, after, strict=True))


@graded_alone
@quiet
def check_discriminator_step(discriminator_step) -> None:
    __tracebackhide__ = True
    task = "discriminator_step"
    for graph in (False, True):
        loss, before, after, _, shown = _run_step(discriminator_step, task,
                                                  "discriminator_loss", "discriminator", graph)
        got = _scalar(loss, task, f"the loss returned by {shown}")
        if not close(got, _D_STEP["loss"], atol=1e-4, rtol=1e-4):
            blame_earlier(discriminator_step, task, ("discriminator_loss",), _loss_ok)
            fail(task, f"{shown} returned the wrong loss", _D_STEP["loss"], got,
                 "discriminator_loss(D(real images), D(generator(noise))) with the noise you "
                 "were given, computed before the update")
        if _changed(before[0], after[0]):
            fail(task, f"{shown} changed the generator's weights",
                 "the generator untouched in phase 1", "changed weights",
                 "take the gradient with respect to discriminator.trainable_variables only, "
                 "and apply it with d_optimizer")
        if not _changed(before[1], after[1]):
            fail(task, f"{shown} did not change the discriminator's weights",
                 "one update of the discriminator", "unchanged weights",
                 "d_optimizer.apply_gradients(zip(gradients, "
                 "discriminator.trainable_variables))")
        sums = [float(w.sum()) for w in after[1]]
        if not close(sums, _D_STEP["sums"], atol=2e-3, rtol=1e-4):
            fail(task, f"{shown} moved the discriminator's weights by the wrong amounts",
                 _D_STEP["sums"], sums, "one gradient step on the discriminator's loss: "
                 "real images labelled 1, fakes 0, gradients of the loss recorded by a "
                 "tf.GradientTape")
    passed(task, "phase 1 updates the discriminator only, by one step on its loss "
                 "(eagerly and in tf.function)")


@graded_alone
@quiet
def check_generator_step(generator_step) -> None:
    __tracebackhide__ = True
    task = "generator_step"
    for graph in (False, True):
        loss, before, after, discriminator, shown = _run_step(
            generator_step, task, "generator_loss", "generator", graph)
        got = _scalar(loss, task, f"the loss returned by {shown}")
        if not close(got, _G_STEP["loss"], atol=1e-4, rtol=1e-4):
            blame_earlier(generator_step, task, ("generator_loss",), _loss_ok)
            fail(task, f"{shown} returned the wrong loss", _G_STEP["loss"], got,
                 "generator_loss(D(generator(noise))) with the noise you were given: the "
                 "fakes go through the discriminator, labelled real")
        if _changed(before[1], after[1]):
            fail(task, f"{shown} changed the discriminator's weights",
                 "the discriminator frozen in phase 2", "changed weights",
                 "the gradient flows THROUGH the discriminator, but only "
                 "generator.trainable_variables are updated (one tape over both models' "
                 "variables would train the discriminator to be fooled)")
        if not discriminator.trainable or not all(
                layer.trainable for layer in discriminator.layers):
            fail(task, f"{shown} left the discriminator frozen (trainable = False)",
                 "discriminator.trainable unchanged (True)", "False",
                 "no need for trainable = False with a GradientTape: update only the "
                 "generator's variables. A frozen flag left behind stops phase 1 from "
                 "training the discriminator")
        if not _changed(before[0], after[0]):
            fail(task, f"{shown} did not change the generator's weights",
                 "one update of the generator", "unchanged weights",
                 "call the generator inside the tape, so the gradient reaches its weights, "
                 "and apply it with g_optimizer")
        sums = [float(w.sum()) for w in after[0]]
        if not close(sums, _G_STEP["sums"], atol=2e-3, rtol=1e-4):
            fail(task, f"{shown} moved the generator's weights by the wrong amounts",
                 _G_STEP["sums"], sums, "one gradient step on generator_loss(D(G(noise)))")
    passed(task, "phase 2 updates the generator only, through the frozen discriminator "
                 "(eagerly and in tf.function)")


# -- Task 8: gan_score -------------------------------------------------------------------------

def _rows(*pairs, n=10):
    """Probability rows over n classes from (class, probability) pairs, the rest spread."""
    out = []
    for cls, p in pairs:
        row = [(1.0 - p) / (n - 1)] * n
        row[cls] = p
        out.append(row)
    return out


_SCORE_PROBS = _rows((3, 0.95), (3, 0.99), (7, 0.9), (1, 0.91), (0, 0.5), (9, 0.2))
# (threshold or None for the default 0.9, (confident share, classes, entropy in bits))
_SCORE_CASES = (
    (None, (0.5, 2, 2.6966842298936227)),
    (0.3, (0.8333333333333334, 4, 2.6966842298936227)),
    (0.93, (0.3333333333333333, 1, 2.6966842298936227)),
)
_SCORE_UNIFORM = [[0.1] * 10] * 4
_SCORE_ONE_CLASS = [[0.0] * 4 + [1.0] + [0.0] * 5] * 3


@quiet
def check_gan_score(gan_score) -> None:
    __tracebackhide__ = True
    task = "gan_score"
    for threshold, (share, classes, entropy) in _SCORE_CASES:
        kwargs = {} if threshold is None else {"threshold": threshold}
        shown = "gan_score(6 rows" + (f", threshold={threshold})" if threshold else ")")
        got = call(gan_score, np.array(_SCORE_PROBS), task=task, name="gan_score", **kwargs)
        if not isinstance(got, tuple | list) or len(got) != 3:
            fail(task, f"{shown} should return (confident share, classes, entropy)",
                 "a tuple of 3", type(got).__name__)
        got_share, got_classes, got_entropy = got
        if isinstance(got_classes, bool) or not isinstance(got_classes, int | np.integer):
            fail(task, "the number of classes should be an int", "an int",
                 type(got_classes).__name__)
        if not close(float(got_share), share, atol=1e-9):
            hint = "the share of rows whose largest probability is ABOVE the threshold"
            if threshold is None and close(float(got_share), 4 / 6, atol=1e-9):
                hint = ("a row whose largest probability equals the threshold (0.9) is not "
                        "above it: use >, not >=")
            fail(task, f"wrong confident share for {shown}", share, float(got_share), hint)
        if int(got_classes) != classes:
            fail(task, f"wrong number of classes for {shown}", classes, int(got_classes),
                 "count the distinct argmax classes of the CONFIDENT rows only")
        if not close(float(got_entropy), entropy, atol=1e-6):
            hint = ("entropy in bits (np.log2) of the MEAN row, the class distribution of "
                    "the whole sample; not the mean of the rows' entropies")
            fail(task, f"wrong entropy for {shown}", entropy, float(got_entropy), hint)
    share, classes, entropy = call(gan_score, np.array(_SCORE_UNIFORM), task=task,
                                   name="gan_score")
    if not close([float(share), float(entropy)], [0.0, 3.321928094887362], atol=1e-6) or \
            int(classes) != 0:
        fail(task, "4 uniform rows (0.1 each) should score (0.0, 0, log2(10))",
             (0.0, 0, 3.321928094887362), (float(share), int(classes), float(entropy)))
    share, classes, entropy = call(gan_score, np.array(_SCORE_ONE_CLASS), task=task,
                                   name="gan_score")
    if not close([float(share), float(entropy)], [1.0, 0.0], atol=1e-9) or int(classes) != 1:
        fail(task, "3 rows all certain of class 4 should score (1.0, 1, 0.0)",
             (1.0, 1, 0.0), (float(share), int(classes), float(entropy)),
             "0 * log2(0) counts as 0: leave out the classes whose mean probability is 0")
    passed(task, "confident share (> threshold), classes among the confident rows, entropy "
                 "of the mean row in bits")
