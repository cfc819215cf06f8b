"""An instructor grades a small class whose submissions include hostile ones."""

import csv
import shutil

import nbformat
import pytest

from dlcourse.course import Lab
from dlcourse.grading import class_report, classroom, exports, parallel
from dlcourse.grading import submissions as subs

from .conftest import ROOT

pytestmark = pytest.mark.notebooks
LAB_ID = "02-perceptron"


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    root = tmp_path_factory.mktemp("course")
    shutil.copytree(ROOT / "solutions" / LAB_ID, root / "solutions" / LAB_ID)
    shutil.copytree(ROOT / "labs" / LAB_ID, root / "labs" / LAB_ID)
    (root / "grading").mkdir()
    lab = Lab(LAB_ID, root)
    release = subs.read(ROOT / "labs" / LAB_ID / f"{LAB_ID}.ipynb")
    solved = subs.solved(release, subs.read(lab.source))
    inbox = tmp_path_factory.mktemp("inbox")
    nbformat.write(solved, inbox / "ada.ipynb")
    nbformat.write(release, inbox / "bob.ipynb")
    copier = nbformat.from_dict(solved)
    copier.cells.append(next(c for c in solved.cells if subs.grade_id(c) == "test_predict"))
    nbformat.write(copier, inbox / "cy.ipynb")
    nbformat.write(subs.fill(solved, {"train": "import os\nos._exit(1)"}), inbox / "dee.ipynb")
    (inbox / "eve.ipynb").write_text("{ this is not json")
    shutil.copy(inbox / "ada.ipynb", inbox / "not a valid id.ipynb")
    stripped = nbformat.from_dict(solved)
    for cell in stripped.cells:
        cell.metadata = {}
        cell.id = "x" + cell.id  # and new cell ids, so only sources and positions match
    nbformat.write(stripped, inbox / "fay.ipynb")
    cheat = "check.check_decision_line = lambda *args: None\n" + subs.solution_sources(
        subs.read(lab.source))["decision_line"]
    nbformat.write(subs.fill(solved, {"decision_line": cheat}), inbox / "gus.ipynb")
    hang = "import time\ntime.sleep(600)"
    nbformat.write(subs.fill(solved, {"decision_line": hang}), inbox / "ivy.ipynb")
    greedy = ("big = np.ones(2**29)  # 4 GiB\n"
              "def decision_line(w, b):\n    return -w[0] / w[1], -b / w[1]")
    nbformat.write(subs.fill(solved, {"decision_line": greedy}), inbox / "jo.ipynb")
    deleter = nbformat.from_dict(solved)
    deleter.cells = [c for c in deleter.cells if subs.grade_id(c) != "test_update"]
    nbformat.write(deleter, inbox / "kim.ipynb")
    collected, rejected = classroom.collect(lab, inbox)
    unmatched = nbformat.from_dict(stripped)
    unmatched.cells.insert(8, nbformat.v4.new_code_cell("x = 1"))  # beside the predict answer
    subs.write_submission(classroom.submission_path(lab.root, lab, "hal"), unmatched)
    return lab, collected, rejected, _autograde(lab)


