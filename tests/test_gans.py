"""Lab 20: the answer key against Keras (losses, parameter counts, the Keras 2 recipe of a
combined model with a frozen discriminator); the visible checks and the hidden tests accept
the key's answers and reject typical wrong ones."""

from pathlib import Path

import numpy as np
import pytest
from answer_key import gans as ref

from dlcourse.checks import gans as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = Path(__file__).resolve().parents[1] / "solutions/20-gans/20-gans.ipynb"


# Wrong answers as students write them, run in a namespace like the notebook's, where the
# earlier tasks' functions are the key's, by their bare names.
WRONG_ANSWERS = '''
def scale_unit(images):
    return (np.asarray(images, dtype="float32") / 255.0)[..., None]


def scale_no_channel(images):
    return np.asarray(images, dtype="float32") / 127.5 - 1.0


def scale_float64(images):
    return (np.asarray(images, dtype=float) / 127.5 - 1.0)[..., None]


def scale_256(images):
    return (np.asarray(images, dtype="float32") / 128.0 - 1.0)[..., None]


bce = keras.losses.BinaryCrossentropy(from_logits=True)
bce_probabilities = keras.losses.BinaryCrossentropy()


def d_swapped(real, fake, smoothing=0.0):
    return bce(tf.zeros_like(real), real) + bce(tf.ones_like(fake), fake)


def d_sigmoid_twice(real, fake, smoothing=0.0):
    real, fake = tf.sigmoid(real), tf.sigmoid(fake)
    return bce(tf.ones_like(real) * (1 - smoothing), real) + bce(tf.zeros_like(fake), fake)


def d_on_logits_as_probabilities(real, fake, smoothing=0.0):
    return (bce_probabilities(tf.ones_like(real) * (1 - smoothing), real)
            + bce_probabilities(tf.zeros_like(fake), fake))


def d_one_mean(real, fake, smoothing=0.0):
    logits = tf.concat([real, fake], axis=0)
    targets = tf.concat([tf.ones_like(real) * (1 - smoothing), tf.zeros_like(fake)], axis=0)
    return bce(targets, logits)


def d_half(real, fake, smoothing=0.0):
    return (bce(tf.ones_like(real) * (1 - smoothing), real) + bce(tf.zeros_like(fake), fake)) / 2


def d_smooth_both(real, fake, smoothing=0.0):
    return (bce(tf.ones_like(real) * (1 - smoothing), real)
            + bce(tf.ones_like(fake) * smoothing, fake))


def d_no_smoothing(real, fake, smoothing=0.0):
    return bce(tf.ones_like(real), real) + bce(tf.zeros_like(fake), fake)


def d_unstable(real, fake, smoothing=0.0):
    p, q = tf.sigmoid(real), tf.sigmoid(fake)
    real_loss = -tf.reduce_mean((1 - smoothing) * tf.math.log(p) + smoothing * tf.math.log(1 - p))
    return real_loss - tf.reduce_mean(tf.math.log(1 - q))


def d_numpy(real, fake, smoothing=0.0):
    r, f = np.asarray(real), np.asarray(fake)
    t = 1.0 - smoothing
    return float(np.mean(t * np.logaddexp(0, -r) + (1 - t) * np.logaddexp(0, r))
                 + np.mean(np.logaddexp(0, f)))


def g_zero(fake):
    return bce(tf.zeros_like(fake), fake)


def g_minimax(fake):
    return -bce(tf.zeros_like(fake), fake)


def g_sigmoid_twice(fake):
    return bce(tf.ones_like(fake), tf.sigmoid(fake))


def g_on_probabilities(fake):
    return bce_probabilities(tf.ones_like(fake), fake)


def generator_with(head="tanh", slope=0.2, reshape=True, bias=True):
    def build_generator(noise_dim, units=(256, 512)):
        layers = [keras.Input(shape=(noise_dim,))]
        for u in units:
            layers += [keras.layers.Dense(u, use_bias=bias),
                       keras.layers.LeakyReLU(negative_slope=slope)]
        layers.append(keras.layers.Dense(784, activation=head))
        if reshape:
            layers.append(keras.layers.Reshape((28, 28, 1)))
        return keras.Sequential(layers)
    return build_generator


g_build_sigmoid = generator_with(head="sigmoid")
g_build_relu_slope = generator_with(slope=0.0)
g_build_flat = generator_with(reshape=False)
g_build_no_bias = generator_with(bias=False)


def g_build_fixed_units(noise_dim, units=(256, 512)):
    return generator_with()(noise_dim)


def discriminator_with(head=None, units_fixed=None, dropout_fixed=None, flatten=True):
    def build_discriminator(units=(512, 256), dropout=0.3):
        units = units_fixed or units
        rate = dropout if dropout_fixed is None else dropout_fixed
        layers = [keras.Input(shape=(28, 28, 1))] + ([keras.layers.Flatten()] if flatten else [])
        for u in units:
            layers += [keras.layers.Dense(u), keras.layers.LeakyReLU(negative_slope=0.2),
                       keras.layers.Dropout(rate)]
        layers.append(keras.layers.Dense(1, activation=head))
        return keras.Sequential(layers)
    return build_discriminator


d_build_sigmoid = discriminator_with(head="sigmoid")
d_build_fixed_dropout = discriminator_with(dropout_fixed=0.3)
d_build_no_flatten = discriminator_with(flatten=False)


def d_step_both(generator, discriminator, d_optimizer, real_images, noise):
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(real_images, training=True),
                                  discriminator(generator(noise, training=True), training=True))
    variables = discriminator.trainable_variables + generator.trainable_variables
    d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def d_step_arguments_swapped(generator, discriminator, d_optimizer, real_images, noise):
    fake = generator(noise, training=True)
    with tf.GradientTape() as tape:
        loss = discriminator_loss(discriminator(fake, training=True),
                                  discriminator(real_images, training=True))
    variables = discriminator.trainable_variables
    d_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def d_step_no_update(generator, discriminator, d_optimizer, real_images, noise):
    return discriminator_loss(discriminator(real_images), discriminator(generator(noise)))


def d_step_own_noise(generator, discriminator, d_optimizer, real_images, noise):
    return discriminator_step(generator, discriminator, d_optimizer, real_images,
                              tf.random.normal(tf.shape(noise)))


def d_step_numpy(generator, discriminator, d_optimizer, real_images, noise):
    loss = discriminator_step(generator, discriminator, d_optimizer, real_images, noise)
    return float(loss.numpy())


def g_step_both(generator, discriminator, g_optimizer, noise):
    with tf.GradientTape() as tape:
        loss = generator_loss(discriminator(generator(noise, training=True), training=True))
    variables = generator.trainable_variables + discriminator.trainable_variables
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def g_step_own_noise(generator, discriminator, g_optimizer, noise):
    return generator_step(generator, discriminator, g_optimizer, tf.random.normal(tf.shape(noise)))


def g_step_frozen_for_good(generator, discriminator, g_optimizer, noise):
    discriminator.trainable = False
    return generator_step(generator, discriminator, g_optimizer, noise)


def g_step_minimax(generator, discriminator, g_optimizer, noise):
    with tf.GradientTape() as tape:
        logits = discriminator(generator(noise, training=True), training=True)
        loss = -bce(tf.zeros_like(logits), logits)
    variables = generator.trainable_variables
    g_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
    return loss


def g_step_no_update(generator, discriminator, g_optimizer, noise):
    return generator_loss(discriminator(generator(noise)))


def score_at_least(p, threshold=0.9):
    p = np.asarray(p, dtype=float)
    confident = p.max(axis=1) >= threshold
    mean = p.mean(axis=0)
    mean = mean[mean > 0]
    return (float(confident.mean()), len(set(p.argmax(axis=1)[confident].tolist())),
            float(-(mean * np.log2(mean)).sum()))


def score_all_classes(p, threshold=0.9):
    share, _, entropy = score(p, threshold)
    return share, len(set(np.asarray(p).argmax(axis=1).tolist())), entropy


def score_row_entropy(p, threshold=0.9):
    share, classes, _ = score(p, threshold)
    safe = np.where(np.asarray(p) > 0, p, 1.0)
    return share, classes, float(-(np.asarray(p) * np.log2(safe)).sum(axis=1).mean())


def score_nats(p, threshold=0.9):
    share, classes, entropy = score(p, threshold)
    return share, classes, entropy * np.log(2)


def score_fixed_threshold(p, threshold=0.9):
    return score(p)
'''


