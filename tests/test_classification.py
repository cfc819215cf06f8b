"""Lab 08: the answer key against scikit-learn/Keras, the stored values of the visible checks
against the key, and the checks against right and wrong answers."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from answer_key import classification as ref
from sklearn import metrics
from sklearn.preprocessing import StandardScaler

from dlcourse.checks import classification as check

RNG = np.random.default_rng(8)
ANSWERS = ("encode_labels", "build_iris_model", "preprocess_churn", "churn_features",
           "confusion_counts", "precision_recall_f1", "roc_points", "auc", "pick_threshold",
           "threshold_for_precision", "standardize")


# -- the answer key -------------------------------------------------------------------------

def test_encode_labels_matches_label_encoder():
    from sklearn.preprocessing import LabelEncoder

    for labels in (np.array([3, 1, 2, 2, 3]), np.array(["b", "a", "c", "a"]),
                   np.array([10, 40, 20, 20]), np.array([-1.5, 2.0, -1.5])):
        assert np.array_equal(ref.encode_labels(labels), LabelEncoder().fit_transform(labels))


def _dummies(frame, drop_first=False, keep_label=False, fixed=True):
    drop = [*ref.CHURN_DROP] + ([] if keep_label else [ref.CHURN_LABEL])
    frame = frame.drop(columns=drop)
    if fixed:
        for col, cats in ref.CHURN_CATEGORIES.items():
            frame[col] = pd.Categorical(frame[col], categories=list(cats))
    return pd.get_dummies(frame, columns=list(ref.CHURN_CATEGORIES), drop_first=drop_first,
                          dtype=float)


@pytest.mark.parametrize("missing", [None, {"Geography": "Spain"}, {"Gender": "Female"}])
def test_churn_features_match_get_dummies_and_scaling_uses_train_only(missing):
    train = ref.churn_frame(30, seed=3)
    test = ref.churn_frame(10, seed=4, shift=1.0, missing=missing)
    got = ref.churn_features(test)
    assert list(got.columns) == list(_dummies(test).columns)
    assert np.array_equal(got.to_numpy(), _dummies(test).to_numpy(dtype=float))
    scaler = StandardScaler().fit(_dummies(train))
    got_train, got_test = ref.preprocess_churn(train, test)
    assert np.allclose(got_train, scaler.transform(_dummies(train)))
    assert np.allclose(got_test, scaler.transform(_dummies(test)))


def test_a_column_constant_in_training_is_centred_like_standard_scaler():
    train = ref.churn_frame(12, seed=5, missing={"Geography": "Spain"})
    train["HasCrCard"] = 1
    test = ref.churn_frame(6, seed=6)
    got_train, got_test = ref.preprocess_churn(train, test)
    scaler = StandardScaler().fit(_dummies(train))
    assert np.allclose(got_test, scaler.transform(_dummies(test)))
    assert np.all(got_train[:, 10] == 0) and set(got_test[:, 10]) <= {0.0, 1.0}


def test_churn_frame_has_the_csv_columns_and_a_gappy_index():
    frame = ref.churn_frame(20, seed=1, missing={"Geography": "Germany"})
    assert tuple(frame.columns) == ref.CHURN_COLUMNS
    assert "Germany" not in set(frame["Geography"]) and len(set(frame["Geography"])) == 2
    assert not frame.index.equals(pd.RangeIndex(20))


def test_metrics_match_sklearn_on_random_labels():
    for _ in range(5):
        y_true, y_pred = RNG.integers(0, 2, 60), RNG.integers(0, 2, 60)
        tn, fp, fn, tp = metrics.confusion_matrix(y_true, y_pred, labels=[0, 1]).ravel()
        assert ref.confusion_counts(y_true, y_pred) == (tp, fn, fp, tn)
        p, r, f, _ = metrics.precision_recall_fscore_support(
            y_true, y_pred, average="binary", zero_division=0)
        assert np.allclose(ref.precision_recall_f1(tp, fn, fp, tn), (p, r, f))
    for y_true, y_pred in (((np.arange(50) < 10).astype(int), np.zeros(50, dtype=int)),
                           (np.zeros(8, dtype=int), np.array([1, 0] * 4))):
        counts = ref.confusion_counts(y_true, y_pred)
        assert ref.precision_recall_f1(*counts) == (0.0, 0.0, 0.0)
        assert metrics.f1_score(y_true, y_pred, zero_division=0) == 0.0


@pytest.mark.parametrize("decimals", [None, 1, 2])
def test_roc_points_and_auc_match_sklearn(decimals):
    for _ in range(5):
        y = RNG.integers(0, 2, 40)
        y[:2] = [0, 1]
        scores = RNG.uniform(size=40)
        if decimals:
            scores = np.round(scores, decimals)
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
        scores = np.round(RNG.uniform(size=50), 3)
        positives = int(y.sum())
        for target in (0.3, 0.75, 1.0, 2 / positives, (2 - 0.5) / positives):
            t = ref.pick_threshold(y, scores, target)
            assert t in scores
            assert metrics.recall_score(y, scores >= t) >= target
            higher = np.unique(scores)[np.unique(scores) > t]
            if len(higher):
                assert metrics.recall_score(y, scores >= higher.min()) < target


def test_threshold_for_precision_is_the_lowest_reaching_the_target():
    for _ in range(5):
        y = RNG.integers(0, 2, 50)
        scores = np.round(RNG.uniform(size=50), 3)
        prec, _, thr = metrics.precision_recall_curve(y, scores)
        for target in (0.3, 0.6, 0.8, 1.0, float(prec[10]), float(prec[25])):
            t = ref.threshold_for_precision(y, scores, target)
            qualifying = thr[prec[:-1] >= target]
            assert t == (qualifying.min() if len(qualifying) else np.inf)
            if np.isfinite(t):
                assert metrics.precision_score(y, scores >= t) >= target


def test_describe_model_tells_configurations_apart(keras):
    def model(layers, optimizer=None, loss="sparse_categorical_crossentropy",
              metrics=("accuracy",)):
        m = keras.Sequential([keras.Input(shape=(4,)), *layers])
        m.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.01), loss=loss,
                  metrics=list(metrics))
        return m

    def dense():
        return [keras.layers.Dense(8, activation="relu"),
                keras.layers.Dense(3, activation="softmax")]

    right = ref.describe_model(ref.build_iris_model(4, 3))
    assert ref.describe_model(model(dense())) == right
    assert ref.describe_model(model(dense(), loss=keras.losses.SparseCategoricalCrossentropy(),
                                    )) == right
    wrong = [
        model(dense(), optimizer="adam"),
        model(dense(), optimizer=keras.optimizers.SGD(learning_rate=0.01)),
        model(dense(), optimizer=keras.optimizers.Adam(learning_rate=0.01, amsgrad=True)),
        model(dense(), loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
        model(dense(), metrics=("accuracy", "sparse_top_k_categorical_accuracy")),
        model(dense(), metrics=()),
        model([keras.layers.Dropout(0.2), *dense()]),
        model([keras.layers.Dense(8, activation="tanh"), dense()[1]]),
    ]
    for m in wrong:
        assert ref.describe_model(m) != right


# -- the visible checks: no answers, stored values that agree with the key ---------------------

def test_check_module_holds_no_answer():
    source = Path(check.__file__).read_text()
    assert "answer_key" not in source and "import reference" not in source
    for name in ANSWERS:
        assert not hasattr(check, name)


def test_stored_values_agree_with_the_key():
    for labels, codes in check._LABEL_CASES:
        assert ref.encode_labels(labels).tolist() == codes
    for train_rows, test_rows, exp_train, exp_test in check._CHURN_CASES:
        got_train, got_test = ref.preprocess_churn(check._customers(train_rows),
                                                   check._customers(test_rows))
        assert np.allclose(got_train, exp_train, atol=1e-6, rtol=0)
        assert np.allclose(got_test, exp_test, atol=1e-6, rtol=0)
    assert ref.confusion_counts(*check.worked_example()) == (90, 30, 10, 70)
    for y_true, y_pred, counts, _ in check._COUNT_CASES:
        assert ref.confusion_counts(y_true, y_pred) == counts
    for counts, expected in check._RATIO_CASES:
        assert np.allclose(ref.precision_recall_f1(*counts), expected, atol=1e-12, rtol=0)
    for y, s, fpr, tpr, thresholds, area in check._ROC_CASES:
        got = ref.roc_points(y, s)
        assert np.allclose(got[0], fpr) and np.allclose(got[1], tpr)
        assert np.array_equal(got[2], thresholds)
        assert np.isclose(ref.auc(fpr, tpr), area) and np.isclose(
            metrics.roc_auc_score(y, s), area)
    for fpr, tpr, area in check._AUC_CASES:
        assert np.isclose(ref.auc(fpr, tpr), area)
    for y, s, (fpr, tpr, thresholds), targets in check._THRESHOLD_CASES:
        got = ref.roc_points(y, s)
        assert np.allclose(got[0], fpr) and np.allclose(got[1], tpr)
        assert np.array_equal(got[2], thresholds)
        for target, expected in targets:
            assert ref.pick_threshold(y, s, target) == expected
    for y, s, targets in check._PRECISION_CASES:
        for min_precision, expected in targets:
            assert ref.threshold_for_precision(y, s, min_precision) == expected


# -- the visible checks accept right answers ---------------------------------------------------

def test_reference_answers_pass_every_check(keras, capsys):
    check.check_encode_labels(ref.encode_labels)
    check.check_build_iris_model(ref.build_iris_model)
    check.check_preprocess_churn(ref.preprocess_churn)
    check.check_metrics(ref.confusion_counts, ref.precision_recall_f1)
    check.check_roc(ref.roc_points, ref.auc)
    check.check_pick_threshold(ref.pick_threshold)
    check.check_threshold_for_precision(ref.threshold_for_precision)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 7


def test_other_right_answers_pass(keras):
    from sklearn.preprocessing import LabelEncoder

    check.check_encode_labels(lambda labels: LabelEncoder().fit_transform(labels))

    def functional(n_features, n_classes):
        inputs = keras.Input(shape=(n_features,))
        hidden = keras.layers.Dense(8, activation=keras.activations.relu)(inputs)
        outputs = keras.layers.Dense(n_classes, activation="softmax")(hidden)
        model = keras.Model(inputs, outputs)
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
        return model

    check.check_build_iris_model(functional)

    def preprocess(train, test):
        train_f = pd.get_dummies(train.drop(columns=["RowNumber", "CustomerId", "Surname",
                                                     "Exited"]),
                                 columns=["Geography", "Gender"], dtype=float)
        train_f = train_f.reindex(columns=list(_dummies(train).columns), fill_value=0.0)
        test_f = pd.get_dummies(test.drop(columns=["RowNumber", "CustomerId", "Surname",
                                                   "Exited"]),
                                columns=["Geography", "Gender"], dtype=float)
        test_f = test_f.reindex(columns=train_f.columns, fill_value=0.0)
        scaler = StandardScaler().fit(train_f)
        return scaler.transform(train_f), scaler.transform(test_f)

    check.check_preprocess_churn(preprocess)

    def sk_counts(y_true, y_pred):
        tn, fp, fn, tp = metrics.confusion_matrix(np.ravel(y_true), np.ravel(y_pred),
                                                  labels=[0, 1]).ravel()
        return tp, fn, fp, tn

    def f1_form(tp, fn, fp, tn):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, (2 * tp / (2 * tp + fp + fn) if tp else 0.0)

    check.check_metrics(sk_counts, f1_form)
    check.check_roc(ref.roc_points, lambda f, t: float(np.trapezoid(t, f)))

    def by_rank(y, s, target):  # the ceil(target * P)-th highest positive score
        positives = np.sort(np.asarray(s)[np.asarray(y) == 1])[::-1]
        k = int(np.ceil(target * len(positives) - 1e-9))
        return positives[k - 1]

    check.check_pick_threshold(by_rank)


# -- the visible checks reject wrong answers ---------------------------------------------------

@pytest.mark.parametrize("wrong, message", [
    (lambda y: np.asarray(y), "needs class indices 0..K-1"),
    (lambda y: np.asarray(y).astype(int) - 1, "invalid literal|subtracting 1|should hold"),
    (lambda y: pd.factorize(np.asarray(y))[0], "order of first appearance"),
    (lambda y: ref.encode_labels(y).astype(float), "should hold integers"),
    (lambda y: np.unique(y, return_inverse=True)[1] + 1, "0..K-1|sorted list"),
])
def test_encode_labels_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_encode_labels(wrong)


def _iris_model(keras, n_features, n_classes, last="softmax",
                loss="sparse_categorical_crossentropy", hidden=8, optimizer=None,
                metrics=("accuracy",), extra=()):
    model = keras.Sequential([
        keras.Input(shape=(n_features,)),
        *extra,
        keras.layers.Dense(hidden, activation="relu"),
        keras.layers.Dense(n_classes, activation=last),
    ])
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.01), loss=loss,
                  metrics=list(metrics))
    return model


@pytest.mark.parametrize("kwargs, message", [
    ({"last": "sigmoid"}, "softmax"),
    ({"loss": "binary_crossentropy"}, "sparse_categorical_crossentropy"),
    ({"loss": "categorical_crossentropy"}, "sparse_categorical_crossentropy"),
    ({"hidden": 16}, r"Dense\(8, relu\)"),
    ({"optimizer": "adam"}, "learning rate should be 0.01"),
    ({"optimizer": "sgd"}, "should be Adam"),
    ({"metrics": ("accuracy", "mse")}, "exactly"),
    ({"metrics": ()}, "exactly"),
])
def test_iris_model_mistakes(keras, kwargs, message):
    with pytest.raises(AssertionError, match=message):
        check.check_build_iris_model(lambda n, k: _iris_model(keras, n, k, **kwargs))


def test_iris_model_mistakes_in_objects(keras):
    cases = [
        ({"optimizer": keras.optimizers.Adam(learning_rate=0.01, beta_1=0.5)}, "defaults"),
        ({"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
         "sparse categorical cross-entropy"),
        ({"extra": (keras.layers.Dropout(0.2),)}, "Dropout"),
    ]
    for kwargs, message in cases:
        with pytest.raises(AssertionError, match=message):
            check.check_build_iris_model(lambda n, k, kw=kwargs: _iris_model(keras, n, k, **kw))
    with pytest.raises(AssertionError, match="n_classes"):
        check.check_build_iris_model(lambda n, k: _iris_model(keras, n, 3))


def _scaled(features_of, fit_on):
    def preprocess(tr, te):
        scaler = StandardScaler().fit(fit_on(features_of(tr), features_of(te)))
        return scaler.transform(features_of(tr)), scaler.transform(features_of(te))
    return preprocess


def _train(tr, te):
    return tr


def _per_split(tr, te):
    scaler = StandardScaler()
    return scaler.fit_transform(_dummies(tr)), StandardScaler().fit_transform(_dummies(te))


def _numeric_only(tr, te):
    ftr, fte = _dummies(tr), _dummies(te)
    numeric = list(ref.CHURN_NUMERIC)
    scaler = StandardScaler().fit(ftr[numeric])
    ftr[numeric], fte[numeric] = scaler.transform(ftr[numeric]), scaler.transform(fte[numeric])
    return ftr.to_numpy(), fte.to_numpy()


def _sample_std(tr, te):
    ftr, fte = _dummies(tr).to_numpy(), _dummies(te).to_numpy()
    mean, std = ftr.mean(axis=0), ftr.std(axis=0, ddof=1)
    std[std == 0] = 1
    return (ftr - mean) / std, (fte - mean) / std


def _in_place(tr, te):
    result = ref.preprocess_churn(tr, te)
    tr.drop(columns=["Surname"], inplace=True)
    return result


@pytest.mark.parametrize("wrong, message", [
    (_scaled(_dummies, lambda a, b: pd.concat([a, b])), "training split only"),
    (_per_split, "never fit on the test"),
    (_scaled(lambda f: _dummies(f, keep_label=True), _train), "Exited"),
    (_scaled(lambda f: _dummies(f, drop_first=True), _train), "drop_first"),
    (_scaled(lambda f: _dummies(f, fixed=False), _train), "lacks|pd.Categorical"),
    (lambda tr, te: (_dummies(tr).to_numpy(), _dummies(te).to_numpy()), "mean 0"),
    (_numeric_only, "dummy columns too"),
    (_sample_std, "population std"),
    (_in_place, "modified the DataFrames"),
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

    def one_for_no_prediction(tp, fn, fp, tn):
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 0.0
        return p, r, 2 * p * r / (p + r) if p + r else 0.0

    with pytest.raises(AssertionError, match="denominator is 0"):
        check.check_metrics(ref.confusion_counts, one_for_no_prediction)

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

    def float_counts(y_true, y_pred):
        t = np.ravel(y_true).astype(float)
        p = np.ravel(y_pred).astype(float)
        return np.sum(t * p), np.sum(t * (1 - p)), np.sum((1 - t) * p), np.sum((1 - t) * (1 - p))

    with pytest.raises(AssertionError, match="should be an integer"):
        check.check_metrics(float_counts, ref.precision_recall_f1)

    def via_unique(y_true, y_pred):  # breaks when a class is missing from the predictions
        pairs = np.ravel(y_true).astype(int) * 2 + np.ravel(y_pred).astype(int)
        values, counts = np.unique(pairs, return_counts=True)
        if len(values) < 4:
            return tuple(int(c) for c in counts) + (0,) * (4 - len(values))
        tn, fp, fn, tp = counts
        return int(tp), int(fn), int(fp), int(tn)

    with pytest.raises(AssertionError, match="missing"):
        check.check_metrics(via_unique, ref.precision_recall_f1)


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
    (lambda y, s: _roc_loop(y, s, lambda s: np.sort(s)[::-1]), "distinct scores"),
])
def test_roc_mistakes(wrong, message):
    with pytest.raises(AssertionError, match=message):
        check.check_roc(wrong, ref.auc)


@pytest.mark.parametrize("wrong", [
    lambda f, t: float(np.sum(np.diff(f) * t[1:])),
    lambda f, t: float(np.sum(np.diff(f) * t[:-1])),
    lambda f, t: float(np.sum(t) / len(t)),
    lambda f, t: float(np.trapezoid(f, t)),
])
def test_auc_mistakes(wrong):
    with pytest.raises(AssertionError, match="trapezoid"):
        check.check_roc(ref.roc_points, wrong)


def test_pick_threshold_mistakes():
    def strict(y, s, target):
        y = np.asarray(y).astype(bool)
        for t in np.unique(s)[::-1]:
            if ((s > t) & y).sum() / y.sum() >= target:
                return t
        return s.min()

    def rounded(y, s, target):
        return round(ref.pick_threshold(y, s, target), 2)

    def grid(y, s, target):
        y = np.asarray(y).astype(bool)
        for t in np.linspace(1, 0, 101):
            if ((s >= t) & y).sum() / y.sum() >= target:
                return float(t)
        return 0.0

    def short(y, s, target):
        _, tpr, thresholds = ref.roc_points(y, s)
        for i in range(1, len(thresholds) - 1):
            if tpr[i] >= target:
                return float(thresholds[i])
        return float(thresholds[-2])

    def above(y, s, target):
        _, tpr, thresholds = ref.roc_points(y, s)
        return float(thresholds[np.argmax(tpr > target)])

    def lowest(y, s, target):
        return float(np.min(s))

    for wrong in (strict, rounded, grid, short, above, lowest):
        with pytest.raises(AssertionError, match="highest threshold"):
            check.check_pick_threshold(wrong)


def _pick_using_roc_points(roc_points):
    namespace = {"np": np, "roc_points": roc_points}
    exec("def pick_threshold(y, s, target):\n"
         "    _, tpr, thr = roc_points(y, s)\n"
         "    return float(thr[np.argmax(tpr >= target)])\n", namespace)
    return namespace


def test_pick_threshold_is_judged_alone_when_roc_points_is_wrong(capsys):
    def unsorted(y, s):
        fpr, tpr, thr = ref.roc_points(y, s)
        return fpr[::-1], tpr[::-1], thr[::-1]

    namespace = _pick_using_roc_points(unsorted)
    check.check_pick_threshold(namespace["pick_threshold"])
    assert "fix it in Task 5" in capsys.readouterr().out
    assert namespace["roc_points"] is unsorted  # put back

    namespace = _pick_using_roc_points(ref.roc_points)
    check.check_pick_threshold(namespace["pick_threshold"])
    assert "Task 5" not in capsys.readouterr().out

    namespace = {"np": np, "roc_points": unsorted}
    exec("def pick_threshold(y, s, target):\n"
         "    _, tpr, thr = roc_points(y, s)\n"
         "    return float(thr[np.argmax(tpr > target)])\n", namespace)  # > instead of >=
    with pytest.raises(AssertionError, match="highest threshold"):
        check.check_pick_threshold(namespace["pick_threshold"])
    assert namespace["roc_points"] is unsorted


# -- Task 7: a threshold for a required precision ----------------------------------------------

def _by_sklearn(y, s, min_precision):
    precision, _, thresholds = metrics.precision_recall_curve(y, s)
    ok = precision[:-1] >= min_precision
    return float(thresholds[ok][0]) if ok.any() else np.inf


def _by_products(y, s, min_precision):  # TP >= p * flagged instead of a ratio
    y = np.asarray(y) == 1
    for t in sorted(set(np.asarray(s).tolist())):
        flagged = np.asarray(s) >= t
        if (y & flagged).sum() >= min_precision * flagged.sum():
            return t
    return float("inf")


def _by_task_4(y, s, min_precision):  # reuses the earlier tasks, walking down
    best = np.inf
    for t in np.unique(s)[::-1]:
        precision, _, _ = ref.precision_recall_f1(*ref.confusion_counts(y, s >= t))
        if precision >= min_precision:
            best = t
    return best


@pytest.mark.parametrize("right", [_by_sklearn, _by_products, _by_task_4])
def test_threshold_for_precision_right_answers_pass(right):
    check.check_threshold_for_precision(right)


def _walk_up(y, s, min_precision, qualifies=lambda tp, n, p: tp / n >= p, positive=1,
             strict=False, none=np.inf):
    y = np.asarray(y) == positive
    s = np.asarray(s, dtype=float)
    for t in np.unique(s):
        flagged = s > t if strict else s >= t
        if flagged.any() and qualifies((y & flagged).sum(), flagged.sum(), min_precision):
            return float(t)
    return none(s) if callable(none) else none


def _highest(y, s, min_precision):
    y = np.asarray(y) == 1
    for t in np.unique(s)[::-1]:
        if (y & (s >= t)).sum() / (s >= t).sum() >= min_precision:
            return float(t)
    return np.inf


def _stops_at_first_failure(y, s, min_precision):
    y = np.asarray(y) == 1
    best = np.inf
    for t in np.unique(s)[::-1]:
        if (y & (s >= t)).sum() / (s >= t).sum() < min_precision:
            break
        best = float(t)
    return best


def _argmax_without_any(y, s, min_precision):
    precision, _, thresholds = metrics.precision_recall_curve(y, s)
    return float(thresholds[np.argmax(precision[:-1] >= min_precision)])


def _grid(y, s, min_precision):
    y = np.asarray(y) == 1
    for t in np.linspace(0, 1, 101):
        flagged = s >= t
        if flagged.any() and (y & flagged).sum() / flagged.sum() >= min_precision:
            return float(t)
    return np.inf


def _per_sample(y, s, min_precision):  # cumulative counts down a sort, ties split
    order = np.argsort(-np.asarray(s), kind="stable")
    tp = np.cumsum(np.asarray(y)[order] == 1)
    precision = tp / np.arange(1, len(order) + 1)
    ok = np.flatnonzero(precision >= min_precision)
    return float(np.asarray(s)[order][ok[-1]]) if len(ok) else np.inf


@pytest.mark.parametrize("wrong", [
    lambda y, s, p: _walk_up(y, s, p, positive=0),                       # the wrong class
    lambda y, s, p: _walk_up(y, s, p, qualifies=lambda tp, n, q: tp / n > q),   # > not >=
    lambda y, s, p: _walk_up(y, s, p, strict=True),                      # score > t
    lambda y, s, p: _walk_up(y, s, p, none=lambda s: float(s.max())),    # none: the top score
    lambda y, s, p: _walk_up(y, s, p, none=None),
    lambda y, s, p: _walk_up(y, s, p, none=1.0),
    lambda y, s, p: _walk_up(y, s, p, qualifies=lambda tp, n, q: tp / (n - tp or 1) >= q),
    lambda y, s, p: round(_by_sklearn(y, s, p), 2),
    _highest, _stops_at_first_failure, _argmax_without_any, _grid, _per_sample,
])
def test_threshold_for_precision_mistakes(wrong):
    with pytest.raises(AssertionError, match="threshold_for_precision"):
        check.check_threshold_for_precision(wrong)


def test_threshold_for_precision_names_a_broken_earlier_task():
    def recall_for_precision(tp, fn, fp, tn):
        p, r, f = ref.precision_recall_f1(tp, fn, fp, tn)
        return r, p, f

    namespace = {"np": np, "confusion_counts": ref.confusion_counts,
                 "precision_recall_f1": recall_for_precision}
    exec("def threshold_for_precision(y, s, p):\n"
         "    for t in np.unique(s):\n"
         "        if precision_recall_f1(*confusion_counts(y, s >= t))[0] >= p:\n"
         "            return float(t)\n"
         "    return np.inf\n", namespace)
    with pytest.raises(AssertionError, match="Task 4"):
        check.check_threshold_for_precision(namespace["threshold_for_precision"])
    namespace["precision_recall_f1"] = ref.precision_recall_f1
    check.check_threshold_for_precision(namespace["threshold_for_precision"])
