"""Grade a synthetic class with plain nbgrader and with `dlcourse autograde`; write
build/class-grading.md.

    python benchmarks/class_grading.py [--lab 02-perceptron:60] [--lab 10-callbacks:30]
                                       [--workers 2]

A class is made from the lab's solution, its blank release and its wrong-answer fixtures,
in turn, until it has the number of submissions asked for. The same submissions are
graded twice, each in a fresh course folder: by `nbgrader autograde LAB` (serial, with the
course's nbgrader_config.py) and by `dlcourse autograde LAB --workers N`. The table gives
submissions per minute, the ratio, and whether every student's every cell got the same
score.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dlcourse.course import Lab  # noqa: E402
from dlcourse.grading import classroom  # noqa: E402
from dlcourse.grading import submissions as subs  # noqa: E402
from dlcourse.grading.config import headless_environment  # noqa: E402
from dlcourse.grading.nbgrader_api import make_api, scores  # noqa: E402


def synthetic_class(lab: Lab, size: int) -> dict[str, object]:
    """student -> notebook: the solution, the blank release, each wrong answer, in turn."""
    release, source = subs.read(lab.release), subs.read(lab.source)
    kinds = [("solution", subs.solved(release, source)), ("blank", release)]
    kinds += [(w.name, subs.with_wrong_answer(release, source, w))
              for w in subs.load_wrong_answers(lab.wrong_answers)]
    return {f"s{i:03d}-{kinds[i % len(kinds)][0]}"[:60]: kinds[i % len(kinds)][1]
            for i in range(size)}


def course_with(lab_id: str, students: dict[str, object], where: Path) -> Lab:
    for folder in ("solutions", "labs"):
        shutil.copytree(ROOT / folder / lab_id, where / folder / lab_id)
    (where / "grading").mkdir()
    shutil.copy(ROOT / "grading" / "nbgrader_config.py", where / "grading")
    lab = Lab(lab_id, where)
    for student, nb in students.items():
        subs.write_submission(classroom.submission_path(where, lab, student), nb)
    return lab


def all_scores(lab: Lab, students) -> dict[str, dict[str, float]]:
    api = make_api(lab.root)
    out = {}
    for student in students:
        try:
            out[student] = {s.grade_id: s.score for s in scores(api, lab.id, student) if s.auto}
        except Exception:  # not in the gradebook: not graded
            out[student] = {}
    return out


def plain_nbgrader(lab: Lab) -> float:
    env = headless_environment()
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "generate_assignment",
                    lab.id, "--force"], cwd=lab.root / "grading", env=env, check=True,
                   capture_output=True)
    subprocess.run([str(Path(sys.executable).parent / "nbgrader"), "autograde", lab.id],
                   cwd=lab.root / "grading", env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def ours(lab: Lab, workers: int) -> float:
    start = time.perf_counter()
    classroom.autograde_class(lab, workers=workers)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append",
                        help="LAB:SIZE (repeatable); default 02-perceptron:60 10-callbacks:30")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    lines = ["# Grading a class", "",
             f"{os.cpu_count()} cores; the same synthetic submissions graded by plain "
             f"`nbgrader autograde` (serial) and by `dlcourse autograde --workers "
             f"{args.workers}`, each in a fresh course folder, sandboxed.", "",
             "| lab | submissions | nbgrader (s) | per minute | dlcourse (s) | per minute "
             "| ratio | same scores |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for spec in args.lab or ["02-perceptron:60", "10-callbacks:30"]:
        lab_id, size = spec.split(":")
        lab = Lab(lab_id, ROOT)
        students = synthetic_class(lab, int(size))
        with tempfile.TemporaryDirectory() as a, tempfile.TemporaryDirectory() as b:
            plain_lab, our_lab = course_with(lab_id, students, Path(a)), course_with(
                lab_id, students, Path(b))
            t_plain = plain_nbgrader(plain_lab)
            t_ours = ours(our_lab, args.workers)
            same = all_scores(plain_lab, students) == all_scores(our_lab, students)
        n = len(students)
        lines.append(f"| {lab_id} | {n} | {t_plain:.0f} | {60 * n / t_plain:.1f} | "
                     f"{t_ours:.0f} | {60 * n / t_ours:.1f} | {t_plain / t_ours:.2f}x | "
                     f"{'yes' if same else 'NO'} |")
        print(lines[-1], flush=True)
    out = ROOT / "build" / "class-grading.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
