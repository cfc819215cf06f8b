"""Lab 08: the classification references against scikit-learn/Keras, and the checks."""

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics
from sklearn.preprocessing import StandardScaler

from dlcourse.checks import classification as check
from dlcourse.reference import classification as ref

RNG = np.random.default_rng(8)


@pytest.fixture(scope="module")
def keras():
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import keras
    return keras


# -- references -----------------------------------------------------------------------------

def test_encode_labels_matches_label_encoder():
    from sklearn.preprocessing import LabelEncoder

    for labels in (np.array([3, 1, 2, 2, 3]), np.array(["b", "a", "c", "a"]),
                   np.array([10, 40, 20, 20])):
        assert np.array_equal(ref.encode_labels(labels), LabelEncoder().fit_transform(labels))


def test_churn_features_match_get_dummies_and_scaling_uses_train_only():
    train, test = check.churn_frame(30, seed=3), check.churn_frame(10, seed=4, shift=1.0)

    def dummies(frame):
        return pd.get_dummies(frame.drop(columns=[*ref.CHURN_DROP, ref.CHURN_LABEL]),
                              columns=list(ref.CHURN_CATEGORIES), dtype=float)

    expected = dummies(train)
    got = ref.churn_features(train)
    assert list(got.columns) == list(expected.columns)
    assert np.array_equal(got.to_numpy(), expected.to_numpy(dtype=float))
    scaler = StandardScaler().fit(dummies(train))
    got_train, got_test = ref.preprocess_churn(train, test)
    assert np.allclose(got_train, scaler.transform(dummies(train)))
    assert np.allclose(got_test, scaler.transform(dummies(test)))


def test_churn_features_keep_all_columns_when_a_category_is_missing():
    frame = check.churn_frame(9, seed=5)
    frame = frame[frame["Geography"] != "Spain"]
    features = ref.churn_features(frame)
    assert features.shape[1] == 13 and features["Geography_Spain"].sum() == 0


def test_worked_example_metrics():
    y_true, y_pred = check.worked_example()
    tp, fn, fp, tn = ref.confusion_counts(y_true, y_pred)
    assert (tp, fn, fp, tn) == (90, 30, 10, 70)
    assert (tp + tn) / 200 == 0.80
    precision, recall, f1 = ref.precision_recall_f1(tp, fn, fp, tn)
    assert np.isclose(precision, 0.90) and np.isclose(recall, 0.75)
    assert round(f1, 3) == 0.818


def test_metrics_match_sklearn_on_random_labels():
    for _ in range(5):
        y_true, y_pred = RNG.integers(0, 2, 60), RNG.integers(0, 2, 60)
        tn, fp, fn, tp = metrics.confusion_matrix(y_true, y_pred).ravel()
        assert ref.confusion_counts(y_true, y_pred) == (tp, fn, fp, tn)
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, average="binary", zero_division=0)
        assert np.allclose(ref.precision_recall_f1(tp, fn, fp, tn), (p, r, f))
    zeros = np.zeros(50, dtype=int)
    y_true = (np.arange(50) < 10).astype(int)
    assert ref.precision_recall_f1(*ref.confusion_counts(y_true, zeros)) == (0.0, 0.0, 0.0)
    assert metrics.f1_score(y_true, zeros, zero_division=0) == 0.0


@pytest.mark.parametrize("ties", [False, True])
def test_roc_points_and_auc_match_sklearn(ties):
    for _ in range(5):
        y = RNG.integers(0, 2, 40)
        y[:2] = [0, 1]
        scores = RNG.uniform(size=40)
        if ties:
            scores = np.round(scores, 1)
        fpr, tpr, thr = ref.roc_points(y, scores)
        s_fpr, s_tpr, s_thr = metrics.roc_curve(y, scores, drop_intermediate=False)
        assert np.allclose(fpr, s_fpr) and np.allclose(tpr, s_tpr)
        assert np.isinf(thr[0]) and np.allclose(thr[1:], s_thr[1:])
        assert np.isclose(ref.auc(fpr, tpr), metrics.roc_auc_score(y, scores))
        assert np.isclose(ref.auc(fpr, tpr), metrics.auc(fpr, tpr))


