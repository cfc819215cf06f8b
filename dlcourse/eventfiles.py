"""Looking inside TensorBoard event files: which tags a folder holds, weight histograms and
logged images. (Reading scalars is a task of lab 11, so it is not here.)

Keras 3 and ``tf.summary`` write every summary as a *tensor* event tagged with the plugin
that draws it. Importing this module is light; TensorFlow loads on first use.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from dlcourse.runtime import quiet_logger


def _accumulator(event_dir):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    if not Path(event_dir).is_dir():
        raise FileNotFoundError(f"no such folder: {event_dir}")
    with quiet_logger("tensorboard"):
        return EventAccumulator(str(event_dir), size_guidance={"tensors": 0}).Reload()


def _tags_by_plugin(acc) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tag in acc.Tags().get("tensors", []):
        plugin = acc.SummaryMetadata(tag).plugin_data.plugin_name or "tensors"
        found.setdefault(plugin, []).append(tag)
    return {plugin: sorted(names) for plugin, names in found.items()}


def tags(event_dir) -> dict[str, list[str]]:
    """The tags in ``event_dir`` grouped by plugin: ``{"scalars": [...], "histograms": [...]}``."""
    return _tags_by_plugin(_accumulator(event_dir))


def read_histograms(event_dir) -> dict[str, list[tuple[int, np.ndarray]]]:
    """Every histogram tag -> ``[(step, buckets), ...]``; buckets rows are (left, right, count)."""
    import tensorflow as tf

    acc = _accumulator(event_dir)
    return {tag: [(e.step, tf.make_ndarray(e.tensor_proto)) for e in acc.Tensors(tag)]
            for tag in _tags_by_plugin(acc).get("histograms", [])}


def read_images(event_dir, tag: str) -> list[tuple[int, np.ndarray]]:
    """``[(step, images), ...]`` for image ``tag``; images are uint8 (k, h, w, c) from the PNGs."""
    import tensorflow as tf

    acc = _accumulator(event_dir)
    if tag not in _tags_by_plugin(acc).get("images", []):
        raise KeyError(f"no image summary {tag!r} in {event_dir}")
    result = []
    for event in acc.Tensors(tag):
        encoded = tf.make_ndarray(event.tensor_proto)  # [width, height, png, png, ...]
        pictures = [tf.io.decode_png(png).numpy() for png in encoded[2:]]
        result.append((event.step, np.stack(pictures) if pictures else np.zeros((0, 0, 0, 0))))
    return result
