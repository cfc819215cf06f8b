"""Reference answers of lab 17 (LSTM sentiment) and the helpers its hidden tests use.

The answers are ``split_train_validation``, ``make_vectorizer``, ``build_lstm_model`` and
``predict_sentiment``. Keras is imported only inside functions, so importing this module
is cheap. ``tests/test_sentiment.py`` checks the key against Keras and against the
stored cases of ``dlcourse/checks/sentiment.py``.
"""

from __future__ import annotations

import contextlib
import io
import warnings

import numpy as np


@contextlib.contextmanager
def _muted():
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        yield


# -- the lab's answers --------------------------------------------------------------------------

def split_train_validation(texts, labels, val_fraction=0.2, seed=0):
    """Shuffle with ``default_rng(seed).permutation``; the first round(fraction * n) shuffled
    indices are the validation set, the rest (in shuffled order) the training set."""
    texts, labels = np.asarray(texts, dtype=object), np.asarray(labels)
    order = np.random.default_rng(seed).permutation(len(texts))
    n_val = int(round(val_fraction * len(texts)))
    val, train = order[:n_val], order[n_val:]
    return (texts[train], labels[train]), (texts[val], labels[val])


def make_vectorizer(train_texts, max_tokens, sequence_length):
    """A TextVectorization layer (integer output, every sequence padded or cut to
    ``sequence_length``) adapted on ``train_texts`` only."""
    import keras

    vectorizer = keras.layers.TextVectorization(max_tokens=max_tokens, output_mode="int",
                                                output_sequence_length=sequence_length)
    vectorizer.adapt(np.asarray(train_texts, dtype=object))
    return vectorizer


def build_lstm_model(vocab_size, embed_dim=32, units=32, bidirectional=False, dropout=0.0,
                     learning_rate=1e-3):
    """Embedding(mask_zero) -> LSTM or Bidirectional(LSTM, concat) -> [Dropout] -> Dense(1,
    sigmoid), compiled with Adam, binary cross-entropy and accuracy."""
    import keras

    recurrent = keras.layers.LSTM(units)
    if bidirectional:
        recurrent = keras.layers.Bidirectional(recurrent, merge_mode="concat")
    layers = [keras.Input(shape=(None,), dtype="int32"),
              keras.layers.Embedding(vocab_size, embed_dim, mask_zero=True),
              recurrent]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout))
    layers.append(keras.layers.Dense(1, activation="sigmoid"))
    model = keras.Sequential(layers)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss="binary_crossentropy", metrics=["accuracy"])
    return model


def predict_sentiment(model, vectorizer, sentences, threshold=0.5):
    """``(probabilities, labels)``: P(positive) per sentence, shape (n,), and 1 where the
    probability is at least ``threshold``, else 0."""
    ids = vectorizer(np.asarray(list(sentences), dtype=object))
    probabilities = np.asarray(model.predict(ids, verbose=0), dtype=float).reshape(-1)
    labels = (probabilities >= threshold).astype(int)
    return probabilities, labels


# -- helpers for the hidden tests ---------------------------------------------------------------

WORDS = ("great", "awful", "plot", "acting", "boring", "film", "loved", "hated", "the",
         "a", "was", "superb", "dull", "music", "story", "ending", "not", "very", "fun",
         "mess", "brilliant", "weak", "cast", "script", "scenes")


def corpus(rng, n: int = 12, low: int = 3, high: int = 14) -> list[str]:
    """Random reviews made of WORDS with mixed case and punctuation."""
    texts = []
    for _ in range(n):
        words = [str(w) for w in rng.choice(WORDS, size=int(rng.integers(low, high)))]
        words = [w.upper() if rng.random() < 0.15 else w for w in words]
        texts.append(" ".join(words) + str(rng.choice([".", "!", "", " ?"])))
    return texts


def untied_max_tokens(texts, rng) -> int:
    """A ``max_tokens`` whose cut between kept and dropped words falls between two different
    counts (Keras breaks ties in its own order), with at least two words dropped."""
    import collections
    import re

    counts = collections.Counter(
        w for t in texts for w in re.sub(r"[^\w\s]", "", t.lower()).split())
    ranked = sorted(counts.values(), reverse=True)
    cuts = [k for k in range(2, len(ranked) - 1) if ranked[k - 1] > ranked[k]]
    return int(rng.choice(cuts)) + 2


def vectorizer_outputs(vectorizer, texts) -> np.ndarray:
    """The layer's integer output for ``texts`` as a plain int array."""
    with _muted():
        out = vectorizer(np.asarray(texts, dtype=object))
    array = np.array(out, dtype=np.int64, subok=False, copy=True)
    assert type(array) is np.ndarray
    return array


