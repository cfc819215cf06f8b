"""Every lab follows the notebook conventions and runs headless in the smoke profile."""

import nbformat
import pytest

from dlcourse import REPOSITORY
from dlcourse.execute import run_lab
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
    assert 2 <= len(tests) <= 6 and sum(is_answer(c) for c in nb.cells) >= len(tests)
    for cell in tests:
        assert "check." in cell.source.split(HIDDEN_MARKERS[0])[0], cell.metadata
        assert HIDDEN_MARKERS[0] in cell.source, nbgrader_meta(cell)["grade_id"]
    for cell in nb.cells:
        assert not cell.get("outputs") and not cell.get("execution_count")
    assert "record_metric(" in "".join(c.source for c in nb.cells)


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_solution_runs_in_the_smoke_profile(lab, mirror, tmp_path):
    result = run_lab(lab, tmp_path, "smoke", timeout=600)
    assert result.status == "ok", result.detail
    assert result.metrics, "the lab recorded no key metric"
    executed = nbformat.read(tmp_path / lab.id / f"{lab.id}.ipynb", as_version=4)
    outputs = [o for c in executed.cells for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "the lab drew no figure"
    stderr = [o["text"][:200] for o in outputs if o.get("name") == "stderr"]
    assert not stderr, f"the lab wrote to stderr (a test cell doing so scores 0): {stderr}"
