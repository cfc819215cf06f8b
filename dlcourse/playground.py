"""An offline TensorFlow Playground: small networks on 2-D toy data, in NumPy.

:func:`train` runs one configuration and returns a :class:`Result` (losses per epoch,
accuracies, the decision boundary); :func:`widget` is the interactive front end for
students. Like playground.tensorflow.org: points lie in [-6, 6]^2, class 1 is the target
+1 and class 0 the target -1, the output unit is tanh, the loss is half the mean squared
error (not its root), and training is mini-batch gradient descent (batches of 10).
One difference: the feature columns are standardised (mean 0, standard deviation 1 on the
training points) before they enter the network, so that a feature like x1^2 (up to 36)
does not saturate the tanh units from the first step.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from dlcourse.reference import activations, mlp

DATASETS = ("circle", "xor", "gauss", "spiral")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "elu")
REGULARIZATIONS = (None, "l1", "l2")
OUTPUTS = ("tanh", "linear")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_UNITS = 6, 8
DOMAIN = 6.0

_FEATURE_FUNCTIONS = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1**2,
    "x2^2": lambda x1, x2: x2**2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


@dataclass(frozen=True)
class Config:
    """One Playground setting. ``hidden`` lists the units per hidden layer: () is no hidden
    layer, (4, 2) two layers. ``noise`` runs from 0 to 0.5 (the Playground's 0-50).
    ``output="linear"`` makes the output unit a plain weighted sum (as in the Playground's
    regression mode): its loss is unbounded, so too large a learning rate blows it up to
    NaN, where a tanh output would only saturate."""

    dataset: str = "circle"
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    learning_rate: float = 0.03
    regularization: str | None = None
    reg_rate: float = 0.0
    noise: float = 0.0
    train_fraction: float = 0.5
    output: str = "tanh"
    n: int = 300
    batch_size: int = 10
    epochs: int = 100
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.regularization is not None:
            object.__setattr__(self, "regularization", str(self.regularization).lower())
        validate(self)

    def replace(self, **changes) -> Config:
        return dataclasses.replace(self, **changes)


def validate(config: Config) -> None:
    """Raise ValueError naming the bad setting and the allowed values."""
    if config.dataset not in DATASETS:
        raise ValueError(f"unknown dataset {config.dataset!r}; choose from {', '.join(DATASETS)}")
    unknown = [f for f in config.features if f not in FEATURES]
    if unknown or not config.features:
        raise ValueError(f"features must be a non-empty selection of {', '.join(FEATURES)}; "
                         f"got {list(config.features)}")
    if len(config.hidden) > MAX_LAYERS or any(not 1 <= h <= MAX_UNITS for h in config.hidden):
        raise ValueError(f"hidden allows 0-{MAX_LAYERS} layers of 1-{MAX_UNITS} units each; "
                         f"got {list(config.hidden)}")
    if config.activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {config.activation!r}; "
                         f"choose from {', '.join(ACTIVATIONS)}")
    if config.output not in OUTPUTS:
        raise ValueError(f"output must be one of {', '.join(OUTPUTS)}; got {config.output!r}")
    if config.regularization not in REGULARIZATIONS:
        raise ValueError(
            f"regularization must be None, 'l1' or 'l2'; got {config.regularization!r}")
    if not config.learning_rate > 0 or config.reg_rate < 0:
        raise ValueError("learning_rate must be positive and reg_rate not negative")
    if not 0 <= config.noise <= 1:
        raise ValueError(f"noise runs from 0 to 0.5 (at most 1); got {config.noise}")
    if not 0.1 <= config.train_fraction <= 0.9:
        raise ValueError(f"train_fraction must be between 0.1 and 0.9; got {config.train_fraction}")
    if config.n < 20 or config.epochs < 1 or config.batch_size < 1:
        raise ValueError("n must be at least 20, epochs and batch_size at least 1")


def make_config(config=None, **changes) -> Config:
    """A :class:`Config` from a Config, a dict, or keyword arguments (or a mix)."""
    if config is None:
        config = Config()
    elif isinstance(config, dict):
        config = Config(**config)
    elif not isinstance(config, Config):
        raise TypeError(f"config should be a Config or a dict, not {type(config).__name__}")
    return config.replace(**changes) if changes else config


def make_data(dataset: str, n: int = 300, noise: float = 0.0, seed: int = 0):
    """``(X, y)``: n points of a Playground dataset, scaled to the Playground's domain, with
    labels 0/1. Built on the generators in :mod:`dlcourse.datasets.synthetic`."""
    from dlcourse.datasets import synthetic

    if dataset == "circle":
        X, y = synthetic.circles(n, noise=noise, factor=0.5, seed=seed)
        X = X * 5.0
    elif dataset == "xor":
        X, y = synthetic.xor(n, noise=noise, seed=seed)
        X = X * 5.0
    elif dataset == "gauss":
        X, y = synthetic.blobs(n, centers=((-2.0, -2.0), (2.0, 2.0)), std=0.7 + 2.0 * noise,
                               seed=seed)
    elif dataset == "spiral":
        X, y = synthetic.spiral(n, noise=noise, seed=seed)
        X = X * 5.0
    else:
        raise ValueError(f"unknown dataset {dataset!r}; choose from {', '.join(DATASETS)}")
    return X.astype(float), y


def feature_map(X, features=FEATURES) -> np.ndarray:
    """The input columns the network sees: one per feature name, in the order given."""
    X = np.asarray(X, dtype=float)
    unknown = [f for f in features if f not in _FEATURE_FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown features {unknown}; choose from {', '.join(FEATURES)}")
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([_FEATURE_FUNCTIONS[f](x1, x2) for f in features], axis=1)


@dataclass
class Result:
    """What one training run produced. Losses are half the mean squared error on the
    targets -1/+1, one value per epoch; after a divergence they stop (the last is NaN/inf)."""

    config: Config
    layers: list
    train_loss: list
    test_loss: list
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    diverged: bool = False
    scale: tuple = (0.0, 1.0)

    def inputs(self, points) -> np.ndarray:
        """The standardised feature columns the network sees for (m, 2) points."""
        mean, std = self.scale
        return (feature_map(points, self.config.features) - mean) / std

    def output(self, points) -> np.ndarray:
        """The network's raw output in (-1, 1) for (m, 2) points; NaN after a divergence."""
        with np.errstate(all="ignore"):
            out, _ = mlp.forward(self.layers, self.inputs(points), self.config.activation,
                                 self.config.output)
        return out[:, 0]

    def predict(self, points) -> np.ndarray:
        """Class labels 0/1: 1 where the output is >= 0."""
        return (self.output(points) >= 0).astype(int)

    def accuracy(self, X, y) -> float:
        return float(np.mean(self.predict(X) == np.asarray(y).reshape(-1)))

    @property
    def train_accuracy(self) -> float:
        return self.accuracy(self.X_train, self.y_train)

    @property
    def test_accuracy(self) -> float:
        return self.accuracy(self.X_test, self.y_test)

    @property
    def final_test_loss(self) -> float:
        return float(self.test_loss[-1])

    @property
    def final_train_loss(self) -> float:
        return float(self.train_loss[-1])

    @property
    def hidden_units(self) -> int:
        return int(sum(self.config.hidden))

    def grid(self, resolution: int = 100):
        """``(gx, gy, output)`` on a square grid over the domain, for contour plots."""
        axis = np.linspace(-DOMAIN, DOMAIN, resolution)
        gx, gy = np.meshgrid(axis, axis)
        out = self.output(np.c_[gx.ravel(), gy.ravel()]).reshape(gx.shape)
        return gx, gy, out

    def summary(self) -> str:
        c = self.config
        layers = "-".join(str(h) for h in c.hidden) or "no hidden layer"
        state = "DIVERGED (loss NaN/inf)" if self.diverged else (
            f"test loss {self.final_test_loss:.3f}, test accuracy {self.test_accuracy:.0%}")
        reg = f", {c.regularization.upper()} {c.reg_rate:g}" if c.regularization else ""
        noise = f", noise {c.noise:g}" if c.noise else ""
        return (f"{c.dataset}{noise}, features {', '.join(c.features)}, {layers} "
                f"({c.activation}), lr {c.learning_rate:g}{reg}: {len(self.train_loss)} epochs, "
                f"{state}")


def train(config=None, callback=None, **changes) -> Result:
    """Train one Playground configuration (a :class:`Config`, a dict or keywords).

    ``callback(result_so_far)`` runs after every epoch; it may return True to stop early.
    A learning rate that is too large does not raise: training stops at the first epoch
    whose loss is NaN or infinite and ``result.diverged`` is True. Nothing is printed.
    """
    config = make_config(config, **changes)
    X, y = make_data(config.dataset, config.n, config.noise, config.seed)
    n_train = int(round(len(X) * config.train_fraction))
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    raw = feature_map(X_train, config.features)
    scale = (raw.mean(axis=0), np.where(raw.std(axis=0) > 1e-12, raw.std(axis=0), 1.0))
    t_train, t_test = 2.0 * y_train - 1.0, 2.0 * y_test - 1.0
    sizes = [len(config.features), *config.hidden, 1]
    layers = mlp.init_layers(sizes, seed=config.seed, init="xavier")
    result = Result(config, layers, [], [], X_train, y_train, X_test, y_test, scale=scale)
    F_train, F_test = result.inputs(X_train), result.inputs(X_test)

    def after_epoch(epoch, layers, loss):
        with np.errstate(all="ignore"):
            out, _ = mlp.forward(layers, F_test, config.activation, config.output)
            test_loss = mlp.loss(out, t_test)
        result.layers = layers
        result.train_loss.append(float(loss))
        result.test_loss.append(float(test_loss))
        if not (np.isfinite(loss) and np.isfinite(test_loss)):
            result.diverged = True
            return True
        return bool(callback(result)) if callback is not None else False

    layers, _ = mlp.train(layers, F_train, t_train, config.learning_rate, config.epochs,
                          hidden=config.activation, output=config.output,
                          batch_size=config.batch_size, seed=config.seed,
                          reg=config.regularization, reg_rate=config.reg_rate,
                          callback=after_epoch)
    result.layers = layers
    return result


def plot(result: Result, axes=None, resolution: int = 100):
    """The Playground's view: decision boundary with train (o) and test (x) points, and the
    train/test loss curves. Returns the Figure."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4.2))
    left, right = axes
    fig = left.figure
    if not result.diverged:
        gx, gy, out = result.grid(resolution)
        left.contourf(gx, gy, out, levels=np.linspace(-1, 1, 21), cmap="RdBu", alpha=0.5,
                      extend="both")
        left.contour(gx, gy, out, levels=[0.0], colors="k", linewidths=1.2)
    for X, y, marker, label in ((result.X_train, result.y_train, "o", "train"),
                                (result.X_test, result.y_test, "x", "test")):
        left.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu", vmin=-0.5, vmax=1.5, marker=marker,
                     s=14, edgecolors="k" if marker == "o" else None, linewidths=0.4,
                     label=label)
    left.set(xlim=(-DOMAIN, DOMAIN), ylim=(-DOMAIN, DOMAIN), xlabel="$x_1$", ylabel="$x_2$",
             aspect="equal")
    left.set_title("DIVERGED: the loss became NaN" if result.diverged else
                   f"test accuracy {result.test_accuracy:.0%}", fontsize=10)
    left.legend(loc="upper right", fontsize=8)
    epochs = np.arange(1, len(result.train_loss) + 1)
    right.plot(epochs, result.train_loss, label="training loss")
    right.plot(epochs, result.test_loss, label="test loss")
    right.set(xlabel="epoch", ylabel="loss (half MSE)", title="Loss")
    right.grid(alpha=0.3)
    right.legend()
    fig.suptitle(result.summary(), fontsize=9)
    fig.tight_layout()
    return fig


def plot_activations(functions=None, z=None):
    """Every activation and its derivative over ``z``; ``functions`` maps a name to
    ``(f, f_prime)`` (default: the reference implementations). Returns the Figure."""
    import matplotlib.pyplot as plt

    functions = functions or {name: activations.get(name) for name in
                              ("sigmoid", "tanh", "relu", "leaky_relu", "elu")}
    z = np.linspace(-4, 4, 401) if z is None else np.asarray(z, dtype=float)
    fig, axes = plt.subplots(1, len(functions) + 1, figsize=(3.2 * (len(functions) + 1), 3.2),
                             sharex=True)
    for ax, (name, (f, f_prime)) in zip(axes, functions.items(), strict=False):
        ax.plot(z, f(z), label="f(z)")
        ax.plot(z, f_prime(z), "--", label="f'(z)")
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(name)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    logits = np.c_[z, np.zeros_like(z), np.full_like(z, 1.0)]
    axes[-1].plot(z, activations.softmax(logits)[:, 0], label="softmax([z, 0, 1])[0]")
    axes[-1].set_title("softmax (sums to 1)")
    axes[-1].grid(alpha=0.3)
    axes[-1].legend(fontsize=8)
    fig.tight_layout()
    return fig


NO_WIDGETS = ("The interactive playground is not available here: {why}. "
              "Train configurations with dlcourse.playground.train(config) and draw them "
              "with dlcourse.playground.plot(result) instead.")


def widget_unavailable_reason() -> str | None:
    """Why the widget cannot be shown here, or None when it can."""
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        return "ipywidgets is not installed (pip install ipywidgets)"
    try:
        from IPython import get_ipython
    except ImportError:
        return "this is not an IPython session"
    shell = get_ipython()
    if shell is None or getattr(shell, "kernel", None) is None:
        return "there is no Jupyter kernel with a widget front end (plain Python or terminal)"
    return None


def widget(config=None, redraw_every: int = 10):
    """The interactive Playground for notebooks. Where ipywidgets or a widget front end is
    missing it prints why, and what to use instead, and returns None."""
    reason = widget_unavailable_reason()
    if reason is not None:
        print(NO_WIDGETS.format(why=reason))
        return None
    return _build_widget(make_config(config), redraw_every)


def _build_widget(config: Config, redraw_every: int):  # pragma: no cover - needs a browser
    import ipywidgets as w
    from IPython.display import display
    from matplotlib.figure import Figure

    style = {"description_width": "110px"}
    dataset = w.Dropdown(options=DATASETS, value=config.dataset, description="data", style=style)
    noise = w.FloatSlider(value=config.noise, min=0, max=0.5, step=0.05, description="noise",
                          style=style)
    split = w.IntSlider(value=int(config.train_fraction * 100), min=10, max=90, step=10,
                        description="train %", style=style)
    features = [w.Checkbox(value=f in config.features, description=f, indent=False,
                           layout=w.Layout(width="85px")) for f in FEATURES]
    hidden = w.Text(value=", ".join(map(str, config.hidden)), description="hidden units",
                    placeholder="e.g. 4, 2 (empty: none)", style=style)
    lr = w.Dropdown(options=LEARNING_RATES, value=config.learning_rate,
                    description="learning rate", style=style)
    activation = w.Dropdown(options=ACTIVATIONS, value=config.activation,
                            description="activation", style=style)
    reg = w.Dropdown(options=[("none", None), ("L1", "l1"), ("L2", "l2")],
                     value=config.regularization, description="regularization", style=style)
    reg_rate = w.Dropdown(options=REG_RATES, value=config.reg_rate, description="reg. rate",
                          style=style)
    epochs = w.IntSlider(value=config.epochs, min=10, max=1000, step=10, description="epochs",
                         style=style)
    button = w.Button(description="Train", button_style="primary", icon="play")
    out = w.Output()

    def current() -> Config:
        text = hidden.value.replace(";", ",").strip()
        units = tuple(int(u) for u in text.split(",") if u.strip()) if text else ()
        return config.replace(dataset=dataset.value, noise=noise.value,
                              train_fraction=split.value / 100,
                              features=tuple(f.description for f in features if f.value),
                              hidden=units, learning_rate=lr.value, activation=activation.value,
                              regularization=reg.value, reg_rate=reg_rate.value,
                              epochs=epochs.value)

    def draw(result):
        fig = Figure(figsize=(10, 4.2))  # not pyplot: no global state, no duplicate display
        plot(result, axes=fig.subplots(1, 2), resolution=60)
        with out:
            out.clear_output(wait=True)
            display(fig)

    def on_click(_):
        try:
            cfg = current()
        except ValueError as exc:
            with out:
                out.clear_output()
                print(f"Cannot train this setting: {exc}")
            return
        button.disabled = True
        try:
            result = train(cfg, callback=lambda r: len(r.train_loss) % redraw_every == 0
                           and draw(r))
            draw(result)
        finally:
            button.disabled = False

    button.on_click(on_click)
    controls = w.VBox([dataset, noise, split, w.HBox(features[:4]), w.HBox(features[4:]),
                       hidden, activation, lr, reg, reg_rate, epochs, button])
    return w.HBox([controls, out])
