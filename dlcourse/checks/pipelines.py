"""Checks for lab 14 (CNNs on CIFAR-10): a folder per class, tf.data pipelines, augmentation
layers and a CNN with batch normalisation and dropout.

Nothing here trains. The folder writer is judged by what ``image_dataset_from_directory``
reads back; a pipeline by what it yields over two epochs (batch sizes, each example once,
the order, what a stand-in augmentation did) and by its steps; the augmentation and the CNN
by their layers' settings, their parameter counts and what they compute on a few inputs.
Every expected value below is a stored literal or a property.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import numpy as np

from dlcourse.checks.core import call, fail, passed, quiet


def _same(got, expected) -> bool:
    """Equal shapes and exactly equal values, compared in plain Python."""
    got = np.array(got, dtype=float, subok=False)
    expected = np.array(expected, dtype=float, subok=False)
    if got.shape != expected.shape:
        return False
    return all(g == e for g, e in zip(got.ravel().tolist(), expected.ravel().tolist(),
                                      strict=True))


# -- Task 1: write_class_folders ----------------------------------------------------------------

# Labels of the stored case (CIFAR's shape (N, 1)) and its class names; "deer" gets no image.
_FOLDER_LABELS = (2, 0, 1, 0, 2, 2, 0, 1, 2)
_FOLDER_NAMES = ("cat", "airplane", "bird", "deer")
# Written out from the statement: x[i] goes to <class_names[y[i]]>/<i:05d>.png.
_FOLDER_PATHS = ("bird/00000.png", "cat/00001.png", "airplane/00002.png", "cat/00003.png",
                 "bird/00004.png", "bird/00005.png", "cat/00006.png", "airplane/00007.png",
                 "bird/00008.png")
# What image_dataset_from_directory finds: classes sorted, files per class.
_FOLDER_CLASSES = ["airplane", "bird", "cat", "deer"]
_FOLDER_COUNTS = [2, 4, 3, 0]


def _folder_images(n: int) -> np.ndarray:
    """Images with a narrow range of pixel values (like a dark photo): saving them must not
    stretch them to 0..255."""
    rng = np.random.default_rng(14)
    low = rng.integers(10, 90, size=(n, 1, 1, 1))
    return (low + rng.integers(0, 120, size=(n, 32, 32, 3))).astype("uint8")


def _read_back(root, task):
    __tracebackhide__ = True
    import keras

    try:
        ds = keras.utils.image_dataset_from_directory(
            root, labels="inferred", label_mode="int", image_size=(32, 32), batch_size=None,
            shuffle=False, verbose=False)
    except Exception as exc:
        fail(task, f"image_dataset_from_directory could not read the folder: "
             f"{type(exc).__name__}: {exc}", hint="one sub-folder per class name inside root, "
             "PNG files inside them")
    items = [(path, int(label), image) for path, (image, label)
             in zip(ds.file_paths, ds.as_numpy_iterator(), strict=True)]
    return list(ds.class_names), items


@quiet
def check_write_class_folders(write_class_folders) -> None:
    __tracebackhide__ = True
    task = "write_class_folders"
    x = _folder_images(len(_FOLDER_LABELS))
    y = np.array(_FOLDER_LABELS, dtype="uint8").reshape(-1, 1)
    scratch = tempfile.mkdtemp(prefix="lab14-check-")
    try:
        root = os.path.join(scratch, "not", "there", "yet")
        paths = call(write_class_folders, x, y, root, list(_FOLDER_NAMES), task=task,
                     name="write_class_folders")
        if not isinstance(paths, list | tuple) or len(paths) != len(x):
            fail(task, f"write_class_folders should return the {len(x)} paths it wrote, in "
                 "the order of x", f"a list of {len(x)} paths", repr(paths)[:120],
                 "append each path to a list and return it")
        relative = [os.path.relpath(str(p), root).replace(os.sep, "/") for p in paths]
        if tuple(relative) != _FOLDER_PATHS:
            wrong = next(i for i, (g, e) in enumerate(zip(relative, _FOLDER_PATHS,
                                                          strict=True)) if g != e)
            hint = "x[i] goes to root/<class_names[y[i]]>/<i:05d>.png (f\"{i:05d}.png\")"
            if relative[wrong].split("/")[0].isdigit():
                hint = ("name each folder after its class (class_names[label]), not its "
                        "number: folders called 0, 1, ..., 10, 11 sort as text, and "
                        "image_dataset_from_directory would number them 0, 1, 10, 11, 2, ...")
            fail(task, f"paths relative to root (first wrong one: image {wrong}, label "
                 f"{_FOLDER_LABELS[wrong]}, class names {list(_FOLDER_NAMES)})",
                 list(_FOLDER_PATHS), relative, hint)
        if not all(os.path.isfile(p) for p in paths):
            fail(task, "a returned path is not a file", hint="write every image, then return "
                 "the paths you wrote")
        class_names, items = _read_back(root, task)
        if class_names != _FOLDER_CLASSES:
            fail(task, "the class folders that image_dataset_from_directory finds",
                 _FOLDER_CLASSES, class_names, "create a folder for EVERY class name, also one "
                 "without images (os.makedirs(..., exist_ok=True)), so every class keeps its "
                 "number; image_dataset_from_directory sorts the folder names")
        counts = [sum(label == c for _, label, _ in items) for c in range(len(class_names))]
        if counts != _FOLDER_COUNTS:
            fail(task, "images per class read back", _FOLDER_COUNTS, counts,
                 "one file per image, in the folder of its class: each file name must be "
                 "different (use the index i)")
        by_path = {os.path.normcase(os.path.abspath(p)): (label, image)
                   for p, label, image in items}
        for i, path in enumerate(paths):
            label, image = by_path[os.path.normcase(os.path.abspath(str(path)))]
            if class_names[label] != _FOLDER_NAMES[_FOLDER_LABELS[i]]:
                fail(task, f"image {i} was read back with the wrong class",
                     _FOLDER_NAMES[_FOLDER_LABELS[i]], class_names[label])
            if not _same(image, x[i]):
                diff = float(np.max(np.abs(np.asarray(image, dtype=float) - x[i])))
                fail(task, f"the pixels of image {i} changed on the way to disk and back "
                     f"(largest difference {diff:g} of 255)", "the same uint8 pixels",
                     "other pixels", "save PNG (lossless), not JPEG; keras.utils.save_img "
                     "stretches the pixel range to 0..255 unless scale=False; "
                     "tf.io.write_file(path, tf.io.encode_png(image)) keeps them")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    passed(task, "one folder per class (empty ones too), <i:05d>.png files, pixels and "
           "labels read back unchanged")


# -- Task 2: make_pipeline ----------------------------------------------------------------------

def steps(ds) -> list[str]:
    """The steps of a tf.data pipeline, first to last (a parallel map counts as "Map")."""
    out = []
    while ds is not None:
        name = type(ds).__name__.strip("_").replace("Dataset", "")
        out.append("Map" if name in ("ParallelMap", "Map") else name)
        ds = getattr(ds, "_input_dataset", None)
    return out[::-1]


def _buffer(ds) -> int | None:
    while ds is not None:
        if type(ds).__name__.strip("_") == "ShuffleDataset":
            return int(ds._buffer_size)
        ds = getattr(ds, "_input_dataset", None)
    return None


def _steps_hint(got, default):
    if "Cache" in got and got.index("Cache") != 1:
        return ("cache() straight after from_tensor_slices: a cache placed after the shuffle, "
                "the batching or the augmentation stores their first result and replays it "
                "every epoch")
    if "Prefetch" in got and got[-1] != "Prefetch":
        return "prefetch(tf.data.AUTOTUNE) is the last step"
    return default


def stand_in_augment(images, training=False):
    """A stand-in augmentation for checks: when training, adds a fresh random number in
    [1, 2) to every pixel; otherwise returns the images unchanged."""
    import tensorflow as tf

    if training:
        return images + tf.random.uniform(tf.shape(images), 1.0, 2.0, dtype=images.dtype)
    return images


def _ids_data(n: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4, 4, 3)).astype("float32")
    return x, np.arange(n, dtype="int64")


def _epochs(make_pipeline, task, args, kwargs, n=2):
    """Build one pipeline and read ``n`` epochs: per epoch (batch sizes, ids, images)."""
    __tracebackhide__ = True
    import tensorflow as tf

    x, y, batch_size, training = args
    shown = (f"make_pipeline(x[{len(x)}], y, {batch_size}, training={training}"
             + "".join(f", {k}={v.__name__ if callable(v) else v!r}" for k, v in kwargs.items())
             + ")")
    ds = call(make_pipeline, *args, task=task, name="make_pipeline", **kwargs)
    if not isinstance(ds, tf.data.Dataset):
        fail(task, f"{shown} should return a tf.data.Dataset", "tf.data.Dataset",
             type(ds).__name__, "start from tf.data.Dataset.from_tensor_slices((x, y))")
    out = []
    try:
        for _ in range(n):
            sizes, ids, images = [], [], []
            for bx, by in ds.take(len(x) + 1):
                ids.extend(np.asarray(by).reshape(-1).astype(int).tolist())
                sizes.append(int(np.asarray(by).reshape(-1).shape[0]))
                images.append(np.asarray(bx, dtype=float))
            out.append((sizes, ids, np.concatenate(images) if images else np.zeros((0,))))
    except Exception as exc:
        fail(task, f"iterating {shown} raised {type(exc).__name__}: {exc}")
    return ds, shown, out


def _expect_batches(sizes, n, batch_size, task, shown, epoch):
    __tracebackhide__ = True
    want = [batch_size] * (n // batch_size) + ([n % batch_size] if n % batch_size else [])
    if sizes != want:
        hint = ".batch(batch_size): every batch holds batch_size examples, the last one the rest"
        if sorted(sizes) == sorted(want):
            hint = ("the smaller last batch moved: shuffle the examples BEFORE batching; "
                    "shuffling after .batch() shuffles whole batches, which keep their "
                    "composition")
        elif sum(sizes) > n:
            hint = ("each epoch must show every example once: no .repeat() (fit's epochs "
                    "repeat the data)")
        elif sizes and sizes[0] == 1 and len(sizes) == n:
            hint = "the examples were never batched: add .batch(batch_size)"
        elif sum(sizes) < n:
            hint = "keep the last, smaller batch (no drop_remainder=True)"
        fail(task, f"{shown}: batch sizes in epoch {epoch}", want if len(want) <= 12
             else f"{want[:3]} ... {want[-2:]}", sizes if len(sizes) <= 12
             else f"{sizes[:3]} ... {sizes[-2:]}", hint)


@quiet
def check_make_pipeline(make_pipeline) -> None:
    __tracebackhide__ = True
    task = "make_pipeline"
    n, batch_size = 300, 32
    x, y = _ids_data(n)

    # Evaluation: the data in order, batched, never augmented.
    ds, shown, runs = _epochs(make_pipeline, task, (x, y, batch_size, False),
                              dict(seed=5, augment=stand_in_augment))
    for epoch, (sizes, ids, images) in enumerate(runs, 1):
        _expect_batches(sizes, n, batch_size, task, shown, epoch)
        if ids != list(range(n)):
            fail(task, f"{shown}: the examples should come in the order of x", "ids 0, 1, "
                 "2, ...", f"ids {ids[:8]} ...", "shuffle only when training is True: "
                 "validation and test data keep their order")
        if not _same(images, x):
            fail(task, f"{shown}: evaluation data must not be augmented", "the images of x, "
                 "unchanged", "changed images", "apply augment only when training is True: "
                 "the model is judged on the real images")
    want = ["TensorSlice", "Cache", "Batch", "Prefetch"]
    if steps(ds) != want:
        fail(task, f"{shown}: the steps of the pipeline, first to last", want, steps(ds),
             _steps_hint(steps(ds), "from_tensor_slices((x, y)).cache().batch(batch_size)"
                         ".prefetch(tf.data.AUTOTUNE), without shuffling or augmenting"))

    # Training without augmentation: every example once per epoch, reshuffled each epoch.
    ds, shown, runs = _epochs(make_pipeline, task, (x, y, batch_size, True), dict(seed=7), 3)
    for epoch, (sizes, ids, images) in enumerate(runs, 1):
        _expect_batches(sizes, n, batch_size, task, shown, epoch)
        if sorted(ids) != list(range(n)):
            fail(task, f"{shown}: epoch {epoch} should show every example exactly once",
                 f"{n} different ids", f"{len(set(ids))} different ids in {len(ids)}")
        if not _same(images, x[ids]):
            fail(task, f"{shown}: images and labels no longer belong together",
                 hint="shuffle (x, y) pairs: from_tensor_slices((x, y)), then shuffle the "
                 "dataset, never x and y separately")
    orders = [ids for _, ids, _ in runs]
    chain = steps(ds)
    if orders[0] == list(range(n)):
        fail(task, f"{shown}: training data should be shuffled", "a shuffled order",
             f"ids {orders[0][:8]} ... (the order of x)",
             "when training is True: .shuffle(buffer_size=len(x), seed=seed)")
    if orders[0] == orders[1] == orders[2]:
        hint = ("leave reshuffle_each_iteration at its default, True, so that every epoch "
                "gets a new order")
        if "Cache" in chain and "Shuffle" in chain and chain.index("Cache") > chain.index(
                "Shuffle"):
            hint = ("cache() comes right after from_tensor_slices: a cache placed after "
                    "shuffle() stores the first epoch's order and replays it every epoch")
        fail(task, f"{shown}: three epochs came in the same order", "a new order every "
             "epoch", "the same order", hint)
    batches = [sorted(tuple(sorted(ids[i:i + batch_size])) for i in range(0, n, batch_size))
               for ids in orders]
    if batches[0] == batches[1]:
        fail(task, f"{shown}: every epoch had the same batches, only in another order",
             "new batches every epoch", "the same groups of examples",
             "shuffle the examples BEFORE batching: shuffling after .batch() shuffles whole "
             "batches, which keep their composition")
    buffer = _buffer(ds)
    if buffer is not None and buffer < n:
        fail(task, f"{shown}: the shuffle buffer is smaller than the data", f"at least {n}",
             buffer, "a small buffer only mixes neighbouring examples (CIFAR files are often "
             "sorted by class): buffer_size=len(x)")
    want = ["TensorSlice", "Cache", "Shuffle", "Batch", "Prefetch"]
    if chain != want:
        fail(task, f"{shown}: the steps of the pipeline, first to last", want, chain,
             _steps_hint(chain, "from_tensor_slices((x, y)).cache().shuffle(len(x), "
                         "seed=seed).batch(batch_size).prefetch(tf.data.AUTOTUNE)"))

    # The seed: the same seed gives the same first epoch, another seed another one.
    _, shown2, again = _epochs(make_pipeline, task, (x, y, batch_size, True), dict(seed=7), 1)
    if again[0][1] != orders[0]:
        fail(task, "two pipelines built with seed=7 gave different first epochs",
             "the same order", "different orders", "pass the seed on: "
             ".shuffle(len(x), seed=seed)")
    _, _, other = _epochs(make_pipeline, task, (x, y, batch_size, True), dict(seed=8), 1)
    if other[0][1] == orders[0]:
        fail(task, "seed=7 and seed=8 gave the same order", "different orders",
             "the same order", "use the seed argument, not a fixed number")

    # Training with augmentation: applied in training, freshly every epoch.
    ds, shown, runs = _epochs(make_pipeline, task, (x, y, batch_size, True),
                              dict(seed=3, augment=stand_in_augment))
    for epoch, (sizes, ids, images) in enumerate(runs, 1):
        _expect_batches(sizes, n, batch_size, task, shown, epoch)
        change = images - x[ids]
        # [1, 2) up to float32 rounding of the sum
        if not (np.all(change > 1.0 - 1e-3) and np.all(change < 2.0 + 1e-3)):
            fail(task, f"{shown}: in training every batch should go through augment",
                 "augmented images", "images that augment did not change",
                 ".map(lambda images, labels: (augment(images, training=True), labels), "
                 "num_parallel_calls=tf.data.AUTOTUNE) after batching; call it with "
                 "training=True")
    first = runs[0][2][np.argsort(runs[0][1])]
    second = runs[1][2][np.argsort(runs[1][1])]
    if _same(first, second):
        fail(task, f"{shown}: both epochs saw the same augmented images", "new random "
             "changes every epoch", "the first epoch's changes replayed",
             "cache() right after from_tensor_slices: a cache placed after the augmentation "
             "stores one set of random changes and replays it every epoch")
    want = ["TensorSlice", "Cache", "Shuffle", "Batch", "Map", "Prefetch"]
    if steps(ds) != want:
        fail(task, f"{shown}: the steps of the pipeline, first to last", want, steps(ds),
             _steps_hint(steps(ds), "cache, shuffle, batch, then map the augmentation over "
                         "the batches, prefetch last"))
    passed(task, "cached, shuffled (training only, whole-data buffer, the seed, new order every "
           "epoch), batched, augmented in training only, prefetched")


# -- Task 3: build_augmentation -----------------------------------------------------------------

def _factor(value):
    if isinstance(value, (int, float)):
        return (-float(value), float(value))
    return tuple(float(v) for v in value)


def augmentation_layers(aug) -> list:
    """An augmentation model's layers as plain tuples of what they do."""
    out = []
    for layer in aug.layers:
        kind = type(layer).__name__
        if kind == "RandomFlip":
            out.append((kind, str(layer.mode)))
        elif kind == "RandomRotation":
            out.append((kind, _factor(layer.factor), str(layer.fill_mode)))
        elif kind == "RandomZoom":
            width = None if layer.width_factor is None else (float(layer.width_lower),
                                                             float(layer.width_upper))
            out.append((kind, (float(layer.height_lower), float(layer.height_upper)), width,
                        str(layer.fill_mode)))
        elif kind == "RandomTranslation":
            out.append((kind, (float(layer.height_lower), float(layer.height_upper)),
                        (float(layer.width_lower), float(layer.width_upper)),
                        str(layer.fill_mode)))
        else:
            out.append((kind,))
    return out


