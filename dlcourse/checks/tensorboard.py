"""Checks for lab 11 (TensorBoard). The checks read the raw records of the event files (what
was really written: no sampling, nothing dropped) and never start a server.

Every case is fixed: its inputs and expected results are stored below, and each check works
in a fresh temporary folder, so the student's ``logs/`` stays tidy.
"""

from __future__ import annotations

import datetime as _datetime
import os
import re
import tempfile
import time
import types
from pathlib import Path

import numpy as np

from dlcourse.checks.core import CheckFailed, call, expect_close, fail, passed

_WRITER_HINT = ("create the writer with tf.summary.create_file_writer(log_dir), write inside "
                "`with writer.as_default():`, and call writer.close() (or flush()) at the end")


# -- reading what was written -------------------------------------------------------------

def _event_files(folder) -> list[Path]:
    return sorted(Path(folder).rglob("events.out.tfevents.*"))


def _records(folder) -> list[tuple[str, int, str, np.ndarray]]:
    """``(tag, step, plugin, tensor)`` of every summary value in the raw records of the
    event files directly in ``folder``, in the order they were written."""
    import tensorflow as tf
    from tensorflow.core.util import event_pb2

    found = []
    for path in sorted(Path(folder).glob("events.out.tfevents.*")):
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            found += [(v.tag, int(event.step), v.metadata.plugin_data.plugin_name,
                       tf.make_ndarray(v.tensor)) for v in event.summary.value]
    return found


def _steps_by_tag(records, plugin) -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for tag, step, kind, _ in records:
        if kind == plugin:
            found.setdefault(tag, []).append(step)
    return {tag: sorted(steps) for tag, steps in found.items()}


def _same_path(a, b) -> bool:
    return os.path.realpath(os.fspath(a)) == os.path.realpath(os.fspath(b))


# -- Task 1 ---------------------------------------------------------------------------------

_STAMP = re.compile(r"\d{8}-\d{6}-\d{6}")
#: (root below the temporary folder, name, frozen clock) -> the folder name the statement asks
_FROZEN_CASES = [
    ("logs", "demo", _datetime.datetime(2026, 1, 5, 3, 4, 5, 7), "demo-20260105-030405-000007"),
    ("a/b/logs", "sgd_lr-0.1", _datetime.datetime(2031, 11, 30, 23, 59, 59, 999999),
     "sgd_lr-0.1-20311130-235959-999999"),
    ("a/b/logs", "run.v2", _datetime.datetime(2027, 7, 9, 8, 0, 0, 40),
     "run.v2-20270709-080000-000040"),
]


