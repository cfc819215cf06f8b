import numpy as np
import pytest

from dlcourse.checks import core, perceptron, regression
from dlcourse.reference import perceptron as ref_p
from dlcourse.reference import regression as ref_r


def test_reference_answers_pass_every_check(capsys):
    perceptron.check_predict(ref_p.predict)
    perceptron.check_update(ref_p.update)
    perceptron.check_train(ref_p.train)
    perceptron.check_decision_line(ref_p.decision_line)
    regression.check_scale_features(ref_r.standardize)
    regression.check_residuals(ref_r.residuals)
    regression.check_unscale(ref_r.unscale)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 7


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
    assert "expected: [1]" in text and "got:      [0]" in text and "z >= 0" in text


def test_in_place_update_is_caught():
    def update(w, b, x, y, lr=1.0):
        w += lr * (y - ref_p.predict(x, w, b)) * np.asarray(x)
        return w, b + lr * (y - ref_p.predict(x, w - lr * x, b))

    with pytest.raises(AssertionError):
        perceptron.check_update(update)


def test_residual_broadcasting_bug_is_caught():
    with pytest.raises(AssertionError, match="flatten"):
        regression.check_residuals(lambda t, p: np.asarray(t) - np.asarray(p))


def test_not_callable():
    with pytest.raises(AssertionError, match="should be a function"):
        core.require_callable(3, "task", "predict")
