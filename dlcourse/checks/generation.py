"""Checks for lab 18 (character-level text generation).

Stored cases with their expected values pasted as literals (computed once with the course's
answer key), and properties: a model run one character at a time must give the same logits
as the whole sequence at once; sampling frequencies must follow stored probabilities; the
same seed must give the same draws. Models are built with the student's own ``build_model``
and given seeded random weights.
"""

from __future__ import annotations

import contextlib
import io

import numpy as np

from dlcourse.checks.core import call, close, fail, passed, quiet, strict_numpy


def _ints(value, task: str, what: str) -> list[int]:
    """A 1-D integer array-like as a list of Python ints."""
    __tracebackhide__ = True
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        fail(task, f"{what} should be an array of ids, got {type(value).__name__}")
    if not np.issubdtype(arr.dtype, np.integer):
        fail(task, f"{what} should hold integer ids", "an integer dtype", str(arr.dtype),
             "ids are integers: keep the dtype of the ids you were given")
    if arr.ndim != 1:
        fail(task, f"{what} should be 1-D", "a 1-D array", f"shape {arr.shape}")
    return [int(v) for v in arr.tolist()]


def _not_written(task: str) -> None:
    __tracebackhide__ = True
    fail(task, f"{task} is not written yet", hint="replace `raise NotImplementedError()` in "
         "the answer cell with your code, then run the cell")


def _pair(result, task: str, name: str):
    __tracebackhide__ = True
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(task, f"{name} should return a pair (input, target)", "a tuple of 2",
             type(result).__name__)
    return result


# -- Task 1: split_input_target ----------------------------------------------------------------

# (sequence, input, target): the target is the input moved one character on
_SPLIT_CASES = (
    ([18, 45, 52, 52, 55], [18, 45, 52, 52], [45, 52, 52, 55]),
    ([7, 3], [7], [3]),
    ([60, 2, 31, 9, 9, 40, 1, 64], [60, 2, 31, 9, 9, 40, 1], [2, 31, 9, 9, 40, 1, 64]),
)


@quiet
def check_split_input_target(split_input_target) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "split_input_target"
    for sequence, want_x, want_y in _SPLIT_CASES:
        for kind, given in (("a NumPy array", np.array(sequence)),
                            ("a tf.Tensor", tf.constant(sequence, dtype=tf.int64))):
            x, y = _pair(call(split_input_target, given, task=task, name=task), task, task)
            got_x, got_y = _ints(x, task, "the input"), _ints(y, task, "the target")
            if got_x == got_y:
                fail(task, f"input and target are the same for {kind} {sequence}",
                     f"input {want_x}, target {want_y}", f"input {got_x}, target {got_y}",
                     "the model must predict the NEXT character: the target is the input "
                     "shifted by one, sequence[1:]")
            if (got_x, got_y) == (want_y, want_x):
                fail(task, f"input and target are swapped for {kind} {sequence}",
                     f"input {want_x}, target {want_y}", f"input {got_x}, target {got_y}",
                     "the input is every character but the last, sequence[:-1]; the target "
                     "every character but the first")
            if got_x != want_x or got_y != want_y:
                fail(task, f"wrong split of {kind} {sequence}",
                     f"input {want_x}, target {want_y}", f"input {got_x}, target {got_y}",
                     "input = sequence[:-1], target = sequence[1:]: both one shorter than "
                     "the sequence")
    chunks = tf.data.Dataset.from_tensor_slices(tf.constant([[5, 6, 7, 8], [9, 10, 11, 12]],
                                                            dtype=tf.int64))
    try:
        pairs = [(x.numpy().tolist(), y.numpy().tolist())
                 for x, y in chunks.map(split_input_target)]
    except Exception as exc:  # the student's function inside Dataset.map
        fail(task, f"Dataset.map(split_input_target) failed: {type(exc).__name__}: "
             f"{str(exc)[:200]}", hint="inside map your function receives a tf.Tensor: use "
             "slicing (sequence[:-1]), which works for tensors and arrays alike, not NumPy "
             "functions or Python lists")
    if pairs != [([5, 6, 7], [6, 7, 8]), ([9, 10, 11], [10, 11, 12])]:
        fail(task, "Dataset.map(split_input_target) gives wrong pairs",
             "[([5, 6, 7], [6, 7, 8]), ([9, 10, 11], [10, 11, 12])]", pairs)
    passed(task, "input = sequence[:-1], target = sequence[1:], for arrays, tensors and "
                 "inside Dataset.map")


