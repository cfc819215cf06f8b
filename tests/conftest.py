import os
from pathlib import Path

import pytest

from dlcourse.course import all_labs

ROOT = Path(__file__).resolve().parents[1]
MIRROR = os.environ.get("DLCOURSE_DATA_MIRROR") or str(ROOT.parent / "shared" / "datasets")
FULL_MIRROR = ROOT.parent / "shared" / "datasets-full"
LABS = all_labs(ROOT)


@pytest.fixture
def mirror(monkeypatch, tmp_path):
    """The offline dataset mirror, with an empty private cache."""
    first = Path(MIRROR.split(os.pathsep)[0])
    if not (first / "MANIFEST.json").is_file():
        pytest.skip("no dataset mirror: set DLCOURSE_DATA_MIRROR")
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", MIRROR)
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    return first


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No mirror and an empty cache."""
    monkeypatch.delenv("DLCOURSE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("DLCOURSE_DATA_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture(scope="session")
def tf():
    """TensorFlow, imported quietly (one place for every test module)."""
    from dlcourse.runtime import quiet_tensorflow

    quiet_tensorflow()
    import tensorflow
    return tensorflow


@pytest.fixture(scope="session")
def keras(tf):
    import keras
    return keras
