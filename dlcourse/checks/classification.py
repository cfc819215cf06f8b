"""Checks for lab 08 (ANN classification): labels, the Iris network, churn features, metrics.

Every expected value below is a stored literal, computed once from the course's answers
(and, where one exists, confirmed with scikit-learn or Keras).
"""

from __future__ import annotations

import contextlib
import numbers

import numpy as np

from dlcourse.checks.core import call, expect_close, fail, passed

_SWAP_HINT = ("recall = TP / (TP + FN): of the actual positives, how many were found; "
              "precision = TP / (TP + FP): of the predicted positives, how many are right")


def _ints(value, task: str, what: str) -> np.ndarray:
    __tracebackhide__ = True
    try:
        arr = np.asarray(value)
    except Exception:  # a ragged or odd object
        fail(task, f"{what} should be an array of integers", "integers", type(value).__name__)
    if arr.dtype.kind not in "iu":
        fail(task, f"{what} should hold integers", "integers (dtype int)", arr,
             "return class indices as integers: .astype(int)")
    return arr.astype(int)


def _integer(value, task: str, what: str) -> int:
    __tracebackhide__ = True
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        fail(task, f"{what} should be an integer", "an int", f"{value!r} ({type(value).__name__})",
             "a count is an integer: wrap it in int(...)")
    return int(value)


def _number(value, task: str, what: str) -> float:
    __tracebackhide__ = True
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(-1)[0]
    if not isinstance(value, numbers.Real) or isinstance(value, bool):
        fail(task, f"{what} should be a number", "a float", f"{value!r} ({type(value).__name__})")
    return float(value)


def _sequence(value, length: int, task: str, what: str) -> list:
    __tracebackhide__ = True
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        fail(task, f"{what} should be a tuple of {length}", f"a tuple of {length}",
             type(value).__name__)
    items = list(value)
    if len(items) != length:
        fail(task, f"{what} should have {length} items", length, len(items))
    return items


# -- Task 1: labels -------------------------------------------------------------------------

# (labels, their codes): numbers out of order, strings, gaps, negatives and floats, a list
_LABEL_CASES = [
    (np.array([3, 2, 1, 1, 3, 2]), [2, 1, 0, 0, 2, 1]),
    (np.array(["virginica", "setosa", "versicolor", "setosa", "virginica"]), [2, 0, 1, 0, 2]),
    (np.array([10, 40, 20, 20, 10]), [0, 2, 1, 1, 0]),
    (np.array([-1.5, 2.0, 0.0, -1.5, 7.25]), [0, 2, 1, 0, 3]),
    (["b", "c", "a", "c"], [1, 2, 0, 2]),
]


def check_encode_labels(encode_labels) -> None:
    __tracebackhide__ = True
    task = "encode_labels"
    for labels, codes in _LABEL_CASES:
        arg = labels.copy() if isinstance(labels, np.ndarray) else list(labels)
        got = _ints(call(encode_labels, arg, task=task, name="encode_labels"), task,
                    "the encoded labels")
        shown = labels.tolist() if isinstance(labels, np.ndarray) else labels
        if got.shape == (6,) and got.tolist() == [3, 2, 1, 1, 3, 2]:
            fail(task, "labels 1, 2, 3 came back unchanged", codes, got,
                 "sparse categorical cross-entropy needs class indices 0..K-1: with 3 output "
                 "units label 3 points past the last unit")
        expect_close(got, codes, task, f"codes of the labels {shown}",
                     "sort the distinct labels and use each label's position in that sorted list "
                     "(np.unique(labels, return_inverse=True)); not the order of first appearance, "
                     "not label - 1 or label - min; the same must work for strings and floats")
    passed(task, "labels become class indices 0..K-1 in sorted order")


# -- Task 2: the Iris network -----------------------------------------------------------------

