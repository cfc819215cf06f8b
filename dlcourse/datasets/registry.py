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
class DataFile:
    """One file of a dataset, with the hashes a downloaded or mirrored copy may have."""

    name: str
    url: str
    sha256: str
    bytes: int
    variant_sha256: str | None = None
    variant_bytes: int | None = None

    @property
    def accepted_sha256(self) -> tuple[str, ...]:
        return (self.sha256,) + ((self.variant_sha256,) if self.variant_sha256 else ())


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
    variant: str | None = None

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
        files = tuple(DataFile(**f) for f in entry.pop("files"))
        registry[name] = Dataset(name=name, files=files, **entry)
    return registry


def get(name: str) -> Dataset:
    """Look up a dataset by name, with a helpful error for a typo."""
    registry = load_registry()
    if name not in registry:
        raise KeyError(f"unknown dataset {name!r}; registered: {', '.join(sorted(registry))}")
    return registry[name]