# build_augmentation(*args) -> its layers, written out from the statement.
_AUGMENTATIONS = [
    ((), [("RandomFlip", "horizontal"), ("RandomRotation", (-0.05, 0.05), "reflect"),
          ("RandomZoom", (-0.1, 0.1), None, "reflect"),
          ("RandomTranslation", (-0.1, 0.1), (-0.1, 0.1), "reflect")]),
    ((0.125, 0.2, 0.15), [("RandomFlip", "horizontal"),
                          ("RandomRotation", (-0.125, 0.125), "reflect"),
                          ("RandomZoom", (-0.2, 0.2), None, "reflect"),
                          ("RandomTranslation", (-0.15, 0.15), (-0.15, 0.15), "reflect")]),
]

_AUG_HINT = ("keras.Sequential([RandomFlip('horizontal'), RandomRotation(rotation), "
             "RandomZoom(zoom), RandomTranslation(translation, translation)])")


def _close_tuple(got, want) -> bool:
    if isinstance(want, tuple) and isinstance(got, tuple) and len(got) == len(want):
        return all(_close_tuple(g, w) for g, w in zip(got, want, strict=True))
    if isinstance(want, float) and isinstance(got, float):
        return abs(got - want) <= 1e-9
    return got == want


@quiet
def check_build_augmentation(build_augmentation) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_augmentation"
    for args, want in _AUGMENTATIONS:
        shown = f"build_augmentation({', '.join(map(repr, args))})"
        aug = call(build_augmentation, *args, task=task, name="build_augmentation")
        if not isinstance(aug, keras.Sequential):
            fail(task, f"{shown} should return a keras.Sequential", "keras.Sequential",
                 type(aug).__name__, _AUG_HINT)
        got = augmentation_layers(aug)
        kinds = [g[0] for g in got]
        if kinds != [w[0] for w in want]:
            fail(task, f"{shown}: the layers, in order", [w[0] for w in want], kinds, _AUG_HINT)
        for g, w in zip(got, want, strict=True):
            if _close_tuple(g, w):
                continue
            hint = _AUG_HINT
            if g[0] == "RandomFlip":
                hint = ("flip left-right only, mode='horizontal': an upside-down ship or horse "
                        "is not a picture the model will ever be asked about")
            elif g[0] == "RandomZoom" and g[2] is not None:
                hint = ("give RandomZoom only height_factor=zoom: with width_factor None it "
                        "zooms both sides by the same amount and keeps the aspect ratio")
            elif w[-1] != g[-1]:
                hint = "keep the layers' default fill_mode ('reflect')"
            else:
                hint = ("pass the factors as they come: RandomRotation(rotation) turns by up "
                        "to rotation x 360 degrees either way; RandomTranslation(translation, "
                        "translation) moves both ways")
            fail(task, f"{shown}: the settings of {g[0]}", w, g, hint)
    # Identity at inference, random changes in training.
    images = np.random.default_rng(1).uniform(0, 255, size=(4, 32, 32, 3)).astype("float32")
    inference = np.asarray(aug(images, training=False), dtype=float)
    if not _same(inference, images):
        fail(task, "at inference (training=False) the augmentation should pass images through "
             "unchanged", "the same images", "changed images",
             "use only the four Random* layers: they are identity when training is False")
    trained = np.asarray(aug(images, training=True), dtype=float)
    if _same(trained, images):
        fail(task, "in training (training=True) the augmentation did not change the images")
    passed(task, "horizontal flips, rotation, zoom and translation by the given factors; "
           "identity at inference")


