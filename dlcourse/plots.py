"""The course's standard figures. Each function returns the matplotlib Figure it drew."""

from __future__ import annotations

import math

import numpy as np


def _plt():
    import matplotlib.pyplot as plt

    return plt


def epoch_axis(ax) -> None:
    """Label ``ax``'s x-axis "epoch" with whole-number ticks (short runs otherwise get 0.5s)."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("epoch")


def money_axis(axis, symbol: str = "$") -> None:
    """Write an axis's ticks as money (``$1.2M``, ``$350k``) instead of a ``1e6`` offset."""
    from matplotlib.ticker import FuncFormatter

    def fmt(value, _pos):
        sign, size = ("-" if value < 0 else ""), abs(value)
        if size >= 1e6:
            return f"{sign}{symbol}{size / 1e6:g}M"
        if size >= 1e3:
            return f"{sign}{symbol}{size / 1e3:g}k"
        return f"{sign}{symbol}{size:g}"

    axis.set_major_formatter(FuncFormatter(fmt))


def _history_dict(history) -> dict:
    """Accept a Keras History, its ``.history`` dict, or a DataFrame of epochs."""
    if hasattr(history, "history"):
        history = history.history
    if hasattr(history, "to_dict"):
        history = {k: list(v.values()) for k, v in history.to_dict().items()}
    if not isinstance(history, dict) or not history:
        raise ValueError("expected a Keras History or a non-empty dict of per-epoch values")
    return history


def learning_curves(history, metrics=None, title: str = "Learning curves"):
    """Training vs validation curves, one panel per metric (``loss`` first)."""
    plt = _plt()
    hist = _history_dict(history)
    if metrics is None:
        metrics = [k for k in hist if not k.startswith("val_") and k != "learning_rate"]
        metrics.sort(key=lambda k: k != "loss")
    missing = [m for m in metrics if m not in hist]
    if missing:
        raise ValueError(f"history has no {missing}; it has {sorted(hist)}")
    fig, axes = plt.subplots(1, len(metrics), figsize=(5.5 * len(metrics), 4), squeeze=False)
    for ax, metric in zip(axes[0], metrics, strict=True):
        epochs = np.arange(1, len(hist[metric]) + 1)
        ax.plot(epochs, hist[metric], marker="o", ms=3, label="training")
        if f"val_{metric}" in hist:
            ax.plot(epochs, hist[f"val_{metric}"], marker="o", ms=3, label="validation")
        epoch_axis(ax)
        ax.set_ylabel(metric)
        ax.set_title(metric)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def compare_histories(histories: dict, metric: str = "loss", marks: dict | None = None,
                      title: str = "Training (dashed) vs validation (solid)", cols: int = 4):
    """One panel per named history on a shared epoch axis; ``marks`` maps a name to an
    epoch to highlight (for example the best one). Each panel's y-range holds both of its
    curves whole."""
    plt = _plt()
    hists = {name: _history_dict(h) for name, h in histories.items()}
    missing = [n for n, h in hists.items() if metric not in h or f"val_{metric}" not in h]
    if missing:
        raise ValueError(f"{missing} lack {metric!r} or 'val_{metric}'")
    rows = -(-len(hists) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.4 * rows), sharex=True,
                             squeeze=False)
    for ax, (name, h) in zip(axes.ravel(), hists.items(), strict=False):
        epochs = np.arange(1, len(h[metric]) + 1)
        ax.plot(epochs, h[metric], "--", color="tab:blue", label="training")
        ax.plot(epochs, h[f"val_{metric}"], "-", color="tab:orange", label="validation")
        if marks and marks.get(name):
            ax.axvline(marks[name], color="grey", lw=0.8, ls=":", label=f"epoch {marks[name]}")
        ax.set_title(name)
        finite = np.asarray([*h[metric], *h[f"val_{metric}"]], dtype=float)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            ax.set_ylim(0, 1.05 * finite.max())
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    for ax in axes.ravel()[len(hists):]:
        ax.axis("off")
    for ax in axes[-1]:
        epoch_axis(ax)
    for ax in axes[:, 0]:
        ax.set_ylabel(metric)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def decision_boundary(predict, X, y, title: str = "Decision boundary", resolution: int = 200,
                      ax=None, padding: float = 0.5):
    """Shade the regions a 2-D classifier assigns to each class and scatter the data.

    ``predict`` maps an (m, 2) array to m class labels or probabilities of class 1.
    """
    plt = _plt()
    X = np.asarray(X, dtype=float)
    y = np.asarray(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_boundary needs 2-D points of shape (n, 2), got {X.shape}")
    (x0, y0), (x1, y1) = X.min(axis=0) - padding, X.max(axis=0) + padding
    gx, gy = np.meshgrid(np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution))
    grid = np.c_[gx.ravel(), gy.ravel()]
    z = np.asarray(predict(grid), dtype=float)
    if z.ndim == 2 and z.shape[1] > 1:
        z = z.argmax(axis=1)
    z = z.reshape(gx.shape)
    if ax is None:
        fig, ax = plt.subplots(figsize=(5.5, 5))
    else:
        fig = ax.figure
    ax.contourf(gx, gy, z, levels=20, cmap="RdBu", alpha=0.35)
    ax.contour(gx, gy, z, levels=[0.5], colors="k", linewidths=1.5)
    for cls, marker in zip(np.unique(y), "os^vD" * 4, strict=False):
        pts = X[y == cls]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, edgecolor="k", label=f"class {cls}")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_title(title)
    ax.legend(loc="best")
    return fig


