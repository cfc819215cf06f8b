"""Lab 18: the answer key against Keras and tf.data; the visible checks and the hidden tests
accept the key's answers and reject typical wrong ones."""

import re
from pathlib import Path

import numpy as np
import pytest
from answer_key import generation as ref

from dlcourse.checks import generation as check
from dlcourse.checks.core import CheckFailed
from dlcourse.grading.submissions import HIDDEN_MARKERS, grade_id, is_test, read, region

SOLUTION = (Path(__file__).resolve().parents[1]
            / "solutions/18-text-generation/18-text-generation.ipynb")


# Wrong answers as students write them: run in a namespace like the notebook's, where the
# earlier tasks' functions are the key's, by their bare names.
WRONG_ANSWERS = '''
def softmax(z, stable=True):
    if stable:
        z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def draw(p, u):
    return np.minimum((np.cumsum(p, axis=-1) < np.asarray(u)[..., None]).sum(axis=-1),
                      p.shape[-1] - 1)


def sampler(probabilities, global_rng=False):
    def sample(logits, temperature, rng):
        z = np.asarray(logits, dtype=float)
        if temperature == 0:
            ids = np.argmax(z, axis=-1)
        else:
            p = probabilities(z, temperature)
            shape = z.shape[:-1] if z.ndim > 1 else None
            u = np.random.random(shape) if global_rng else rng.random(shape)
            ids = draw(p, u)
        return int(ids) if z.ndim == 1 else np.asarray(ids, dtype=np.int64)
    return sample


def renormalised(p):
    return p / p.sum(axis=-1, keepdims=True)


sample_on_probabilities = sampler(lambda z, t: renormalised(softmax(z) / t))
sample_softmax_of_probabilities = sampler(lambda z, t: softmax(softmax(z) / t))
sample_multiplied = sampler(lambda z, t: softmax(z * t))
sample_unstable = sampler(lambda z, t: softmax(z / t, stable=False))
sample_global = sampler(lambda z, t: softmax(z / t), global_rng=True)


def sample_argmax(logits, temperature, rng):
    z = np.asarray(logits, dtype=float)
    return int(np.argmax(z)) if z.ndim == 1 else np.argmax(z, axis=-1)


def sample_first_row(logits, temperature, rng):
    rows = np.asarray(logits, dtype=float).reshape(-1, np.shape(logits)[-1])
    return sample_with_temperature(rows[0], temperature, rng)


def sequences(starts_of):
    def make_sequences(ids, seq_length, stride):
        ids = np.asarray(ids)
        starts = np.array(list(starts_of(len(ids), seq_length, stride)), dtype=np.int64)
        windows = ids[starts[:, None] + np.arange(seq_length + 1)].reshape(-1, seq_length + 1)
        return tf.data.Dataset.from_tensor_slices(windows).map(split_input_target)
    return make_sequences


def sequences_window(ids, seq_length, stride):
    ds = tf.data.Dataset.from_tensor_slices(np.asarray(ids))
    ds = ds.window(seq_length + 1, shift=stride, drop_remainder=True)
    return ds.flat_map(lambda w: w.batch(seq_length + 1)).map(split_input_target)


sequences_ignore_stride = sequences(lambda n, L, s: range(0, n - L, L + 1))
sequences_drop_last = sequences(lambda n, L, s: range(0, n - L - 1, s))
sequences_stride_one = sequences(lambda n, L, s: range(0, n - L, 1))
sequences_reversed = sequences(lambda n, L, s: list(range(0, n - L, s))[::-1])


def sequences_no_split(ids, seq_length, stride):
    ids = np.asarray(ids)
    starts = np.arange(0, len(ids) - seq_length, stride)
    return tf.data.Dataset.from_tensor_slices(ids[starts[:, None] + np.arange(seq_length)])


def picked_log_p(logits, targets, stable=True):
    log_p = np.log(softmax(np.asarray(logits, dtype=float), stable))
    return np.take_along_axis(log_p, np.asarray(targets)[..., None], axis=-1)


def ppl_mean_of_exp(logits, targets):
    return float(np.exp(-picked_log_p(logits, targets)).mean())


def ppl_unstable(logits, targets):
    return float(np.exp(-picked_log_p(logits, targets, stable=False).mean()))


def ppl_raw_logit(logits, targets):
    z = np.asarray(logits, dtype=float)
    return float(np.exp(-np.take_along_axis(z, np.asarray(targets)[..., None], -1).mean()))


def ppl_cross_entropy(logits, targets):
    return float(-picked_log_p(logits, targets).mean())


def ppl_log2(logits, targets):
    return float(np.exp(-picked_log_p(logits, targets).mean() / np.log(2)))


def builder(head=None, loss=None, rnn="GRU", return_sequences=True, fixed_rate=None):
    def build_model(vocab_size, embedding_dim, units, learning_rate=1e-3):
        model = keras.Sequential([
            keras.Input(shape=(None,), dtype="int32"),
            keras.layers.Embedding(vocab_size, embedding_dim),
            getattr(keras.layers, rnn)(units, return_sequences=return_sequences),
            keras.layers.Dense(vocab_size, activation=head)])
        model.compile(optimizer=keras.optimizers.Adam(learning_rate=fixed_rate or learning_rate),
                      loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return model
    return build_model


build_softmax = builder(head="softmax")
build_string_loss = builder(loss="sparse_categorical_crossentropy")
build_no_logits = builder(loss=keras.losses.SparseCategoricalCrossentropy())
build_last_only = builder(return_sequences=False)
build_lstm = builder(rnn="LSTM")
build_fixed_rate = builder(fixed_rate=1e-3)


def step_ignoring_state(model, ids, state):
    embedding, gru, dense = model.layers
    ids = np.asarray(ids).reshape(-1)
    h, _ = gru.cell(embedding(ids), [np.zeros((len(ids), gru.units), dtype="float32")])
    return keras.ops.convert_to_numpy(dense(h)), keras.ops.convert_to_numpy(h)


def step_probabilities(model, ids, state):
    logits, h = gru_step(model, ids, state)
    return softmax(np.asarray(logits, dtype=float)), h


def step_full_model(model, ids, state):
    logits = keras.ops.convert_to_numpy(model(np.asarray(ids).reshape(-1, 1)))[:, -1]
    return logits, np.zeros((len(logits), model.layers[1].units), dtype="float32")


def generate_resetting(model, start_ids, n, temperature, rng):
    for i in start_ids:
        logits, _ = gru_step(model, np.array([i]), None)
    out = []
    for _ in range(n):
        out.append(sample_with_temperature(logits[0], temperature, rng))
        logits, _ = gru_step(model, np.array([out[-1]]), None)
    return np.array(out)


def generate_recomputing(model, start_ids, n, temperature, rng):
    ids = [int(i) for i in start_ids]
    for _ in range(n):
        logits = keras.ops.convert_to_numpy(model(np.array([ids])))[0, -1]
        ids.append(sample_with_temperature(logits, temperature, rng))
    return np.array(ids[len(start_ids):])


def generate_core(model, start_ids, n, temperature, rng):
    state = None
    for i in start_ids:
        logits, state = gru_step(model, np.array([i]), state)
    out = []
    for k in range(n):
        out.append(sample_with_temperature(logits[0], temperature, rng))
        if k < n - 1:
            logits, state = gru_step(model, np.array([out[-1]]), state)
    return np.array(out)


def generate_with_start(model, start_ids, n, temperature, rng):
    return np.concatenate([np.asarray(start_ids),
                           generate_core(model, start_ids, n, temperature, rng)])


def generate_extra_draw(model, start_ids, n, temperature, rng):
    rng.random()  # e.g. a random first character, drawn before the loop
    return generate_core(model, start_ids, n, temperature, rng)


def generate_whole_start(model, start_ids, n, temperature, rng):
    embedding, gru, dense = model.layers
    out = gru(embedding(np.array([start_ids])))
    state = keras.ops.convert_to_numpy(out[:, -1])
    logits = keras.ops.convert_to_numpy(dense(out[:, -1]))
    new = []
    for k in range(n):
        new.append(sample_with_temperature(logits[0], temperature, rng))
        if k < n - 1:
            logits, state = gru_step(model, np.array([new[-1]]), state)
    return np.array(new)
'''


