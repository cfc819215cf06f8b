"""Checks for lab 11 (TensorBoard). Every check reads the event files back with TensorBoard's
own reader; nothing here looks at the student's source code or starts a server.

Each check works in a fresh temporary folder, so the student's ``logs/`` stays tidy.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.reference import tensorboard as ref

_WRITER_HINT = ("create the writer with tf.summary.create_file_writer(log_dir), write inside "
                "`with writer.as_default():`, and call writer.close() (or flush()) at the end")


def _event_files(folder) -> list[Path]:
    return sorted(Path(folder).rglob("events.out.tfevents.*"))


def _same_path(a, b) -> bool:
    return os.path.realpath(os.fspath(a)) == os.path.realpath(os.fspath(b))


# -- Task 1 ---------------------------------------------------------------------------------

def check_make_run_dir(make_run_dir) -> None:
    __tracebackhide__ = True
    task = "make_run_dir"
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "logs")
        runs = []
        for _ in range(3):
            runs.append(call(make_run_dir, root, "demo", task=task, name="make_run_dir"))
            time.sleep(0.002)
        for run in runs:
            if not isinstance(run, (str, os.PathLike)):
                fail(task, "make_run_dir should return the path of the new folder", "a str",
                     type(run).__name__)
            if not os.path.isdir(run):
                fail(task, "the run folder was not created", f"a folder at {run}", "nothing",
                     "create it with os.makedirs(path) before returning the path")
            if not _same_path(os.path.dirname(os.path.normpath(os.fspath(run))), root):
                fail(task, "each run folder should sit directly in the log root", f"{root}/<run>",
                     os.fspath(run), "join the root and the run's name: os.path.join(root, ...)")
        names = [os.path.basename(os.path.normpath(os.fspath(r))) for r in runs]
        if len(set(names)) < len(names):
            fail(task, "three calls in a row gave the same folder, so every run would write "
                 "into one place and TensorBoard would mix their curves", "3 different folders",
                 names, "put a timestamp in the name, down to microseconds: "
                 "datetime.now().strftime('%Y%m%d-%H%M%S-%f') (a timestamp in whole seconds "
                 "repeats when two runs start within the same second)")
        if not all(n.startswith("demo") for n in names):
            fail(task, "the folder name should start with the run's name", "demo-<timestamp>",
                 names, "name the folder f'{name}-{timestamp}'")
        if sorted(names) != names:
            fail(task, "sorting the folder names should put the runs in the order they started",
                 names, sorted(names), "write the timestamp from the largest unit to the smallest, "
                 "zero-padded: %Y%m%d-%H%M%S-%f")
    passed(task, f"unique, time-sortable run folders, e.g. {names[0]}")


# -- Task 2 ---------------------------------------------------------------------------------

def tiny_fit(callback, epochs: int = 2):
    import keras

    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6)).astype("float32")
    y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0).astype("int64")
    model = keras.Sequential([keras.Input(shape=(6,)), keras.layers.Dense(4, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model.fit(x[:32], y[:32], validation_data=(x[32:], y[32:]), epochs=epochs,
                     batch_size=16, verbose=0, callbacks=[callback])


def check_tensorboard_callback(tensorboard_callback) -> None:
    __tracebackhide__ = True
    import keras

    task = "tensorboard_callback"
    epochs = 2
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run")
        callback = call(tensorboard_callback, run, task=task, name="tensorboard_callback")
        if not isinstance(callback, keras.callbacks.TensorBoard):
            fail(task, "tensorboard_callback should return a keras.callbacks.TensorBoard",
                 "keras.callbacks.TensorBoard(...)", type(callback).__name__)
        history = tiny_fit(callback, epochs)
        if not _event_files(run):
            fail(task, "a short fit with your callback wrote no event files into log_dir",
                 f"event files under {run}", "none", "pass log_dir=log_dir to the callback "
                 "(not a fixed folder), so each run writes into its own folder")
        train, validation = os.path.join(run, "train"), os.path.join(run, "validation")
        found = ref.tags(train) if os.path.isdir(train) else {}
        if "epoch_loss" not in found.get("scalars", []):
            fail(task, "no epoch_loss scalars in log_dir/train", "'epoch_loss'",
                 found.get("scalars", []), "the callback writes them by itself; check log_dir")
        steps, values = ref.read_scalars(train, "epoch_loss")
        expect_close(steps, np.arange(epochs), task, "the steps of epoch_loss (one per epoch)",
                     "leave update_freq at 'epoch'")
        expect_close(values, history.history["loss"], task,
                     "epoch_loss read from the event files", atol=1e-5, rtol=1e-4)
        histograms = ref.read_histograms(train)
        kernels = [tag for tag in histograms if "kernel" in tag]
        if not kernels:
            fail(task, "no weight histograms in the event files", "a histogram per layer "
                 "weight, e.g. '.../dense/kernel/histogram'", sorted(histograms) or "none",
                 "set histogram_freq=1: histograms are written every histogram_freq epochs, "
                 "and 0 (the default) turns them off")
        hist_steps = sorted({step for step, _ in histograms[kernels[0]]})
        if hist_steps != list(range(epochs)):
            fail(task, f"weight histograms should be written every epoch of a {epochs}-epoch fit",
                 list(range(epochs)), hist_steps, "set histogram_freq=1")
        val = ref.tags(validation).get("scalars", []) if os.path.isdir(validation) else []
        if "epoch_loss" not in val:
            fail(task, "no validation loss in log_dir/validation", "'epoch_loss'", val)
    passed(task, f"epoch_loss for {epochs} epochs and {len(histograms)} weight histograms "
           "found in the event files")


# -- Task 3 ---------------------------------------------------------------------------------

def _read_written_scalars(task, folder, tag):
    __tracebackhide__ = True
    if not _event_files(folder):
        fail(task, "no event file was written", f"an events.out.tfevents.* file in {folder}",
             "none", _WRITER_HINT)
    found = ref.tags(folder)
    if tag not in found.get("scalars", []):
        fail(task, f"the event files hold no scalar {tag!r}", [tag],
             found.get("scalars", []), "nothing reaches the file when tf.summary.scalar runs "
             "outside `with writer.as_default():` (it quietly returns False), or when the "
             "writer is never flushed or closed; use the tag you were given")
    return ref.read_scalars(folder, tag)


def check_log_scalars(log_scalars) -> None:
    __tracebackhide__ = True
    task = "log_scalars"
    values = [0.5, 0.25, 0.125, 0.0625, 1.5]
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "custom")
        call(log_scalars, folder, "gap", values, task=task, name="log_scalars")
        steps, got = _read_written_scalars(task, folder, "gap")
        if len(set(steps.tolist())) == 1 and len(steps) > 1:
            fail(task, "every value was written at the same step", list(range(len(values))),
                 steps.tolist(), "write value i at step=i; TensorBoard's x axis is the step")
        expect_close(steps, np.arange(len(values)), task, "the steps read back",
                     "write values[i] with step=i, for i = 0, 1, 2, ...")
        expect_close(got, values, task, "the values read back", "write each value once, in "
                     "order, as a float scalar", atol=1e-6)
    passed(task, f"{len(values)} values read back at steps 0..{len(values) - 1}")


# -- Task 4 ---------------------------------------------------------------------------------

def _pattern_images(k=4, h=6, w=5, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(k, h, w)).astype("uint8")
    images[:, 0, 0] = 0  # every image has a black and a white pixel
    images[:, -1, -1] = 255
    return images


def check_log_images(log_images) -> None:
    __tracebackhide__ = True
    task = "log_images"
    images = _pattern_images()
    k, h, w = images.shape
    with tempfile.TemporaryDirectory() as tmp:
        folder = os.path.join(tmp, "images")
        call(log_images, folder, "samples", images.copy(), task=task, name="log_images")
        if not _event_files(folder):
            fail(task, "no event file was written", f"an events.out.tfevents.* file in {folder}",
                 "none", _WRITER_HINT)
        found = ref.tags(folder)
        if "samples" not in found.get("images", []):
            fail(task, "the event files hold no image summary 'samples'", ["samples"],
                 found.get("images", []), "use tf.summary.image(tag, batch, step=step, ...) "
                 "inside `with writer.as_default():`")
        logged = ref.read_images(folder, "samples")
        step, pictures = logged[-1]
        if step != 0:
            fail(task, "the images should be logged at the step you were given", 0, step)
        if len(pictures) != k:
            fail(task, f"{k} images went in, but {len(pictures)} were logged", k, len(pictures),
                 "tf.summary.image keeps at most max_outputs images, and max_outputs defaults "
                 "to 3: pass max_outputs=len(images)")
        if pictures.shape[1:3] != (h, w):
            fail(task, "the logged images have the wrong height and width", (h, w),
                 pictures.shape[1:3], "the batch must be (k, height, width, channels): add the "
                 "channel axis at the end (images[..., np.newaxis])")
        got = pictures[..., 0].astype(float)
        if np.mean(got == 255) > 0.9:
            fail(task, "the logged images are almost all white", "pixel values spread over "
                 "0..255", f"{np.mean(got == 255):.0%} of pixels at 255",
                 "float images must lie in [0, 1]: divide the uint8 values by 255")
        expect_close(got, images.astype(float), task, "the pixels read back from the PNGs",
                     "convert to float32 and divide by 255; do not change the order of pixels",
                     atol=1.0, rtol=0)
    passed(task, f"{k} images of {h}x{w} read back with the right pixels")


# -- Task 5 ---------------------------------------------------------------------------------

def _series(n=15, seed=5):
    rng = np.random.default_rng(seed)
    return np.round(np.exp(-np.arange(n) / 5) + 0.05 * rng.normal(size=n), 4)


def check_read_scalars(read_scalars) -> None:
    __tracebackhide__ = True
    task = "read_scalars"
    values = _series()
    with tempfile.TemporaryDirectory() as tmp:
        ref.log_scalars(tmp, "wave", values)
        ref.log_scalars(tmp, "other", values[::-1] + 10)
        result = call(read_scalars, tmp, "wave", task=task, name="read_scalars")
        if not isinstance(result, tuple) or len(result) != 2:
            fail(task, "read_scalars should return (steps, values)", "a 2-tuple of arrays",
                 type(result).__name__)
        steps, got = (np.asarray(r, dtype=float).reshape(-1) for r in result)
        if len(got) == 10 and len(values) > 10:
            fail(task, f"{len(values)} events were written but only 10 were read",
                 len(values), len(got), "EventAccumulator keeps a sample of 10 tensor events "
                 "per tag by default: pass size_guidance={'tensors': 0} to keep them all")
        if len(got) == 0:
            fail(task, "no values were read", len(values), 0, "Keras 3 and tf.summary store "
                 "scalars as tensors: read acc.Tensors(tag), not acc.Scalars(tag)")
        expect_close(steps, np.arange(len(values)), task, "the steps",
                     "use event.step of each event, in order")
        expect_close(got, values, task, "the values of 'wave'", "decode each event with "
                     "float(tf.make_ndarray(event.tensor_proto)); read the tag you were given",
                     atol=1e-5)
    passed(task, f"{len(values)} (step, value) pairs read from an event file")


# -- Task 6 ---------------------------------------------------------------------------------

def write_fake_run(run_dir, train_loss, val_loss, eval_loss=None) -> None:
    """A run folder laid out the way Keras' TensorBoard callback lays it out."""
    ref.log_scalars(os.path.join(run_dir, "train"), "epoch_loss", train_loss)
    ref.log_scalars(os.path.join(run_dir, "validation"), "epoch_loss", val_loss)
    if eval_loss is not None:
        ref.log_scalars(os.path.join(run_dir, "validation"), "evaluation_loss_vs_iterations",
                        eval_loss)


