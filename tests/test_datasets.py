import json
from pathlib import Path

import numpy as np
import pytest

from dlcourse import datasets
from dlcourse.datasets import files as fetch_mod
from dlcourse.datasets.files import DatasetError, fetch, sha256_of
from dlcourse.datasets.parsers import read_cifar10_images, read_idx
from dlcourse.datasets.registry import DataFile, Dataset, Variant
from tests.conftest import FULL_MIRROR


def fake_dataset(tmp_path, content: bytes, url: str | None = None, sha: str | None = None):
    src = tmp_path / "origin.bin"
    src.write_bytes(content)
    import hashlib

    digest = sha or hashlib.sha256(content).hexdigest()
    f = DataFile("data.bin", digest, len(content), url=url or src.as_uri())
    return Dataset("fake", "Fake", "table", "MIT", "nobody", "http://example.invalid", (f,)), f


def no_partials(folder: Path) -> bool:
    return not list(folder.rglob("*.part"))


# --- registry ---------------------------------------------------------------------------

def test_every_mirrored_file_is_registered_with_its_hash(mirror):
    manifest = json.loads((mirror / "MANIFEST.json").read_text())["files"]
    registry = datasets.load_registry()
    for entry in manifest:
        ds = registry[entry["dataset"]]
        f = ds.file(Path(entry["path"]).name)
        assert entry["sha256"] in f.accepted_sha256, entry["path"]


@pytest.mark.skipif(not (FULL_MIRROR / "MANIFEST.json").is_file(), reason="no full mirror")
def test_every_file_of_the_full_mirror_is_registered_with_its_hash():
    registry = datasets.load_registry()
    for entry in json.loads((FULL_MIRROR / "MANIFEST.json").read_text())["files"]:
        f = registry[entry["dataset"]].file(Path(entry["path"]).name)
        assert entry["sha256"] in f.accepted_sha256, entry["path"]
        assert not f.is_subset(entry["sha256"]), entry["path"]


def test_registry_entries_are_complete():
    for ds in datasets.load_registry().values():
        assert ds.licence and ds.citation and ds.title and ds.files
        assert any(not f.optional for f in ds.files)
        for f in ds.files:
            # only an optional file may exist in a course mirror alone
            assert f.optional or f.url.startswith("https://"), f.name
            assert len(f.sha256) == 64 and f.bytes > 0
            assert all(len(v.sha256) == 64 and v.bytes > 0 for v in f.variants)


def test_unknown_dataset_names_the_registered_ones():
    with pytest.raises(KeyError, match="mnist"):
        datasets.get("mnsit")


# --- fetch: cache, mirror, download -----------------------------------------------------

def test_mirror_copy_is_verified_and_cached(mirror, tmp_path, monkeypatch):
    path = datasets.path("tips")
    assert path.is_file() and path.parent.parent == tmp_path / "cache"
    monkeypatch.delenv("DLCOURSE_DATA_MIRROR")
    assert datasets.path("tips") == path  # served from the cache now


def test_corrupt_cache_file_is_detected_and_fetched_again(mirror, capsys):
    path = datasets.path("tips")
    good = sha256_of(path)
    path.write_bytes(b"garbage")
    assert sha256_of(datasets.path("tips")) == good
    assert "fails its sha256 check" in capsys.readouterr().err


def test_offline_without_mirror_gives_one_clear_error(offline):
    with pytest.raises(DatasetError) as info:
        datasets.load_tips()
    message = str(info.value)
    ds = datasets.get("tips")
    assert "'tips'" in message and ds.files[0].url in message
    assert "DLCOURSE_DATA_MIRROR" in message and "dlcourse data fetch tips" in message
    assert info.value.__cause__ is None and info.value.__context__ is None  # no chained traceback
    assert no_partials(offline.parent)


