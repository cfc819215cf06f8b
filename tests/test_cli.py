import pytest

from dlcourse.cli import main


def test_data_list_shows_every_dataset_with_licence(capsys):
    assert main(["data", "list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "fashion-mnist", "cifar10", "imdb", "shakespeare", "tips", "kc-house",
                 "churn", "stocks", "lending-club"):
        assert f"\n{name} " in out
    assert "licence:" in out and "cite:" in out


def test_data_fetch_then_verify(mirror, capsys):
    assert main(["data", "fetch", "tips", "stocks"]) == 0
    assert main(["data", "verify", "tips", "stocks", "churn"]) == 0
    out = capsys.readouterr().out
    assert "tips/tips.csv: ok" in out and "churn/Churn_Modelling.csv: missing" in out


def test_data_verify_flags_a_corrupt_cache_file(mirror, tmp_path, capsys):
    main(["data", "fetch", "tips"])
    (tmp_path / "cache" / "tips" / "tips.csv").write_text("x")
    assert main(["data", "verify", "tips"]) == 1
    assert "tips/tips.csv: BAD" in capsys.readouterr().out


def test_offline_fetch_prints_the_explanation_not_a_traceback(offline, capsys):
    assert main(["data", "fetch", "tips"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "DLCOURSE_DATA_MIRROR" in err


def test_unknown_names_are_rejected(capsys):
    assert main(["data", "fetch", "nope"]) == 2
    assert main(["selftest", "99"]) == 2
    assert "no lab '99'" in capsys.readouterr().err


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert all(cmd in out for cmd in ("data", "release", "run", "selftest"))


def test_nbgrader_finds_the_course_from_any_folder(tmp_path):
    """What formgrader does when JupyterLab starts at the repository root (or anywhere):
    the environment-wide config points it at this course and its gradebook."""
    import os
    import subprocess
    import sys

    from dlcourse.grading.config import install_site_config

    from .conftest import ROOT

    config = install_site_config(str(tmp_path / "prefix"))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    code = ("from nbgrader.apps.baseapp import NbGrader\n"
            "app = NbGrader()\napp.load_config_file()\n"
            "print(app.config.CourseDirectory.root, app.config.CourseDirectory.db_url)")
    env = {**os.environ, "JUPYTER_CONFIG_PATH": str(config.parent)}
    out = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, env=env, check=True,
                         capture_output=True, text=True).stdout.split()
    assert out == [str(ROOT), f"sqlite:///{ROOT / 'grading' / 'gradebook.db'}"]
    assert list(elsewhere.iterdir()) == []  # no stray gradebook
