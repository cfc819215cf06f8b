"""An offline TensorFlow Playground: small networks on 2-D toy data.

:func:`train` runs one configuration and returns a :class:`Result` (losses per epoch,
accuracies, the decision boundary); :func:`widget` is the interactive front end for
students. Like playground.tensorflow.org: points lie in [-6, 6]^2, class 1 is the target
+1 and class 0 the target -1, the output unit is tanh, the loss is half the mean squared
error (not its root), and training is mini-batch gradient descent (batches of 10).
One difference: the feature columns are standardised (mean 0, standard deviation 1 on the
training points) before they enter the network, so that a feature like x1^2 (up to 36)
does not saturate the tanh units from the first step.

The network runs in TensorFlow (float64): its inputs are computed from the points inside
the network, and the gradients come from automatic differentiation (``tf.GradientTape``),
so nothing here spells out a backward pass. TensorFlow is imported on the first training
run, not with ``import dlcourse``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

DATASETS = ("circle", "xor", "gauss", "spiral")
FEATURES = ("x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)")
ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear", "leaky_relu", "elu")
REGULARIZATIONS = (None, "l1", "l2")
OUTPUTS = ("tanh", "linear")
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REG_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_UNITS = 6, 8
DOMAIN = 6.0

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


# --- the network, in TensorFlow -----------------------------------------------------------

_tf = None


def _tensorflow():
    """TensorFlow, imported quietly on first use."""
    global _tf
    if _tf is None:
        import logging

        from dlcourse.runtime import _stderr_fd_silenced, quiet_tensorflow

        quiet_tensorflow()
        with _stderr_fd_silenced():
            import tensorflow

            tensorflow.config.list_physical_devices()
        logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notes
        _tf = tensorflow
    return _tf


# How the network computes each input from a point's coordinates (TensorFlow operations).
_INPUT_OPS = {
    "x1": lambda tf, x1, x2: x1,
    "x2": lambda tf, x1, x2: x2,
    "x1^2": lambda tf, x1, x2: tf.square(x1),
    "x2^2": lambda tf, x1, x2: tf.square(x2),
    "x1*x2": lambda tf, x1, x2: x1 * x2,
    "sin(x1)": lambda tf, x1, x2: tf.sin(x1),
    "sin(x2)": lambda tf, x1, x2: tf.sin(x2),
}

# TensorFlow's activations (leaky ReLU with slope 0.01 below 0, ELU with alpha 1).
_ACTIVATION_OPS = {
    "tanh": lambda tf, z: tf.tanh(z),
    "relu": lambda tf, z: tf.nn.relu(z),
    "sigmoid": lambda tf, z: tf.sigmoid(z),
    "linear": lambda tf, z: z,
    "leaky_relu": lambda tf, z: tf.nn.leaky_relu(z, alpha=0.01),
    "elu": lambda tf, z: tf.nn.elu(z),
}


def _network_inputs(tf, points, features, scale):
    """The network's first stage: the chosen inputs of (m, 2) points, standardised."""
    points = tf.convert_to_tensor(points, dtype=tf.float64)
    x1, x2 = points[:, 0], points[:, 1]
    columns = tf.stack([_INPUT_OPS[name](tf, x1, x2) for name in features], axis=1)
    mean, std = scale
    return (columns - mean) / std


def _network_output(tf, params, inputs, activation, output):
    """The layers after the inputs: ``params`` is the flat list [W1, b1, W2, b2, ...]."""
    a = inputs
    last = len(params) // 2 - 1
    for i in range(last + 1):
        z = tf.matmul(a, params[2 * i]) + params[2 * i + 1]
        a = _ACTIVATION_OPS[output if i == last else activation](tf, z)
    return a


def _half_mse(tf, out, targets):
    return 0.5 * tf.reduce_sum(tf.square(out - targets)) / tf.cast(tf.shape(out)[0], tf.float64)


