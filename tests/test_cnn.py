"""Lab 13: the answer key against Keras (output sizes, parameter counts, the model's
configuration); the visible checks and the hidden tests accept the key's answers and
reject typical wrong ones."""

from pathlib import Path

import numpy as np
import pytest
from answer_key import cnn as ref

from dlcourse.checks import cnn as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = Path(__file__).resolve().parents[1] / "solutions/13-cnn-mnist/13-cnn-mnist.ipynb"


# -- wrong answers students write -----------------------------------------------------------------

PREPARE_WRONG = {
    "unscaled": lambda x: np.asarray(x).astype("float32")[..., None],
    "channels_first": lambda x: (np.asarray(x).astype("float32") / 255)[:, None],
    "no_channel": lambda x: np.asarray(x).astype("float32") / 255,
    "float64": lambda x: (np.asarray(x) / 255.0)[..., None],
    "by_max": lambda x: (np.asarray(x) / np.max(x)).astype("float32")[..., None],
    "min_max": lambda x: ((np.asarray(x) - np.min(x))
                          / (np.max(x) - np.min(x))).astype("float32")[..., None],
}


def _in_place(x):
    x = np.asarray(x)
    if x.dtype.kind == "f":
        x /= 255.0
        return x.astype("float32")[..., None]
    return (x.astype("float32") / 255)[..., None]


PREPARE_WRONG["in_place"] = _in_place


def _split_last(x, y, fraction=0.1, seed=0):
    n = round(fraction * len(y))
    return x[:-n], y[:-n], x[-n:], y[-n:]


def _split_first_of_class(x, y, fraction=0.1, seed=0):
    val = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        val[rows[:round(fraction * len(rows))]] = True
    return x[~val], y[~val], x[val], y[val]


def _split_unseeded(x, y, fraction=0.1, seed=0):
    val = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        val[np.random.choice(rows, round(fraction * len(rows)), replace=False)] = True
    return x[~val], y[~val], x[val], y[val]


def _split_floor(x, y, fraction=0.1, seed=0):
    rng = np.random.default_rng(seed)
    val = np.zeros(len(y), dtype=bool)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        val[rng.choice(rows, int(fraction * len(rows)), replace=False)] = True
    return x[~val], y[~val], x[val], y[val]


def _split_overlap(x, y, fraction=0.1, seed=0):
    x_tr, y_tr, x_val, y_val = ref.split_validation(x, y, fraction, seed)
    return x, y, x_val, y_val  # training keeps every row


def _split_from_other(x, y, fraction=0.1, seed=0):
    x_tr, y_tr, x_val, y_val = ref.split_validation(x, y, fraction, seed)
    return x_tr, y_tr, x_val + 1000.0, y_val  # "test" rows that are not in x


def _split_shuffles_in_place(x, y, fraction=0.1, seed=0):
    order = np.random.default_rng(seed).permutation(len(y))
    x[:], y[:] = x[order], y[order]
    return ref.split_validation(x, y, fraction, seed)


def _split_labels_misaligned(x, y, fraction=0.1, seed=0):
    x_tr, y_tr, x_val, y_val = ref.split_validation(x, y, fraction, seed)
    return x_tr, np.sort(y_tr), x_val, np.sort(y_val)


SPLIT_WRONG = {"last_rows": _split_last, "first_of_class": _split_first_of_class,
               "unseeded": _split_unseeded, "floor": _split_floor, "overlap": _split_overlap,
               "from_other": _split_from_other, "in_place": _split_shuffles_in_place,
               "misaligned": _split_labels_misaligned}


