import subprocess
import sys

import numpy as np
import pytest

import dlcourse
from dlcourse import runtime


def test_profile_from_notebook_and_environment(monkeypatch, capsys):
    monkeypatch.delenv("DLCOURSE_PROFILE", raising=False)
    p = dlcourse.select_profile("full", smoke={"epochs": 2}, full={"epochs": 50})
    assert (p.name, p.source, p.epochs) == ("full", "notebook", 50)
    assert "profile full" in capsys.readouterr().out
    monkeypatch.setenv("DLCOURSE_PROFILE", "smoke")
    p = dlcourse.select_profile("full", smoke={"epochs": 2}, full={"epochs": 50})
    assert (p.name, p.source, p.epochs) == ("smoke", "DLCOURSE_PROFILE", 2)


def test_profile_errors_are_specific(monkeypatch):
    monkeypatch.setenv("DLCOURSE_PROFILE", "fast")
    with pytest.raises(ValueError, match="unknown profile 'fast'"):
        dlcourse.select_profile("full", smoke={}, full={})
    monkeypatch.delenv("DLCOURSE_PROFILE")
    with pytest.raises(ValueError, match="differ in"):
        dlcourse.select_profile("full", smoke={"a": 1}, full={"b": 1})
    p = dlcourse.select_profile("smoke", smoke={"a": 1}, full={"a": 2}, verbose=False)
    with pytest.raises(AttributeError, match="no setting 'epochs'"):
        p.epochs  # noqa: B018


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout


def test_import_and_numpy_setup_do_not_load_tensorflow():
    out = _python("import sys, dlcourse, dlcourse.datasets, dlcourse.plots, dlcourse.checks.core\n"
                  "dlcourse.setup(keras=False)\nprint('tensorflow' in sys.modules)")
    assert out.strip().endswith("False")
    assert "TensorFlow not loaded" in out


def test_setup_seeds_quiets_and_reports_in_one_line():
    out = _python("import os, numpy as np, dlcourse\n"
                  "dlcourse.setup(seed=7)\na = np.random.rand(3)\n"
                  "dlcourse.setup(seed=7, verbose=False)\nb = np.random.rand(3)\n"
                  "print((a == b).all(), os.environ['TF_CPP_MIN_LOG_LEVEL'])")
    report, result = out.strip().splitlines()
    assert "TensorFlow 2." in report and "Keras 3." in report
    assert "CPU" in report or "GPU" in report
    assert result == "True 3"


def test_seed_everything_repeats_numpy():
    runtime.seed_everything(3, keras=False)
    a = np.random.rand(2)
    runtime.seed_everything(3, keras=False)
    assert np.array_equal(a, np.random.rand(2))