# -- Task 2: make_sequences --------------------------------------------------------------------

# ids = 100, 101, ..., 100 + n - 1; (n, seq_length, stride, number of pairs, first pair,
# last pair). Windows of seq_length + 1 ids start at 0, stride, 2 * stride, ...
_SEQUENCE_CASES = (
    (23, 4, 3, 7, ([100, 101, 102, 103], [101, 102, 103, 104]),
     ([118, 119, 120, 121], [119, 120, 121, 122]),
     "windows overlap when stride < seq_length + 1"),
    (20, 4, 5, 4, ([100, 101, 102, 103], [101, 102, 103, 104]),
     ([115, 116, 117, 118], [116, 117, 118, 119]),
     "the last window ends exactly at the last id: it fits, so it counts"),
    (30, 6, 9, 3, ([100, 101, 102, 103, 104, 105], [101, 102, 103, 104, 105, 106]),
     ([118, 119, 120, 121, 122, 123], [119, 120, 121, 122, 123, 124]),
     "stride > seq_length + 1 skips ids between windows; a window that would run past the "
     "end is left out"),
)


def _probe_split(fn, task: str) -> None:
    __tracebackhide__ = True
    split = fn.__globals__.get("split_input_target")
    ok = False
    with contextlib.suppress(Exception):
        x, y = split(np.array([4, 8, 15, 16]))
        ok = np.asarray(x).tolist() == [4, 8, 15] and np.asarray(y).tolist() == [8, 15, 16]
    if not ok:
        fail(task, "split_input_target (Task 1) is not right yet",
             hint="make Task 1's check pass first: make_sequences uses split_input_target")


@quiet
def check_make_sequences(make_sequences) -> None:
    __tracebackhide__ = True
    import tensorflow as tf

    task = "make_sequences"
    _probe_split(make_sequences, task)
    for n, seq_length, stride, count, first, last, hint in _SEQUENCE_CASES:
        ids = np.arange(100, 100 + n)
        shown = f"make_sequences(ids 100..{99 + n}, seq_length={seq_length}, stride={stride})"
        ds = call(make_sequences, ids.copy(), seq_length, stride, task=task,
                  name="make_sequences")
        if not isinstance(ds, tf.data.Dataset):
            fail(task, f"{shown} should return a tf.data.Dataset", "a tf.data.Dataset",
                 type(ds).__name__, "tf.data.Dataset.from_tensor_slices(...) makes one")
        try:
            pairs = []
            for element in ds:
                x, y = _pair(element, task, "each element")
                pairs.append((_ints(x, task, "an input"), _ints(y, task, "a target")))
        except Exception as exc:
            if type(exc).__name__ == "CheckFailed":
                raise
            fail(task, f"reading the dataset of {shown} failed: {type(exc).__name__}: "
                 f"{str(exc)[:200]}")
        if len(pairs) != count:
            fail(task, f"{shown} has the wrong number of (input, target) pairs", count,
                 len(pairs), hint)
        if pairs[0] != first:
            fail(task, f"the first pair of {shown} is wrong", first, pairs[0],
                 "the first window is ids[0 : seq_length + 1], split by split_input_target")
        if pairs[-1] != last:
            fail(task, f"the last pair of {shown} is wrong", last, pairs[-1], hint)
        starts = [x[0] - 100 for x, _ in pairs]
        if starts != list(range(0, stride * count, stride)):
            fail(task, f"the windows of {shown} start in the wrong places",
                 list(range(0, stride * count, stride)), starts,
                 "window k starts at k * stride, in order (no shuffling here)")
    passed(task, "one (input, target) pair per window of seq_length + 1 ids, every stride "
                 "ids, in order")


