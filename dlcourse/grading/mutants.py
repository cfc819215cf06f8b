"""Automatic gaming attempts the self-test submits for every lab.

- *Delegating*: an answer that imports a public callable of the student distribution (the
  ``dlcourse`` package) with the same name as the function or class the task asks for. If
  it scores full marks, the package ships that task's answer.
- *Patched checks*: every answer is a do-nothing stub, and the first answer cell replaces
  every function of the check module with one that passes. Every test cell must still
  lose points: hidden tests never trust the visible check.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import dlcourse
from dlcourse.grading.submissions import WrongAnswer, grade_id, is_answer, without_markers

PATCH_CHECKS = """\
for _name in dir(check):
    if not _name.startswith("_"):
        setattr(check, _name, lambda *args, **kwargs: None)
"""


@dataclass(frozen=True)
class Mutant:
    answer: WrongAnswer
    every_test_loses: bool


def defined_names(source: str) -> dict[str, str]:
    """Top-level functions, classes and assigned names of an answer: name -> kind."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return {}
    names = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            names[node.name] = "function"
        elif isinstance(node, ast.ClassDef):
            names[node.name] = "class"
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = "value"
    return names


def public_callables(package_dir: Path | None = None) -> dict[str, list[str]]:
    """Every public top-level function and class of the package: name -> modules."""
    package_dir = package_dir or Path(dlcourse.__file__).parent
    found: dict[str, list[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        for node in ast.parse(path.read_text()).body:
            if (isinstance(node, ast.FunctionDef | ast.ClassDef)
                    and not node.name.startswith("_")):
                found.setdefault(node.name, []).append(module)
    return found


def _stub(source: str) -> str:
    lines = []
    for name, kind in defined_names(source).items():
        if kind == "function":
            lines.append(f"def {name}(*args, **kwargs):\n    return None")
        elif kind == "class":
            lines.append(f"class {name}:\n    pass")
        else:
            lines.append(f"{name} = None")
    return "\n".join(lines) or "pass"


def mutants(source_nb) -> list[Mutant]:
    answers = {grade_id(c): without_markers(c.source) for c in source_nb.cells if is_answer(c)}
    library = public_callables()
    found = []
    for cell_id, source in answers.items():
        for name, kind in defined_names(source).items():
            if kind == "value":
                continue
            for module in library.get(name, []):
                found.append(Mutant(WrongAnswer(
                    name=f"delegates-{name}-to-{module}",
                    mistake=f"imports {name} from {module} instead of writing it",
                    cells={cell_id: f"from {module} import {name}"}), every_test_loses=False))
    stubs = {cell_id: _stub(source) for cell_id, source in answers.items()}
    first = next(iter(stubs), None)
    if first is not None:
        stubs[first] = PATCH_CHECKS + stubs[first]
        found.append(Mutant(WrongAnswer(
            name="patches-the-checks",
            mistake="replaces every check with one that passes and answers nothing",
            cells=stubs), every_test_loses=True))
    return found
