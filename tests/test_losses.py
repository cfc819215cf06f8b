"""Lab 03: the answer key against keras.losses, the visible checks against the key and
against typical mistakes, and the answer key's guards for hidden tests."""

from pathlib import Path

import numpy as np
import pytest
from answer_key import losses as ref

from dlcourse.checks import losses as check
from dlcourse.datasets import toy

RNG = np.random.default_rng(3)
EPS = ref.EPSILON


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


# The answer key agrees with Keras (small inputs) -----------------------------------------

@pytest.mark.parametrize("shape", [(7,), (6, 1), (4, 3)])
def test_regression_losses_match_keras(keras_losses, shape):
    y, p = RNG.normal(size=shape) * 3, RNG.normal(size=shape) * 3
    kw = {"dtype": "float64"}
    mse_k = _k(keras_losses.MeanSquaredError(**kw)(y, p))
    assert np.isclose(ref.mse(y, p), mse_k, atol=1e-6)
    assert np.isclose(ref.mae(y, p), _k(keras_losses.MeanAbsoluteError(**kw)(y, p)), atol=1e-6)
    assert np.isclose(ref.rmse(y, p), np.sqrt(mse_k), atol=1e-6)
    assert np.isclose(ref.sse(y, p), mse_k * y.size, atol=1e-6)
    for delta in (0.3, 1.0, 2.5):
        huber = keras_losses.Huber(delta=delta, **kw)(y, p)
        assert np.isclose(ref.huber(y, p, delta), _k(huber), atol=1e-6)


@pytest.mark.parametrize("shape", [(6,), (6, 1), (5, 4)])
def test_binary_crossentropy_matches_keras_including_0_and_1(keras_losses, shape):
    y = RNG.integers(0, 2, size=shape).astype(float)
    p = RNG.uniform(size=shape)
    flat_y, flat_p = y.reshape(-1), p.reshape(-1)
    flat_y[:4], flat_p[:4] = [1, 0, 1, 0], [0.0, 1.0, 1.0, 0.0]  # Keras clips at 1e-7
    got = ref.binary_crossentropy(y, p)
    expected = _k(keras_losses.BinaryCrossentropy(dtype="float64")(y, p))
    assert np.isfinite(got) and np.isclose(got, expected, atol=1e-6)


@pytest.mark.parametrize("k", [2, 4])
def test_categorical_crossentropies_match_keras(keras_losses, k):
    labels = RNG.integers(0, k, size=9)
    p = _softmax(RNG.normal(size=(9, k)) * 2)
    p[0] = np.eye(k)[(labels[0] + 1) % k]  # the true class predicted with probability 0
    y = ref.one_hot(labels, k)
    cce = _k(keras_losses.CategoricalCrossentropy(dtype="float64")(y, p))
    scce = _k(keras_losses.SparseCategoricalCrossentropy(dtype="float64")(labels, p))
    assert np.isclose(ref.categorical_crossentropy(y, p), cce, atol=1e-6)
    assert np.isclose(ref.sparse_categorical_crossentropy(labels, p), scce, atol=1e-6)
    assert np.isclose(ref.sparse_categorical_crossentropy(labels[:, None], p), scce, atol=1e-6)


