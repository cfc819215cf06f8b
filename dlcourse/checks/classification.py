"""Checks for lab 08 (ANN classification): labels, the Iris network, churn features, metrics."""

from __future__ import annotations

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed
from dlcourse.reference import classification as ref

_SWAP_HINT = ("recall = TP / (TP + FN): of the actual positives, how many were found; "
              "precision = TP / (TP + FP): of the predicted positives, how many are right")


def _ints(value, task: str, what: str) -> np.ndarray:
    __tracebackhide__ = True
    arr = np.asarray(value)
    if arr.dtype.kind not in "iub" and not (
            arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr))):
        fail(task, f"{what} should hold integers", "integers", arr)
    return arr.astype(int)


# -- Task: labels -------------------------------------------------------------------------

def check_encode_labels(encode_labels) -> None:
    __tracebackhide__ = True
    task = "encode_labels"
    seed_labels = np.array([3, 2, 1, 1, 3, 2])  # Iris tables often number the classes 1, 2, 3
    got = _ints(call(encode_labels, seed_labels.copy(), task=task, name="encode_labels"),
                task, "the encoded labels")
    if got.shape == seed_labels.shape and np.array_equal(got, seed_labels):
        fail(task, "labels 1, 2, 3 came back unchanged", ref.encode_labels(seed_labels), got,
             "sparse categorical cross-entropy needs class indices 0..K-1: with 3 output units "
             "label 3 points past the last unit")
    expect_close(got, ref.encode_labels(seed_labels), task,
                 "codes of the labels [3, 2, 1, 1, 3, 2]",
                 "the smallest label becomes 0, the next 1, and so on")
    names = np.array(["virginica", "setosa", "versicolor", "setosa", "virginica"])
    got = _ints(call(encode_labels, names.copy(), task=task, name="encode_labels"), task,
                "the encoded labels")
    expect_close(got, ref.encode_labels(names), task, "codes of species names",
                 "sort the distinct labels (np.unique does) and use each label's position; "
                 "the same must work for strings")
    gaps = np.array([10, 40, 20, 20, 10])
    got = _ints(call(encode_labels, gaps.copy(), task=task, name="encode_labels"), task,
                "the encoded labels")
    expect_close(got, ref.encode_labels(gaps), task, "codes of the labels [10, 40, 20, 20, 10]",
                 "subtracting 1 only works for labels 1..K; use each label's rank among the "
                 "distinct labels (np.unique(..., return_inverse=True))")
    passed(task, "labels become class indices 0..K-1")


# -- Task: the Iris network -----------------------------------------------------------------