def _cnn(keras, filters=32, kernel_size=4, pool_size=2, dense_units=128, learning_rate=1e-3,
         *, output="softmax", loss="sparse_categorical_crossentropy", pool=True,
         fixed_kernel=None, metrics=("accuracy",), optimizer=None, padding="valid",
         extra=()):
    layers = [keras.Input(shape=(28, 28, 1)),
              keras.layers.Conv2D(filters, fixed_kernel or kernel_size, activation="relu",
                                  padding=padding)]
    if pool:
        layers.append(keras.layers.MaxPooling2D(pool_size))
    layers += [keras.layers.Flatten(), *extra,
               keras.layers.Dense(dense_units, activation="relu"),
               keras.layers.Dense(10, activation=output)]
    model = keras.Sequential(layers)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=loss, metrics=list(metrics))
    return model


@pytest.fixture(scope="module")
def cnn_wrong(keras):
    SCCE = keras.losses.SparseCategoricalCrossentropy

    def variant(**changes):
        def build_cnn(filters=32, kernel_size=4, pool_size=2, dense_units=128,
                      learning_rate=1e-3):
            kw = dict(changes)
            if callable(kw.get("optimizer")):
                kw["optimizer"] = kw["optimizer"](learning_rate)
            if callable(kw.get("loss")):
                kw["loss"] = kw["loss"]()
            return _cnn(keras, filters, kernel_size, pool_size, dense_units, learning_rate,
                        **kw)
        return build_cnn

    return {
        "softmax_logits": variant(loss=lambda: SCCE(from_logits=True)),
        "linear_probs": variant(output=None),
        "one_hot_loss": variant(loss="categorical_crossentropy"),
        "no_pool": variant(pool=False),
        "kernel_3": variant(fixed_kernel=3),
        "adam_string": variant(optimizer=lambda lr: "adam"),
        "sgd": variant(optimizer=lambda lr: keras.optimizers.SGD(learning_rate=lr)),
        "same_padding": variant(padding="same"),
        "no_metrics": variant(metrics=()),
        "dropout": variant(extra=(keras.layers.Dropout(0.2),)),
        "mse": variant(loss="mse"),
    }


def _pairs_diagonal(cm, k=5):
    cm = np.asarray(cm)
    pairs = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm))
             if cm[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(i, j, c) for c, i, j in pairs[:k]]


def _pairs_swapped(cm, k=5):
    return [(j, i, c) for i, j, c in ref.most_confused_pairs(cm, k)]


def _pairs_ties_reversed(cm, k=5):
    cm = np.asarray(cm)
    pairs = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm))
             if i != j and cm[i, j] > 0]
    pairs.sort(reverse=True)
    return [(i, j, c) for c, i, j in pairs[:k]]


def _pairs_symmetric(cm, k=5):
    cm = np.asarray(cm)
    both = cm + cm.T
    pairs = [(int(both[i, j]), i, j) for i in range(len(cm)) for j in range(i + 1, len(cm))
             if both[i, j] > 0]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(i, j, c) for c, i, j in pairs[:k]]


def _pairs_zeros(cm, k=5):
    cm = np.asarray(cm)
    pairs = [(int(cm[i, j]), i, j) for i in range(len(cm)) for j in range(len(cm)) if i != j]
    pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
    return [(i, j, c) for c, i, j in pairs[:k]]


def _pairs_fill_diagonal(cm, k=5):
    np.fill_diagonal(cm, 0)
    return ref.most_confused_pairs(cm, k)


PAIRS_WRONG = {"diagonal": _pairs_diagonal, "swapped": _pairs_swapped,
               "ties_reversed": _pairs_ties_reversed, "symmetric": _pairs_symmetric,
               "zeros": _pairs_zeros, "in_place": _pairs_fill_diagonal,
               "fixed_k": lambda cm, k=5: ref.most_confused_pairs(cm, 5),
               "lists": lambda cm, k=5: [list(t) for t in ref.most_confused_pairs(cm, k)]}


# -- the answer key against Keras -------------------------------------------------------------

@pytest.mark.parametrize("w, k, p, s", [(28, 4, 0, 1), (28, 3, 1, 1), (32, 5, 0, 2),
                                        (6, 3, 0, 1), (25, 2, 0, 2), (7, 3, 1, 2)])