@pytest.mark.parametrize("shape", [(6,), (7, 1), (4, 3), (2, 3, 2)])
def test_binary_crossentropy_from_logits_matches_keras_at_extreme_logits(keras_losses, shape):
    import warnings

    y = RNG.integers(0, 2, size=shape).astype(float)
    z = RNG.normal(size=shape) * 5
    flat = z.reshape(-1)
    flat[:4] = [1000.0, -1000.0, 40.0, -745.5]
    expected = _k(keras_losses.BinaryCrossentropy(from_logits=True, dtype="float64")(y, z))
    with np.errstate(all="raise", under="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        got = ref.binary_crossentropy_from_logits(y, z)
    assert np.isclose(got, expected, rtol=1e-12, atol=1e-12)


def test_tips_worked_example():
    pred = np.full_like(toy.TIPS, toy.TIPS_GUESS)
    assert ref.residuals(toy.TIPS, pred).sum() == 0
    assert ref.sse(toy.TIPS, pred) == 76
    assert round(ref.mse(toy.TIPS, pred), 2) == 12.67 and round(ref.mae(toy.TIPS, pred), 2) == 3.33


def test_line_guess_root_of_sse():
    assert round(np.sqrt(ref.sse(toy.LINE_Y, 3 * toy.LINE_X - 1)), 4) == 5.5678


def test_best_constant_is_mean_for_mse_median_for_mae_and_first_of_ties():
    y = np.append(toy.TIPS, 50.0)
    grid = np.linspace(0, 20, 2001)
    assert np.isclose(ref.best_constant(y, ref.mse, grid), y.mean(), atol=0.01)
    assert np.isclose(ref.best_constant(y, ref.mae, grid), np.median(y), atol=0.01)
    assert ref.best_constant(y, ref.pinball(0.75), grid) == 15.0
    assert ref.best_constant([0.0, 4.0], ref.mae, [3.0, 1.0, 2.0]) == 3.0


def test_one_hot_rejects_out_of_range_labels():
    assert np.array_equal(ref.one_hot([2, 0], 3), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(ValueError):
        ref.one_hot([1, 2, 3], 3)  # 1-based labels


# The visible checks: no answers, stored values that agree with the key --------------------

def test_check_module_holds_no_answer_key():
    source = Path(check.__file__).read_text()
    assert "answer_key" not in source and "reference" not in source.split('"""')[-1]
    for name in ("sse", "mse", "mae", "rmse", "huber", "binary_crossentropy",
                 "binary_crossentropy_from_logits",
                 "categorical_crossentropy", "sparse_categorical_crossentropy", "best_constant",
                 "one_hot"):
        assert not hasattr(check, name)


def test_stored_values_agree_with_the_key():
    for _, (y, p), sse, mse, mae, rmse in check.REGRESSION:
        assert np.allclose([ref.sse(y, p), ref.mse(y, p), ref.mae(y, p), ref.rmse(y, p)],
                           [sse, mse, mae, rmse], rtol=1e-12)
    assert ref.huber(check.HUBER_Y, check.HUBER_P, 2.5) == pytest.approx(2.9, rel=1e-12)
    assert ref.huber(check.HUBER_Y, check.HUBER_P, 0.3) == pytest.approx(0.615, rel=1e-12)
    assert ref.huber(check.HUBER_Y, check.HUBER_P) == pytest.approx(1.725, rel=1e-12)
    assert ref.binary_crossentropy([[1.0, 0, 0], [0, 1, 1]], [[0.7, 1, 0], [0.3, 1e-9, 0.5]]) \
        == pytest.approx(5.607114745146736, rel=1e-12)
    labels = np.array([1, 0, 1, 2])
    p = np.array([[0.1, 0.6, 0.3, 0.0], [0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25],
                  [0.0, 0.0, 1.0, 0.0]])
    assert ref.sparse_categorical_crossentropy(labels, p) == pytest.approx(4.503803933961052)
    assert ref.categorical_crossentropy(ref.one_hot(labels, 4), p) == pytest.approx(
        4.503803933961052)
    for _, y, z, expected, wrong in check.LOGIT_CASES:
        assert ref.binary_crossentropy_from_logits(y, z) == pytest.approx(expected, rel=1e-12)
        assert all(abs(value - expected) > 1e-3 for value, _ in wrong)
    for tau, best in ((0.5, 12.0), (0.75, 15.0)):
        assert ref.best_constant(check.TIPS_OUTLIER, ref.pinball(tau), check.GRID) == best
        assert check._pinball(tau)(check.TIPS_OUTLIER, np.full(7, 3.0)) == pytest.approx(
            ref.pinball(tau)(check.TIPS_OUTLIER, np.full(7, 3.0)))


def test_reference_passes_every_check(capsys):
    check.check_regression_losses(ref.sse, ref.mse, ref.mae)
    check.check_rmse_huber(ref.rmse, ref.huber)
    check.check_binary_crossentropy(ref.binary_crossentropy)
    check.check_categorical(ref.categorical_crossentropy, ref.sparse_categorical_crossentropy)
    check.check_best_constant(ref.best_constant)
    check.check_binary_crossentropy_from_logits(ref.binary_crossentropy_from_logits)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 6


def test_other_stable_forms_pass_the_logits_check(capsys):
    def softplus_form(y, z):
        return np.mean(np.logaddexp(0.0, z) - z * y)

    def plain_log(y, z):
        return np.mean(np.maximum(z, 0) - z * y + np.log(1 + np.exp(-np.abs(z))))

    check.check_binary_crossentropy_from_logits(softplus_form)
    check.check_binary_crossentropy_from_logits(plain_log)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 2


def _fails(match, fn, *args):
    with pytest.raises(AssertionError, match=match):
        fn(*args)


def test_sum_instead_of_mean_is_named():
    def mse(y, p):
        return np.sum((np.asarray(y) - p) ** 2)

    _fails("divides it by n", check.check_regression_losses, ref.sse, mse, ref.mae)


def test_dividing_by_the_number_of_rows_is_named():
    def mae(y, p):
        return np.sum(np.abs(np.asarray(y) - p)) / len(y)

    _fails("not by len", check.check_regression_losses, ref.sse, ref.mse, mae)


def test_per_sample_losses_are_rejected():
    def mse(y, p):
        return np.mean((np.asarray(y) - p) ** 2, axis=-1)

    _fails("one number", check.check_regression_losses, ref.sse, mse, ref.mae)


def test_rmse_without_root_is_named():
    _fails("take its square root", check.check_rmse_huber, ref.mse, ref.huber)


def test_rmse_built_on_a_wrong_mse_names_task_1():
    namespace = {"np": np}
    exec("def mse(y, p):\n    return np.sum((y - p) ** 2)\n"
         "def rmse(y, p):\n    return np.sqrt(mse(y, p))\n", namespace)
    _fails("fix Task 1 first", check.check_rmse_huber, namespace["rmse"], ref.huber)


def _huber(threshold, linear):
    def huber(y, p, delta=1.0):
        e = np.abs(np.asarray(y) - p)
        return np.mean(np.where(e <= threshold(delta), 0.5 * e**2, linear(e, delta)))
    return huber


@pytest.mark.parametrize(("huber", "match"), [
    (lambda y, p, delta=1.0: ref.huber(y, p, 1.0), "not 1"),
    (_huber(lambda d: 1.0, lambda e, d: d * (e - 0.5 * d)), "not with 1"),
    (_huber(lambda d: d, lambda e, d: e - 0.5), "use delta in it"),
    (lambda y, p, delta=2.0: ref.huber(y, p, delta), "default is delta=1.0"),
])
def test_huber_at_other_deltas(huber, match):
    _fails(match, check.check_rmse_huber, ref.rmse, huber)


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

    def bce_lower_clip_only(y, p):
        p = np.clip(p, EPS, 1)
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    def bce_zero_only(y, p):
        p = np.where(p == 0, EPS, np.where(p == 1, 1 - EPS, p))
        return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))

    _fails("sign error", check.check_binary_crossentropy, bce_sign)
    with np.errstate(divide="ignore", invalid="ignore"):
        _fails("clip", check.check_binary_crossentropy, bce_unclipped)
        _fails("clip", check.check_binary_crossentropy, bce_lower_clip_only)
    _fails("such as 1e-9", check.check_binary_crossentropy, bce_zero_only)


