"""Lab 05: activations, the NumPy MLP (checked by finite differences and tf.GradientTape),
and the lab's student-facing checks."""

import warnings

import numpy as np
import pytest
from answer_key import activations as act
from answer_key import backprop as key
from answer_key import mlp

from dlcourse.checks import backprop as check
from dlcourse.datasets import toy

ELEMENTWISE = sorted(act.ACTIVATIONS)


# --- activations -------------------------------------------------------------------------

def test_worked_values_from_the_course():
    assert np.isclose(act.sigmoid(0), 0.5)
    assert np.isclose(act.sigmoid(10), 0.9999546, atol=5e-8)
    assert np.isclose(act.sigmoid(-10), 0.0000454, atol=5e-8)
    assert np.isclose(act.tanh(1), 0.761594, atol=5e-7)
    assert np.isclose(act.tanh(10), 0.999999995878, atol=1e-12)
    z = np.linspace(-3, 3, 7)
    assert np.allclose(act.tanh(z), 2 * act.sigmoid(2 * z) - 1)


def test_sigmoid_derivative_is_at_most_a_quarter_and_tanh_stays_inside_minus_one_one():
    z = np.linspace(-20, 20, 4001)
    assert np.isclose(act.sigmoid_prime(z).max(), 0.25) and act.sigmoid_prime(0) == 0.25
    t = act.tanh(np.linspace(-15, 15, 301))
    assert t.min() > -1 - 1e-15 and t.max() < 1 + 1e-15
    assert np.all(np.abs(act.tanh(np.linspace(-5, 5, 11))) < 1)


@pytest.mark.parametrize("name", ELEMENTWISE)
def test_derivatives_match_finite_differences(name):
    f, f_prime = act.get(name)
    z = np.array([-2.3, -0.7, -0.1, 0.2, 0.9, 3.1])  # away from the kinks at 0
    numeric = (f(z + 1e-6) - f(z - 1e-6)) / 2e-6
    assert np.allclose(f_prime(z), numeric, atol=1e-6)


