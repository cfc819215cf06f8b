"""Grading many submissions at once, and only those not graded yet.

Each worker process keeps a scratch course (its own copy of the lab and its own gradebook)
and grades one submission at a time in it, in a sandboxed kernel: first without the lab's
unchanged demo cells where that gives the same scores (``fastpass``), else whole. The
parent process alone writes the course gradebook: it records each executed notebook with
nbgrader's own scoring (``nbgrader_api.record``), then notes the submission's digest in a
ledger, so a re-run skips what is already graded and an interrupted run loses nothing.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import multiprocessing
import os
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import nbformat

from dlcourse.course import Lab
from dlcourse.grading import fastpass
from dlcourse.grading.nbgrader_api import CellScore, GradingError, ScratchCourse


@dataclass
class Outcome:
    """What a worker made of one submission."""

    student: str
    scores: list[CellScore] | None = None
    executed: str | None = None  # the autograded notebook, JSON text
    error: str | None = None
    seconds: float = 0.0
    passes: str = ""  # "fast", "whole" or "fast, then whole"


def digest(submission: Path, lab: Lab) -> str:
    """Changes when the submission or the lab's tests change."""
    h = hashlib.sha256(submission.read_bytes())
    h.update(lab.source.read_bytes())
    return h.hexdigest()


class Ledger:
    """student -> the digest of the submission last recorded in the gradebook, with its
    grading time; written atomically after every submission."""

    def __init__(self, lab: Lab):
        self.path = lab.root / "grading" / "ledger" / f"{lab.id}.json"
        try:
            self.entries = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.entries = {}

    def is_current(self, student: str, digest_: str) -> bool:
        return self.entries.get(student, {}).get("digest") == digest_

    def seconds(self, student: str) -> float | None:
        return self.entries.get(student, {}).get("seconds")

    def note(self, student: str, digest_: str, outcome: Outcome) -> None:
        self.entries[student] = dict(digest=digest_, seconds=round(outcome.seconds, 2),
                                     passes=outcome.passes)
        self._save()

    def note_problem(self, student: str, why: str, seconds: float | None = None) -> None:
        """Not graded, and why; no digest, so the next run tries again."""
        self.entries[student] = dict(problem=why, seconds=None if seconds is None
                                     else round(seconds, 2))
        self._save()

    def problem(self, student: str) -> str | None:
        return self.entries.get(student, {}).get("problem")

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True))
        os.replace(tmp, self.path)


# --- in a worker process ---------------------------------------------------------------

_BOX: ScratchCourse | None = None


def _start_worker(root: str, lab_id: str, timeout: int, log_path: str | None) -> None:
    global _BOX
    from dlcourse.grading.logs import quiet_libraries

    quiet_libraries(Path(log_path) if log_path else None)
    _BOX = ScratchCourse(Path(root), lab_id, timeout)
    atexit.register(_BOX.close)


def _full_marks(scores: list[CellScore]) -> bool:
    auto = [s for s in scores if s.auto]
    return sum(s.score for s in auto) == sum(s.max_score for s in auto)


def grade_one(student: str, submission: str, release: str, whole: bool = False) -> Outcome:
    """Grade one submission (notebook JSON text) in this worker's scratch course."""
    start = time.perf_counter()
    outcome = Outcome(student)
    nb = nbformat.reads(submission, as_version=4)
    fast = None if whole else fastpass.fast_version(nb, nbformat.reads(release, as_version=4))
    try:
        if fast is not None:
            scores = _BOX.grade(student, fast)
            executed = _BOX.graded(student).read_text()
            if _full_marks(scores) or not fastpass.met_missing_name(
                    nbformat.reads(executed, as_version=4)):
                outcome.scores, outcome.executed, outcome.passes = scores, executed, "fast"
        if outcome.scores is None:
            outcome.scores = _BOX.grade(student, nb)
            outcome.executed = _BOX.graded(student).read_text()
            outcome.passes = "whole" if fast is None else "fast, then whole"
    except GradingError as exc:
        outcome.scores, outcome.executed = None, None
        outcome.error = str(exc).splitlines()[0]
    except Exception as exc:  # a grader bug must not stop the class: report it
        outcome.scores, outcome.executed = None, None
        outcome.error = f"grading failed ({type(exc).__name__}: {exc})"
    outcome.seconds = time.perf_counter() - start
    return outcome


# --- in the parent ---------------------------------------------------------------------

def run_workers(lab: Lab, jobs: dict[str, str], release: str, workers: int, timeout: int,
                whole: bool = False, log_path: Path | None = None, on_done=None) -> None:
    """Grade ``jobs`` (student -> notebook JSON text) on ``workers`` processes and call
    ``on_done(outcome)`` in this process as each finishes. A worker that dies takes only
    its own submission with it: the rest are graded by a fresh pool."""
    pending = dict(jobs)
    retried: set[str] = set()
    context = multiprocessing.get_context("spawn")
    while pending:
        with ProcessPoolExecutor(max_workers=max(1, min(workers, len(pending))),
                                 mp_context=context, initializer=_start_worker,
                                 initargs=(str(lab.root), lab.id, timeout,
                                           str(log_path) if log_path else None)) as pool:
            futures = {pool.submit(grade_one, s, text, release, whole): s
                       for s, text in pending.items()}
            try:
                _collect(futures, pending, retried, on_done)
            except BaseException:  # an interrupt: stop at once, keep what was recorded
                pool.shutdown(wait=False, cancel_futures=True)
                raise


def _collect(futures: dict, pending: dict, retried: set, on_done) -> None:
    """Hand each finished outcome to ``on_done``; return early if the pool broke, leaving
    the unfinished students in ``pending``."""
    broken = False
    while futures and not broken:
        done, _ = wait(futures, return_when=FIRST_COMPLETED)
        for future in done:
            student = futures.pop(future)
            try:
                outcome = future.result()
            except BrokenProcessPool:
                broken = True
                if student not in retried:
                    retried.add(student)
                    continue
                outcome = Outcome(student, error="its grading process died twice; "
                                  "it was not graded")
            pending.pop(student, None)
            on_done(outcome)
    if broken:
        for future in futures:
            future.cancel()
