"""Where things are in a course checkout, and which labs it has."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ROOT_ENV = "DLCOURSE_ROOT"


def course_root() -> Path:
    """The checkout root: ``$DLCOURSE_ROOT``, else the folder above this package."""
    root = Path(os.environ.get(ROOT_ENV) or Path(__file__).resolve().parents[1])
    if not (root / "solutions").is_dir():
        raise FileNotFoundError(
            f"{root} has no solutions/ folder; run from a course checkout or set {ROOT_ENV}"
        )
    return root


@dataclass(frozen=True)
class Lab:
    """One lab: an nbgrader assignment with a single notebook named after it."""

    id: str
    root: Path

    @property
    def source(self) -> Path:
        return self.root / "solutions" / self.id / f"{self.id}.ipynb"

    @property
    def release(self) -> Path:
        return self.root / "labs" / self.id / f"{self.id}.ipynb"

    @property
    def wrong_answers(self) -> Path:
        return self.root / "grading" / "wrong_answers" / f"{self.id}.toml"


def all_labs(root: Path | None = None) -> list[Lab]:
    root = root or course_root()
    return [Lab(p.name, root) for p in sorted((root / "solutions").iterdir())
            if (p / f"{p.name}.ipynb").is_file()]


def select_labs(names: list[str] | None, root: Path | None = None) -> list[Lab]:
    """Labs by id or by number prefix (``02`` finds ``02-perceptron``); all when empty."""
    labs = all_labs(root)
    if not names:
        return labs
    chosen = []
    for name in names:
        matches = [lab for lab in labs if lab.id == name or lab.id.split("-")[0] == name]
        if not matches:
            raise ValueError(f"no lab {name!r}; labs: {', '.join(lab.id for lab in labs)}")
        chosen.extend(m for m in matches if m not in chosen)
    return chosen
