"""The package students install ships no answer: no answer key, no same-named task."""

import ast
import subprocess
import sys

import tomllib

from dlcourse.grading.mutants import public_callables

from .conftest import ROOT


def test_the_package_never_imports_the_answer_key():
    for path in (ROOT / "dlcourse").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] == "answer_key" for n in names), path


def test_every_check_module_imports_without_the_answer_key(tmp_path):
    modules = sorted(p.stem for p in (ROOT / "dlcourse" / "checks").glob("*.py")
                     if p.stem != "__init__")
    code = ("import sys; sys.path = [p for p in sys.path if not p.endswith('grading')]\n"
            "import importlib\n"
            + "".join(f"importlib.import_module('dlcourse.checks.{m}')\n" for m in modules)
            + "assert 'answer_key' not in sys.modules")
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_the_wheel_holds_only_the_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert config["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["dlcourse"]


def test_public_callables_are_found():
    found = public_callables()
    assert "dlcourse.checks.core" in found["fail"]


def test_no_release_mentions_the_answer_key():
    for notebook in sorted((ROOT / "labs").glob("*/*.ipynb")):
        assert "answer_key" not in notebook.read_text(), notebook