def check_best_run(best_run) -> None:
    __tracebackhide__ = True
    task = "best_run"
    with tempfile.TemporaryDirectory() as tmp:
        a, b = os.path.join(tmp, "run-a"), os.path.join(tmp, "run-b")
        # run a: lowest training loss, lowest first validation loss, but worse at the end
        write_fake_run(a, [1.0, 0.5, 0.2], [1.0, 0.9, 0.95], eval_loss=[0.3, 0.2, 0.1])
        write_fake_run(b, [1.0, 0.6, 0.4], [1.1, 0.8, 0.7], eval_loss=[0.9, 0.8, 0.7])
        for order in ([a, b], [b, a]):
            got = call(best_run, list(order), task=task, name="best_run")
            if not isinstance(got, (str, os.PathLike)) or not _same_path(got, b):
                shown = os.path.basename(os.fspath(got)) if isinstance(got, (str, os.PathLike)) \
                    else got
                fail(task, "wrong run: run-a ends with validation loss 0.95, run-b with 0.70",
                     "run-b (the path you were given)", shown,
                     "read 'epoch_loss' from each run's validation/ folder and compare the "
                     "LAST values; train/ holds the training loss, and "
                     "evaluation_loss_vs_iterations is a different curve")
    passed(task, "the run with the lower final validation loss was chosen")