def _frozen_clock(fn, when):
    """The global names of ``fn`` bound to the datetime class or module, rebound to a
    datetime whose now() and today() return ``when``: None if it names neither."""
    class Frozen(_datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return cls.combine(when.date(), when.time())

        @classmethod
        def today(cls):
            return cls.now()

    module = types.SimpleNamespace(**{k: getattr(_datetime, k) for k in dir(_datetime)
                                      if not k.startswith("__")})
    module.datetime = Frozen
    names = {name: (Frozen if value is _datetime.datetime else module)
             for name, value in getattr(fn, "__globals__", {}).items()
             if value is _datetime.datetime or value is _datetime}
    return names or None


def _run_frozen(fn, names, *args, task):
    __tracebackhide__ = True
    namespace = fn.__globals__
    saved = {name: namespace[name] for name in names}
    namespace.update(names)
    try:
        return call(fn, *args, task=task, name="make_run_dir")
    finally:
        namespace.update(saved)


def _expect_run_folder(task, got, expected_path):
    __tracebackhide__ = True
    if type(got) is not str:
        fail(task, "make_run_dir should return the path of the new folder as a string",
             "a str", type(got).__name__, "return os.path.join(root, ...), not a Path or None")
    if got != expected_path:
        fail(task, "the path is not root/<name>-<timestamp> as the statement asks",
             expected_path, got, "os.path.join(root, f\"{name}-{stamp}\") with stamp = "
             "datetime.now().strftime(\"%Y%m%d-%H%M%S-%f\"): zero-padded, dashes only "
             "between date, time and microseconds")
    if not os.path.isdir(got):
        fail(task, "the run folder was not created", f"a folder at {got}", "nothing",
             "create it with os.makedirs(path) before returning the path")
    if os.listdir(got):
        fail(task, "a new run folder should be empty", [], sorted(os.listdir(got)),
             "create the folder only; the callback and the writers fill it")


def check_make_run_dir(make_run_dir) -> None:
    __tracebackhide__ = True
    task = "make_run_dir"
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "logs")
        runs = []
        for _ in range(3):
            before = _datetime.datetime.now()
            got = call(make_run_dir, root, "demo", task=task, name="make_run_dir")
            after = _datetime.datetime.now()
            runs.append(got)
            if not isinstance(got, str):
                fail(task, "make_run_dir should return the path of the new folder as a string",
                     "a str", type(got).__name__)
            base = os.path.basename(got)
            stamp = base.removeprefix("demo-")
            if not base.startswith("demo-") or not _STAMP.fullmatch(stamp):
                fail(task, "the folder name is not <name>-<YYYYmmdd-HHMMSS-ffffff>",
                     "demo-20260105-143012-118204 (for example)", base,
                     "stamp = datetime.now().strftime(\"%Y%m%d-%H%M%S-%f\"); name the folder "
                     "f\"{name}-{stamp}\" (%f is microseconds: two runs started within one "
                     "second must not share a folder)")
            stamped = _datetime.datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")
            if not (before - _datetime.timedelta(seconds=1) <= stamped
                    <= after + _datetime.timedelta(seconds=1)):
                fail(task, "the timestamp is not the time of the call", f"about {before}",
                     str(stamped), "use datetime.now(), the local time when the run starts")
            _expect_run_folder(task, got, os.path.join(root, base))
            time.sleep(0.002)
        names = [os.path.basename(r) for r in runs]
        if len(set(names)) < len(names):
            fail(task, "three calls in a row gave the same folder", "3 different folders", names,
                 "put the microseconds (%f) in the timestamp")
        if sorted(os.listdir(root)) != sorted(names) or os.listdir(tmp) != ["logs"]:
            fail(task, "make_run_dir created something besides the run folders",
                 sorted(names), sorted(os.listdir(root)), "create only root/<name>-<timestamp>")
        if sorted(names) != names:
            fail(task, "sorting the folder names should put the runs in the order they started",
                 names, sorted(names), "write the timestamp from the year down to the "
                 "microsecond, zero-padded: %Y%m%d-%H%M%S-%f")
    with tempfile.TemporaryDirectory() as tmp:
        made = []
        for root, name, when, expected in _FROZEN_CASES:
            names = _frozen_clock(make_run_dir, when)
            if names is None:
                fail(task, "make_run_dir does not use datetime", "datetime.now()", "no datetime "
                     "among its global names", "keep `from datetime import datetime` and take "
                     "the timestamp from datetime.now(), as the statement says")
            got = _run_frozen(make_run_dir, names, os.path.join(tmp, root), name, task=task)
            _expect_run_folder(task, got, os.path.join(tmp, root, expected))
            made.append(os.path.relpath(got, tmp))
        found = sorted(os.path.relpath(os.path.join(d, sub), tmp) for d, subs, _ in os.walk(tmp)
                       for sub in subs)
        wanted = sorted({"logs", "a", "a/b", "a/b/logs", *made})
        if found != wanted:
            fail(task, "make_run_dir created folders it should not have", wanted, found,
                 "create root/<name>-<timestamp> and nothing else (os.makedirs creates a "
                 "missing root on the way)")
    passed(task, f"root/<name>-<timestamp> created, e.g. {_FROZEN_CASES[0][3]}")


# -- Task 2 ---------------------------------------------------------------------------------

_DEFAULTS = {"write_graph": True, "write_images": False, "write_steps_per_second": False,
             "embeddings_freq": 0, "embeddings_metadata": None}


def _tiny_fit(callback, epochs: int):
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


