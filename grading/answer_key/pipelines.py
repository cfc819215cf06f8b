"""Answer key for lab 14 (CNNs on CIFAR-10: folders, tf.data pipelines, augmentation, batch
norm). Grader-only: hidden tests and the unit tests import it; students never see it.

The helpers below the answers read back what a student's function produced (a folder of
PNG files, a tf.data pipeline's epochs, a model's layers) as plain Python values, so the
hidden tests can compare them with the key's own without trusting the student's objects.
"""

from __future__ import annotations

import os

import numpy as np

CIFAR_SIZE = (32, 32, 3)


# -- Task 1: write_class_folders ----------------------------------------------------------------

def write_class_folders(x, y, root, class_names):
    """Write x[i] as root/<class_names[y[i]]>/<i:05d>.png; one folder for every class name.
    Returns the paths written, in the order of x."""
    import tensorflow as tf

    labels = np.asarray(y).reshape(-1)
    for name in class_names:
        os.makedirs(os.path.join(root, name), exist_ok=True)
    paths = []
    for i, (image, label) in enumerate(zip(x, labels, strict=True)):
        path = os.path.join(root, class_names[int(label)], f"{i:05d}.png")
        tf.io.write_file(path, tf.io.encode_png(np.asarray(image, dtype=np.uint8)))
        paths.append(path)
    return paths


# -- Task 2: make_pipeline ----------------------------------------------------------------------

