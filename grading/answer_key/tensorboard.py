"""Answer key for lab 11 (TensorBoard): run folders, summaries, reading event files back.

Grader-only. Event files are read with TensorBoard's own reader, ``EventAccumulator``.
Keras 3 and ``tf.summary`` (TF 2) write every summary as a *tensor* event tagged with the
plugin it belongs to, so :func:`read_scalars` reads ``Tags()["tensors"]`` and decodes values
with ``tf.make_ndarray``. :func:`written` dumps the raw records, for tests that must see
exactly what an answer wrote. Importing this module is light; TensorFlow loads on first use.
"""

from __future__ import annotations

import contextlib
import dis
import os
import types
from datetime import datetime
from pathlib import Path

import numpy as np

from dlcourse.runtime import quiet_logger

#: size_guidance that keeps every event; the default keeps a sample of 10 tensors per tag.
LOAD_EVERYTHING = {"scalars": 0, "tensors": 0, "histograms": 0, "images": 0,
                   "compressedHistograms": 0, "audio": 0}


# -- the tasks ------------------------------------------------------------------------------

def run_dir_name(name: str, when: datetime) -> str:
    """``<name>-<YYYYmmdd-HHMMSS-ffffff>``."""
    return f"{name}-{when.strftime('%Y%m%d-%H%M%S-%f')}"


def make_run_dir(root: str = "logs", name: str = "run") -> str:
    """Create and return ``root/<name>-<YYYYmmdd-HHMMSS-ffffff>``."""
    path = os.path.join(root, run_dir_name(name, datetime.now()))
    os.makedirs(path)
    return path


def tensorboard_callback(log_dir: str, histogram_freq: int = 1, update_freq="epoch"):
    """A TensorBoard callback writing to ``log_dir``; every other argument at its default."""
    import keras

    return keras.callbacks.TensorBoard(log_dir=log_dir, histogram_freq=histogram_freq,
                                       update_freq=update_freq)


def log_scalars(log_dir: str, tag: str, values, steps=None) -> None:
    """Write ``values[i]`` as scalar ``tag`` at step ``steps[i]`` (default ``i``)."""
    import tensorflow as tf

    steps = range(len(values)) if steps is None else steps
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        for step, value in zip(steps, values, strict=True):
            tf.summary.scalar(tag, float(value), step=int(step))
    writer.close()


def log_images(log_dir: str, tag: str, images, step: int = 0) -> None:
    """Log all ``images`` (uint8, (k, h, w)) as one image summary at ``step``."""
    import tensorflow as tf

    batch = np.asarray(images, dtype="float32")[..., np.newaxis] / 255.0
    writer = tf.summary.create_file_writer(str(log_dir))
    with writer.as_default():
        tf.summary.image(tag, batch, step=step, max_outputs=len(batch))
    writer.close()


def read_scalars(event_dir, tag: str) -> tuple[np.ndarray, np.ndarray]:
    """``(steps, values)`` of scalar ``tag`` in ``event_dir``, sorted by step."""
    import tensorflow as tf
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    with quiet_logger("tensorboard"):
        acc = EventAccumulator(str(event_dir), size_guidance=LOAD_EVERYTHING).Reload()
    pairs = sorted((e.step, float(tf.make_ndarray(e.tensor_proto))) for e in acc.Tensors(tag))
    steps = np.array([s for s, _ in pairs], dtype=np.int64)
    values = np.array([v for _, v in pairs], dtype=np.float64)
    return steps, values


def final_value(run_dir, tag: str = "epoch_loss", subdir: str = "validation") -> float:
    """The value of ``tag`` at the last step in ``run_dir/subdir``."""
    return float(read_scalars(Path(run_dir) / subdir, tag)[1][-1])


def best_run(run_dirs, tag: str = "epoch_loss", mode: str = "min"):
    """The run whose final validation ``tag`` is lowest (``min``) or highest (``max``);
    the first such run on a tie."""
    run_dirs = list(run_dirs)
    finals = [final_value(run, tag) for run in run_dirs]
    pick = {"min": np.argmin, "max": np.argmax}[mode]
    return run_dirs[int(pick(finals))]


# The readers below repeat those of the visible check module on purpose: hidden tests must
# not depend on code a submission can replace before they run (`check.layout = ...`).
# -- for hidden tests -----------------------------------------------------------------------

