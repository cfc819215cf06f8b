"""Lab 06: the offline Playground (data, features, training, divergence, the widget's
fallback) and the lab's checks."""

import sys
import warnings

import numpy as np
import pytest
from answer_key import activations as act
from answer_key import playground as key

from dlcourse import playground as pg
from dlcourse.checks import playground as check

NO_HIDDEN = {"gauss": ["x1", "x2"], "circle": ["x1^2", "x2^2"], "xor": ["x1*x2"]}
SMALLEST = {"gauss": (), "circle": (3,), "xor": (4,)}


def test_datasets_cover_the_playground_domain():
    for name in pg.DATASETS:
        X, y = pg.make_data(name, n=200, noise=0.1, seed=3)
        assert X.shape == (200, 2) and set(np.unique(y)) == {0, 1}
        assert np.abs(X).max() < pg.DOMAIN + 1 and np.abs(X).max() > 2
        X2, _ = pg.make_data(name, n=200, noise=0.1, seed=3)
        assert np.array_equal(X, X2)
    with pytest.raises(ValueError, match="spiral"):
        pg.make_data("moons")


def test_the_network_sees_the_chosen_features():
    # with one feature and no hidden layer, the output is tanh(w * standardised feature + b)
    X = np.array([[1.0, 2.0], [-3.0, 0.5], [0.0, -1.5], [2.5, -4.0]])
    F = key.feature_map(X)
    for column, name in enumerate(pg.FEATURES):
        result = pg.train(dataset="gauss", features=(name,), hidden=(), epochs=2)
        (W, b), = result.layers
        mean, std = result.scale
        expected = np.tanh((F[:, column] - mean[0]) / std[0] * W[0, 0] + b[0])
        assert np.allclose(result.output(X), expected), name
    assert key.FEATURES == pg.FEATURES


def test_the_library_ships_no_answer_of_labs_05_and_06():
    from dlcourse.grading.mutants import public_callables

    tasks = {"sigmoid", "sigmoid_prime", "forward", "backward", "numerical_gradient", "update",
             "train_xor", "tanh_prime", "relu_prime", "leaky_relu_prime", "elu_prime",
             "feature_map", "diverged"}
    assert not tasks & set(public_callables())
    assert not any(name.endswith("_prime") or "feature_map" in name for name in vars(pg))


def test_library_disabled_stops_delegation_and_restores_everything():
    before = dict(vars(pg))
    with key.library_disabled():
        with pytest.raises(RuntimeError, match="not available"):
            pg.train(epochs=1)
        with pytest.raises(RuntimeError, match="not available"):
            pg._INPUT_OPS["x1"]
        assert pg.FEATURES == key.FEATURES  # constants stay
        assert np.allclose(key.feature_map(np.ones((2, 2)))[:, 2], 1.0)
    assert dict(vars(pg)) == before
    assert len(pg.train(epochs=1).train_loss) == 1


@pytest.mark.parametrize("bad, message", [
    (dict(dataset="moons"), "unknown dataset"),
    (dict(features=()), "features"),
    (dict(features=("x1", "cos(x1)")), "features"),
    (dict(hidden=(8, 8, 8, 8, 8, 8, 8)), "0-6 layers"),
    (dict(hidden=(9,)), "1-8 units"),
    (dict(activation="swish"), "activation"),
    (dict(regularization="l3"), "regularization"),
    (dict(learning_rate=0), "learning_rate"),
    (dict(output="softmax"), "output"),
])
def test_bad_configurations_are_explained(bad, message):
    with pytest.raises(ValueError, match=message):
        pg.Config(**bad)


def test_configs_from_dicts_and_keywords():
    config = pg.make_config({"dataset": "xor", "hidden": [2]}, learning_rate=0.3)
    assert config == pg.Config(dataset="xor", hidden=(2,), learning_rate=0.3)
    assert pg.make_config(regularization="L2").regularization == "l2"
    with pytest.raises(TypeError):
        pg.make_config("circle")


def test_train_returns_losses_per_epoch_and_a_boundary():
    result = pg.train(dataset="circle", hidden=(4,), epochs=30, learning_rate=0.1)
    assert len(result.train_loss) == len(result.test_loss) == 30
    assert result.train_loss[-1] < result.train_loss[0] and not result.diverged
    assert len(result.X_train) == len(result.X_test) == 150
    gx, gy, out = result.grid(25)
    assert gx.shape == out.shape == (25, 25) and np.all(np.abs(out) <= 1)
    assert set(np.unique(result.predict(result.X_test))) <= {0, 1}
    assert 0.5 <= result.test_accuracy <= 1 and result.hidden_units == 4
    assert "circle" in result.summary() and "test accuracy" in result.summary()


