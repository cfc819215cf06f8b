"""Lab 17: the answer key against Keras and against the checks' stored literals; the visible
checks and the hidden tests accept the key's answers and reject typical wrong ones."""

import collections
import re
from pathlib import Path

import numpy as np
import pytest
from answer_key import sentiment as key

from dlcourse.checks import sentiment as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = (Path(__file__).resolve().parents[1]
            / "solutions/17-lstm-sentiment/17-lstm-sentiment.ipynb")


@pytest.fixture(scope="module")
def answers(keras):
    """The key's answers and the wrong answers students write."""

    def split_tail(texts, labels, val_fraction=0.2, seed=0):
        cut = len(texts) - int(round(val_fraction * len(texts)))
        return (texts[:cut], labels[:cut]), (texts[cut:], labels[cut:])

    def split_foreign(texts, labels, val_fraction=0.2, seed=0):
        n_val = int(round(val_fraction * len(texts)))
        other = np.array([f"a test review {i}" for i in range(n_val)], dtype=object)
        return (texts, labels), (other, labels[:n_val])

    def split_floor(texts, labels, val_fraction=0.2, seed=0):
        order = np.random.default_rng(seed).permutation(len(texts))
        n_val = int(val_fraction * len(texts))
        return ((texts[order[n_val:]], labels[order[n_val:]]),
                (texts[order[:n_val]], labels[order[:n_val]]))

    def split_fixed_seed(texts, labels, val_fraction=0.2, seed=0):
        return key.split_train_validation(texts, labels, val_fraction, 0)

    def split_unaligned(texts, labels, val_fraction=0.2, seed=0):
        (a, b), (c, d) = key.split_train_validation(texts, labels, val_fraction, seed)
        return (a, np.sort(b)), (c, np.sort(d))

    def split_lists(texts, labels, val_fraction=0.2, seed=0):
        (a, b), (c, d) = key.split_train_validation(texts, labels, val_fraction, seed)
        return (list(a), list(b)), (list(c), list(d))

    def split_in_place(texts, labels, val_fraction=0.2, seed=0):
        order = np.random.default_rng(seed).permutation(len(texts))
        texts[:], labels[:] = texts[order], labels[order]
        n_val = int(round(val_fraction * len(texts)))
        return (texts[n_val:], labels[n_val:]), (texts[:n_val], labels[:n_val])

    def vectorizer(adapt_on=None, **settings):
        def make(train_texts, max_tokens, sequence_length):
            options = dict(max_tokens=max_tokens, output_mode="int",
                           output_sequence_length=sequence_length)
            options.update(settings)
            layer = keras.layers.TextVectorization(**options)
            layer.adapt(train_texts if adapt_on is None else adapt_on(train_texts))
            return layer
        return make

    test_texts = np.array(["an entirely unseen test review about zombies", "zombies again",
                           "the worst zombies ever"], dtype=object)

    def model(bidirectional_merge="concat", mask_zero=True, loss="binary_crossentropy",
              lr=None, always_dropout=False, hidden=False, return_sequences=False,
              activation="sigmoid", dropout_first=False, metrics=("accuracy",)):
        def build(vocab_size, embed_dim=32, units=32, bidirectional=False, dropout=0.0,
                  learning_rate=1e-3):
            recurrent = keras.layers.LSTM(units, return_sequences=return_sequences)
            if bidirectional:
                recurrent = keras.layers.Bidirectional(recurrent, merge_mode=bidirectional_merge)
            layers = [keras.Input(shape=(None,), dtype="int32"),
                      keras.layers.Embedding(vocab_size, embed_dim, mask_zero=mask_zero)]
            if dropout_first and dropout > 0:
                layers.append(keras.layers.Dropout(dropout))
            layers.append(recurrent)
            if return_sequences:
                layers.append(keras.layers.GlobalAveragePooling1D())
            if (always_dropout or dropout > 0) and not dropout_first:
                layers.append(keras.layers.Dropout(dropout))
            if hidden:
                layers.append(keras.layers.Dense(64, activation="relu"))
            layers.append(keras.layers.Dense(1, activation=activation))
            m = keras.Sequential(layers)
            m.compile(optimizer=keras.optimizers.Adam(learning_rate=lr or learning_rate),
                      loss=loss, metrics=list(metrics))
            return m
        return build

    def predictor(rule):
        def predict(model, vectorizer, sentences, threshold=0.5):
            ids = vectorizer(np.array(sentences, dtype=object))
            raw = np.asarray(model.predict(ids, verbose=0), dtype=float)
            return rule(raw, threshold)
        return predict

    return dict(
        split=key.split_train_validation, split_tail=split_tail, split_foreign=split_foreign,
        split_floor=split_floor, split_fixed_seed=split_fixed_seed,
        split_unaligned=split_unaligned, split_lists=split_lists, split_in_place=split_in_place,
        vectorizer=key.make_vectorizer,
        vec_test=vectorizer(lambda t: np.concatenate([np.asarray(t, dtype=object), test_texts])),
        vec_no_length=vectorizer(output_sequence_length=None),
        vec_count=vectorizer(output_mode="count", output_sequence_length=None),
        vec_no_standardize=vectorizer(standardize=None),
        vec_fixed_tokens=lambda t, m, s: key.make_vectorizer(t, 10_000, s),
        model=key.build_lstm_model,
        no_mask=model(mask_zero=False), merge_sum=model(bidirectional_merge="sum"),
        merge_none=model(bidirectional_merge="ave"),
        logits=model(loss=keras.losses.BinaryCrossentropy(from_logits=True)),
        fixed_lr=model(lr=1e-3), always_dropout=model(always_dropout=True),
        hidden_dense=model(hidden=True), sequences=model(return_sequences=True),
        linear_output=model(activation="linear"), dropout_first=model(dropout_first=True),
        no_metric=model(metrics=()),
        mse=model(loss="mse"),
        predict=key.predict_sentiment,
        inverted=predictor(lambda p, t: (p.reshape(-1), (p.reshape(-1) < t).astype(int))),
        column=predictor(lambda p, t: (p, (p >= t).astype(int))),
        strict=predictor(lambda p, t: (p.reshape(-1), (p.reshape(-1) > t).astype(int))),
        float_labels=predictor(lambda p, t: (p.reshape(-1), (p.reshape(-1) >= t) * 1.0)),
        fixed_threshold=predictor(lambda p, t: (p.reshape(-1), (p.reshape(-1) >= 0.5)
                                                .astype(int))),
        negative=predictor(lambda p, t: (1 - p.reshape(-1), (p.reshape(-1) >= t).astype(int))),
    )


