"""Lab 14: the answer key against Keras and tf.data; the visible checks and the hidden tests
accept the key's answers and reject typical wrong ones."""

import os
from pathlib import Path

import numpy as np
import pytest
from answer_key import pipelines as ref

from dlcourse.checks import pipelines as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = Path(__file__).resolve().parents[1] / "solutions/14-cnn-cifar10/14-cnn-cifar10.ipynb"


@pytest.fixture(scope="module")
def answers(tf, keras):
    """The key's answers and the wrong answers students write."""
    L = keras.layers

    def folders(name_of=None, save=None, every_class=True):
        def write(x, y, root, class_names):
            labels = np.asarray(y).reshape(-1)
            names = [name_of(k, class_names) if name_of else class_names[k]
                     for k in range(len(class_names))]
            if every_class:
                for name in names:
                    os.makedirs(os.path.join(root, name), exist_ok=True)
            paths = []
            for i, (image, label) in enumerate(zip(x, labels, strict=True)):
                folder = os.path.join(root, names[int(label)])
                os.makedirs(folder, exist_ok=True)
                path = os.path.join(folder, f"{i:05d}.png")
                if save:
                    save(path, image)
                else:
                    tf.io.write_file(path, tf.io.encode_png(image))
                paths.append(path)
            return paths
        return write

    def jpeg(path, image):
        tf.io.write_file(path, tf.io.encode_jpeg(image, quality=95))

    def pipeline(cache="first", shuffle="before", buffer=None, augment_eval=False,
                 fixed_seed=None, train_shuffle=True):
        def make(x, y, batch_size, training, seed=0, augment=None):
            ds = tf.data.Dataset.from_tensor_slices((x, y))
            if cache == "first":
                ds = ds.cache()
            seed_used = seed if fixed_seed is None else fixed_seed
            if training and train_shuffle and shuffle == "before":
                ds = ds.shuffle(buffer or len(x), seed=seed_used)
            if cache == "after-shuffle":
                ds = ds.cache()
            ds = ds.batch(batch_size)
            if training and train_shuffle and shuffle == "after":
                ds = ds.shuffle(buffer or len(x), seed=seed_used)
            if augment is not None and (training or augment_eval):
                ds = ds.map(lambda a, b: (augment(a, training=True), b))
            if cache == "last":
                ds = ds.cache()
            return ds.prefetch(tf.data.AUTOTUNE)
        return make

    def augmentation(flip="horizontal", zoom_width=False, fill="reflect", extra=None,
                     scale=1.0):
        def build(rotation=0.05, zoom=0.1, translation=0.1):
            layers = [L.RandomFlip(flip), L.RandomRotation(rotation * scale, fill_mode=fill),
                      L.RandomZoom(zoom, zoom if zoom_width else None),
                      L.RandomTranslation(translation, translation)]
            return keras.Sequential(layers + ([extra()] if extra else []))
        return build

    def cnn(bn_after_relu=False, dropout_first=False, softmax=False, padding="valid",
            bias=False, fixed_rate=None, no_logits=False, pool_last=False):
        def build(filters=(32, 64, 64), units=64, dropout=0.3, learning_rate=1e-3):
            layers = [keras.Input(shape=(32, 32, 3)), L.Rescaling(1 / 255)]
            if dropout_first:
                layers.append(L.Dropout(dropout))
            for i, f in enumerate(filters):
                if bn_after_relu:
                    layers += [L.Conv2D(f, 3, activation="relu", use_bias=bias,
                                        padding=padding), L.BatchNormalization()]
                else:
                    layers += [L.Conv2D(f, 3, use_bias=bias, padding=padding),
                               L.BatchNormalization(), L.Activation("relu")]
                if i < len(filters) - 1 or pool_last:
                    layers.append(L.MaxPooling2D(2))
            layers += [L.Flatten()] + ([] if dropout_first else [L.Dropout(dropout)])
            layers += [L.Dense(units, activation="relu"), L.Dropout(dropout),
                       L.Dense(10, activation="softmax" if softmax else None)]
            model = keras.Sequential(layers)
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=not no_logits)
            model.compile(optimizer=keras.optimizers.Adam(
                learning_rate=fixed_rate or learning_rate), loss=loss, metrics=["accuracy"])
            return model
        return build

    return dict(
        folders=ref.write_class_folders,
        folders_numbered=folders(name_of=lambda k, names: str(k)),
        folders_sorted_names=folders(name_of=lambda k, names: sorted(names)[k]),
        folders_present_only=folders(every_class=False),
        folders_save_img=folders(save=lambda p, im: keras.utils.save_img(p, im)),
        folders_jpeg=folders(save=jpeg),
        pipeline=ref.make_pipeline,
        augments_eval=pipeline(augment_eval=True),
        shuffle_after_batch=pipeline(shuffle="after"),
        buffer_100=pipeline(buffer=100),
        buffer_1000=pipeline(buffer=1000),
        no_shuffle=pipeline(train_shuffle=False),
        cache_after_shuffle=pipeline(cache="after-shuffle"),
        cache_last=pipeline(cache="last"),
        fixed_seed=pipeline(fixed_seed=0),
        augmentation=ref.build_augmentation,
        vertical=augmentation(flip="horizontal_and_vertical"),
        zoom_both=augmentation(zoom_width=True),
        fill_constant=augmentation(fill="constant"),
        rescaling_inside=augmentation(extra=lambda: L.Rescaling(1 / 255)),
        doubled=augmentation(scale=2.0),
        cnn=ref.build_cnn,
        bn_after_relu=cnn(bn_after_relu=True),
        dropout_first=cnn(dropout_first=True),
        softmax_logits=cnn(softmax=True),
        same_padding=cnn(padding="same"),
        with_bias=cnn(bias=True),
        fixed_rate=cnn(fixed_rate=1e-3),
        probabilities_loss=cnn(no_logits=True),
    )


