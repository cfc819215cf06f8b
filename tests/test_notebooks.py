"""Every lab follows the notebook conventions and runs headless in the smoke profile."""

import nbformat
import pytest

from dlcourse import REPOSITORY
from dlcourse.course import Lab
from dlcourse.execute import executed_problems, run
from dlcourse.grading.release import graded_cells
from dlcourse.grading.submissions import HIDDEN_MARKERS, is_answer, is_test, nbgrader_meta

from .conftest import LABS

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_lab_follows_the_conventions(lab):
    nb = nbformat.read(lab.source, as_version=4)
    first, setup = nb.cells[0], nb.cells[1]
    colab = (REPOSITORY.replace("https://github.com/", "https://colab.research.google.com/github/")
             + f"/blob/main/labs/{lab.id}/{lab.id}.ipynb")
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert colab in first.source and "**Time:**" in first.source
    assert nbgrader_meta(setup).get("locked") and "dlcourse.setup(" in setup.source
    assert "google.colab" in setup.source
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1 and params[0].source.startswith('PROFILE = "full"')
    tests = [c for c in nb.cells if is_test(c)]
    assert 2 <= len(tests) <= 8 and sum(is_answer(c) for c in nb.cells) >= len(tests)
    for cell in tests:
        assert "check." in cell.source.split(HIDDEN_MARKERS[0])[0], cell.metadata
        assert HIDDEN_MARKERS[0] in cell.source, nbgrader_meta(cell)["grade_id"]
    for cell in nb.cells:
        assert not cell.get("outputs") and not cell.get("execution_count")
    assert "record_metric(" in "".join(c.source for c in nb.cells)
    headings = [line for c in nb.cells if c.cell_type == "markdown"
                for line in c.source.splitlines() if line.startswith("## ")]
    assert headings[-3:] == ["## What you learned", "## Challenge (ungraded)",
                             "## Before you submit"], headings[-4:]
    assert nb.metadata.get("dlcourse") == {"lab": lab.id, "graded": graded_cells(nb)}, (
        "the notebook's list of graded cells is stale: run `dlcourse release`")
    last = nb.cells[-1]
    assert nbgrader_meta(last).get("locked") and "dlcourse.ready_to_submit()" in last.source
    points = sum(nbgrader_meta(c).get("points", 0) or 0 for c in tests)
    assert points == 10, f"{lab.id} is worth {points} points; every lab is worth 10"


def test_run_executes_a_lab_and_reports_it(mirror, tmp_path):
    """The papermill pipeline of `dlcourse run`; every lab's solution is also executed, in
    the smoke profile, by the grading self-test."""
    lab = next(lab for lab in LABS if lab.id == "02-perceptron")
    results = run([lab], tmp_path, "smoke", workers=1, timeout=600)
    assert results[0].status == "ok", results[0].detail
    assert results[0].metrics == {"epochs to learn AND": "6"}
    executed = nbformat.read(tmp_path / lab.id / f"{lab.id}.ipynb", as_version=4)
    assert executed_problems(executed) == []
    report = (tmp_path / "report.md").read_text()
    assert "| 02-perceptron | ok |" in report and "epochs to learn AND = 6" in report


def test_run_reports_a_failing_lab(tmp_path):
    broken = tmp_path / "course" / "solutions" / "99-broken"
    broken.mkdir(parents=True)
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("PROFILE = 'full'", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise ValueError('boom')")])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, broken / "99-broken.ipynb")
    (result,) = run([Lab("99-broken", tmp_path / "course")], tmp_path / "out", "smoke", timeout=120)
    assert result.status == "failed" and "ValueError: boom" in result.detail


def test_executed_problems_names_what_is_missing():
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text="WARNING: retracing")]
    problems = executed_problems(nbformat.v4.new_notebook(cells=[cell]))
    assert problems[:2] == ["draws no figure", "records no key metric (dlcourse.record_metric)"]
    assert "retracing" in problems[2]
