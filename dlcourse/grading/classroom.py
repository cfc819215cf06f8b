"""Grading a class in the instructor's course folder: collect, autograde, feedback
(exports are in ``dlcourse.grading.exports``).

Submissions are untrusted: ids are checked, unreadable notebooks are reported and
skipped, copied graded cells are neutralised, stripped metadata is restored from the
release, every kernel runs in a sandbox, answer cells are scanned for attempts to game
the grader, and one student's crash never stops the rest. Only this process writes the
gradebook, after each submission's kernel has exited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.course import Lab
from dlcourse.grading import class_report, integrity, logs, parallel, sandbox
from dlcourse.grading import submissions as subs
from dlcourse.grading.config import CELL_TIMEOUT_S, answer_key_path
from dlcourse.grading.nbgrader_api import (
    GradingError,
    generate,
    make_api,
    make_recording_api,
    record,
    scores,
)

STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


@dataclass
class ClassReport:
    lab: str
    totals: dict[str, tuple[float, float]] = field(default_factory=dict)
    per_task: dict[str, list[float]] = field(default_factory=dict)
    max_per_task: dict[str, float] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    flags: dict[str, list[integrity.Flag]] = field(default_factory=dict)
    policy: str = "flag"
    seconds: dict[str, float] = field(default_factory=dict)  # grading time per submission
    passes: dict[str, str] = field(default_factory=dict)  # "fast", "whole", ...
    skipped: list[str] = field(default_factory=list)  # graded before, unchanged
    page: Path | None = None  # the class report (HTML)

    def format(self) -> str:
        lines = [f"{self.lab}: {len(self.totals)} graded ({len(self.skipped)} unchanged since "
                 f"they were graded), {len(self.problems)} not graded, "
                 f"{len(self.flags)} flagged for review"]
        for student, (got, best) in sorted(self.totals.items()):
            lines.append(f"  {student:24} {got:g}/{best:g}")
        for student, why in sorted(self.problems.items()):
            lines.append(f"  {student:24} NOT GRADED: {why}")
        for student, flags in sorted(self.flags.items()):
            action = "tasks zeroed" if self.policy == "zero" else "review"
            lines.append(f"  {student:24} FLAGGED ({action}):")
            lines += [f"    {flag.format()}" for flag in flags]
        if self.per_task:
            lines.append("  tasks, hardest first (mean share of points):")
            shares = {task: sum(v) / (len(v) * self.max_per_task[task])
                      for task, v in self.per_task.items() if self.max_per_task[task]}
            for task, share in sorted(shares.items(), key=lambda kv: kv[1]):
                lines.append(f"    {task:28} {share:6.0%}")
        if self.page is not None:
            lines.append(f"  class report: {self.page}")
        return "\n".join(lines)


def submission_path(root: Path, lab: Lab, student: str) -> Path:
    return root / "grading" / "submitted" / student / lab.id / f"{lab.id}.ipynb"


def _release(lab: Lab):
    return subs.read(lab.release) if lab.release.is_file() else None


def collect(lab: Lab, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Copy ``folder/<student>.ipynb`` files into nbgrader's submitted/ layout.

    Returns the students collected and, per rejected file, why.
    """
    collected, rejected = [], {}
    release = _release(lab)
    for file in sorted(Path(folder).glob("*.ipynb")):
        student = file.stem
        if not STUDENT_ID.match(student):
            rejected[file.name] = "file name is not a valid student id"
            continue
        try:
            nb = nbformat.read(file, as_version=4)
        except Exception as exc:  # any unreadable upload is reported, never fatal
            rejected[file.name] = f"not a readable notebook ({type(exc).__name__})"
            continue
        try:
            subs.write_submission(submission_path(lab.root, lab, student), nb, release)
        except ValueError as exc:  # graded cells that cannot be matched to the release
            rejected[file.name] = str(exc)
            continue
        collected.append(student)
    return collected, rejected


def submitted_students(lab: Lab) -> list[str]:
    base = lab.root / "grading" / "submitted"
    return sorted(p.name for p in base.glob("*") if (p / lab.id).is_dir()) if base.is_dir() else []


def tasks_of_answers(release_nb) -> dict[str, list[str]]:
    """Each answer cell's test cells: those after it, up to the next answer cell."""
    tasks: dict[str, list[str]] = {}
    current = None
    for cell in release_nb.cells:
        if subs.is_answer(cell):
            current = subs.grade_id(cell)
            tasks[current] = []
        elif subs.is_test(cell) and current is not None:
            tasks[current].append(subs.grade_id(cell))
    return tasks


def record_flags(api, lab: Lab, student: str, flags: list[integrity.Flag], release_nb,
                 policy: str) -> None:
    """Put each flag on its answer cell as a comment (formgrader and feedback show it);
    with the ``zero`` policy, give the answer's test cells a manual score of 0."""
    from nbgrader.api import Gradebook, MissingEntry

    tasks = tasks_of_answers(release_nb)
    by_cell: dict[str, list[integrity.Flag]] = {}
    for flag in flags:
        by_cell.setdefault(flag.cell, []).append(flag)
    with Gradebook(api.coursedir.db_url) as gb:
        for cell, found in by_cell.items():
            note = "Flagged for review: " + "; ".join(
                f"line {f.line}: {f.reason}" for f in found)
            try:
                gb.find_comment(cell, lab.id, lab.id, student).manual_comment = note
                if policy == "zero":
                    for test in tasks.get(cell, []):
                        gb.find_grade(test, lab.id, lab.id, student).manual_score = 0.0
            except MissingEntry:
                continue
        gb.db.commit()