def make_pipeline(x, y, batch_size, training, seed=0, augment=None):
    """cache -> shuffle (training only) -> batch -> augment (training only) -> prefetch."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_tensor_slices((x, y)).cache()
    if training:
        ds = ds.shuffle(buffer_size=len(x), seed=seed)
    ds = ds.batch(batch_size)
    if training and augment is not None:
        ds = ds.map(lambda images, labels: (augment(images, training=True), labels),
                    num_parallel_calls=tf.data.AUTOTUNE)
    return ds.prefetch(tf.data.AUTOTUNE)


# -- Task 3: build_augmentation -----------------------------------------------------------------

def build_augmentation(rotation=0.05, zoom=0.1, translation=0.1):
    import keras

    return keras.Sequential([
        keras.layers.RandomFlip("horizontal"),
        keras.layers.RandomRotation(rotation),
        keras.layers.RandomZoom(zoom),
        keras.layers.RandomTranslation(translation, translation),
    ])


# -- Task 4: build_cnn --------------------------------------------------------------------------

def build_cnn(filters=(32, 64, 64), units=64, dropout=0.3, learning_rate=1e-3):
    import keras

    layers = [keras.Input(shape=CIFAR_SIZE), keras.layers.Rescaling(1 / 255)]
    for i, f in enumerate(filters):
        layers += [keras.layers.Conv2D(f, 3, use_bias=False),
                   keras.layers.BatchNormalization(),
                   keras.layers.Activation("relu")]
        if i < len(filters) - 1:
            layers.append(keras.layers.MaxPooling2D(2))
    layers += [keras.layers.Flatten(), keras.layers.Dropout(dropout),
               keras.layers.Dense(units, activation="relu"), keras.layers.Dropout(dropout),
               keras.layers.Dense(10)]
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def cnn_parameters(filters, units) -> tuple[int, int]:
    """(trainable, non-trainable) parameter counts of build_cnn, by hand: 3x3 kernels
    without bias, 4 batch-norm numbers per channel (2 trained), valid convolutions and 2x2
    pooling after every block but the last."""
    size, channels, trainable, frozen = CIFAR_SIZE[0], CIFAR_SIZE[2], 0, 0
    for i, f in enumerate(filters):
        trainable += 9 * channels * f + 2 * f
        frozen += 2 * f
        size, channels = size - 2, f
        if i < len(filters) - 1:
            size //= 2
    flat = size * size * channels
    trainable += (flat + 1) * units + (units + 1) * 10
    return trainable, frozen


# -- helpers for the hidden tests ---------------------------------------------------------------

def read_folder(root, class_names=None):
    """What keras.utils.image_dataset_from_directory reads back: (class_names, paths, labels,
    images as uint8), in its own order (classes sorted, files sorted)."""
    import keras

    ds = keras.utils.image_dataset_from_directory(
        root, labels="inferred", label_mode="int", class_names=class_names, image_size=(32, 32),
        batch_size=None, shuffle=False, verbose=False)
    images, labels = [], []
    for image, label in ds.as_numpy_iterator():
        images.append(image)
        labels.append(int(label))
    images = np.stack(images) if images else np.zeros((0, 32, 32, 3))
    return list(ds.class_names), list(ds.file_paths), labels, images


def folder_case(rng, n, n_classes):
    """Random images (some with a narrow pixel range, which keras.utils.save_img's default
    scale=True would stretch), labels of shape (n, 1) with one class left empty, and class
    names that are not in alphabetical order."""
    names = ["zebra", "kiwi", "apple", "mango", "fig", "yak", "cod", "lynx", "owl", "bee",
             "ant", "ram", "elk"]
    order = rng.permutation(len(names))[:n_classes]
    class_names = [names[i] for i in order]
    empty = int(rng.integers(0, n_classes))
    choices = [c for c in range(n_classes) if c != empty]
    y = rng.choice(choices, size=n).astype("uint8").reshape(-1, 1)
    low = rng.integers(0, 120, size=(n, 1, 1, 1))
    x = (low + rng.integers(0, 100, size=(n, 32, 32, 3))).astype("uint8")
    return x, y, class_names


def chain(ds) -> list[str]:
    """The steps of a tf.data pipeline, first to last: ["TensorSlice", "Cache", ...]; a map
    counts as "Map" whether parallel or not."""
    steps = []
    while ds is not None:
        name = type(ds).__name__.strip("_").replace("Dataset", "")
        steps.append("Map" if name in ("ParallelMap", "Map") else name)
        ds = getattr(ds, "_input_dataset", None)
    return steps[::-1]


def shuffle_buffer(ds) -> int | None:
    while ds is not None:
        if type(ds).__name__.strip("_") == "ShuffleDataset":
            return int(ds._buffer_size)
        ds = getattr(ds, "_input_dataset", None)
    return None


def epochs(ds, n: int = 2):
    """Iterate a pipeline ``n`` times: per epoch the batch sizes, the ids (labels) in order
    and the images (float64), as plain NumPy values."""
    import tensorflow as tf

    assert isinstance(ds, tf.data.Dataset), f"got a {type(ds).__name__}, not a tf.data.Dataset"
    out = []
    for _ in range(n):
        sizes, ids, images = [], [], []
        for batch_x, batch_y in ds:
            bx = np.array(batch_x.numpy(), dtype=float)
            by = np.array(batch_y.numpy()).reshape(-1).astype(int)
            sizes.append(int(by.shape[0]))
            ids.extend(by.tolist())
            images.append(bx)
        out.append((sizes, ids, np.concatenate(images) if images else np.zeros((0,))))
    return out


def marker(images, training=False):
    """A stand-in augmentation: adds a fresh random number in [1, 2) to every pixel when
    training (so a cached or skipped augmentation shows), nothing otherwise."""
    import tensorflow as tf

    if training:
        return images + tf.random.uniform(tf.shape(images), 1.0, 2.0, dtype=images.dtype)
    return images


def pipeline_case(rng, n):
    """Images whose first pixel is their id (float32), and ids as labels."""
    x = rng.normal(size=(n, 4, 4, 3)).astype("float32")
    x[:, 0, 0, 0] = np.arange(n)
    return x, np.arange(n, dtype="int64")


def augmentation_settings(aug) -> list:
    """The layers of an augmentation model as plain tuples of what they do."""
    import keras

    out = []
    for layer in aug.layers:
        kind = type(layer).__name__
        if kind == "RandomFlip":
            out.append((kind, str(layer.mode)))
        elif kind == "RandomRotation":
            factor = layer.factor
            low, high = (-float(factor), float(factor)) if np.isscalar(factor) else factor
            out.append((kind, float(low), float(high), str(layer.fill_mode),
                        str(layer.interpolation)))
        elif kind == "RandomZoom":
            width = None if layer.width_factor is None else (float(layer.width_lower),
                                                             float(layer.width_upper))
            out.append((kind, float(layer.height_lower), float(layer.height_upper), width,
                        str(layer.fill_mode), str(layer.interpolation)))
        elif kind == "RandomTranslation":
            out.append((kind, float(layer.height_lower), float(layer.height_upper),
                        float(layer.width_lower), float(layer.width_upper), str(layer.fill_mode),
                        str(layer.interpolation)))
        else:
            out.append((kind,))
    assert isinstance(aug, keras.Sequential)
    return out


def layout(model) -> list[str]:
    """A CNN's layers as short strings, activations as steps of their own."""
    import keras

    steps = []
    for layer in model.layers:
        kind = type(layer)
        if kind is keras.layers.InputLayer:
            continue
        activation = getattr(getattr(layer, "activation", None), "__name__", "linear")
        if kind is keras.layers.Conv2D:
            steps.append(f"Conv2D({int(layer.filters)}, {tuple(layer.kernel_size)}, "
                         f"{tuple(layer.strides)}, {layer.padding}, bias={bool(layer.use_bias)})")
            if activation != "linear":
                steps.append(activation)
        elif kind is keras.layers.Dense:
            steps.append(f"Dense({int(layer.units)}, bias={bool(layer.use_bias)})")
            if activation != "linear":
                steps.append(activation)
        elif kind is keras.layers.Activation:
            steps.append(activation)
        elif kind is keras.layers.ReLU:
            steps.append("relu")
        elif kind is keras.layers.Dropout:
            steps.append(f"Dropout({float(layer.rate):.6g})")
        elif kind is keras.layers.BatchNormalization:
            steps.append(f"BatchNormalization(axis={layer.axis}, center={layer.center}, "
                         f"scale={layer.scale})")
        elif kind is keras.layers.MaxPooling2D:
            steps.append(f"MaxPooling2D({tuple(layer.pool_size)}, {tuple(layer.strides)}, "
                         f"{layer.padding})")
        elif kind is keras.layers.Rescaling:
            steps.append(f"Rescaling({float(layer.scale):.8g}, {float(layer.offset):.6g})")
        else:
            steps.append(kind.__name__)
    return steps


def compile_settings(model) -> tuple:
    """(optimizer class, learning rate, loss, from_logits, metrics) as plain values."""
    config = model.get_compile_config() or {}
    loss = config.get("loss")
    if isinstance(loss, dict):
        loss_name = str(loss.get("class_name"))
        logits = bool((loss.get("config") or {}).get("from_logits", False)) \
            if isinstance(loss.get("config"), dict) else None
        if loss_name == "function":
            loss_name, logits = str(loss.get("config")), False
    else:
        loss_name, logits = str(loss), False
    metrics = [m if isinstance(m, str) else str((m or {}).get("class_name"))
               for m in (config.get("metrics") or [])]
    optimizer = model.optimizer
    rate = float(np.asarray(optimizer.learning_rate))
    return type(optimizer).__name__, round(rate, 12), loss_name, logits, metrics
