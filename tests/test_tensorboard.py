"""Lab 11: the TensorBoard references (read back with TensorBoard's reader) and the checks."""

import os
from datetime import datetime

import numpy as np
import pytest
from answer_key import tensorboard as ref

from dlcourse.checks import tensorboard as check


@pytest.fixture(scope="module")
def tf():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow
    return tensorflow


@pytest.fixture(scope="module")
def keras(tf):
    import keras
    return keras


# -- references -----------------------------------------------------------------------------

def test_run_dirs_are_unique_sortable_and_under_the_root(tmp_path):
    root = tmp_path / "logs"
    runs = [ref.make_run_dir(str(root), "exp") for _ in range(20)]
    names = [os.path.basename(r) for r in runs]
    assert len(set(names)) == 20 and sorted(names) == names
    assert sorted(os.listdir(root)) == names
    stamp = names[0].removeprefix("exp-")
    assert datetime.strptime(stamp, "%Y%m%d-%H%M%S-%f")


def test_scalars_round_trip_with_exact_steps(tmp_path, tf):
    values = np.random.default_rng(0).normal(size=25)  # more than the reader's default of 10
    ref.log_scalars(str(tmp_path), "a/b", values)
    steps, got = ref.read_scalars(tmp_path, "a/b")
    assert steps.tolist() == list(range(25))
    assert np.allclose(got, values.astype("float32"))
    assert ref.tags(tmp_path) == {"scalars": ["a/b"]}
    with pytest.raises(KeyError, match="a/b"):
        ref.read_scalars(tmp_path, "missing")


def test_read_scalars_agrees_with_tensorflows_own_record_reader(tmp_path, tf):
    values = [3.0, 1.5, 0.25]
    ref.log_scalars(str(tmp_path), "x", values)
    from tensorflow.core.util import event_pb2

    raw = []
    for path in tmp_path.glob("events.out.tfevents.*"):
        for record in tf.data.TFRecordDataset(str(path)):
            event = event_pb2.Event.FromString(record.numpy())
            raw += [(event.step, float(tf.make_ndarray(v.tensor))) for v in event.summary.value]
    assert sorted(raw) == list(zip(*ref.read_scalars(tmp_path, "x"), strict=True))


def test_images_round_trip_through_png(tmp_path, tf):
    images = np.random.default_rng(1).integers(0, 256, size=(5, 7, 9)).astype("uint8")
    ref.log_images(str(tmp_path), "pics", images, step=4)
    (step, got), = ref.read_images(tmp_path, "pics")
    assert step == 4 and got.shape == (5, 7, 9, 1) and got.dtype == np.uint8
    assert np.abs(got[..., 0].astype(int) - images).max() <= 1
    assert ref.to_image_batch(images[0:1]).max() <= 1.0


def test_keras_callback_logs_epoch_scalars_and_histograms(tmp_path, keras):
    run = tmp_path / "run"
    history = check.tiny_fit(ref.tensorboard_callback(str(run)), epochs=2)
    found = ref.tags(run / "train")
    assert {"epoch_loss", "epoch_learning_rate"} <= set(found["scalars"])
    assert len(found["histograms"]) == 4
    assert all(len(v) == 2 for v in ref.read_histograms(run / "train").values())
    buckets = next(iter(ref.read_histograms(run / "train").values()))[0][1]
    assert buckets.ndim == 2 and buckets.shape[1] == 3
    assert np.isclose(ref.final_value(run), history.history["val_loss"][-1], rtol=1e-5)
    assert np.isclose(ref.final_value(run, subdir="train"), history.history["loss"][-1],
                      rtol=1e-5)


def test_best_run_uses_the_final_validation_loss(tmp_path, tf):
    a, b, c = (str(tmp_path / n) for n in "abc")
    check.write_fake_run(a, [0.1, 0.05], [0.5, 0.9])
    check.write_fake_run(b, [0.9, 0.8], [0.9, 0.6])
    check.write_fake_run(c, [0.9, 0.8], [0.2, 0.7])
    assert ref.best_run([a, b, c]) == b


# -- checks: the reference passes, real mistakes fail with the right hint ------------------

def test_reference_answers_pass_every_check(capsys, keras):
    check.check_make_run_dir(ref.make_run_dir)
    check.check_tensorboard_callback(ref.tensorboard_callback)
    check.check_log_scalars(ref.log_scalars)
    check.check_log_images(ref.log_images)
    check.check_read_scalars(ref.read_scalars)
    check.check_best_run(ref.best_run)
    captured = capsys.readouterr()
    assert captured.out.count("\N{CHECK MARK}") == 6
    assert captured.err == ""


def test_run_dir_without_timestamp_fails():
    def make_run_dir(root="logs", name="run"):
        path = os.path.join(root, name)
        os.makedirs(path, exist_ok=True)
        return path

    with pytest.raises(AssertionError, match="same folder"):
        check.check_make_run_dir(make_run_dir)


def test_run_dir_stamped_to_the_second_fails():
    def make_run_dir(root="logs", name="run"):
        path = os.path.join(root, f"{name}-{datetime.now():%Y-%m-%d--%H-%M-%S}")
        os.makedirs(path, exist_ok=True)
        return path

    with pytest.raises(AssertionError, match="microseconds"):
        check.check_make_run_dir(make_run_dir)


