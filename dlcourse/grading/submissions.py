"""Build student submissions from a release: filled with the solution, blank, or with
known wrong answers (the fixtures in ``grading/wrong_answers/<lab>.toml``)."""

from __future__ import annotations

import copy
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

SOLUTION_MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")
HIDDEN_MARKERS = ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS")


@dataclass(frozen=True)
class WrongAnswer:
    """A common mistake: replacement sources for answer cells, the tests it must fail, and
    the later tests that must still give full marks (one mistake costs one task)."""

    name: str
    mistake: str
    cells: dict[str, str]
    loses: tuple[str, ...] = field(default_factory=tuple)
    keeps: tuple[str, ...] = field(default_factory=tuple)
    gaming: bool = False  # an attempt to game the grader rather than a mistake


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def grade_id(cell) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_answer(cell) -> bool:
    return bool(nbgrader_meta(cell).get("solution"))


def is_test(cell) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("grade")) and not meta.get("solution")


def region(source: str, markers: tuple[str, str]) -> list[str]:
    """The lines between a pair of markers (all such regions of a cell)."""
    lines, inside = [], False
    for line in source.splitlines():
        stripped = line.strip()
        if stripped == markers[0]:
            inside = True
        elif stripped == markers[1]:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def without_markers(source: str) -> str:
    """A solution cell's source as a student who solved it would have written it."""
    return "\n".join(line for line in source.splitlines()
                     if line.strip() not in SOLUTION_MARKERS)


def solution_sources(source_nb) -> dict[str, str]:
    return {grade_id(c): without_markers(c.source) for c in source_nb.cells if is_answer(c)}


def fill(release_nb, answers: dict[str, str]):
    """A copy of the release with the given answer cells replaced."""
    nb = copy.deepcopy(release_nb)
    unknown = set(answers) - {grade_id(c) for c in nb.cells if is_answer(c)}
    if unknown:
        raise ValueError(f"no answer cells with grade ids {sorted(unknown)}")
    for cell in nb.cells:
        if is_answer(cell) and grade_id(cell) in answers:
            cell.source = answers[grade_id(cell)]
    return nb


def graded_cells_only(release_nb):
    """The release without its ordinary code cells (demos, training runs): only the setup,
    answer and test cells, which is all a grader needs to run."""
    nb = copy.deepcopy(release_nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or nbgrader_meta(c)
                or "parameters" in c.metadata.get("tags", [])]
    return nb


def solved(release_nb, source_nb):
    return fill(release_nb, solution_sources(source_nb))


def with_wrong_answer(release_nb, source_nb, wrong: WrongAnswer):
    answers = solution_sources(source_nb)
    answers.update(wrong.cells)
    return fill(release_nb, answers)


def load_wrong_answers(path: Path) -> list[WrongAnswer]:
    if not path.is_file():
        return []
    with open(path, "rb") as fh:
        raw = tomllib.load(fh)
    return [WrongAnswer(name=w["name"], mistake=w["mistake"], cells=dict(w["cells"]),
                        loses=tuple(w.get("loses", ())), keeps=tuple(w.get("keeps", ())),
                        gaming=bool(w.get("gaming", False)))
            for w in raw.get("wrong", [])]


def read(path: Path):
    return nbformat.read(path, as_version=4)


def without_duplicate_ids(nb) -> tuple[object, list[str]]:
    """Strip grading metadata from copies of a graded cell (same grade id, later in the
    notebook). nbgrader would otherwise stop with a misleading error; the copy is kept
    as an ordinary cell and the original is graded."""
    nb = copy.deepcopy(nb)
    seen, notes = set(), []
    for cell in nb.cells:
        gid = grade_id(cell)
        if gid is None:
            continue
        if gid in seen:
            cell.metadata.pop("nbgrader", None)
            notes.append(f"a copy of graded cell {gid!r} was made an ordinary cell")
        seen.add(gid)
    return nb, notes


def _matches(cell, original) -> bool:
    return cell.cell_type == original.cell_type and (
        cell.get("id") == original.get("id") or cell.source.strip() == original.source.strip())


