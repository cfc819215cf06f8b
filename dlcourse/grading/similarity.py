"""Pairs of students whose answers look copied from each other.

Each student's answer cells become one document; copydetect tokenises it (names of
variables and functions become placeholders, comments and whitespace go), takes winnowed
fingerprints of its k-token runs as MOSS does, and drops those of the starter code the
release gives. A pair's similarity is the larger of the two shares of tokens that the two
documents have in common; pairs at or above the threshold, sharing at least ``min_tokens``
tokens, are listed with their answer cells side by side, copied runs marked.
"""

from __future__ import annotations

import html
import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

from dlcourse.course import Lab
from dlcourse.grading import submissions as subs

NOISE_TOKENS = 12  # k: runs shorter than this never count as copied
WINDOW = 4  # winnowing window: one fingerprint kept per WINDOW consecutive k-grams


@dataclass
class Pair:
    a: str
    b: str
    score: float  # the larger share of either student's answer tokens found in the other's
    shared_tokens: int
    per_task: dict[str, float] = field(default_factory=dict)


def answer_cells(nb) -> dict[str, str]:
    """grade id -> source of every answer cell."""
    return {subs.grade_id(c): c.source for c in nb.cells if subs.is_answer(c)}


def _boilerplate(text: str):
    """The fingerprints of ``text``, in the form copydetect takes as boilerplate."""
    import numpy as np

    return np.array(sorted(_fingerprint("starter", text).hashes), dtype=np.int64)


def _fingerprint(name: str, text: str, boilerplate=None):
    from copydetect import CodeFingerprint

    return CodeFingerprint(f"{name}.py", NOISE_TOKENS, WINDOW, boilerplate=boilerplate,
                           fp=io.StringIO(text or "\n"))


def _document(answers: dict[str, str], tasks: list[str]) -> str:
    return "\n\n".join(answers.get(task, "") for task in tasks)


def _compare(fa, fb) -> tuple[int, float, tuple]:
    from copydetect import compare_files

    overlap, (sa, sb), slices = compare_files(fa, fb)
    return int(overlap), float(max(sa, sb)), slices


def similar_pairs(answers: dict[str, dict[str, str]], starter: dict[str, str],
                  threshold: float = 0.8, min_tokens: int = 30) -> list[Pair]:
    """Pairs of students (student -> grade id -> answer source) at or above ``threshold``,
    most similar first; ``starter`` holds the release's answer cells."""
    tasks = list(starter)
    boiler = _boilerplate(_document(starter, tasks))
    prints = {s: _fingerprint(s, _document(a, tasks), boiler) for s, a in answers.items()}
    pairs = []
    for a, b in itertools.combinations(sorted(answers), 2):
        overlap, score, _ = _compare(prints[a], prints[b])
        if score >= threshold and overlap >= min_tokens:
            pairs.append(Pair(a, b, score, overlap, _per_task(answers[a], answers[b], starter)))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def _per_task(a: dict[str, str], b: dict[str, str], starter: dict[str, str]) -> dict[str, float]:
    return {task: _task_match(a.get(task, ""), b.get(task, ""), stub)[0]
            for task, stub in starter.items()}


def _task_match(text_a: str, text_b: str, stub: str) -> tuple[float, tuple]:
    """One task's share of tokens in common (starter code left out), and the copied runs'
    character ranges in each text."""
    boiler = _boilerplate(stub)
    fa, fb = _fingerprint("a", text_a, boiler), _fingerprint("b", text_b, boiler)
    if not (len(fa.hashes) and len(fb.hashes)):
        return 0.0, ([], [])
    _, share, slices = _compare(fa, fb)
    return share, slices


def class_answers(lab: Lab) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Every submitted student's answer cells, and why some could not be read."""
    from dlcourse.grading.classroom import submission_path, submitted_students

    answers, unreadable = {}, {}
    for student in submitted_students(lab):
        try:
            answers[student] = answer_cells(subs.read(submission_path(lab.root, lab, student)))
        except Exception as exc:  # an unreadable upload is reported, never fatal
            unreadable[student] = f"not a readable notebook ({type(exc).__name__})"
    return answers, unreadable


def _marked(text: str, slices) -> str:
    """``text`` escaped, with the copied character ranges in <mark>."""
    out, last = [], 0
    for start, end in sorted(zip(*slices, strict=True)) if len(slices) else []:
        start, end = max(int(start), last), int(end)
        if end <= start:
            continue
        out += [html.escape(text[last:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


STYLE = """body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:4px 8px;vertical-align:top}pre{margin:0;white-space:pre-wrap}
mark{background:#ffd54f}.side{width:50%}h3{margin-top:1.5em}"""


def write_report(lab: Lab, pairs: list[Pair], answers: dict[str, dict[str, str]],
                 starter: dict[str, str], unreadable: dict[str, str], threshold: float,
                 out: Path) -> Path:
    """One HTML page: the pairs, then each pair's answer cells side by side."""
    esc = html.escape
    parts = [f"<!doctype html><meta charset='utf-8'><title>Similarity: {esc(lab.id)}</title>",
             f"<style>{STYLE}</style><h1>Similar answers in {esc(lab.id)}</h1>",
             f"<p>{len(answers)} submissions compared; {len(pairs)} pair(s) at or above "
             f"{threshold:.0%} (share of answer tokens, names and layout ignored, starter "
             "code left out). Similar is not proof of copying: read the cells.</p>"]
    if unreadable:
        parts.append("<p>Not compared: " + ", ".join(
            f"{esc(s)} ({esc(why)})" for s, why in sorted(unreadable.items())) + "</p>")
    if pairs:
        parts.append("<table><tr><th>students</th><th>similarity</th><th>shared tokens</th>"
                     "<th>most similar tasks</th></tr>")
        for i, p in enumerate(pairs):
            top = ", ".join(f"{esc(t)} {v:.0%}" for t, v in sorted(
                p.per_task.items(), key=lambda kv: -kv[1])[:3] if v > 0)
            parts.append(f"<tr><td><a href='#pair{i}'>{esc(p.a)} &amp; {esc(p.b)}</a></td>"
                         f"<td>{p.score:.0%}</td><td>{p.shared_tokens}</td><td>{top}</td></tr>")
        parts.append("</table>")
    for i, p in enumerate(pairs):
        parts.append(f"<h2 id='pair{i}'>{esc(p.a)} &amp; {esc(p.b)}: {p.score:.0%}</h2>")
        for task, share in p.per_task.items():
            text_a, text_b = answers[p.a].get(task, ""), answers[p.b].get(task, "")
            slices = _task_match(text_a, text_b, starter[task])[1]
            parts.append(f"<h3>{esc(task)}: {share:.0%}</h3><table><tr>"
                         f"<th class='side'>{esc(p.a)}</th><th class='side'>{esc(p.b)}</th></tr>"
                         f"<tr><td><pre>{_marked(text_a, slices[0])}</pre></td>"
                         f"<td><pre>{_marked(text_b, slices[1])}</pre></td></tr></table>")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts), encoding="utf-8")
    return out


def class_similarity(lab: Lab, threshold: float = 0.8, min_tokens: int = 30,
                     out: Path | None = None) -> tuple[list[Pair], Path]:
    """Compare every pair of ``lab``'s submissions; write the HTML page."""
    answers, unreadable = class_answers(lab)
    starter = answer_cells(subs.read(lab.release))
    pairs = similar_pairs(answers, starter, threshold, min_tokens)
    out = out or lab.root / "grading" / "reports" / f"similarity-{lab.id}.html"
    return pairs, write_report(lab, pairs, answers, starter, unreadable, threshold, out)