# -- Task 4: build_cnn --------------------------------------------------------------------------

def cnn_layout(model) -> list[str]:
    """A CNN's layers as short strings, activations as steps of their own."""
    import keras

    out = []
    for layer in model.layers:
        kind = type(layer)
        activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
        if kind is keras.layers.InputLayer:
            continue
        if kind is keras.layers.Conv2D:
            kernel = "x".join(map(str, layer.kernel_size))
            stride = "" if tuple(layer.strides) == (1, 1) else f", strides={layer.strides}"
            out.append(f"Conv2D({layer.filters}, {kernel}, {layer.padding}{stride}"
                       f"{'' if layer.use_bias else ', no bias'})")
            if activation != "linear":
                out.append(activation)
        elif kind is keras.layers.Dense:
            out.append(f"Dense({layer.units})")
            if activation != "linear":
                out.append(activation)
        elif kind is keras.layers.Activation:
            out.append(activation)
        elif kind is keras.layers.ReLU:
            out.append("relu")
        elif kind is keras.layers.Dropout:
            out.append(f"Dropout({float(layer.rate):.6g})")
        elif kind is keras.layers.BatchNormalization:
            out.append("BatchNormalization" if layer.axis in (-1, 3, [-1], [3])
                       else f"BatchNormalization(axis={layer.axis})")
        elif kind is keras.layers.MaxPooling2D:
            pool = "x".join(map(str, layer.pool_size))
            out.append(f"MaxPooling2D({pool})" if tuple(layer.strides) == tuple(layer.pool_size)
                       and layer.padding == "valid" else f"MaxPooling2D({pool}, ...)")
        elif kind is keras.layers.Rescaling:
            out.append(f"Rescaling({float(layer.scale):.6g})" if not float(layer.offset)
                       else f"Rescaling({float(layer.scale):.6g}, offset={layer.offset})")
        else:
            out.append(kind.__name__)
    return out


