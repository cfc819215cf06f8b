"""Reference pieces of a classification workflow: labels, the Iris network, churn features,
metrics, ROC, thresholds for a recall and for a precision; and what hidden tests need to
probe them (model descriptions, made-up churn tables)."""

from __future__ import annotations

import numpy as np

CHURN_DROP = ("RowNumber", "CustomerId", "Surname")
CHURN_LABEL = "Exited"
CHURN_NUMERIC = ("CreditScore", "Age", "Tenure", "Balance", "NumOfProducts", "HasCrCard",
                 "IsActiveMember", "EstimatedSalary")
CHURN_CATEGORIES = {"Geography": ("France", "Germany", "Spain"), "Gender": ("Female", "Male")}
CHURN_COLUMNS = ("RowNumber", "CustomerId", "Surname", "CreditScore", "Geography", "Gender",
                 "Age", "Tenure", "Balance", "NumOfProducts", "HasCrCard", "IsActiveMember",
                 "EstimatedSalary", "Exited")


# -- Task 1 ---------------------------------------------------------------------------------

def encode_labels(labels) -> np.ndarray:
    """Map class labels (numbers or strings) to integers 0..K-1 in sorted label order."""
    _, codes = np.unique(np.asarray(labels).reshape(-1), return_inverse=True)
    return codes.reshape(-1).astype(int)


# -- Task 2 ---------------------------------------------------------------------------------

