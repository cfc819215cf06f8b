"""Getting a registered file onto disk: cache -> mirror -> download, always verified.

Every copy or download goes to a temporary file beside its target, is checked against the
registry's sha256 and only then renamed into place, so the cache never holds a partial or
corrupt file under a real name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from dlcourse.datasets.registry import DataFile, Dataset, in_checkout

DATA_DIR_ENV = "DLCOURSE_DATA_DIR"
MIRROR_ENV = "DLCOURSE_DATA_MIRROR"
PROGRESS_MIN_BYTES = 1 << 20
TIMEOUT_S = 30
RETRIES = 3
_CHUNK = 1 << 20


class DatasetError(RuntimeError):
    """A dataset file could not be provided; the message says why and what to do."""


def cache_dir() -> Path:
    """Where verified files live: ``$DLCOURSE_DATA_DIR``, else ``datasets/cache`` in a
    checkout, else ``~/.cache/dlcourse/datasets``."""
    if os.environ.get(DATA_DIR_ENV):
        return Path(os.environ[DATA_DIR_ENV]).expanduser()
    if in_checkout():
        return Path(__file__).resolve().parents[2] / "datasets" / "cache"
    return Path.home() / ".cache" / "dlcourse" / "datasets"


def mirror_dirs() -> list[Path]:
    """The mirrors in ``$DLCOURSE_DATA_MIRROR``: one folder, or several joined by
    ``os.pathsep`` (for example ``../shared/datasets-full:../shared/datasets``)."""
    value = os.environ.get(MIRROR_ENV, "")
    return [Path(part).expanduser() for part in value.split(os.pathsep) if part.strip()]


def cached_path(dataset: Dataset, datafile: DataFile) -> Path:
    return cache_dir() / dataset.name / datafile.name


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def is_valid(path: Path, datafile: DataFile) -> bool:
    return path.is_file() and sha256_of(path) in datafile.accepted_sha256


def fetch(dataset: Dataset, datafile: DataFile, progress: bool = True) -> Path:
    """Return the path of a verified local copy of ``datafile``, fetching it if needed.

    A cached subset (CI's mirror) is kept unless a mirror offers a fuller copy, which then
    replaces it; a full copy in the cache is used as it is.
    """
    target = cached_path(dataset, datafile)
    cached_subset = None
    if target.exists():
        digest = sha256_of(target)
        if digest in datafile.accepted_sha256 and not datafile.is_subset(digest):
            return target
        if digest in datafile.accepted_sha256:
            cached_subset = digest
        else:
            print(f"dlcourse: cached {target} fails its sha256 check; fetching it again",
                  file=sys.stderr)
            target.unlink()

    problems = []
    for source, listed in _mirror_sources(dataset, datafile, problems):
        if cached_subset and (listed == cached_subset or datafile.is_subset(listed)):
            continue
        try:
            _install(target, datafile, lambda fh, src=source: _copy(src, fh), origin=str(source))
            return target
        except DatasetError as exc:
            problems.append(f"mirror: {exc}")
    if cached_subset:
        return target
    if datafile.url:
        try:
            _install(target, datafile, lambda fh: _download(datafile, fh, progress),
                     origin=datafile.url)
            return target
        except DatasetError as exc:
            problems.append(f"download: {exc}")
    raise DatasetError(_unavailable_message(dataset, datafile, target, problems))


def _unavailable_message(dataset, datafile, target, problems) -> str:
    mirrors = os.pathsep.join(str(m) for m in mirror_dirs())
    now = f" (now {mirrors})" if mirrors else ""
    lines = [f"Dataset {dataset.name!r}: could not get {datafile.name}.",
             *(f"  - {p}" for p in problems)]
    if not datafile.url:
        lines.append(f"Only a full course mirror holds it: set {MIRROR_ENV} to a list of "
                     f"mirror folders that includes one{now}.")
        return "\n".join(lines)
    lines += [
        "Get it in one of two ways:",
        f"  1. set {MIRROR_ENV} to a folder holding the course data mirror (with MANIFEST.json),"
        f" or several joined by {os.pathsep!r}{now}",
        f"  2. download {datafile.url}",
        f"     and save it as {target} (or run `dlcourse data fetch {dataset.name}` online).",
    ]
    return "\n".join(lines)


def _mirror_sources(dataset: Dataset, datafile: DataFile, problems: list) -> list:
    """``(path, listed sha256)`` of every mirror copy, fuller copies first, then mirror order."""
    found = []
    for mirror in mirror_dirs():
        try:
            found.append(_mirror_source(mirror, dataset, datafile))
        except DatasetError as exc:
            problems.append(f"mirror: {exc}")
    return sorted(found, key=lambda item: datafile.is_subset(item[1]))


def _mirror_source(mirror: Path, dataset: Dataset, datafile: DataFile) -> tuple[Path, str]:
    manifest = mirror / "MANIFEST.json"
    try:
        entries = json.loads(manifest.read_text())["files"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetError(f"{manifest} is missing or unreadable ({exc})") from None
    for entry in entries:
        if not isinstance(entry, dict) or "path" not in entry:
            continue
        if entry.get("dataset") == dataset.name and Path(entry["path"]).name == datafile.name:
            path = (mirror / entry["path"]).resolve()
            if mirror.resolve() not in path.parents:
                raise DatasetError(f"{manifest} points outside the mirror: {entry['path']}")
            return path, str(entry.get("sha256", ""))
    raise DatasetError(f"{manifest} lists no {dataset.name}/{datafile.name}")


def _install(target: Path, datafile: DataFile, write, origin: str) -> None:
    """Write via ``write(fh)`` into a temp file, verify it, then rename it to ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        digest = sha256_of(tmp)
        if digest not in datafile.accepted_sha256:
            raise DatasetError(
                f"{origin} has sha256 {digest}, expected {datafile.sha256} (corrupt or changed)"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _copy(source: Path, fh) -> None:
    try:
        with open(source, "rb") as src:
            shutil.copyfileobj(src, fh, _CHUNK)
    except OSError as exc:
        raise DatasetError(f"cannot read {source} ({exc.strerror or exc})") from None


def _download(datafile: DataFile, fh, progress: bool) -> None:
    last = None
    for attempt in range(1, RETRIES + 1):
        try:
            fh.seek(0)
            fh.truncate()
            _stream(datafile, fh, progress)
            return
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            last = getattr(exc, "reason", None) or exc
            if attempt < RETRIES and not _is_offline(exc):
                time.sleep(2 ** (attempt - 1))
            else:
                break
    raise DatasetError(f"{datafile.url} unreachable ({last})")


def _is_offline(exc: Exception) -> bool:
    """No point retrying when the name does not resolve or the connection is refused."""
    reason = getattr(exc, "reason", exc)
    return isinstance(reason, (ConnectionRefusedError, FileNotFoundError)) or (
        "Name or service not known" in str(reason) or "nodename nor servname" in str(reason)
        or "Temporary failure in name resolution" in str(reason)
    )


def _stream(datafile: DataFile, fh, progress: bool) -> None:
    request = urllib.request.Request(datafile.url, headers={"User-Agent": "dlcourse"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        bar = None
        if progress and (total or datafile.bytes) >= PROGRESS_MIN_BYTES:
            from tqdm.auto import tqdm

            bar = tqdm(total=total, unit="B", unit_scale=True, desc=datafile.name)
        try:
            for chunk in iter(lambda: response.read(_CHUNK), b""):
                fh.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        finally:
            if bar is not None:
                bar.close()