# Adam's settings other than the learning rate, at their defaults
_ADAM_DEFAULTS = {"beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False,
                  "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                  "clipvalue": None, "use_ema": False}
_LOSS_NAMES = ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy")


def _loss_is_sparse_cce(loss) -> bool:
    if isinstance(loss, str):
        return loss in _LOSS_NAMES
    if isinstance(loss, dict) and loss.get("class_name") == "function":
        return loss.get("config") in _LOSS_NAMES
    if isinstance(loss, dict) and loss.get("class_name") in _LOSS_NAMES:
        config = loss.get("config") or {}
        return not config.get("from_logits") and config.get("ignore_class") is None
    return False


def _metric_names(metrics) -> list[str]:
    names = []
    for metric in metrics or []:
        if isinstance(metric, dict):
            name = (metric.get("config") or {}).get("name")
            names.append(f"{metric.get('class_name')}(name={name!r})")
        else:
            names.append(repr(metric))
    return names


def _model_layers(model, keras) -> list:
    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _describe_layer(layer, keras) -> str:
    if isinstance(layer, keras.layers.Dense):
        act = getattr(layer.activation, "__name__", type(layer.activation).__name__)
        return f"Dense({layer.units}, {act})"
    return type(layer).__name__


def check_build_iris_model(build_iris_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_iris_model"
    for n_features, n_classes in ((4, 3), (6, 5)):
        model = call(build_iris_model, n_features, n_classes, task=task, name="build_iris_model")
        where = f"build_iris_model({n_features}, {n_classes})"
        if not isinstance(model, keras.Model):
            fail(task, f"{where} should return a Keras model", "keras.Model",
                 type(model).__name__)
        layers = _model_layers(model, keras)
        shown = [_describe_layer(layer, keras) for layer in layers]
        expected = ["Dense(8, relu)", f"Dense({n_classes}, softmax)"]
        if shown != expected:
            hint = ("exactly two layers after keras.Input: Dense(8, activation=\"relu\") and "
                    "Dense(n_classes, activation=\"softmax\"), nothing else (no Dropout, no "
                    "separate Activation layer)")
            if len(shown) == 2 and shown[1].startswith("Dense(3,") and n_classes != 3:
                hint = "one output unit per class: use n_classes, not a fixed number"
            elif len(shown) == 2 and "sigmoid" in shown[1]:
                hint = ("softmax turns the K outputs into probabilities that sum to 1; a sigmoid "
                        "scores each class on its own")
            fail(task, f"the layers of {where} are wrong", expected, shown, hint)
        if not layers[0].use_bias or not layers[1].use_bias:
            fail(task, "both Dense layers should have a bias", "use_bias=True", "use_bias=False")
        try:
            inputs = [tuple(t.shape) for t in model.inputs]
        except (AttributeError, ValueError):
            inputs = None
        if inputs != [(None, n_features)]:
            fail(task, f"{where} has the wrong input", [(None, n_features)], inputs,
                 "start with keras.Input(shape=(n_features,))")
        if not getattr(model, "compiled", False):
            fail(task, "the model is not compiled", hint="call model.compile(...) before returning")
        try:
            config = model.get_compile_config() or {}
        except Exception as exc:
            fail(task, "the compile settings of the model cannot be read", "built-in settings",
                 f"{type(exc).__name__}: {exc}"[:150],
                 'compile with keras.optimizers.Adam(learning_rate=0.01), '
                 'loss="sparse_categorical_crossentropy", metrics=["accuracy"]')
        optimizer = config.get("optimizer") or {}
        settings = optimizer.get("config") or {}
        if optimizer.get("class_name") != "Adam":
            fail(task, "the optimizer should be Adam", "Adam", optimizer.get("class_name"),
                 "optimizer=keras.optimizers.Adam(learning_rate=0.01)")
        rate = settings.get("learning_rate")
        if not isinstance(rate, float) or abs(rate - 0.01) > 1e-8:
            fail(task, "Adam's learning rate should be 0.01", 0.01, rate,
                 'the string "adam" uses the default 0.001: pass '
                 "keras.optimizers.Adam(learning_rate=0.01)")
        changed = {k: settings.get(k) for k, v in _ADAM_DEFAULTS.items() if settings.get(k) != v}
        if changed:
            fail(task, "Adam's other settings should keep their defaults",
                 {k: _ADAM_DEFAULTS[k] for k in changed}, changed,
                 "pass only learning_rate=0.01")
        if not _loss_is_sparse_cce(config.get("loss")):
            fail(task, "the loss should be sparse categorical cross-entropy",
                 "sparse_categorical_crossentropy", config.get("loss"),
                 'integer labels 0..K-1 and softmax outputs need loss="sparse_categorical_'
                 'crossentropy" (from_logits=False); binary cross-entropy is for one sigmoid '
                 "output, categorical cross-entropy for one-hot label rows")
        metrics = config.get("metrics") or []
        if metrics != ["accuracy"]:
            fail(task, "the metrics should be exactly [\"accuracy\"]", ["accuracy"],
                 _metric_names(metrics),
                 'compile with metrics=["accuracy"]: history and evaluate then report '
                 '"accuracy" (and nothing else)')
        if n_classes == 3:
            continue  # one numeric probe, at 6 features and 5 classes, is enough
        rng = np.random.default_rng(n_classes)
        x = rng.normal(size=(24, n_features)).astype("float32")
        labels = np.arange(24) % n_classes
        probs = np.asarray(model.predict(x, verbose=0), dtype=float)
        if probs.shape != (24, n_classes) or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-4):
            fail(task, "the predicted class probabilities of each row should sum to 1",
                 np.ones(3), probs.sum(axis=-1)[:3], "use activation='softmax' on the last layer")
        logs = model.evaluate(x, labels, verbose=0, return_dict=True)
        expected_loss = float(keras.losses.SparseCategoricalCrossentropy()(labels, probs))
        if sorted(logs) != ["accuracy", "loss"] or not np.isclose(
                logs["loss"], expected_loss, rtol=1e-3, atol=1e-4):
            fail(task, "evaluate should report the sparse categorical cross-entropy and accuracy",
                 {"loss": round(expected_loss, 5), "accuracy": "..."},
                 {k: round(float(v), 5) for k, v in logs.items()},
                 'compile with loss="sparse_categorical_crossentropy", metrics=["accuracy"]')
        accuracy = float(np.mean(probs.argmax(axis=1) == labels))
        if abs(float(logs["accuracy"]) - accuracy) > 1e-4:
            fail(task, "the accuracy metric does not measure argmax accuracy", accuracy,
                 float(logs["accuracy"]), 'use metrics=["accuracy"]')
    passed(task, "Dense 8 ReLU -> Dense K softmax, Adam(0.01), sparse categorical "
           "cross-entropy, accuracy")


# -- Task 3: churn features -------------------------------------------------------------------

# Eight made-up customers with the columns of Churn_Modelling.csv, under a shuffled index
# as train_test_split leaves it.
_CUSTOMERS = {
    "RowNumber": [1, 2, 3, 4, 5, 6, 7, 8],
    "CustomerId": [15634602, 15647311, 15619304, 15701354, 15737888, 15574012, 15592531,
                   15656148],
    "Surname": ["Hargrave", "Hill", "Onio", "Boni", "Mitchell", "Chu", "Bartlett", "Obinna"],
    "CreditScore": [619, 608, 502, 699, 850, 645, 822, 376],
    "Geography": ["France", "Spain", "France", "Germany", "Spain", "Spain", "France", "Spain"],
    "Gender": ["Female", "Female", "Male", "Female", "Male", "Male", "Male", "Female"],
    "Age": [42, 41, 42, 39, 43, 44, 50, 29],
    "Tenure": [2, 1, 8, 1, 2, 8, 7, 4],
    "Balance": [0.0, 83807.86, 159660.8, 0.0, 125510.82, 113755.78, 0.0, 115046.74],
    "NumOfProducts": [1, 1, 3, 2, 1, 2, 2, 4],
    "HasCrCard": [1, 0, 1, 0, 1, 1, 1, 1],
    "IsActiveMember": [1, 1, 0, 0, 1, 0, 1, 0],
    "EstimatedSalary": [101348.88, 112542.58, 113931.57, 93826.63, 79084.1, 149756.71,
                        10062.8, 119346.88],
    "Exited": [1, 0, 1, 0, 0, 1, 0, 1],
}
_INDEX = [7, 2, 9, 4, 0, 5, 11, 3]

# (training rows, test rows, X_train, X_test): in case A no test customer lives in Germany;
# in case B no training customer lives in Spain, so Geography_Spain is constant (0) in
# training and StandardScaler only centres it.
_CHURN_CASES = [
    ([0, 1, 2, 3, 4], [5, 6, 7], [
        [-0.316475, 0.442326, -0.303239, -1.137636, -0.75, 0.816497, 0.816497, 0.093376,
         1.224745, -0.5, -0.816497, 0.816497, -0.816497],
        [-0.411591, -0.294884, -0.682288, 0.154344, -0.75, -1.224745, 0.816497, 0.962856,
         -0.816497, -0.5, 1.224745, 0.816497, -0.816497],
        [-1.328159, 0.442326, 1.971055, 1.323692, 1.75, 0.816497, -1.224745, 1.070747,
         1.224745, -0.5, -0.816497, -1.224745, 1.224745],
        [0.375274, -1.769303, -0.682288, -1.137636, 0.5, -1.224745, -1.224745, -0.490921,
         -0.816497, 2.0, -0.816497, 0.816497, -0.816497],
        [1.680952, 1.179536, -0.303239, 0.797236, -0.75, 0.816497, 0.816497, -1.636059,
         -0.816497, -0.5, 1.224745, -1.224745, 1.224745]], [
        [-0.091657, 1.916745, 1.971055, 0.616021, 0.5, 0.816497, -1.224745, 3.853494,
         -0.816497, -0.5, 1.224745, -1.224745, 1.224745],
        [1.438839, 6.340004, 1.592006, -1.137636, 0.5, 0.816497, 0.816497, -6.997344,
         1.224745, -0.5, -0.816497, -1.224745, 1.224745],
        [-2.417665, -9.141401, 0.454859, 0.635922, 3.0, 0.816497, -1.224745, 1.491385,
         -0.816497, -0.5, 1.224745, 0.816497, -0.816497]]),
    ([0, 2, 3, 6], [1, 4], [
        [-0.35583, -0.305995, -0.821995, -0.57735, -1.414214, 0.57735, 1.0, 0.527126,
         0.57735, -0.57735, 0.0, 1.0, -1.0],
        [-1.359014, -0.305995, 1.150793, 1.732051, 1.414214, 0.57735, -1.0, 0.834815,
         0.57735, -0.57735, 0.0, -1.0, 1.0],
        [0.330107, -1.040383, -1.150793, -0.57735, 0.0, -1.732051, -1.0, 0.343182,
         -1.732051, 1.732051, 0.0, 1.0, -1.0],
        [1.384737, 1.652373, 0.821995, -0.57735, 0.0, 0.57735, 1.0, -1.705124,
         0.57735, -0.57735, 0.0, -1.0, 1.0]], [
        [-0.450147, -0.550791, -1.150793, 0.634882, -1.414214, -1.732051, 1.0, 0.80085,
         -1.732051, -0.57735, 1.0, 1.0, -1.0],
        [1.624815, -0.061199, -0.821995, 1.238091, -1.414214, 0.57735, 1.0, -0.017322,
         -1.732051, -0.57735, 1.0, -1.0, 1.0]]),
]

_COLUMNS_HINT = ("13 columns: the 8 numeric ones in the table's order, then Geography_France, "
                 "Geography_Germany, Geography_Spain, Gender_Female, Gender_Male, every one "
                 "present even when a split lacks that category")


def _customers(rows):
    import pandas as pd

    return pd.DataFrame(_CUSTOMERS, index=_INDEX).iloc[rows].copy()


def _column_hint(cols) -> str:
    if cols == 14:
        return "the label Exited must not be a feature; " + _COLUMNS_HINT
    if cols in (11, 10):
        return "keep every dummy column (no drop_first); " + _COLUMNS_HINT
    if cols == 12:
        return ("a split without one category (no Spanish customer, say) still needs that "
                "column: fix the categories with pd.Categorical(frame[col], categories=[...]) "
                "before pd.get_dummies, or reindex to the training columns; " + _COLUMNS_HINT)
    if cols is not None and cols > 14:
        return "drop RowNumber, CustomerId and Surname; " + _COLUMNS_HINT
    return _COLUMNS_HINT


def _call_preprocess(preprocess_churn, train, test, task: str, about: str):
    """Call the answer; name the case (not the whole tables) when it raises."""
    __tracebackhide__ = True
    if not callable(preprocess_churn):
        call(preprocess_churn, task=task, name="preprocess_churn")
    try:
        return preprocess_churn(train, test)
    except NotImplementedError:
        call(preprocess_churn, train, test, task=task, name="preprocess_churn")
    except Exception as exc:
        text = str(exc)
        hint = (_column_hint(12) if "feature names" in text or "features" in text
                else "run your function on these two tables yourself and read the error")
        fail(task, f"preprocess_churn(train, test) raised {type(exc).__name__} ({about})",
             "(X_train, X_test)", text[:300], hint)


def check_preprocess_churn(preprocess_churn) -> None:
    __tracebackhide__ = True
    task = "preprocess_churn"
    for case, (train_rows, test_rows, exp_train, exp_test) in zip("AB", _CHURN_CASES, strict=True):
        train, test = _customers(train_rows), _customers(test_rows)
        train_copy, test_copy = train.copy(), test.copy()
        about = (f"case {case}: {len(train)} training customers "
                 f"({', '.join(sorted(set(train['Geography'])))}), {len(test)} test customers "
                 f"({', '.join(sorted(set(test['Geography'])))})")
        result = _call_preprocess(preprocess_churn, train, test, task, about)
        if not isinstance(result, tuple) or len(result) != 2:
            fail(task, "preprocess_churn should return (X_train, X_test)", "a 2-tuple",
                 type(result).__name__)
        try:
            X_train, X_test = (np.asarray(r, dtype=float) for r in result)
        except (TypeError, ValueError):
            fail(task, "X_train and X_test should be numeric tables",
                 hint="one-hot encode Geography and Gender (pd.get_dummies(..., dtype=float)) "
                      "and drop Surname: text cannot go into a network")
        exp_train, exp_test = np.array(exp_train), np.array(exp_test)
        for name, got, exp in (("X_train", X_train, exp_train), ("X_test", X_test, exp_test)):
            if got.ndim != 2 or got.shape != exp.shape:
                cols = got.shape[1] if got.ndim == 2 else None
                fail(task, f"{name} has the wrong shape ({about})", exp.shape, got.shape,
                     _column_hint(cols))
        means = X_train.mean(axis=0)
        if not np.allclose(means, 0, atol=1e-6):
            hint = ("fit the scaler on the training split only; fitting on train + test shifts "
                    "the training mean")
            if np.allclose(means[:8], 0, atol=1e-6):
                hint = "standardise all 13 columns, the 0/1 dummy columns too"
            elif np.allclose(means[8:], 0, atol=1e-6):
                hint = "standardise all 13 columns, the numeric ones too"
            fail(task, f"every column of the scaled training set should have mean 0 ({about})",
                 np.zeros(13), means, hint)
        expect_close(X_train, exp_train, task, f"X_train ({about})",
                     "columns in the order of the table (numeric ones first, then the dummies "
                     "France, Germany, Spain, Female, Male), each scaled with the training mean "
                     "and population std (StandardScaler); a column constant in training is "
                     "only centred", atol=2e-6)
        expect_close(X_test, exp_test, task, f"X_test ({about})",
                     "transform the test split with the scaler fitted on the training split; "
                     "never fit on the test split, and give it the same 13 columns", atol=2e-6)
        if not (train.equals(train_copy) and test.equals(test_copy)):
            fail(task, "preprocess_churn modified the DataFrames it was given",
                 hint="build new tables (frame.drop(columns=...) returns a copy) instead of "
                      "changing them in place")
    passed(task, "one-hot categories (all 5 columns in every split), scaling fitted on the "
           "training split only")


# -- Task 4: confusion counts, precision, recall, F1 ----------------------------------------

def worked_example(seed: int = 0):
    """The 200-case example: TP 90, FN 30, FP 10, TN 70, in shuffled order."""
    y_true = np.array([1] * 120 + [0] * 80)
    y_pred = np.array([1] * 90 + [0] * 30 + [1] * 10 + [0] * 70)
    order = np.random.default_rng(seed).permutation(200)
    return y_true[order], y_pred[order]


# (y_true, y_pred, (TP, FN, FP, TN), what): predictions without a positive, labels without one
_COUNT_CASES = [
    ([1, 0, 0, 1, 0], np.zeros((5, 1)), (0, 2, 0, 3),
     "a model that never predicts positive: labels [1, 0, 0, 1, 0], predictions all 0.0 of "
     "shape (5, 1)"),
    (np.array([0, 0, 0, 0, 0, 0]), np.array([True, False, False, True, True, False]),
     (0, 0, 3, 3), "labels all 0, predictions [T, F, F, T, T, F]"),
    (np.array([[1], [1], [0]]), [1.0, 1.0, 1.0], (2, 0, 1, 0),
     "labels of shape (3, 1), predictions [1.0, 1.0, 1.0]"),
]

# (tp, fn, fp, tn) -> (precision, recall, F1)
_RATIO_CASES = [
    ((90, 30, 10, 70), (0.9, 0.75, 0.8181818181818182)),
    ((7, 2, 0, 0), (1.0, 0.7777777777777778, 0.875)),
    ((5, 0, 15, 0), (0.25, 1.0, 0.4)),
    ((0, 40, 0, 160), (0.0, 0.0, 0.0)),
    ((0, 0, 5, 15), (0.0, 0.0, 0.0)),
    ((0, 0, 0, 9), (0.0, 0.0, 0.0)),
]


def _counts(confusion_counts, y_true, y_pred, task: str) -> tuple:
    __tracebackhide__ = True
    got = call(confusion_counts, y_true, y_pred, task=task, name="confusion_counts")
    items = _sequence(got, 4, task, "(TP, FN, FP, TN)")
    return tuple(_integer(v, task, "each of TP, FN, FP, TN") for v in items)


def check_metrics(confusion_counts, precision_recall_f1) -> None:
    __tracebackhide__ = True
    task = "metrics"
    y_true, y_pred = worked_example()
    got = _counts(confusion_counts, y_true, y_pred, task)
    if got == (90, 10, 30, 70):
        fail(task, "FN and FP are swapped", (90, 30, 10, 70), got,
             "a false negative is an actual positive predicted negative (y_true 1, y_pred 0)")
    expect_close(got, (90, 30, 10, 70), task, "(TP, FN, FP, TN) of the 200-case example",
                 "TP: true 1 and predicted 1; FN: true 1, predicted 0; FP: true 0, predicted 1; "
                 "TN: both 0")
    got = _counts(confusion_counts, y_true, (y_pred == 1).reshape(-1, 1), task)
    expect_close(got, (90, 30, 10, 70), task,
                 "counts when the predictions are booleans of shape (200, 1), as "
                 "model.predict(X) >= 0.5 gives",
                 "flatten both arrays first (.reshape(-1)); (200,) against (200, 1) broadcasts "
                 "to a 200 x 200 matrix")
    for labels, preds, expected, what in _COUNT_CASES:
        got = _counts(confusion_counts, labels, preds, task)
        expect_close(got, expected, task, f"(TP, FN, FP, TN) for {what}",
                     "count each cell directly (np.sum of boolean masks of the flattened, "
                     "boolean labels and predictions); a class may be missing from the labels or "
                     "the predictions")
    for counts, expected in _RATIO_CASES:
        got = call(precision_recall_f1, *counts, task=task, name="precision_recall_f1")
        got = [_number(v, task, "precision, recall and F1")
               for v in _sequence(got, 3, task, "(precision, recall, f1)")]
        if counts == (90, 30, 10, 70) and abs(got[0] - 0.75) < 1e-9 and abs(got[1] - 0.9) < 1e-9:
            fail(task, "precision and recall are swapped", expected, tuple(got), _SWAP_HINT)
        expect_close(got, expected, task,
                     "(precision, recall, F1) for TP {}, FN {}, FP {}, TN {}".format(*counts),
                     _SWAP_HINT + "; F1 = 2 P R / (P + R); where a denominator is 0 (nothing "
                     "predicted positive, no actual positive, or P + R = 0) return 0, as "
                     "scikit-learn does with zero_division=0; test it before dividing",
                     atol=1e-6)
    passed(task, "the 200-case example: TP 90, FN 30, FP 10, TN 70; "
           "precision 0.90, recall 0.75, F1 0.818; 0 where a denominator is 0")


# -- Task 5: ROC curve and AUC ------------------------------------------------------------------

# (labels, scores, fpr, tpr, thresholds, AUC); the second has tied scores, one tie across
# the classes (0.9) and one within (0.3)
_ROC_CASES = [
    ([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8],
     [0.0, 0.0, 0.5, 0.5, 1.0], [0.0, 0.5, 0.5, 1.0, 1.0], [np.inf, 0.8, 0.4, 0.35, 0.1], 0.75),
    ([1, 0, 1, 0, 1, 0, 0], [0.9, 0.9, 0.2, 0.3, 0.6, 0.3, 0.05],
     [0.0, 0.25, 0.25, 0.75, 0.75, 1.0], [0.0, 1 / 3, 2 / 3, 2 / 3, 1.0, 1.0],
     [np.inf, 0.9, 0.6, 0.3, 0.2, 0.05], 0.625),
]
# (fpr, tpr, area): curves given directly to auc
_AUC_CASES = [
    ([0.0, 1.0], [0.0, 1.0], 0.5),
    ([0.0, 0.2, 0.2, 0.7, 1.0], [0.0, 0.4, 0.6, 0.9, 1.0], 0.7),
]


def check_roc(roc_points, auc) -> None:
    __tracebackhide__ = True
    task = "roc"
    hint = ("one point per distinct score, thresholds from high to low, starting at (0, 0) "
            "with threshold inf; predict positive when score >= threshold (>=, not >: a score "
            "equal to the threshold counts as positive); tied scores give one point")
    for y, s, fpr, tpr, thresholds, _ in _ROC_CASES:
        got = call(roc_points, np.array(y), np.array(s), task=task, name="roc_points")
        got = _sequence(got, 3, task, "roc_points(...) = (fpr, tpr, thresholds)")
        expect_close(got[2], thresholds, task, f"thresholds for scores {s}",
                     "np.inf first, then the distinct scores in decreasing order "
                     "(np.unique(scores)[::-1]); not the scores in their given order")
        expect_close(got[0], fpr, task, f"fpr for labels {y}, scores {s}", hint)
        expect_close(got[1], tpr, task, f"tpr for labels {y}, scores {s}", hint)
    trapezoids = ("add up trapezoids (fpr[i+1] - fpr[i]) * (tpr[i+1] + tpr[i]) / 2 over "
                  "neighbouring points, in the order given; a tie between a positive and a "
                  "negative score makes a sloped segment, whose trapezoid is not a rectangle")
    for y, s, fpr, tpr, _, area in _ROC_CASES:
        got = _number(call(auc, np.array(fpr), np.array(tpr), task=task, name="auc"), task,
                      "auc(fpr, tpr)")
        expect_close(got, area, task, f"AUC of the ROC curve of labels {y}, scores {s}",
                     trapezoids)
    for fpr, tpr, area in _AUC_CASES:
        got = _number(call(auc, np.array(fpr), np.array(tpr), task=task, name="auc"), task,
                      "auc(fpr, tpr)")
        expect_close(got, area, task, f"auc(fpr={fpr}, tpr={tpr})", trapezoids)
    passed(task, "ROC points match sklearn.metrics.roc_curve, tied scores included; "
           "AUC by trapezoids")


# -- Task 6: choosing a threshold -------------------------------------------------------------

# (labels, scores, (fpr, tpr, thresholds) of roc_points, [(target recall, threshold)]):
# scores in no particular order, with three and four decimals and a tie across the classes
# (0.437); targets that a recall reaches exactly (3/4, 3/5, 2/3); targets whose answer is
# the last candidate (the lowest score)
_THRESHOLD_CASES = [
    ([0, 1, 0, 1, 0, 1, 1, 0], [0.55, 0.6, 0.2, 0.9, 0.8, 0.5, 0.7, 0.3],
     ([0.0, 0.0, 0.25, 0.25, 0.25, 0.5, 0.5, 0.75, 1.0],
      [0.0, 0.25, 0.25, 0.5, 0.75, 0.75, 1.0, 1.0, 1.0],
      [np.inf, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.3, 0.2]),
     [(0.75, 0.6), (1.0, 0.5), (0.5, 0.7)]),
    ([0, 1, 0, 1, 0, 1, 1, 1, 0], [0.437, 0.912, 0.051, 0.395, 0.874, 0.108, 0.437, 0.651, 0.2],
     ([0.0, 0.0, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0],
      [0.0, 0.2, 0.2, 0.4, 0.6, 0.8, 0.8, 1.0, 1.0],
      [np.inf, 0.912, 0.874, 0.651, 0.437, 0.395, 0.2, 0.108, 0.051]),
     [(0.6, 0.437), (0.55, 0.437), (1.0, 0.108)]),
    ([1, 0, 1, 0, 1], [0.301, 0.8123, 0.0457, 0.55, 0.7],
     ([0.0, 0.5, 0.5, 1.0, 1.0, 1.0], [0.0, 0.0, 1 / 3, 1 / 3, 2 / 3, 1.0],
      [np.inf, 0.8123, 0.7, 0.55, 0.301, 0.0457]),
     [(2 / 3, 0.301), (0.4, 0.301), (1.0, 0.0457)]),
]


def _key(labels, scores):
    return (tuple(np.asarray(labels, dtype=float).ravel().tolist()),
            tuple(np.asarray(scores, dtype=float).ravel().tolist()))


def _roc_points_work(roc_points) -> bool:
    """Whether roc_points gives the stored ROC of every threshold case."""
    for y, s, stored, _ in _THRESHOLD_CASES:
        try:
            got = roc_points(np.array(y), np.array(s))
            if not all(np.asarray(g, dtype=float).shape == np.shape(e)
                       and np.allclose(np.asarray(g, dtype=float), e)
                       for g, e in zip(got, stored, strict=True)):
                return False
        except Exception:
            return False
    return True


@contextlib.contextmanager
def _stored_roc_points(namespace):
    """While checking pick_threshold, its ``roc_points`` gives the stored ROC of the stored
    cases (and defers to the student's for anything else), so that a mistake in Task 5
    does not fail Task 6 too."""
    original = namespace.get("roc_points") if isinstance(namespace, dict) else None
    if not callable(original):
        yield
        return
    stored = {_key(y, s): roc for y, s, roc, _ in _THRESHOLD_CASES}

    def roc_points(y_true, scores, *args, **kwargs):
        try:
            found = stored.get(_key(y_true, scores))
        except (TypeError, ValueError):
            found = None
        if found is None:
            return original(y_true, scores, *args, **kwargs)
        return tuple(np.array(a, dtype=float) for a in found)

    namespace["roc_points"] = roc_points
    try:
        yield
    finally:
        namespace["roc_points"] = original


def check_pick_threshold(pick_threshold) -> None:
    __tracebackhide__ = True
    task = "pick_threshold"
    namespace = getattr(pick_threshold, "__globals__", None)
    roc = namespace.get("roc_points") if isinstance(namespace, dict) else None
    broken = callable(roc) and not _roc_points_work(roc)
    with _stored_roc_points(namespace):
        for y, s, _, targets in _THRESHOLD_CASES:
            for target, expected in targets:
                got = call(pick_threshold, np.array(y), np.array(s), target, task=task,
                           name="pick_threshold")
                got = _number(got, task, "the threshold")
                if abs(got - expected) <= 1e-9:
                    continue
                fail(task, f"threshold for recall >= {target:.4g} with labels {y} and scores "
                     f"{s}", expected, got,
                     "the highest threshold t of roc_points with recall(score >= t) >= target: "
                     "go down the thresholds and stop at the first whose TPR reaches the target "
                     "(>=, not >); return that score itself, unrounded, even when it is the "
                     "last candidate")
    note = (" (roc_points is still wrong: fix it in Task 5; this check gave pick_threshold "
            "the right ROC points)") if broken else ""
    passed(task, "the highest threshold that reaches the target recall" + note)


# -- Task 7: a threshold for a required precision ---------------------------------------------

# (labels, scores, [(min_precision, lowest qualifying threshold)]), derived by hand from the
# precision of "score >= t" at each distinct score t.
# Case A, scores from high to low flag 1, 0, 1, 1, 0, 1, 0, 1, 0, 0: precisions 1, 1/2, 2/3,
# 3/4, 3/5, 2/3, 4/7, 5/8, 5/9, 1/2 rise and fall, several targets are met exactly, and 0.5
# is first met again by the last candidate.
# Case B: ties across the classes at 0.64 and 0.3; the top score is a negative, so precision
# 1 is never reached (inf), nor 0.65 (a tie split by sorting would reach 2/3 or 4/6).
# Case C: the lowest score is a positive; scores with up to five decimals.
_PRECISION_CASES = [
    ([0, 1, 0, 1, 0, 1, 1, 0, 1, 0],
     [0.1745, 0.4721, 0.8311, 0.2906, 0.5537, 0.9123, 0.6604, 0.3318, 0.7452, 0.0582],
     [(0.75, 0.6604), (0.6, 0.2906), (0.625, 0.2906), (0.5, 0.0582), (1.0, 0.9123),
      (0.7, 0.6604)]),
    ([1, 0, 1, 0, 1, 0, 0, 1], [0.64, 0.873, 0.3, 0.3, 0.512, 0.127, 0.64, 0.64],
     [(1.0, np.inf), (0.6, 0.512), (0.55, 0.3), (0.5, 0.127), (0.65, np.inf)]),
    ([1, 0, 1, 0, 1, 0, 1], [0.03125, 0.48751, 0.66667, 0.91, 0.2, 0.0625, 0.8],
     [(4 / 7, 0.03125), (0.5, 0.03125), (0.6, 0.2), (0.75, np.inf)]),
]

_PRECISION_HINT = ("precision = TP / (TP + FP) of the predictions score >= t, class 1 positive; "
                   "try every distinct score from the lowest up (precision can fall and rise "
                   "again) and return the first with precision >= min_precision (>=, not >), "
                   "unrounded; return np.inf when no score reaches it")


def _earlier_tasks_broken(namespace) -> list[str]:
    """Earlier tasks (by number) whose functions fail a stored case."""
    if not isinstance(namespace, dict):
        return []
    broken = []
    counts, ratios = namespace.get("confusion_counts"), namespace.get("precision_recall_f1")
    try:
        ok = all(tuple(int(c) for c in counts(y, p)) == expected
                 for y, p, expected, _ in _COUNT_CASES) if callable(counts) else True
        ok = ok and (all(np.allclose([float(v) for v in ratios(*c)], e)
                         for c, e in _RATIO_CASES) if callable(ratios) else True)
    except Exception:
        ok = False
    if not ok:
        broken.append("Task 4 (confusion_counts / precision_recall_f1)")
    roc = namespace.get("roc_points")
    if callable(roc) and not _roc_points_work(roc):
        broken.append("Task 5 (roc_points)")
    return broken


def check_threshold_for_precision(threshold_for_precision) -> None:
    __tracebackhide__ = True
    task = "threshold_for_precision"
    for y, s, targets in _PRECISION_CASES:
        for min_precision, expected in targets:
            got = call(threshold_for_precision, np.array(y), np.array(s), min_precision,
                       task=task, name="threshold_for_precision")
            got = _number(got, task, "the threshold")
            if got == expected or abs(got - expected) <= 1e-9:
                continue
            hint = _PRECISION_HINT
            broken = _earlier_tasks_broken(getattr(threshold_for_precision, "__globals__", None))
            if broken:
                hint += "; your function uses " + " and ".join(broken) + ", which fail their " \
                        "own checks: fix them first"
            fail(task, f"lowest threshold with precision >= {min_precision:.4g} for labels {y} "
                 f"and scores {s}", expected, got, hint)
    passed(task, "the lowest threshold whose precision reaches the target; np.inf when none")