def test_conv_output_size_matches_keras(keras, w, k, p, s):
    x = np.zeros((1, w, w, 1), dtype="float32")
    padded = np.pad(x, ((0, 0), (p, p), (p, p), (0, 0)))
    out = keras.layers.Conv2D(2, k, strides=s)(padded)
    assert out.shape[1] == ref.conv_output_size(w, k, p, s)


@pytest.mark.parametrize("w, pool", [(25, 2), (26, 3), (24, 4), (9, 2)])
def test_pool_output_size_matches_keras(keras, w, pool):
    out = keras.layers.MaxPooling2D(pool)(np.zeros((1, w, w, 1), dtype="float32"))
    assert out.shape[1] == ref.pool_output_size(w, pool)


def test_param_counts_match_keras(keras):
    for args in [(32, 4, 2, 128), (8, 3, 3, 16), (6, 5, 4, 20), (3, 6, 3, 7)]:
        assert ref.build_cnn(*args).count_params() == ref.cnn_param_count(*args)
    assert ref.cnn_param_count(32, 4, 2, 128) == 591_786  # the seed's CNN


def test_stored_param_counts_are_keras(keras):
    for kwargs, params in check._CNN_CASES:
        assert ref.build_cnn(**kwargs).count_params() == params


def test_stored_cases_are_the_keys():
    x = np.array(check._PIXELS, dtype=np.uint8)
    assert np.allclose(ref.prepare_images(x)[..., 0], check._SCALED, atol=1e-6)
    assert np.allclose(ref.prepare_images(np.array(check._DARK))[..., 0], check._DARK_SCALED,
                       atol=1e-6)
    for k, expected in check._PAIRS.items():
        assert ref.most_confused_pairs(np.array(check._CM), k) == expected
    for k, expected in check._PAIRS_ONE_WAY.items():
        assert ref.most_confused_pairs(np.array(check._CM_ONE_WAY), k) == expected
    x, y = check._split_data()
    for fraction, counts in check._SPLIT_COUNTS.items():
        _, _, _, y_val = ref.split_validation(x, y, fraction, 3)
        assert {c: int(np.sum(y_val == c)) for c in counts} == counts


def test_split_cases_have_no_rounding_ties():
    for x, y, fraction in ref.split_cases(np.random.default_rng(132)):
        assert len({tuple(r) for r in x.reshape(len(x), -1).tolist()}) == len(x)
        for label in np.unique(y):
            frac = fraction * np.sum(y == label) % 1
            assert abs(frac - 0.5) > 1e-6


