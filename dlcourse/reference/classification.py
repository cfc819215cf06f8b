"""Reference pieces of a classification workflow: labels, churn features, metrics, ROC."""

from __future__ import annotations

import numpy as np

from dlcourse.reference.losses import sparse_categorical_crossentropy  # noqa: F401 (used by lab 08)
from dlcourse.reference.regression import standardize

CHURN_DROP = ("RowNumber", "CustomerId", "Surname")
CHURN_LABEL = "Exited"
CHURN_NUMERIC = ("CreditScore", "Age", "Tenure", "Balance", "NumOfProducts", "HasCrCard",
                 "IsActiveMember", "EstimatedSalary")
CHURN_CATEGORIES = {"Geography": ("France", "Germany", "Spain"), "Gender": ("Female", "Male")}


def encode_labels(labels) -> np.ndarray:
    """Map class labels (numbers or strings) to integers 0..K-1 in sorted label order."""
    _, codes = np.unique(np.asarray(labels).reshape(-1), return_inverse=True)
    return codes.astype(int)


def churn_features(frame):
    """The churn feature table: the numeric columns, then one 0/1 column per category.

    Columns: ``CHURN_NUMERIC`` in order, then ``Geography_France``, ``Geography_Germany``,
    ``Geography_Spain``, ``Gender_Female``, ``Gender_Male`` (what ``pd.get_dummies`` gives
    when every category is present).
    """
    import pandas as pd

    out = frame[list(CHURN_NUMERIC)].astype(float)
    dummies = {f"{col}_{cat}": (frame[col] == cat).astype(float)
               for col, cats in CHURN_CATEGORIES.items() for cat in cats}
    return pd.concat([out, pd.DataFrame(dummies, index=frame.index)], axis=1)


def preprocess_churn(train, test):
    """Features of both splits, standardised with statistics of the training split only."""
    return standardize(churn_features(train).to_numpy(), churn_features(test).to_numpy())


def confusion_counts(y_true, y_pred) -> tuple[int, int, int, int]:
    """``(TP, FN, FP, TN)`` of binary labels and predictions (1 = positive)."""
    y_true = np.asarray(y_true).reshape(-1).astype(bool)
    y_pred = np.asarray(y_pred).reshape(-1).astype(bool)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"{y_true.size} labels but {y_pred.size} predictions")
    tp = int(np.sum(y_true & y_pred))
    fn = int(np.sum(y_true & ~y_pred))
    fp = int(np.sum(~y_true & y_pred))
    tn = int(np.sum(~y_true & ~y_pred))
    return tp, fn, fp, tn


def _ratio(num: float, den: float) -> float:
    return float(num) / den if den else 0.0


def precision_recall_f1(tp, fn, fp, tn) -> tuple[float, float, float]:
    """Precision TP/(TP+FP), recall TP/(TP+FN) and their harmonic mean; 0 where 0/0."""
    precision = _ratio(tp, tp + fp)
    recall = _ratio(tp, tp + fn)
    return precision, recall, _ratio(2 * precision * recall, precision + recall)


def roc_points(y_true, scores):
    """ROC curve at every distinct score: ``(fpr, tpr, thresholds)``.

    Thresholds run from ``inf`` (nothing predicted positive, the point (0, 0)) down through
    the distinct scores; at threshold t the prediction is ``score >= t``. This matches
    ``sklearn.metrics.roc_curve(..., drop_intermediate=False)``.
    """
    y_true = np.asarray(y_true).reshape(-1).astype(bool)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    thresholds = np.concatenate([[np.inf], np.unique(scores)[::-1]])
    positive = scores[None, :] >= thresholds[:, None]
    tpr = (positive & y_true).sum(axis=1) / max(y_true.sum(), 1)
    fpr = (positive & ~y_true).sum(axis=1) / max((~y_true).sum(), 1)
    return fpr, tpr, thresholds


def auc(fpr, tpr) -> float:
    """Area under a curve by the trapezoid rule (points in order of increasing fpr)."""
    fpr = np.asarray(fpr, dtype=float)
    tpr = np.asarray(tpr, dtype=float)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def pick_threshold(y_true, scores, target_recall: float) -> float:
    """The highest threshold t whose predictions ``score >= t`` reach ``target_recall``."""
    _, tpr, thresholds = roc_points(y_true, scores)
    reached = np.flatnonzero(tpr >= target_recall - 1e-12)
    return float(thresholds[reached[0]])
