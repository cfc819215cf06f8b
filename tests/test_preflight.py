"""A student's pre-flight check: graded cells intact, the notebook runs, the checks' say."""

import nbformat
import pytest

import dlcourse
from dlcourse import preflight
from dlcourse.grading import submissions as subs

from .conftest import ROOT

LAB = "02-perceptron"


@pytest.fixture(scope="module")
def solved():
    release = subs.read(ROOT / "labs" / LAB / f"{LAB}.ipynb")
    return subs.solved(release, subs.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb"))


def test_intact_notebook_has_no_structure_problem(solved):
    assert preflight.structure_problems(solved) == []


def test_copied_deleted_and_edited_cells_are_named(solved):
    nb = nbformat.from_dict(solved)
    copy = next(c for c in nb.cells if subs.grade_id(c) == "test_update")
    nb.cells.append(nbformat.from_dict(copy))
    nb.cells = [c for c in nb.cells if subs.grade_id(c) != "test_train"]
    next(c for c in nb.cells if subs.grade_id(c) == "profile").source += "\nP = None"
    problems = "\n".join(preflight.structure_problems(nb))
    assert "more than one test_update" in problems
    assert "graded cells deleted: test_train" in problems
    assert "locked cells changed: profile" in problems


def test_stripped_metadata_is_not_a_lab(solved):
    nb = nbformat.from_dict(solved)
    for cell in nb.cells:
        cell.metadata = {}
    assert any("no graded cells" in p for p in preflight.structure_problems(nb))


@pytest.mark.notebooks
def test_a_solved_lab_is_ready_and_a_wrong_one_is_not(solved, tmp_path):
    verdict = preflight.check_notebook(solved)
    assert verdict.ready and verdict.seconds > 0 and len(verdict.checks) == 4, verdict.format()
    assert "READY to submit: 4 of 4" in verdict.format()
    wrong = subs.fill(solved, {"train": "def train(X, y, lr=1.0, epochs=20):\n"
                                        "    return np.zeros(2), 0.0, []"})
    nbformat.write(wrong, tmp_path / "wrong.ipynb")
    verdict = preflight.check_file(tmp_path / "wrong.ipynb")
    failed = [(cell, message) for cell, ok, message in verdict.checks if not ok]
    assert not verdict.ready and [c for c, _ in failed] == ["test_train"]
    assert "[train]" in failed[0][1] and "NOT READY: 3 of 4" in verdict.format()


def test_the_one_liner_stays_quiet_where_no_student_runs_it(monkeypatch, capsys):
    monkeypatch.setenv(preflight.SKIP_ENV, "1")
    assert dlcourse.ready_to_submit() is True
    assert "skipped" in capsys.readouterr().out
