"""One loader per dataset; array datasets return what ``keras.datasets`` would return."""

from __future__ import annotations

import json

from dlcourse.datasets import registry
from dlcourse.datasets.files import DatasetError, cached_path, fetch, sha256_of
from dlcourse.datasets.parsers import (
    read_cifar10,
    read_cifar10_images,
    read_idx,
    read_imdb_reviews,
)

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
                   "dog", "frog", "horse", "ship", "truck")
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")


def path(dataset: str, file: str | None = None):
    """Verified local path of one file of a registered dataset (its only file by default)."""
    entry = registry.get(dataset)
    if file is None:
        if len(entry.files) != 1:
            names = ", ".join(f.name for f in entry.files)
            raise ValueError(f"dataset {dataset!r} has several files ({names}); name one")
        return fetch(entry, entry.files[0])
    return fetch(entry, entry.file(file))


def _idx_dataset(name: str):
    def part(kind: str, split: str):
        return read_idx(path(name, f"{split}-{kind}-idx{3 if kind == 'images' else 1}-ubyte.gz"))

    return ((part("images", "train"), part("labels", "train")),
            (part("images", "t10k"), part("labels", "t10k")))


def load_mnist():
    """MNIST: ``(x_train, y_train), (x_test, y_test)``; uint8 (N, 28, 28) and (N,)."""
    return _idx_dataset("mnist")


def load_fashion_mnist():
    """Fashion-MNIST, shaped like :func:`load_mnist`; names in ``FASHION_MNIST_CLASSES``."""
    return _idx_dataset("fashion-mnist")


def load_cifar10():
    """CIFAR-10: uint8 images (N, 32, 32, 3) and uint8 labels (N, 1), as in Keras.

    The fullest copy at hand wins: the original archive when it is cached, else all 60,000
    images from a full mirror's JPEG folders, else the archive from a mirror (CI's holds a
    5,000/1,000 subset) or its canonical URL. ``len(x_train)`` says which one you got.
    """
    entry = registry.get("cifar10")
    archive, images = entry.file("cifar-10-python.tar.gz"), entry.file("cifar-10-images.tar.gz")
    cached = cached_path(entry, archive)
    if not (cached.is_file() and sha256_of(cached) == archive.sha256):
        try:
            return read_cifar10_images(fetch(entry, images), CIFAR10_CLASSES)
        except DatasetError:
            pass  # no full mirror: fall back to the archive
    return read_cifar10(fetch(entry, archive))


def load_imdb_reviews():
    """IMDB reviews as raw text: ``(texts_train, y_train), (texts_test, y_test)``."""
    archive = path("imdb", "aclImdb_v1.tar.gz")
    return read_imdb_reviews(archive, "train"), read_imdb_reviews(archive, "test")


def load_imdb_word_index() -> dict[str, int]:
    """The Keras IMDB word index (word -> rank, 1 = most frequent)."""
    file = path("imdb", "imdb_word_index.json")
    try:
        return json.loads(file.read_text())
    except ValueError as exc:
        raise DatasetError(f"{file} is not valid JSON ({exc})") from None


def load_shakespeare() -> str:
    """Tiny Shakespeare as one string."""
    return path("shakespeare").read_text(encoding="utf-8")


def _csv(dataset: str, file: str | None = None):
    import pandas as pd

    file_path = path(dataset, file)
    try:
        return pd.read_csv(file_path)
    except (ValueError, OSError) as exc:
        raise DatasetError(f"{file_path} is not a readable CSV file ({exc})") from None


def load_tips():
    """The restaurant tips table (244 rows): total_bill, tip, sex, smoker, day, time, size."""
    return _csv("tips")


def load_kc_house():
    """King County house sales (21,613 rows x 21 columns), price in US dollars."""
    return _csv("kc-house")


def load_churn():
    """Bank churn (10,000 customers); ``Exited`` is the label."""
    return _csv("churn")


def load_google_stock():
    """Google stock prices: ``(train, test)`` DataFrames (1,258 and 20 trading days)."""
    return (_csv("stocks", "Google_Stock_Price_Train.csv"),
            _csv("stocks", "Google_Stock_Price_Test.csv"))


def load_lending_club():
    """LendingClub loans (the course's 7,239-row extract); ``loan_status`` is the label."""
    return _csv("lending-club", "lending_club_loan_two.csv")


def fetch_all(name: str) -> list:
    """Fetch and verify every file of a dataset (optional ones where they can be had);
    returns their paths."""
    entry = registry.get(name)
    paths = []
    for datafile in entry.files:
        try:
            paths.append(fetch(entry, datafile))
        except DatasetError:
            if not datafile.optional:
                raise
    return paths