def test_pick_threshold_is_the_highest_reaching_the_target():
    for _ in range(5):
        y = RNG.integers(0, 2, 50)
        y[0] = 1
        scores = np.round(RNG.uniform(size=50), 2)
        for target in (0.3, 0.75, 1.0):
            t = ref.pick_threshold(y, scores, target)
            recall = metrics.recall_score(y, scores >= t)
            assert recall >= target
            higher = np.unique(scores)[np.unique(scores) > t]
            if len(higher):
                assert metrics.recall_score(y, scores >= higher.min()) < target


def test_sparse_cce_matches_keras(keras):
    labels = RNG.integers(0, 4, 12)
    z = RNG.normal(size=(12, 4))
    probs = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    expected = keras.losses.SparseCategoricalCrossentropy(dtype="float64")(labels, probs)
    assert np.isclose(ref.sparse_categorical_crossentropy(labels, probs), float(expected))


# -- checks ---------------------------------------------------------------------------------

def _iris_model(keras, n_features, n_classes, last="softmax",
                loss="sparse_categorical_crossentropy", hidden=8):
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(n_classes, activation=last),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss=loss,
                  metrics=["accuracy"])
    return model


def test_reference_answers_pass_every_check(keras, capsys):
    check.check_encode_labels(ref.encode_labels)
    check.check_build_iris_model(lambda n, k: _iris_model(keras, n, k))
    check.check_preprocess_churn(ref.preprocess_churn)
    check.check_metrics(ref.confusion_counts, ref.precision_recall_f1)
    check.check_roc(ref.roc_points, ref.auc)
    check.check_pick_threshold(ref.pick_threshold)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 6


def test_get_dummies_answer_passes():
    def preprocess(train, test):
        def feats(f):
            return pd.get_dummies(f.drop(columns=["RowNumber", "CustomerId", "Surname", "Exited"]),
                                  columns=["Geography", "Gender"], dtype=float)

        scaler = StandardScaler().fit(feats(train))
        return scaler.transform(feats(train)), scaler.transform(feats(test))

    check.check_preprocess_churn(preprocess)


@pytest.mark.parametrize("wrong, message", [
    (lambda y: np.asarray(y), "needs class indices 0..K-1"),
    (lambda y: np.asarray(y).astype(int) - 1, "invalid literal|subtracting 1|should hold"),
])
def test_encode_labels_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_encode_labels(wrong)


@pytest.mark.parametrize("kwargs, message", [
    ({"last": "sigmoid"}, "softmax"),
    ({"loss": "binary_crossentropy"}, "sparse_categorical_crossentropy"),
    ({"loss": "categorical_crossentropy"}, "sparse_categorical_crossentropy"),
    ({"hidden": 16}, "Dense 8"),
])
def test_iris_model_mistakes(keras, kwargs, message):
    with pytest.raises(AssertionError, match=message):
        check.check_build_iris_model(lambda n, k: _iris_model(keras, n, k, **kwargs))


def test_iris_model_with_fixed_three_outputs_is_caught(keras):
    with pytest.raises(AssertionError, match="n_classes"):
        check.check_build_iris_model(lambda n, k: _iris_model(keras, n, 3))


def _feats(frame, drop_first=False, keep_label=False):
    drop = ["RowNumber", "CustomerId", "Surname"] + ([] if keep_label else ["Exited"])
    return pd.get_dummies(frame.drop(columns=drop), columns=["Geography", "Gender"],
                          drop_first=drop_first, dtype=float)