def _expect_configuration(task, callback, log_dir, histogram_freq, update_freq, call_text):
    __tracebackhide__ = True
    import keras

    if not isinstance(callback, keras.callbacks.TensorBoard):
        fail(task, f"{call_text} should return a keras.callbacks.TensorBoard",
             "keras.callbacks.TensorBoard(...)", type(callback).__name__)
    if not _same_path(callback.log_dir, log_dir):
        fail(task, f"{call_text} writes into the wrong folder", log_dir, callback.log_dir,
             "pass log_dir=log_dir (not a fixed folder, not a subfolder)")
    if callback.histogram_freq != histogram_freq:
        fail(task, f"{call_text}: wrong histogram_freq", histogram_freq,
             callback.histogram_freq, "pass histogram_freq=histogram_freq through")
    keras_update = 1 if update_freq == "batch" else update_freq
    if callback.update_freq != keras_update:
        fail(task, f"{call_text}: wrong update_freq", update_freq, callback.update_freq,
             "pass update_freq=update_freq through")
    for name, default in _DEFAULTS.items():
        if getattr(callback, name, default) != default:
            fail(task, f"{call_text}: {name} should stay at its default", default,
                 getattr(callback, name), "set only log_dir, histogram_freq and update_freq")
    if getattr(callback, "_start_batch", 0) or getattr(callback, "_stop_batch", 0):
        fail(task, f"{call_text}: profile_batch should stay at its default", 0,
             (callback._start_batch, callback._stop_batch),
             "set only log_dir, histogram_freq and update_freq")


def check_tensorboard_callback(tensorboard_callback) -> None:
    __tracebackhide__ = True
    task = "tensorboard_callback"
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run-a")
        callback = call(tensorboard_callback, run, task=task, name="tensorboard_callback")
        _expect_configuration(task, callback, run, 1, "epoch", "tensorboard_callback(log_dir)")
        run = os.path.join(tmp, "run-b")
        text = "tensorboard_callback(log_dir, histogram_freq=2, update_freq=2)"
        callback = call(tensorboard_callback, run, histogram_freq=2, update_freq=2, task=task,
                        name="tensorboard_callback")
        _expect_configuration(task, callback, run, 2, 2, text)
        # 3 epochs of 4 batches: batch_loss every 2 optimiser steps, histograms at epochs 0, 2
        history = _tiny_fit(callback, epochs=3)
        if not _event_files(run):
            fail(task, "a short fit with your callback wrote no event files into log_dir",
                 f"event files under {run}", "none", "pass log_dir=log_dir to the callback")
        train = _records(os.path.join(run, "train"))
        scalars = _steps_by_tag(train, "scalars")
        if scalars.get("batch_loss") != [2, 4, 6, 8, 10, 12]:
            fail(task, f"{text}: batch_loss should be written every 2 optimiser steps of a "
                 "12-step fit", [2, 4, 6, 8, 10, 12], scalars.get("batch_loss", "none"),
                 "pass update_freq through to the callback")
        epoch_loss = [float(v) for tag, _, kind, v in train
                      if tag == "epoch_loss" and kind == "scalars"]
        if scalars.get("epoch_loss") != [0, 1, 2]:
            fail(task, "epoch_loss should be written once per epoch", [0, 1, 2],
                 scalars.get("epoch_loss", "none"))
        expect_close(epoch_loss, history.history["loss"], task,
                     "epoch_loss read from the event files", atol=1e-5, rtol=1e-4)
        histograms = _steps_by_tag(train, "histograms")
        if len(histograms) != 4:
            fail(task, f"{text}: one weight histogram per weight tensor (2 Dense layers)",
                 "4 histogram tags", sorted(histograms) or "none",
                 "histograms are written every histogram_freq epochs; 0 turns them off")
        if any(steps != [0, 2] for steps in histograms.values()):
            fail(task, f"{text}: weight histograms should be written at epochs 0 and 2 of a "
                 "3-epoch fit", [0, 2], sorted(histograms.values())[0],
                 "pass histogram_freq through to the callback")
        validation = _steps_by_tag(_records(os.path.join(run, "validation")), "scalars")
        if validation.get("epoch_loss") != [0, 1, 2]:
            fail(task, "no validation loss per epoch in log_dir/validation", [0, 1, 2],
                 validation.get("epoch_loss", "none"))
    passed(task, "log_dir, histogram_freq and update_freq used; batch and epoch losses and "
           "weight histograms found in the event files")