@pytest.fixture(scope="module")
def answers(keras, tf):
    namespace = {"np": np, "tf": tf, "keras": keras,
                 "discriminator_loss": ref.discriminator_loss,
                 "generator_loss": ref.generator_loss,
                 "discriminator_step": ref.discriminator_step,
                 "generator_step": ref.generator_step, "score": ref.gan_score}
    exec(WRONG_ANSWERS, namespace)  # noqa: S102
    namespace.update(scale=ref.scale_images, d_loss=ref.discriminator_loss,
                     g_loss=ref.generator_loss, g_build=ref.build_generator,
                     d_build=ref.build_discriminator, d_step=ref.discriminator_step,
                     g_step=ref.generator_step, score=ref.gan_score)
    return namespace


# -- the answer key against Keras --------------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_losses_match_keras_and_numpy(keras, seed):
    rng = np.random.default_rng(seed)
    real = rng.normal(0.0, 3.0, (7, 1)).astype("float32")
    fake = rng.normal(0.0, 3.0, (4, 1)).astype("float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    for smoothing in (0.0, 0.1):
        want = float(bce(np.full_like(real, 1 - smoothing), real) + bce(np.zeros_like(fake), fake))
        assert ref.discriminator_loss_np(real, fake, smoothing) == pytest.approx(want, rel=1e-5)
        assert float(ref.discriminator_loss(real, fake, smoothing)) == pytest.approx(want, rel=1e-5)
    want = float(bce(np.ones_like(fake), fake))
    assert ref.generator_loss_np(fake) == pytest.approx(want, rel=1e-5)
    assert float(ref.generator_loss(fake)) == pytest.approx(want, rel=1e-5)


def test_balance_values():
    """At D = 0.5 everywhere (logit 0) the losses are 2 ln 2 and ln 2, as the lab says."""
    zeros = np.zeros((5, 1))
    assert ref.discriminator_loss_np(zeros, zeros) == pytest.approx(2 * np.log(2))
    assert ref.generator_loss_np(zeros) == pytest.approx(np.log(2))


def test_scale_images_range_and_shape():
    x = np.arange(256, dtype=np.uint8).reshape(1, 16, 16)
    out = ref.scale_images(x)
    assert out.shape == (1, 16, 16, 1) and out.dtype == np.float32
    assert out.min() == -1.0 and out.max() == 1.0


@pytest.mark.parametrize("noise_dim, units", [(16, (32, 64)), (10, (256, 512)), (3, (20,))])
def test_generator_parameter_count(keras, noise_dim, units):
    assert ref.build_generator(noise_dim, units).count_params() == ref.generator_parameters(
        noise_dim, units)


@pytest.mark.parametrize("units", [(40, 20), (512, 256), (9,)])
def test_discriminator_parameter_count(keras, units):
    assert ref.build_discriminator(units).count_params() == ref.discriminator_parameters(units)


def test_phases_move_only_their_network(keras):
    g, d = ref.tiny_pair(3)
    real, noise = ref.step_inputs(3, 4, 4)
    g0, d0 = ref.weights(g), ref.weights(d)
    ref.discriminator_step(g, d, keras.optimizers.SGD(learning_rate=0.1), real, noise)
    assert all(np.array_equal(a, b) for a, b in zip(ref.weights(g), g0, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(ref.weights(d), d0, strict=True))
    d1 = ref.weights(d)
    ref.generator_step(g, d, keras.optimizers.SGD(learning_rate=0.1), noise)
    assert all(np.array_equal(a, b) for a, b in zip(ref.weights(d), d1, strict=True))
    assert not all(np.array_equal(a, b) for a, b in zip(ref.weights(g), g0, strict=True))


def test_generator_step_equals_the_frozen_combined_model(keras):
    """The Keras 2 recipe (combined model, discriminator.trainable = False, fakes labelled 1)
    and the key's GradientTape phase 2 give the same generator update."""
    g, d = ref.tiny_pair(5)
    g2, d2 = ref.tiny_pair(5)
    _, noise = ref.step_inputs(5, 1, 6)
    ref.generator_step(g, d, keras.optimizers.SGD(learning_rate=0.2), noise)
    d2.trainable = False
    combined = keras.Sequential([g2, d2])
    combined.compile(optimizer=keras.optimizers.SGD(learning_rate=0.2),
                     loss=keras.losses.BinaryCrossentropy(from_logits=True))
    d_before = ref.weights(d2)
    combined.train_on_batch(noise, np.ones((len(noise), 1), "float32"))
    for a, b in zip(ref.weights(g), ref.weights(g2), strict=True):
        assert np.allclose(a, b, atol=1e-6)
    assert all(np.array_equal(a, b) for a, b in zip(ref.weights(d2), d_before, strict=True))


def test_gan_score_extremes():
    real_like = np.eye(10)[np.arange(100) % 10]
    assert ref.gan_score(real_like) == (1.0, 10, pytest.approx(np.log2(10)))
    assert ref.gan_score(np.full((5, 10), 0.1)) == (0.0, 0, pytest.approx(np.log2(10)))
    collapsed = np.eye(10)[np.full(20, 1)]
    share, classes, entropy = ref.gan_score(collapsed)
    assert (share, classes) == (1.0, 1) and entropy == pytest.approx(0.0, abs=1e-12)


def test_stored_cases_are_the_keys(keras):
    assert np.allclose(ref.scale_images(np.array(check._PIXELS, dtype=np.uint8)),
                       check._SCALED, atol=1e-6)
    for real, fake, smoothing, expected in check._D_CASES:
        assert ref.discriminator_loss_np(real, fake, smoothing) == pytest.approx(expected,
                                                                                 rel=1e-12)
    for fake, expected in check._G_CASES:
        assert ref.generator_loss_np(fake) == pytest.approx(expected, rel=1e-12)
    probs = np.array(check._SCORE_PROBS)
    for threshold, expected in check._SCORE_CASES:
        got = ref.gan_score(probs, 0.9 if threshold is None else threshold)
        assert got[:2] == expected[:2] and got[2] == pytest.approx(expected[2], rel=1e-12)
    for steps, build in ((check._D_STEP, "discriminator"), (check._G_STEP, "generator")):
        g, d = check._tiny_models()
        real, noise = check._step_inputs()
        opt = keras.optimizers.SGD(learning_rate=0.5)
        if build == "discriminator":
            loss = ref.discriminator_step(g, d, opt, real, noise)
            trained = d
        else:
            loss = ref.generator_step(g, d, opt, noise)
            trained = g
        assert float(loss) == pytest.approx(steps["loss"], rel=1e-5)
        assert np.allclose([w.sum() for w in check._weights(trained)], steps["sums"],
                           atol=1e-3, rtol=1e-5)


# -- visible checks ----------------------------------------------------------------------------

def test_key_passes_the_checks(answers, capsys):
    check.check_scale_images(answers["scale"])
    check.check_gan_score(answers["score"])
    check.check_discriminator_loss(answers["d_loss"])
    check.check_generator_loss(answers["g_loss"])
    check.check_build_generator(answers["g_build"])
    check.check_build_discriminator(answers["d_build"])
    check.check_discriminator_step(answers["d_step"])
    check.check_generator_step(answers["g_step"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 8 and "not checked" not in out.out
    assert out.err == ""


@pytest.mark.parametrize("check_name, name, message", [
    ("scale_images", "scale_unit", r"\[0, 1\]"),
    ("scale_images", "scale_no_channel", "channel axis"),
    ("scale_images", "scale_float64", "float32"),
    ("scale_images", "scale_256", "wrong values"),
    ("discriminator_loss", "d_swapped", "swapped"),
    ("discriminator_loss", "d_sigmoid_twice", "sigmoid is applied twice"),
    ("discriminator_loss", "d_on_logits_as_probabilities", "as probabilities"),
    ("discriminator_loss", "d_one_mean", "one mean"),
    ("discriminator_loss", "d_half", "half the loss"),
    ("discriminator_loss", "d_smooth_both", "only the REAL targets"),
    ("discriminator_loss", "d_no_smoothing", "smoothing is ignored"),
    ("discriminator_loss", "d_unstable", "not finite|wrong value"),
    ("discriminator_loss", "d_numpy", "inside tf.function"),
    ("generator_loss", "g_zero", "labelled 0"),
    ("generator_loss", "g_minimax", "minimax"),
    ("generator_loss", "g_sigmoid_twice", "sigmoid is applied twice"),
    ("generator_loss", "g_on_probabilities", "as probabilities"),
    ("build_generator", "g_build_sigmoid", "tanh"),
    ("build_generator", "g_build_relu_slope", "slope"),
    ("build_generator", "g_build_flat", "wrong layers"),
    ("build_generator", "g_build_no_bias", "parameters"),
    ("build_generator", "g_build_fixed_units", "wrong number of units"),
    ("build_discriminator", "d_build_sigmoid", "one logit"),
    ("build_discriminator", "d_build_fixed_dropout", "Dropout"),
    ("build_discriminator", "d_build_no_flatten", "wrong layers"),
    ("discriminator_step", "d_step_both", "changed the generator"),
    ("discriminator_step", "d_step_arguments_swapped", "wrong loss"),
    ("discriminator_step", "d_step_no_update", "did not change the discriminator"),
    ("discriminator_step", "d_step_own_noise", "wrong loss"),
    ("discriminator_step", "d_step_numpy", "inside tf.function"),
    ("generator_step", "g_step_both", "changed the discriminator"),
    ("generator_step", "g_step_own_noise", "wrong loss"),
    ("generator_step", "g_step_frozen_for_good", "trainable = False"),
    ("generator_step", "g_step_minimax", "wrong loss"),
    ("generator_step", "g_step_no_update", "did not change the generator"),
    ("gan_score", "score_at_least", "use >, not >="),
    ("gan_score", "score_all_classes", "CONFIDENT rows"),
    ("gan_score", "score_row_entropy", "MEAN row"),
    ("gan_score", "score_nats", "wrong entropy"),
    ("gan_score", "score_fixed_threshold", "confident share"),
])
def test_checks_reject_wrong_answers(answers, check_name, name, message):
    with pytest.raises(CheckFailed, match=message):
        getattr(check, f"check_{check_name}")(answers[name])


def test_step_checks_name_the_wrong_loss(answers, capsys):
    for step, loss_name, wrong in ((answers["d_step"], "discriminator_loss", "d_swapped"),
                                   (answers["g_step"], "generator_loss", "g_zero")):
        fn = type(step)(step.__code__, {**step.__globals__, loss_name: answers[wrong]})
        getattr(check, f"check_{step.__name__}")(fn)
        out = capsys.readouterr().out
        assert f"not checked, because {loss_name} fails its own check" in out


# -- hidden tests ------------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(tf, keras, cell_id, function_name, answer):
    namespace = {"np": np, "tf": tf, "keras": keras}
    if hasattr(answer, "__code__"):  # a fresh copy, so hidden.substituted patches only it
        answer = type(answer)(answer.__code__, dict(answer.__globals__), answer.__name__,
                              answer.__defaults__, answer.__closure__)
    namespace[function_name] = answer
    exec(_hidden(cell_id), namespace)  # noqa: S102


CELLS = {"scale": "scale_images", "score": "gan_score", "d_loss": "discriminator_loss",
         "g_loss": "generator_loss", "g_build": "build_generator",
         "d_build": "build_discriminator", "d_step": "discriminator_step",
         "g_step": "generator_step"}
WRONG = {"scale": ["scale_unit", "scale_no_channel", "scale_float64", "scale_256"],
         "d_loss": ["d_swapped", "d_sigmoid_twice", "d_on_logits_as_probabilities",
                    "d_one_mean", "d_half", "d_smooth_both", "d_no_smoothing", "d_numpy"],
         "g_loss": ["g_zero", "g_minimax", "g_sigmoid_twice", "g_on_probabilities"],
         "g_build": ["g_build_sigmoid", "g_build_relu_slope", "g_build_flat", "g_build_no_bias",
                     "g_build_fixed_units"],
         "d_build": ["d_build_sigmoid", "d_build_fixed_dropout", "d_build_no_flatten"],
         "d_step": ["d_step_both", "d_step_arguments_swapped", "d_step_no_update",
                    "d_step_own_noise", "d_step_numpy"],
         "g_step": ["g_step_both", "g_step_own_noise", "g_step_frozen_for_good",
                    "g_step_minimax", "g_step_no_update"],
         "score": ["score_at_least", "score_all_classes", "score_row_entropy", "score_nats",
                   "score_fixed_threshold"]}


@pytest.mark.parametrize("name", list(CELLS))
def test_hidden_tests_accept_the_key(tf, keras, answers, name):
    _run_hidden(tf, keras, f"test_{CELLS[name]}", CELLS[name], answers[name])


@pytest.mark.parametrize("task, name", [(task, name) for task, names in WRONG.items()
                                        for name in names])
def test_hidden_tests_reject_wrong_answers(tf, keras, answers, task, name):
    with np.errstate(all="ignore"), pytest.raises(Exception):  # noqa: B017
        _run_hidden(tf, keras, f"test_{CELLS[task]}", CELLS[task], answers[name])
