"""The similarity report finds a copy under renamed variables and new layout, and not
independent work or the starter code."""

import re
import shutil

import nbformat

from dlcourse.course import Lab
from dlcourse.grading import classroom, similarity
from dlcourse.grading import submissions as subs

from .conftest import ROOT

LAB = "02-perceptron"
OWN_WORK = {
    "predict": "def predict(X, w, b):\n    out = []\n    for row in np.atleast_2d(X):\n"
               "        s = sum(wi * xi for wi, xi in zip(w, row)) + b\n"
               "        out.append(1 if s >= 0 else 0)\n"
               "    return np.array(out) if np.ndim(X) > 1 else out[0]\n",
    "train": "def train(X, y, lr=1.0, epochs=20):\n    weights = np.zeros(len(X[0]))\n"
             "    bias, log, epoch = 0.0, [], 0\n    while epoch < epochs:\n        wrong = 0\n"
             "        for i in range(len(X)):\n"
             "            if predict(X[i], weights, bias) != y[i]:\n                wrong += 1\n"
             "            weights, bias = update(weights, bias, X[i], y[i], lr)\n"
             "        log.append(wrong)\n        epoch += 1\n        if not wrong:\n"
             "            break\n    return weights, bias, log\n",
}


def _disguised(source: str) -> str:
    """The same code with every local renamed, re-indented and re-spaced, and comments."""
    for old, new in [("mistakes", "n_wrong"), ("errors", "history"), (r"\bxi\b", "row"),
                     (r"\byi\b", "target"), (r"\bz\b", "net"), ("error", "delta"),
                     (r"\bw1\b", "first"), (r"\bw2\b", "second")]:
        source = re.sub(old, new, source)
    source = source.replace("    ", "  ").replace(", ", " ,")
    return "# my own work\n" + source.replace("\n", "\n\n", 2)


def _class(tmp_path):
    shutil.copytree(ROOT / "labs" / LAB, tmp_path / "labs" / LAB)
    lab = Lab(LAB, tmp_path)
    release = subs.read(lab.release)
    solution = subs.solved(release, subs.read(ROOT / "solutions" / LAB / f"{LAB}.ipynb"))
    answers = similarity.answer_cells(solution)
    notebooks = {
        "ada": solution,
        "ben": subs.fill(release, {k: _disguised(v) for k, v in answers.items()}),
        "cal": release,
        "dan": subs.fill(solution, OWN_WORK),
        "eve": release,
    }
    for student, nb in notebooks.items():
        path = classroom.submission_path(tmp_path, lab, student)
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    broken = classroom.submission_path(tmp_path, lab, "fay")
    broken.parent.mkdir(parents=True)
    broken.write_text("{ not json")
    return lab


def test_a_disguised_copy_is_found_and_nothing_else(tmp_path):
    lab = _class(tmp_path)
    pairs, page = similarity.class_similarity(lab, threshold=0.8)
    assert [(p.a, p.b) for p in pairs] == [("ada", "ben")]
    assert pairs[0].score > 0.95 and min(pairs[0].per_task.values()) > 0.9
    text = page.read_text()
    assert "ada &amp; ben" in text and "<mark>" in text and "fay (not a readable notebook" in text


def test_two_blank_notebooks_are_not_similar_and_own_work_scores_low(tmp_path):
    lab = _class(tmp_path)
    everything = similarity.similar_pairs(*_answers(lab), threshold=0.0, min_tokens=0)
    score = {(p.a, p.b): p.score for p in everything}
    assert score[("cal", "eve")] == 0.0  # the starter code alone is never "copied"
    assert score[("ada", "dan")] < 0.6


def _answers(lab):
    answers, _ = similarity.class_answers(lab)
    return answers, similarity.answer_cells(subs.read(lab.release))