# -- the key against Keras and tf.data ----------------------------------------------------------

@pytest.mark.parametrize("filters, units", [((32, 64, 64), 64), ((16, 24), 40), ((8,), 12),
                                            ((24, 40, 56), 48)])
def test_parameter_counts_by_hand_match_keras(keras, filters, units):
    model = ref.build_cnn(filters, units)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    frozen = sum(int(np.prod(w.shape)) for w in model.non_trainable_weights)
    assert (trainable, frozen) == ref.cnn_parameters(filters, units)


def test_default_cnn_is_the_seed_plus_batch_norm(keras):
    """The slides' CNN has 122,570 parameters; without conv biases and with 4 batch-norm
    numbers per channel it has 122,570 - 160 + 640."""
    assert ref.build_cnn().count_params() == 122_570 - 160 + 640
    for args, kwargs, _, counts, _ in check._CNNS:
        filters = args[0] if args else (32, 64, 64)
        assert ref.cnn_parameters(filters, kwargs.get("units", 64)) == counts


def test_stored_layouts_are_the_keys(keras):
    for args, kwargs, want, _, rate in check._CNNS:
        model = ref.build_cnn(*args, **kwargs)
        assert check.cnn_layout(model) == want
        assert abs(float(np.asarray(model.optimizer.learning_rate)) - rate) < 1e-9
    for args, want in check._AUGMENTATIONS:
        assert check.augmentation_layers(ref.build_augmentation(*args)) == want


def test_folders_round_trip(keras, tmp_path):
    x = check._folder_images(len(check._FOLDER_LABELS))
    y = np.array(check._FOLDER_LABELS).reshape(-1, 1)
    paths = ref.write_class_folders(x, y, str(tmp_path / "r"), list(check._FOLDER_NAMES))
    assert [os.path.relpath(p, tmp_path / "r") for p in paths] == list(check._FOLDER_PATHS)
    classes, files, labels, images = ref.read_folder(str(tmp_path / "r"))
    assert classes == check._FOLDER_CLASSES
    assert np.bincount(labels, minlength=4).tolist() == check._FOLDER_COUNTS
    order = [files.index(p) for p in paths]
    assert np.array_equal(images[order], x)


def test_save_img_really_stretches(keras, tmp_path):
    """The trap the statement warns about: keras.utils.save_img's default scale=True."""
    image = check._folder_images(1)[0]
    keras.utils.save_img(str(tmp_path / "a.png"), image)
    back = np.asarray(keras.utils.load_img(str(tmp_path / "a.png")))
    assert not np.array_equal(back, image)
    assert back.max() == 255 and back.min() == 0


def test_key_pipeline_properties(tf):
    x, y = ref.pipeline_case(np.random.default_rng(0), 50)
    runs = ref.epochs(ref.make_pipeline(x, y, 8, True, 3, ref.marker), 2)
    assert runs[0][0] == [8] * 6 + [2]
    assert sorted(runs[0][1]) == list(range(50)) and runs[0][1] != runs[1][1]
    assert ref.chain(ref.make_pipeline(x, y, 8, True, 3, ref.marker)) == [
        "TensorSlice", "Cache", "Shuffle", "Batch", "Map", "Prefetch"]
    evaluation = ref.epochs(ref.make_pipeline(x, y, 8, False, 3, ref.marker), 1)[0]
    assert evaluation[1] == list(range(50)) and np.array_equal(evaluation[2], x)