def test_huge_inputs_give_no_warnings():
    z = np.array([-1000.0, 1000.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for f, f_prime in act.ACTIVATIONS.values():
            assert np.all(np.isfinite(f_prime(z)))
            f(z)
        assert np.allclose(act.sigmoid(z), [0, 1]) and np.allclose(act.softmax(z), [0, 1])


def test_softmax_sums_to_one_and_its_jacobian():
    z = np.array([[1.0, 2.0, 0.5], [-3.0, 0.0, 3.0]])
    assert np.allclose(act.softmax(z).sum(axis=1), 1)
    v = np.array([0.3, -1.2, 2.0])
    numeric = np.stack([(act.softmax(v + e) - act.softmax(v - e)) / 2e-6
                        for e in np.eye(3) * 1e-6], axis=1)
    assert np.allclose(act.softmax_jacobian(v), numeric, atol=1e-8)


def test_activations_agree_with_keras():
    import keras
    z = np.linspace(-4, 4, 17).astype("float32")
    ops = keras.ops
    pairs = {"sigmoid": keras.activations.sigmoid, "tanh": keras.activations.tanh,
             "relu": keras.activations.relu, "elu": keras.activations.elu}
    for name, fn in pairs.items():
        assert np.allclose(act.get(name)[0](z), ops.convert_to_numpy(fn(z)), atol=1e-6), name
    leaky = ops.convert_to_numpy(keras.activations.leaky_relu(z, negative_slope=0.01))
    assert np.allclose(act.leaky_relu(z), leaky, atol=1e-6)
    assert np.allclose(act.softmax(z), ops.convert_to_numpy(keras.activations.softmax(z)),
                       atol=1e-6)


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="softplus"):
        act.get("softplus")


# --- the MLP ------------------------------------------------------------------------------

def _problem(sizes=(3, 5, 4, 2), n=7, seed=0):
    rng = np.random.default_rng(seed)
    layers = mlp.init_layers(list(sizes), seed=seed, init=0.8)
    layers = [(W, rng.normal(size=b.shape)) for W, b in layers]
    return layers, rng.normal(size=(n, sizes[0])), rng.normal(size=(n, sizes[-1]))


@pytest.mark.parametrize("hidden", ELEMENTWISE)
@pytest.mark.parametrize("reg", [None, "l1", "l2"])
def test_backward_matches_finite_differences(hidden, reg):
    layers, X, y = _problem()
    _, cache = mlp.forward(layers, X, hidden, "tanh")
    grads = mlp.backward(layers, cache, y, hidden, "tanh", reg, 0.03)

    def cost(_):
        out, _ = mlp.forward(layers, X, hidden, "tanh")
        return mlp.loss(out, y) + mlp.penalty(layers, reg, 0.03)

    for (W, b), (dW, db) in zip(layers, grads, strict=True):
        assert mlp.relative_error(dW, mlp.numerical_gradient(cost, W)) < 1e-6
        assert mlp.relative_error(db, mlp.numerical_gradient(cost, b)) < 1e-6


@pytest.mark.parametrize("hidden", ["sigmoid", "tanh", "relu", "elu"])
def test_backward_matches_gradient_tape(hidden):
    import tensorflow as tf
    layers, X, y = _problem(seed=1)
    _, cache = mlp.forward(layers, X, hidden, "sigmoid")
    grads = mlp.backward(layers, cache, y, hidden, "sigmoid")
    variables = [(tf.Variable(W), tf.Variable(b)) for W, b in layers]
    fn = {"sigmoid": tf.sigmoid, "tanh": tf.tanh, "relu": tf.nn.relu, "elu": tf.nn.elu}
    with tf.GradientTape() as tape:
        a = tf.constant(X)
        for i, (W, b) in enumerate(variables):
            z = a @ W + b
            a = tf.sigmoid(z) if i == len(variables) - 1 else fn[hidden](z)
        cost = 0.5 * tf.reduce_sum((a - y) ** 2) / len(X)
    tape_grads = tape.gradient(cost, [v for pair in variables for v in pair])
    assert np.isclose(float(cost), mlp.loss(cache["a"][-1], y))
    ours = [g for pair in grads for g in pair]
    for mine, theirs in zip(ours, tape_grads, strict=True):
        assert np.allclose(mine, theirs.numpy(), atol=1e-12, rtol=1e-9)


def test_two_layer_network_learns_xor():
    X, y = toy.GATE_X.astype(float), toy.XOR_Y
    layers, losses = mlp.train(mlp.init_layers([2, 4, 1], seed=0, init=1.0), X, y, 2.0, 2000)
    assert mlp.accuracy(mlp.forward(layers, X)[0], y) == 1.0
    assert len(losses) == 2000 and losses[-1] < 0.01 < losses[0]


def test_update_and_dict_round_trip():
    layers, _, _ = _problem()
    grads = [(np.ones_like(W), np.ones_like(b)) for W, b in layers]
    new = mlp.update(layers, grads, 0.5)
    assert all(np.allclose(nW, W - 0.5) and np.allclose(nb, b - 0.5)
               for (nW, nb), (W, b) in zip(new, layers, strict=True))
    params = mlp.from_layers(layers)
    assert sorted(params) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    assert all(a is c and b is d for (a, b), (c, d) in
               zip(mlp.to_layers(params), layers, strict=True))


def test_huge_learning_rate_stops_quietly_on_nan():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2)) * 5
    y = rng.normal(size=40) * 100
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, losses = mlp.train(mlp.init_layers([2, 8, 1], seed=0), X, y, 50.0, 200,
                              hidden="relu", output="linear")
    assert not np.isfinite(losses[-1]) and len(losses) < 200