# -- the key against the stored literals and Keras ---------------------------------------------

def test_stored_splits_are_the_keys():
    for n, fraction, seed, val_idx, train_idx in check._SPLITS:
        texts = np.arange(n)
        (train, _), (val, _) = key.split_train_validation(texts, texts, fraction, seed)
        assert val.tolist() == val_idx and train.tolist() == train_idx
    n, val_idx, train_idx = check._DEFAULT_SPLIT
    (train, _), (val, _) = key.split_train_validation(np.arange(n), np.arange(n))
    assert val.tolist() == val_idx and train.tolist() == train_idx


def _counts(texts):
    return collections.Counter(w for t in texts for w in re.sub(r"[^\w\s]", "", t.lower()).split())


def test_stored_vectorizers_are_the_keys(keras):
    corpus = np.array(check._CORPUS, dtype=object)
    counts = _counts(check._CORPUS)
    for max_tokens, length, vocab, outputs in check._VECTORIZERS:
        layer = key.make_vectorizer(corpus, max_tokens, length)
        assert key.vocabulary(layer) == vocab
        assert key.vectorizer_outputs(layer, check._PROBES).tolist() == outputs
        kept = [counts[w] for w in vocab[2:]]
        dropped = [c for w, c in counts.items() if w not in vocab]
        assert kept == sorted(kept, reverse=True) and min(kept) > max(dropped)


def test_untied_cuts_agree_with_keras(keras):
    rng = np.random.default_rng(0)
    for _ in range(5):
        corpus = key.corpus(rng)
        max_tokens = key.untied_max_tokens(corpus, rng)
        counts = _counts(corpus)
        ranked = sorted(counts.values(), reverse=True)
        assert ranked[max_tokens - 3] > ranked[max_tokens - 2]
        layer = key.make_vectorizer(np.array(corpus, dtype=object), max_tokens, 5)
        want = {w for w, c in counts.items() if c >= ranked[max_tokens - 3]}
        assert set(key.vocabulary(layer)[2:]) == want


def test_stored_models_are_the_keys(keras):
    for args, kwargs, rows, lr, params in check._MODELS:
        model = key.build_lstm_model(*args, **kwargs)
        assert check._rows_match([check._layer_row(layer) for layer in model.layers], rows)
        assert key.n_params(model) == params == model.count_params()
        assert check._compile_info(model)[:2] == ("Adam", pytest.approx(lr))


@pytest.mark.parametrize("config", [(50, 8, 6, False), (40, 5, 3, True), (1000, 16, 32, True),
                                    (7, 2, 1, False)])
def test_parameter_count_formula(keras, config):
    assert key.expected_params(*config) == key.build_lstm_model(*config).count_params()


def test_masking_by_behaviour(keras):
    rng = np.random.default_rng(1)
    assert key.mask_gap(key.build_lstm_model(30, 4, 3, True), rng, 30) <= 1e-6
    keras.utils.set_random_seed(0)
    unmasked = keras.Sequential([keras.Input(shape=(None,), dtype="int32"),
                                 keras.layers.Embedding(30, 4), keras.layers.LSTM(3),
                                 keras.layers.Dense(1, activation="sigmoid")])
    assert key.mask_gap(unmasked, rng, 30) > 1e-5