def _penalty(tf, params, regularization, reg_rate):
    weights = params[0::2]
    if regularization == "l1":
        return reg_rate * tf.add_n([tf.reduce_sum(tf.abs(W)) for W in weights])
    if regularization == "l2":
        return reg_rate * 0.5 * tf.add_n([tf.reduce_sum(tf.square(W)) for W in weights])
    return tf.constant(0.0, tf.float64)


_TRAINERS: dict = {}


def _trainer(layers: int, activation: str, output: str, regularization):
    """A compiled run of mini-batch gradient descent over several epochs, one per network
    shape (traced once and reused: the sizes of the layers and the data may vary)."""
    key = (layers, activation, output, regularization)
    if key in _TRAINERS:
        return _TRAINERS[key]
    tf = _tensorflow()
    matrix, vector = tf.TensorSpec([None, None], tf.float64), tf.TensorSpec([None], tf.float64)
    scalar = tf.TensorSpec([], tf.float64)
    signature = [[matrix, vector] * layers, matrix, matrix, matrix, matrix,
                 tf.TensorSpec([None, None], tf.int32), tf.TensorSpec([], tf.int32), scalar,
                 scalar]

    def forward(params, inputs):
        return _network_output(tf, params, inputs, activation, output)

    @tf.function(input_signature=signature)
    def run(params, F, t, F_test, t_test, orders, batch_size, learning_rate, reg_rate):
        n = tf.shape(F)[0]
        train_losses = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        test_losses = tf.TensorArray(tf.float64, size=0, dynamic_size=True)
        for epoch in tf.range(tf.shape(orders)[0]):
            for start in tf.range(0, n, batch_size):
                batch = orders[epoch, start:start + batch_size]
                with tf.GradientTape() as tape:
                    tape.watch(params)
                    cost = _half_mse(tf, forward(params, tf.gather(F, batch)),
                                     tf.gather(t, batch))
                    cost += _penalty(tf, params, regularization, reg_rate)
                grads = tape.gradient(cost, params)
                params = [p - learning_rate * g for p, g in zip(params, grads, strict=True)]
            train_loss = _half_mse(tf, forward(params, F), t)
            test_loss = _half_mse(tf, forward(params, F_test), t_test)
            train_losses = train_losses.write(epoch, train_loss)
            test_losses = test_losses.write(epoch, test_loss)
            if not tf.math.is_finite(train_loss + test_loss):
                break
        return params, train_losses.stack(), test_losses.stack()

    _TRAINERS[key] = run
    return run


def _initial_layers(sizes, seed: int) -> list:
    """Glorot-uniform weights and zero biases, ``[(W, b), ...]``."""
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        limit = np.sqrt(6.0 / (fan_in + fan_out))
        layers.append((rng.uniform(-limit, limit, size=(fan_in, fan_out)), np.zeros(fan_out)))
    return layers


@dataclass
class Result:
    """What one training run produced. Losses are half the mean squared error on the
    targets -1/+1, one value per epoch; after a divergence they stop (the last is NaN/inf).
    ``layers`` holds the trained ``(W, b)`` of every layer and ``scale`` the training
    inputs' means and standard deviations."""

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

    def output(self, points) -> np.ndarray:
        """The network's raw output in (-1, 1) for (m, 2) points; NaN after a divergence."""
        tf = _tensorflow()
        params = [tf.constant(value, tf.float64) for layer in self.layers for value in layer]
        inputs = _network_inputs(tf, np.asarray(points, dtype=float).reshape(-1, 2),
                                 self.config.features, self.scale)
        out = _network_output(tf, params, inputs, self.config.activation, self.config.output)
        return out.numpy()[:, 0]

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


def _batch_orders(n: int, batch_size: int, epochs: int, seed: int) -> np.ndarray:
    """The order of the training points in every epoch: shuffled when there are batches."""
    rng = np.random.default_rng(seed)
    if batch_size >= n:
        return np.tile(np.arange(n, dtype=np.int32), (epochs, 1))
    return np.stack([rng.permutation(n) for _ in range(epochs)]).astype(np.int32)