def test_sigmoid_gradients_vanish_in_a_deep_stack():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(float)
    norms = {}
    for hidden, init in (("sigmoid", "xavier"), ("relu", "he")):
        layers = mlp.init_layers([2] + [16] * 10 + [1], seed=1, init=init)
        _, cache = mlp.forward(layers, X, hidden)
        norms[hidden] = mlp.gradient_norms(mlp.backward(layers, cache, y, hidden))
    assert norms["sigmoid"][0] < 1e-4 * norms["sigmoid"][-1]
    assert norms["relu"][0] > 0.05 * norms["relu"][-1]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="init"):
        mlp.init_layers([2, 1], init="zeros")
    layers, X, y = _problem()
    _, cache = mlp.forward(layers, X)
    with pytest.raises(ValueError, match="regularization"):
        mlp.backward(layers, cache, y, reg="l3")


# --- the checks ---------------------------------------------------------------------------

def r_train_xor(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
    return key.train_xor(X, y, hidden, lr, epochs, seed)


def _with_forward(train_xor, forward=key.forward):
    """A train_xor whose module globals hold ``forward`` (as in the notebook)."""
    namespace = {"forward": forward, "key": key}
    exec(compile("def train_xor(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):\n"
                 "    return impl(X, y, hidden, lr, epochs, seed)\n", "<nb>", "exec"), namespace)
    namespace["impl"] = train_xor
    return namespace["train_xor"]


def test_reference_answers_pass_every_check(capsys):
    check.check_sigmoid(key.sigmoid, key.sigmoid_prime)
    check.check_forward(key.forward)
    check.check_backward(key.backward)
    check.check_numerical_gradient(key.numerical_gradient)
    check.check_update(key.update)
    check.check_train_xor(_with_forward(r_train_xor))
    check.check_softmax_delta(key.softmax, key.softmax_crossentropy_delta)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 7


def test_stored_values_match_the_answer_key():
    for case in check.CASES.values():
        X, y = np.array(case["X"]), np.array(case["y"])
        params = {k: np.array(v) for k, v in case["params"].items()}
        cache = key.forward(X, params)
        for name, value in zip(("z1", "a1", "z2", "a2"), cache, strict=True):
            assert np.allclose(value, case[name], atol=1e-9)
        grads = key.backward(X, y, params, cache)
        assert all(np.allclose(grads[k], case["grads"][k], atol=1e-9) for k in key.KEYS)
    assert np.allclose(key.sigmoid(check.SIGMOID_Z), check.SIGMOID, atol=1e-12)
    assert np.allclose(key.sigmoid_prime(check.SIGMOID_Z), check.SIGMOID_PRIME, atol=1e-12)
    params, losses = key.train_xor(toy.GATE_X.astype(float), toy.XOR_Y.reshape(-1, 1) * 1.0,
                                   **check.XOR_RUN)
    assert np.allclose(losses, check.XOR_LOSSES, atol=1e-9)
    assert all(np.allclose(params[k], check.XOR_PARAMS[k], atol=1e-9) for k in key.KEYS)


def test_stored_softmax_cases_match_the_answer_key():
    for case in check.SOFTMAX_CASES.values():
        z = np.array(case["z"])
        y = np.eye(z.shape[1])[case["labels"]]
        assert np.allclose(key.softmax(z), case["softmax"], atol=1e-11)
        assert np.allclose(key.softmax_crossentropy_delta(z, y), case["delta"], atol=1e-11)


@pytest.mark.parametrize(("n", "k"), [(1, 2), (3, 3), (8, 5), (32, 10)])
def test_softmax_delta_matches_gradient_tape_and_finite_differences(n, k):
    import tensorflow as tf

    rng = np.random.default_rng(n * 100 + k)
    z = rng.normal(size=(n, k)) * 4
    y = np.eye(k)[rng.integers(0, k, size=n)]
    delta = key.softmax_crossentropy_delta(z, y)
    z_var = tf.Variable(z)
    with tf.GradientTape() as tape:
        cost = tf.reduce_mean(tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=z_var))
    assert np.isclose(float(cost), key.crossentropy_cost(z, y), rtol=1e-12)
    assert np.allclose(delta, tape.gradient(cost, z_var).numpy(), atol=1e-14, rtol=1e-10)
    numeric = mlp.numerical_gradient(lambda v: key.crossentropy_cost(v, y), z.copy())
    assert np.allclose(delta, numeric, atol=1e-9, rtol=1e-6)