# -- Task 3 ---------------------------------------------------------------------------------

#: (folder, tag, values, steps or None): three calls, the last two into the same folder
_SCALAR_CASES = [
    ("custom", "gap", [0.5, 0.25, 0.125, 0.0625, 1.5], None),
    ("series", "loss/val", [0.91, 0.72, 0.6, 0.55, 0.51, 0.49, 0.5, 0.47, 0.46, 0.46, 0.45,
                            0.4414], [3, 10, 11, 50, 51, 52, 70, 71, 90, 100, 101, 250]),
    ("series", "lr", [0.1, 0.05, 0.0125], [1, 2, 3]),
]


def _expect_scalars(task, folder, cases):
    __tracebackhide__ = True
    if not _event_files(folder):
        fail(task, "no event file was written", f"an events.out.tfevents.* file in {folder}",
             "none", _WRITER_HINT)
    records = _records(folder)
    found = sorted({tag for tag, _, kind, _ in records if kind == "scalars"})
    wanted = sorted(tag for _, tag, _, _ in cases)
    if found != wanted:
        fail(task, f"the scalar tags in {os.path.basename(folder)}/ are not the ones you were "
             "given", wanted, found, "nothing reaches the file when tf.summary.scalar runs "
             "outside `with writer.as_default():`; use the tag you were given, once per value")
    for _, tag, values, steps in cases:
        expected_steps = list(range(len(values))) if steps is None else steps
        got = sorted((step, float(v)) for t, step, kind, v in records
                     if t == tag and kind == "scalars")
        got_steps = [step for step, _ in got]
        call_text = f"log_scalars(..., {tag!r}, {len(values)} values" + \
            (")" if steps is None else f", steps={steps})")
        if len(set(got_steps)) == 1 and len(got) > 1:
            fail(task, f"{call_text}: every value was written at the same step",
                 expected_steps, got_steps, "TensorBoard's x axis is the step: write "
                 "values[i] at step i, or at steps[i] when steps are given")
        if got_steps != sorted(expected_steps):
            hint = ("write values[i] at step steps[i]: the steps you are given, not 0, 1, 2..."
                    if steps is not None else "with steps=None, write values[i] at step i")
            fail(task, f"{call_text}: wrong steps", sorted(expected_steps), got_steps, hint)
        expected = [v for _, v in sorted(zip(expected_steps, values, strict=True))]
        expect_close([v for _, v in got], expected, task, f"{call_text}: the values read back",
                     "write each value once, as a float scalar", atol=1e-6)


def check_log_scalars(log_scalars) -> None:
    __tracebackhide__ = True
    task = "log_scalars"
    with tempfile.TemporaryDirectory() as tmp:
        for folder, tag, values, steps in _SCALAR_CASES:
            args = (os.path.join(tmp, folder), tag, list(values))
            if steps is None:
                call(log_scalars, *args, task=task, name="log_scalars")
            else:
                call(log_scalars, *args, steps=list(steps), task=task, name="log_scalars")
        for folder in ("custom", "series"):
            _expect_scalars(task, os.path.join(tmp, folder),
                            [case for case in _SCALAR_CASES if case[0] == folder])
    passed(task, "values read back at their steps: 0..n-1 by default, and the given steps")


# -- Task 4 ---------------------------------------------------------------------------------

def _pattern_images(k, h, w, seed):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(k, h, w)).astype("uint8")
    images[:, 0, 0] = 0  # every image has a black and a white pixel
    images[:, -1, -1] = 255
    return images


