"""Lab 03: the NumPy losses against keras.losses, and the checks against typical mistakes."""

import numpy as np
import pytest

from dlcourse.checks import losses as check
from dlcourse.datasets import toy
from dlcourse.reference import losses as ref

RNG = np.random.default_rng(3)


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


@pytest.fixture(scope="module")
def keras_losses():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras
    return keras.losses


def _k(value) -> float:
    return float(np.asarray(value))


@pytest.mark.parametrize("shape", [(7,), (6, 3)])
def test_regression_losses_match_keras(keras_losses, shape):
    y, p = RNG.normal(size=shape) * 3, RNG.normal(size=shape) * 3
    kw = {"dtype": "float64"}
    assert np.isclose(ref.mse(y, p), _k(keras_losses.MeanSquaredError(**kw)(y, p)), atol=1e-6)
    assert np.isclose(ref.mae(y, p), _k(keras_losses.MeanAbsoluteError(**kw)(y, p)), atol=1e-6)
    mse_k = _k(keras_losses.MeanSquaredError(**kw)(y, p))
    assert np.isclose(ref.rmse(y, p), np.sqrt(mse_k), atol=1e-6)
    assert np.isclose(ref.sse(y, p), mse_k * y.size, atol=1e-6)
    for delta in (0.5, 1.0, 2.5):
        huber = keras_losses.Huber(delta=delta, **kw)(y, p)
        assert np.isclose(ref.huber(y, p, delta), _k(huber), atol=1e-6)


def test_binary_crossentropy_matches_keras_including_0_and_1(keras_losses):
    y = RNG.integers(0, 2, size=(5, 4)).astype(float)
    p = RNG.uniform(size=(5, 4))
    p[0, :2] = 0.0
    p[1, :2] = 1.0  # certain predictions: Keras clips them at 1e-7, so must we
    got = ref.binary_crossentropy(y, p)
    expected = _k(keras_losses.BinaryCrossentropy(dtype="float64")(y, p))
    assert np.isfinite(got) and np.isclose(got, expected, atol=1e-6)


def test_categorical_crossentropies_match_keras(keras_losses):
    labels = RNG.integers(0, 4, size=9)
    p = _softmax(RNG.normal(size=(9, 4)) * 2)
    p[0] = [0.0, 0.0, 0.0, 1.0]
    labels[0] = 1  # the true class predicted with probability 0: log(0) must not appear
    y = ref.one_hot(labels, 4)
    cce = _k(keras_losses.CategoricalCrossentropy(dtype="float64")(y, p))
    scce = _k(keras_losses.SparseCategoricalCrossentropy(dtype="float64")(labels, p))
    assert np.isclose(ref.categorical_crossentropy(y, p), cce, atol=1e-6)
    assert np.isclose(ref.sparse_categorical_crossentropy(labels, p), scce, atol=1e-6)
    assert np.isfinite(ref.categorical_crossentropy(y, p))


def test_tips_worked_example():
    pred = np.full_like(toy.TIPS, toy.TIPS_GUESS)
    assert ref.residuals(toy.TIPS, pred).sum() == 0
    assert ref.sse(toy.TIPS, pred) == 76
    assert round(ref.mse(toy.TIPS, pred), 2) == 12.67 and round(ref.mae(toy.TIPS, pred), 2) == 3.33


def test_line_guess_root_of_sse():
    assert round(np.sqrt(ref.sse(toy.LINE_Y, 3 * toy.LINE_X - 1)), 4) == 5.5678


def test_best_constant_is_mean_for_mse_and_median_for_mae():
    y = np.append(toy.TIPS, 50.0)
    grid = np.linspace(0, 20, 2001)
    assert np.isclose(ref.best_constant(y, ref.mse, grid), y.mean(), atol=0.01)
    assert np.isclose(ref.best_constant(y, ref.mae, grid), np.median(y), atol=0.01)


def test_one_hot_rejects_out_of_range_labels():
    assert np.array_equal(ref.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        ref.one_hot([1, 2, 3], 3)  # 1-based labels


def test_reference_passes_every_check(capsys):
    check.check_regression_losses(ref.sse, ref.mse, ref.mae)
    check.check_rmse_huber(ref.rmse, ref.huber)
    check.check_binary_crossentropy(ref.binary_crossentropy)
    check.check_categorical(ref.categorical_crossentropy, ref.sparse_categorical_crossentropy)
    check.check_best_constant(ref.best_constant)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


def _fails(match, fn, *args):
    with pytest.raises(AssertionError, match=match):
        fn(*args)


def test_sum_instead_of_mean_is_named():
    def mse(y, p):
        return np.sum((np.asarray(y) - p) ** 2)

    _fails("divides it by n", check.check_regression_losses, ref.sse, mse, ref.mae)


def test_rmse_without_root_is_named():
    _fails("take its square root", check.check_rmse_huber, ref.mse, ref.huber)


def test_huber_with_swapped_branches_is_named():
    def huber(y, p, delta=1.0):
        e = np.abs(np.asarray(y) - p)
        return np.mean(np.where(e <= delta, delta * e - 0.5 * delta**2, 0.5 * e**2))

    _fails("branches are swapped", check.check_rmse_huber, ref.rmse, huber)


def test_crossentropy_sign_error_and_no_clipping_are_named():
    def bce_sign(y, p):
        return np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    def bce_unclipped(y, p):
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    _fails("sign error", check.check_binary_crossentropy, bce_sign)
    with np.errstate(divide="ignore", invalid="ignore"):
        _fails("clip", check.check_binary_crossentropy, bce_unclipped)


def test_crossentropy_averaged_over_classes_is_named():
    def cce(y, p):
        return -np.mean(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)))

    _fails("averaged over the classes", check.check_categorical, cce,
           ref.sparse_categorical_crossentropy)


def test_per_sample_losses_are_rejected():
    def mse(y, p):
        return np.mean((np.asarray(y) - p) ** 2, axis=-1)

    _fails("one number", check.check_regression_losses, ref.sse, mse, ref.mae)


def test_argmax_instead_of_argmin_is_named():
    def best_constant(y, loss, candidates):
        return candidates[np.argmax([loss(y, np.full_like(y, c)) for c in candidates])]

    _fails("np.argmin", check.check_best_constant, best_constant)
