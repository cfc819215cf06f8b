"""The grading self-test for every lab, and a grader that survives hostile submissions."""

import nbformat
import pytest

from dlcourse.course import Lab
from dlcourse.grading import selftest
from dlcourse.grading import submissions as subs
from dlcourse.grading.nbgrader_api import ScratchCourse, SubmissionCrashed

from .conftest import LABS, ROOT

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_grading_selftest(lab, mirror):
    result = selftest.check_lab(lab)
    assert result.ok, selftest.format_results([result])


@pytest.fixture(scope="module")
def perceptron_box():
    lab = Lab("02-perceptron", ROOT)
    with ScratchCourse(ROOT, lab.id, timeout=15) as box:
        release = subs.read(box.release)
        yield box, release, subs.solved(release, subs.read(lab.source))


def _by_id(scores):
    return {s.grade_id: s.score for s in scores}


def test_hanging_answer_times_out_and_the_rest_is_graded(perceptron_box):
    box, release, solved = perceptron_box
    nb = subs.fill(solved, {"decision_line": "import time\ntime.sleep(600)"})
    scores = _by_id(box.grade("hangs", nb))
    assert scores["test_predict"] == 3 and scores["test_decision_line"] == 0


def test_crashing_kernel_is_reported_and_grading_goes_on(perceptron_box):
    box, release, solved = perceptron_box
    nb = subs.fill(solved, {"train": "import os\nos._exit(1)"})
    with pytest.raises(SubmissionCrashed, match="crashes's 02-perceptron crashed its kernel"):
        box.grade("crashes", nb)
    assert sum(_by_id(box.grade("after-crash", solved)).values()) == 10


def test_tampered_test_cell_is_restored(perceptron_box):
    box, release, solved = perceptron_box
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if subs.grade_id(cell) == "test_predict":
            cell.source = "pass  # tests removed"
    scores = _by_id(box.grade("tamperer", nb))
    assert scores["test_predict"] == 0  # the blank answer still fails the real test


def test_deleted_test_cell_still_counts(perceptron_box):
    box, release, solved = perceptron_box
    nb = nbformat.from_dict(solved)
    nb.cells = [c for c in nb.cells if subs.grade_id(c) != "test_update"]
    scores = _by_id(box.grade("deleter", nb))
    assert scores["test_update"] == 3 and sum(scores.values()) == 10


def test_memory_hungry_answer_fails_alone(perceptron_box, monkeypatch):
    box, release, solved = perceptron_box
    monkeypatch.setenv("DLCOURSE_GRADER_MEMORY_MB", "2048")
    greedy = ("big = np.ones(2**29)  # 4 GiB\n"
              "def decision_line(w, b):\n    return -w[0] / w[1], -b / w[1]")
    scores = _by_id(box.grade("greedy", subs.fill(solved, {"decision_line": greedy})))
    assert scores["test_decision_line"] == 0 and scores["test_train"] == 3
