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
from dlcourse.grading import integrity, sandbox
from dlcourse.grading import submissions as subs
from dlcourse.grading.nbgrader_api import GradingError, autograde, generate, make_api, scores

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

    def format(self) -> str:
        lines = [f"{self.lab}: {len(self.totals)} graded, {len(self.problems)} not graded, "
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


def autograde_class(lab: Lab, unsandboxed: bool = False, policy: str = "flag") -> ClassReport:
    """Autograde every submitted copy of ``lab`` and summarise the class."""
    if policy not in integrity.POLICIES:
        raise ValueError(f"integrity policy must be one of {integrity.POLICIES}")
    sandbox.require(unsandboxed)
    api = make_api(lab.root)
    generate(api, lab.id)
    release = _release(lab)
    report = ClassReport(lab.id, policy=policy)
    for student in submitted_students(lab):
        try:
            flags = _prepare(submission_path(lab.root, lab, student), release)
            autograde(api, lab.id, student)
        except (GradingError, ValueError) as exc:
            report.problems[student] = str(exc).splitlines()[0]
            continue
        if flags:
            report.flags[student] = flags
            record_flags(api, lab, student, flags, release, policy)
        cells = [s for s in scores(api, lab.id, student) if s.auto]
        report.totals[student] = (sum(s.score for s in cells), sum(s.max_score for s in cells))
        for s in cells:
            report.per_task.setdefault(s.grade_id, []).append(s.score)
            report.max_per_task[s.grade_id] = s.max_score
    return report


def feedback(lab: Lab) -> Path:
    """HTML feedback for every graded student, under grading/feedback/."""
    result = make_api(lab.root).generate_feedback(lab.id)
    if not result.get("success"):
        raise GradingError(f"nbgrader feedback failed:\n{result.get('log', '')}")
    return lab.root / "grading" / "feedback"