_BLOCK = ["BatchNormalization", "relu"]
# (args, kwargs) -> layers and (trainable, non-trainable) parameters, written out from the
# statement (3x3 valid convolutions without bias, 2x2 pooling after all blocks but the last).
_CNNS = [
    ((), {}, ["Rescaling(0.00392157)", "Conv2D(32, 3x3, valid, no bias)", *_BLOCK,
              "MaxPooling2D(2x2)", "Conv2D(64, 3x3, valid, no bias)", *_BLOCK,
              "MaxPooling2D(2x2)", "Conv2D(64, 3x3, valid, no bias)", *_BLOCK, "Flatten",
              "Dropout(0.3)", "Dense(64)", "relu", "Dropout(0.3)", "Dense(10)"],
     (122_730, 320), 1e-3),
    (((16, 24),), dict(units=40, dropout=0.45, learning_rate=3e-4),
     ["Rescaling(0.00392157)", "Conv2D(16, 3x3, valid, no bias)", *_BLOCK, "MaxPooling2D(2x2)",
      "Conv2D(24, 3x3, valid, no bias)", *_BLOCK, "Flatten", "Dropout(0.45)", "Dense(40)",
      "relu", "Dropout(0.45)", "Dense(10)"],
     (166_658, 80), 3e-4),
]

