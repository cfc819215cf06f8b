"""The grading self-test: proof, per lab, that its grader really grades.

For each lab: ``labs/`` equals a fresh release; the release holds no outputs, solution
code or hidden tests; the solution, executed in the smoke profile, scores full marks and
shows a figure and a key metric without writing to stderr; the blank release scores 0 on
every autograded cell; every known wrong answer loses points on the cells it names (and
keeps full marks on the later cells it names: one mistake costs one task).

Wrong answers are graded on the notebook without its ordinary code cells (demos and
training runs), which makes them several times faster. That is sound because the solution
must also score full marks in that form: the tests depend only on the answers.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field

from dlcourse.course import Lab
from dlcourse.execute import executed_problems
from dlcourse.grading import integrity
from dlcourse.grading import submissions as subs
from dlcourse.grading.feedback import leaks
from dlcourse.grading.mutants import mutants
from dlcourse.grading.nbgrader_api import CellScore, GradingError, ScratchCourse
from dlcourse.grading.sandbox import SandboxUnavailable


@dataclass
class Finding:
    name: str
    ok: bool
    detail: str


@dataclass
class LabResult:
    lab: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.findings) and all(f.ok for f in self.findings)

    def add(self, name: str, ok: bool, detail: str) -> None:
        self.findings.append(Finding(name, ok, detail))


def _total(scores: list[CellScore]) -> tuple[float, float]:
    auto = [s for s in scores if s.auto]
    return sum(s.score for s in auto), sum(s.max_score for s in auto)


def _lost(scores: list[CellScore]) -> list[str]:
    return [s.grade_id for s in scores if s.auto and s.score < s.max_score]


MIN_WRONG_ANSWERS = 6


def hidden_tests_calling_checks(source_nb) -> list[str]:
    """Test cells whose hidden part calls the visible check module. Feedback shows a
    check's message, so a check called with hidden cases would reveal them."""
    return [subs.grade_id(c) for c in source_nb.cells if subs.is_test(c)
            and "check." in "\n".join(subs.region(c.source, subs.HIDDEN_MARKERS))]


def check_lab(lab: Lab) -> LabResult:
    """Run every self-test check for one lab; never raises for a grading problem."""
    result = LabResult(lab.id)
    try:
        _check_lab(lab, result)
    except (GradingError, OSError, ValueError, SandboxUnavailable) as exc:
        result.add("grading ran", False, str(exc))
    return result


def _check_lab(lab: Lab, result: LabResult) -> None:
    source = subs.read(lab.source)
    with ScratchCourse(lab.root, lab.id) as box:
        fresh = box.release.read_bytes()
        committed = lab.release.read_bytes() if lab.release.is_file() else b""
        result.add("labs/ is up to date", fresh == committed,
                   "matches a fresh release" if fresh == committed
                   else f"{lab.release} differs from a fresh release: run `dlcourse release`")
        release = subs.read(box.release)
        problems = subs.release_problems(release, source)
        result.add("release is clean", not problems,
                   "no outputs, solution code or hidden tests" if not problems
                   else "; ".join(problems[:5]))

        flags = integrity.scan_notebook(subs.solved(release, source))
        result.add("solution passes the integrity scan", not flags,
                   "nothing flagged" if not flags else "; ".join(f.format() for f in flags))
        scores = box.grade("solution", subs.solved(release, source))
        got, best = _total(scores)
        result.add("solution scores full marks", best > 0 and got == best,
                   f"{got:g}/{best:g}" + (f", lost {_lost(scores)}" if got < best else ""))
        problems = executed_problems(subs.read(box.graded("solution")))
        result.add("executed solution shows its results", not problems,
                   "a figure, a key metric, no stderr" if not problems else "; ".join(problems))

        scores = box.grade("blank", release)
        scored = [f"{s.grade_id}={s.score:g}" for s in scores if s.auto and s.score > 0]
        result.add("blank scores 0", not scored,
                   "0 on every autograded cell" if not scored else "scored " + ", ".join(scored))

        quick = subs.graded_cells_only(release)
        scores = box.grade("solution-tests-only", subs.solved(quick, source))
        got, best = _total(scores)
        result.add("tests depend only on the answers", got == best,
                   f"solution without demo cells: {got:g}/{best:g}"
                   + (f", lost {_lost(scores)}" if got < best else ""))

        calling = hidden_tests_calling_checks(source)
        result.add("hidden tests never call a visible check", not calling,
                   "none does" if not calling else f"they do in {calling}")
        _check_gaming(lab, box, source, release, quick, result)


