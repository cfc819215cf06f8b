"""Thin wrappers over nbgrader's Python API: generate, autograde, read scores.

All nbgrader work happens in a *course folder* (root with solutions/ and labs/). The
grading self-test and the release use a throwaway one (:class:`ScratchCourse`) so they
never touch the instructor's gradebook. Every kernel runs in the sandbox of
``dlcourse.grading.sandbox``.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from dlcourse.grading import sandbox
from dlcourse.grading.config import CELL_TIMEOUT_S, course_config, headless_environment
from dlcourse.grading.submissions import write_submission
from dlcourse.runtime import environment_variables


class GradingError(RuntimeError):
    """nbgrader could not do what was asked; the message carries its log."""


class SubmissionCrashed(GradingError):
    """The submission killed its kernel (os._exit, a segfault, out of memory)."""


@dataclass(frozen=True)
class CellScore:
    grade_id: str
    score: float
    max_score: float
    auto: bool


def grader_environment():
    """Run kernels with the grading environment (quiet TensorFlow, smoke profile)."""
    return environment_variables(headless_environment())


def make_api(root: Path, db_url: str | None = None, timeout: int = CELL_TIMEOUT_S):
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root, db_url=db_url, timeout=timeout)
    coursedir = CourseDirectory(config=config)
    return NbGraderAPI(coursedir=coursedir, config=config)


def gradebook_url(root: Path) -> str:
    """The course gradebook's database URL (no nbgrader API needed to read it)."""
    return course_config(root).CourseDirectory.db_url


def _check(result: dict, what: str) -> None:
    if not result.get("success"):
        detail = (result.get("error") or "") + "\n" + (result.get("log") or "")
        raise GradingError(f"nbgrader {what} failed:\n{detail.strip()}")


def generate(api, lab_id: str) -> None:
    with grader_environment():
        result = api.generate_assignment(lab_id, force=True, create=True)
    _check(result, f"generate {lab_id}")


def autograde(api, lab_id: str, student: str) -> None:
    with grader_environment():
        result = api.autograde(lab_id, student, force=True, create=True)
    log = result.get("log") or ""
    if not result.get("success") and "DeadKernelError" in log:
        raise SubmissionCrashed(f"{student}'s {lab_id} crashed its kernel; it was not graded")
    if not result.get("success") and "CellTimeoutError" in log:
        raise SubmissionCrashed(f"{student}'s {lab_id} ran past its time limit and did not stop "
                                "when interrupted; its sandbox was ended and it was not graded")
    _check(result, f"autograde {lab_id} for {student}")


def scores(api, lab_id: str, student: str) -> list[CellScore]:
    from nbgrader.api import Gradebook

    with Gradebook(api.coursedir.db_url) as gb:
        notebook = gb.find_submission_notebook(lab_id, lab_id, student)
        return [CellScore(g.name, float(g.score or 0), float(g.max_score),
                          g.auto_score is not None) for g in notebook.grades]


class ScratchCourse:
    """A temporary course folder holding one lab's source, for generating and grading."""

    def __init__(self, source_root: Path, lab_id: str, timeout: int = CELL_TIMEOUT_S):
        self.lab_id = lab_id
        self._tmp = tempfile.TemporaryDirectory(prefix=f"dlcourse-{lab_id}-")
        self.root = Path(self._tmp.name)
        shutil.copytree(source_root / "solutions" / lab_id, self.root / "solutions" / lab_id)
        (self.root / "grading").mkdir()
        self.api = make_api(self.root, f"sqlite:///{self.root / 'grading' / 'gradebook.db'}",
                            timeout)
        generate(self.api, lab_id)

    @property
    def release(self) -> Path:
        return self.root / "labs" / self.lab_id / f"{self.lab_id}.ipynb"

    def grade(self, student: str, notebook) -> list[CellScore]:
        """Submit ``notebook`` as ``student``, autograde it and return per-cell scores."""
        sandbox.check_mode()
        folder = self.root / "grading" / "submitted" / student / self.lab_id
        write_submission(folder / f"{self.lab_id}.ipynb", notebook)
        autograde(self.api, self.lab_id, student)
        return scores(self.api, self.lab_id, student)

    def feedback(self, student: str) -> str:
        """The HTML feedback page of a graded student."""
        with grader_environment():
            result = self.api.generate_feedback(self.lab_id, student, force=True)
        _check(result, f"feedback {self.lab_id} for {student}")
        return (self.root / "grading" / "feedback" / student / self.lab_id
                / f"{self.lab_id}.html").read_text()

    def graded(self, student: str) -> Path:
        """The notebook as nbgrader executed and graded it, outputs included."""
        return self.root / "grading" / "autograded" / student / self.lab_id / f"{self.lab_id}.ipynb"

    def close(self) -> None:
        self._tmp.cleanup()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# Recording an executed notebook: nbgrader's autograde minus execution, so the course
# gradebook gets exactly the scores nbgrader would give, from a notebook a worker ran.
_RECORD_SANITIZE = ["nbgrader.preprocessors.DeduplicateIds",
                    "nbgrader.preprocessors.OverwriteKernelspec",
                    "nbgrader.preprocessors.OverwriteCells",
                    "nbgrader.preprocessors.CheckCellMetadata"]
_RECORD_GRADE = ["nbgrader.preprocessors.IgnorePattern",
                 "nbconvert.preprocessors.ClearMetadataPreprocessor",
                 "nbgrader.preprocessors.LimitOutput",
                 "nbgrader.preprocessors.SaveAutoGrades",
                 "nbgrader.preprocessors.AssignLatePenalties",
                 "nbgrader.preprocessors.CheckCellMetadata"]
EXECUTED_DIR = "grading/.executed"


def make_recording_api(root: Path):
    """An nbgrader API over the course ``root`` whose autograde records the executed
    notebooks in ``EXECUTED_DIR`` without running them."""
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory

    config = course_config(root)
    config.CourseDirectory.submitted_directory = EXECUTED_DIR
    config.Autograde.sanitize_preprocessors = _RECORD_SANITIZE
    config.Autograde.autograde_preprocessors = _RECORD_GRADE
    return NbGraderAPI(coursedir=CourseDirectory(config=config), config=config)


def record(api, lab_id: str, student: str, executed: str, timestamp: Path | None) -> None:
    """Put ``student``'s executed notebook (JSON text) in the course gradebook."""
    folder = Path(api.coursedir.root) / EXECUTED_DIR / student / lab_id
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{lab_id}.ipynb").write_text(executed)
    if timestamp is not None and timestamp.is_file():
        shutil.copy(timestamp, folder / "timestamp.txt")
    try:
        _check(api.autograde(lab_id, student, force=True, create=True),
               f"recording {lab_id} for {student}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
