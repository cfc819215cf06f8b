"""Grades out of the gradebook: a long table, a wide table and a Canvas gradebook CSV.

A submission that was never graded (it crashed, hung, or could not be matched to the
release) has an empty score and the status "not graded" in every table, never 0: an LMS
treats an empty cell as "no grade yet", a 0 as a grade.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from dlcourse.course import Lab

NOT_GRADED = "not graded"
CANVAS_FIXED = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@dataclass(frozen=True)
class Grade:
    """One graded cell of one student's lab; ``score`` is None when it was not graded."""

    student: str
    lab: str
    task: str
    score: float | None
    max_score: float

    @property
    def status(self) -> str:
        return NOT_GRADED if self.score is None else "graded"


@dataclass(frozen=True)
class Student:
    id: str
    name: str  # "Last, First" where the gradebook knows it, else the id
    lms_id: str


def read_gradebook(root: Path) -> tuple[list[Grade], dict[str, float], dict[str, Student]]:
    """Every graded cell, each lab's maximum and every student, from ``root``'s gradebook.
    A submitted lab missing from the gradebook yields one ungraded row (task "")."""
    from nbgrader.api import Gradebook

    from dlcourse.grading.classroom import submitted_students
    from dlcourse.grading.nbgrader_api import gradebook_url

    grades, maxima, students = [], {}, {}
    with Gradebook(gradebook_url(root)) as gb:
        for s in gb.students:
            name = ", ".join(filter(None, [s.last_name, s.first_name])) or s.id
            students[s.id] = Student(s.id, name, s.lms_user_id or "")
        for assignment in gb.assignments:
            maxima[assignment.name] = float(assignment.max_score)
            in_gradebook = {s.student.id for s in assignment.submissions}
            for student in submitted_students(Lab(assignment.name, root)):
                if student not in in_gradebook:
                    grades.append(Grade(student, assignment.name, "", None, 0.0))
            for submission in assignment.submissions:
                for notebook in submission.notebooks:
                    for g in notebook.grades:
                        graded = g.auto_score is not None or g.manual_score is not None
                        grades.append(Grade(submission.student.id, assignment.name, g.name,
                                            float(g.score) if graded else None,
                                            float(g.max_score)))
    for grade in grades:
        students.setdefault(grade.student, Student(grade.student, grade.student, ""))
    return grades, maxima, students


def lab_totals(grades: list[Grade]) -> dict[tuple[str, str], float | None]:
    """(student, lab) -> the lab's total, None where any of its cells was not graded."""
    totals: dict[tuple[str, str], float | None] = defaultdict(float)
    for g in grades:
        key = (g.student, g.lab)
        if g.score is None or totals[key] is None:
            totals[key] = None
        else:
            totals[key] += g.score
    return dict(totals)


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def write_long(grades: list[Grade], out: Path) -> Path:
    """One row per student, lab and graded cell."""
    with _open(out) as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", "lab", "task", "score", "max_score", "status"])
        for g in grades:
            writer.writerow([g.student, g.lab, g.task, _number(g.score),
                             _number(g.max_score) if g.task else "", g.status])
    return out


def write_wide(grades: list[Grade], maxima: dict[str, float], out: Path) -> Path:
    """One row per student, one column per lab, then the total over graded labs and how
    many labs were not graded. A second row gives each column's maximum."""
    totals = lab_totals(grades)
    labs = sorted(maxima)
    with _open(out) as fh:
        writer = csv.writer(fh)
        writer.writerow(["student", *labs, "total", "not graded"])
        writer.writerow(["(maximum)", *(_number(maxima[lab]) for lab in labs),
                         _number(sum(maxima.values())), ""])
        for student in sorted({g.student for g in grades}):
            mine = [totals.get((student, lab), None) for lab in labs]
            missing = [lab for lab in labs if (student, lab) in totals
                       and totals[(student, lab)] is None]
            writer.writerow([student, *(_number(v) for v in mine),
                             _number(sum(v for v in mine if v is not None)), " ".join(missing)])
    return out


def write_canvas(grades: list[Grade], maxima: dict[str, float], students: dict[str, Student],
                 out: Path) -> Path:
    """Canvas's gradebook import layout (grading/README.md): the five student columns, one
    column per lab, and a "Points Possible" row. A blank cell leaves Canvas's grade as it is."""
    totals = lab_totals(grades)
    labs = sorted(maxima)
    with _open(out) as fh:
        writer = csv.writer(fh)
        writer.writerow([*CANVAS_FIXED, *labs])
        writer.writerow(["Points Possible", *[""] * 4, *(_number(maxima[lab]) for lab in labs)])
        for sid in sorted({g.student for g in grades}):
            s = students[sid]
            writer.writerow([s.name, s.lms_id, s.id, "", "",
                             *(_number(totals.get((sid, lab))) for lab in labs)])
    return out


def export_all(root: Path, folder: Path) -> list[Path]:
    """grades.csv (long), grades-wide.csv and canvas.csv in ``folder``."""
    grades, maxima, students = read_gradebook(root)
    folder = Path(folder)
    return [write_long(grades, folder / "grades.csv"),
            write_wide(grades, maxima, folder / "grades-wide.csv"),
            write_canvas(grades, maxima, students, folder / "canvas.csv")]


def _open(out: Path):
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return open(out, "w", newline="", encoding="utf-8")

