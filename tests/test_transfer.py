"""Lab 15: the answer key against Keras 3's behaviour, the stored cases of the visible
checks against the key, and the visible checks and hidden tests accepting the key and
rejecting typical wrong answers."""

from pathlib import Path

import numpy as np
import pytest
from answer_key import transfer as ref

from dlcourse.checks import transfer as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = (Path(__file__).resolve().parents[1]
            / "solutions/15-transfer-learning/15-transfer-learning.ipynb")


# -- wrong answers students write ---------------------------------------------------------------

def split_not_remapped(x, y, held_out):
    x, y = np.asarray(x), np.asarray(y)
    (xs, ys), _ = ref.split_classes(x, y, held_out)
    target = np.isin(y, held_out)
    return (xs, ys), (x[target], y[target].astype("int64"))


def split_leaks(x, y, held_out):
    x, y = np.asarray(x), np.asarray(y)
    rest = [c for c in np.unique(y) if c != held_out[0]]
    keep = np.isin(y, rest)
    _, target = ref.split_classes(x, y, held_out)
    return (x[keep], np.searchsorted(np.array(rest), y[keep])), target


def split_sorted_target(x, y, held_out):
    return ref.split_classes(x, y, sorted(held_out))[0], ref.split_classes(
        x, y, sorted(held_out))[1]


def split_source_not_remapped(x, y, held_out):
    (xs, _), target = ref.split_classes(x, y, held_out)
    y = np.asarray(y)
    return (xs, y[~np.isin(y, held_out)].astype("int64")), target


def split_shuffled(x, y, held_out):
    (xs, ys), (xt, yt) = ref.split_classes(x, y, held_out)
    order = np.random.default_rng(0).permutation(len(yt))
    return (xs, ys), (xt[order], yt[order])


def split_float_labels(x, y, held_out):
    (xs, ys), (xt, yt) = ref.split_classes(x, y, held_out)
    return (xs, ys.astype("float32")), (xt, yt.astype("float32"))


def _head(keras, base, num_classes, units, dropout, learning_rate, *, freeze=True,
          training=False, hidden="relu", out="softmax", loss="sparse_categorical_crossentropy",
          optimizer=None, metrics=("accuracy",), freeze_after_fit=False):
    if freeze:
        base.trainable = False
    inputs = keras.Input(shape=base.input_shape[1:])
    features = base(inputs) if training is None else base(inputs, training=training)
    h = keras.layers.Dense(units, activation=hidden)(features)
    h = keras.layers.Dropout(dropout)(h)
    outputs = keras.layers.Dense(num_classes, activation=out)(h)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=loss, metrics=list(metrics))
    return model


@pytest.fixture(scope="module")
def builds(keras):
    def variant(**changes):
        def build(base, num_classes, units=64, dropout=0.3, learning_rate=1e-3):
            return _head(keras, base, num_classes, units, dropout, learning_rate, **changes)
        return build

    def fixed_units(base, num_classes, units=64, dropout=0.3, learning_rate=1e-3):
        return _head(keras, base, num_classes, 64, dropout, learning_rate)

    def no_dropout_arg(base, num_classes, units=64, dropout=0.3, learning_rate=1e-3):
        return _head(keras, base, num_classes, units, 0.3, learning_rate)

    def sequential(base, num_classes, units=64, dropout=0.3, learning_rate=1e-3):
        base.trainable = False
        model = keras.Sequential([keras.Input(shape=base.input_shape[1:]), base,
                                  keras.layers.Dense(units, activation="relu"),
                                  keras.layers.Dropout(dropout),
                                  keras.layers.Dense(num_classes, activation="softmax")])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model

    return dict(
        key=ref.build_transfer_model,
        not_frozen=variant(freeze=False),
        no_training=variant(training=None),
        training_true=variant(training=True),
        sigmoid=variant(out="sigmoid"),
        logits=variant(out=None),
        tanh_hidden=variant(hidden="tanh"),
        default_lr=lambda base, n, units=64, dropout=0.3, learning_rate=1e-3: _head(
            keras, base, n, units, dropout, 1e-3),
        sgd=lambda base, n, units=64, dropout=0.3, learning_rate=1e-3: _head(
            keras, base, n, units, dropout, learning_rate,
            optimizer=keras.optimizers.SGD(learning_rate=learning_rate)),
        categorical=variant(loss="categorical_crossentropy"),
        extra_metric=variant(metrics=("accuracy", "mae")),
        fixed_units=fixed_units,
        no_dropout_arg=no_dropout_arg,
        sequential=sequential,
    )


