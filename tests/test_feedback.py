"""Feedback shows a check's message and hides hidden tests, their tracebacks and paths."""

import nbformat

from dlcourse.grading.feedback import HIDDEN_FAILED, HideHiddenTests, leaks

SOURCE = ("check.check_f(f)\n### BEGIN HIDDEN TESTS\nsecret_case = 42\n"
          "assert f(secret_case) == 7\n### END HIDDEN TESTS")


def _test_cell(outputs):
    cell = nbformat.v4.new_code_cell(SOURCE)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "grade_id": "test_f",
                                 "points": 1}
    cell.outputs = [nbformat.from_dict(o) for o in outputs]
    return cell


def _error(ename, evalue, line):
    return {"output_type": "error", "ename": ename, "evalue": evalue,
            "traceback": ["\x1b[31m---\x1b[0m", f"Cell \x1b[0;32mIn[7], line {line}\x1b[0m",
                          "  File /work/main/grading/answer_key/x.py:3", f"{ename}: {evalue}"]}


def _run(cell):
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    return nb.cells[0]


def test_hidden_tests_and_their_failures_are_hidden():
    cell = _run(_test_cell([_error("AssertionError", "7 != 42 at /work/main/x", 4)]))
    assert cell.source == "check.check_f(f)"
    (out,) = cell.outputs
    assert out.ename == "HiddenTestFailed"
    assert out.traceback == [f"HiddenTestFailed: {HIDDEN_FAILED}"]


def test_a_check_message_is_shown_alone():
    message = "[f] wrong\n    expected: 1\n    got:      2"
    cell = _run(_test_cell([_error("CheckFailed", message, 1)]))
    (out,) = cell.outputs
    assert out.traceback == [f"CheckFailed: {message}"]


def test_a_visible_error_keeps_its_message_without_paths():
    cell = _run(_test_cell([_error("NameError", "name 'f' is not defined in /root/x/y.py", 1)]))
    (out,) = cell.outputs
    assert out.ename == "NameError" and "/root" not in out.traceback[0]
    assert "<path>" in out.evalue


def test_leaks_finds_hidden_lines_and_paths():
    nb = nbformat.v4.new_notebook(cells=[_test_cell([])])
    assert leaks("<pre>assert f(secret_case) == 7</pre>", nb)
    assert leaks("<p>/tmp/course-1/x</p>", nb, ("/tmp/course-1",))
    assert not leaks("<pre>check.check_f(f)</pre>", nb, ("/tmp/course-1",))
