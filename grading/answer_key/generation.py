"""Reference answers of lab 18 (character-level text generation) and the helpers its hidden
tests use.

The tasks: ``split_input_target`` (input and target shifted by one), ``make_sequences``
(windows of ``seq_length + 1`` ids every ``stride`` ids, as a ``tf.data.Dataset``),
``perplexity`` (exp of the mean cross-entropy, from logits), ``build_model`` (Embedding ->
GRU -> Dense logits), ``sample_with_temperature`` (NumPy), ``gru_step`` (one character
through the model, carrying the GRU state) and ``generate``. ``tests/test_generation.py``
checks them against Keras. TensorFlow and Keras are imported only when first used.
"""

from __future__ import annotations

import numpy as np

# -- Task 1 and 2: inputs and targets -----------------------------------------------------------


def split_input_target(sequence):
    """``(sequence[:-1], sequence[1:])``: the target is the input shifted by one."""
    return sequence[:-1], sequence[1:]


def sequence_windows(n_ids: int, seq_length: int, stride: int) -> list[int]:
    """The start of every window of ``seq_length + 1`` ids that fits in ``n_ids`` ids."""
    return list(range(0, n_ids - seq_length, stride))


def make_sequences(ids, seq_length: int, stride: int):
    """A ``tf.data.Dataset`` of ``(input, target)`` pairs of ``seq_length`` ids each, one per
    window ``ids[s : s + seq_length + 1]`` with ``s = 0, stride, 2 * stride, ...``."""
    import tensorflow as tf

    ids = np.asarray(ids)
    starts = np.array(sequence_windows(len(ids), seq_length, stride), dtype=np.int64)
    windows = ids[starts[:, None] + np.arange(seq_length + 1)]
    return tf.data.Dataset.from_tensor_slices(windows).map(split_input_target)


def dataset_pairs(dataset) -> list[tuple[list[int], list[int]]]:
    """Every ``(input, target)`` element of a dataset as two lists of Python ints."""
    pairs = []
    for element in dataset:
        assert len(element) == 2, "each element should be an (input, target) pair"
        x, y = element
        x, y = np.asarray(x), np.asarray(y)
        assert np.issubdtype(x.dtype, np.integer) and np.issubdtype(y.dtype, np.integer)
        pairs.append(([int(v) for v in x.ravel()], [int(v) for v in y.ravel()]))
        assert x.ndim == 1 and y.ndim == 1, "each input and target should be 1-D"
    return pairs


def expected_pairs(ids, seq_length: int, stride: int) -> list[tuple[list[int], list[int]]]:
    ids = [int(v) for v in ids]
    return [(ids[s:s + seq_length], ids[s + 1:s + seq_length + 1])
            for s in sequence_windows(len(ids), seq_length, stride)]


# -- Task 3: perplexity ------------------------------------------------------------------------

def cross_entropies(logits, targets) -> np.ndarray:
    """Per-position cross-entropy in nats, from logits, by the log-sum-exp trick."""
    z = np.asarray(logits, dtype=float)
    t = np.asarray(targets).astype(np.int64)
    z = z - z.max(axis=-1, keepdims=True)
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    return -np.take_along_axis(log_p, t[..., None], axis=-1)[..., 0]


def perplexity(logits, targets) -> float:
    """exp of the mean cross-entropy of the targets under softmax(logits)."""
    return float(np.exp(cross_entropies(logits, targets).mean()))


# -- Task 4: the model -------------------------------------------------------------------------