def _sigmoid_then_log(y, z):
    p = 1 / (1 + np.exp(-z))
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))


@pytest.mark.parametrize(("loss", "match"), [
    (_sigmoid_then_log, "overflow encountered in exp"),
    (lambda y, z: np.mean((1 - y) * z + np.log(1 + np.exp(-z))), "NumPy warned"),
    (lambda y, z: np.mean(np.where(z >= 0, z - z * y + np.log1p(np.exp(-z)),
                                   -z * y + np.log1p(np.exp(z)))), "both of its branches"),
    (lambda y, z: np.mean(np.maximum(z, 0) + z * y + np.log1p(np.exp(-np.abs(z)))),
     "sign error"),
    (lambda y, z: np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))),
     "do not sum"),
    (lambda y, z: ref.binary_crossentropy(y, 0.5 * (1 + np.tanh(0.5 * z))), "no clipping"),
    (lambda y, z: np.mean(np.sum(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))),
                                 axis=-1)), "without an axis"),
    (lambda y, z: np.mean(np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z))), axis=0),
     "one number|wrong"),
])
def test_logits_mistakes_are_named(loss, match):
    _fails(match, check.check_binary_crossentropy_from_logits, loss)


def test_silenced_numpy_does_not_pass_the_logits_check():
    with np.errstate(all="ignore"):
        _fails("NumPy warned", check.check_binary_crossentropy_from_logits, _sigmoid_then_log)


def test_crossentropy_averaged_over_classes_is_named():
    def cce(y, p):
        return -np.mean(y * np.log(np.clip(p, 1e-7, 1 - 1e-7)))

    _fails("averaged over the classes", check.check_categorical, cce,
           ref.sparse_categorical_crossentropy)