@pytest.fixture(scope="module")
def answers(keras, tf):
    """The key's answers and the wrong answers students write, by name."""
    namespace = {"np": np, "tf": tf, "keras": keras,
                 "split_input_target": ref.split_input_target,
                 "sample_with_temperature": ref.sample_with_temperature,
                 "gru_step": ref.gru_step, "build_model": ref.build_model}
    exec(WRONG_ANSWERS, namespace)  # noqa: S102
    namespace.update(split=ref.split_input_target, sequences=ref.make_sequences,
                     perplexity=ref.perplexity, build=ref.build_model,
                     sample=ref.sample_with_temperature, step=ref.gru_step,
                     generate=ref.generate, generate_core=namespace["generate_core"])
    namespace.update(split_same=lambda s: (s, s), split_swapped=lambda s: (s[1:], s[:-1]),
                     split_short=lambda s: (s[:-2], s[2:]))
    return namespace


# -- the answer key against Keras and tf.data -------------------------------------------------

@pytest.mark.parametrize("seed", range(4))
def test_perplexity_matches_keras(keras, seed):
    rng = np.random.default_rng(seed)
    logits = rng.normal(0.0, 3.0, (4, 9, 13)).astype("float32")
    targets = rng.integers(0, 13, (4, 9))
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    want = float(np.exp(keras.ops.convert_to_numpy(loss(targets, logits))))
    assert ref.perplexity(logits, targets) == pytest.approx(want, rel=1e-5)