def test_augmentation_identity_at_inference(keras):
    aug = ref.build_augmentation(0.2, 0.2, 0.2)
    images = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    assert np.array_equal(keras.ops.convert_to_numpy(aug(images, training=False)), images)
    assert not np.array_equal(keras.ops.convert_to_numpy(aug(images, training=True)), images)


# -- visible checks ---------------------------------------------------------------------------

def test_key_passes_the_checks(answers, capsys):
    check.check_write_class_folders(answers["folders"])
    check.check_make_pipeline(answers["pipeline"])
    check.check_build_augmentation(answers["augmentation"])
    check.check_build_cnn(answers["cnn"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 4
    assert out.err == ""


@pytest.mark.parametrize("name, message", [
    ("folders_numbered", "not its number"),
    ("folders_sorted_names", "paths relative to root"),
    ("folders_present_only", "EVERY class name"),
    ("folders_save_img", "scale=False"),
    ("folders_jpeg", "not JPEG"),
])
def test_write_class_folders_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_write_class_folders(answers[name])


@pytest.mark.parametrize("name, message", [
    ("augments_eval", "must not be augmented"),
    ("shuffle_after_batch", "BEFORE batching"),
    ("buffer_100", "buffer is smaller"),
    ("no_shuffle", "should be shuffled"),
    ("cache_after_shuffle", "cache placed after"),
    ("cache_last", "cache placed after"),
    ("fixed_seed", "not a fixed number"),
])
def test_make_pipeline_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_make_pipeline(answers[name])


def test_buffer_1000_passes_the_visible_check_only(answers):
    """The visible check uses 300 examples; the hidden test's 2,500 expose the buffer."""
    check.check_make_pipeline(answers["buffer_1000"])


@pytest.mark.parametrize("name, message", [
    ("vertical", "upside-down"),
    ("zoom_both", "aspect ratio"),
    ("fill_constant", "fill_mode"),
    ("rescaling_inside", "the layers, in order"),
    ("doubled", "pass the factors as they come"),
])
def test_build_augmentation_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_augmentation(answers[name])


@pytest.mark.parametrize("name, message", [
    ("bn_after_relu", "before the non-linearity"),
    ("dropout_first", "input pixels"),
    ("softmax_logits", "outputs logits|the layers"),
    ("same_padding", "valid convolutions"),
    ("with_bias", "use_bias=False"),
    ("fixed_rate", "learning rate"),
    ("probabilities_loss", "from_logits=True"),
])
def test_build_cnn_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_cnn(answers[name])


# -- hidden tests -----------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(keras, tf, cell_id, **answer):
    exec(_hidden(cell_id), {"np": np, "os": os, "keras": keras, "tf": tf, **answer})  # noqa: S102


@pytest.mark.parametrize("cell_id, name, answer", [
    ("test_write_class_folders", "write_class_folders", "folders"),
    ("test_make_pipeline", "make_pipeline", "pipeline"),
    ("test_build_augmentation", "build_augmentation", "augmentation"),
    ("test_build_cnn", "build_cnn", "cnn"),
])
def test_hidden_tests_accept_the_key(keras, tf, answers, cell_id, name, answer):
    _run_hidden(keras, tf, cell_id, **{name: answers[answer]})


@pytest.mark.parametrize("cell_id, name, answer", [
    *[("test_write_class_folders", "write_class_folders", wrong) for wrong in (
        "folders_numbered", "folders_sorted_names", "folders_present_only", "folders_save_img",
        "folders_jpeg")],
    *[("test_make_pipeline", "make_pipeline", wrong) for wrong in (
        "augments_eval", "shuffle_after_batch", "buffer_100", "buffer_1000", "no_shuffle",
        "cache_after_shuffle", "cache_last", "fixed_seed")],
    *[("test_build_augmentation", "build_augmentation", wrong) for wrong in (
        "vertical", "zoom_both", "fill_constant", "rescaling_inside", "doubled")],
    *[("test_build_cnn", "build_cnn", wrong) for wrong in (
        "bn_after_relu", "dropout_first", "softmax_logits", "same_padding", "with_bias",
        "fixed_rate", "probabilities_loss")],
])
def test_hidden_tests_reject_wrong_answers(keras, tf, answers, cell_id, name, answer):
    with pytest.raises(Exception):  # noqa: B017 - an assertion or the answer's own error
        _run_hidden(keras, tf, cell_id, **{name: answers[answer]})
