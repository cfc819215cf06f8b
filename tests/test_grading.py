"""The grading self-test for every lab, and a grader that survives hostile submissions.

Hostile answers go in lab 02's last task (1 point): each defines the right answer only
if its attack worked, so a score of 0 proves the sandbox stopped it.
"""

import socket

import nbformat
import pytest

from dlcourse.course import Lab
from dlcourse.grading import sandbox, selftest
from dlcourse.grading import submissions as subs
from dlcourse.grading.nbgrader_api import ScratchCourse, SubmissionCrashed, scores

from .conftest import LABS, ROOT

pytestmark = pytest.mark.notebooks


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_grading_selftest(lab, mirror):
    result = selftest.check_lab(lab)
    assert result.ok, selftest.format_results([result])


@pytest.fixture(scope="module")
def perceptron_box():
    lab = Lab("02-perceptron", ROOT)
    with ScratchCourse(ROOT, lab.id, timeout=15) as box:
        release = subs.read(box.release)
        yield box, release, subs.graded_cells_only(subs.solved(release, subs.read(lab.source)))


def _by_id(scores):
    return {s.grade_id: s.score for s in scores}


def test_hanging_answer_times_out_and_the_rest_is_graded(perceptron_box):
    box, release, solved = perceptron_box
    nb = subs.fill(solved, {"decision_line": "import time\ntime.sleep(600)"})
    scores = _by_id(box.grade("hangs", nb))
    assert scores["test_predict"] == 3 and scores["test_decision_line"] == 0


def test_crashing_kernel_is_reported_and_grading_goes_on(perceptron_box):
    box, release, solved = perceptron_box
    nb = subs.fill(solved, {"train": "import os\nos._exit(1)"})
    with pytest.raises(SubmissionCrashed, match="crashes's 02-perceptron crashed its kernel"):
        box.grade("crashes", nb)
    assert sum(_by_id(box.grade("after-crash", solved)).values()) == 10


def test_tampered_test_cell_is_restored(perceptron_box):
    box, release, solved = perceptron_box
    nb = nbformat.from_dict(release)
    for cell in nb.cells:
        if subs.grade_id(cell) == "test_predict":
            cell.source = "pass  # tests removed"
    scores = _by_id(box.grade("tamperer", nb))
    assert scores["test_predict"] == 0  # the blank answer still fails the real test


def test_deleted_test_cell_still_counts(perceptron_box):
    box, release, solved = perceptron_box
    nb = nbformat.from_dict(solved)
    nb.cells = [c for c in nb.cells if subs.grade_id(c) != "test_update"]
    scores = _by_id(box.grade("deleter", nb))
    assert scores["test_update"] == 3 and sum(scores.values()) == 10


def test_memory_hungry_answer_fails_alone(perceptron_box, monkeypatch):
    box, release, solved = perceptron_box
    monkeypatch.setenv("DLCOURSE_GRADER_MEMORY_MB", "2048")
    greedy = ("big = np.ones(2**29)  # 4 GiB\n"
              "def decision_line(w, b):\n    return -w[0] / w[1], -b / w[1]")
    scores = _by_id(box.grade("greedy", subs.fill(solved, {"decision_line": greedy})))
    assert scores["test_decision_line"] == 0 and scores["test_train"] == 3


def _attack(attack: str) -> str:
    body = "\n".join("    " + line for line in attack.strip().splitlines())
    return ("def decision_line(w, b):\n    return -w[0] / w[1], -b / w[1]\n"
            f"try:\n{body}\nexcept Exception:\n    decision_line = None")


def _attack_score(box, solved, name: str, attack: str) -> float:
    nb = subs.fill(solved, {"decision_line": _attack(attack)})
    return _by_id(box.grade(name, nb))["test_decision_line"]


def test_answers_cannot_read_the_course_folder_or_the_gradebook(perceptron_box):
    box, _, solved = perceptron_box
    for path in (ROOT / "solutions" / "02-perceptron" / "02-perceptron.ipynb",
                 ROOT / "grading" / "answer_key" / "perceptron.py",
                 box.root / "solutions" / "02-perceptron" / "02-perceptron.ipynb",
                 box.root / "grading" / "gradebook.db"):
        assert _attack_score(box, solved, "reader", f"open({str(path)!r}).read()") == 0, path