#: (tag, step or None for the default, images): all logged into one folder, in this order
_IMAGE_CASES = [
    ("samples", 7, _pattern_images(5, 6, 4, seed=0)),
    ("samples", 11, _pattern_images(4, 6, 4, seed=1)),
    ("single", None, _pattern_images(1, 3, 9, seed=2)),
]


def _expect_images(task, tag, step, images, events):
    __tracebackhide__ = True
    k, h, w = images.shape
    found = [value for got_step, value in events if got_step == step]
    if len(found) != 1:
        fail(task, f"log_images(..., {tag!r}, step={step}) should write one image summary at "
             f"step {step}", [step], sorted(s for s, _ in events), "pass step=step to "
             "tf.summary.image; write each call's images once")
    import tensorflow as tf

    encoded = found[0]
    pictures = [tf.io.decode_png(png).numpy() for png in encoded[2:]]
    if len(pictures) != k:
        fail(task, f"{k} images went in, but {len(pictures)} were logged", k, len(pictures),
             "tf.summary.image keeps at most max_outputs images, and max_outputs defaults "
             "to 3: pass max_outputs=len(images)")
    pictures = np.stack(pictures)
    if pictures.shape[1:] != (h, w, 1):
        fail(task, "the logged images have the wrong shape (height, width, channels)",
             (h, w, 1), pictures.shape[1:], "the batch must be (k, height, width, 1): add one "
             "channel axis at the end (images[..., np.newaxis])")
    got = pictures[..., 0].astype(float)
    if np.mean(got == 255) > 0.9:
        fail(task, "the logged images are almost all white", "pixel values spread over 0..255",
             f"{np.mean(got == 255):.0%} of pixels at 255",
             "float images must lie in [0, 1]: divide the uint8 values by 255")
    expect_close(got, images.astype(float), task, "the pixels read back from the PNGs",
                 "convert to float32 and divide by 255; do not change the order of pixels",
                 atol=1.0, rtol=0)


def check_log_images(log_images) -> None:
    __tracebackhide__ = True
    task = "log_images"
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "images")
        for tag, step, images in _IMAGE_CASES:
            if step is None:
                call(log_images, folder, tag, images.copy(), task=task, name="log_images")
            else:
                call(log_images, folder, tag, images.copy(), step=step, task=task,
                     name="log_images")
        if not _event_files(folder):
            fail(task, "no event file was written", f"an events.out.tfevents.* file in {folder}",
                 "none", _WRITER_HINT)
        records = _records(folder)
        found = sorted({tag for tag, _, kind, _ in records if kind == "images"})
        if found != ["samples", "single"]:
            fail(task, "the image tags in the event files are not the ones you were given",
                 ["samples", "single"], found, "use tf.summary.image(tag, batch, step=step, "
                 "max_outputs=...) inside `with writer.as_default():`")
        for tag, step, images in _IMAGE_CASES:
            events = [(s, v) for t, s, kind, v in records if t == tag and kind == "images"]
            _expect_images(task, tag, 0 if step is None else step, images, events)
    passed(task, "5, 4 and 1 images of three shapes read back at steps 7, 11 and 0")


# -- Task 5 ---------------------------------------------------------------------------------

#: tag -> (steps, values) of the event file check_read_scalars reads
_READ_CASE = {
    "wave": ([3, 10, 11, 50, 51, 60, 75, 90, 100, 120, 121, 150, 160, 199, 200],
             [1.0017, 0.8867, 0.7316, 0.5233, 0.4344, 0.3415, 0.3297, 0.2438, 0.2392, 0.0729,
              0.2137, 0.106, 0.1247, 0.0674, 0.0419]),
    "wave_smooth": ([3, 10, 11, 50, 51, 60, 75, 90, 100, 120, 121, 150, 160, 199, 200],
                    [0.8009, 0.7434, 0.6658, 0.5616, 0.5172, 0.4708, 0.4648, 0.4219, 0.4196,
                     0.3364, 0.4068, 0.353, 0.3624, 0.3337, 0.321]),
    "other": (list(range(0, 24, 2)),
              [1.788, 1.6704, 1.5124, 1.8167, 1.5491, 1.9809, 1.2045, 1.5537, 1.4836, 1.3533,
               1.5916, 1.2353]),
}

