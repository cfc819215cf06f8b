"""Datasets: the registry, verified fetching, parsers, loaders, subsets and generators."""

from dlcourse.datasets.files import DatasetError, cache_dir, fetch, mirror_dirs
from dlcourse.datasets.loaders import (
    CIFAR10_CLASSES,
    FASHION_MNIST_CLASSES,
    fetch_all,
    load_churn,
    load_cifar10,
    load_fashion_mnist,
    load_google_stock,
    load_imdb_reviews,
    load_imdb_word_index,
    load_kc_house,
    load_lending_club,
    load_mnist,
    load_shakespeare,
    load_tips,
    path,
)
from dlcourse.datasets.registry import get, load_registry
from dlcourse.datasets.subsets import balanced_subset, sample_rows
from dlcourse.datasets.synthetic import blobs, circles, noisy_sine, spiral, xor

__all__ = [
    "CIFAR10_CLASSES", "FASHION_MNIST_CLASSES", "DatasetError", "balanced_subset", "blobs",
    "cache_dir", "circles", "fetch", "fetch_all", "get", "load_churn", "load_cifar10",
    "load_fashion_mnist", "load_google_stock", "load_imdb_reviews", "load_imdb_word_index",
    "load_kc_house", "load_lending_club", "load_mnist", "load_registry", "load_shakespeare",
    "load_tips", "mirror_dirs", "noisy_sine", "path", "sample_rows", "spiral", "xor",
]