_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "clipvalue": None,
                  "global_clipnorm": None, "use_ema": False}


def _layout_hint(want, got) -> str:
    convs = [i for i, s in enumerate(got) if s.startswith("Conv2D")]
    if convs and any(s.startswith("Dropout") for s in got[:convs[0]]):
        return ("dropout on the input pixels throws away parts of every image; the Dropout "
                "layers go after Flatten and after the hidden Dense layer")
    for i in convs:
        if got[i + 1:i + 2] == ["relu"]:
            return ("each block is Conv2D (no activation, use_bias=False) -> "
                    "BatchNormalization() -> Activation('relu'): batch norm sees the "
                    "convolution's output before the non-linearity")
    if any(s.endswith("same)") or "same" in s for s in got if s.startswith("Conv2D")):
        return "valid convolutions, as in the seed's CNN: Conv2D(f, 3) (padding='valid')"
    if any("no bias" not in s for s in got if s.startswith("Conv2D")):
        return ("use_bias=False in the Conv2D layers: the batch norm's beta that follows adds "
                "the same per-channel shift")
    if not got or not got[0].startswith("Rescaling"):
        return "start with keras.layers.Rescaling(1 / 255) so the model takes 0..255 pixels"
    if got[-1] != "Dense(10)":
        return "the last layer is Dense(10) with no activation: it outputs logits"
    return ("Rescaling, one block per entry of filters (MaxPooling2D(2) after all but the "
            "last), Flatten, Dropout, Dense(units, relu), Dropout, Dense(10)")