# -- Task 3: perplexity ------------------------------------------------------------------------

# (logits, targets, perplexity); the third case has logits of +-1000: softmax by the
# log-sum-exp trick (subtract the largest logit first), or exp overflows
_PERPLEXITY_CASES = (
    ([[2.0, 1.0, 0.1], [0.5, 2.5, -1.0]], [0, 1], 1.329900479113957,
     "two positions, 3 characters"),
    ([[0.0, 0.0, 0.0, 0.0]], [3], 4.0,
     "equal logits over 4 characters: a uniform guess has perplexity 4"),
    ([[1000.0, 998.0, 990.0], [-1000.0, -1001.0, -1004.0], [1000.0, 0.0, -1000.0]], [1, 0, 0],
     2.265608885764533, "logits of +-1000"),
    ([[[0.3, -1.2, 2.0, 0.0], [1.5, 1.5, -0.5, 0.2]], [[-2.0, 0.7, 0.1, 3.1],
                                                       [0.0, -0.4, 0.9, -1.3]]],
     [[2, 0], [1, 3]], 5.083873926628804, "a batch of shape (2, 2, 4): mean over every "
     "position"),
)


@quiet
def check_perplexity(perplexity) -> None:
    __tracebackhide__ = True
    task = "perplexity"
    for logits, targets, expected, what in _PERPLEXITY_CASES:
        with strict_numpy():
            try:
                got = perplexity(np.array(logits), np.array(targets))
            except NotImplementedError:
                _not_written(task)
            except (FloatingPointError, RuntimeWarning) as exc:
                fail(task, f"perplexity overflowed on {what}: {exc}", expected, "an overflow",
                     "compute log-softmax stably: subtract the largest logit of each row "
                     "before np.exp (softmax does not change when you shift the logits)")
            except Exception as exc:
                fail(task, f"perplexity raised {type(exc).__name__}: {exc} on {what}")
        if not isinstance(got, float | np.floating) or isinstance(got, bool):
            fail(task, "perplexity should return one number (a float)", "a float",
                 type(got).__name__, "return float(np.exp(mean cross-entropy))")
        if not close(float(got), expected, atol=0.0, rtol=1e-6):
            hint = ("cross-entropy at one position = -log softmax(logits)[target]; take the "
                    "mean over every position, then exp of that mean")
            if what.startswith("two positions") and close(float(got), 1.3414903635265043,
                                                          rtol=1e-6):
                hint = "exp of the mean cross-entropy, not the mean of exp(cross-entropy)"
            fail(task, f"wrong perplexity for {what}", expected, float(got), hint)
    passed(task, "exp(mean cross-entropy) from logits, stable at logits of +-1000")


# -- Task 4: build_model -----------------------------------------------------------------------

def _layers(model):
    import keras

    return [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]


def _structure_ok(model) -> bool:
    import keras

    kinds = [type(layer) for layer in _layers(model)]
    return kinds == [keras.layers.Embedding, keras.layers.GRU, keras.layers.Dense]


