"""Lab 19: the answer key against scikit-learn, SciPy and Keras; the visible checks accept the
key's answers and reject typical wrong ones with the right message."""

import numpy as np
import pytest
from answer_key import autoencoders as ref

from dlcourse.checks import autoencoders as check
from dlcourse.checks.core import CheckFailed

# Wrong answers as students write them, run in a namespace like the notebook's.
WRONG_ANSWERS = '''
def std_all_rows(X_train, X_other):
    rows = np.vstack([X_train, X_other])
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (np.asarray(X_train) - mean) / std, (np.asarray(X_other) - mean) / std


def std_sample(X_train, X_other):
    X_train, X_other = np.asarray(X_train, float), np.asarray(X_other, float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0, ddof=1)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_other - mean) / std


def std_nan(X_train, X_other):
    X_train, X_other = np.asarray(X_train, float), np.asarray(X_other, float)
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    return (X_train - mean) / std, (X_other - mean) / std


def std_in_place(X_train, X_other):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    X_train -= mean
    X_train /= std
    return X_train, (X_other - mean) / std


def std_own_stats(X_train, X_other):
    def z(X):
        X = np.asarray(X, float)
        s = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(s == 0, 1.0, s)
    return z(X_train), z(X_other)


def mse_sum(X, X_hat, per_row=False):
    d = (np.asarray(X, float) - np.asarray(X_hat, float)) ** 2
    return d.reshape(len(d), -1).sum(axis=1) if per_row else float(d.sum())


def mse_root(X, X_hat, per_row=False):
    d = (np.asarray(X, float) - np.asarray(X_hat, float)) ** 2
    return np.sqrt(d.reshape(len(d), -1).mean(axis=1)) if per_row else float(np.sqrt(d.mean()))


def mse_axis0(X, X_hat, per_row=False):
    d = (np.asarray(X, float) - np.asarray(X_hat, float)) ** 2
    return d.mean(axis=0) if per_row else float(d.mean())


def mse_last_axis(X, X_hat, per_row=False):
    d = (np.asarray(X, float) - np.asarray(X_hat, float)) ** 2
    return d.mean(axis=-1) if per_row else float(d.mean())


def angles_raw(A, B):
    c = np.linalg.svd(np.asarray(A, float).T @ np.asarray(B, float), compute_uv=False)
    return np.sort(np.degrees(np.arccos(np.clip(c, -1, 1))))


def angles_radians(A, B):
    return np.sort(subspace_angles(A, B))


def angles_scipy_as_is(A, B):
    return np.degrees(subspace_angles(A, B))


def angles_unclipped(A, B):
    qa, qb = np.linalg.qr(np.asarray(A, float))[0], np.linalg.qr(np.asarray(B, float))[0]
    c = np.linalg.svd(qa.T @ qb, compute_uv=False)
    with np.errstate(invalid="ignore"):
        return np.sort(np.degrees(np.arccos(c * (1 + 1e-12))))


def linear_builder(activation=None, loss="mse", fixed_rate=None, bias=True, extra=False):
    def build_linear_autoencoder(n_features, code_size, learning_rate=1e-3):
        layers = [keras.Input(shape=(n_features,)),
                  keras.layers.Dense(code_size, activation=activation, use_bias=bias)]
        if extra:
            layers.append(keras.layers.Dense(code_size))
        layers.append(keras.layers.Dense(n_features, use_bias=bias))
        model = keras.Sequential(layers)
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=fixed_rate or learning_rate),
                      loss=loss)
        return model
    return build_linear_autoencoder


linear_relu = linear_builder(activation="relu")
linear_mae = linear_builder(loss="mae")
linear_fixed_rate = linear_builder(fixed_rate=1e-3)
linear_no_bias = linear_builder(bias=False)
linear_extra = linear_builder(extra=True)


def linear_swapped(n_features, code_size, learning_rate=1e-3):
    model = keras.Sequential([keras.Input(shape=(n_features,)), keras.layers.Dense(n_features),
                              keras.layers.Dense(code_size)])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate), loss="mse")
    return model


def conv_builder(out_activation="sigmoid", strides=2, upsampling=False, loss=None,
                 code_activation=None, mirror=True, fixed_rate=None):
    def build_conv_autoencoder(input_shape=(28, 28, 1), filters=(16, 8), code_size=32,
                               learning_rate=1e-3):
        h, w, c = input_shape
        f1, f2 = filters
        decoder = []
        for f in ((f2, f1) if mirror else (f1, f2)):
            if upsampling:
                decoder += [keras.layers.UpSampling2D(),
                            keras.layers.Conv2DTranspose(f, 3, padding="same", activation="relu")]
            else:
                decoder.append(keras.layers.Conv2DTranspose(f, 3, strides=strides,
                                                            padding="same", activation="relu"))
        model = keras.Sequential([
            keras.Input(shape=input_shape),
            keras.layers.Conv2D(f1, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Conv2D(f2, 3, strides=2, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(code_size, activation=code_activation),
            keras.layers.Dense(h // 4 * w // 4 * f2, activation="relu"),
            keras.layers.Reshape((h // 4, w // 4, f2)),
            *decoder,
            keras.layers.Conv2D(c, 3, padding="same", activation=out_activation),
        ])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=fixed_rate or learning_rate),
                      loss=loss or keras.losses.BinaryCrossentropy())
        return model
    return build_conv_autoencoder


conv_linear_out = conv_builder(out_activation=None)
conv_stride_one = conv_builder(strides=1)
conv_upsampling = conv_builder(upsampling=True)
conv_mse = conv_builder(loss="mse")
conv_logits = conv_builder(loss=keras.losses.BinaryCrossentropy(from_logits=True))
conv_relu_code = conv_builder(code_activation="relu")
conv_not_mirrored = conv_builder(mirror=False)
conv_fixed_rate = conv_builder(fixed_rate=1e-3)


def noise_unclipped(images, stddev, rng):
    images = np.asarray(images)
    return (images + rng.normal(0.0, stddev, images.shape)).astype(np.float32)


def noise_global(images, stddev, rng):
    images = np.asarray(images)
    return np.clip(images + np.random.normal(0.0, stddev, images.shape), 0, 1).astype(np.float32)


def noise_in_place(images, stddev, rng):
    images += rng.normal(0.0, stddev, images.shape).astype(images.dtype)
    np.clip(images, 0, 1, out=images)
    return images


def noise_float64(images, stddev, rng):
    images = np.asarray(images)
    return np.clip(images + rng.normal(0.0, stddev, images.shape), 0, 1)


def noise_variance(images, stddev, rng):
    images = np.asarray(images)
    return np.clip(images + rng.normal(0.0, stddev ** 2, images.shape), 0, 1).astype(np.float32)


def noise_none(images, stddev, rng):
    return np.asarray(images, dtype=np.float32).copy()


def pairs_noisy_targets(images, stddev, rng, copies=1):
    repeated = np.concatenate([np.asarray(images)] * copies)
    return add_noise(repeated, stddev, rng), add_noise(repeated, stddev, rng)


def pairs_same_noise(images, stddev, rng, copies=1):
    noisy = add_noise(np.concatenate([np.asarray(images)] * copies), stddev, rng)
    return noisy, noisy


def pairs_clean_inputs(images, stddev, rng, copies=1):
    repeated = np.concatenate([np.asarray(images)] * copies).astype(np.float32)
    return repeated, repeated


def pairs_repeat(images, stddev, rng, copies=1):
    repeated = np.repeat(np.asarray(images), copies, axis=0)
    return add_noise(repeated, stddev, rng), repeated.astype(np.float32)


def pairs_ignore_copies(images, stddev, rng, copies=1):
    images = np.asarray(images)
    return add_noise(images, stddev, rng), images.astype(np.float32)


def pairs_same_noise_per_copy(images, stddev, rng, copies=1):
    noisy = add_noise(np.asarray(images), stddev, rng)
    return (np.concatenate([noisy] * copies),
            np.concatenate([np.asarray(images)] * copies).astype(np.float32))
'''