def train(config=None, callback=None, callback_every: int = 1, **changes) -> Result:
    """Train one Playground configuration (a :class:`Config`, a dict or keywords).

    ``callback(result_so_far)`` runs after every ``callback_every`` epochs (and after the
    last); it may return True to stop early.
    A learning rate that is too large does not raise: training stops at the first epoch
    whose loss is NaN or infinite and ``result.diverged`` is True. Nothing is printed.
    """
    config = make_config(config, **changes)
    X, y = make_data(config.dataset, config.n, config.noise, config.seed)
    n_train = int(round(len(X) * config.train_fraction))
    X_train, y_train, X_test, y_test = X[:n_train], y[:n_train], X[n_train:], y[n_train:]
    tf = _tensorflow()
    raw = _network_inputs(tf, X_train, config.features, (0.0, 1.0)).numpy()
    std = raw.std(axis=0)
    scale = (raw.mean(axis=0), np.where(std > 1e-12, std, 1.0))
    layers = _initial_layers([len(config.features), *config.hidden, 1], config.seed)
    result = Result(config, layers, [], [], X_train, y_train, X_test, y_test, scale=scale)

    run = _trainer(len(layers), config.activation, config.output, config.regularization)
    params = [tf.constant(value) for layer in layers for value in layer]
    data = (_network_inputs(tf, X_train, config.features, scale),
            tf.constant((2.0 * y_train - 1.0).reshape(-1, 1)),
            _network_inputs(tf, X_test, config.features, scale),
            tf.constant((2.0 * y_test - 1.0).reshape(-1, 1)))
    orders = _batch_orders(n_train, config.batch_size, config.epochs, config.seed)
    settings = (tf.constant(config.batch_size, tf.int32),
                tf.constant(config.learning_rate, tf.float64),
                tf.constant(config.reg_rate, tf.float64))
    # one compiled call per stretch of epochs between callbacks, or one for all of them
    step = max(1, int(callback_every)) if callback is not None else config.epochs
    for first in range(0, config.epochs, step):
        params, train_losses, test_losses = run(params, *data, orders[first:first + step],
                                                *settings)
        result.layers = [(params[i].numpy(), params[i + 1].numpy())
                         for i in range(0, len(params), 2)]
        result.train_loss += [float(v) for v in train_losses.numpy()]
        result.test_loss += [float(v) for v in test_losses.numpy()]
        if not (np.isfinite(result.train_loss[-1]) and np.isfinite(result.test_loss[-1])):
            result.diverged = True
            break
        if callback is not None and callback(result):
            break
    return result


def plot(result: Result, axes=None, resolution: int = 100):
    """The Playground's view: decision boundary with train (o) and test (x) points, and the
    train/test loss curves. Returns the Figure."""
    from dlcourse.plots import epoch_axis

    if axes is None:
        import matplotlib.pyplot as plt

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
    right.set(ylabel="loss (half MSE)", title="Loss")
    epoch_axis(right)
    right.grid(alpha=0.3)
    right.legend()
    fig.suptitle(result.summary(), fontsize=9)
    fig.tight_layout()
    return fig