@quiet
def check_build_model(build_model) -> None:
    __tracebackhide__ = True
    import keras

    task = "build_model"
    # (arguments, parameter count): 30 * 8 + 3 * (8 * 16 + 16 * 16 + 2 * 16) + 16 * 30 + 30
    for args, kwargs, rate, count in (((30, 8, 16), dict(learning_rate=0.002), 0.002, 1998),
                                      ((66, 16, 32), {}, 0.001, 8034)):
        vocab, embedding_dim, units = args
        shown = f"build_model({', '.join(map(str, args))}" + "".join(
            f", {k}={v}" for k, v in kwargs.items()) + ")"
        model = call(build_model, *args, task=task, name="build_model", **kwargs)
        if not isinstance(model, keras.Model):
            fail(task, f"{shown} should return a Keras model", "a keras.Model",
                 type(model).__name__)
        if not _structure_ok(model):
            fail(task, f"{shown} has the wrong layers", "Embedding, GRU, Dense",
                 ", ".join(type(layer).__name__ for layer in _layers(model)),
                 "keras.Sequential([keras.Input(shape=(None,), dtype='int32'), "
                 "Embedding(...), GRU(...), Dense(...)])")
        embedding, gru, dense = _layers(model)
        if (embedding.input_dim, embedding.output_dim) != (vocab, embedding_dim):
            fail(task, f"the Embedding of {shown} has the wrong size",
                 f"input_dim={vocab}, output_dim={embedding_dim}",
                 f"input_dim={embedding.input_dim}, output_dim={embedding.output_dim}",
                 "Embedding(vocab_size, embedding_dim): one vector of embedding_dim numbers "
                 "per id")
        if gru.units != units:
            fail(task, f"the GRU of {shown} has the wrong number of units", units, gru.units)
        if not gru.return_sequences:
            fail(task, "the GRU must return its output at every position",
                 "return_sequences=True", "return_sequences=False",
                 "the model predicts the next character after every character of the input, "
                 "so Dense needs the GRU's output at every step")
        if gru.return_state or gru.stateful or gru.go_backwards:
            fail(task, "the GRU should keep Keras' defaults apart from return_sequences",
                 "return_state=False, stateful=False, go_backwards=False",
                 f"return_state={gru.return_state}, stateful={gru.stateful}, "
                 f"go_backwards={gru.go_backwards}",
                 "gru_step (Task 6) carries the state itself")
        if dense.units != vocab:
            fail(task, f"the Dense layer of {shown} has the wrong number of units", vocab,
                 dense.units, "one output (logit) per id of the vocabulary")
        if dense.activation.__name__ != "linear":
            fail(task, "the Dense layer must output logits", "no activation (linear)",
                 dense.activation.__name__,
                 "with from_logits=True the loss applies the softmax itself; a softmax layer "
                 "as well would apply it twice")
        loss = model.loss
        if not isinstance(loss, keras.losses.SparseCategoricalCrossentropy):
            fail(task, "the model should be compiled with SparseCategoricalCrossentropy",
                 "keras.losses.SparseCategoricalCrossentropy(from_logits=True)", repr(loss),
                 "targets are integer ids (sparse) and the model outputs logits")
        if not loss.get_config().get("from_logits"):
            fail(task, "the loss must know the model outputs logits", "from_logits=True",
                 "from_logits=False",
                 "SparseCategoricalCrossentropy(from_logits=True) goes with a linear last layer")
        optimizer = model.optimizer
        if type(optimizer) is not keras.optimizers.Adam:
            fail(task, "the model should be compiled with Adam", "keras.optimizers.Adam",
                 type(optimizer).__name__)
        got_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if not close(got_rate, rate, atol=0.0, rtol=1e-6):
            fail(task, f"wrong learning rate for {shown}", rate, got_rate,
                 "Adam(learning_rate=learning_rate): use the argument (default 1e-3)")
        out = keras.ops.convert_to_numpy(model(np.zeros((2, 7), dtype="int32")))
        if out.shape != (2, 7, vocab):
            fail(task, f"{shown} maps a batch of shape (2, 7) to the wrong shape",
                 f"(2, 7, {vocab})", out.shape)
        if model.count_params() != count:
            fail(task, f"{shown} has the wrong number of parameters", count,
                 model.count_params())
    passed(task, "Embedding -> GRU(return_sequences=True) -> Dense logits, "
                 "SparseCategoricalCrossentropy(from_logits=True), Adam")


# -- Task 5: sample_with_temperature -----------------------------------------------------------

_LOGITS = [1.2, -0.4, 0.3, 2.0, -1.5]
# softmax(_LOGITS / T), rounded to 6 decimals
_PROBABILITIES = {
    0.5: [0.162243, 0.006613, 0.026819, 0.803593, 0.000733],
    1.0: [0.256331, 0.051752, 0.104216, 0.570474, 0.017227],
    2.0: [0.260551, 0.117073, 0.166135, 0.388696, 0.067545],
}
_DRAWS = 20_000