def _unfreeze(keras, model, base, n_layers, learning_rate, *, count="weighted", bn=False,
              recompile=True, rate=None):
    base.trainable = True
    if count == "weighted":
        pool = [layer for layer in base.layers
                if layer.weights and not isinstance(layer, keras.layers.BatchNormalization)]
    elif count == "with_bn":
        pool = [layer for layer in base.layers if layer.weights]
    else:
        pool = list(base.layers)
    top = pool[len(pool) - n_layers:] if n_layers > 0 else []
    if count == "slice":
        top = pool[-n_layers:]
    if count != "all":
        for layer in base.layers:
            layer.trainable = any(layer is t for t in top) or (
                bn and isinstance(layer, keras.layers.BatchNormalization))
    if recompile:
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=rate or learning_rate),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    else:
        model.optimizer.learning_rate = learning_rate
    return model


@pytest.fixture(scope="module")
def unfreezes(keras):
    def variant(**changes):
        return lambda model, base, n_layers, learning_rate: _unfreeze(
            keras, model, base, n_layers, learning_rate, **changes)

    return dict(
        key=ref.unfreeze_top,
        all_layers=variant(count="all"),
        bn_trainable=variant(bn=True),
        counts_bn=variant(count="with_bn"),
        counts_every_layer=variant(count="every"),
        slice_zero=variant(count="slice"),
        no_recompile=variant(recompile=False),
        original_lr=variant(rate=1e-3),
    )


# -- the key and the stored cases ---------------------------------------------------------------

def test_split_key_by_hand():
    x = np.arange(8) * 10
    y = np.array([5, 0, 7, 2, 5, 9, 7, 0])
    (xs, ys), (xt, yt) = ref.split_classes(x, y, (7, 5))
    assert xs.tolist() == [10, 30, 50, 70] and ys.tolist() == [0, 1, 2, 0]
    assert xt.tolist() == [0, 20, 40, 60] and yt.tolist() == [1, 0, 1, 0]


def test_stored_split_cases_are_the_keys():
    for labels, held, s_rows, s_y, t_rows, t_y in check._SPLIT_CASES:
        x = np.arange(len(labels))
        (xs, ys), (xt, yt) = ref.split_classes(x, np.array(labels), held)
        assert (xs.tolist(), ys.tolist(), xt.tolist(), yt.tolist()) == (s_rows, s_y, t_rows, t_y)


def test_stored_parameter_counts_are_the_keys(keras):
    for i, case in enumerate(check._BUILD_CASES):
        base = check._tiny_base(f"count_{i}", seed=i)
        model = ref.build_transfer_model(base, *case[:4])
        trainable = int(sum(np.prod(w.shape) for w in model.trainable_weights))
        assert (model.count_params(), trainable) == case[5:]
        # by hand: 18 + 54 + 108 conv weights, Dense(4 -> 5), 4 BN layers of 4 values each
        num_classes, units = case[0], case[1]
        head = 5 * units + units + units * num_classes + num_classes
        assert trainable == head and model.count_params() == 18 + 54 + 108 + 25 + 56 + head


def test_stored_unfreeze_flags_are_the_keys(keras):
    for n_layers, flags in check._UNFREEZE_FLAGS.items():
        base, model, _, _ = check._frozen_model(0, fit=False)
        ref.unfreeze_top(model, base, n_layers, 1e-4)
        assert [layer.trainable for layer in base.layers if layer.weights] == flags


def test_training_false_is_overridden_by_fit_in_keras3(keras):
    """What the lab says about Keras 3: fit's training=True reaches a base called with
    training=False, so only BN layers that are not trainable keep their statistics."""
    base, model, x, y = ref.prepared(3, fit=False)
    base.trainable = True
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert any(ref.fit_changes(model, base, x, y)["base"][i]
               for i, w in enumerate(base.weights) if "moving" in w.path)
    base, model, x, y = ref.prepared(3, fit=False)
    ref.unfreeze_top(model, base, 3, 1e-3)
    moved = ref.fit_changes(model, base, x, y)["base"]
    assert not any(m for m, w in zip(moved, base.weights, strict=True) if "moving" in w.path)


def test_unfreezing_without_recompiling_trains_nothing(keras):
    """Keras 3 keeps the train function of the last fit until the next compile."""
    base, model, x, y = ref.prepared(4)
    _unfreeze(keras, model, base, 2, 1e-4, recompile=False)
    assert not any(ref.fit_changes(model, base, x, y)["base"])


