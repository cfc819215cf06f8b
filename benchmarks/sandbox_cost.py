"""Measure what the grading sandbox costs per submission; write build/sandbox-cost.md.

    python benchmarks/sandbox_cost.py [--lab 02-perceptron] [--repeats 5]

Each lab's solution is autograded ``repeats`` times with bubblewrap and ``repeats`` times
without it, alternating, in one scratch course; the table gives the median wall-clock
seconds per submission and the difference.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from dlcourse.grading import sandbox
from dlcourse.grading import submissions as subs
from dlcourse.grading.nbgrader_api import ScratchCourse

ROOT = Path(__file__).resolve().parents[1]


def measure(lab_id: str, repeats: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"bwrap": [], "off": []}
    source = subs.read(ROOT / "solutions" / lab_id / f"{lab_id}.ipynb")
    with ScratchCourse(ROOT, lab_id) as box:
        solved = subs.solved(subs.read(box.release), source)
        for i in range(repeats):
            for mode in times:
                os.environ[sandbox.MODE_ENV] = mode
                start = time.perf_counter()
                box.grade(f"{mode}-{i}", solved)
                times[mode].append(time.perf_counter() - start)
    os.environ[sandbox.MODE_ENV] = "bwrap"
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lab", action="append", help="lab id (repeatable)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sandbox.check_mode()
    lines = ["# Grading sandbox cost", "",
             f"{os.cpu_count()} cores; median of {args.repeats} autogrades of the solution.", "",
             "| lab | sandboxed (s) | not sandboxed (s) | cost per submission (s) |",
             "| --- | --- | --- | --- |"]
    for lab_id in args.lab or ["02-perceptron", "07-ann-regression"]:
        times = measure(lab_id, args.repeats)
        on, off = statistics.median(times["bwrap"]), statistics.median(times["off"])
        lines.append(f"| {lab_id} | {on:.2f} | {off:.2f} | {on - off:+.2f} |")
    out = ROOT / "build" / "sandbox-cost.md"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