def _sample(fn, logits, temperature, rng, task):
    __tracebackhide__ = True
    shown = f"sample_with_temperature(logits of shape {np.shape(logits)}, {temperature}, rng)"
    with strict_numpy():
        try:
            return fn(np.array(logits, dtype=float), temperature, rng)
        except NotImplementedError:
            _not_written(task)
        except (FloatingPointError, RuntimeWarning) as exc:
            fail(task, f"{shown} overflowed: {exc}",
                 hint="logits / temperature gets huge for a small temperature: subtract the "
                      "largest value of each row before np.exp")
        except Exception as exc:
            fail(task, f"{shown} raised {type(exc).__name__}: {exc}")


def _one_id(value, task, what) -> int:
    __tracebackhide__ = True
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        fail(task, f"{what} should return one integer id for 1-D logits", "an int",
             f"{type(value).__name__} {value!r}", "return int(...) of the id you drew")
    return int(value)


def _many_ids(value, n, vocab, task, what) -> list[int]:
    __tracebackhide__ = True
    if np.ndim(value) == 0:
        fail(task, f"{what} should give one id per row", f"an array of {n} ids",
             f"one {type(value).__name__}", "for a batch of shape (n, V) return an integer "
             "array of shape (n,)")
    ids = _ints(value, task, what)
    if len(ids) != n:
        fail(task, f"{what} should give one id per row", f"{n} ids", f"{len(ids)} ids")
    if min(ids) < 0 or max(ids) >= vocab:
        fail(task, f"{what} gave ids outside 0..{vocab - 1}", f"ids in 0..{vocab - 1}",
             f"ids from {min(ids)} to {max(ids)}")
    return ids


@quiet
def check_sample_with_temperature(sample_with_temperature) -> None:
    __tracebackhide__ = True
    task = "sample_with_temperature"
    fn = sample_with_temperature
    logits = np.array(_LOGITS)
    for temperature, seed in ((0, 0), *((1e-3, seed) for seed in range(6))):
        got = _one_id(_sample(fn, logits, temperature, np.random.default_rng(seed), task),
                      task, f"temperature {temperature}")
        if got != 3:
            fail(task, f"at temperature {temperature} the largest logit must win", 3, got,
                 "temperature 0 means no randomness: return np.argmax(logits); a tiny "
                 "temperature sharpens softmax(logits / T) into the argmax (divide the "
                 "logits by T)")
    rows = np.array([_LOGITS, _LOGITS[::-1], [0.0, 3.0, 0.0, -1.0, 2.5]])
    got = _many_ids(_sample(fn, rows, 1e-3, np.random.default_rng(0), task), 3, 5, task,
                    "3 rows of logits at temperature 0.001")
    if got != [3, 1, 1]:
        fail(task, "for a batch of logits (one row per sequence), each row gets its own id",
             [3, 1, 1], got, "work along the last axis: max, sum and the draw per row")
    for temperature, expected in _PROBABILITIES.items():
        draws = _many_ids(_sample(fn, np.tile(logits, (_DRAWS, 1)), temperature,
                                  np.random.default_rng(17), task), _DRAWS, 5, task,
                          f"{_DRAWS} rows at temperature {temperature}")
        freq = np.bincount(draws, minlength=5) / _DRAWS
        if not close(freq, expected, atol=0.02, rtol=0.0):
            hint = "p = softmax(logits / temperature); then draw with rng"
            if close(freq, _PROBABILITIES[1.0], atol=0.02, rtol=0.0):
                hint = ("the frequencies ignore the temperature: divide the LOGITS by it "
                        "before the softmax (dividing probabilities and renormalising "
                        "changes nothing)")
            elif temperature != 1.0 and close(freq, _PROBABILITIES[1 / temperature],
                                               atol=0.02, rtol=0.0):
                hint = "divide the logits by the temperature, do not multiply"
            fail(task, f"the draws at temperature {temperature} do not follow "
                 f"softmax(logits / {temperature}) for logits {_LOGITS}", expected,
                 [round(float(f), 3) for f in freq], hint)
    first = _many_ids(_sample(fn, np.tile(logits, (200, 1)), 1.5, np.random.default_rng(5),
                              task), 200, 5, task, "200 rows at temperature 1.5")
    np.random.seed(123)
    again = _many_ids(_sample(fn, np.tile(logits, (200, 1)), 1.5, np.random.default_rng(5),
                              task), 200, 5, task, "200 rows at temperature 1.5")
    np.random.seed(99)
    other = _many_ids(_sample(fn, np.tile(logits, (200, 1)), 1.5, np.random.default_rng(6),
                              task), 200, 5, task, "200 rows at temperature 1.5")
    if first != again or first == other:
        fail(task, "the draws do not come from the rng you were given",
             "the same draws for the same seed, different draws for another seed",
             "same seed differs" if first != again else "another seed gives the same draws",
             "draw with rng.random(...) or rng.choice(...), never np.random.*")
    passed(task, "argmax at temperature 0, frequencies follow softmax(logits / T) at T = 0.5, "
                 "1, 2, reproducible with the rng")