def test_uniform_logits_give_the_vocabulary_size():
    assert ref.perplexity(np.zeros((5, 66)), np.arange(5)) == pytest.approx(66.0)


@pytest.mark.parametrize("sizes", [(30, 8, 16), (66, 16, 32), (66, 64, 256), (9, 3, 5)])
def test_parameter_count_matches_keras(keras, sizes):
    assert ref.build_model(*sizes).count_params() == ref.parameter_count(*sizes)


def test_stored_parameter_counts():
    assert ref.parameter_count(30, 8, 16) == 1998
    assert ref.parameter_count(66, 16, 32) == 8034


def test_gru_step_matches_the_whole_sequence(keras):
    model = ref.tiny_model(13, 5, 7, seed=4)
    x = np.random.default_rng(4).integers(0, 13, (2, 12))
    full = ref.full_logits(model, x)
    state = None
    for t in range(x.shape[1]):
        logits, state = ref.gru_step(model, x[:, t], state)
        assert np.allclose(logits, full[:, t], atol=1e-5)


@pytest.mark.parametrize("n, seq_length, stride", [(50, 6, 3), (44, 10, 11), (37, 5, 8),
                                                   (30, 4, 1), (12, 11, 4), (11, 11, 2)])
def test_make_sequences_matches_the_window_api(tf, answers, n, seq_length, stride):
    ids = np.random.default_rng(n).permutation(200)[:n]
    want = ref.expected_pairs(ids, seq_length, stride)
    assert ref.dataset_pairs(ref.make_sequences(ids, seq_length, stride)) == want
    assert ref.dataset_pairs(answers["sequences_window"](ids, seq_length, stride)) == want


def test_stored_cases_are_the_keys():
    for sequence, x, y in check._SPLIT_CASES:
        assert ref.split_input_target(sequence) == (x, y)
    for n, seq_length, stride, count, first, last, _ in check._SEQUENCE_CASES:
        pairs = ref.expected_pairs(range(100, 100 + n), seq_length, stride)
        assert (len(pairs), pairs[0], pairs[-1]) == (count, first, last)
    for logits, targets, expected, _ in check._PERPLEXITY_CASES:
        assert ref.perplexity(logits, targets) == pytest.approx(expected, rel=1e-12)
    for temperature, expected in check._PROBABILITIES.items():
        assert np.allclose(ref.temperature_probabilities(check._LOGITS, temperature),
                           expected, atol=1e-6)


def test_sampling_frequencies_and_argmax():
    rng = np.random.default_rng(0)
    logits = np.array([0.5, -1.0, 2.0, 0.0])
    for temperature in (0.3, 1.0, 2.5):
        draws = ref.sample_with_temperature(np.tile(logits, (40_000, 1)), temperature, rng)
        freq = np.bincount(draws, minlength=4) / 40_000
        assert np.allclose(freq, ref.temperature_probabilities(logits, temperature), atol=0.01)
    assert ref.sample_with_temperature(logits, 0, rng) == 2
    assert ref.sample_with_temperature(logits * 1000, 1e-4, rng) == 2
    assert isinstance(ref.sample_with_temperature(logits, 1.0, rng), int)


