"""Before submitting: is this notebook ready to be graded?

``dlcourse check NOTEBOOK``, or ``dlcourse.ready_to_submit()`` in a lab's last cell (also
on Colab), checks that the graded cells are all there, once each and unmodified; runs a
copy of the notebook top to bottom in the smoke profile, as the grader will; and reports
every visible check, passed or failed with its message, then one verdict.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

CELL_LIMIT_S = 300  # the grader stops a cell after this long (grading.config)
# Set where a lab runs without a student: the pre-flight run itself, grading, CI.
SKIP_ENV = "DLCOURSE_SKIP_PREFLIGHT"
MARK_OK, MARK_BAD = "\N{CHECK MARK}", "\N{BALLOT X}"


@dataclass
class Verdict:
    structure: list[str] = field(default_factory=list)  # problems with the graded cells
    checks: list[tuple[str, bool, str]] = field(default_factory=list)  # cell, passed, message
    errors: list[str] = field(default_factory=list)  # errors outside the test cells
    seconds: float | None = None
    slowest: tuple[str, float] | None = None

    @property
    def ready(self) -> bool:
        return not self.structure and self.seconds is not None and all(
            ok for _, ok, _ in self.checks)

    def format(self) -> str:
        lines = []
        for problem in self.structure:
            lines.append(f"{MARK_BAD} {problem}")
        if not self.structure:
            lines.append(f"{MARK_OK} every graded cell is there, once, unmodified")
        if self.seconds is not None:
            slow = (f"; slowest cell {self.slowest[0]}, {self.slowest[1]:.0f} s"
                    if self.slowest else "")
            lines.append(f"{MARK_OK} runs top to bottom in the smoke profile in "
                         f"{self.seconds:.0f} s{slow} (the grader stops a cell after "
                         f"{CELL_LIMIT_S} s)")
        for cell, ok, message in self.checks:
            lines.append(f"{MARK_OK if ok else MARK_BAD} {cell}: {message}")
        lines += [f"  note: {e}" for e in self.errors]
        passed = sum(ok for _, ok, _ in self.checks)
        if self.ready:
            lines.append(f"READY to submit: {passed} of {len(self.checks)} visible checks "
                         "pass. Hidden tests grade more cases than these.")
        else:
            lines.append(f"NOT READY: {passed} of {len(self.checks)} visible checks pass"
                         + ("; fix the graded cells above first" if self.structure else "")
                         + ".")
        return "\n".join(lines)


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def structure_problems(nb) -> list[str]:
    """Graded cells missing, duplicated, or locked cells changed."""
    from nbgrader.utils import compute_checksum

    problems = []
    ids = [_meta(c).get("grade_id") for c in nb.cells if _meta(c).get("grade_id")]
    duplicated = sorted({i for i in ids if ids.count(i) > 1})
    if duplicated:
        problems.append(f"cells copied: more than one {', '.join(duplicated)}; delete the "
                        "copies (keep the original, in its place)")
    expected = nb.metadata.get("dlcourse", {}).get("graded", [])
    missing = [i for i in expected if i not in ids]
    if missing:
        problems.append(f"graded cells deleted: {', '.join(missing)}; get a fresh copy of "
                        "the lab and paste your answers into it")
    if not ids:
        problems.append("no graded cells: this is not a lab notebook, or an editor removed "
                        "their metadata")
    changed = [m["grade_id"] for c in nb.cells if (m := _meta(c)).get("locked")
               and m.get("checksum") and compute_checksum(c) != m["checksum"]
               and not m.get("solution")]
    if changed:
        problems.append(f"locked cells changed: {', '.join(changed)}; the grader puts them "
                        "back as they were (undo your edits there)")
    return problems


def _execute(nb, folder: Path) -> tuple[object, float, tuple[str, float] | None]:
    """Run ``nb`` in a fresh kernel in ``folder``, smoke profile; return it executed."""
    from nbclient import NotebookClient

    from dlcourse.runtime import environment_variables

    client = NotebookClient(nb, timeout=CELL_LIMIT_S, allow_errors=True,
                            kernel_name="python3", resources={"metadata": {"path": str(folder)}})
    times: list[tuple[str, float]] = []
    start = time.perf_counter()
    with environment_variables({"DLCOURSE_PROFILE": "smoke", SKIP_ENV: "1"}), \
            client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's start-up chatter
        for index, cell in enumerate(nb.cells):
            began = time.perf_counter()
            client.execute_cell(cell, index)
            name = _meta(cell).get("grade_id") or cell.get("id") or f"cell {index}"
            times.append((name, time.perf_counter() - began))
    return nb, time.perf_counter() - start, max(times, key=lambda t: t[1], default=None)


def _error_text(output) -> str:
    evalue = (output.get("evalue") or "").strip()
    return f"{output.get('ename', 'Error')}: {evalue}" if evalue else output.get("ename", "Error")


def check_notebook(nb, run: bool = True) -> Verdict:
    """The verdict on a notebook (a NotebookNode)."""
    verdict = Verdict(structure=structure_problems(nb))
    if not run:
        return verdict
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    with tempfile.TemporaryDirectory(prefix="dlcourse-check-") as folder:
        executed, verdict.seconds, verdict.slowest = _execute(nb, Path(folder))
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if _meta(cell).get("grade"):
            if errors:
                verdict.checks.append((_meta(cell)["grade_id"], False, _error_text(errors[0])))
            else:
                said = "".join(o.get("text", "") for o in cell.get("outputs", [])
                               if o.get("name") == "stdout").strip().splitlines()
                message = said[-1].lstrip(MARK_OK).strip() if said else "passed"
                verdict.checks.append((_meta(cell)["grade_id"], True, message))
        elif errors and _meta(cell).get("solution"):
            verdict.errors.append(f"answer {_meta(cell)['grade_id']} raised "
                                  f"{_error_text(errors[0]).splitlines()[0]}")
    return verdict


def check_file(path: Path, run: bool = True) -> Verdict:
    with warnings.catch_warnings():  # nbformat warns about copied cells: we report them
        warnings.simplefilter("ignore")
        nb = nbformat.read(path, as_version=4)
    return check_notebook(nb, run=run)


def _this_notebook():
    """The notebook this kernel runs, as a NotebookNode, or None if it cannot be found."""
    if "google.colab" in sys.modules:
        from google.colab import _message  # type: ignore[import-not-found]

        reply = _message.blocking_request("get_ipynb", timeout_sec=60)
        return nbformat.from_dict(reply["ipynb"]) if reply and "ipynb" in reply else None
    try:
        user_ns = get_ipython().user_ns  # type: ignore[name-defined]  # noqa: F821
    except NameError:
        return None
    for key in ("__session__", "__vsc_ipynb_file__"):
        path = user_ns.get(key)
        if path and str(path).endswith(".ipynb") and Path(path).is_file():
            return nbformat.read(path, as_version=4)
    return None


def ready_to_submit(path: str | None = None) -> bool:
    """Check this lab before submitting it: prints the verdict; True when ready.

    In JupyterLab it checks the notebook as last saved: save first (Ctrl+S).
    """
    if os.environ.get(SKIP_ENV):
        print("(the pre-flight check is skipped here: this is a grading or test run)")
        return True
    nb = nbformat.read(path, as_version=4) if path else _this_notebook()
    if nb is None:
        print("Could not find this notebook's file: call ready_to_submit('NAME.ipynb') with "
              "its name, or run `dlcourse check NAME.ipynb` in a terminal.")
        return False
    print("Checking the notebook as last saved (save it first), in the smoke profile...")
    verdict = check_notebook(nb)
    print(verdict.format())
    return verdict.ready
