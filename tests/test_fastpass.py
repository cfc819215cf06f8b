"""Grading without the unchanged demo cells only where the scores cannot differ."""

import nbformat

from dlcourse.grading import fastpass
from dlcourse.grading import submissions as subs

from .conftest import ROOT

LAB = "02-perceptron"


def _release_and_solution():
    release = subs.read(ROOT / "labs" / LAB / f"{LAB}.ipynb")
    return release, subs.solved(release, subs.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb"))


def test_names_read_are_the_globals_a_cell_reads():
    source = ("def f(x, y):\n    z = x + y + W\n    return [a * b for a in z for b in V]\n"
              "class C:\n    k = 1\n    def g(self):\n        return Q\nprint(f)\n")
    assert fastpass.names_read(source) == {"W", "V", "Q", "print", "f"}
    assert fastpass.names_read("def broken(:\n") is None
    assert fastpass.names_read("%matplotlib inline\nx = y") == {"y"}


def test_names_bound_include_imports_defs_and_targets():
    source = "import numpy as np\nfrom os import path\nfor i, j in []: pass\ndef f(): pass\n"
    assert fastpass.names_bound(source) >= {"np", "path", "i", "j", "f"}


def test_unchanged_demo_cells_are_left_out_and_changed_ones_kept():
    release, solution = _release_and_solution()
    fast = fastpass.fast_version(solution, release)
    demos = [c for c in solution.cells if c.cell_type == "code" and not subs.nbgrader_meta(c)
             and "parameters" not in c.metadata.get("tags", [])]
    assert len(fast.cells) == len(solution.cells) - len(demos)
    changed = nbformat.from_dict(solution)
    index = changed.cells.index(demos[-1])
    changed.cells[index].source += "\nprint('mine')"
    kept = fastpass.fast_version(changed, release)
    assert any("print('mine')" in c.source for c in kept.cells)


def test_an_answer_that_reads_a_demo_variable_is_graded_whole():
    release, solution = _release_and_solution()
    skipped = [solution.cells[i] for i in fastpass.skippable(solution, release)]
    demo_only = set().union(*(fastpass.names_bound(c.source) for c in skipped))
    kept = [c for i, c in enumerate(solution.cells)
            if i not in fastpass.skippable(solution, release) and c.cell_type == "code"]
    demo_only -= set().union(*(fastpass.names_bound(c.source) for c in kept))
    name = sorted(demo_only)[0]
    answer = next(subs.grade_id(c) for c in solution.cells if subs.is_answer(c))
    leaning = subs.fill(solution, {answer: subs.solution_sources(
        subs.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb"))[answer] + f"\n_ = {name}"})
    assert fastpass.fast_version(leaning, release) is None


def test_a_missing_name_in_any_output_is_noticed():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("error", ename="NameError", evalue="x", traceback=[])]
    nb.cells = [cell]
    assert fastpass.met_missing_name(nb)
    cell.outputs[0].ename = "AssertionError"
    assert not fastpass.met_missing_name(nb)