def plot_png(result: Result, resolution: int = 60, dpi: int = 80) -> bytes:
    """:func:`plot` rendered to PNG bytes, on a Figure outside pyplot (nothing to close).

    The widget shows these bytes itself: it never hands a Figure to IPython's display,
    which prints ``<Figure size ...>`` until matplotlib's inline backend has been set up."""
    import io

    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4.2))
    plot(result, axes=fig.subplots(1, 2), resolution=resolution)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def plot_activations(derivatives=None, z=None):
    """Every activation of the Playground (TensorFlow's) and its slope over ``z``.

    ``derivatives`` maps an activation's name to your derivative function, drawn as f'(z);
    the others show the slope measured from the curve itself. Returns the Figure."""
    import matplotlib.pyplot as plt

    tf = _tensorflow()
    derivatives = derivatives or {}
    names = ("sigmoid", "tanh", "relu", "leaky_relu", "elu")
    z = np.linspace(-4, 4, 401) if z is None else np.asarray(z, dtype=float)
    fig, axes = plt.subplots(1, len(names) + 1, figsize=(3.2 * (len(names) + 1), 3.2),
                             sharex=True)
    for ax, name in zip(axes, names, strict=False):
        values = _ACTIVATION_OPS[name](tf, tf.constant(z)).numpy()
        ax.plot(z, values, label="f(z)")
        if name in derivatives:
            ax.plot(z, np.asarray(derivatives[name](z.copy()), dtype=float), "--",
                    label="f'(z), yours")
        else:
            ax.plot(z, np.gradient(values, z), ":", label="slope, measured")
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_title(name + (" (alpha=0.01)" if name == "leaky_relu" else ""))
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    logits = np.c_[z, np.zeros_like(z), np.full_like(z, 1.0)]
    axes[-1].plot(z, tf.nn.softmax(logits).numpy()[:, 0], label="softmax([z, 0, 1])[0]")
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



def widget(config=None, redraw_every: int | None = None):
    """The interactive Playground for notebooks: set the controls, press Train, and the
    boundary and loss curves redraw as the network learns (every ``redraw_every`` epochs;
    by default about ten times a run). Changing a control does not retrain by itself: the
    status line says that the plot shows the previous run until Train is pressed again.

    Returns the widget (its parts are at ``.panel``). Where ipywidgets or a widget front end
    is missing it prints why, and what to use instead, and returns None."""
    reason = widget_unavailable_reason()
    if reason is not None:
        print(NO_WIDGETS.format(why=reason))
        return None
    return _Panel(make_config(config), redraw_every).box


CONTROLS_WIDTH = "360px"  # wide enough for every control, label and slider readout
REGULARIZATION_LABELS = (("none", "none"), ("L1", "l1"), ("L2", "l2"))
STALE = "Settings changed: press <b>Train</b> to retrain (the plot shows the previous run)."


def _rate_options(rates, current: float) -> list:
    """Dropdown options ``(label, value)`` for a list of rates plus the current one."""
    return [(f"{rate:g}", rate) for rate in sorted({*rates, float(current)})]