def vocabulary(vectorizer) -> list[str]:
    return [str(w) for w in vectorizer.get_vocabulary()]


def _plain(value, kind):
    assert type(value) is kind, f"expected {kind.__name__}, got {type(value).__name__}"
    return value


def describe(model) -> tuple:
    """What the task fixes about a model, as plain values: layer classes and settings in
    order, the optimizer class and learning rate (rounded), the loss and its from_logits,
    the metric names."""
    import keras

    rows = []
    for layer in model.layers:
        kind = type(layer)
        assert kind.__module__.startswith("keras.src.layers"), kind.__module__
        name = kind.__name__
        if name == "Embedding":
            rows.append((name, int(layer.input_dim), int(layer.output_dim),
                         bool(layer.mask_zero)))
        elif name == "LSTM":
            rows.append((name, int(layer.units), bool(layer.return_sequences),
                         _plain(layer.activation.__name__, str)))
        elif name == "Bidirectional":
            inner = layer.forward_layer
            rows.append((name, type(inner).__name__, int(inner.units),
                         bool(inner.return_sequences), str(layer.merge_mode)))
        elif name == "Dropout":
            rows.append((name, round(float(layer.rate), 9)))
        elif name == "Dense":
            rows.append((name, int(layer.units), _plain(layer.activation.__name__, str)))
        else:
            rows.append((name,))
    config = model.get_compile_config() or {}
    optimizer = model.optimizer
    lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    loss = config.get("loss")
    if isinstance(loss, dict):
        loss = (loss.get("class_name"), bool(loss.get("config", {}).get("from_logits")))
    else:
        loss = (str(loss), False)
    if loss[0] in ("BinaryCrossentropy", "binary_crossentropy"):
        loss = ("binary_crossentropy", loss[1])
    metrics = []
    for metric in config.get("metrics") or []:
        if isinstance(metric, dict):
            metric = metric.get("config", {}).get("name")
        metrics.append(str(metric))
    return (tuple(rows), type(optimizer).__name__, round(lr, 9), loss, tuple(metrics))


def mask_gap(model, rng, vocab_size: int) -> float:
    """Largest difference between the model's outputs for sequences padded with zeros at
    the end and the same sequences without the padding (0 when the mask reaches the LSTM)."""
    gaps = []
    with _muted():
        for length in (3, 5):
            ids = rng.integers(1, vocab_size, size=(2, length)).astype("int32")
            padded = np.concatenate([ids, np.zeros((2, 6), dtype="int32")], axis=1)
            a = np.asarray(model(ids, training=False), dtype=float)
            b = np.asarray(model(padded, training=False), dtype=float)
            gaps.append(float(np.max(np.abs(a - b))))
    return max(gaps)


def n_params(model) -> int:
    return int(sum(int(np.prod(w.shape)) for w in model.weights))


def expected_params(vocab_size, embed_dim, units, bidirectional) -> int:
    lstm = 4 * units * (embed_dim + units + 1)
    directions = 2 if bidirectional else 1
    return vocab_size * embed_dim + directions * lstm + directions * units + 1


def scoring_model(scores):
    """A Keras model that turns token ids into P(positive) = sigmoid(mean score of the
    non-padding tokens): an Embedding of fixed one-number scores (row 0 for padding),
    masked average pooling, and Dense(1, sigmoid) with weight 1 and bias 0."""
    import keras

    scores = np.asarray(scores, dtype="float32").reshape(-1, 1)
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(len(scores), 1, mask_zero=True),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.layers[0].set_weights([scores])
    model.layers[2].set_weights([np.ones((1, 1), "float32"), np.zeros(1, "float32")])
    return model


def reference_probabilities(scores, vectorizer, sentences) -> np.ndarray:
    """What ``scoring_model(scores)`` gives for ``sentences``, in plain NumPy."""
    ids = vectorizer_outputs(vectorizer, sentences)
    scores = np.asarray(scores, dtype=float)
    out = []
    for row in ids:
        kept = [scores[i] for i in row if i != 0]
        mean = sum(kept) / len(kept) if kept else 0.0
        out.append(1.0 / (1.0 + np.exp(-mean)))
    return np.array(out)


def prediction(result):
    """``(probabilities, labels)`` from a student's return value, as plain arrays with
    exact type checks."""
    assert type(result) in (tuple, list) and len(result) == 2, type(result).__name__
    probabilities, labels = result
    assert isinstance(probabilities, np.ndarray) and isinstance(labels, np.ndarray)
    assert labels.dtype.kind in "iu", labels.dtype
    probabilities = np.array(probabilities, dtype=float, subok=False, copy=True)
    labels = np.array(labels, dtype=np.int64, subok=False, copy=True)
    return probabilities, labels