def test_one_and_two_dimensional_draws_use_the_rng_alike():
    """generate's hidden test relies on it: a (V,) row and a (1, V) batch draw the same id."""
    logits = np.random.default_rng(1).normal(size=7)
    one = [ref.sample_with_temperature(logits, 0.8, np.random.default_rng(s)) for s in range(20)]
    two = [int(ref.sample_with_temperature(logits[None], 0.8, np.random.default_rng(s))[0])
           for s in range(20)]
    assert one == two


def test_generate_is_greedy_at_temperature_zero(keras):
    model = ref.tiny_model(10, 4, 6, seed=2)
    out = ref.generate(model, [1, 2], 6, 0, np.random.default_rng(0))
    prefix = [1, 2]
    for i in out:
        assert i == int(np.argmax(ref.full_logits(model, [prefix])[0, -1]))
        prefix.append(int(i))


# -- visible checks ---------------------------------------------------------------------------

def test_key_passes_the_checks(answers, capsys):
    check.check_split_input_target(answers["split"])
    check.check_make_sequences(answers["sequences"])
    check.check_make_sequences(answers["sequences_window"])
    check.check_perplexity(answers["perplexity"])
    check.check_build_model(answers["build"])
    check.check_sample_with_temperature(answers["sample"])
    check.check_gru_step(answers["step"], answers["build"])
    check.check_generate(answers["generate"], answers["build"])
    out = capsys.readouterr()
    assert out.out.count("\N{CHECK MARK}") == 8
    assert out.err == ""


@pytest.mark.parametrize("name, message", [
    ("split_same", "the NEXT character"),
    ("split_swapped", "swapped"),
    ("split_short", "wrong split"),
])
def test_split_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_split_input_target(answers[name])


@pytest.mark.parametrize("name, message", [
    ("sequences_ignore_stride", "wrong number|start in the wrong places"),
    ("sequences_drop_last", "wrong number"),
    ("sequences_stride_one", "wrong number"),
    ("sequences_no_split", r"pair \(input, target\)"),
    ("sequences_reversed", "first pair"),
])
def test_make_sequences_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_make_sequences(answers[name])


def test_make_sequences_names_task_1(answers):
    broken = answers["sequences"]
    namespace = {"split_input_target": answers["split_same"]}
    fn = type(broken)(broken.__code__, {**broken.__globals__, **namespace})
    with pytest.raises(CheckFailed, match=r"Task 1"):
        check.check_make_sequences(fn)


@pytest.mark.parametrize("name, message", [
    ("ppl_mean_of_exp", "not the mean of exp"),
    ("ppl_unstable", "overflow"),
    ("ppl_raw_logit", "wrong perplexity"),
    ("ppl_cross_entropy", "wrong perplexity"),
    ("ppl_log2", "wrong perplexity"),
])
def test_perplexity_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_perplexity(answers[name])


@pytest.mark.parametrize("name, message", [
    ("build_softmax", "must output logits"),
    ("build_string_loss", "SparseCategoricalCrossentropy"),
    ("build_no_logits", "from_logits=True"),
    ("build_last_only", "every position"),
    ("build_lstm", "wrong layers"),
    ("build_fixed_rate", "learning rate"),
])
def test_build_model_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_build_model(answers[name])


@pytest.mark.parametrize("name, message", [
    ("sample_on_probabilities", "largest logit must win"),
    ("sample_softmax_of_probabilities", "do not follow"),
    ("sample_multiplied", "largest logit must win"),
    ("sample_argmax", "do not follow"),
    ("sample_unstable", "overflowed"),
    ("sample_global", "rng you were given"),
    ("sample_first_row", "one id per row"),
])
def test_sample_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_sample_with_temperature(answers[name])


@pytest.mark.parametrize("name, message", [
    ("step_ignoring_state", "carrying the state"),
    ("step_probabilities", "first step differ"),
    ("step_full_model", "carrying the state"),
])
def test_gru_step_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_gru_step(answers[name], answers["build"])


def test_gru_step_names_task_4(answers):
    with pytest.raises(CheckFailed, match="Task 4"):
        check.check_gru_step(answers["step"], answers["build_lstm"])