def test_loss_is_half_the_mean_squared_error():
    result = pg.train(dataset="gauss", hidden=(), epochs=3)
    out = result.output(result.X_test)
    target = 2.0 * result.y_test - 1
    assert np.isclose(result.test_loss[-1], 0.5 * np.mean((out - target) ** 2))


def test_same_seed_same_run_and_regularisation_shrinks_weights():
    a = pg.train(dataset="xor", hidden=(4,), epochs=20, seed=5)
    b = pg.train(dataset="xor", hidden=(4,), epochs=20, seed=5)
    assert a.train_loss == b.train_loss
    l2 = pg.train(dataset="xor", hidden=(4,), epochs=20, seed=5, regularization="l2",
                  reg_rate=0.3)
    l1 = pg.train(dataset="xor", hidden=(4,), epochs=20, seed=5, regularization="l1",
                  reg_rate=0.3)

    def size(r):
        return sum(np.abs(W).sum() for W, _ in r.layers)

    assert size(l2) < size(a) and size(l1) < size(a)


def test_curriculum_claims_hold():
    def acc(dataset, features=("x1", "x2"), hidden=()):
        return max(pg.train(dataset=dataset, features=features, hidden=hidden, epochs=100,
                            learning_rate=0.1, seed=s).test_accuracy for s in (0, 1))

    assert acc("gauss") >= 0.95  # no hidden layer solves gauss ...
    assert acc("circle") < 0.75  # ... but not circle ...
    assert acc("circle", ("x1", "x2", "x1^2", "x2^2")) >= 0.95  # ... unless x1^2, x2^2 are added
    assert acc("xor", ("x1*x2",)) >= 0.9
    assert acc("circle", hidden=(3,)) >= 0.95