def _autograde(lab):
    """Two workers, a short cell time limit and a small memory cap (for jo's 4 GiB)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DLCOURSE_GRADER_MEMORY_MB", "2048")  # the workers inherit it
        return classroom.autograde_class(lab, policy="zero", workers=2, timeout=15)


def test_collect_rejects_unreadable_and_badly_named_files(graded_class):
    _, collected, rejected, _ = graded_class
    assert collected == ["ada", "bob", "cy", "dee", "fay", "gus", "ivy", "jo", "kim"]
    assert set(rejected) == {"eve.ipynb", "not a valid id.ipynb"}
    assert "not a readable notebook" in rejected["eve.ipynb"]


def test_hostile_class_is_graded_in_parallel_with_every_other_score_right(graded_class):
    _, _, _, report = graded_class
    assert report.totals == {"ada": (10, 10), "bob": (0, 10), "cy": (10, 10), "fay": (10, 10),
                             "gus": (9, 10), "ivy": (9, 10), "jo": (9, 10), "kim": (10, 10)}
    assert "crashed its kernel" in report.problems["dee"]
    assert "cannot be matched to the release (predict)" in report.problems["hal"]
    text = report.format()
    assert "NOT GRADED" in text and "hardest first" in text


def test_feedback_and_export(graded_class, tmp_path):
    lab, _, _, _ = graded_class
    folder = classroom.feedback(lab)
    assert (folder / "ada" / LAB_ID / f"{LAB_ID}.html").is_file()
    long, wide, canvas = exports.export_all(lab.root, tmp_path)
    rows = list(csv.DictReader(open(long)))
    ada = [r for r in rows if r["student"] == "ada"]
    assert len(ada) == 4 and sum(float(r["score"]) for r in ada) == 10
    table = list(csv.reader(open(wide)))
    assert table[0] == ["student", LAB_ID, "total", "not graded"]
    assert table[1] == ["(maximum)", "10", "10", ""]
    by_student = {row[0]: row[1:] for row in table[2:]}
    assert by_student["ada"] == ["10", "10", ""] and by_student["bob"] == ["0", "0", ""]
    assert by_student["dee"] == ["", "0", LAB_ID]
    sheet = list(csv.reader(open(canvas)))
    assert sheet[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", LAB_ID]
    assert sheet[1] == ["Points Possible", "", "", "", "", "10"]
    lines = {row[2]: row for row in sheet[2:]}
    assert lines["ada"][-1] == "10" and lines["hal"][-1] == "" and lines["bob"][-1] == "0"


def test_gaming_is_flagged_with_its_line_and_zeroed_by_policy(graded_class):
    _, _, _, report = graded_class
    assert list(report.flags) == ["gus"]
    flag = report.flags["gus"][0]
    assert flag.cell == "decision_line" and "check.check_decision_line" in flag.code
    assert "FLAGGED (tasks zeroed)" in report.format()


def test_students_not_graded_are_marked_so_in_the_export(graded_class, tmp_path):
    lab, _, _, _ = graded_class
    grades, _, _ = exports.read_gradebook(lab.root)
    rows = list(csv.DictReader(open(exports.write_long(grades, tmp_path / "grades.csv"))))
    for student in ("dee", "hal"):
        mine = [r for r in rows if r["student"] == student]
        assert mine and all(r["status"] == "not graded" and r["score"] == "" for r in mine)
    assert all(r["status"] == "graded" for r in rows if r["student"] == "ada")


def test_class_report_says_what_the_class_got_wrong(graded_class):
    lab, _, _, report = graded_class
    page = report.page.read_text()
    assert "data:image/png;base64," in page and "Grading time" in page
    assert "crashed its kernel" in page and "cannot be matched" in page
    data = class_report.collect(lab)
    assert data.totals["ada"] == 10 and set(data.not_graded) == {"dee", "hal"}
    assert set(data.seconds) >= set(data.totals) - {"hal"}
    blank = data.failures["test_predict"]
    assert sum(blank.values()) == 1 and "not written yet" in next(iter(blank))
    assert sum(data.failures["test_decision_line"].values()) == 4  # bob, gus, ivy, jo


def test_failure_messages_group_alike_mistakes():
    def cell(ename, evalue, line):
        c = nbformat.v4.new_code_cell("check.check_it(f)\n### BEGIN HIDDEN TESTS\n"
                                      "assert f(2) == 4\n### END HIDDEN TESTS")
        c.outputs = [nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[
            f"Cell In[7], line {line}"])]
        return c

    got = class_report.failure_message(cell("CheckFailed", "[f] wrong for x = 3.5\n  got: 7", 1))
    assert got == "[f] wrong for x = #" == class_report.failure_message(
        cell("CheckFailed", "[f] wrong for x = 12\n  got: 1", 1))
    assert class_report.failure_message(cell("AssertionError", "", 3)) == (
        "hidden test: AssertionError")
    assert class_report.failure_message(cell("TypeError", "bad /home/x/y.py", 1)) == (
        "TypeError: bad <path>")
    assert class_report.failure_message(nbformat.v4.new_code_cell("x")) is None


def test_a_rerun_grades_only_new_or_changed_submissions(graded_class):
    lab, _, _, first = graded_class
    again = _autograde(lab)
    assert sorted(again.skipped) == sorted(first.totals) and again.totals == first.totals
    assert "crashed its kernel" in again.problems["dee"]  # tried again: it may be fixed
    path = classroom.submission_path(lab.root, lab, "ada")
    changed = subs.read(path)
    changed.cells.append(nbformat.v4.new_markdown_cell("All done."))
    nbformat.write(changed, path)
    third = _autograde(lab)
    assert set(third.skipped) == set(first.totals) - {"ada"}
    assert third.totals == first.totals and third.passes == {"ada": "fast"}


def test_an_interrupted_run_keeps_what_it_graded(graded_class, monkeypatch):
    lab, _, _, first = graded_class
    parallel.Ledger(lab).path.unlink()
    real = parallel.run_workers
    recorded = []

    def interrupted(*args, on_done, **kwargs):
        def then_stop(outcome):
            on_done(outcome)
            recorded.append(outcome.student)
            if len(recorded) == 2:
                raise KeyboardInterrupt
        real(*args, on_done=then_stop, **kwargs)

    monkeypatch.setattr(parallel, "run_workers", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _autograde(lab)
    monkeypatch.setattr(parallel, "run_workers", real)
    resumed = _autograde(lab)
    assert set(resumed.skipped) == set(recorded) - {"dee"}
    assert resumed.totals == first.totals