def test_run_dir_not_created_or_not_sortable_fails():
    with pytest.raises(AssertionError, match="not created"):
        check.check_make_run_dir(lambda root, name: os.path.join(root, f"{name}-{datetime.now()}"))
    counter = iter(range(12, 0, -1))

    def backwards(root="logs", name="run"):
        path = os.path.join(root, f"{name}-{next(counter)}")
        os.makedirs(path)
        return path

    with pytest.raises(AssertionError, match="sorting"):
        check.check_make_run_dir(backwards)


def test_callback_without_histograms_fails(keras):
    with pytest.raises(AssertionError, match="histogram_freq=1"):
        check.check_tensorboard_callback(lambda d: keras.callbacks.TensorBoard(log_dir=d))


def test_callback_with_a_fixed_folder_fails(keras, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AssertionError, match="log_dir=log_dir"):
        check.check_tensorboard_callback(
            lambda d: keras.callbacks.TensorBoard(log_dir="logs", histogram_freq=1))


def test_callback_of_the_wrong_kind_fails(keras):
    with pytest.raises(AssertionError, match="keras.callbacks.TensorBoard"):
        check.check_tensorboard_callback(lambda d: keras.callbacks.CSVLogger(d))


def test_scalar_mistakes_fail(tf):
    def no_step(log_dir, tag, values):
        writer = tf.summary.create_file_writer(log_dir)
        with writer.as_default():
            for value in values:
                tf.summary.scalar(tag, value)
        writer.close()

    def not_default(log_dir, tag, values):
        writer = tf.summary.create_file_writer(log_dir)
        for step, value in enumerate(values):
            tf.summary.scalar(tag, value, step=step)
        writer.close()

    def same_step(log_dir, tag, values):
        writer = tf.summary.create_file_writer(log_dir)
        with writer.as_default():
            for value in values:
                tf.summary.scalar(tag, value, step=0)
        writer.close()

    def wrong_tag(log_dir, tag, values):
        ref.log_scalars(log_dir, "loss", values)

    with pytest.raises(AssertionError, match="No step set"):
        check.check_log_scalars(no_step)
    with pytest.raises(AssertionError, match="as_default"):
        check.check_log_scalars(not_default)
    with pytest.raises(AssertionError, match="same step"):
        check.check_log_scalars(same_step)
    with pytest.raises(AssertionError, match="no scalar 'gap'"):
        check.check_log_scalars(wrong_tag)


def _image_logger(tf, prepare, max_outputs=True):
    def log_images(log_dir, tag, images, step=0):
        batch = prepare(np.asarray(images))
        writer = tf.summary.create_file_writer(log_dir)
        with writer.as_default():
            if max_outputs:
                tf.summary.image(tag, batch, step=step, max_outputs=len(batch))
            else:
                tf.summary.image(tag, batch, step=step)
        writer.close()
    return log_images


def test_image_mistakes_fail(tf):
    unscaled = _image_logger(tf, lambda x: x.astype("float32")[..., None])
    with pytest.raises(AssertionError, match="divide the uint8 values by 255"):
        check.check_log_images(unscaled)
    no_channel = _image_logger(tf, lambda x: x.astype("float32") / 255)
    with pytest.raises(AssertionError, match="raised"):
        check.check_log_images(no_channel)
    three = _image_logger(tf, lambda x: x.astype("float32")[..., None] / 255, max_outputs=False)
    with pytest.raises(AssertionError, match="max_outputs"):
        check.check_log_images(three)
    swapped = _image_logger(tf, lambda x: np.swapaxes(x, 1, 2).astype("float32")[..., None] / 255)
    with pytest.raises(AssertionError, match="height and width"):
        check.check_log_images(swapped)


def test_uint8_images_are_accepted(tf):
    check.check_log_images(_image_logger(tf, lambda x: x[..., None]))


def test_reader_mistakes_fail(tf):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    def default_guidance(event_dir, tag):
        acc = EventAccumulator(event_dir).Reload()
        events = acc.Tensors(tag)
        return ([e.step for e in events], [float(tf.make_ndarray(e.tensor_proto)) for e in events])

    def legacy_scalars(event_dir, tag):
        acc = EventAccumulator(event_dir, size_guidance={"scalars": 0}).Reload()
        events = acc.Scalars(tag) if tag in acc.Tags()["scalars"] else []
        return [e.step for e in events], [e.value for e in events]

    with pytest.raises(AssertionError, match="size_guidance"):
        check.check_read_scalars(default_guidance)
    with pytest.raises(AssertionError, match="Tensors"):
        check.check_read_scalars(legacy_scalars)
    with pytest.raises(AssertionError, match="wrong values"):
        check.check_read_scalars(lambda d, tag: ref.read_scalars(d, "other"))


def test_comparison_mistakes_fail(tf):
    def by_train(runs):
        return min(runs, key=lambda r: ref.final_value(r, subdir="train"))

    def by_eval_tag(runs):
        return min(runs, key=lambda r: ref.final_value(r, tag="evaluation_loss_vs_iterations"))

    def by_first(runs):
        return min(runs, key=lambda r: ref.read_scalars(os.path.join(r, "validation"),
                                                       "epoch_loss")[1][0])

    for wrong in (by_train, by_eval_tag, by_first):
        with pytest.raises(AssertionError, match="LAST values"):
            check.check_best_run(wrong)