# -- Task 6: gru_step --------------------------------------------------------------------------

def _tiny(build_model, vocab, embedding_dim, units, seed, task):
    """A model from the student's build_model, with seeded random weights."""
    __tracebackhide__ = True
    import keras

    model = None
    with contextlib.suppress(Exception), contextlib.redirect_stdout(io.StringIO()):
        model = build_model(vocab, embedding_dim, units)
    if model is None or not isinstance(model, keras.Model) or not _structure_ok(model):
        fail(task, "build_model (Task 4) is not right yet",
             hint="make Task 4's check pass first: this check builds its model with "
                  "build_model")
    rng = np.random.default_rng(seed)
    model.set_weights([rng.normal(0.0, 0.6, w.shape).astype("float32")
                       for w in model.get_weights()])
    return model


def _full(model, ids):
    import keras

    return keras.ops.convert_to_numpy(model(np.asarray(ids, dtype="int32")))


def _step(fn, model, ids, state, task):
    __tracebackhide__ = True
    result = call(fn, model, np.array(ids), state, task=task, name="gru_step")
    if not isinstance(result, tuple | list) or len(result) != 2:
        fail(task, "gru_step should return the pair (logits, state)", "a tuple of 2",
             type(result).__name__)
    logits, new_state = (np.array(r, dtype="float32") for r in result)
    return logits, new_state


def _steps_match(fn, model, x, task) -> tuple[bool, int]:
    """Run fn over x one column at a time; (matches the full run, first wrong step)."""
    __tracebackhide__ = True
    full = _full(model, x)
    state = None
    for t in range(x.shape[1]):
        logits, state = _step(fn, model, x[:, t], state, task)
        if logits.shape != full[:, t].shape or not close(logits, full[:, t], atol=1e-4,
                                                         rtol=1e-4):
            return False, t
    return True, -1


@quiet
def check_gru_step(gru_step, build_model) -> None:
    __tracebackhide__ = True
    task = "gru_step"
    vocab, units = 11, 8
    model = _tiny(build_model, vocab, 4, units, 3, task)
    x = np.array([[1, 5, 5, 0, 9, 2], [7, 7, 3, 10, 4, 6]])
    logits, state = _step(gru_step, model, x[:, 0], None, task)
    if logits.shape != (2, vocab) or state.shape != (2, units):
        fail(task, "wrong shapes for a batch of 2 ids", f"logits (2, {vocab}), state (2, "
             f"{units})", f"logits {logits.shape}, state {state.shape}",
             "logits: one row of vocab_size numbers per sequence; state: the GRU's hidden "
             "state, (batch, units)")
    full = _full(model, x)
    if not close(logits, full[:, 0], atol=1e-4, rtol=1e-4):
        fail(task, "the logits of the first step differ from model(ids) at position 0",
             full[:, 0], logits, "embedding -> GRU cell from a zero state (state=None) -> "
             "dense; no softmax")
    ok, t = _steps_match(gru_step, model, x, task)
    if not ok:
        fail(task, f"carrying the state step by step gives different logits at position {t}",
             "the same logits as model(ids)[:, t] at every position", f"a difference at t={t}",
             "feed the state you were given to the GRU cell (gru.cell(x, [state])) and "
             "return the new state: without it every step starts from zero")
    passed(task, "one character at a time, carrying the state, gives the same logits as "
                 "the whole sequence at once")


