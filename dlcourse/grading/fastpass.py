"""Grading a submission without the lab's unchanged demo cells, where that gives the same
scores as grading it whole.

The self-test proves, for every lab, that the solution scores full marks without its
ordinary code cells (demos and training runs): the tests need only the locked cells and
the answers. A student's submission may still lean on a demo cell: an answer that reads a
variable or a module a demo cell made (``x_train``, ``pd``). Such a submission is graded
whole from the start; so is one whose fast pass met a missing name anyway. Ordinary cells
the student changed or added always run.
"""

from __future__ import annotations

import ast
import builtins
import copy
import symtable

from dlcourse.grading import submissions as subs


def _parses(source: str) -> ast.Module | None:
    try:
        return ast.parse(_without_magics(source))
    except SyntaxError:
        return None


def _without_magics(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def names_bound(source: str) -> set[str]:
    """Names a cell binds at the top level of the notebook (assignments, imports, defs,
    loop and ``with`` targets)."""
    tree = _parses(source)
    if tree is None:
        return set()
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
    return bound


def names_read(source: str) -> set[str] | None:
    """The global names a cell reads, at the top level or inside its functions and
    classes (None when it does not parse: then it is graded whole)."""
    try:
        table = symtable.symtable(_without_magics(source), "<cell>", "exec")
    except SyntaxError:
        return None
    read: set[str] = set()

    def visit(scope, top: bool) -> None:
        for symbol in scope.get_symbols():
            if symbol.is_referenced() and (top or symbol.is_global()):
                read.add(symbol.get_name())
        for child in scope.get_children():
            visit(child, False)

    visit(table, True)
    return read


def _is_demo(cell) -> bool:
    return (cell.cell_type == "code" and not subs.nbgrader_meta(cell)
            and "parameters" not in cell.metadata.get("tags", []))


def skippable(submission, release) -> list[int]:
    """Indices of the submission's demo cells that equal a demo cell of the release."""
    released = {c.source.strip() for c in release.cells if _is_demo(c)}
    return [i for i, c in enumerate(submission.cells)
            if _is_demo(c) and c.source.strip() in released]


def fast_version(submission, release):
    """The submission without its unchanged demo cells, or None when its answers read a
    name that only a skipped demo cell binds (then it must be graded whole)."""
    skip = set(skippable(submission, release))
    if not skip:
        return None
    kept = [c for i, c in enumerate(submission.cells) if i not in skip]
    kept_bound = set(dir(builtins))
    for cell in kept:
        if cell.cell_type == "code":
            kept_bound |= names_bound(cell.source)
    demo_bound = set().union(*(names_bound(submission.cells[i].source) for i in skip))
    only_in_demos = demo_bound - kept_bound
    for cell in kept:
        if cell.cell_type == "code" and (subs.is_answer(cell) or _is_demo(cell)):
            read = names_read(cell.source)
            if read is None or read & only_in_demos:
                return None
    fast = copy.deepcopy(submission)
    fast.cells = [c for i, c in enumerate(fast.cells) if i not in skip]
    return fast


def met_missing_name(executed) -> bool:
    """Whether any cell of an executed notebook raised NameError or UnboundLocalError."""
    return any(out.get("output_type") == "error"
               and out.get("ename") in ("NameError", "UnboundLocalError")
               for cell in executed.cells if cell.cell_type == "code"
               for out in cell.get("outputs", []))