def test_huge_learning_rate_gives_nan_without_crash_or_output(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = pg.train(dataset="gauss", hidden=(4, 2), output="linear", learning_rate=10.0,
                          epochs=50)
        assert result.diverged and not np.isfinite(result.train_loss[-1])
        assert len(result.train_loss) < 50
        assert np.all(np.isnan(result.output(result.X_test)) | np.isfinite(
            result.output(result.X_test)))
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_callback_sees_progress_and_can_stop():
    seen = []
    result = pg.train(dataset="gauss", epochs=50, callback=lambda r: seen.append(
        len(r.train_loss)) or len(r.train_loss) == 5)
    assert seen == [1, 2, 3, 4, 5] and len(result.train_loss) == 5


def test_plots(tmp_path):
    import matplotlib

    matplotlib.use("agg")
    import matplotlib.pyplot as plt

    fig = pg.plot(pg.train(dataset="xor", hidden=(3,), epochs=5), resolution=20)
    assert len(fig.axes) >= 2
    fig2 = pg.plot(pg.train(dataset="gauss", output="linear", learning_rate=10.0, epochs=30))
    assert "DIVERGED" in fig2.axes[0].get_title()
    fig3 = pg.plot_activations()
    assert len(fig3.axes) == 6
    fig4 = pg.plot_activations({"relu": act.relu_prime})
    assert any("yours" in text.get_text() for text in fig4.axes[2].get_legend().get_texts())
    plt.close("all")


def test_widget_without_ipywidgets_prints_what_to_do(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # makes `import ipywidgets` fail
    assert pg.widget() is None
    out = capsys.readouterr().out
    assert "ipywidgets is not installed" in out and "playground.train(config)" in out


def test_widget_outside_a_kernel_prints_what_to_do(capsys):
    # pytest runs without an IPython kernel, like a plain Python script
    assert pg.widget_unavailable_reason() is not None
    assert pg.widget(dict(dataset="xor")) is None
    assert "no Jupyter kernel" in capsys.readouterr().out


@pytest.fixture
def kernel(monkeypatch):
    """Pretend to be a Jupyter kernel; errors in button handlers surface in the test."""
    import IPython
    import ipywidgets  # noqa: F401

    class Shell:
        kernel = object()

        def showtraceback(self, *args, **kwargs):
            raise  # noqa: PLE0704 - re-raise the handler's error

    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())


def test_widget_builds_in_a_kernel(kernel):
    assert pg.widget_unavailable_reason() is None
    box = pg.widget(dict(dataset="xor", hidden=(4,)))
    assert box is not None and len(box.children) == 2
    assert box.panel.current() == pg.Config(dataset="xor", hidden=(4,))


def test_widget_controls_are_laid_out_without_an_inner_scrollbar(kernel):
    box = pg.widget()
    controls, image = box.children
    # the column keeps its width (no shrinking, no scrolling); the plot wraps below it
    assert controls.layout.width == controls.layout.min_width == pg.CONTROLS_WIDTH
    assert controls.layout.flex == "0 0 auto" and controls.layout.overflow == "visible"
    assert box.layout.flex_flow == "row wrap" and image is box.panel.image
    assert image.layout.max_width and image.layout.height == "auto"
    for item in box.panel.controls.values():
        assert item.layout.width == "100%", item.description
    grid = next(c for c in controls.children if getattr(c, "children", None) == tuple(
        box.panel.features))
    assert grid.layout.overflow == "visible"
    assert [f.description for f in box.panel.features] == list(pg.FEATURES)


@pytest.mark.parametrize("regularization, label", [(None, "none"), ("l2", "L2")])
def test_widget_dropdowns_show_a_label_for_every_option(kernel, regularization, label):
    import ipywidgets

    box = pg.widget(dict(regularization=regularization, reg_rate=0.01, learning_rate=0.05))
    dropdowns = [c for c in box.panel.controls.values() if isinstance(c, ipywidgets.Dropdown)]
    assert len(dropdowns) == 5
    for dropdown in dropdowns:
        assert all(str(text).strip() for text in dropdown._options_labels), dropdown.description
        assert dropdown.index is not None and dropdown.label.strip(), dropdown.description
    reg = box.panel.controls["regularization"]
    assert reg.label == label and box.panel.current().regularization == regularization
    reg.label = "none"
    assert box.panel.current().regularization is None
    assert box.panel.controls["learning rate"].label == "0.05"  # a rate off the list is kept


def test_widget_train_shows_a_png_image_not_a_figure_repr(kernel, monkeypatch, capsys):
    displayed, frames = [], []
    monkeypatch.setattr("IPython.display.display", lambda *a, **k: displayed.append(a))
    render = pg.plot_png
    monkeypatch.setattr(pg, "plot_png", lambda r, **k: frames.append(len(r.train_loss))
                        or render(r, **k))
    box = pg.widget(dict(dataset="xor", hidden=(4,), epochs=30), redraw_every=10)
    panel = box.panel
    assert panel.image.value == b""
    panel.button.click()
    assert panel.image.format == "png" and panel.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert frames == [10, 20, 30]  # redrawn while it learns, then the final run
    assert "test accuracy" in panel.status.value and not panel.button.disabled
    assert displayed == [] and capsys.readouterr().out == ""  # no Figure, no text repr


def test_widget_says_when_the_plot_is_stale_and_reports_bad_settings(kernel):
    box = pg.widget(dict(dataset="gauss", hidden=(), epochs=10))
    panel = box.panel
    assert panel.status.value.startswith("Press <b>Train</b>")
    panel.train()
    assert panel.status.value.startswith("gauss") and panel.button.button_style == "primary"
    picture = panel.image.value
    panel.controls["noise"].value = 0.2
    assert panel.status.value == pg.STALE and panel.button.button_style == "warning"
    panel.features[4].value = True
    assert panel.status.value == pg.STALE
    panel.controls["hidden"].value = "9"
    panel.button.click()  # an impossible layer size is reported, not raised
    assert "Cannot train" in panel.status.value and "1-8 units" in panel.status.value
    panel.controls["hidden"].value = "four"
    assert panel.train() is None and "separated by commas" in panel.status.value
    assert panel.image.value == picture and not panel.button.disabled
    panel.controls["hidden"].value = "2"
    result = panel.train()
    assert result.config.noise == 0.2 and "x1*x2" in result.config.features
    assert result.config.hidden == (2,) and panel.status.value != pg.STALE


def test_importing_the_package_and_the_playground_stays_light():
    import subprocess

    code = ("import sys, dlcourse, dlcourse.playground, dlcourse.checks.playground\n"
            "print(sorted({'tensorflow', 'ipywidgets', 'matplotlib', 'keras'} & set(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_train_calls_back_every_few_epochs():
    seen = []
    result = pg.train(dataset="gauss", epochs=25, callback=lambda r: seen.append(
        len(r.train_loss)), callback_every=10)
    assert seen == [10, 20, 25] and len(result.train_loss) == 25


# --- the checks ---------------------------------------------------------------------------

reference_feature_map = key.feature_map
reference_diverged = key.diverged


def test_reference_answers_pass_every_check(capsys):
    check.check_derivatives(act.tanh_prime, act.relu_prime, act.leaky_relu_prime,
                            act.elu_prime)
    check.check_feature_map(reference_feature_map)
    check.check_no_hidden(NO_HIDDEN)
    check.check_smallest(SMALLEST)
    check.check_diverged(reference_diverged, 10.0, 0.1)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 5


@pytest.mark.parametrize("which, wrong, message", [
    (0, lambda z: 1 - np.tanh(z), r"computes 1 - tanh\(z\)"),
    (1, act.relu, "computes the function relu"),
    (2, act.relu_prime, "slope of 0 for negative"),
    (3, np.exp, r"computes exp\(z\) for every z"),
    (3, lambda z: np.where(z > 0, 1.0, np.expm1(z)), "exp\\(z\\) - 1 for negative"),
    (2, lambda z, alpha=0.01: np.where(z > 0, 1.0, 0.01), "not the alpha it was given"),
    (3, lambda z, alpha=1.0: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
     "not the alpha it was given"),
    (2, lambda z, alpha=0.01: np.where(z > 0, 1.0, alpha) if z.ndim == 1 else z,
     r"of a \(2, 3\) array"),
])
def test_wrong_derivatives_are_named(which, wrong, message):
    functions = [act.tanh_prime, act.relu_prime, act.leaky_relu_prime, act.elu_prime]
    functions[which] = wrong
    with pytest.raises(AssertionError, match=message):
        check.check_derivatives(*functions)


def test_stored_values_match_the_answer_key():
    z = np.array(check.Z)
    for (name, alpha), expected in check.DERIVATIVES.items():
        fn = getattr(key, name)
        got = fn(z) if alpha is None else fn(z, alpha)
        assert np.allclose(got, expected, atol=1e-11), (name, alpha)
    assert np.allclose(key.feature_map(check.POINTS), check.POINT_FEATURES, atol=1e-10)


def test_feature_map_mistakes():
    def square_not_product(X):
        F = key.feature_map(X)
        F[:, 4] = X[:, 0] * X[:, 0]
        return F

    with pytest.raises(AssertionError, match=r"column 4 should be x1\*x2 \(it holds x1\^2\)"):
        check.check_feature_map(square_not_product)
    with pytest.raises(AssertionError, match="shape"):
        check.check_feature_map(lambda X: key.feature_map(X)[:, :6])
    with pytest.raises(AssertionError, match="single point"):
        check.check_feature_map(lambda X: key.feature_map(X) if len(X) > 1 else np.zeros((7,)))


def test_no_hidden_mistakes():
    with pytest.raises(AssertionError, match="circle with features"):
        check.check_no_hidden({**NO_HIDDEN, "circle": ["x1", "x2"]})
    with pytest.raises(AssertionError, match="fewer features"):
        check.check_no_hidden({**NO_HIDDEN, "xor": ["x1", "x2", "x1*x2"]})
    with pytest.raises(AssertionError, match="keys gauss, circle and xor"):
        check.check_no_hidden(["x1"])


def test_smallest_mistakes():
    with pytest.raises(AssertionError, match="fewer hidden units"):
        check.check_smallest({**SMALLEST, "circle": (8, 8)})
    with pytest.raises(AssertionError, match="too small"):
        check.check_smallest({**SMALLEST, "circle": (1,)})
    with pytest.raises(AssertionError, match="1-8 units"):
        check.check_smallest({**SMALLEST, "xor": (20,)})


def test_diverged_mistakes():
    with pytest.raises(AssertionError, match="x == np.nan is always"):
        check.check_diverged(lambda losses: bool(losses[-1] == np.nan), 10.0, 0.1)
    with pytest.raises(AssertionError, match="np.isfinite"):
        check.check_diverged(lambda losses: bool(np.isnan(losses).any()), 10.0, 0.1)
    with pytest.raises(AssertionError, match="did not diverge"):
        check.check_diverged(reference_diverged, 0.1, 0.1)
    with pytest.raises(AssertionError, match="should train"):
        check.check_diverged(reference_diverged, 10.0, 0.00001)
