"""The one nbgrader configuration, used by ``grading/nbgrader_config.py`` and the CLI."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from traitlets.config import Config

from dlcourse.preflight import SKIP_ENV

CELL_TIMEOUT_S = 300
GRADING_KERNEL = "dlcourse-grader"  # dlcourse/grading/kernels/: ipykernel with a memory cap
# Environment of every grading kernel: quiet TensorFlow (stderr in a test cell scores 0)
# and the fast profile, so autograding never trains for long.
GRADER_ENV = {
    "TF_CPP_MIN_LOG_LEVEL": "3",
    "TF_ENABLE_ONEDNN_OPTS": "0",
    "KERAS_BACKEND": "tensorflow",
    "DLCOURSE_PROFILE": "smoke",
    "PYTHONWARNINGS": "ignore",
    SKIP_ENV: "1",  # a lab's last cell, the student's pre-flight check, does nothing here
}
# Log lines some libraries still print to stderr; they must not cost a student marks.
IGNORED_STDERR = r"(?m)^(WARNING: All log messages before absl::InitializeLog|I0000|W0000|E0000).*"


def answer_key_path() -> Path | None:
    """The folder holding the grader-only ``answer_key`` package (a course checkout's
    ``grading/``); None outside a checkout."""
    from dlcourse.course import course_root

    try:
        folder = course_root() / "grading"
    except FileNotFoundError:
        return None
    return folder if (folder / "answer_key" / "__init__.py").is_file() else None


def headless_environment(**extra: str) -> dict[str, str]:
    """The grading environment on top of this process's, with this interpreter's bin folder
    first on PATH (nbgrader runs ``alembic`` and kernels by name) and the answer key
    importable (hidden tests compare against it)."""
    env = {**os.environ, **GRADER_ENV, **extra}
    key = answer_key_path()
    if key and str(key) not in env.get("PYTHONPATH", "").split(os.pathsep):
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(key), env.get("PYTHONPATH")]))
    bin_dir = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    # Makes the memory-capped grading kernel (grading/kernels/) visible to Jupyter.
    kernels_root = str(Path(__file__).parent)
    if kernels_root not in env.get("JUPYTER_PATH", "").split(os.pathsep):
        env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [kernels_root, env.get("JUPYTER_PATH")]))
    return env


def _feedback_preprocessors() -> list:
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    from dlcourse.grading.feedback import HideHiddenTests

    return [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]


def course_config(root: Path, db_url: str | None = None, timeout: int = CELL_TIMEOUT_S) -> Config:
    """nbgrader settings for a course whose root holds solutions/ and labs/."""
    root = Path(root).resolve()
    c = Config()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.source_directory = "solutions"
    c.CourseDirectory.release_directory = "labs"
    c.CourseDirectory.submitted_directory = "grading/submitted"
    c.CourseDirectory.autograded_directory = "grading/autograded"
    c.CourseDirectory.feedback_directory = "grading/feedback"
    c.CourseDirectory.db_url = db_url or f"sqlite:///{root / 'grading' / 'gradebook.db'}"
    c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.keras", "logs"]
    # nbgrader 0.9 ignores ExecutePreprocessor.timeout; Execute.timeout is the one it reads.
    c.Execute.timeout = timeout
    c.Execute.interrupt_on_timeout = True
    c.Execute.kernel_name = GRADING_KERNEL
    # IPC sockets in a private folder per kernel: the sandboxed kernel has no network.
    c.Execute.kernel_manager_class = "dlcourse.grading.sandbox.SandboxKernelManager"
    c.IgnorePattern.enabled = True
    c.IgnorePattern.pattern = IGNORED_STDERR
    # A student who deleted a graded cell gets it back (scored), not a crashed autograde.
    c.OverwriteCells.add_missing_cells = True
    # Feedback shows a check's message, never a hidden test, its traceback or a path.
    c.GenerateFeedback.preprocessors = _feedback_preprocessors()
    c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
    c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
    return c


SITE_CONFIG = """\
# Written by `make install` (dlcourse.grading.config.install_site_config): nbgrader and
# formgrader started from this environment, in any folder, find the course checkout.
from dlcourse.grading.config import site_config

site_config(get_config())  # noqa: F821 (provided by nbgrader)
"""


def site_config(c: Config) -> None:
    """Point nbgrader at the course checkout this package belongs to, and make the grading
    kernel findable; nothing when the package is not in a checkout."""
    from dlcourse.course import course_root

    try:
        root = course_root()
    except FileNotFoundError:
        return
    c.merge(course_config(root))
    env = headless_environment()
    os.environ["PATH"] = env["PATH"]
    os.environ["JUPYTER_PATH"] = env["JUPYTER_PATH"]


def install_site_config(prefix: str = sys.prefix) -> Path:
    """Write the environment-wide nbgrader_config.py (``<prefix>/etc/jupyter``)."""
    path = Path(prefix) / "etc" / "jupyter" / "nbgrader_config.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SITE_CONFIG)
    return path