def build_model(vocab_size: int, embedding_dim: int, units: int, learning_rate: float = 1e-3):
    import keras

    model = keras.Sequential([
        keras.Input(shape=(None,), dtype="int32"),
        keras.layers.Embedding(vocab_size, embedding_dim),
        keras.layers.GRU(units, return_sequences=True),
        keras.layers.Dense(vocab_size),
    ])
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def model_layers(model) -> list:
    """The model's layers without its InputLayer."""
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def settings(model) -> dict:
    """What the build_model task fixes, read from a compiled model."""
    import keras

    layers = model_layers(model)
    described = []
    for layer in layers:
        kind = type(layer).__name__
        if type(layer) is keras.layers.Embedding:
            described.append((kind, int(layer.input_dim), int(layer.output_dim),
                              bool(layer.mask_zero)))
        elif type(layer) is keras.layers.GRU:
            described.append((kind, int(layer.units), bool(layer.return_sequences),
                              bool(layer.return_state), bool(layer.stateful),
                              bool(layer.go_backwards), layer.activation.__name__,
                              layer.recurrent_activation.__name__))
        elif type(layer) is keras.layers.Dense:
            described.append((kind, int(layer.units), layer.activation.__name__))
        else:
            described.append((kind,))
    loss = model.loss
    if isinstance(loss, keras.losses.Loss):
        loss_desc = (type(loss).__name__, bool(loss.get_config().get("from_logits", False)))
    else:
        loss_desc = (repr(loss), False)
    optimizer = model.optimizer
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate)) if optimizer else None
    return dict(layers=described, loss=loss_desc,
                optimizer=type(optimizer).__name__ if optimizer else None,
                learning_rate=round(rate, 9) if rate is not None else None)


def parameter_count(vocab_size: int, embedding_dim: int, units: int) -> int:
    """Embedding + GRU (reset_after: two bias vectors) + Dense."""
    gru = 3 * (embedding_dim * units + units * units + 2 * units)
    return vocab_size * embedding_dim + gru + units * vocab_size + vocab_size


# -- Task 5: sampling --------------------------------------------------------------------------

def temperature_probabilities(logits, temperature: float) -> np.ndarray:
    z = np.asarray(logits, dtype=float) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=-1, keepdims=True)


def sample_with_temperature(logits, temperature: float, rng):
    """One id from softmax(logits / temperature) per row, drawn with ``rng`` (inverse CDF);
    temperature 0 gives the argmax. 1-D logits -> int; (n, V) -> int array (n,)."""
    z = np.asarray(logits, dtype=float)
    if temperature == 0:
        ids = np.argmax(z, axis=-1)
    else:
        p = temperature_probabilities(z, temperature)
        u = rng.random(z.shape[:-1] if z.ndim > 1 else None)
        below = np.cumsum(p, axis=-1) < np.asarray(u)[..., None]
        ids = np.minimum(below.sum(axis=-1), z.shape[-1] - 1)
    return int(ids) if z.ndim == 1 else np.asarray(ids, dtype=np.int64)


# -- Task 6 and 7: one character at a time, generation ------------------------------------------

def gru_step(model, ids, state):
    """Feed one id per sequence; return (logits, new state) as float32 NumPy arrays."""
    import keras

    embedding, gru, dense = model_layers(model)
    ids = np.asarray(ids).reshape(-1)
    if state is None:
        state = np.zeros((len(ids), gru.units), dtype="float32")
    x = embedding(ids)
    h, _ = gru.cell(x, [np.asarray(state, dtype="float32")])
    return keras.ops.convert_to_numpy(dense(h)), keras.ops.convert_to_numpy(h)


def generate(model, start_ids, n: int, temperature: float, rng) -> np.ndarray:
    state, logits = None, None
    for i in start_ids:
        logits, state = gru_step(model, np.array([i]), state)
    out = []
    for k in range(n):
        next_id = sample_with_temperature(logits[0], temperature, rng)
        out.append(int(next_id))
        if k < n - 1:
            logits, state = gru_step(model, np.array([next_id]), state)
    return np.array(out, dtype=np.int64)


def tiny_model(vocab_size: int, embedding_dim: int, units: int, seed: int, scale: float = 0.6):
    """The key's model with seeded random weights (not Keras' initialisers)."""
    model = build_model(vocab_size, embedding_dim, units)
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, scale, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def full_logits(model, ids) -> np.ndarray:
    import keras

    return keras.ops.convert_to_numpy(model(np.asarray(ids, dtype="int32")))


def counting_step():
    """The key's gru_step, recording the size of every ``ids`` it is given."""
    sizes = []

    def step(model, ids, state):
        sizes.append(int(np.asarray(ids).size))
        return gru_step(model, ids, state)

    return step, sizes