def test_softmax_is_stable_at_huge_logits():
    z = np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -999.0]])
    with warnings.catch_warnings(), np.errstate(all="raise", under="ignore"):
        warnings.simplefilter("error")
        p = key.softmax(z)
        cost = key.crossentropy_cost(z, np.eye(3)[[2, 0]])
    assert np.allclose(p.sum(axis=1), 1) and np.isclose(
        cost, (2000 + 1 + np.log(1 + 2 * np.exp(-1))) / 2)


def _sm(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.mark.parametrize(("softmax", "delta", "match"), [
    (_sm, lambda z, y: (y - _sm(z)) / len(z), "sign error"),
    (_sm, lambda z, y: _sm(z) - y, "divide a - y by n"),
    (_sm, lambda z, y: (_sm(z) - y) / z.size, "not by the number of entries"),
    (_sm, lambda z, y: (_sm(z) - y) * _sm(z) * (1 - _sm(z)) / len(z), "do not multiply"),
    (_sm, lambda z, y: (_sm(z) - np.argmax(y, axis=1).reshape(-1, 1)) / len(z), "one-hot"),
    (_sm, lambda z, y: (_sm(z) - np.argmax(y, axis=1)) / len(z), "sum to 0"),
    (_sm, lambda z, y: (_sm(z) - y).mean(axis=0, keepdims=True), "wrong shape"),
    (lambda z: np.exp(z) / np.exp(z).sum(axis=1, keepdims=True), key.softmax_crossentropy_delta,
     "overflow"),
    (lambda z: np.exp(z - z.max()) / np.exp(z - z.max()).sum(axis=0),
     key.softmax_crossentropy_delta, "each row"),
])
def test_softmax_delta_mistakes_get_specific_hints(softmax, delta, match):
    with pytest.raises(AssertionError, match=match):
        check.check_softmax_delta(softmax, delta)


def test_an_error_inside_a_wrong_earlier_task_is_blamed_on_it(capsys):
    def bad_backward(X, y, params, cache):
        raise ValueError("matmul: shapes do not fit")

    namespace = {"np": np, "forward": key.forward, "backward": bad_backward,
                 "update": key.update, "init_params": key.init_params}
    exec("def train_xor(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):\n"
         "    params = init_params(X.shape[1], hidden, 1, seed)\n"
         "    cache = forward(X, params)\n"
         "    return update(params, backward(X, y, params, cache), lr), []\n", namespace)
    check.check_train_xor(namespace["train_xor"])
    assert "Fix backward first" in capsys.readouterr().out
    namespace["sigmoid"] = lambda z: z.undefined_attribute
    exec("def forward(X, params):\n"
         "    a1 = sigmoid(X @ params['W1'] + params['b1'])\n"
         "    return a1, a1, a1, a1\n", namespace)
    check.check_forward(namespace["forward"])
    assert "Fix sigmoid first" in capsys.readouterr().out


def test_the_checks_hold_no_answers():
    import inspect

    import dlcourse.checks.backprop as module

    imports = [line for line in inspect.getsource(module).splitlines()
               if line.startswith(("import ", "from "))]
    assert imports and not any("answer_key" in line for line in imports)
    tasks = {"sigmoid", "sigmoid_prime", "forward", "backward", "numerical_gradient", "update",
             "train_xor", "softmax", "softmax_crossentropy_delta"}
    assert not tasks & set(vars(module))


def _student_backward(sign=1.0, mean=True, f2=True, f1=True, transposed=False, bias="sum"):
    """A two-layer backward pass with switchable, typical mistakes."""
    def backward(X, y, params, cache):
        z1, a1, z2, a2 = cache
        n = len(X) if mean else 1
        delta2 = sign * (a2 - y) / n * (act.sigmoid_prime(z2) if f2 else 1)
        W2 = params["W2"] if transposed else params["W2"].T
        delta1 = (delta2 @ W2) * (act.sigmoid_prime(z1) if f1 else 1)
        grads = {"W1": X.T @ delta1, "W2": a1.T @ delta2}
        if bias == "sum":
            grads.update(b1=delta1.sum(axis=0), b2=delta2.sum(axis=0))
        elif bias == "rows":
            grads.update(b1=delta1, b2=delta2)
        else:
            grads.update(b1=np.zeros(delta1.shape[1]), b2=np.zeros(delta2.shape[1]))
        return grads
    return backward


def test_correct_student_backward_passes():
    check.check_backward(_student_backward())


@pytest.mark.parametrize("mistake, message", [
    (dict(sign=-1.0), "wrong sign"),
    (dict(mean=False), "summed instead of averaged"),
    (dict(f2=False), r"missing the activation derivative sigmoid'\(z2\)"),
    (dict(f1=False), r"missing the activation derivative sigmoid'\(z1\)"),
    (dict(transposed=True), r"(?s)raised ValueError.*delta2 @ W2\.T"),
    (dict(bias="rows"), "summed over the batch"),
    (dict(bias="none"), "bias gradient is missing"),
])
def test_backward_mistakes_get_specific_hints(mistake, message):
    with pytest.raises(AssertionError, match=message):
        check.check_backward(_student_backward(**mistake))


def test_a_wrong_earlier_task_is_named(capsys):
    namespace = {"np": np, "sigmoid_prime": lambda z: z * (1 - z)}
    exec("def backward(X, y, params, cache):\n"
         "    z1, a1, z2, a2 = cache\n"
         "    d2 = (a2 - y) / len(X) * sigmoid_prime(z2)\n"
         "    d1 = (d2 @ params['W2'].T) * sigmoid_prime(z1)\n"
         "    return {'W2': a1.T @ d2, 'b2': d2.sum(axis=0), 'W1': X.T @ d1, "
         "'b1': d1.sum(axis=0)}\n", namespace)
    check.check_backward(namespace["backward"])
    assert "Fix sigmoid_prime first" in capsys.readouterr().out
    namespace["sigmoid_prime"] = key.sigmoid_prime
    check.check_backward(namespace["backward"])
    assert "not checked" not in capsys.readouterr().out


def test_sigmoid_prime_of_z_instead_of_sigmoid_is_caught():
    with pytest.raises(AssertionError, match="compute s = sigmoid"):
        check.check_sigmoid(act.sigmoid, lambda z: z * (1 - z))
    with pytest.raises(AssertionError, match="sigmoid_prime"):
        check.check_sigmoid(act.sigmoid, lambda z: act.sigmoid(z))


def test_forward_mistakes():
    def no_output_sigmoid(X, params):
        z1, a1, z2, _ = key.forward(X, params)
        return z1, a1, z2, z2

    with pytest.raises(AssertionError, match="a2 = sigmoid"):
        check.check_forward(no_output_sigmoid)

    def transposed(X, params):
        return tuple(np.asarray(v).T for v in key.forward(X, params))

    with pytest.raises(AssertionError, match="transposed"):
        check.check_forward(transposed)

    def one_output(X, params):  # right for network A only: keeps the first output column
        z1, a1, z2, a2 = key.forward(X, params)
        return z1, a1, z2[:, :1], a2[:, :1]

    with pytest.raises(AssertionError, match="2 outputs"):
        check.check_forward(one_output)


def test_numerical_gradient_mistakes():
    def not_restored(f, x, eps=1e-5):
        grad = np.zeros_like(x, dtype=float)
        for i in np.ndindex(x.shape):
            x[i] += eps
            plus = f(x)
            x[i] -= 2 * eps
            grad[i] = (plus - f(x)) / (2 * eps)
        return grad

    with pytest.raises(AssertionError, match="put the original value back"):
        check.check_numerical_gradient(not_restored)

    def one_eps(f, x, eps=1e-5):
        return mlp.numerical_gradient(f, x, eps) * 2

    with pytest.raises(AssertionError, match="central differences"):
        check.check_numerical_gradient(one_eps)

    def fixed_eps(f, x, eps=1e-5):
        return mlp.numerical_gradient(f, x, 1e-5)

    with pytest.raises(AssertionError, match="does not use the eps"):
        check.check_numerical_gradient(fixed_eps)

    def forward_difference(f, x, eps=1e-5):
        grad = np.zeros(x.shape)
        for i in np.ndindex(x.shape):
            old, base = x[i], f(x)
            x[i] = old + eps
            grad[i] = (f(x) - base) / eps
            x[i] = old
        return grad

    with pytest.raises(AssertionError, match="numerical_gradient"):
        check.check_numerical_gradient(forward_difference)


def test_update_and_training_mistakes(capsys):
    with pytest.raises(AssertionError, match="b1 was not updated"):
        check.check_update(lambda p, g, lr: {k: p[k] - lr * g[k] if k[0] == "W" else p[k]
                                             for k in p})
    with pytest.raises(AssertionError, match="against the gradient"):
        check.check_update(lambda p, g, lr: {k: p[k] + lr * g[k] for k in p})
    with pytest.raises(AssertionError, match="lr = 0.35"):
        check.check_update(lambda p, g, lr: {k: p[k] - 0.1 * g[k] for k in p})

    def never_learns(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
        return key.init_params(2, hidden, 1, seed), [0.2] * epochs

    with pytest.raises(AssertionError, match="losses of train_xor"):
        check.check_train_xor(_with_forward(never_learns))

    def fixed_lr(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
        return key.train_xor(X, y, hidden, 2.0, epochs, seed)

    with pytest.raises(AssertionError, match=r"as if lr=2.0"):
        check.check_train_xor(_with_forward(fixed_lr))

    def fixed_seed(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
        return key.train_xor(X, y, hidden, lr, epochs, 0)

    with pytest.raises(AssertionError, match="as if seed=0"):
        check.check_train_xor(_with_forward(fixed_seed))

    def recorded_after(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
        params = key.init_params(X.shape[1], hidden, 1, seed)
        losses = []
        for _ in range(epochs):
            params = key.update(params, key.backward(X, y, params, key.forward(X, params)), lr)
            losses.append(key.cost(key.forward(X, params)[3], y))
        return params, losses

    with pytest.raises(AssertionError, match="after each update"):
        check.check_train_xor(_with_forward(recorded_after))

    def own_init(X, y, hidden=4, lr=2.0, epochs=2000, seed=0):
        params = {k: v * 0.5 for k, v in key.init_params(X.shape[1], hidden, 1, seed).items()}
        losses = []
        for _ in range(epochs):
            cache = key.forward(X, params)
            losses.append(key.cost(cache[3], y))
            params = key.update(params, key.backward(X, y, params, cache), lr)
        return params, losses

    with pytest.raises(AssertionError, match="init_params"):
        check.check_train_xor(_with_forward(own_init))

    check.check_train_xor(_with_forward(  # graded with a correct forward: a note, no failure
        lambda X, y, hidden=4, lr=2.0, epochs=2000, seed=0: (None, [0.0] * epochs),
        forward=lambda X, p: (X, X, X, X)))
    assert "Fix forward first" in capsys.readouterr().out