def test_describe_cnn_accepts_logits_and_rejects_mixes(keras):
    want = ref.describe_cnn(ref.build_cnn())
    logits = _cnn(keras, output=None,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert ref.describe_cnn(logits) == want
    scce = _cnn(keras, loss=keras.losses.SparseCategoricalCrossentropy())
    assert ref.describe_cnn(scce) == want
    mixed = _cnn(keras, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert ref.describe_cnn(mixed) != want


def test_lowers_loss(keras):
    assert ref.lowers_loss(ref.build_cnn(4, 3, 2, 16, 0.003), seed=7)


# -- visible checks ---------------------------------------------------------------------------

def test_key_passes_the_checks(keras, capsys):
    check.check_prepare_images(ref.prepare_images)
    check.check_split_validation(ref.split_validation)
    check.check_build_cnn(ref.build_cnn)
    check.check_most_confused_pairs(ref.most_confused_pairs)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 4
    assert out.err == ""


def test_check_accepts_a_logits_model(keras):
    def build_cnn(filters=32, kernel_size=4, pool_size=2, dense_units=128, learning_rate=1e-3):
        return _cnn(keras, filters, kernel_size, pool_size, dense_units, learning_rate,
                    output=None,
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    check.check_build_cnn(build_cnn)


@pytest.mark.parametrize("name, message", [
    ("unscaled", "still 0..255"), ("channels_first", "channels first"),
    ("no_channel", "needs a channel axis"), ("float64", "float32"),
    ("by_max", "brightest pixel"), ("min_max", "min-max"), ("in_place", "changed the array"),
])
def test_prepare_images_wrong_answers(name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_prepare_images(PREPARE_WRONG[name])


@pytest.mark.parametrize("name, message", [
    ("last_rows", "stratify"), ("first_of_class", "same validation rows"),
    ("unseeded", "two different splits"), ("floor", "stratify"),
    ("overlap", "exactly one part"), ("from_other", "not in x"),
    ("in_place", "changed x or y"), ("misaligned", "lost their labels"),
])
def test_split_validation_wrong_answers(name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_split_validation(SPLIT_WRONG[name])


@pytest.mark.parametrize("name, message", [
    ("softmax_logits", "softmax output with from_logits=True"),
    ("linear_probs", "linear output with a loss that expects probabilities"),
    ("one_hot_loss", "sparse categorical cross-entropy"),
    ("no_pool", "pooling layer is missing"), ("kernel_3", "use the arguments"),
    ("adam_string", "learning rate"), ("sgd", "should be Adam"),
    ("same_padding", "layers of"), ("no_metrics", "metrics"), ("dropout", "layers of"),
    ("mse", "sparse categorical cross-entropy"),
])
def test_build_cnn_wrong_answers(cnn_wrong, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_cnn(cnn_wrong[name])


@pytest.mark.parametrize("name, message", [
    ("diagonal", "leave it out"), ("swapped", r"return \(i, j, count\)"),
    ("ties_reversed", "ties by true class"), ("symmetric", "off-diagonal"),
    ("zeros", "never happened"), ("in_place", "changed cm"), ("fixed_k", "at most k"),
    ("lists", "tuple of three integers"),
])
def test_most_confused_pairs_wrong_answers(name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_most_confused_pairs(PAIRS_WRONG[name])


# -- hidden tests -----------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(keras, cell_id, **answer):
    exec(_hidden(cell_id), {"np": np, "keras": keras, **answer})  # noqa: S102


def test_hidden_tests_accept_the_key(keras):
    _run_hidden(keras, "test_prepare_images", prepare_images=ref.prepare_images)
    _run_hidden(keras, "test_split_validation", split_validation=ref.split_validation)
    _run_hidden(keras, "test_build_cnn", build_cnn=ref.build_cnn)
    _run_hidden(keras, "test_most_confused_pairs", most_confused_pairs=ref.most_confused_pairs)


@pytest.mark.parametrize("name", sorted(PREPARE_WRONG))
def test_hidden_prepare_rejects(keras, name):
    with pytest.raises(Exception):  # noqa: B017 - an assertion or the answer's own error
        _run_hidden(keras, "test_prepare_images", prepare_images=PREPARE_WRONG[name])


@pytest.mark.parametrize("name", sorted(SPLIT_WRONG))
def test_hidden_split_rejects(keras, name):
    with pytest.raises(Exception):  # noqa: B017
        _run_hidden(keras, "test_split_validation", split_validation=SPLIT_WRONG[name])


@pytest.mark.parametrize("name", ["softmax_logits", "linear_probs", "one_hot_loss", "no_pool",
                                  "kernel_3", "adam_string", "sgd", "same_padding",
                                  "no_metrics", "dropout", "mse"])
def test_hidden_build_cnn_rejects(keras, cnn_wrong, name):
    with pytest.raises(Exception):  # noqa: B017
        _run_hidden(keras, "test_build_cnn", build_cnn=cnn_wrong[name])


@pytest.mark.parametrize("name", sorted(PAIRS_WRONG))
def test_hidden_pairs_rejects(keras, name):
    with pytest.raises(Exception):  # noqa: B017
        _run_hidden(keras, "test_most_confused_pairs", most_confused_pairs=PAIRS_WRONG[name])