def test_download_with_progress_bar(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLCOURSE_DATA_MIRROR", raising=False)
    monkeypatch.setattr(fetch_mod, "PROGRESS_MIN_BYTES", 10)
    ds, f = fake_dataset(tmp_path, b"x" * 5000)
    path = fetch(ds, f)
    assert path.read_bytes() == b"x" * 5000
    assert "data.bin" in capsys.readouterr().err  # tqdm's bar is labelled with the file


def test_download_with_wrong_hash_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLCOURSE_DATA_MIRROR", raising=False)
    ds, f = fake_dataset(tmp_path, b"tampered", sha="0" * 64)
    with pytest.raises(DatasetError, match="expected 0000"):
        fetch(ds, f)
    assert not (tmp_path / "cache" / "fake" / "data.bin").exists()
    assert no_partials(tmp_path / "cache")


def test_unreachable_url_is_not_retried_forever(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("DLCOURSE_DATA_MIRROR", raising=False)
    ds, f = fake_dataset(tmp_path, b"abc", url="http://127.0.0.1:9/data.bin")
    with pytest.raises(DatasetError, match="unreachable"):
        fetch(ds, f)


def test_bad_mirror_copy_falls_back_and_explains(tmp_path, monkeypatch):
    mirror = tmp_path / "mirror"
    (mirror / "fake").mkdir(parents=True)
    (mirror / "fake" / "data.bin").write_bytes(b"corrupted copy")
    (mirror / "MANIFEST.json").write_text(
        json.dumps({"files": [{"dataset": "fake", "path": "fake/data.bin"}]}))
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", str(mirror))
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    ds, f = fake_dataset(tmp_path, b"the real bytes", url="http://127.0.0.1:9/data.bin")
    with pytest.raises(DatasetError) as info:
        fetch(ds, f)
    assert "mirror:" in str(info.value) and "sha256" in str(info.value)
    assert no_partials(tmp_path / "cache")


def test_mirror_without_manifest_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", str(tmp_path / "empty"))
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    ds, f = fake_dataset(tmp_path, b"abc", url="http://127.0.0.1:9/data.bin")
    with pytest.raises(DatasetError, match="MANIFEST.json is missing"):
        fetch(ds, f)


def _mirror_with(folder: Path, content: bytes) -> Path:
    (folder / "fake").mkdir(parents=True)
    (folder / "fake" / "data.bin").write_bytes(content)
    digest = sha256_of(folder / "fake" / "data.bin")
    entry = {"dataset": "fake", "path": "fake/data.bin", "sha256": digest}
    (folder / "MANIFEST.json").write_text(json.dumps({"files": [entry]}))
    return folder


def _subset_and_full(tmp_path):
    import hashlib

    full, part = b"every example", b"some examples"
    f = DataFile("data.bin", "1" * 64, 1, url="http://127.0.0.1:9/data.bin", variants=(
        Variant(hashlib.sha256(part).hexdigest(), len(part), subset=True),
        Variant(hashlib.sha256(full).hexdigest(), len(full))))
    ds = Dataset("fake", "Fake", "table", "MIT", "nobody", "http://example.invalid", (f,))
    return ds, f, _mirror_with(tmp_path / "ci", part), _mirror_with(tmp_path / "full", full)


def test_several_mirrors_are_searched_and_the_fuller_copy_wins(tmp_path, monkeypatch):
    ds, f, ci, full = _subset_and_full(tmp_path)
    empty = _mirror_with(tmp_path / "other", b"unrelated")
    (empty / "MANIFEST.json").write_text('{"files": []}')
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", f"{empty}:{ci}:{full}")
    assert fetch(ds, f).read_bytes() == b"every example"


def test_a_cached_subset_is_upgraded_from_a_full_mirror_and_never_downgraded(tmp_path,
                                                                              monkeypatch):
    ds, f, ci, full = _subset_and_full(tmp_path)
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", str(ci))
    assert fetch(ds, f).read_bytes() == b"some examples"
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", "")
    assert fetch(ds, f).read_bytes() == b"some examples"  # offline: the subset still serves
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", f"{ci}:{full}")
    assert fetch(ds, f).read_bytes() == b"every example"
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", str(ci))
    assert fetch(ds, f).read_bytes() == b"every example"
    assert no_partials(tmp_path / "cache")


def test_a_mirror_only_file_says_which_mirror_holds_it(offline):
    ds = datasets.get("cifar10")
    with pytest.raises(DatasetError, match="Only a full course mirror holds it"):
        fetch(ds, ds.file("cifar-10-images.tar.gz"))
    assert not list(offline.rglob("*"))  # nothing half-written, nothing downloaded


# --- parsers and loaders ----------------------------------------------------------------

def test_read_idx_rejects_corrupt_files(tmp_path):
    import gzip

    bad = tmp_path / "bad.gz"
    bad.write_bytes(b"not gzip at all")
    with pytest.raises(DatasetError, match="gzip"):
        read_idx(bad)
    short = tmp_path / "short.gz"
    short.write_bytes(gzip.compress(b"\x00\x00\x08\x01\x00\x00\x00\x05\x01\x02"))
    with pytest.raises(DatasetError, match="header says"):
        read_idx(short)


@pytest.mark.parametrize("loader", [datasets.load_mnist, datasets.load_fashion_mnist])
def test_idx_loaders_match_keras_shapes(mirror, loader):
    (x, y), (xt, yt) = loader()
    assert x.shape == (60000, 28, 28) and x.dtype == np.uint8
    assert y.shape == (60000,) and y.dtype == np.uint8 and set(np.unique(y)) == set(range(10))
    assert xt.shape == (10000, 28, 28) and yt.shape == (10000,)


def test_cifar10_matches_keras_layout(mirror):
    (x, y), (xt, yt) = datasets.load_cifar10()
    assert x.shape[1:] == (32, 32, 3) and x.dtype == np.uint8
    assert y.shape == (len(x), 1) and y.dtype == np.uint8
    assert np.bincount(y.ravel()).min() == np.bincount(y.ravel()).max()  # balanced subset
    assert xt.shape[1:] == (32, 32, 3)


def _jpeg_archive(path: Path, layout: dict) -> Path:
    import io
    import tarfile

    from PIL import Image

    with tarfile.open(path, "w:gz") as tar:
        for name, value in layout.items():
            buffer = io.BytesIO()
            Image.fromarray(np.full((32, 32, 3), value, np.uint8)).save(buffer, "JPEG",
                                                                         quality=100)
            info = tarfile.TarInfo(f"cifar-10-images/{name}")
            info.size = buffer.tell()
            buffer.seek(0)
            tar.addfile(info, buffer)
    return path


def test_cifar10_jpeg_folders_read_like_keras(tmp_path):
    names = ("cat", "dog")
    layout = {f"train/{c}/{i:04}.jpg": 40 * k + 10 * i for k, c in enumerate(names)
              for i in range(3)}
    layout.update({"test/dog/0000.jpg": 200, "train/horse/0000.jpg": 0})  # not a class here
    (x, y), (xt, yt) = read_cifar10_images(_jpeg_archive(tmp_path / "a.tar.gz", layout), names)
    assert x.shape == (6, 32, 32, 3) and x.dtype == np.uint8 and y.shape == (6, 1)
    assert y.dtype == np.uint8 and sorted(y.ravel()) == [0, 0, 0, 1, 1, 1]
    assert (x[:, 0, 0, 0] // 40 == y.ravel()).all()  # each image under its own class
    assert list(y.ravel()) != sorted(y.ravel())  # shuffled, not grouped by class
    assert xt.shape == (1, 32, 32, 3) and yt.tolist() == [[1]]
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not an archive")
    with pytest.raises(DatasetError, match="not a readable CIFAR-10 image archive"):
        read_cifar10_images(bad, names)
    with pytest.raises(DatasetError, match="no test"):
        read_cifar10_images(_jpeg_archive(tmp_path / "b.tar.gz", {"train/cat/0.jpg": 1}), names)


@pytest.mark.skipif(not (FULL_MIRROR / "MANIFEST.json").is_file(), reason="no full mirror")
def test_a_full_mirror_gives_all_of_cifar10_and_imdb(mirror, monkeypatch):
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", f"{mirror}:{FULL_MIRROR}")
    (x, y), (xt, yt) = datasets.load_cifar10()
    assert x.shape == (50000, 32, 32, 3) and xt.shape == (10000, 32, 32, 3)
    assert np.bincount(y.ravel()).tolist() == [5000] * 10
    assert len(np.unique(y[:100])) == 10  # mixed order
    (texts, labels), (test_texts, _) = datasets.load_imdb_reviews()
    assert len(texts) == len(test_texts) == 25000 and labels.sum() == 12500


def test_imdb_reviews_and_word_index(mirror):
    (texts, labels), (test_texts, test_labels) = datasets.load_imdb_reviews()
    assert texts.dtype == object and isinstance(texts[0], str) and "<br />" not in texts[0]
    assert labels.dtype == np.int64 and set(labels) == {0, 1}
    assert len(test_texts) == len(test_labels)
    assert datasets.load_imdb_word_index()["the"] == 1


def test_table_and_text_loaders(mirror):
    assert datasets.load_tips().shape == (244, 7)
    assert datasets.load_kc_house().shape == (21613, 21)
    assert datasets.load_churn()["Exited"].isin([0, 1]).all()
    train, test = datasets.load_google_stock()
    assert len(train) == 1258 and len(test) == 20
    assert "loan_status" in datasets.load_lending_club()
    assert len(datasets.load_shakespeare()) == 1115394


# --- subsets and generators -------------------------------------------------------------

def test_balanced_subset_is_deterministic_and_balanced():
    x = np.arange(1000).reshape(-1, 1)
    y = np.repeat(np.arange(4), [100, 200, 300, 400])
    xs, ys = datasets.balanced_subset(x, y, 25, seed=3)
    assert np.bincount(ys).tolist() == [25, 25, 25, 25]
    assert np.array_equal(xs, datasets.balanced_subset(x, y, 25, seed=3)[0])
    assert np.array_equal(y[xs.ravel()], ys)
    assert datasets.balanced_subset(x, y, None)[0] is x
    with pytest.raises(ValueError, match="fewer than"):
        datasets.balanced_subset(x, y, 150)


@pytest.mark.parametrize("gen", [datasets.blobs, datasets.xor, datasets.circles, datasets.spiral])
def test_generators_are_seeded_and_shaped(gen):
    X, y = gen(n=120, seed=1)
    assert X.shape == (120, 2) and X.dtype == np.float32 and y.dtype == np.int64
    assert set(np.unique(y)) == {0, 1} and abs(y.mean() - 0.5) < 0.15
    assert np.array_equal(X, gen(n=120, seed=1)[0])
    assert not np.array_equal(X, gen(n=120, seed=2)[0])
    with pytest.raises(ValueError):
        gen(n=1)


def test_xor_labels_follow_the_quadrants():
    X, y = datasets.xor(n=400, noise=0.0, seed=0)
    assert np.array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))


def test_noisy_sine():
    t, values = datasets.noisy_sine(n=1000, noise=0.0)
    assert t.shape == values.shape == (1000,)
    assert np.allclose(values, np.sin(0.02 * t), atol=1e-6)