def test_sparse_labels_as_a_column_or_from_their_maximum_fail():
    def column(labels, p):
        picked = np.clip(p[np.arange(len(labels)), labels], EPS, 1 - EPS)
        return -np.mean(np.log(picked))

    def from_labels(labels, p):
        labels = np.asarray(labels).reshape(-1)
        onehot = np.eye(labels.max() + 1)[labels]
        return ref.categorical_crossentropy(onehot, p)

    _fails("flattened", check.check_categorical, ref.categorical_crossentropy, column)
    _fails("p_pred.shape", check.check_categorical, ref.categorical_crossentropy, from_labels)


def test_argmax_instead_of_argmin_is_named():
    def best_constant(y, loss, candidates):
        return candidates[np.argmax([loss(y, np.full_like(y, c)) for c in candidates])]

    _fails("np.argmin", check.check_best_constant, best_constant)


@pytest.mark.parametrize(("best_constant", "match"), [
    (lambda y, loss, c: c[np.argmin([loss(np.full_like(y, v), y) for v in c])], "y first"),
    (lambda y, loss, c: c[np.argmin(np.abs(c - np.mean(y)))], "not the m"),
    (lambda y, loss, c: c[np.argmin([loss(y, np.full_like(y, v)) for v in c[:-1]])],
     "the last one too"),
    (lambda y, loss, c: c[len(c) - 1 - np.argmin([loss(y, np.full_like(y, v))
                                                  for v in c[::-1]])], "first of equally"),
    (lambda y, loss, c: int(np.argmin([loss(y, np.full_like(y, v)) for v in c])), "index"),
    (lambda y, loss, c: c[np.argmin([loss(y, v) for v in c])], "full_like"),
])
def test_best_constant_mistakes_are_named(best_constant, match):
    _fails(match, check.check_best_constant, best_constant)


def test_patched_numpy_comparisons_do_not_fool_the_checks(monkeypatch):
    monkeypatch.setattr(np, "isclose", lambda *a, **k: True)
    monkeypatch.setattr(np, "allclose", lambda *a, **k: True)
    _fails("rmse", check.check_rmse_huber, ref.mse, ref.huber)


# Guards the hidden tests use --------------------------------------------------------------

def test_the_key_is_intact_and_notices_patches(monkeypatch):
    ref.intact()
    monkeypatch.setattr(np, "mean", lambda *a, **k: 0.0)
    with pytest.raises(AssertionError, match="NumPy"):
        ref.intact()


def test_a_replaced_key_function_is_noticed(monkeypatch):
    monkeypatch.setattr(ref, "mse", lambda y, p: 0.0)
    with pytest.raises(AssertionError, match="replaced"):
        ref.intact()


def test_answers_taken_from_the_key_are_noticed():
    namespace = {}
    exec("from answer_key import losses as L\nfrom answer_key.losses import mae as M\n"
         "def mse(y, p):\n    return L.mse(y, p)\n"
         "def mae(y, p):\n    return M(y, p)\n"
         "def sse(y, p):\n    import answer_key.losses\n    return answer_key.losses.sse(y, p)\n"
         "def own(y, p):\n    return sum(y)\n", namespace)
    for name in ("mse", "mae", "sse"):
        with pytest.raises(AssertionError, match="answer.key"):
            ref.not_delegated(namespace[name])
    with pytest.raises(AssertionError, match="answer key"):
        ref.not_delegated(ref.huber)
    ref.not_delegated(namespace["own"])


def test_answers_that_call_a_library_loss_are_noticed():
    namespace = {"np": np}
    exec("import keras\nfrom sklearn.metrics import mean_squared_error\n"
         "def helper(y, p):\n    return float(keras.losses.MeanSquaredError()(y, p))\n"
         "def mse(y, p):\n    return helper(y, p)\n"
         "def mse_sklearn(y, p):\n    return mean_squared_error(y, p)\n"
         "def mse_tf(y, p):\n    import tensorflow as tf\n    return float(tf.reduce_mean(y - p))\n"
         "def mse_own(y, p):\n    return np.mean((y - p) ** 2)\n"
         "def rmse(y, p):\n    return np.sqrt(mse_own(y, p))\n", namespace)
    for name, match in (("mse", "keras"), ("mse_sklearn", "sklearn"), ("mse_tf", "tensorflow")):
        with pytest.raises(AssertionError, match=match):
            ref.not_delegated(namespace[name])
    ref.not_delegated(namespace["rmse"], namespace["mse_own"])


def test_visible_checks_refuse_a_library_loss():
    namespace = {"np": np}
    exec("import keras\n"
         "def binary_crossentropy(y, p):\n"
         "    return float(keras.losses.BinaryCrossentropy(dtype='float64')(y, p))\n", namespace)
    _fails("calls keras", check.check_binary_crossentropy, namespace["binary_crossentropy"])