# -- visible checks -----------------------------------------------------------------------------

def test_key_passes_the_checks(keras, capsys):
    check.check_split_classes(ref.split_classes)
    check.check_build_transfer_model(ref.build_transfer_model)
    check.check_unfreeze_top(ref.unfreeze_top)
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 3 and out.err == ""


@pytest.mark.parametrize("wrong, message", [
    (split_not_remapped, "still the old class numbers"),
    (split_leaks, "held-out classes"),
    (split_sorted_target, "order of held_out"),
    (split_source_not_remapped, "source labels are still"),
    (split_shuffled, "keep their order"),
    (split_float_labels, "integers"),
])
def test_split_wrong_answers(wrong, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_split_classes(wrong)


@pytest.mark.parametrize("name, message", [
    ("not_frozen", "should be frozen"),
    ("no_training", "training=False"),
    ("training_true", "training=False"),
    ("sigmoid", "head's settings"),
    ("logits", "head's settings"),
    ("tanh_hidden", "head's settings"),
    ("default_lr", "learning rate"),
    ("sgd", "Adam"),
    ("categorical", "wrong loss"),
    ("extra_metric", "accuracy and nothing else"),
    ("fixed_units", "head's settings"),
    ("no_dropout_arg", "head's settings"),
    ("sequential", "input -> base|training=False"),
])
def test_build_wrong_answers(builds, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_transfer_model(builds[name])


@pytest.mark.parametrize("name, message", [
    ("all_layers", "unfreezes every layer|BatchNormalization layers must stay frozen"),
    ("bn_trainable", "BatchNormalization layers must stay frozen"),
    ("counts_bn", "trainable flags"),
    ("counts_every_layer", "trainable flags"),
    ("slice_zero", "trainable flags"),
    ("no_recompile", "learning rate|not compiled again"),
    ("original_lr", "learning rate"),
])
def test_unfreeze_wrong_answers(unfreezes, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_unfreeze_top(unfreezes[name])


def test_no_recompile_is_caught_by_the_fit(keras, unfreezes):
    """Even an answer that sets the optimizer's rate by hand loses: nothing trains."""
    def sneaky(model, base, n_layers, learning_rate):
        _unfreeze(keras, model, base, n_layers, learning_rate, recompile=False)
        return model

    with pytest.raises(CheckFailed, match="not compiled again"):
        check.check_unfreeze_top(sneaky)


# -- hidden tests -------------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(keras, cell_id, **answer):
    exec(_hidden(cell_id), {"np": np, "keras": keras, **answer})  # noqa: S102


@pytest.mark.parametrize("cell_id, name, answer", [
    ("test_split_classes", "split_classes", ref.split_classes),
    ("test_build_transfer_model", "build_transfer_model", ref.build_transfer_model),
    ("test_unfreeze_top", "unfreeze_top", ref.unfreeze_top),
])
def test_hidden_tests_accept_the_key(keras, cell_id, name, answer):
    _run_hidden(keras, cell_id, **{name: answer})


@pytest.mark.parametrize("wrong", [split_not_remapped, split_leaks, split_sorted_target,
                                   split_source_not_remapped, split_shuffled,
                                   split_float_labels])
def test_hidden_split_rejects_wrong_answers(keras, wrong):
    with pytest.raises(AssertionError):
        _run_hidden(keras, "test_split_classes", split_classes=wrong)


@pytest.mark.parametrize("name", ["not_frozen", "no_training", "training_true", "sigmoid",
                                  "logits", "tanh_hidden", "default_lr", "sgd", "categorical",
                                  "extra_metric", "fixed_units", "no_dropout_arg",
                                  "sequential"])
def test_hidden_build_rejects_wrong_answers(keras, builds, name):
    with pytest.raises(Exception):  # noqa: B017 - an assertion or the answer's own error
        _run_hidden(keras, "test_build_transfer_model", build_transfer_model=builds[name])


@pytest.mark.parametrize("name", ["all_layers", "bn_trainable", "counts_bn",
                                  "counts_every_layer", "slice_zero", "no_recompile",
                                  "original_lr"])
def test_hidden_unfreeze_rejects_wrong_answers(keras, unfreezes, name):
    with pytest.raises(AssertionError):
        _run_hidden(keras, "test_unfreeze_top", unfreeze_top=unfreezes[name])
