"""Grading a class in the instructor's course folder: collect, autograde, feedback, export.

Submissions are untrusted: ids are checked, unreadable notebooks are reported and
skipped, copied graded cells are neutralised, and one student's crash never stops the rest.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.course import Lab
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

    def format(self) -> str:
        lines = [f"{self.lab}: {len(self.totals)} graded, {len(self.problems)} not graded"]
        for student, (got, best) in sorted(self.totals.items()):
            lines.append(f"  {student:24} {got:g}/{best:g}")
        for student, why in sorted(self.problems.items()):
            lines.append(f"  {student:24} NOT GRADED: {why}")
        if self.per_task:
            lines.append("  tasks, hardest first (mean share of points):")
            shares = {task: sum(v) / (len(v) * self.max_per_task[task])
                      for task, v in self.per_task.items() if self.max_per_task[task]}
            for task, share in sorted(shares.items(), key=lambda kv: kv[1]):
                lines.append(f"    {task:28} {share:6.0%}")
        return "\n".join(lines)


def submission_path(root: Path, lab: Lab, student: str) -> Path:
    return root / "grading" / "submitted" / student / lab.id / f"{lab.id}.ipynb"


def collect(lab: Lab, folder: Path) -> tuple[list[str], dict[str, str]]:
    """Copy ``folder/<student>.ipynb`` files into nbgrader's submitted/ layout.

    Returns the students collected and, per rejected file, why.
    """
    collected, rejected = [], {}
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
        subs.write_submission(submission_path(lab.root, lab, student), nb)
        collected.append(student)
    return collected, rejected


def submitted_students(lab: Lab) -> list[str]:
    base = lab.root / "grading" / "submitted"
    return sorted(p.name for p in base.glob("*") if (p / lab.id).is_dir()) if base.is_dir() else []


def autograde_class(lab: Lab) -> ClassReport:
    """Autograde every submitted copy of ``lab`` and summarise the class."""
    api = make_api(lab.root)
    generate(api, lab.id)
    report = ClassReport(lab.id)
    for student in submitted_students(lab):
        try:
            autograde(api, lab.id, student)
        except GradingError as exc:
            report.problems[student] = str(exc).splitlines()[0]
            continue
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


def export(root: Path, out: Path) -> Path:
    """One CSV row per student, lab and graded cell, from the gradebook."""
    from nbgrader.api import Gradebook

    api = make_api(root)
    out.parent.mkdir(parents=True, exist_ok=True)
    with Gradebook(api.coursedir.db_url) as gb, open(out, "w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lab", "task", "score", "max_score"])
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for grade in notebook.grades:
                        writer.writerow([submission.student.id, assignment.name, grade.name,
                                         grade.score, grade.max_score])
    return out
