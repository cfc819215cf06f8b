"""``dlcourse release``: generate the student notebooks in labs/ from solutions/."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

from dlcourse.course import Lab
from dlcourse.grading import submissions as subs
from dlcourse.grading.nbgrader_api import ScratchCourse


def graded_cells(nb) -> list[str]:
    """The grade ids of the answer and test cells, in order."""
    return [subs.grade_id(c) for c in nb.cells if subs.is_answer(c) or subs.is_test(c)]


def note_graded_cells(lab: Lab) -> None:
    """Keep the list of graded cells in the notebook's metadata (the release inherits it),
    so that a student's pre-flight check can tell a deleted graded cell."""
    nb = nbformat.read(lab.source, as_version=4)
    wanted = {"lab": lab.id, "graded": graded_cells(nb)}
    if nb.metadata.get("dlcourse") != wanted:
        nb.metadata["dlcourse"] = wanted
        nbformat.write(nb, lab.source)


def release(lab: Lab) -> Path:
    """Regenerate ``labs/<lab>/`` with nbgrader; returns the release folder.

    Generation runs in a throwaway course folder, so the instructor's gradebook is never
    touched, and the result is byte-for-byte the same on every run.
    """
    note_graded_cells(lab)
    target = lab.release.parent
    with ScratchCourse(lab.root, lab.id) as box:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(box.release.parent, target)
    return target