def test_answers_cannot_change_grades_or_other_submissions(perceptron_box):
    box, _, solved = perceptron_box
    assert sum(_by_id(box.grade("victim", solved)).values()) == 10
    victim = box.root / "grading" / "submitted" / "victim" / "02-perceptron" / "02-perceptron.ipynb"
    before = victim.read_bytes()
    gradebook = str(box.root / "grading" / "gradebook.db")
    attack = (f"import sqlite3\ndb = sqlite3.connect({gradebook!r})\n"
              "db.execute('UPDATE grade SET auto_score = 0')\ndb.commit()\n"
              f"open({str(victim)!r}, 'w').write('{{}}')")
    assert _attack_score(box, solved, "vandal", attack) == 0
    assert victim.read_bytes() == before
    assert sum(s.score for s in scores(box.api, "02-perceptron", "victim")) == 10


def test_answers_have_no_network_and_see_no_other_process(perceptron_box):
    box, _, solved = perceptron_box
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        attack = f"import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2)"
        assert _attack_score(box, solved, "caller", attack) == 0
    attack = ("import os\npids = [p for p in os.listdir('/proc') if p.isdigit()]\n"
              "assert len(pids) > 5, pids")
    assert _attack_score(box, solved, "snoop", attack) == 0


def test_killing_the_parent_does_not_stop_grading(perceptron_box):
    box, _, solved = perceptron_box
    nb = subs.fill(solved, {"decision_line": "import os, signal\n"
                            "os.kill(os.getppid(), signal.SIGKILL)\n"
                            "def decision_line(w, b):\n    return -w[0] / w[1], -b / w[1]"})
    assert sum(_by_id(box.grade("parricide", nb)).values()) == 10  # and we are still here


def test_an_interrupt_ignoring_answer_ends_its_sandbox(perceptron_box):
    box, _, solved = perceptron_box
    nb = subs.fill(solved, {"decision_line": "import signal\n"
                            "signal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass"})
    # Without the sandbox ending, nbgrader would record two time-outs and grade the rest.
    with pytest.raises(SubmissionCrashed, match="did not stop when interrupted"):
        box.grade("spinner", nb)
    assert sum(_by_id(box.grade("next-student", solved)).values()) == 10


def test_grading_refuses_to_run_without_a_sandbox(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no bwrap on it
    sandbox._cached_probe.cache_clear()
    try:
        with pytest.raises(sandbox.SandboxUnavailable, match="install bubblewrap"):
            sandbox.require(unsandboxed=False)
    finally:
        sandbox._cached_probe.cache_clear()


def test_unsandboxed_grading_warns(monkeypatch, capsys):
    monkeypatch.delenv(sandbox.MODE_ENV, raising=False)
    sandbox.require(unsandboxed=True)
    assert sandbox.mode() == "off" and "WITHOUT a sandbox" in capsys.readouterr().err
    monkeypatch.setenv(sandbox.MODE_ENV, "bwrap")


def test_every_data_mirror_is_bound_read_only_into_the_sandbox(monkeypatch, tmp_path):
    first, second = tmp_path / "ci", tmp_path / "full"
    first.mkdir()
    second.mkdir()
    monkeypatch.setenv("DLCOURSE_DATA_MIRROR", f"{first}:{tmp_path / 'absent'}:{second}")
    args, env = sandbox._data_binds()
    inside = env["DLCOURSE_DATA_MIRROR"].split(":")
    assert len(inside) == 2 and env["DLCOURSE_DATA_DIR"] == "/tmp/data"
    assert args == ["--ro-bind", str(first), inside[0], "--ro-bind", str(second), inside[1]]


@pytest.mark.parametrize("lab", LABS, ids=lambda lab: lab.id)
def test_wrong_answer_fixtures_name_real_cells(lab):
    """Every fixture replaces answer cells and names test cells of its own lab; a cell is
    never both one it must lose and one it must keep."""
    source = subs.read(lab.source)
    answers = set(subs.solution_sources(source))
    tests = {subs.grade_id(c) for c in source.cells
             if subs.nbgrader_meta(c).get("grade") and not subs.is_answer(c)}
    wrong = subs.load_wrong_answers(lab.wrong_answers)
    assert len(wrong) >= 6 and any(w.gaming for w in wrong)
    for w in wrong:
        assert w.loses and set(w.cells) <= answers, w.name
        assert set(w.loses) <= tests and set(w.keeps) <= tests, w.name
        assert not set(w.loses) & set(w.keeps), w.name