class _Panel:
    """The widget's controls, plot and status line, and what the Train button does."""

    def __init__(self, config: Config, redraw_every: int | None):
        import ipywidgets as w

        self.config, self.redraw_every, self.training = config, redraw_every, False
        style = {"description_width": "105px"}

        def control(kind, description, **options):
            return kind(description=description, style=style, layout=w.Layout(width="100%"),
                        **options)

        self.controls = {
            "dataset": control(w.Dropdown, "data", options=DATASETS, value=config.dataset),
            "noise": control(w.FloatSlider, "noise", value=config.noise, min=0, max=0.5,
                             step=0.05),
            "train %": control(w.IntSlider, "train %", value=round(config.train_fraction * 100),
                               min=10, max=90, step=10),
            "hidden": control(w.Text, "hidden units", value=", ".join(map(str, config.hidden)),
                              placeholder="e.g. 4, 2 (empty: none)"),
            "activation": control(w.Dropdown, "activation", options=ACTIVATIONS,
                                  value=config.activation),
            "learning rate": control(w.Dropdown, "learning rate",
                                     options=_rate_options(LEARNING_RATES, config.learning_rate),
                                     value=config.learning_rate),
            "regularization": control(w.Dropdown, "regularization",
                                      options=REGULARIZATION_LABELS,
                                      value=config.regularization or "none"),
            "reg. rate": control(w.Dropdown, "reg. rate",
                                 options=_rate_options(REG_RATES, config.reg_rate),
                                 value=config.reg_rate),
            "epochs": control(w.IntSlider, "epochs", value=config.epochs, min=10, max=1000,
                              step=10),
        }
        self.features = [w.Checkbox(value=name in config.features, description=name,
                                    indent=False, layout=w.Layout(width="auto"))
                         for name in FEATURES]
        feature_grid = w.GridBox(self.features, layout=w.Layout(
            grid_template_columns="repeat(4, auto)", width="100%", overflow="visible"))
        self.button = w.Button(description="Train", button_style="primary", icon="play",
                               layout=w.Layout(width="100%"))
        self.status = w.HTML("Press <b>Train</b> to train this setting.",
                             layout=w.Layout(width="100%"))
        self.image = w.Image(format="png", layout=w.Layout(
            flex="1 1 560px", min_width="320px", max_width="800px", height="auto",
            object_fit="contain"))
        c = self.controls
        column = [c["dataset"], c["noise"], c["train %"], w.Label("features"), feature_grid,
                  c["hidden"], c["activation"], c["learning rate"], c["regularization"],
                  c["reg. rate"], c["epochs"], self.button, self.status]
        # A fixed width that neither shrinks nor scrolls: ipywidgets boxes scroll
        # (overflow: auto) when squeezed, which hid controls behind an inner scrollbar.
        controls = w.VBox(column, layout=w.Layout(
            width=CONTROLS_WIDTH, min_width=CONTROLS_WIDTH, flex="0 0 auto", overflow="visible"))
        self.box = w.HBox([controls, self.image], layout=w.Layout(
            flex_flow="row wrap", align_items="flex-start", width="100%", overflow="visible"))
        self.box.panel = self
        for item in (*c.values(), *self.features):
            item.observe(self._changed, names="value")
        self.button.on_click(self.train)

    def current(self) -> Config:
        """The controls' setting as a Config (ValueError if it is not a valid one)."""
        c = self.controls
        text = c["hidden"].value.replace(";", ",").strip()
        try:
            units = tuple(int(u) for u in text.split(",") if u.strip()) if text else ()
        except ValueError:
            raise ValueError("hidden units takes layer sizes separated by commas, for "
                             "example 4, 2 (leave it empty for no hidden layer)") from None
        reg = c["regularization"].value
        return self.config.replace(
            dataset=c["dataset"].value, noise=c["noise"].value,
            train_fraction=c["train %"].value / 100,
            features=tuple(f.description for f in self.features if f.value), hidden=units,
            learning_rate=c["learning rate"].value, activation=c["activation"].value,
            regularization=None if reg == "none" else reg, reg_rate=c["reg. rate"].value,
            epochs=c["epochs"].value)

    def say(self, html: str) -> None:
        self.status.value = html

    def show(self, result: Result) -> None:
        self.image.value = plot_png(result)

    def _changed(self, _change) -> None:
        if not self.training:
            self.say(STALE)
            self.button.button_style = "warning"

    def _progress(self, result: Result) -> bool:
        if len(result.train_loss) < result.config.epochs:
            self.show(result)
            self.say(f"Training: epoch {len(result.train_loss)} of {result.config.epochs} ...")
        return False

    def train(self, _button=None) -> Result | None:
        """Train the current setting, drawing as it goes; None if the setting is invalid."""
        import html

        try:
            config = self.current()
        except ValueError as exc:
            self.say(f"<b>Cannot train this setting:</b> {html.escape(str(exc))}")
            return None
        every = self.redraw_every or max(10, config.epochs // 10)
        self.training, self.button.disabled = True, True
        self.say(f"Training: {config.epochs} epochs ...")
        try:
            result = train(config, callback=self._progress, callback_every=every)
            self.show(result)
            self.say(html.escape(result.summary()))
            self.button.button_style = "primary"
        finally:
            self.training, self.button.disabled = False, False
        return result
