"""Notebook runtime: seeding, quiet TensorFlow, a one-line environment report, profiles.

Every lab calls :func:`setup` in its locked setup cell and :func:`select_profile` right
after its papermill ``parameters`` cell.
"""

from __future__ import annotations

import contextlib
import os
import platform
import random
import sys
from dataclasses import dataclass, field
from typing import Any

import numpy as np

PROFILES = ("smoke", "full")
PROFILE_ENV = "DLCOURSE_PROFILE"


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ logging; must run before TensorFlow is first imported.

    nbgrader scores any stderr output in a test cell as zero, so the grader's kernels and
    the students' kernels both need this.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@contextlib.contextmanager
def _stderr_fd_silenced():
    """Hide writes to file descriptor 2 itself: TensorFlow's C++ start-up prints a few lines
    there ("Could not find cuda drivers", absl notices) before any log level applies."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def quiet_logger(name: str):
    """Lower a library's Python logger to errors for a while (TensorFlow's retracing notes,
    TensorBoard's reader warnings): in a test cell, any stderr output scores 0."""
    import logging

    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def load_tensorflow():
    """Import TensorFlow and Keras quietly and look up the devices once."""
    quiet_tensorflow()
    with _stderr_fd_silenced():
        import keras  # noqa: F401
        import tensorflow as tf

        tf.config.list_physical_devices()


def seed_everything(seed: int, keras: bool = True) -> None:
    """Seed Python, NumPy and (when ``keras``) Keras/TensorFlow."""
    random.seed(seed)
    np.random.seed(seed)
    if keras:
        import keras as _keras

        _keras.utils.set_random_seed(seed)


def device_summary() -> str:
    """Describe the compute device TensorFlow will use, without importing it if absent."""
    if "tensorflow" not in sys.modules:
        return f"CPU ({os.cpu_count()} cores, TensorFlow not loaded)"
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        names = []
        for gpu in gpus:
            details = tf.config.experimental.get_device_details(gpu)
            names.append(details.get("device_name", gpu.name))
        return "GPU: " + ", ".join(names)
    return f"CPU ({os.cpu_count()} cores)"


def environment_line() -> str:
    """One line with the versions that matter and the device."""
    from dlcourse import __version__

    parts = [f"dlcourse {__version__}", f"Python {platform.python_version()}"]
    parts.append(f"NumPy {np.__version__}")
    if "keras" in sys.modules:
        import keras
        import tensorflow as tf

        parts += [f"TensorFlow {tf.__version__}", f"Keras {keras.__version__}"]
    parts.append(device_summary())
    return " | ".join(parts)


def setup(seed: int = 42, keras: bool = True, verbose: bool = True) -> None:
    """Prepare a lab: quiet TensorFlow, seed everything, print the environment line.

    ``keras=False`` keeps TensorFlow unloaded for NumPy-only labs (it saves seconds and
    memory).
    """
    quiet_tensorflow()
    if keras:
        load_tensorflow()
    seed_everything(seed, keras=keras)
    if keras:
        import logging

        import absl.logging

        absl.logging.set_verbosity(absl.logging.ERROR)
        # "tf.function retracing" warnings appear once a lab builds several models.
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if verbose:
        print(environment_line())


@dataclass(frozen=True)
class Profile:
    """The settings of one run profile; read them as attributes (``P.epochs``)."""

    name: str
    source: str
    settings: dict[str, Any] = field(default_factory=dict)

    def __getattr__(self, key: str) -> Any:
        try:
            return self.settings[key]
        except KeyError:
            known = ", ".join(sorted(self.settings)) or "none"
            raise AttributeError(
                f"profile {self.name!r} has no setting {key!r} (settings: {known})"
            ) from None

    def __str__(self) -> str:
        values = ", ".join(f"{k}={v}" for k, v in self.settings.items())
        return f"profile {self.name} (from {self.source}): {values}"


def resolve_profile_name(notebook_value: str) -> tuple[str, str]:
    """Return ``(name, source)``; ``DLCOURSE_PROFILE`` overrides the notebook's value."""
    env_value = os.environ.get(PROFILE_ENV, "").strip()
    name, source = (env_value, PROFILE_ENV) if env_value else (notebook_value, "notebook")
    if name not in PROFILES:
        raise ValueError(
            f"unknown profile {name!r} (from {source}); choose one of {', '.join(PROFILES)}"
        )
    return name, source


def select_profile(
    notebook_value: str, *, smoke: dict[str, Any], full: dict[str, Any], verbose: bool = True
) -> Profile:
    """Pick the settings of the active profile.

    ``smoke`` and ``full`` must define the same keys, so a notebook cannot depend on a
    setting that only one profile has.
    """
    if set(smoke) != set(full):
        only = sorted(set(smoke) ^ set(full))
        raise ValueError(f"smoke and full profiles must define the same settings; differ in {only}")
    name, source = resolve_profile_name(notebook_value)
    profile = Profile(name, source, dict(smoke if name == "smoke" else full))
    if verbose:
        print(profile)
    return profile


METRIC_MIME = "application/vnd.dlcourse.metric+json"


def record_metric(name: str, value: float, fmt: str = "{:.4g}") -> None:
    """Show a lab's key metric and tag it so ``dlcourse run`` can put it in its report."""
    from IPython.display import display

    shown = fmt.format(value)
    display({"text/plain": f"{name}: {shown}",
             METRIC_MIME: {"name": name, "value": float(value), "shown": shown}}, raw=True)


@contextlib.contextmanager
def environment_variables(values: dict[str, str]):
    """Within the block, ``os.environ`` holds ``values`` (what was there before comes back)."""
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
