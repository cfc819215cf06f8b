"""Parsers for the raw dataset files, returning what ``keras.datasets`` returns.

Each parser checks what it reads and raises :class:`DatasetError` naming the file when the
bytes are not what the format promises, instead of failing deep inside NumPy.
"""

from __future__ import annotations

import gzip
import io
import pickle
import struct
import tarfile
from pathlib import Path

import numpy as np

from dlcourse.datasets.files import DatasetError

_IDX_DTYPES = {0x08: np.uint8}


def read_idx(path: Path) -> np.ndarray:
    """Read a gzipped IDX file (the MNIST format) into a uint8 array."""
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read()
    except (OSError, EOFError) as exc:
        raise DatasetError(f"{path} is not a readable gzip file ({exc})") from None
    if len(data) < 4:
        raise DatasetError(f"{path} is too short to be an IDX file")
    zero, dtype_code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or dtype_code not in _IDX_DTYPES or not 1 <= ndim <= 4:
        raise DatasetError(f"{path} does not start with an IDX header")
    shape = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = np.frombuffer(data, dtype=_IDX_DTYPES[dtype_code], offset=4 + 4 * ndim)
    if body.size != int(np.prod(shape)):
        raise DatasetError(f"{path}: header says {shape} but holds {body.size} values")
    return body.reshape(shape)


def read_cifar10(archive: Path):
    """Read ``cifar-10-python.tar.gz`` into ``(x_train, y_train), (x_test, y_test)``.

    Images are uint8 ``(N, 32, 32, 3)`` and labels uint8 ``(N, 1)``, as in Keras.
    """
    batches: dict[str, dict] = {}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar.getmembers():
                name = Path(member.name).name
                if member.isfile() and (name.startswith("data_batch_") or name == "test_batch"):
                    # The archive's sha256 was verified before we got here, so these
                    # pickles are the registered bytes, not arbitrary input.
                    batches[name] = pickle.load(tar.extractfile(member), encoding="bytes")
    except (OSError, tarfile.TarError, pickle.UnpicklingError, EOFError) as exc:
        raise DatasetError(f"{archive} is not a readable CIFAR-10 archive ({exc})") from None
    train_names = sorted(n for n in batches if n.startswith("data_batch_"))
    if not train_names or "test_batch" not in batches:
        raise DatasetError(f"{archive} lacks data_batch_* or test_batch")

    def to_arrays(parts):
        x = np.concatenate([p[b"data"] for p in parts]).reshape(-1, 3, 32, 32)
        y = np.concatenate([np.asarray(p[b"labels"], dtype=np.uint8) for p in parts])
        return x.transpose(0, 2, 3, 1).astype(np.uint8), y.reshape(-1, 1)

    return to_arrays([batches[n] for n in train_names]), to_arrays([batches["test_batch"]])


def read_cifar10_images(archive: Path, class_names):
    """Read the JPEG folder archive ``cifar-10-images/{train,test}/<class>/NNNN.jpg``.

    Returns the same shapes and dtypes as :func:`read_cifar10`. Files are sorted by class,
    so each split is put in a fixed pseudo-random order: slicing the first or last N
    images gives a mix of classes, as with Keras's copy.
    """
    from PIL import Image, UnidentifiedImageError

    index = {name: i for i, name in enumerate(class_names)}
    parts = {"train": ([], []), "test": ([], [])}
    try:
        with tarfile.open(archive, "r:gz") as tar:
            for member in tar:
                path = Path(member.name).parts
                if not (member.isfile() and member.name.endswith(".jpg") and len(path) >= 3):
                    continue
                split, cls = path[-3], path[-2]
                if split not in parts or cls not in index:
                    continue
                with Image.open(io.BytesIO(tar.extractfile(member).read())) as image:
                    pixels = np.asarray(image.convert("RGB"), dtype=np.uint8)
                if pixels.shape != (32, 32, 3):
                    raise DatasetError(f"{archive}: {member.name} is {pixels.shape}, not 32x32 RGB")
                parts[split][0].append(pixels)
                parts[split][1].append(index[cls])
    except (OSError, tarfile.TarError, EOFError, UnidentifiedImageError) as exc:
        raise DatasetError(f"{archive} is not a readable CIFAR-10 image archive ({exc})") from None

    def to_arrays(split: str, seed: int):
        images, labels = parts[split]
        if not images:
            raise DatasetError(f"{archive} holds no {split}/<class>/*.jpg images")
        order = np.random.RandomState(seed).permutation(len(images))
        x = np.stack(images)[order]
        y = np.asarray(labels, dtype=np.uint8)[order].reshape(-1, 1)
        return x, y

    return to_arrays("train", 1), to_arrays("test", 0)


def read_imdb_reviews(archive: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read the raw review texts of one split (``train`` or ``test``) of ``aclImdb``.

    Returns ``(texts, labels)``: an object array of str and int64 labels (1 = positive),
    in sorted file-name order.
    """
    texts, labels = [], []
    try:
        with tarfile.open(archive, "r:gz") as tar:
            members = sorted(
                (m for m in tar.getmembers() if m.isfile() and m.name.endswith(".txt")),
                key=lambda m: m.name,
            )
            for member in members:
                parts = Path(member.name).parts
                if len(parts) >= 4 and parts[-3] == split and parts[-2] in ("pos", "neg"):
                    raw = tar.extractfile(member).read().decode("utf-8")
                    texts.append(raw.replace("<br />", " "))
                    labels.append(1 if parts[-2] == "pos" else 0)
    except (OSError, tarfile.TarError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{archive} is not a readable aclImdb archive ({exc})") from None
    if not texts:
        raise DatasetError(f"{archive} holds no {split}/pos or {split}/neg reviews")
    return np.array(texts, dtype=object), np.array(labels, dtype=np.int64)