#: best_run's cases: runs (subdir/tag -> (steps, values)), then (order, tag, mode, winner)
_RUN_CASES = [
    ({"r1": {"train/epoch_loss": ([0, 1, 2], [0.9, 0.4, 0.1]),
             "validation/epoch_loss": ([0, 1, 2], [0.8, 0.5, 0.62]),
             "validation/evaluation_loss_vs_iterations": ([4, 8, 12], [0.2, 0.1, 0.05])},
      "r2": {"train/epoch_loss": ([0, 1, 2], [1.0, 0.7, 0.5]),
             "validation/epoch_loss": ([0, 1, 2], [0.55, 0.58, 0.64]),
             "validation/evaluation_loss_vs_iterations": ([4, 8, 12], [0.6, 0.5, 0.4])},
      "r3": {"train/epoch_loss": ([0, 1, 2, 3], [1.0, 0.8, 0.7, 0.6]),
             "validation/epoch_loss": ([0, 1, 2, 3], [0.9, 0.7, 0.65, 0.6]),
             "validation/evaluation_loss_vs_iterations": ([4, 8, 12, 16],
                                                          [0.9, 0.8, 0.7, 0.6])}},
     [(["r1", "r2", "r3"], None, None, "r3"), (["r3", "r1", "r2"], None, None, "r3"),
      (["r1", "r2", "r3"], None, "max", "r2")]),
    ({"a": {"train/epoch_accuracy": ([0, 1, 2], [0.5, 0.6, 0.7]),
            "validation/epoch_accuracy": ([0, 1, 2], [0.5, 0.8, 0.7]),
            "validation/epoch_loss": ([0, 1, 2], [0.9, 0.6, 0.5])},
      "b": {"train/epoch_accuracy": ([0, 1, 2], [0.5, 0.7, 0.8]),
            "validation/epoch_accuracy": ([0, 1, 2], [0.6, 0.7, 0.75]),
            "validation/epoch_loss": ([0, 1, 2], [0.9, 0.7, 0.6])},
      "c": {"train/epoch_accuracy": ([0, 1, 2], [0.6, 0.8, 0.9]),
            "validation/epoch_accuracy": ([0, 1, 2], [0.4, 0.6, 0.72]),
            "validation/epoch_loss": ([0, 1, 2], [1.0, 0.8, 0.7])}},
     [(["a", "b", "c"], "epoch_accuracy", "max", "b"),
      (["c", "a", "b"], "epoch_accuracy", "min", "a")]),
    ({"t1": {"validation/epoch_loss": ([0, 1], [0.9, 0.5])},
      "t2": {"validation/epoch_loss": ([0, 1], [0.6, 0.25])},
      "t3": {"validation/epoch_loss": ([0, 1], [0.3, 0.25])}},
     [(["t1", "t2", "t3"], None, None, "t2"), (["t3", "t2", "t1"], None, None, "t3"),
      (["t1", "t3", "t2"], "epoch_loss", "max", "t1")]),
]


def _write_stored(folder, case: str) -> None:
    """Write a stored case into ``folder``: ``"read"`` (the tags of ``_READ_CASE``) or
    ``"runs-<i>"`` (the run folders of ``_RUN_CASES[i]``)."""
    import tensorflow as tf

    if case == "read":
        files = {"": [(tag, *series) for tag, series in _READ_CASE.items()]}
    else:
        files = {}
        for run, series in _RUN_CASES[int(case.removeprefix("runs-"))][0].items():
            for key, (steps, values) in series.items():
                subdir, tag = key.split("/", 1)
                files.setdefault(os.path.join(run, subdir), []).append((tag, steps, values))
    for subdir, entries in files.items():
        writer = tf.summary.create_file_writer(os.path.join(folder, subdir))
        with writer.as_default():
            for tag, steps, values in entries:
                for step, value in zip(steps, values, strict=True):
                    tf.summary.scalar(tag, value, step=step)
        writer.close()


