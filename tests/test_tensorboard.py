"""Lab 11: the answer key, the event-file readers of dlcourse.eventfiles, and the checks
(they accept the key's answers and reject real mistakes with the right hint)."""

import ast
import os
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from answer_key import tensorboard as key

from dlcourse import eventfiles
from dlcourse.checks import tensorboard as check

TASKS = ("make_run_dir", "tensorboard_callback", "log_scalars", "log_images", "read_scalars",
         "best_run")


# -- the student distribution holds no answer ------------------------------------------------

@pytest.mark.parametrize("module", [check, eventfiles])
def test_course_modules_neither_import_the_key_nor_define_a_task(module):
    tree = ast.parse(Path(module.__file__).read_text())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not any("answer_key" in name for name in imported)
    defined = {n.name.lstrip("_") for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert not defined & set(TASKS)


# -- the answer key ----------------------------------------------------------------------------

def test_run_dirs_are_named_from_the_clock(tmp_path):
    root = tmp_path / "a" / "logs"
    when = datetime(2026, 1, 5, 3, 4, 5, 7)
    with key.frozen_clock(key.make_run_dir, when):
        path = key.make_run_dir(str(root), "exp")
    assert path == os.path.join(str(root), "exp-20260105-030405-000007")
    assert os.listdir(root) == ["exp-20260105-030405-000007"] and os.listdir(path) == []
    runs = [key.make_run_dir(str(root), "b") for _ in range(3)]
    assert len(set(runs)) == 3


def test_scalars_round_trip_at_given_steps(tmp_path, tf):
    values = np.random.default_rng(0).normal(size=25)  # more than the reader's default of 10
    steps = [3, 10, 11, 50] + list(range(60, 81))
    key.log_scalars(str(tmp_path), "a/b", values, steps)
    key.log_scalars(str(tmp_path), "a", values[:3])
    got_steps, got = key.read_scalars(tmp_path, "a/b")
    assert got_steps.tolist() == steps and np.allclose(got, values.astype("float32"))
    assert key.read_scalars(tmp_path, "a")[0].tolist() == [0, 1, 2]
    assert key.scalar_pairs(tmp_path, "a/b") == list(zip(got_steps.tolist(), got.tolist(),
                                                         strict=True))
    assert eventfiles.tags(tmp_path) == {"scalars": ["a", "a/b"]}


def test_images_round_trip_through_png(tmp_path, tf):
    images = np.random.default_rng(1).integers(0, 256, size=(5, 7, 9)).astype("uint8")
    key.log_images(str(tmp_path), "pics", images, step=4)
    key.log_images(str(tmp_path), "pics", images[:1], step=9)
    (step, got), (later, one) = eventfiles.read_images(tmp_path, "pics")
    assert (step, later) == (4, 9) and got.shape == (5, 7, 9, 1) and got.dtype == np.uint8
    assert np.abs(got[..., 0].astype(int) - images).max() <= 1 and one.shape == (1, 7, 9, 1)
    assert [s for s, _ in key.image_events(tmp_path, "pics")] == [4, 9]
    with pytest.raises(KeyError, match="nothing"):
        eventfiles.read_images(tmp_path, "nothing")


def test_keras_callback_logs_what_its_arguments_say(tmp_path, keras):
    run = tmp_path / "run"
    history = key.fit_tiny(key.tensorboard_callback(str(run), histogram_freq=2), epochs=3)
    found = eventfiles.tags(run / "train")
    assert {"epoch_loss", "epoch_learning_rate"} <= set(found["scalars"])
    assert "batch_loss" not in found["scalars"]
    histograms = eventfiles.read_histograms(run / "train")
    assert len(histograms) == 4
    assert all([s for s, _ in v] == [0, 2] for v in histograms.values())
    buckets = next(iter(histograms.values()))[0][1]
    assert buckets.ndim == 2 and buckets.shape[1] == 3
    assert np.isclose(key.final_value(run), history.history["val_loss"][-1], rtol=1e-5)
    config = key.configuration(key.tensorboard_callback(str(run), 0, "batch"))
    assert config["update_freq"] == 1 and config["histogram_freq"] == 0
    assert config["replaced"] == []


def test_best_run_takes_the_final_value_by_mode_first_on_a_tie(tmp_path, tf):
    a, b, c = (str(tmp_path / n) for n in "abc")
    key.write_run(a, {"train/epoch_loss": ([0, 1], [0.1, 0.05]),
                      "validation/epoch_loss": ([0, 1], [0.5, 0.9])})
    key.write_run(b, {"validation/epoch_loss": ([0, 1], [0.9, 0.25])})
    key.write_run(c, {"validation/epoch_loss": ([0, 1], [0.2, 0.25])})
    assert key.best_run([a, b, c]) == b and key.best_run([c, b, a]) == c
    assert key.best_run([c, b, a], mode="max") == a


def test_course_code_used_finds_delegation():
    from dlcourse.checks.core import fail

    def honest(folder, tag):
        return sorted(os.listdir(folder)), np.array([tag])

    def borrowing(folder, tag):
        return check._records(folder)

    def imported(folder, tag, reader=fail):
        return reader(folder)

    def hidden_import(folder, tag):
        import dlcourse.eventfiles as ev
        return ev

    assert key.course_code_used(honest) == []
    for fn in (borrowing, imported, hidden_import, check.check_best_run):
        assert key.course_code_used(fn), fn.__name__


# -- the checks accept the key -------------------------------------------------------------

def test_key_answers_pass_every_check(capsys, keras):
    for task in TASKS:
        getattr(check, f"check_{task}")(getattr(key, task))
    captured = capsys.readouterr()
    assert captured.out.count("\N{CHECK MARK}") == len(TASKS)
    assert captured.err == ""


# -- ... and reject mistakes ----------------------------------------------------------------

def _stamped(fmt, subfolders=(), exist_ok=False):
    def make_run_dir(root="logs", name="run"):
        path = os.path.join(root, f"{name}-{datetime.now().strftime(fmt)}")
        os.makedirs(path, exist_ok=exist_ok)
        for sub in subfolders:
            os.makedirs(os.path.join(path, sub))
        return path
    return make_run_dir


@pytest.mark.parametrize("wrong, message", [
    (_stamped("%Y-%m-%d--%H-%M-%S", exist_ok=True), "not <name>-<YYYYmmdd"),
    (_stamped("%Y%m%d%H%M%S%f"), "not <name>-<YYYYmmdd"),
    (_stamped("%Y%m%d-%H%M%S-%f", subfolders=("train",)), "should be empty"),
    (lambda root="logs", name="run": os.path.join(
        root, f"{name}-{datetime.now():%Y%m%d-%H%M%S-%f}"), "not created"),
])
def test_run_dir_mistakes_fail(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_make_run_dir(wrong)


def test_run_dir_without_datetime_or_unpadded_fails():
    namespace = {"os": os}
    exec("import time\n"
         "def make_run_dir(root='logs', name='run'):\n"
         "    stamp = time.strftime('%Y%m%d-%H%M%S') + f'-{time.time_ns() // 1000 % 10**6:06d}'\n"
         "    path = os.path.join(root, f'{name}-{stamp}')\n"
         "    os.makedirs(path)\n"
         "    return path\n", namespace)
    with pytest.raises(AssertionError, match="does not use datetime"):
        check.check_make_run_dir(namespace["make_run_dir"])

    def unpadded(root="logs", name="run"):
        t = datetime.now()
        stamp = f"{t:%Y%m%d-%H%M%S}-{t.microsecond}"
        path = os.path.join(root, f"{name}-{stamp}")
        os.makedirs(path)
        return path

    with pytest.raises(AssertionError, match="root/<name>-<timestamp>|not <name>"):
        check.check_make_run_dir(unpadded)


def test_run_dir_creating_extra_folders_fails():
    def with_sibling(root="logs", name="run"):
        os.makedirs(os.path.join(root, "latest"), exist_ok=True)
        path = os.path.join(root, f"{name}-{datetime.now():%Y%m%d-%H%M%S-%f}")
        os.makedirs(path)
        return path

    with pytest.raises(AssertionError, match="created something besides|should not have"):
        check.check_make_run_dir(with_sibling)


@pytest.mark.parametrize("build, message", [
    (lambda k: lambda d, histogram_freq=1, update_freq="epoch": k.callbacks.TensorBoard(
        log_dir=d), "histogram_freq"),
    (lambda k: lambda d, histogram_freq=1, update_freq="epoch": k.callbacks.TensorBoard(
        log_dir="logs", histogram_freq=histogram_freq, update_freq=update_freq), "wrong folder"),
    (lambda k: lambda d, histogram_freq=1, update_freq="epoch": k.callbacks.TensorBoard(
        log_dir=d, histogram_freq=histogram_freq), "update_freq"),
    (lambda k: lambda d, histogram_freq=1, update_freq="epoch": k.callbacks.TensorBoard(
        log_dir=d, histogram_freq=histogram_freq, update_freq=update_freq, profile_batch=2),
     "profile_batch"),
    (lambda k: lambda d, histogram_freq=1, update_freq="epoch": k.callbacks.CSVLogger(d),
     "keras.callbacks.TensorBoard"),
])
def test_callback_mistakes_fail(keras, build, message):
    with pytest.raises(AssertionError, match=message):
        check.check_tensorboard_callback(build(keras))


def _scalar_logger(tf, *, step_of=lambda i, steps: i if steps is None else steps[i],
                   default=True, tag_of=lambda tag: tag):
    def log_scalars(log_dir, tag, values, steps=None):
        writer = tf.summary.create_file_writer(log_dir)
        context = writer.as_default() if default else _nothing()
        with context:
            for i, value in enumerate(values):
                tf.summary.scalar(tag_of(tag), float(value), step=step_of(i, steps))
        writer.close()
    return log_scalars


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False


def test_scalar_mistakes_fail(tf):
    cases = [
        (_scalar_logger(tf, default=False), "not the ones you were given"),
        (_scalar_logger(tf, step_of=lambda i, steps: 0), "same step"),
        (_scalar_logger(tf, step_of=lambda i, steps: i), "steps you are given"),
        (_scalar_logger(tf, step_of=lambda i, steps: i + 1 if steps is None else steps[i]),
         "with steps=None"),
        (_scalar_logger(tf, tag_of=lambda tag: "loss"), "not the ones you were given"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check.check_log_scalars(wrong)


def _image_logger(tf, prepare, max_outputs=True, step_of=lambda step: step):
    def log_images(log_dir, tag, images, step=0):
        batch = prepare(np.asarray(images))
        writer = tf.summary.create_file_writer(log_dir)
        with writer.as_default():
            if max_outputs:
                tf.summary.image(tag, batch, step=step_of(step), max_outputs=len(batch))
            else:
                tf.summary.image(tag, batch, step=step_of(step))
        writer.close()
    return log_images


def test_image_mistakes_fail(tf):
    scaled = lambda x: x.astype("float32")[..., None] / 255  # noqa: E731
    cases = [
        (_image_logger(tf, lambda x: x.astype("float32")[..., None]), "divide the uint8"),
        (_image_logger(tf, lambda x: x.astype("float32") / 255), "raised"),
        (_image_logger(tf, scaled, max_outputs=False), "max_outputs"),
        (_image_logger(tf, lambda x: np.swapaxes(x, 1, 2).astype("float32")[..., None] / 255),
         "wrong shape"),
        (_image_logger(tf, lambda x: np.repeat(x[..., None], 3, axis=-1) / 255), "wrong shape"),
        (_image_logger(tf, scaled, step_of=lambda step: 0), "at step 7"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check.check_log_images(wrong)


def test_uint8_images_are_accepted(tf):
    check.check_log_images(_image_logger(tf, lambda x: x[..., None]))


def test_reader_mistakes_fail(tf):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def reader(guidance=None, steps_of=None, legacy=False, as_list=False):
        def read_scalars(event_dir, tag):
            acc = EventAccumulator(event_dir, size_guidance=guidance or {}).Reload()
            if legacy:
                events = acc.Scalars(tag) if tag in acc.Tags()["scalars"] else []
                pairs = [(e.step, e.value) for e in events]
            else:
                pairs = [(e.step, float(tf.make_ndarray(e.tensor_proto)))
                         for e in acc.Tensors(tag)]
            steps = [s for s, _ in pairs] if steps_of is None else steps_of(len(pairs))
            values = [v for _, v in pairs]
            return (steps, values) if as_list else (np.array(steps), np.array(values))
        return read_scalars

    everything = {"tensors": 0}
    cases = [
        (reader(), "size_guidance"),
        (reader(everything, legacy=True), "Tensors"),
        (reader(everything, steps_of=np.arange), "need not be 0, 1, 2"),
        (reader(everything, as_list=True), "NumPy array"),
        (lambda d, tag: reader(everything)(d, "wave_smooth"), "only the tag you were given"),
    ]
    for wrong, message in cases:
        with pytest.raises(AssertionError, match=message):
            check.check_read_scalars(wrong)


def _best_run(pick):
    def best_run(run_dirs, tag="epoch_loss", mode="min"):
        return pick(run_dirs, tag, mode)
    return best_run


def _final(run, tag="epoch_loss", subdir="validation"):
    return key.final_value(run, tag, subdir)


def test_comparison_mistakes_fail(tf):
    def by_train(runs, tag, mode):
        return min(runs, key=lambda r: _final(r, subdir="train"))

    def by_eval_tag(runs, tag, mode):
        return min(runs, key=lambda r: _final(r, tag="evaluation_loss_vs_iterations"))

    def by_first(runs, tag, mode):
        return min(runs, key=lambda r: key.read_scalars(os.path.join(r, "validation"),
                                                        tag)[1][0])

    def ignores_mode(runs, tag, mode):
        return min(runs, key=lambda r: _final(r, tag))

    def ignores_tag(runs, tag, mode):
        return (min if mode == "min" else max)(runs, key=_final)

    def last_of_tie(runs, tag, mode):
        finals = [_final(r, tag) for r in runs]
        best = (min if mode == "min" else max)(finals)
        return [r for r, f in zip(runs, finals, strict=True) if f == best][-1]

    def skips_last(runs, tag, mode):
        return min(runs[:-1], key=lambda r: _final(r, tag))

    for wrong in (by_train, by_eval_tag, by_first, ignores_mode, ignores_tag, last_of_tie,
                  skips_last):
        with pytest.raises(AssertionError, match="LAST values"):
            check.check_best_run(_best_run(wrong))


def test_best_run_names_a_broken_read_scalars_first(tf):
    namespace = {"np": np, "os": os}
    exec("def read_scalars(event_dir, tag):\n"
         "    return np.arange(3), np.zeros(3)\n"
         "def best_run(run_dirs, tag='epoch_loss', mode='min'):\n"
         "    finals = [read_scalars(os.path.join(r, 'validation'), tag)[1][-1]\n"
         "              for r in run_dirs]\n"
         "    return run_dirs[int(np.argmin(finals))]\n", namespace)
    with pytest.raises(AssertionError, match="fix Task 5 first"):
        check.check_best_run(namespace["best_run"])
