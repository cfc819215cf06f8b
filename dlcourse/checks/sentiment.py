"""Checks for lab 17 (LSTM sentiment): stored cases and properties, never an answer.

Every expected value below is a literal: split indices worked out once, a vectorizer's
vocabulary and outputs on a five-review corpus, the layers and parameter counts of the
models the task asks for, and the probabilities of a fixed scoring model. Keras is
imported inside the functions that need it.
"""

from __future__ import annotations

import math

import numpy as np

from dlcourse.checks.core import call, close, fail, passed, quiet

# -- Task 1: split_train_validation -------------------------------------------------------------

# (n, val_fraction, seed, validation indices, training indices): default_rng(seed).permutation(n),
# the first round(val_fraction * n) indices for validation, worked out once and pasted here.
_SPLITS = (
    (10, 0.3, 3, [9, 6, 0], [2, 1, 4, 7, 5, 3, 8]),
    (7, 0.5, 11, [3, 1, 4, 5], [2, 0, 6]),
)
_DEFAULT_SPLIT = (20, [4, 19, 6, 2],
                  [13, 16, 3, 11, 10, 8, 0, 12, 7, 5, 18, 17, 14, 9, 1, 15])


def _reviews(n):
    """``n`` made-up reviews sorted by class, as the IMDB loader returns them."""
    texts = np.array([f"review number {i}: " + ("dull" if i < n // 2 else "lovely")
                      for i in range(n)], dtype=object)
    labels = np.array([0] * (n // 2) + [1] * (n - n // 2), dtype=np.int64)
    return texts, labels


def _split_parts(result, task, shown):
    __tracebackhide__ = True
    try:
        (train_texts, train_labels), (val_texts, val_labels) = result
    except (TypeError, ValueError):
        fail(task, f"{shown} should return ((train_texts, train_labels), "
             "(val_texts, val_labels))", "two pairs", type(result).__name__)
    parts = []
    for what, value in (("train_texts", train_texts), ("train_labels", train_labels),
                        ("val_texts", val_texts), ("val_labels", val_labels)):
        if not isinstance(value, np.ndarray):
            fail(task, f"{shown}: {what} should be a NumPy array", "numpy.ndarray",
                 type(value).__name__, "index the arrays with the shuffled indices: "
                 "texts[indices], labels[indices]")
        parts.append([str(v) for v in value.tolist()] if "texts" in what
                     else [int(v) for v in value.tolist()])
    return parts


def _expect_split(result, texts, labels, val_idx, train_idx, task, shown):
    __tracebackhide__ = True
    train_texts, train_labels, val_texts, val_labels = _split_parts(result, task, shown)
    given = [str(t) for t in texts.tolist()]
    position = {t: i for i, t in enumerate(given)}
    strangers = [t for t in val_texts + train_texts if t not in position]
    if strangers:
        fail(task, f"{shown}: some returned reviews are not among the reviews given",
             "only reviews from `texts`", strangers[0], "validation data come from the "
             "training reviews passed in; never take them from the test set")
    if len(val_texts) != len(val_idx) or len(train_texts) != len(train_idx):
        fail(task, f"{shown}: wrong sizes", f"{len(val_idx)} validation and {len(train_idx)} "
             "training reviews", f"{len(val_texts)} and {len(train_texts)}",
             "n_val = int(round(val_fraction * len(texts))); every other review trains")
    for part, part_labels, what in ((val_texts, val_labels, "validation"),
                                    (train_texts, train_labels, "training")):
        wrong = [t for t, y in zip(part, part_labels, strict=True)
                 if y != int(labels[position[t]])]
        if wrong:
            fail(task, f"{shown}: the {what} labels no longer belong to their reviews",
                 f"the label of {wrong[0]!r}: {int(labels[position[wrong[0]]])}", "another",
                 "index texts and labels with the same indices")
    got_val = [position[t] for t in val_texts]
    got_train = [position[t] for t in train_texts]
    if got_val != list(val_idx) or got_train != list(train_idx):
        hint = ("order = np.random.default_rng(seed).permutation(len(texts)); validation = "
                "order[:n_val], training = order[n_val:]")
        if got_val == list(range(len(given) - len(val_idx), len(given))):
            hint = ("the validation set is the last reviews, not shuffled: the IMDB loader "
                    "sorts reviews by class, so it would hold only positive ones. " + hint)
        fail(task, f"{shown}: the split is not the one asked for (as positions in `texts`)",
             {"validation": list(val_idx), "training": list(train_idx)},
             {"validation": got_val, "training": got_train}, hint)


@quiet
def check_split_train_validation(split_train_validation) -> None:
    __tracebackhide__ = True
    task = "split_train_validation"
    for n, fraction, seed, val_idx, train_idx in _SPLITS:
        texts, labels = _reviews(n)
        kept_texts, kept_labels = texts.copy(), labels.copy()
        shown = f"split_train_validation(texts of {n} reviews, labels, {fraction}, seed={seed})"
        result = call(split_train_validation, texts, labels, fraction, seed=seed, task=task,
                      name="split_train_validation")
        if texts.tolist() != kept_texts.tolist() or labels.tolist() != kept_labels.tolist():
            fail(task, f"{shown} changed the arrays it was given",
                 hint="shuffle a permutation of the indices, not texts and labels in place")
        _expect_split(result, texts, labels, val_idx, train_idx, task, shown)
    n, val_idx, train_idx = _DEFAULT_SPLIT
    texts, labels = _reviews(n)
    result = call(split_train_validation, texts, labels, task=task,
                  name="split_train_validation")
    _expect_split(result, texts, labels, val_idx, train_idx, task,
                  f"split_train_validation(texts of {n} reviews, labels) with the defaults")
    passed(task, "a seeded shuffle of the training reviews, the first part for validation")


# -- Task 2: make_vectorizer --------------------------------------------------------------------

_CORPUS = ("The plot was great, the acting was GREAT!", "A boring plot. Boring, boring acting.",
           "great music; the ending was a mess", "The cast was great and the plot was fun",
           "boring? not at all: a great film")
_PROBES = ("the GREAT plot", "a film with a great cast and a boring plot and more",
           "unknown words only")
# (max_tokens, sequence_length, vocabulary, outputs for _PROBES), from Keras 3's
# TextVectorization adapted on _CORPUS; each cut between kept and dropped words falls
# between two different word counts.
_VECTORIZERS = (
    (8, 6, ["", "[UNK]", "was", "the", "great", "boring", "plot", "a"],
     [[3, 4, 6, 0, 0, 0], [7, 1, 1, 7, 4, 1], [1, 1, 1, 0, 0, 0]]),
    (9, 4, ["", "[UNK]", "was", "the", "great", "boring", "plot", "a", "acting"],
     [[3, 4, 6, 0], [7, 1, 1, 7], [1, 1, 1, 0]]),
)
_TEST_TEXTS = ("a completely different review that was never seen", "the cast the cast")


@quiet
def check_make_vectorizer(make_vectorizer) -> None:
    __tracebackhide__ = True
    import keras

    task = "make_vectorizer"
    for max_tokens, length, vocab, outputs in _VECTORIZERS:
        shown = f"make_vectorizer(corpus, max_tokens={max_tokens}, sequence_length={length})"
        corpus = np.array(_CORPUS, dtype=object)
        layer = call(make_vectorizer, corpus, max_tokens, length, task=task,
                     name="make_vectorizer")
        if not isinstance(layer, keras.layers.TextVectorization):
            fail(task, f"{shown} should return a keras.layers.TextVectorization layer",
                 "TextVectorization", type(layer).__name__)
        got_vocab = [str(w) for w in layer.get_vocabulary()]
        if got_vocab != vocab:
            hint = ("max_tokens counts every entry of the vocabulary, padding '' and "
                    "'[UNK]' included; adapt the layer on train_texts")
            extra = [w for w in got_vocab if w not in
                     " ".join(_CORPUS).lower().replace(",", " ").replace(".", " ").split()
                     + ["", "[UNK]"]]
            if extra:
                hint = (f"the vocabulary holds {extra[0]!r}, a word that is not in the texts "
                        "given: adapt on train_texts only, never on test or other text")
            elif got_vocab[:1] != [""]:
                hint = ("no padding entry '' at id 0: use output_mode='int', which keeps id 0 "
                        "for padding and id 1 for unknown words")
            elif not got_vocab[2:]:
                hint = "the layer learned no words: call layer.adapt(train_texts)"
            fail(task, f"{shown}: wrong vocabulary", vocab, got_vocab, hint)
        try:
            got = np.array(layer(np.array(_PROBES, dtype=object)), dtype=np.int64)
        except Exception as exc:
            fail(task, f"calling the layer of {shown} on new texts raised "
                 f"{type(exc).__name__}: {exc}")
        if got.shape != (len(_PROBES), length):
            fail(task, f"{shown}: every text should become exactly {length} token ids",
                 f"shape ({len(_PROBES)}, {length})", f"shape {got.shape}",
                 "output_sequence_length=sequence_length pads short texts with 0 and cuts "
                 "long ones, so training, validation and test get the same length")
        if not close(got, outputs, atol=0, rtol=0):
            fail(task, f"{shown}: wrong token ids for {list(_PROBES)}", np.array(outputs),
                 got, "integer output (output_mode='int'), the default standardisation "
                 "(lower case, no punctuation) and whitespace split")
    # Adapting on other text must not change an existing layer's vocabulary.
    layer = call(make_vectorizer, np.array(_TEST_TEXTS, dtype=object), 6, 3, task=task,
                 name="make_vectorizer")
    got_vocab = [str(w) for w in layer.get_vocabulary()]
    if got_vocab[:2] != ["", "[UNK]"] or got_vocab[2:4] != ["the", "cast"]:
        fail(task, "make_vectorizer(two other texts, 6, 3): the vocabulary should come from "
             "those texts", ["", "[UNK]", "the", "cast", "..."], got_vocab,
             "create a new layer on every call and adapt it on train_texts")
    passed(task, "a TextVectorization adapted on the given texts, fixed-length output")


# -- Task 3: build_lstm_model ------------------------------------------------------------------

# (args, kwargs, layers as (class, settings...), learning rate, number of weights)
_MODELS = (
    ((50,), dict(embed_dim=8, units=6), [("Embedding", 50, 8, True), ("LSTM", 6),
                                         ("Dense", 1, "sigmoid")], 0.001, 767),
    ((40, 5, 3), dict(bidirectional=True, dropout=0.25, learning_rate=0.005),
     [("Embedding", 40, 5, True), ("Bidirectional", 3, "concat"), ("Dropout", 0.25),
      ("Dense", 1, "sigmoid")], 0.005, 423),
    ((30,), {}, [("Embedding", 30, 32, True), ("LSTM", 32), ("Dense", 1, "sigmoid")],
     0.001, 9313),
    ((60, 4, 5, False, 0.5, 0.02), {}, [("Embedding", 60, 4, True), ("LSTM", 5),
                                        ("Dropout", 0.5), ("Dense", 1, "sigmoid")], 0.02, 446),
)


def _layer_row(layer):
    name = type(layer).__name__
    if name == "Embedding":
        return (name, layer.input_dim, layer.output_dim, bool(layer.mask_zero))
    if name == "LSTM":
        return (name, layer.units)
    if name == "Bidirectional":
        inner = layer.forward_layer
        return (name, getattr(inner, "units", None), layer.merge_mode)
    if name == "Dropout":
        return (name, float(layer.rate))
    if name == "Dense":
        return (name, layer.units, getattr(layer.activation, "__name__", str(layer.activation)))
    return (name,)


def _rows_match(got, want):
    if len(got) != len(want):
        return False
    for g, w in zip(got, want, strict=True):
        if len(g) != len(w) or g[0] != w[0]:
            return False
        for a, b in zip(g[1:], w[1:], strict=True):
            if isinstance(b, float):
                if not (isinstance(a, int | float) and math.isclose(a, b, abs_tol=1e-9)):
                    return False
            elif a != b:
                return False
    return True


def _row_hint(got, want):
    for g, w in zip(got, want, strict=False):
        if g[0] == "Embedding" == w[0] and g[3] != w[3]:
            return ("Embedding(..., mask_zero=True): without the mask the LSTM reads the "
                    "padding zeros as words")
        if g[0] == "Bidirectional" == w[0] and g[2] != w[2]:
            return ("Bidirectional(LSTM(units), merge_mode='concat'): both directions' "
                    "outputs side by side (2 x units values), not added or averaged")
        if g[0] == "Dense" == w[0] and g[1:] != w[1:]:
            return "one output unit with a sigmoid: the probability that a review is positive"
    if len(got) != len(want):
        return ("a Dropout layer only when dropout > 0, after the recurrent layer; no other "
                "layers")
    return "Embedding -> LSTM (or Bidirectional(LSTM)) -> Dropout if dropout > 0 -> Dense"


def _compile_info(model):
    import keras

    config = model.get_compile_config() or {}
    loss = config.get("loss")
    if isinstance(loss, dict):
        name = loss.get("class_name")
        logits = bool(loss.get("config", {}).get("from_logits"))
    else:
        name, logits = str(loss), False
    metrics = [m.get("config", {}).get("name") if isinstance(m, dict) else str(m)
               for m in (config.get("metrics") or [])]
    optimizer = model.optimizer
    lr = float(keras.ops.convert_to_numpy(optimizer.learning_rate)) if optimizer else None
    return type(optimizer).__name__, lr, name, logits, metrics


@quiet
def check_build_lstm_model(build_lstm_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_lstm_model"
    rng = np.random.default_rng(17)
    for args, kwargs, rows, lr, params in _MODELS:
        shown = "build_lstm_model(" + ", ".join(
            [*map(repr, args), *(f"{k}={v!r}" for k, v in kwargs.items())]) + ")"
        model = call(build_lstm_model, *args, task=task, name="build_lstm_model", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "keras.Model",
                 type(model).__name__)
        got_rows = [_layer_row(layer) for layer in model.layers]
        if not _rows_match(got_rows, rows):
            fail(task, f"{shown}: wrong layers", rows, got_rows, _row_hint(got_rows, rows))
        recurrent = model.layers[1]
        inner = getattr(recurrent, "forward_layer", recurrent)
        if inner.return_sequences or getattr(inner.activation, "__name__", "") != "tanh":
            fail(task, f"{shown}: the LSTM should return its last output only, with its "
                 "default activations", "return_sequences=False, activation='tanh'",
                 f"return_sequences={inner.return_sequences}, activation="
                 f"{getattr(inner.activation, '__name__', inner.activation)}")
        optimizer, got_lr, loss, logits, metrics = _compile_info(model)
        if optimizer != "Adam" or got_lr is None or not math.isclose(got_lr, lr, rel_tol=1e-6):
            fail(task, f"{shown}: the model should be compiled with Adam at the learning "
                 "rate given", f"Adam, learning_rate={lr}", f"{optimizer}, {got_lr}",
                 "optimizer=keras.optimizers.Adam(learning_rate=learning_rate)")
        if loss not in ("binary_crossentropy", "BinaryCrossentropy") or logits:
            fail(task, f"{shown}: a sigmoid output needs binary cross-entropy on "
                 "probabilities", "loss='binary_crossentropy' (from_logits=False)",
                 f"{loss}, from_logits={logits}", "from_logits=True would apply a second "
                 "sigmoid to outputs that already are probabilities")
        if "accuracy" not in metrics:
            fail(task, f"{shown}: the model should report accuracy", "metrics=['accuracy']",
                 metrics)
        n = int(sum(int(np.prod(w.shape)) for w in model.weights))
        if n != params:
            fail(task, f"{shown}: wrong number of weights", params, n,
                 "no extra layers, use_bias left on, embed_dim and units as given")
        ids = rng.integers(1, args[0], size=(3, 4)).astype("int32")
        padded = np.concatenate([ids, np.zeros((3, 5), dtype="int32")], axis=1)
        try:
            short = np.array(model(ids, training=False), dtype=float)
            long = np.array(model(padded, training=False), dtype=float)
        except Exception as exc:
            fail(task, f"calling the model of {shown} on token ids raised "
                 f"{type(exc).__name__}: {exc}")
        if short.shape != (3, 1):
            fail(task, f"{shown}: one probability per review", "shape (3, 1)",
                 f"shape {short.shape}")
        if not close(short, long, atol=1e-5, rtol=0):
            fail(task, f"{shown}: 4 token ids and the same 4 ids followed by 5 padding zeros "
                 "give different outputs", short.ravel(), long.ravel(),
                 "the padding must be masked all the way to the LSTM: mask_zero=True in the "
                 "Embedding, and only layers that pass the mask on in between")
    passed(task, "layers, settings, compile and masking as asked")


# -- Task 4: predict_sentiment ----------------------------------------------------------------

_VOCAB = ["", "[UNK]", "great", "awful", "film", "loved", "boring", "plot", "not", "fun"]
_SCORES = [0.0, 0.0, 2.0, -2.0, 0.0, 1.5, -1.0, 0.0, -0.5, 1.0]
# (sentences, threshold, probabilities, labels): sigmoid of the mean score of each sentence's
# tokens (unknown words score 0), worked out by hand.
_PREDICTIONS = (
    (["A great film!", "awful plot", "great awful", "Loved it, great fun."], 0.5,
     [0.6607563687658172, 0.2689414213699951, 0.5, 0.7549149868676283], [1, 0, 1, 1]),
    (["boring film", "not fun at all", "loved the plot", "great great great"], 0.7,
     [0.3775406687981454, 0.5312093733737563, 0.6224593312018546, 0.8807970779778823],
     [0, 0, 0, 1]),
)


def scoring_model(scores, vocabulary):
    """A fixed model for the check: P(positive) = sigmoid(mean score of the sentence's
    tokens), and a TextVectorization with a given vocabulary (not adapted)."""
    import keras

    vectorizer = keras.layers.TextVectorization(vocabulary=vocabulary[2:], output_mode="int",
                                                output_sequence_length=8)
    table = np.asarray(scores, dtype="float32").reshape(-1, 1)
    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int64"),
        keras.layers.Embedding(len(table), 1, mask_zero=True),
        keras.layers.GlobalAveragePooling1D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.layers[0].set_weights([table])
    model.layers[2].set_weights([np.ones((1, 1), "float32"), np.zeros(1, "float32")])
    return model, vectorizer


@quiet
def check_predict_sentiment(predict_sentiment) -> None:
    __tracebackhide__ = True
    task = "predict_sentiment"
    model, vectorizer = scoring_model(_SCORES, _VOCAB)
    for sentences, threshold, probabilities, labels in _PREDICTIONS:
        args = (model, vectorizer, sentences)
        shown = f"predict_sentiment(model, vectorizer, {sentences}"
        if threshold == 0.5:
            result = call(predict_sentiment, *args, task=task, name="predict_sentiment")
            shown += ")"
        else:
            result = call(predict_sentiment, *args, threshold=threshold, task=task,
                          name="predict_sentiment")
            shown += f", threshold={threshold})"
        try:
            got_p, got_y = result
        except (TypeError, ValueError):
            fail(task, f"{shown} should return (probabilities, labels)", "two arrays",
                 type(result).__name__)
        for what, value in (("probabilities", got_p), ("labels", got_y)):
            if not isinstance(value, np.ndarray):
                fail(task, f"{shown}: {what} should be a NumPy array", "numpy.ndarray",
                     type(value).__name__)
            if value.shape != (len(sentences),):
                fail(task, f"{shown}: {what} should have one entry per sentence",
                     f"shape ({len(sentences)},)", f"shape {value.shape}",
                     "model.predict returns shape (n, 1): .reshape(-1) or [:, 0]")
        if got_y.dtype.kind not in "iu":
            fail(task, f"{shown}: labels should be integers 0 and 1", "an int array",
                 f"dtype {got_y.dtype}", ".astype(int)")
        if not close(got_p, probabilities, atol=1e-5, rtol=0):
            fail(task, f"{shown}: wrong probabilities", np.array(probabilities), got_p,
                 "vectorize the sentences with the vectorizer, then model.predict; the "
                 "model's sigmoid output is already P(positive)")
        if not close(got_y, labels, atol=0, rtol=0):
            hint = "label 1 (positive) where the probability is >= threshold, else 0"
            if close(got_y, [1 - v for v in labels], atol=0, rtol=0):
                hint = "the labels are inverted: 1 means positive, high probability"
            fail(task, f"{shown}: wrong labels (probabilities {probabilities})",
                 np.array(labels), got_y, hint)
    passed(task, "probabilities and labels, one per sentence")