@pytest.fixture(scope="module")
def answers(keras):
    from scipy.linalg import subspace_angles

    namespace = {"np": np, "keras": keras, "subspace_angles": subspace_angles,
                 "add_noise": ref.add_noise}
    exec(WRONG_ANSWERS, namespace)  # noqa: S102
    return namespace


def _data(seed=0, n=60, d=6):
    rng = np.random.default_rng(seed)
    latent = rng.normal(size=(n, 2))
    X = latent @ rng.normal(size=(2, d)) + 0.1 * rng.normal(size=(n, d))
    return X * rng.uniform(0.5, 20, d) + rng.uniform(-5, 5, d)


# -- the answer key against scikit-learn, SciPy and Keras ----------------------------------

def test_standardize_matches_standard_scaler():
    from sklearn.preprocessing import StandardScaler

    X = _data()
    X[:, 2] = 3.0
    train, other = X[:40], X[40:]
    scaler = StandardScaler().fit(train)
    z_train, z_other = ref.standardize(train, other)
    assert np.allclose(z_train, scaler.transform(train))
    assert np.allclose(z_other, scaler.transform(other))


@pytest.mark.parametrize("seed", range(3))
def test_principal_angles_match_scipy(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    assert np.allclose(ref.principal_angles(a, b), ref.principal_angles_scipy(a, b), atol=1e-6)
    assert np.allclose(ref.principal_angles(a, a @ rng.normal(size=(3, 3))), 0, atol=1e-4)


def test_pca_reconstruction_is_what_reconstruction_mse_measures():
    from sklearn.decomposition import PCA

    z, _ = ref.standardize(_data(1), _data(2))
    pca = PCA(2).fit(z)
    rebuilt = pca.inverse_transform(pca.transform(z))
    dropped = pca.explained_variance_ratio_.sum()
    # the MSE of a PCA reconstruction of standardised data is the variance it drops
    assert ref.reconstruction_mse(z, rebuilt) == pytest.approx(1 - dropped, rel=1e-6)


def test_linear_autoencoder_learns_the_pca_subspace(keras):
    """The lab's claim, on the lab's data: PCA's plane and PCA's error, within tolerances."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.decomposition import PCA

    keras.utils.set_random_seed(0)
    X = load_breast_cancer().data
    z, _ = ref.standardize(X[:400], X[400:])
    model = ref.build_linear_autoencoder(z.shape[1], 2, learning_rate=0.005)
    repeated = np.tile(z, (60, 1)).astype("float32")
    model.fit(repeated, repeated, epochs=1, batch_size=64, verbose=0)
    pca = PCA(2).fit(z)
    decoder = keras.ops.convert_to_numpy(model.layers[1].kernel)
    assert ref.principal_angles(decoder.T, pca.components_.T).max() < 8.0
    rebuilt = pca.inverse_transform(pca.transform(z))
    assert ref.reconstruction_mse(z, model.predict(z, verbose=0)) == pytest.approx(
        ref.reconstruction_mse(z, rebuilt), rel=0.03)


@pytest.mark.parametrize("shape, filters, code", [((28, 28, 1), (16, 8), 32),
                                                  ((16, 12, 3), (6, 4), 5),
                                                  ((20, 8, 2), (5, 3), 7)])
def test_conv_autoencoder_shapes_and_parameters(keras, shape, filters, code):
    model = ref.build_conv_autoencoder(shape, filters, code)
    assert model.count_params() == ref.conv_parameter_count(shape, filters, code)
    x = np.random.default_rng(0).uniform(size=(2,) + shape).astype("float32")
    out = keras.ops.convert_to_numpy(model(x))
    assert out.shape == (2,) + shape and out.min() >= 0 and out.max() <= 1
    assert ref.encoder_of(model)(x).shape == (2, code)


def test_add_noise_is_reproducible_and_clipped():
    images = np.random.default_rng(0).uniform(size=(5, 4, 4, 1)).astype(np.float32)
    a = ref.add_noise(images, 0.5, np.random.default_rng(3))
    b = ref.add_noise(images, 0.5, np.random.default_rng(3))
    assert a.dtype == np.float32 and np.array_equal(a, b)
    assert a.min() == 0.0 and a.max() == 1.0
    small = ref.add_noise(images, 1e-3, np.random.default_rng(3))
    assert np.abs(small - images).max() < 0.01


def test_denoising_pairs_order_and_targets():
    images = np.random.default_rng(1).uniform(size=(3, 2, 2)).astype(np.float32)
    noisy, clean = ref.denoising_pairs(images, 0.2, np.random.default_rng(4), copies=2)
    assert np.array_equal(clean, np.concatenate([images, images]))
    assert np.array_equal(noisy, ref.add_noise(clean, 0.2, np.random.default_rng(4)))
    assert not np.allclose(noisy[:3], noisy[3:])  # each copy gets new noise


def test_stored_cases_are_the_keys():
    z_train, z_other = ref.standardize(check._TRAIN, check._OTHER)
    assert np.allclose(z_train, check._Z_TRAIN, atol=1e-12)
    assert np.allclose(z_other, check._Z_OTHER, atol=1e-12)
    assert ref.reconstruction_mse(check._X, check._X_HAT) == pytest.approx(check._MSE)
    assert np.allclose(ref.reconstruction_mse(check._X, check._X_HAT, per_row=True),
                       check._MSE_ROWS)
    images = np.arange(8, dtype=float).reshape(2, 2, 2, 1) / 8
    assert ref.reconstruction_mse(images, 0 * images + 0.5) == pytest.approx(check._IMAGE_MSE)
    assert np.allclose(ref.reconstruction_mse(images, 0 * images + 0.5, per_row=True),
                       check._IMAGE_MSE_ROWS)
    for a, b, want, _ in check._ANGLE_CASES:
        assert np.allclose(ref.principal_angles_scipy(a, b), want, atol=1e-6)
    for shape, filters, code, _, count in check._CONV_CASES:
        assert ref.conv_parameter_count(shape, filters, code) == count
    images = np.array(check._IMAGES, dtype=np.float32)
    assert np.allclose(ref.add_noise(images, 0.5, np.random.default_rng(19)), check._NOISY_19)
    assert np.allclose(ref.add_noise(images, 0.1, np.random.default_rng(7)), check._NOISY_7)
    noisy, _ = ref.denoising_pairs(np.array(check._CLEAN, dtype=np.float32), 0.3,
                                   np.random.default_rng(5), copies=2)
    assert np.allclose(noisy, check._PAIRS_NOISY)


# -- visible checks --------------------------------------------------------------------------

def test_key_passes_the_checks(keras, capsys):
    from scipy.linalg import subspace_angles

    check.check_standardize(ref.standardize)
    check.check_reconstruction_mse(ref.reconstruction_mse)
    check.check_build_linear_autoencoder(ref.build_linear_autoencoder)
    check.check_principal_angles(ref.principal_angles)
    check.check_principal_angles(lambda a, b: np.sort(np.degrees(subspace_angles(a, b))))
    check.check_build_conv_autoencoder(ref.build_conv_autoencoder)
    check.check_add_noise(ref.add_noise)
    check.check_denoising_pairs(ref.denoising_pairs)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 8
    assert out.err == ""


def test_a_student_scaler_passes(capsys):
    from sklearn.preprocessing import StandardScaler

    def standardize(X_train, X_other):
        scaler = StandardScaler().fit(X_train)
        return scaler.transform(X_train), scaler.transform(X_other)

    check.check_standardize(standardize)
    assert "\N{CHECK MARK}" in capsys.readouterr().out


@pytest.mark.parametrize("name, message", [
    ("std_all_rows", "training AND the other rows"),
    ("std_sample", "ddof=1"),
    ("std_nan", "divided by zero|NaN"),
    ("std_in_place", "changed the array"),
    ("std_own_stats", "wrong standardised other rows"),
])
def test_standardize_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_standardize(answers[name])


@pytest.mark.parametrize("name, message", [
    ("mse_sum", "not their sum"),
    ("mse_root", "RMSE"),
    ("mse_axis0", "one value per ROW"),
    ("mse_last_axis", "per-row errors|one error per"),
])
def test_reconstruction_mse_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_reconstruction_mse(answers[name])


@pytest.mark.parametrize("name, message", [
    ("angles_raw", "orthonormalise"),
    ("angles_radians", "radians"),
    ("angles_scipy_as_is", "wrong order"),
    ("angles_unclipped", "clip"),
])
def test_principal_angles_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_principal_angles(answers[name])


@pytest.mark.parametrize("name, message", [
    ("linear_relu", "is not linear"),
    ("linear_mae", "wrong loss"),
    ("linear_fixed_rate", "learning rate"),
    ("linear_no_bias", "biases"),
    ("linear_extra", "wrong layers"),
    ("linear_swapped", "wrong numbers of units"),
])
def test_build_linear_autoencoder_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_linear_autoencoder(answers[name])


@pytest.mark.parametrize("name, message", [
    ("conv_linear_out", "activation='sigmoid'"),
    ("conv_stride_one", "filters, strides"),
    ("conv_upsampling", "UpSampling2D"),
    ("conv_mse", "wrong loss"),
    ("conv_logits", "from_logits"),
    ("conv_relu_code", "wrong activations"),
    ("conv_not_mirrored", "filters, strides"),
    ("conv_fixed_rate", "learning rate"),
])
def test_build_conv_autoencoder_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_conv_autoencoder(answers[name])


@pytest.mark.parametrize("name, message", [
    ("noise_unclipped", "outside \\[0, 1\\]"),
    ("noise_global", "same seed gave different noise"),
    ("noise_in_place", "changed the array"),
    ("noise_float64", "float32"),
    ("noise_variance", "wrong noisy images"),
    ("noise_none", "without noise"),
])
def test_add_noise_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_add_noise(answers[name])


@pytest.mark.parametrize("name, message", [
    ("pairs_noisy_targets", "targets are noisy"),
    ("pairs_same_noise", "targets are noisy"),
    ("pairs_clean_inputs", "inputs have no noise"),
    ("pairs_repeat", "wrong order"),
    ("pairs_ignore_copies", "4 pairs"),
    ("pairs_same_noise_per_copy", "wrong noisy inputs"),
])
def test_denoising_pairs_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_denoising_pairs(answers[name])


@pytest.mark.parametrize("wrong", ["noise_global", "noise_in_place", "noise_none"])
def test_denoising_pairs_names_add_noise(answers, capsys, wrong):
    fn = ref.denoising_pairs
    blamed = type(fn)(fn.__code__, {**fn.__globals__, "add_noise": answers[wrong]},
                      fn.__name__, fn.__defaults__)
    check.check_denoising_pairs(blamed)  # passes with a note: graded with a correct add_noise
    assert "Fix add_noise first" in capsys.readouterr().out