def check_build_iris_model(build_iris_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_iris_model"
    for n_features, n_classes in ((4, 3), (6, 5)):
        model = call(build_iris_model, n_features, n_classes, task=task, name="build_iris_model")
        if not isinstance(model, keras.Model):
            fail(task, "build_iris_model should return a Keras model", "keras.Model",
                 type(model).__name__)
        dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]
        units = [layer.units for layer in dense]
        if units != [8, n_classes]:
            fail(task, f"for {n_classes} classes the network should be Dense 8 -> "
                 f"Dense {n_classes}", [8, n_classes], units,
                 "one output unit per class: use n_classes, not a fixed number")
        acts = [layer.activation.__name__ for layer in dense]
        if acts[0] != "relu":
            fail(task, "the hidden layer should use ReLU", "relu", acts[0])
        if acts[1] != "softmax":
            fail(task, "the output layer of a multi-class network should use softmax",
                 "softmax", acts[1],
                 "softmax turns the K outputs into probabilities that sum to 1; a sigmoid "
                 "scores each class on its own")
        expected_params = (n_features * 8 + 8) + (8 * n_classes + n_classes)
        if model.count_params() != expected_params:
            fail(task, f"wrong number of parameters for {n_features} input features",
                 expected_params, model.count_params(),
                 "the input layer should be keras.Input(shape=(n_features,))")
        if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", False):
            fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
        rng = np.random.default_rng(n_classes)
        x = rng.normal(size=(24, n_features)).astype("float32")
        labels = np.arange(24) % n_classes
        probs = np.asarray(model.predict(x, verbose=0), dtype=float)
        if not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
            fail(task, "the predicted class probabilities of each row should sum to 1",
                 np.ones(3), probs.sum(axis=1)[:3], "use activation='softmax' on the last layer")
        try:
            logs = model.evaluate(x, labels, verbose=0, return_dict=True)
        except Exception as exc:
            fail(task, f"evaluating on integer labels 0..{n_classes - 1} raised "
                 f"{type(exc).__name__}", "a loss value", str(exc)[:150],
                 'integer labels 0..K-1 need loss="sparse_categorical_crossentropy"; '
                 "binary cross-entropy is for a single sigmoid output, and "
                 "categorical cross-entropy expects one-hot label rows")
        expected = ref.sparse_categorical_crossentropy(labels, probs)
        if not np.isclose(logs["loss"], expected, rtol=1e-3, atol=1e-4):
            fail(task, "the loss should be the sparse categorical cross-entropy "
                 "-mean(log p[label])", round(expected, 5), round(float(logs["loss"]), 5),
                 'compile with loss="sparse_categorical_crossentropy"; binary cross-entropy is '
                 "for one sigmoid output and two classes")
        if not any("acc" in k for k in logs):
            fail(task, "the model should report accuracy", "'accuracy' among the metrics",
                 sorted(logs), 'compile with metrics=["accuracy"]')
    passed(task, "Dense 8 ReLU -> Dense K softmax, sparse categorical cross-entropy")


# -- Task: churn features -------------------------------------------------------------------