def _check_cnn_compile(model, task, rate):
    __tracebackhide__ = True
    import keras

    optimizer = model.optimizer
    if type(optimizer) is not keras.optimizers.Adam:
        fail(task, "compile with the Adam optimizer", "Adam", type(optimizer).__name__,
             "optimizer=keras.optimizers.Adam(learning_rate=learning_rate)")
    got = float(np.asarray(optimizer.learning_rate))
    if abs(got - rate) > 1e-9 * max(1.0, rate):
        fail(task, "the optimizer's learning rate", rate, got,
             "keras.optimizers.Adam(learning_rate=learning_rate), from the argument")
    settings = optimizer.get_config()
    changed = {k: settings.get(k) for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v}
    if changed:
        fail(task, "Adam should keep its other settings at their defaults", {}, changed)
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    name = loss.get("class_name") if isinstance(loss, dict) else str(loss)
    logits = (loss.get("config") or {}).get("from_logits") if isinstance(loss, dict) \
        and isinstance(loss.get("config"), dict) else None
    if name != "SparseCategoricalCrossentropy" or logits is not True:
        fail(task, "the loss", "SparseCategoricalCrossentropy(from_logits=True)",
             f"{name} (from_logits={logits})", "the last layer outputs logits (no softmax), "
             "so the loss must be told: keras.losses.SparseCategoricalCrossentropy("
             "from_logits=True)")
    metrics = [m if isinstance(m, str) else (m or {}).get("config", {}).get("name")
               for m in (config.get("metrics") or [])]
    if metrics != ["accuracy"]:
        fail(task, "the metrics", ["accuracy"], metrics, 'metrics=["accuracy"]')