def _check_gaming(lab: Lab, box: ScratchCourse, source, release, quick,
                  result: LabResult) -> None:
    """Fixtures and automatic mutants lose points; gaming is flagged; feedback hides
    hidden tests."""
    wrong_answers = subs.load_wrong_answers(lab.wrong_answers)
    gaming = sum(w.gaming for w in wrong_answers)
    result.add("wrong-answer fixtures exist",
               len(wrong_answers) >= MIN_WRONG_ANSWERS and gaming >= 1,
               f"{len(wrong_answers)} in {lab.wrong_answers.name}, {gaming} gaming "
               f"(at least {MIN_WRONG_ANSWERS}, one gaming)")
    unflagged = [w.name for w in wrong_answers if w.gaming and not integrity.scan_notebook(
        subs.with_wrong_answer(release, source, w))]
    result.add("gaming fixtures are flagged by the integrity scan", not unflagged,
               "all flagged" if not unflagged else f"not flagged: {unflagged}")
    leaked = {}
    for mutant in mutants(source):
        scores = box.grade(f"mutant-{mutant.answer.name}",
                           subs.with_wrong_answer(quick, source, mutant.answer))
        got, best = _total(scores)
        kept = [s.grade_id for s in scores if s.auto and s.score >= s.max_score > 0]
        ok = got < best and not (mutant.every_test_loses and kept)
        detail = f"{got:g}/{best:g}" + (f", full marks on {kept}" if kept else "")
        result.add(f"gaming mutant '{mutant.answer.name}' loses points", ok, detail)
    for wrong in wrong_answers:
        submitted = subs.with_wrong_answer(quick, source, wrong)
        scores = box.grade(f"wrong-{wrong.name}", submitted)
        got, best = _total(scores)
        lost = _lost(scores)
        missing = [cell for cell in wrong.loses if cell not in lost]
        cascaded = [cell for cell in wrong.keeps if cell in lost]
        ok = got < best and not missing and not cascaded
        found = leaks(box.feedback(f"wrong-{wrong.name}"), source,
                      (str(box.root), str(lab.root)), submitted)
        if found:
            leaked[wrong.name] = found
        detail = f"{got:g}/{best:g}, lost {lost}"
        if missing:
            detail += f"; expected to lose {missing} too"
        if cascaded:
            detail += f"; {cascaded} should keep full marks (graded with a correct earlier task)"
        result.add(f"wrong answer '{wrong.name}' loses points", ok, detail)
    result.add("feedback keeps hidden tests hidden", not leaked,
               f"no hidden-test line, answer key or path in {len(wrong_answers)} feedback "
               "pages" if not leaked else "; ".join(f"{k}: {v[:3]}" for k, v in leaked.items()))


def run(labs: list[Lab], workers: int = 1) -> list[LabResult]:
    if workers <= 1 or len(labs) <= 1:
        return [check_lab(lab) for lab in labs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(check_lab, labs))


def format_results(results: list[LabResult]) -> str:
    lines = []
    for res in results:
        lines.append(f"{'PASS' if res.ok else 'FAIL'}  {res.lab}")
        for f in res.findings:
            lines.append(f"   {'ok ' if f.ok else 'BAD'} {f.name}: {f.detail}")
    passed = sum(r.ok for r in results)
    lines.append(f"selftest: {passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)