def build_iris_model(n_features: int, n_classes: int):
    """Dense 8 ReLU -> Dense n_classes softmax; Adam(0.01), sparse CCE, accuracy."""
    import keras

    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(8, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax"),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _canonical(name) -> str:
    return str(name).replace("_", "").lower()


def _loss(loss):
    """A compiled loss as plain data; the built-in sparse CCE in any spelling is one value."""
    if isinstance(loss, str):
        return _canonical(loss)
    if isinstance(loss, dict) and loss.get("class_name") == "function":
        return _canonical(loss.get("config"))
    if isinstance(loss, dict):
        config = dict(loss.get("config") or {})
        config.pop("name", None)
        if config == {"reduction": "sum_over_batch_size", "from_logits": False,
                      "ignore_class": None}:
            return _canonical(loss.get("class_name"))
        return (_canonical(loss.get("class_name")), repr(sorted(config.items())))
    return repr(loss)


def _metric(metric):
    """A compiled metric as (kind, name): the name is the key in history and evaluate."""
    if isinstance(metric, str):
        kind = "accuracy" if metric in ("accuracy", "acc") else _canonical(metric)
        return kind, metric
    if isinstance(metric, dict):
        kind = _canonical(metric.get("class_name"))
        kind = "accuracy" if kind == "sparsecategoricalaccuracy" else kind
        return kind, str((metric.get("config") or {}).get("name"))
    return repr(metric), repr(metric)


def _activation(layer) -> str:
    activation = getattr(layer, "activation", None)
    return str(getattr(activation, "__name__", type(activation).__name__))


def describe_model(model) -> dict:
    """What a Keras task fixes, as plain Python data: input shape, layers (type, and units,
    activation and bias for Dense), optimizer class and configuration, loss, metrics."""
    import keras

    assert isinstance(model, keras.Model), f"not a Keras model: {type(model).__name__}"
    layers = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            layers.append(("Dense", int(layer.units), _activation(layer), bool(layer.use_bias)))
        else:
            layers.append((type(layer).__name__,))
    try:
        inputs = [tuple(None if d is None else int(d) for d in t.shape) for t in model.inputs]
    except (AttributeError, ValueError):
        inputs = None
    compiled = bool(getattr(model, "compiled", False))
    config = model.get_compile_config() if compiled else {}
    optimizer = dict(config.get("optimizer") or {})
    settings = dict(optimizer.get("config") or {})
    settings.pop("name", None)
    if isinstance(settings.get("learning_rate"), float):
        settings["learning_rate"] = round(settings["learning_rate"], 6)
    return {
        "inputs": inputs,
        "layers": layers,
        "compiled": compiled,
        "optimizer": (optimizer.get("class_name"), repr(sorted(settings.items()))),
        "loss": _loss(config.get("loss")),
        "metrics": [_metric(m) for m in config.get("metrics") or []],
    }


# -- Task 3 ---------------------------------------------------------------------------------

def churn_features(frame):
    """The churn feature table: the numeric columns, then one 0/1 column per category.

    Columns: ``CHURN_NUMERIC`` in order, then ``Geography_France``, ``Geography_Germany``,
    ``Geography_Spain``, ``Gender_Female``, ``Gender_Male``, all present even when a
    category does not occur in ``frame``.
    """
    import pandas as pd

    out = frame[list(CHURN_NUMERIC)].astype(float)
    dummies = {f"{col}_{cat}": (frame[col] == cat).astype(float)
               for col, cats in CHURN_CATEGORIES.items() for cat in cats}
    return pd.concat([out, pd.DataFrame(dummies, index=frame.index)], axis=1)


def standardize(X_train, X_test):
    """Both sets scaled with the training mean and population std, as StandardScaler does:
    a column constant in the training set is centred, not divided."""
    X_train = np.asarray(X_train, dtype=float)
    X_test = np.asarray(X_test, dtype=float)
    mean = X_train.mean(axis=0)
    std = X_train.std(axis=0)
    std = np.where(std == 0, 1.0, std)
    return (X_train - mean) / std, (X_test - mean) / std


def preprocess_churn(train, test):
    """Features of both splits, standardised with statistics of the training split only."""
    return standardize(churn_features(train).to_numpy(), churn_features(test).to_numpy())


def churn_frame(n: int, seed: int = 0, shift: float = 0.0, missing: dict | None = None):
    """A made-up table with the columns of ``Churn_Modelling.csv`` and a shuffled, gappy index
    (as ``train_test_split`` leaves it). ``missing`` maps a categorical column to a category
    that does not occur; every other category does when ``n`` allows."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    missing = missing or {}
    cats = {col: [c for c in values if c != missing.get(col)]
            for col, values in CHURN_CATEGORIES.items()}
    geo, gender = (rng.permutation(np.resize(np.array(cats[col]), n)) for col in cats)
    balance = rng.choice([0.0, 1.0], n) * rng.uniform(2e4, 2.2e5, n)
    frame = pd.DataFrame({
        "RowNumber": np.arange(1, n + 1),
        "CustomerId": rng.integers(15_500_000, 15_800_000, n),
        "Surname": [f"Name{i}" for i in rng.permutation(n)],
        "CreditScore": rng.integers(400, 850, n) + int(50 * shift),
        "Geography": geo,
        "Gender": gender,
        "Age": rng.integers(18, 80, n) + int(10 * shift),
        "Tenure": rng.integers(0, 11, n),
        "Balance": np.round(balance, 2),
        "NumOfProducts": rng.integers(1, 5, n),
        "HasCrCard": rng.integers(0, 2, n),
        "IsActiveMember": rng.integers(0, 2, n),
        "EstimatedSalary": np.round(rng.uniform(1e3, 2e5, n) * (1 + shift), 2),
        "Exited": rng.integers(0, 2, n),
    }, columns=list(CHURN_COLUMNS))
    frame.index = rng.choice(10 * n + 10, size=n, replace=False)
    return frame


# -- Task 4 ---------------------------------------------------------------------------------

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


# -- Task 5 ---------------------------------------------------------------------------------

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
    """Area under a curve by the trapezoid rule (points in the order given)."""
    fpr = np.asarray(fpr, dtype=float)
    tpr = np.asarray(tpr, dtype=float)
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


# -- Task 6 ---------------------------------------------------------------------------------

def pick_threshold(y_true, scores, target_recall: float) -> float:
    """The highest threshold t whose predictions ``score >= t`` reach ``target_recall``."""
    _, tpr, thresholds = roc_points(y_true, scores)
    reached = np.flatnonzero(tpr >= target_recall)
    return float(thresholds[reached[0]])


# -- Task 7 ---------------------------------------------------------------------------------

def threshold_for_precision(y_true, scores, min_precision: float) -> float:
    """The lowest distinct score t whose predictions ``score >= t`` have precision
    TP/(TP+FP) >= ``min_precision`` (class 1 positive); ``inf`` when no score does."""
    y_true = np.asarray(y_true).reshape(-1).astype(bool)
    scores = np.asarray(scores, dtype=float).reshape(-1)
    for t in np.unique(scores):  # lowest first: the first that qualifies has the most recall
        flagged = scores >= t
        if _ratio(np.sum(y_true & flagged), np.sum(flagged)) >= min_precision:
            return float(t)
    return float(np.inf)
