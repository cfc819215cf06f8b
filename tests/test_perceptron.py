import numpy as np
import pytest
from answer_key import perceptron

from dlcourse.datasets import toy


def test_concert_example_from_the_course():
    w_equal, w_tuned, b = [33, 33, 33], [35, 20, 30], -toy.CONCERT_THRESHOLD
    assert (perceptron.predict(toy.CONCERT_X, w_equal, b) != toy.CONCERT_Y).sum() == 2
    assert np.array_equal(perceptron.predict(toy.CONCERT_X, w_tuned, b), toy.CONCERT_Y)
    assert perceptron.predict([1, 1, 0], [30, 30, 30], -60) == 1  # z = 0 fires


@pytest.mark.parametrize("y", [toy.AND_Y, toy.OR_Y])
def test_learning_rule_learns_separable_gates(y):
    w, b, errors = perceptron.train(toy.GATE_X, y, epochs=20)
    assert errors[-1] == 0 and np.array_equal(perceptron.predict(toy.GATE_X, w, b), y)


def test_learning_rule_never_converges_on_xor():
    _, _, errors = perceptron.train(toy.GATE_X, toy.XOR_Y, epochs=50)
    assert len(errors) == 50 and min(errors) > 0


def test_update_moves_towards_missed_positive():
    w, b = perceptron.update([-1.0, 0.0], 0.0, [1.0, 1.0], 1, lr=0.5)
    assert np.allclose(w, [-0.5, 0.5]) and b == 0.5


def test_decision_line():
    assert perceptron.decision_line([1.0, 2.0], -3.0) == (-0.5, 1.5)
    with pytest.raises(ValueError):
        perceptron.decision_line([1.0, 0.0], 1.0)
