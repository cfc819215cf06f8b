"""The dataset registry (``datasets/registry.toml``) as typed records."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

# In a checkout the registry sits in the top-level datasets/ folder; an installed wheel
# carries a copy inside the package (see pyproject's force-include).
_REPO_ROOT = Path(__file__).resolve().parents[2]
_CANDIDATES = (_REPO_ROOT / "datasets" / "registry.toml", Path(__file__).with_name("registry.toml"))


@dataclass(frozen=True)
class Variant:
    """Another accepted copy of a file: same layout, other bytes (a subset, a repacking)."""

    sha256: str
    bytes: int
    subset: bool = False
    about: str = ""


@dataclass(frozen=True)
class DataFile:
    """One file of a dataset, with the hashes a downloaded or mirrored copy may have.

    ``url`` is None for a file that only a course mirror holds; an ``optional`` file is
    used when it can be had and never required.
    """

    name: str
    sha256: str
    bytes: int
    url: str | None = None
    variants: tuple[Variant, ...] = ()
    optional: bool = False
    about: str = ""

    @property
    def accepted_sha256(self) -> tuple[str, ...]:
        return (self.sha256,) + tuple(v.sha256 for v in self.variants)

    def is_subset(self, sha256: str) -> bool:
        """True when ``sha256`` is an accepted copy that holds only part of the data."""
        return any(v.subset and v.sha256 == sha256 for v in self.variants)


@dataclass(frozen=True)
class Dataset:
    """A registered dataset: its files, licence and citation."""

    name: str
    title: str
    kind: str
    licence: str
    citation: str
    homepage: str
    files: tuple[DataFile, ...]

    def file(self, name: str) -> DataFile:
        for f in self.files:
            if f.name == name:
                return f
        raise KeyError(f"dataset {self.name!r} has no file {name!r}")


def registry_path() -> Path:
    for path in _CANDIDATES:
        if path.is_file():
            return path
    raise FileNotFoundError("the dataset registry (datasets/registry.toml) is missing")


def in_checkout() -> bool:
    """True when running from a source checkout rather than an installed wheel."""
    return _CANDIDATES[0].is_file()


@lru_cache(maxsize=1)
def load_registry() -> dict[str, Dataset]:
    with open(registry_path(), "rb") as fh:
        raw = tomllib.load(fh)
    registry = {}
    for name, entry in raw.items():
        files = tuple(
            DataFile(**{**f, "variants": tuple(Variant(**v) for v in f.get("variants", ()))})
            for f in entry.pop("files")
        )
        registry[name] = Dataset(name=name, files=files, **entry)
    return registry


def get(name: str) -> Dataset:
    """Look up a dataset by name, with a helpful error for a typo."""
    registry = load_registry()
    if name not in registry:
        raise KeyError(f"unknown dataset {name!r}; registered: {', '.join(sorted(registry))}")
    return registry[name]
