import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from dlcourse import datasets, plots  # noqa: E402


def test_learning_curves_plot_training_and_validation():
    fig = plots.learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2.4], "mae": [2, 1, 0.5],
                                 "val_mae": [2, 1.5, 1.4]})
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    ax = fig.axes[0]
    assert ax.get_title() == "loss" and ax.get_xlabel() == "epoch"
    assert [line.get_label() for line in ax.get_lines()] == ["training", "validation"]
    with pytest.raises(ValueError, match="has no"):
        plots.learning_curves({"loss": [1]}, metrics=["accuracy"])


def test_decision_boundary_shades_both_classes():
    X, y = datasets.blobs(n=60, seed=0)
    fig = plots.decision_boundary(lambda p: (p.sum(axis=1) > 0).astype(int), X, y, title="t")
    ax = fig.axes[0]
    assert ax.get_title() == "t" and ax.get_xlabel() == "$x_1$" and len(ax.collections) >= 2
    with pytest.raises(ValueError, match=r"\(n, 2\)"):
        plots.decision_boundary(lambda p: p, np.zeros((5, 3)), np.zeros(5))


def test_image_grid_marks_wrong_predictions_red():
    images = np.zeros((4, 8, 8), dtype=np.uint8)
    fig = plots.image_grid(images, labels=[0, 1, 1, 0], predictions=[0, 1, 0, 0],
                           class_names=["cat", "dog"], cols=4)
    titles = [(ax.get_title(), ax.title.get_color()) for ax in fig.axes]
    assert titles[2] == ("cat\n(true: dog)", "red") and titles[0] == ("cat", "green")
    with pytest.raises(ValueError):
        plots.image_grid(np.zeros(5))


def test_predicted_vs_actual_has_residual_panel():
    fig = plots.predicted_vs_actual([1, 2, 3], [[1.1], [1.9], [3.2]], units="kg")
    assert [ax.get_title() for ax in fig.axes] == ["Predicted vs actual", "Residuals"]
    assert "[kg]" in fig.axes[1].get_ylabel()
    with pytest.raises(ValueError, match="3 values"):
        plots.predicted_vs_actual([1, 2, 3], [1, 2])


def test_money_axes_have_no_offset():
    prices = np.array([250_000.0, 1_200_000.0, 640_000.0])
    fig = plots.predicted_vs_actual(prices, prices * 1.1, units="$")
    fig.canvas.draw()
    left = fig.axes[0]
    assert left.xaxis.get_offset_text().get_text() == ""
    labels = [t.get_text() for t in left.get_xticklabels() if t.get_text()]
    assert labels and all(label.startswith("$") for label in labels)
    assert plots_fmt(left, 1.2e6) == "$1.2M" and plots_fmt(left, 350_000) == "$350k"
    assert plots_fmt(fig.axes[1], -250_000) == "-$250k"


def plots_fmt(ax, value):
    return ax.xaxis.get_major_formatter()(value, 0)


def test_epoch_ticks_are_whole_numbers():
    fig = plots.learning_curves({"loss": [3, 2, 1], "val_loss": [3, 2.5, 2.4]})
    fig.canvas.draw()
    ticks = [t for t in fig.axes[0].get_xticks() if 1 <= t <= 3]
    assert ticks and all(float(t).is_integer() for t in ticks)


def test_compare_histories_never_clips_a_curve():
    runs = {"small": {"loss": [0.5, 0.4], "val_loss": [0.6, 0.5]},
            "big": {"loss": [9.0, 4.0], "val_loss": [3.0, 2.0]}}
    fig = plots.compare_histories(runs, cols=2)
    for ax, h in zip(fig.axes, runs.values(), strict=True):
        assert ax.get_ylim()[1] >= max(h["loss"] + h["val_loss"])
    assert fig.axes[0].get_ylim()[1] < 1.0


def test_confusion_matrix_annotates_every_cell():
    fig = plots.confusion_matrix([[1527, 68], [215, 190]], ["stayed", "left"], title="churn")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.texts] == ["1,527", "68", "215", "190"]
    assert ax.get_xlabel() == "predicted" and ax.get_title() == "churn"
    with pytest.raises(ValueError, match="square"):
        plots.confusion_matrix([[1, 2, 3]])


def test_compare_histories_one_panel_per_variant():
    runs = {"a": {"loss": [2, 1], "val_loss": [2, 1.5]},
            "b": {"loss": [2, 1.2], "val_loss": [2, 3]}}
    fig = plots.compare_histories(runs, marks={"a": 2}, cols=3)
    titles = [ax.get_title() for ax in fig.axes]
    assert titles[:2] == ["a", "b"] and not fig.axes[2].axison
    assert any(line.get_label() == "epoch 2" for line in fig.axes[0].get_lines())
    with pytest.raises(ValueError, match="lack"):
        plots.compare_histories({"c": {"loss": [1]}})