def test_stored_predictions_are_the_scoring_models(keras):
    model, vectorizer = check.scoring_model(check._SCORES, check._VOCAB)
    for sentences, threshold, probabilities, labels in check._PREDICTIONS:
        got = key.reference_probabilities(check._SCORES, vectorizer, sentences)
        assert np.allclose(got, probabilities, atol=1e-12)
        assert ((got >= threshold).astype(int) == labels).all()
        p, y = key.predict_sentiment(model, vectorizer, sentences, threshold)
        assert np.allclose(p, probabilities, atol=1e-6) and (y == labels).all()
    assert 0.5 in check._PREDICTIONS[0][2]  # a probability exactly at the threshold


def test_key_scoring_model_matches_its_reference(keras):
    rng = np.random.default_rng(2)
    vectorizer = key.make_vectorizer(np.array(key.corpus(rng, 20), dtype=object), 14, 10)
    scores = rng.normal(size=len(vectorizer.get_vocabulary()))
    scores[0] = 0.0
    sentences = key.corpus(rng, 6, low=1, high=12)
    p, _ = key.predict_sentiment(key.scoring_model(scores), vectorizer, sentences)
    assert np.allclose(p, key.reference_probabilities(scores, vectorizer, sentences), atol=1e-6)


# -- visible checks ---------------------------------------------------------------------------

def test_key_passes_the_checks(answers, capsys):
    check.check_split_train_validation(answers["split"])
    check.check_make_vectorizer(answers["vectorizer"])
    check.check_build_lstm_model(answers["model"])
    check.check_predict_sentiment(answers["predict"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 4
    assert out.err == ""


@pytest.mark.parametrize("name, message", [
    ("split_tail", "not shuffled"),
    ("split_foreign", "never take them from the test set"),
    ("split_floor", "wrong sizes"),
    ("split_fixed_seed", "not the one asked for"),
    ("split_unaligned", "no longer belong"),
    ("split_lists", "should be a NumPy array"),
    ("split_in_place", "changed the arrays"),
])
def test_split_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_split_train_validation(answers[name])


@pytest.mark.parametrize("name, message", [
    ("vec_test", "adapt on train_texts only"),
    ("vec_no_length", "exactly 6 token ids"),
    ("vec_count", "output_mode='int'"),
    ("vec_no_standardize", "wrong vocabulary"),
    ("vec_fixed_tokens", "wrong vocabulary"),
])
def test_vectorizer_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_make_vectorizer(answers[name])


@pytest.mark.parametrize("name, message", [
    ("no_mask", "mask_zero=True"),
    ("merge_sum", "merge_mode='concat'"),
    ("merge_none", "merge_mode='concat'"),
    ("logits", "from_logits=True would apply a second"),
    ("fixed_lr", "learning rate given"),
    ("always_dropout", "only when dropout > 0"),
    ("hidden_dense", "wrong layers"),
    ("sequences", "wrong layers"),
    ("linear_output", "sigmoid"),
    ("dropout_first", "wrong layers"),
    ("no_metric", "report accuracy"),
    ("mse", "binary cross-entropy"),
])
def test_model_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_lstm_model(answers[name])


@pytest.mark.parametrize("name, message", [
    ("inverted", "inverted"),
    ("column", "one entry per sentence"),
    ("strict", "wrong labels"),
    ("float_labels", "integers"),
    ("fixed_threshold", "wrong labels"),
    ("negative", "wrong probabilities"),
])
def test_predict_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_predict_sentiment(answers[name])


# -- hidden tests -----------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(keras, cell_id, **answer):
    exec(_hidden(cell_id), {"np": np, "keras": keras, **answer})  # noqa: S102


CELLS = {"split": ("test_split_train_validation", "split_train_validation"),
         "vectorizer": ("test_make_vectorizer", "make_vectorizer"),
         "model": ("test_build_lstm_model", "build_lstm_model"),
         "predict": ("test_predict_sentiment", "predict_sentiment")}


@pytest.mark.parametrize("task", list(CELLS))
def test_hidden_tests_accept_the_key(keras, answers, task):
    cell_id, name = CELLS[task]
    _run_hidden(keras, cell_id, **{name: answers[task]})


@pytest.mark.parametrize("task, answer", [
    *[("split", w) for w in ("split_tail", "split_foreign", "split_floor", "split_fixed_seed",
                             "split_unaligned", "split_lists", "split_in_place")],
    *[("vectorizer", w) for w in ("vec_test", "vec_no_length", "vec_count",
                                  "vec_no_standardize", "vec_fixed_tokens")],
    *[("model", w) for w in ("no_mask", "merge_sum", "merge_none", "logits", "fixed_lr",
                             "always_dropout", "hidden_dense", "sequences", "linear_output",
                             "dropout_first", "no_metric", "mse")],
    *[("predict", w) for w in ("inverted", "column", "strict", "float_labels", "fixed_threshold",
                               "negative")],
])
def test_hidden_tests_reject_wrong_answers(keras, answers, task, answer):
    cell_id, name = CELLS[task]
    with pytest.raises(Exception):  # noqa: B017 - an assertion or the answer's own error
        _run_hidden(keras, cell_id, **{name: answers[answer]})