@pytest.mark.parametrize("name, message", [
    ("generate_resetting", "most likely next id"),
    ("generate_recomputing", "through gru_step once"),
    ("generate_with_start", "n new ids"),
    ("generate_whole_start", "through gru_step once"),
])
def test_generate_wrong_answers(answers, name, message):
    with pytest.raises(CheckFailed, match=message):
        check.check_generate(answers[name], answers["build"])


def test_generate_names_task_6(answers):
    broken = answers["generate"]
    fn = type(broken)(broken.__code__, {**broken.__globals__,
                                        "gru_step": answers["step_ignoring_state"]})
    with pytest.raises(CheckFailed, match="Task 6"):
        check.check_generate(fn, answers["build"])


def test_generate_names_task_5(answers):
    broken = answers["generate"]
    fn = type(broken)(broken.__code__, {**broken.__globals__,
                                        "sample_with_temperature": answers["sample_global"]})
    with pytest.raises(CheckFailed, match="Task 5"):
        check.check_generate(fn, answers["build"])


def test_checks_leave_the_globals_as_they_were(answers):
    before = dict(ref.generate.__globals__)
    check.check_generate(answers["generate"], answers["build"])
    assert ref.generate.__globals__["gru_step"] is before["gru_step"]
    assert ref.generate.__globals__["sample_with_temperature"] is before[
        "sample_with_temperature"]


# -- hidden tests -----------------------------------------------------------------------------

def _hidden(cell_id):
    cell = next(c for c in read(SOLUTION).cells if is_test(c) and grade_id(c) == cell_id)
    return compile("\n".join(region(cell.source, HIDDEN_MARKERS)), cell_id, "exec")


def _run_hidden(tf, keras, cell_id, function_name, answer, **extra):
    namespace = {"np": np, "tf": tf, "keras": keras, **extra}
    # the answer must see (and be patched through) the namespace it runs in
    if hasattr(answer, "__code__"):
        answer = type(answer)(answer.__code__, {**answer.__globals__, **extra},
                              answer.__name__, answer.__defaults__, answer.__closure__)
    namespace[function_name] = answer
    exec(_hidden(cell_id), namespace)  # noqa: S102


CELLS = {"split": ("test_split_input_target", "split_input_target"),
         "sequences": ("test_make_sequences", "make_sequences"),
         "perplexity": ("test_perplexity", "perplexity"),
         "build": ("test_build_model", "build_model"),
         "sample": ("test_sample_with_temperature", "sample_with_temperature"),
         "step": ("test_gru_step", "gru_step"),
         "generate": ("test_generate", "generate")}


def _task(name):
    return next(task for task in sorted(CELLS, key=len, reverse=True)
                if name == task or name.startswith(task + "_"))


@pytest.mark.parametrize("name", ["split", "sequences", "sequences_window", "perplexity",
                                  "build", "sample", "step", "generate"])
def test_hidden_tests_accept_the_key(tf, keras, answers, name):
    cell_id, function_name = CELLS[_task(name)]
    _run_hidden(tf, keras, cell_id, function_name, answers[name])


@pytest.mark.parametrize("name", [
    "split_same", "split_swapped", "split_short",
    "sequences_ignore_stride", "sequences_drop_last", "sequences_stride_one",
    "sequences_no_split", "sequences_reversed",
    "perplexity_mean_of_exp", "perplexity_unstable", "perplexity_raw_logit",
    "perplexity_cross_entropy", "perplexity_log2",
    "build_softmax", "build_string_loss", "build_no_logits", "build_last_only", "build_lstm",
    "build_fixed_rate",
    "sample_on_probabilities", "sample_softmax_of_probabilities", "sample_multiplied",
    "sample_argmax", "sample_unstable", "sample_global", "sample_first_row",
    "step_ignoring_state", "step_probabilities", "step_full_model",
    "generate_resetting", "generate_recomputing", "generate_with_start",
    "generate_extra_draw", "generate_whole_start",
])
def test_hidden_tests_reject_wrong_answers(tf, keras, answers, name):
    key = re.sub(r"^perplexity_", "ppl_", name)
    cell_id, function_name = CELLS[_task(name)]
    with np.errstate(all="ignore"), pytest.raises(Exception):  # noqa: B017
        _run_hidden(tf, keras, cell_id, function_name, answers[key])