@pytest.mark.parametrize("wrong, message", [
    (lambda tr, te: (StandardScaler().fit(pd.concat([_feats(tr), _feats(te)])).transform(
        _feats(tr)), StandardScaler().fit(pd.concat([_feats(tr), _feats(te)])).transform(
        _feats(te))), "training split only"),
    (lambda tr, te: (StandardScaler().fit_transform(_feats(tr)),
                     StandardScaler().fit_transform(_feats(te))), "never fit on the test"),
    (lambda tr, te: (StandardScaler().fit_transform(_feats(tr, keep_label=True)),
                     StandardScaler().fit_transform(_feats(te, keep_label=True))), "Exited"),
    (lambda tr, te: (StandardScaler().fit_transform(_feats(tr, drop_first=True)),
                     StandardScaler().fit_transform(_feats(te, drop_first=True))), "drop_first"),
    (lambda tr, te: (_feats(tr).to_numpy(), _feats(te).to_numpy()), "mean 0"),
])
def test_preprocess_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_preprocess_churn(wrong)


def test_metrics_mistakes():
    def swapped(tp, fn, fp, tn):
        p, r, f = ref.precision_recall_f1(tp, fn, fp, tn)
        return r, p, f

    with pytest.raises(AssertionError, match="precision and recall are swapped"):
        check.check_metrics(ref.confusion_counts, swapped)

    def unguarded(tp, fn, fp, tn):
        with np.errstate(all="ignore"):
            p, r = np.float64(tp) / (tp + fp), np.float64(tp) / (tp + fn)
            return p, r, 2 * p * r / (p + r)

    with pytest.raises(AssertionError, match="zero_division"):
        check.check_metrics(ref.confusion_counts, unguarded)

    def broadcast(y_true, y_pred):
        t, p = np.asarray(y_true) == 1, np.asarray(y_pred) == 1
        return (t & p).sum(), (t & ~p).sum(), (~t & p).sum(), (~t & ~p).sum()

    with pytest.raises(AssertionError, match="flatten"):
        check.check_metrics(broadcast, ref.precision_recall_f1)

    def fn_fp_swapped(y_true, y_pred):
        tp, fn, fp, tn = ref.confusion_counts(y_true, y_pred)
        return tp, fp, fn, tn

    with pytest.raises(AssertionError, match="FN and FP are swapped"):
        check.check_metrics(fn_fp_swapped, ref.precision_recall_f1)


def _roc_loop(y, scores, order, strict=False):
    y = np.asarray(y).astype(bool)
    fpr, tpr = [0.0], [0.0]
    for t in order(scores):
        pos = scores > t if strict else scores >= t
        tpr.append((pos & y).sum() / y.sum())
        fpr.append((pos & ~y).sum() / (~y).sum())
    return np.array(fpr), np.array(tpr), np.concatenate([[np.inf], order(scores)])


@pytest.mark.parametrize("wrong, message", [
    (lambda y, s: _roc_loop(y, s, lambda s: s), "not the scores in their given order"),
    (lambda y, s: _roc_loop(y, s, lambda s: np.unique(s)), "decreasing order"),
    (lambda y, s: _roc_loop(y, s, lambda s: np.unique(s)[::-1], strict=True), ">=, not >"),
])
def test_roc_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_roc(wrong, ref.auc)


def test_auc_mistakes():
    with pytest.raises(AssertionError, match="trapezoid"):
        check.check_roc(ref.roc_points, lambda f, t: float(np.sum(np.diff(f) * t[1:])))
    with pytest.raises(AssertionError, match="AUC"):
        check.check_roc(ref.roc_points, lambda f, t: float(np.sum(t) / len(t)))


def test_pick_threshold_mistakes():
    def strict(y, s, target):
        y = np.asarray(y).astype(bool)
        for t in np.unique(s)[::-1]:
            if ((s > t) & y).sum() / y.sum() >= target:
                return t
        return s.min()

    with pytest.raises(AssertionError, match="not >"):
        check.check_pick_threshold(strict)

    def lowest(y, s, target):
        return float(np.min(s))

    with pytest.raises(AssertionError, match="highest threshold"):
        check.check_pick_threshold(lowest)
