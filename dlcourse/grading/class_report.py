"""What a class got wrong, on one HTML page: the score histogram, each task's mean and
share of full marks, the most frequent failure messages per task with how many students
got each, the students not graded and why, and the grading time per submission.

It reads the course gradebook, the autograded notebooks (their test cells' errors) and the
autograde ledger (times and reasons for not grading), so it can be rebuilt at any time.
"""

from __future__ import annotations

import base64
import html
import io
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from dlcourse.course import Lab
from dlcourse.grading import submissions as subs
from dlcourse.grading.feedback import failing_line, redact_paths, without_hidden_tests

_NUMBER = re.compile(r"(?<![\w\]])-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
TOP_MESSAGES = 5


@dataclass
class ClassData:
    lab: str
    totals: dict[str, float] = field(default_factory=dict)
    maximum: float = 0.0
    task_scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    task_max: dict[str, float] = field(default_factory=dict)
    failures: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))
    not_graded: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def failure_message(cell) -> str | None:
    """One line saying why a test cell failed, alike for students with the same mistake
    (numbers become #); None when it raised nothing."""
    for output in cell.get("outputs", []):
        if output.get("output_type") != "error":
            continue
        ename, evalue = output.get("ename", "Error"), output.get("evalue", "") or ""
        first = redact_paths(evalue.strip().splitlines()[0] if evalue.strip() else "")
        if ename == "CellTimeoutError":
            return "ran past the time limit"
        if ename == "CheckFailed":
            text = first
        else:
            visible = len(without_hidden_tests(cell.source).splitlines())
            line = failing_line(output)
            where = "hidden test: " if line is not None and line > visible else ""
            text = f"{where}{ename}" + (f": {first}" if first else "")
        return _NUMBER.sub("#", text)[:200]
    return None


def collect(lab: Lab) -> ClassData:
    """Everything the page shows, from the gradebook, autograded notebooks and ledger."""
    from nbgrader.api import Gradebook, MissingEntry

    from dlcourse.grading.nbgrader_api import gradebook_url
    from dlcourse.grading.parallel import Ledger

    data = ClassData(lab.id)
    ledger = Ledger(lab)
    with Gradebook(gradebook_url(lab.root)) as gb:
        try:
            assignment = gb.find_assignment(lab.id)
        except MissingEntry:
            assignment = None
        for submission in assignment.submissions if assignment else []:
            student = submission.student.id
            if ledger.problem(student):
                continue
            graded = [g for nb in submission.notebooks for g in nb.grades
                      if g.auto_score is not None or g.manual_score is not None]
            if not graded:
                continue
            data.totals[student] = sum(float(g.score) for g in graded)
            for g in graded:
                data.task_scores[g.name].append(float(g.score))
                data.task_max[g.name] = float(g.max_score)
            lost = {g.name for g in graded if float(g.score) < float(g.max_score)}
            for task, message in _messages(lab, student, lost).items():
                data.failures[task][message] += 1
        data.maximum = float(assignment.max_score) if assignment else 0.0
    for student, entry in ledger.entries.items():
        if entry.get("problem"):
            data.not_graded[student] = entry["problem"]
        if entry.get("seconds") is not None:
            data.seconds[student] = float(entry["seconds"])
    return data


def _messages(lab: Lab, student: str, lost: set[str]) -> dict[str, str]:
    path = lab.root / "grading" / "autograded" / student / lab.id / f"{lab.id}.ipynb"
    try:
        nb = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return {task: "(no graded notebook to read)" for task in lost}
    found = {subs.grade_id(c): failure_message(c) for c in nb.cells if subs.grade_id(c) in lost}
    return {task: found.get(task) or "(lost points without an error)" for task in lost}


def _histogram(data: ClassData) -> str:
    """The score histogram as an inline PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2.6))
    top = data.maximum or max(data.totals.values(), default=1.0) or 1.0
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 40 else 20
    ax.hist(list(data.totals.values()), bins=bins, color="#4c72b0", edgecolor="white")
    ax.set_xlabel(f"score (of {top:g})")
    ax.set_ylabel("students")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


STYLE = """body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse;
margin-bottom:1em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right}code{white-space:pre-wrap}"""


def render(data: ClassData) -> str:
    esc = html.escape
    n = len(data.totals)
    parts = [f"<!doctype html><meta charset='utf-8'><title>Class report: {esc(data.lab)}"
             f"</title><style>{STYLE}</style><h1>Class report: {esc(data.lab)}</h1>"]
    if n:
        mean = sum(data.totals.values()) / n
        full = sum(t >= data.maximum for t in data.totals.values())
        parts.append(f"<p>{n} graded, {len(data.not_graded)} not graded. Mean score "
                     f"{mean:.1f} of {data.maximum:g}; {full} with full marks.</p>")
        parts.append(f"<img alt='score histogram' src='data:image/png;base64,"
                     f"{_histogram(data)}'>")
    else:
        parts.append("<p>No graded submissions yet.</p>")
    parts.append("<h2>Tasks, hardest first</h2><table><tr><th>test cell</th><th>points</th>"
                 "<th>mean</th><th>full marks</th><th>most frequent failures (students)</th></tr>")
    shares = {t: sum(v) / (len(v) * data.task_max[t]) for t, v in data.task_scores.items()
              if data.task_max[t]}
    for task, share in sorted(shares.items(), key=lambda kv: kv[1]):
        scores = data.task_scores[task]
        full = sum(s >= data.task_max[task] for s in scores) / len(scores)
        messages = "<br>".join(f"<code>{esc(m)}</code> ({k})" for m, k in
                               data.failures[task].most_common(TOP_MESSAGES)) or "-"
        parts.append(f"<tr><td>{esc(task)}</td><td class=n>{data.task_max[task]:g}</td>"
                     f"<td class=n>{share:.0%}</td><td class=n>{full:.0%}</td>"
                     f"<td>{messages}</td></tr>")
    parts.append("</table>")
    if data.not_graded:
        parts.append("<h2>Not graded</h2><table><tr><th>student</th><th>why</th></tr>")
        parts += [f"<tr><td>{esc(s)}</td><td>{esc(why)}</td></tr>"
                  for s, why in sorted(data.not_graded.items())]
        parts.append("</table>")
    if data.seconds:
        times = sorted(data.seconds.values())
        median = times[len(times) // 2]
        parts.append(f"<h2>Grading time</h2><p>Median {median:.1f} s per submission, longest "
                     f"{times[-1]:.1f} s.</p><table><tr><th>student</th><th>seconds</th></tr>")
        parts += [f"<tr><td>{esc(s)}</td><td class=n>{t:.1f}</td></tr>" for s, t in
                  sorted(data.seconds.items(), key=lambda kv: -kv[1])]
        parts.append("</table>")
    return "\n".join(parts)


def write(lab: Lab, out: Path | None = None) -> Path:
    out = Path(out) if out else lab.root / "grading" / "reports" / f"class-{lab.id}.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(collect(lab)), encoding="utf-8")
    return out
