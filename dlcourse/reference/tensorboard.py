"""Reference for lab 11 (TensorBoard): run folders, summaries, and reading event files back.

Event files are read with TensorBoard's own reader, ``EventAccumulator``. Keras 3 and
``tf.summary`` (TF 2) write every summary as a *tensor* event tagged with the plugin it
belongs to (``scalars``, ``histograms``, ``images``), so the readers below look at
``Tags()["tensors"]`` and decode values with ``tf.make_ndarray``. Legacy ``scalars`` events
(TF 1 style) are read too. Importing this module is light; TensorFlow loads on first use.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import numpy as np

from dlcourse.runtime import quiet_logger

#: size_guidance that keeps every event; the default keeps a sample of 10 tensors per tag.
LOAD_EVERYTHING = {"scalars": 0, "tensors": 0, "histograms": 0, "images": 0,
                   "compressedHistograms": 0, "audio": 0}


def make_run_dir(root: str = "logs", name: str = "run") -> str:
    """Create and return ``root/<name>-<YYYYmmdd-HHMMSS-ffffff>``: unique, sortable by time."""
    while True:
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        path = os.path.join(root, f"{name}-{stamp}")
        try:
            os.makedirs(path)
            return path
        except FileExistsError:  # two calls in the same microsecond: take the next one
            continue


def tensorboard_callback(log_dir: str):
    """A TensorBoard callback writing to ``log_dir`` with weight histograms every epoch."""
    import keras

    return keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=1)


def log_scalars(log_dir: str, tag: str, values) -> None:
    """Write ``values[i]`` as scalar ``tag`` at step ``i`` into ``log_dir``."""
    import tensorflow as tf

    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        for step, value in enumerate(values):
            tf.summary.scalar(tag, float(value), step=step)
    writer.close()


def to_image_batch(images) -> np.ndarray:
    """uint8 images (k, h, w) or (k, h, w, c) in 0..255 -> float32 (k, h, w, c) in [0, 1]."""
    batch = np.asarray(images, dtype="float32") / 255.0
    if batch.ndim == 3:
        batch = batch[..., np.newaxis]
    return batch


def log_images(log_dir: str, tag: str, images, step: int = 0) -> None:
    """Log all ``images`` (uint8, (k, h, w) or (k, h, w, c)) as one image summary."""
    import tensorflow as tf

    batch = to_image_batch(images)
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        tf.summary.image(tag, batch, step=step, max_outputs=len(batch))
    writer.close()


def load_events(event_dir):
    """An ``EventAccumulator`` holding every event of the files in ``event_dir``."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    if not Path(event_dir).is_dir():
        raise FileNotFoundError(f"no such folder: {event_dir}")
    with quiet_logger("tensorboard"):
        return EventAccumulator(str(event_dir), size_guidance=LOAD_EVERYTHING).Reload()


def tags(event_dir) -> dict[str, list[str]]:
    """The tags in ``event_dir`` grouped by plugin: ``{"scalars": [...], "histograms": [...]}``."""
    acc = load_events(event_dir)
    found: dict[str, list[str]] = {}
    for tag in acc.Tags().get("tensors", []):
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name or "tensors"
        found.setdefault(plugin, []).append(tag)
    for tag in acc.Tags().get("scalars", []):
        found.setdefault("scalars", []).append(tag)
    return {plugin: sorted(names) for plugin, names in found.items()}


def read_scalars(event_dir, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, values)`` of scalar ``tag`` in ``event_dir``, sorted by step."""
    import tensorflow as tf

    acc = load_events(event_dir)
    available = acc.Tags()
    if tag in available.get("tensors", []):
        pairs = [(e.step, float(tf.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag)]
    elif tag in available.get("scalars", []):
        pairs = [(e.step, float(e.value)) for e in acc.Scalars(tag)]
    else:
        known = sorted(available.get("tensors", []) + available.get("scalars", []))
        raise KeyError(f"no scalar {tag!r} in {event_dir}; tags there: {known}")
    pairs.sort(key=lambda pair: pair[0])
    steps = np.array([s for s, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    return steps, values


def read_histograms(event_dir) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Every histogram tag -> ``[(step, buckets), ...]``; buckets rows are (left, right, count)."""
    import tensorflow as tf

    acc = load_events(event_dir)
    result = {}
    for tag in tags(event_dir).get("histograms", []):
        result[tag] = [(e.step, tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
    return result


def read_images(event_dir, tag: str) -> list[tuple[int, np.ndarray]]:
    """``[(step, images), ...]`` for image ``tag``; images are uint8 (k, h, w, c) from the PNGs."""
    import tensorflow as tf

    acc = load_events(event_dir)
    if tag not in acc.Tags().get("tensors", []):
        raise KeyError(f"no image {tag!r} in {event_dir}")
    result = []
    for event in acc.Tensors(tag):
        encoded = tf.make_ndarray(event.tensor_proto)  # [width, height, png, png, ...]
        pictures = [tf.io.decode_png(png).numpy() for png in encoded[2:]]
        result.append((event.step, np.stack(pictures) if pictures else np.zeros((0, 0, 0, 0))))
    return result


def final_value(run_dir, tag: str = "epoch_loss", subdir: str = "validation") -> float:
    """The last logged value of ``tag`` in ``run_dir/subdir`` (the final validation loss)."""
    _, values = read_scalars(Path(run_dir) / subdir, tag)
    if len(values) == 0:
        raise ValueError(f"{tag!r} in {run_dir}/{subdir} has no events")
    return float(values[-1])


def best_run(run_dirs, tag: str = "epoch_loss", subdir: str = "validation"):
    """The run (one of ``run_dirs``) whose final validation loss is the lowest."""
    run_dirs = list(run_dirs)
    finals = [final_value(run, tag, subdir) for run in run_dirs]
    return run_dirs[int(np.argmin(finals))]
