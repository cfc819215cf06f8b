"""``dlcourse release``: generate the student notebooks in labs/ from solutions/."""

from __future__ import annotations

import shutil
from pathlib import Path

from dlcourse.course import Lab
from dlcourse.grading.nbgrader_api import ScratchCourse


def release(lab: Lab) -> Path:
    """Regenerate ``labs/<lab>/`` with nbgrader; returns the release folder.

    Generation runs in a throwaway course folder, so the instructor's gradebook is never
    touched, and the result is byte-for-byte the same on every run.
    """
    target = lab.release.parent
    with ScratchCourse(lab.root, lab.id) as box:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(box.release.parent, target)
    return target
