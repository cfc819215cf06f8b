import numpy as np
import pytest
from answer_key import perceptron as ref_p

from dlcourse.checks import core, perceptron


def test_reference_answers_pass_every_check(capsys):
    perceptron.check_predict(ref_p.predict)
    perceptron.check_update(ref_p.update)
    perceptron.check_train(ref_p.train)
    perceptron.check_decision_line(ref_p.decision_line)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 4


def test_unwritten_answer_is_reported_as_such():
    def predict(X, w, b):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="not written yet"):
        perceptron.check_predict(predict)


def test_crash_in_student_code_names_the_call():
    with pytest.raises(AssertionError, match=r"(?s)predict\(.*\) raised ZeroDivisionError"):
        perceptron.check_predict(lambda X, w, b: 1 / 0)


def test_messages_say_expected_got_and_hint():
    with pytest.raises(AssertionError) as info:
        perceptron.check_predict(lambda X, w, b: (np.asarray(X) @ w + b > 0).astype(int))
    text = str(info.value)
    assert "expected: [1.]" in text and "got:      [0.]" in text and "z >= 0" in text


def notebook(source: str) -> dict:
    """Functions defined as in a notebook, with the key's predict and update around them."""
    namespace = {"np": np, "predict": ref_p.predict, "update": ref_p.update}
    exec(source, namespace)
    return namespace


def test_in_place_update_is_caught():
    update = notebook("""
def update(w, b, x, y, lr=1.0):
    error = y - predict(x, w, b)
    w += lr * error * np.asarray(x)
    return w, b + lr * error
""")["update"]
    with pytest.raises(AssertionError, match="modifying w in place"):
        perceptron.check_update(update)


def test_update_is_not_blamed_for_a_broken_predict(capsys):
    nb = notebook("def predict(X, w, b):\n    return np.zeros(len(X))\n"
                  "def update(w, b, x, y, lr=1.0):\n    return w, b")
    perceptron.check_update(nb["update"])
    assert "Fix predict first" in capsys.readouterr().out


def test_not_callable():
    with pytest.raises(AssertionError, match="should be a function"):
        core.require_callable(3, "task", "predict")


def test_train_is_not_blamed_for_a_broken_update(capsys):
    nb = notebook("def update(w, b, x, y, lr=1.0):\n    return w, b\n"
                  "def train(X, y, lr=1.0, epochs=20):\n    return None")
    perceptron.check_train(nb["train"])
    assert "Fix update first" in capsys.readouterr().out


def test_train_from_nonzero_weights_fails():
    train = notebook("def train(X, y, lr=1.0, epochs=20):\n"
                     "    return reference.train(X, y, lr, epochs, w=np.ones(2))")["train"]
    train.__globals__["reference"] = ref_p
    with pytest.raises(AssertionError, match="start from w = 0"):
        perceptron.check_train(train)


def test_failed_check_renders_as_its_message_alone():
    with pytest.raises(core.CheckFailed) as info:
        perceptron.check_decision_line(lambda w, b: (0.0, 0.0))
    lines = info.value._render_traceback_()
    assert lines[0].startswith("CheckFailed: [decision_line]") and len(lines) == 1
    assert info.value.__suppress_context__