def churn_frame(n: int, seed: int = 0, shift: float = 0.0):
    """A small made-up table with the columns of ``Churn_Modelling.csv``, every category present."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    geo = np.resize(np.array(ref.CHURN_CATEGORIES["Geography"]), n)
    gender = np.resize(np.array(ref.CHURN_CATEGORIES["Gender"]), n)
    rng.shuffle(geo)
    rng.shuffle(gender)
    return pd.DataFrame({
        "RowNumber": np.arange(1, n + 1),
        "CustomerId": rng.integers(15_500_000, 15_800_000, n),
        "Surname": [f"Name{i}" for i in range(n)],
        "CreditScore": rng.integers(400, 850, n) + int(50 * shift),
        "Geography": geo,
        "Gender": gender,
        "Age": rng.integers(18, 80, n) + int(10 * shift),
        "Tenure": rng.integers(0, 11, n),
        "Balance": np.round(rng.choice([0.0, 1.0], n) * rng.uniform(2e4, 2.2e5, n), 2),
        "NumOfProducts": rng.integers(1, 5, n),
        "HasCrCard": rng.integers(0, 2, n),
        "IsActiveMember": rng.integers(0, 2, n),
        "EstimatedSalary": np.round(rng.uniform(1e3, 2e5, n) * (1 + shift), 2),
        "Exited": rng.integers(0, 2, n),
    })


def check_preprocess_churn(preprocess_churn) -> None:
    __tracebackhide__ = True
    task = "preprocess_churn"
    train, test = churn_frame(12, seed=1), churn_frame(6, seed=2, shift=1.0)
    train_copy, test_copy = train.copy(), test.copy()
    result = call(preprocess_churn, train, test, task=task, name="preprocess_churn")
    if not isinstance(result, tuple) or len(result) != 2:
        fail(task, "preprocess_churn should return (X_train, X_test)", "a 2-tuple",
             type(result).__name__)
    try:
        X_train, X_test = (np.asarray(r, dtype=float) for r in result)
    except (TypeError, ValueError):
        fail(task, "X_train and X_test should be numeric tables",
             hint="one-hot encode Geography and Gender (pd.get_dummies(..., dtype=float)) and drop "
                  "Surname: text cannot go into a network")
    exp_train, exp_test = ref.preprocess_churn(train, test)
    if X_train.ndim != 2 or X_train.shape[1] != exp_train.shape[1]:
        cols = X_train.shape[1] if X_train.ndim == 2 else None
        hint = ("13 columns: the 8 numeric ones, Geography_France/Germany/Spain, "
                "Gender_Female/Male")
        if cols == 14:
            hint = "the label Exited must not be a feature; " + hint
        elif cols == 11:
            hint = "keep every dummy column (no drop_first); " + hint
        elif cols is not None and cols > 14:
            hint = "drop RowNumber, CustomerId and Surname; " + hint
        fail(task, "X_train has the wrong number of columns", exp_train.shape[1], cols, hint)
    if X_train.shape == exp_train.shape and not np.allclose(X_train.mean(axis=0), 0, atol=1e-6):
        fail(task, "every column of the scaled training set should have mean 0",
             np.zeros(exp_train.shape[1]), X_train.mean(axis=0),
             "fit the scaler on the training split only; fitting on train + test shifts the "
             "training mean")
    expect_close(X_train, exp_train, task, "X_train",
                 "columns in the order of the table (numeric ones first, then the dummies), each "
                 "scaled with the training mean and population std")
    expect_close(X_test, exp_test, task, "X_test",
                 "transform the test split with the scaler fitted on the training split; never "
                 "fit on the test split", atol=1e-6)
    if not (train.equals(train_copy) and test.equals(test_copy)):
        fail(task, "preprocess_churn modified the DataFrames it was given",
             hint="build new tables (frame.drop(columns=...) returns a copy) instead of "
                  "changing them in place")
    passed(task, "one-hot categories, scaling fitted on the training split only")


# -- Task: confusion counts, precision, recall, F1 -----------------------------------------

def worked_example(seed: int = 0):
    """The 200-case example: TP 90, FN 30, FP 10, TN 70, in shuffled order."""
    y_true = np.array([1] * 120 + [0] * 80)
    y_pred = np.array([1] * 90 + [0] * 30 + [1] * 10 + [0] * 70)
    order = np.random.default_rng(seed).permutation(200)
    return y_true[order], y_pred[order]


def check_metrics(confusion_counts, precision_recall_f1) -> None:
    __tracebackhide__ = True
    task = "metrics"
    y_true, y_pred = worked_example()
    got = call(confusion_counts, y_true, y_pred, task=task, name="confusion_counts")
    got = _ints(got, task, "(TP, FN, FP, TN)")
    if got.shape == (4,) and tuple(got) == (90, 10, 30, 70):
        fail(task, "FN and FP are swapped", (90, 30, 10, 70), tuple(got),
             "a false negative is an actual positive predicted negative (y_true 1, y_pred 0)")
    expect_close(got, (90, 30, 10, 70), task, "(TP, FN, FP, TN) of the 200-case example",
                 "TP: true 1 and predicted 1; FN: true 1, predicted 0; FP: true 0, predicted 1; "
                 "TN: both 0")
    got = _ints(call(confusion_counts, y_true, (y_pred == 1).reshape(-1, 1), task=task,
                     name="confusion_counts"), task, "(TP, FN, FP, TN)")
    expect_close(got, (90, 30, 10, 70), task,
                 "counts when the predictions are booleans of shape (200, 1), as "
                 "model.predict(X) >= 0.5 gives",
                 "flatten both arrays first (.reshape(-1)); (200,) against (200, 1) broadcasts "
                 "to a 200 x 200 matrix")
    got = call(precision_recall_f1, 90, 30, 10, 70, task=task, name="precision_recall_f1")
    if np.shape(got) == (3,) and np.allclose(np.asarray(got, dtype=float)[:2], [0.75, 0.9]):
        fail(task, "precision and recall are swapped", (0.9, 0.75, 0.8182), got, _SWAP_HINT)
    expect_close(got, ref.precision_recall_f1(90, 30, 10, 70), task,
                 "(precision, recall, F1) of the 200-case example",
                 _SWAP_HINT + "; F1 = 2 P R / (P + R)", atol=1e-4)
    got = call(precision_recall_f1, 0, 40, 0, 160, task=task, name="precision_recall_f1")
    expect_close(got, (0.0, 0.0, 0.0), task,
                 "(precision, recall, F1) of a model that never predicts positive (TP 0, FN 40, "
                 "FP 0, TN 160)",
                 "precision is 0/0 here: return 0, as scikit-learn does (zero_division=0), "
                 "and F1 is then 0 too; test the denominator before dividing")
    passed(task, "the 200-case example: TP 90, FN 30, FP 10, TN 70; "
           "precision 0.90, recall 0.75, F1 0.818")


# -- Task: ROC curve and AUC ----------------------------------------------------------------

def check_roc(roc_points, auc) -> None:
    __tracebackhide__ = True
    task = "roc"
    cases = [
        (np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])),
        (np.array([1, 0, 1, 0, 1, 0, 0]), np.array([0.9, 0.9, 0.2, 0.3, 0.6, 0.3, 0.05])),
    ]
    for y, s in cases:
        got = call(roc_points, y.copy(), s.copy(), task=task, name="roc_points")
        if not isinstance(got, tuple) or len(got) != 3:
            fail(task, "roc_points should return (fpr, tpr, thresholds)", "a 3-tuple",
                 type(got).__name__)
        exp = ref.roc_points(y, s)
        hint = ("one point per distinct score, thresholds from high to low, starting at "
                "(0, 0) with threshold inf; predict positive when score >= threshold (>=, not >: "
                "a score equal to the threshold counts as positive)")
        expect_close(got[2], exp[2], task, f"thresholds for scores {s.tolist()}",
                     "np.inf first, then the distinct scores in decreasing order "
                     "(np.unique(scores)[::-1]); not the scores in their given order")
        expect_close(got[0], exp[0], task, f"fpr for labels {y.tolist()}, scores {s.tolist()}",
                     hint)
        expect_close(got[1], exp[1], task, f"tpr for labels {y.tolist()}, scores {s.tolist()}",
                     hint)
    area = call(auc, *ref.roc_points(*cases[0])[:2], task=task, name="auc")
    expect_close(area, 0.75, task, "AUC of the first example", "trapezoids: sum over "
                 "neighbouring points of (fpr[i+1] - fpr[i]) * (tpr[i+1] + tpr[i]) / 2")
    area = call(auc, np.array([0.0, 1.0]), np.array([0.0, 1.0]), task=task, name="auc")
    expect_close(area, 0.5, task, "AUC of the diagonal (a random guess)",
                 "the area under the diagonal is 1/2; add up trapezoids "
                 "(fpr[i+1] - fpr[i]) * (tpr[i+1] + tpr[i]) / 2")
    passed(task, "ROC points match sklearn.metrics.roc_curve, AUC = 0.75")


# -- Task: choosing a threshold -------------------------------------------------------------

def check_pick_threshold(pick_threshold) -> None:
    __tracebackhide__ = True
    task = "pick_threshold"
    y = np.array([1, 0, 1, 1, 0, 1, 0, 0])
    s = np.array([0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.3, 0.2])
    for target in (0.75, 1.0, 0.5):
        got = call(pick_threshold, y.copy(), s.copy(), target, task=task, name="pick_threshold")
        expected = ref.pick_threshold(y, s, target)
        expect_close(np.asarray(got, dtype=float).reshape(-1)[:1] if np.size(got) else got,
                     [expected], task, f"threshold for recall >= {target} with labels "
                     f"{y.tolist()} and scores {s.tolist()}",
                     "the highest threshold t with recall(score >= t) >= target: go down the "
                     "thresholds from roc_points and stop at the first that reaches the target; "
                     "compare with >=, not >")
        if np.size(got) != 1:
            fail(task, "pick_threshold should return one number", "a float", got)
    passed(task, "the highest threshold that reaches the target recall")