def _prepare(path: Path, release_nb) -> list[integrity.Flag]:
    """Repair a submitted notebook in place and scan its answers (ValueError if it
    cannot be graded)."""
    try:
        nb = subs.read(path)
    except Exception as exc:
        raise ValueError(f"not a readable notebook ({type(exc).__name__})") from None
    subs.write_submission(path, nb, release_nb)
    return integrity.scan_notebook(subs.read(path))


def autograde_class(lab: Lab, unsandboxed: bool = False, policy: str = "flag",
                    workers: int = 1, force: bool = False, whole: bool = False,
                    timeout: int = CELL_TIMEOUT_S, progress: bool = False) -> ClassReport:
    """Autograde the submitted copies of ``lab`` on ``workers`` processes and summarise
    the class. Submissions already graded, unchanged, are not graded again unless
    ``force``; ``whole`` grades every submission with its demo cells."""
    if policy not in integrity.POLICIES:
        raise ValueError(f"integrity policy must be one of {integrity.POLICIES}")
    sandbox.require(unsandboxed)
    if answer_key_path() is None:
        raise GradingError("the answer key (grading/answer_key/) is not in this course "
                           "folder: hidden tests need it; grade from a course checkout")
    log_path = logs.log_file(lab.root, lab.id)
    with logs.libraries_quieted(log_path):
        return _autograde(lab, policy, workers, force, whole, timeout, progress, log_path)


def _autograde(lab: Lab, policy: str, workers: int, force: bool, whole: bool, timeout: int,
               progress: bool, log_path: Path) -> ClassReport:
    api = make_api(lab.root)
    generate(api, lab.id)
    release = _release(lab)
    release_text = nbformat.writes(release)
    report = ClassReport(lab.id, policy=policy)
    ledger = parallel.Ledger(lab)
    jobs, digests, flags_of = {}, {}, {}
    for student in submitted_students(lab):
        path = submission_path(lab.root, lab, student)
        try:
            flags_of[student] = _prepare(path, release)
        except ValueError as exc:
            report.problems[student] = str(exc).splitlines()[0]
            ledger.note_problem(student, report.problems[student])
            continue
        digests[student] = parallel.digest(path, lab)
        if not force and ledger.is_current(student, digests[student]):
            report.skipped.append(student)
            _add_scores(report, student, scores(api, lab.id, student), ledger.seconds(student))
        else:
            jobs[student] = path.read_text()
    recorder = make_recording_api(lab.root)
    bar = _progress(len(jobs), lab.id) if progress else None

    def on_done(outcome: parallel.Outcome) -> None:
        student = outcome.student
        if bar is not None:
            bar.update()
        if outcome.error is not None:
            report.problems[student] = outcome.error
            report.seconds[student] = outcome.seconds
            ledger.note_problem(student, outcome.error, outcome.seconds)
            return
        try:
            record(recorder, lab.id, student, outcome.executed,
                   submission_path(lab.root, lab, student).parent / "timestamp.txt")
        except GradingError as exc:
            report.problems[student] = str(exc).splitlines()[0]
            ledger.note_problem(student, report.problems[student], outcome.seconds)
            return
        if flags_of[student]:
            record_flags(api, lab, student, flags_of[student], release, policy)
        report.passes[student] = outcome.passes
        _add_scores(report, student, scores(api, lab.id, student), outcome.seconds)
        ledger.note(student, digests[student], outcome)

    try:
        parallel.run_workers(lab, jobs, release_text, workers, timeout, whole=whole,
                             log_path=log_path, on_done=on_done)
    finally:
        if bar is not None:
            bar.close()
    report.flags = {s: f for s, f in flags_of.items() if f and s in report.totals}
    report.page = class_report.write(lab)
    return report


def _add_scores(report: ClassReport, student: str, cell_scores, seconds: float | None) -> None:
    cells = [s for s in cell_scores if s.auto]
    report.totals[student] = (sum(s.score for s in cells), sum(s.max_score for s in cells))
    for s in cells:
        report.per_task.setdefault(s.grade_id, []).append(s.score)
        report.max_per_task[s.grade_id] = s.max_score
    if seconds is not None:
        report.seconds[student] = seconds


def _progress(total: int, lab_id: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=f"grading {lab_id}", unit="submission", leave=False,
                disable=None)  # shown on a terminal only


def feedback(lab: Lab) -> Path:
    """HTML feedback for every graded student, under grading/feedback/."""
    result = make_api(lab.root).generate_feedback(lab.id)
    if not result.get("success"):
        raise GradingError(f"nbgrader feedback failed:\n{result.get('log', '')}")
    return lab.root / "grading" / "feedback"