def _reads(task, read_scalars, folder, tag):
    __tracebackhide__ = True
    result = call(read_scalars, folder, tag, task=task, name="read_scalars")
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(task, "read_scalars should return (steps, values)", "a 2-tuple of arrays",
             type(result).__name__)
    for part, what in zip(result, ("steps", "values"), strict=True):
        if not isinstance(part, np.ndarray):
            fail(task, f"the {what} should be a NumPy array", "numpy.ndarray",
                 type(part).__name__, "wrap the list: np.array([...])")
    steps, got = (np.asarray(r, dtype=float).reshape(-1) for r in result)
    expected_steps, values = _READ_CASE[tag]
    if len(got) == 10 and len(values) > 10:
        fail(task, f"{len(values)} events were written but only 10 were read",
             len(values), len(got), "EventAccumulator keeps a sample of 10 tensor events "
             "per tag by default: pass size_guidance={'tensors': 0} to keep them all")
    if len(got) == 0:
        fail(task, "no values were read", len(values), 0, "Keras 3 and tf.summary store "
             "scalars as tensors: read acc.Tensors(tag), not acc.Scalars(tag)")
    expect_close(steps, expected_steps, task, f"the steps of {tag!r}",
                 "return event.step of each event (the steps need not be 0, 1, 2, ...), "
                 "in increasing order")
    expect_close(got, values, task, f"the values of {tag!r}", "decode each event with "
                 "float(tf.make_ndarray(event.tensor_proto)); read only the tag you were given",
                 atol=1e-5)


def check_read_scalars(read_scalars) -> None:
    __tracebackhide__ = True
    task = "read_scalars"
    with tempfile.TemporaryDirectory() as tmp:
        _write_stored(tmp, "read")
        _reads(task, read_scalars, tmp, "wave")
        _reads(task, read_scalars, tmp, "other")
    passed(task, "15 and 12 (step, value) pairs read at their own steps, other tags left out")


# -- Task 6 ---------------------------------------------------------------------------------

def _earlier_read_scalars_fails(best_run) -> str | None:
    """The message of read_scalars' check when best_run's read_scalars fails it."""
    read_scalars = getattr(best_run, "__globals__", {}).get("read_scalars")
    if read_scalars is None:
        return None
    try:
        with tempfile.TemporaryDirectory() as tmp:
            _write_stored(tmp, "read")
            _reads("read_scalars", read_scalars, tmp, "wave")
    except CheckFailed as failed:
        return str(failed)
    return None


def check_best_run(best_run) -> None:
    __tracebackhide__ = True
    task = "best_run"
    with tempfile.TemporaryDirectory() as tmp:
        for i, (runs, calls) in enumerate(_RUN_CASES):
            _write_stored(tmp, f"runs-{i}")
            for order, tag, mode, winner in calls:
                paths = [os.path.join(tmp, name) for name in order]
                kwargs = {k: v for k, v in (("tag", tag), ("mode", mode)) if v is not None}
                shown = ", ".join([str(order)] + [f"{k}={v!r}" for k, v in kwargs.items()])
                got = call(best_run, list(paths), task=task, name="best_run", **kwargs)
                if isinstance(got, str) and got == os.path.join(tmp, winner):
                    continue
                earlier = _earlier_read_scalars_fails(best_run)
                if earlier:
                    fail(task, "best_run uses your read_scalars, which does not pass its check "
                         "yet: fix Task 5 first", hint=earlier.splitlines()[0])
                finals = {name: runs[name].get(f"validation/{tag or 'epoch_loss'}",
                                               ([], ["none"]))[1][-1] for name in order}
                fail(task, f"best_run({shown}) chose the wrong run; final validation "
                     f"{tag or 'epoch_loss'} per run: {finals}",
                     f"{winner} (the path you were given)",
                     os.path.basename(got) if isinstance(got, str) else got,
                     "read `tag` from each run's validation/ folder and compare the LAST "
                     "values; mode='min' takes the lowest, 'max' the highest; on a tie the "
                     "first of the tied runs in the list wins")
    passed(task, "the right run for min and max, other tags, ties and the last candidate")
