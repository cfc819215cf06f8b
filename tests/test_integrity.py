"""The integrity scan flags gaming attempts and leaves honest answers alone."""

import pytest

from dlcourse.course import all_labs
from dlcourse.grading import integrity
from dlcourse.grading import submissions as subs

from .conftest import ROOT

GAMING = {
    "patches a check": "check.check_predict = lambda *a: None",
    "patches numpy": "np.allclose = lambda *a, **k: True",
    "patches numpy by name": "setattr(np, 'allclose', lambda *a, **k: True)",
    "patches a module dict": "np.__dict__['isclose'] = None",
    "uses the answer key": "from answer_key import perceptron\npredict = perceptron.predict",
    "uses course code": "from dlcourse.playground import train",
    "imports by name": "m = __import__('answer_key.perceptron')",
    "runs strings": "exec('x = 1')",
    "trick object": "class Yes(float):\n    def __eq__(self, other):\n        return True",
    "array subclass": "class A(np.ndarray):\n    pass",
    "input transformer": "get_ipython().input_transformers_cleanup.append(lambda l: [])",
    "a shell magic": "!cat /etc/passwd",
    "sys.modules": "import sys\nsys.modules['numpy'] = None",
    "reads the course": "text = open('../../solutions/02-perceptron/02-perceptron.ipynb').read()",
    "reads by computed path": "import pathlib\nname = 'x'\nf = open(name)",
    "absolute path": "import json\njson.load(open('/work/main/grading/gradebook.db'))",
    "signals the grader": "import os\nos.kill(os.getppid(), 9)",
    "starts a process": "import subprocess\nsubprocess.run(['ls'])",
    "opens a socket": "import socket\nsocket.create_connection(('example.org', 80))",
    "frames": "import inspect\ninspect.currentframe().f_back.f_globals['x'] = 1",
    "builtins": "import builtins\nbuiltins.len = lambda x: 0",
}


@pytest.mark.parametrize("source", GAMING.values(), ids=GAMING.keys())
def test_gaming_attempts_are_flagged(source):
    assert integrity.scan_source(source), source


def test_flag_names_the_line():
    (line, code, reason), *_ = integrity.scan_source("x = 1\nnp.isclose = None\n")
    assert line == 2 and code == "np.isclose = None" and "patches a module" in reason


@pytest.mark.parametrize("lab", all_labs(ROOT), ids=lambda lab: lab.id)
def test_solutions_are_not_flagged(lab):
    solved = subs.solved(subs.read(lab.release), subs.read(lab.source))
    assert integrity.scan_notebook(solved) == []


def test_honest_code_is_not_flagged():
    honest = ("import numpy as np\nfrom tensorflow import keras\n"
              "def f(x, lr=0.1):\n    y = np.asarray(x) * lr\n    return y.sum() == 3\n"
              "model = keras.Sequential()\nmodel.trainable = False\n"
              "class Stop(keras.callbacks.Callback):\n"
              "    def on_epoch_end(self, epoch, logs=None):\n"
              "        self.model.stop_training = True\n"
              "path = 'logs/run-1'\nrun = f'{path}/run-{3}'\nwith open('notes.txt') as f:\n"
              "    pass\n")
    assert integrity.scan_source(honest) == []


def test_url_routes_are_not_paths_but_files_still_are():
    service = ('@app.post("/predict")\ndef predict(body):\n    return body\n'
               'reply = client.get("/health")\n')
    assert integrity.scan_source(service) == []
    sneaky = 'reply = client.post("/predict", json=open("/etc/passwd").read())\n'
    assert [reason for _, _, reason in integrity.scan_source(sneaky)] == [
        "a path outside the notebook's folder ('/etc/passwd')"]