def with_restored_metadata(nb, release_nb) -> tuple[object, list[str], str | None]:
    """Give back the grading metadata of cells that lost it (an editor that strips cell
    metadata). Locked cells are matched to the release by cell id or identical source; an
    answer cell by cell id, or as the one code cell between its matched neighbours.

    Returns the notebook, what was restored, and why it cannot be graded (or None).
    """
    graded = [c for c in release_nb.cells if nbgrader_meta(c)]
    present = {grade_id(c) for c in nb.cells if grade_id(c)}
    missing = [c for c in graded if grade_id(c) not in present]
    if not missing:
        return nb, [], None
    nb = copy.deepcopy(nb)
    bare = [i for i, c in enumerate(nb.cells) if not nbgrader_meta(c)]
    position: dict[str, int] = {grade_id(c): i for i, c in enumerate(nb.cells) if grade_id(c)}
    for original in missing:  # locked cells and answer cells that kept their id
        for i in bare:
            if i not in position.values() and (
                    _matches(nb.cells[i], original) if nbgrader_meta(original).get("locked")
                    else nb.cells[i].get("id") == original.get("id")):
                position[grade_id(original)] = i
                break
    order = [grade_id(c) for c in graded]
    for k, original in enumerate(graded):  # answer cells, from their neighbours
        gid = grade_id(original)
        if gid in position:
            continue
        before = next((position[g] for g in reversed(order[:k]) if g in position), -1)
        after = next((position[g] for g in order[k + 1:] if g in position), len(nb.cells))
        between = [i for i in range(before + 1, after)
                   if nb.cells[i].cell_type == original.cell_type and i in bare
                   and i not in position.values()]
        if len(between) == 1:
            position[gid] = between[0]
    # A test cell not found was deleted: nbgrader puts it back from the gradebook.
    lost = [grade_id(c) for c in graded if grade_id(c) not in position and is_answer(c)]
    if lost:
        return nb, [], (f"cell metadata was removed and {len(lost)} graded cell(s) cannot be "
                        f"matched to the release ({', '.join(lost[:5])})")
    notes = []
    for original in (c for c in missing if grade_id(c) in position):
        cell = nb.cells[position[grade_id(original)]]
        for key in ("nbgrader", "deletable", "editable"):
            if key in original.metadata:
                cell.metadata[key] = copy.deepcopy(original.metadata[key])
        notes.append(f"grading metadata of cell {grade_id(original)!r} restored")
    return nb, notes, None


def write_submission(path: Path, nb, release_nb=None) -> list[str]:
    """Write a student's notebook where nbgrader expects it; returns what was repaired.

    With the release, cells that lost their grading metadata get it back; a submission
    whose graded cells cannot be matched raises ValueError with the reason.
    """
    nb, notes = without_duplicate_ids(nb)
    if release_nb is not None:
        nb, restored, problem = with_restored_metadata(nb, release_nb)
        if problem:
            raise ValueError(problem)
        notes += restored
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return notes


def release_problems(release_nb, source_nb) -> list[str]:
    """What a release must not contain: outputs, solution code, hidden tests, markers."""
    problems = []
    source_cells = {grade_id(c): c for c in source_nb.cells if grade_id(c)}
    for index, cell in enumerate(release_nb.cells):
        where = f"cell {index} ({grade_id(cell) or cell.cell_type})"
        text = cell.source
        for marker in SOLUTION_MARKERS + HIDDEN_MARKERS:
            if marker in text:
                problems.append(f"{where} contains the marker {marker!r}")
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count")):
            problems.append(f"{where} has outputs")
        original = source_cells.get(grade_id(cell))
        if original is None:
            continue
        released = {line.strip() for line in text.splitlines()}
        for markers, kind in ((SOLUTION_MARKERS, "solution code"), (HIDDEN_MARKERS, "hidden test")):
            for line in region(original.source, markers):
                stripped = line.strip()
                if len(stripped) > 3 and not stripped.startswith("#") and stripped in released:
                    problems.append(f"{where} leaks {kind}: {stripped!r}")
    return problems