@contextlib.contextmanager
def frozen_clock(fn, when: datetime):
    """Run ``fn`` with the global names it binds to the datetime class or module rebound
    to a datetime whose now() and today() return ``when``."""
    import datetime as module

    class Frozen(module.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls.combine(when.date(), when.time())

        @classmethod
        def today(cls):
            return cls.now()

    fake = types.SimpleNamespace(**{k: getattr(module, k) for k in dir(module)
                                    if not k.startswith("__")})
    fake.datetime = Frozen
    names = {name: Frozen if value is module.datetime else fake
             for name, value in fn.__globals__.items()
             if value is module.datetime or value is module}
    assert names, "make_run_dir does not use datetime"
    saved = {name: fn.__globals__[name] for name in names}
    fn.__globals__.update(names)
    try:
        yield
    finally:
        fn.__globals__.update(saved)


#: TensorBoard's arguments the task leaves at their defaults, and how Keras stores them
CALLBACK_DEFAULTS = {"write_graph": True, "write_images": False,
                     "write_steps_per_second": False, "embeddings_freq": 0,
                     "embeddings_metadata": None, "_start_batch": 0, "_stop_batch": 0}


def configuration(callback) -> dict:
    """What a TensorBoard callback was built with, as plain values, and the names of any
    methods replaced on the instance."""
    names = ["log_dir", "histogram_freq", "update_freq", *CALLBACK_DEFAULTS]
    found = {name: getattr(callback, name, None) for name in names}
    found["log_dir"] = os.path.realpath(str(found["log_dir"]))
    found["replaced"] = sorted(k for k, v in vars(callback).items() if callable(v))
    return found


def fit_tiny(callback, epochs: int):
    """Three classes, 32 training samples in 4 batches of 8: 4 optimiser steps an epoch."""
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0).astype("int64")
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.fit(x[:32], y[:32], validation_data=(x[32:], y[32:]), epochs=epochs,
                     batch_size=8, verbose=0, callbacks=[callback])


def written(folder) -> list[tuple[str, int, str, np.ndarray]]:
    """Every summary value in the event files directly in ``folder``, in file order:
    ``(tag, step, plugin, value)``. The raw records: no sampling, no purging."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    found = []
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            for value in event.summary.value:
                found.append((value.tag, int(event.step), value.metadata.plugin_data.plugin_name,
                              tf.make_ndarray(value.tensor)))
    return found


def scalar_pairs(folder, tag: str) -> list[tuple[int, float]]:
    """The (step, value) pairs written for scalar ``tag``, sorted, duplicates kept."""
    return sorted((step, float(value)) for t, step, plugin, value in written(folder)
                  if t == tag and plugin == "scalars")


def image_events(folder, tag: str) -> list[tuple[int, np.ndarray]]:
    """``[(step, uint8 images (k, h, w, c))]`` written for image ``tag``, sorted by step."""
    import tensorflow as tf

    found = []
    for t, step, plugin, value in written(folder):
        if t == tag and plugin == "images":
            pictures = [tf.io.decode_png(png).numpy() for png in value[2:]]
            found.append((step, np.stack(pictures) if pictures else np.zeros((0, 0, 0, 0))))
    return sorted(found, key=lambda pair: pair[0])


def write_run(run_dir, series: dict) -> None:
    """A run folder: ``series`` maps ``"subdir/tag"`` to ``(steps, values)``."""
    for key, (steps, values) in series.items():
        subdir, tag = key.split("/", 1)
        log_scalars(os.path.join(run_dir, subdir), tag, values, steps)


def course_code_used(fn) -> list[str]:
    """What of the ``dlcourse`` package ``fn`` reaches: through its global names, imports,
    defaults and closure, and those of the notebook functions it calls. No answer of this
    lab needs any; an answer that calls the course's checks or readers delegates."""
    found, seen, todo = [], set(), [fn]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if _from_course(current):
            found.append(getattr(current, "__name__", repr(current)))
            continue
        if not (isinstance(current, types.FunctionType)
                and current.__globals__ is getattr(fn, "__globals__", None)):
            continue
        cells = [c.cell_contents for c in current.__closure__ or () if _filled(c)]
        for obj in [*(current.__defaults__ or ()), *(current.__kwdefaults__ or {}).values(),
                    *cells]:
            todo.append(obj)
        codes = [current.__code__]
        while codes:
            code = codes.pop()
            codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
            for ins in dis.get_instructions(code):
                if ins.opname == "IMPORT_NAME" and str(ins.argval).startswith("dlcourse"):
                    found.append(str(ins.argval))
                elif ins.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                    name = str(ins.argval).removeprefix("NULL + ").split(" ")[0]
                    if name in current.__globals__:
                        todo.append(current.__globals__[name])
    return found


def _filled(cell) -> bool:
    try:
        return cell.cell_contents is not cell  # raises ValueError when empty
    except ValueError:
        return False


def _from_course(obj) -> bool:
    if isinstance(obj, types.ModuleType):
        origin = obj.__name__
    elif isinstance(obj, type | types.FunctionType | types.BuiltinFunctionType):
        origin = getattr(obj, "__module__", None) or ""
    else:
        origin = getattr(getattr(obj, "func", None), "__module__", None) or ""
    return origin == "dlcourse" or origin.startswith("dlcourse.")
