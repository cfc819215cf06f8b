"""Feedback that keeps hidden tests hidden.

nbgrader builds feedback from the autograded notebook, which holds every hidden test and
their tracebacks. Before it is rendered, :class:`HideHiddenTests` removes the hidden part
of each test cell, replaces an error raised there by one neutral line, shows any other
error as its message alone (a check's expected / got / hint), and blanks file paths.
"""

from __future__ import annotations

import html
import re

import nbformat
from nbconvert.preprocessors import Preprocessor

from dlcourse.grading.submissions import HIDDEN_MARKERS, is_answer, is_test, region

HIDDEN_FAILED = "A hidden test failed: check your answer against every case the task describes."
TIMED_OUT = "This cell ran past its time limit and was stopped."
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_CELL_LINE = re.compile(r"(?:Cell In\s*\[\d*\]|<ipython-input-[^>]*>),? line (\d+)")
_PATH = re.compile(r"(?<![\w.])(?:/[\w.@+-]+){2,}/?")


def without_hidden_tests(source: str) -> str:
    lines, inside = [], False
    for line in source.splitlines():
        if line.strip() == HIDDEN_MARKERS[0]:
            inside = True
        elif line.strip() == HIDDEN_MARKERS[1]:
            inside = False
        elif not inside:
            lines.append(line)
    return "\n".join(lines).rstrip()


def redact_paths(text: str) -> str:
    return _PATH.sub("<path>", text)


def _error(ename: str, evalue: str):
    text = f"{ename}: {evalue}" if evalue else ename
    return nbformat.from_dict(
        {"output_type": "error", "ename": ename, "evalue": evalue, "traceback": [text]})


def failing_line(output) -> int | None:
    """The line of the test cell where the error was raised, from its traceback."""
    for frame in output.get("traceback", []):
        match = _CELL_LINE.search(_ANSI.sub("", frame))
        if match:
            return int(match.group(1))
    return None


def _clean_error(output, visible_lines: int | None):
    ename, evalue = output.get("ename", "Error"), redact_paths(output.get("evalue", ""))
    if ename == "CellTimeoutError":
        return _error("CellTimeoutError", TIMED_OUT)
    if visible_lines is None or ename == "CheckFailed":
        return _error(ename, evalue)
    line = failing_line(output)
    if line is not None and line <= visible_lines:
        return _error(ename, evalue)
    return _error("HiddenTestFailed", HIDDEN_FAILED)


class HideHiddenTests(Preprocessor):
    """nbconvert preprocessor for nbgrader's feedback (see the module docstring)."""

    enabled = True  # nbconvert skips preprocessors that are not enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        visible_lines = None
        if is_test(cell) or HIDDEN_MARKERS[0] in cell.source:
            cell.source = without_hidden_tests(cell.source)
            visible_lines = len(cell.source.splitlines())
        outputs = []
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                output = _clean_error(output, visible_lines)
            elif output.get("output_type") == "stream":
                output["text"] = redact_paths(output.get("text", ""))
            outputs.append(output)
        cell.outputs = outputs
        return cell, resources


def leaks(feedback_html: str, source_nb, paths: tuple[str, ...] = (),
          submitted_nb=None) -> list[str]:
    """What a feedback page reveals that it must not: hidden-test lines, the answer key,
    paths of the grading machine. What the student wrote themselves does not count."""
    text = html.unescape(re.sub(r"<[^>]+>", "", feedback_html))
    if submitted_nb is not None:
        for cell in submitted_nb.cells:
            if is_answer(cell):
                text = text.replace(cell.source.strip(), "")
    found = []
    for cell in source_nb.cells:
        if not is_test(cell):
            continue
        for line in region(cell.source, HIDDEN_MARKERS):
            code = line.strip()
            if len(code) > 12 and not code.startswith("#") and code in text:
                found.append(f"hidden test line {code!r}")
    for word in ("answer_key", HIDDEN_MARKERS[0], *paths):
        if word in text:
            found.append(f"{word!r}")
    return found