# -- Task 7: generate --------------------------------------------------------------------------

@contextlib.contextmanager
def _counted(fn, name, calls):
    """Count the calls ``fn`` makes to its global ``name`` (restored afterwards)."""
    namespace = fn.__globals__
    original = namespace.get(name)

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    namespace[name] = counting
    try:
        yield
    finally:
        namespace[name] = original


@quiet
def check_generate(generate, build_model) -> None:
    __tracebackhide__ = True
    task = "generate"
    namespace = generate.__globals__
    vocab = 11
    model = _tiny(build_model, vocab, 4, 8, 5, task)
    step = namespace.get("gru_step")
    try:
        step_ok = _steps_match(step, model, np.array([[2, 9, 4]]), task)[0]
    except Exception:
        step_ok = False
    if not step_ok:
        fail(task, "gru_step (Task 6) is not right yet",
             hint="make Task 6's check pass first: generate calls gru_step")
    sample = namespace.get("sample_with_temperature")
    try:
        sample_ok = int(sample(np.array(_LOGITS), 0, np.random.default_rng(0))) == 3
        rows = np.tile(np.array(_LOGITS), (50, 1))
        np.random.seed(1)
        first = np.asarray(sample(rows, 1.0, np.random.default_rng(3))).tolist()
        np.random.seed(2)
        sample_ok = sample_ok and first == np.asarray(
            sample(rows, 1.0, np.random.default_rng(3))).tolist()
    except Exception:
        sample_ok = False
    if not sample_ok:
        fail(task, "sample_with_temperature (Task 5) is not right yet",
             hint="make Task 5's check pass first: generate calls it")
    start, n = [3, 1, 4], 8
    steps, samples = [], []
    with _counted(generate, "gru_step", steps), _counted(generate, "sample_with_temperature",
                                                         samples):
        got = call(generate, model, np.array(start), n, 0, np.random.default_rng(1),
                   task=task, name="generate")
    ids = _ints(got, task, "generate(...)")
    if len(ids) != n:
        fail(task, f"generate(model, {start}, n={n}, ...) should return n new ids", n,
             len(ids), "return only the generated ids, not the start")
    if min(ids) < 0 or max(ids) >= vocab:
        fail(task, "generate returned ids outside the vocabulary", f"0..{vocab - 1}", ids)
    greedy, prefix = [], list(start)
    for _ in range(n):
        greedy.append(int(np.argmax(_full(model, [prefix])[0, -1])))
        prefix.append(greedy[-1])
    if ids != greedy:
        fail(task, "at temperature 0 every id should be the most likely next id given the "
             "start and the ids generated so far", greedy, ids,
             "prime the state with every start id, then sample from the last logits and "
             "feed each sampled id back in, carrying the state")
    if len(samples) != n:
        fail(task, "call sample_with_temperature once per new id", n, len(samples))
    sizes = [int(np.asarray(args[1]).size) for args in steps]
    if any(size != 1 for size in sizes) or not len(start) + n - 1 <= len(sizes) <= len(
            start) + n:
        fail(task, "every id should go through gru_step once, one at a time",
             f"{len(start) + n - 1} or {len(start) + n} calls with one id each",
             f"{len(sizes)} calls with {sizes[:12]} ids",
             "feed the start ids one by one, then each new id; never recompute the prefix")
    first = _ints(call(generate, model, np.array(start), 12, 1.0, np.random.default_rng(8),
                       task=task, name="generate"), task, "generate(...)")
    again = _ints(call(generate, model, np.array(start), 12, 1.0, np.random.default_rng(8),
                       task=task, name="generate"), task, "generate(...)")
    if first != again:
        fail(task, "generate gives different text for the same seed", first, again,
             "draw only through sample_with_temperature(logits, temperature, rng)")
    passed(task, "n new ids, greedy at temperature 0, one gru_step per id, reproducible")