def image_grid(images, labels=None, class_names=None, predictions=None, cols: int = 8,
               title: str | None = None, max_images: int = 32):
    """Show images with their labels; wrong predictions are titled in red."""
    plt = _plt()
    images = np.asarray(images)[:max_images]
    if images.ndim not in (3, 4):
        raise ValueError(f"expected images of shape (n, h, w) or (n, h, w, c), got {images.shape}")

    def name(label):
        label = int(np.asarray(label).reshape(-1)[0])
        return class_names[label] if class_names is not None else str(label)

    n = len(images)
    rows = max(1, math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(1.6 * cols, 1.9 * rows), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i >= n:
            continue
        img = images[i]
        ax.imshow(img.squeeze(), cmap="gray" if img.ndim == 2 or img.shape[-1] == 1 else None)
        text, color = "", "black"
        if labels is not None:
            text = name(labels[i])
        if predictions is not None:
            guess = name(predictions[i])
            wrong = labels is not None and guess != text
            text = f"{guess}\n(true: {text})" if wrong else guess
            color = "red" if wrong else "green"
        ax.set_title(text, fontsize=8, color=color)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_matrix(cm, class_names=None, title: str = "Confusion matrix"):
    """Heatmap of a confusion matrix: rows are actual classes, columns predicted ones."""
    plt = _plt()
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"a confusion matrix is square, got shape {cm.shape}")
    names = list(class_names) if class_names is not None else [str(i) for i in range(len(cm))]
    if len(names) != len(cm):
        raise ValueError(f"{len(names)} class names for a {len(cm)}x{len(cm)} matrix")
    fig, ax = plt.subplots(figsize=(1.4 * len(names) + 2.5, 1.2 * len(names) + 2))
    ax.imshow(cm, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            ax.text(j, i, f"{cm[i, j]:,}", ha="center", va="center", fontsize=12,
                    color="white" if cm[i, j] > cm.max() / 2 else "black")
    ax.set_xticks(range(len(names)), names)
    ax.set_yticks(range(len(names)), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("actual")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def predicted_vs_actual(y_true, y_pred, units: str = "", title: str = "Predictions"):
    """Predicted-vs-actual scatter with the ideal line, and residuals against predictions.

    ``units="$"`` writes the axes as money ($350k, $1.2M)."""
    plt = _plt()
    y_true = np.asarray(y_true, dtype=float).reshape(-1)
    y_pred = np.asarray(y_pred, dtype=float).reshape(-1)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    residual = y_true - y_pred
    money = units == "$"
    suffix = f" [{units}]" if units and not money else ""
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.5))
    left.scatter(y_true, y_pred, s=8, alpha=0.5)
    lo, hi = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    left.plot([lo, hi], [lo, hi], "k--", label="perfect prediction")
    left.set_xlabel("actual" + suffix)
    left.set_ylabel("predicted" + suffix)
    left.set_title("Predicted vs actual")
    left.legend()
    right.scatter(y_pred, residual, s=8, alpha=0.5)
    right.axhline(0, color="k", ls="--")
    right.set_xlabel("predicted" + suffix)
    right.set_ylabel("residual = actual - predicted" + suffix)
    right.set_title("Residuals")
    for ax in (left, right):
        ax.grid(alpha=0.3)
    if money:
        for axis in (left.xaxis, left.yaxis, right.xaxis, right.yaxis):
            money_axis(axis)
    fig.suptitle(title)
    fig.tight_layout()
    return fig