@quiet
def check_build_cnn(build_cnn) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_cnn"
    for args, kwargs, want, counts, rate in _CNNS:
        shown = "build_cnn(" + ", ".join([repr(a) for a in args]
                                         + [f"{k}={v!r}" for k, v in kwargs.items()]) + ")"
        model = call(build_cnn, *args, task=task, name="build_cnn", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "keras.Sequential",
                 type(model).__name__)
        if tuple(model.input_shape) != (None, 32, 32, 3):
            fail(task, f"{shown}: the input shape", (None, 32, 32, 3), model.input_shape,
                 "start with keras.Input(shape=(32, 32, 3))")
        got = cnn_layout(model)
        if got != want:
            fail(task, f"{shown}: the layers, in order", want, got, _layout_hint(want, got))
        trainable = int(sum(int(np.prod(w.shape)) for w in model.trainable_weights))
        frozen = int(sum(int(np.prod(w.shape)) for w in model.non_trainable_weights))
        if (trainable, frozen) != counts:
            fail(task, f"{shown}: (trainable, non-trainable) parameters", counts,
                 (trainable, frozen), "batch norm keeps 2 trained numbers per channel (gamma, "
                 "beta) and 2 running statistics that are not trained")
        if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
            fail(task, f"{shown}: the model is not compiled",
                 hint="call model.compile(...) before returning it")
        _check_cnn_compile(model, task, rate)
    # Logits out: the loss on a few images is the cross-entropy of the softmax of the output.
    images = np.random.default_rng(2).uniform(0, 255, size=(6, 32, 32, 3)).astype("float32")
    labels = np.array([0, 3, 9, 1, 5, 7])
    logits = np.asarray(model(images, training=False), dtype=float)
    if logits.shape != (6, 10):
        fail(task, "the output for 6 images", (6, 10), logits.shape)
    shifted = logits - logits.max(axis=1, keepdims=True)
    ce = float(np.mean(np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(6), labels]))
    loss = float(model.evaluate(images, labels, verbose=0, return_dict=True)["loss"])
    if abs(loss - ce) > 1e-3 * max(1.0, ce):
        fail(task, "the loss does not treat the output as logits", round(ce, 5), round(loss, 5),
             "no softmax in the last layer, and from_logits=True in the loss")
    passed(task, "Rescaling, Conv2D -> BatchNormalization -> ReLU blocks with pooling, Flatten, "
           "Dropout, Dense, Dropout, Dense(10) logits; Adam(learning_rate), from_logits "
           "cross-entropy, accuracy")
