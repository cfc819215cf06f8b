"""Lab 07's reference and visible checks."""

import numpy as np
import pytest
from answer_key import regression
from sklearn.preprocessing import StandardScaler

from dlcourse.checks import regression as check


def test_reference_answers_pass_every_check(capsys):
    check.check_scale_features(regression.standardize)
    check.check_residuals(regression.residuals)
    check.check_unscale(regression.unscale)
    assert capsys.readouterr().out.count("\N{CHECK MARK}") == 3


def test_residual_broadcasting_bug_is_caught():
    with pytest.raises(AssertionError, match="flatten"):
        check.check_residuals(lambda t, p: np.asarray(t) - np.asarray(p))


def test_standardize_matches_sklearn():
    rng = np.random.default_rng(0)
    train, test = rng.normal(3, 2, (40, 3)), rng.normal(5, 1, (10, 3))
    scaler = StandardScaler().fit(train)
    got_train, got_test = regression.standardize(train, test)
    assert np.allclose(got_train, scaler.transform(train))
    assert np.allclose(got_test, scaler.transform(test))


def test_tips_residuals_worked_example():
    tips = np.array([12, 7, 13, 8, 15, 5])
    r = regression.residuals(tips, np.full((6, 1), 10))
    assert r.sum() == 0 and (r**2).sum() == 76 and np.isclose((r**2).mean(), 12.67, atol=0.005)
    assert np.isclose(np.abs(r).mean(), 3.33, atol=0.005)
    assert np.allclose(regression.unscale([[1.0]], 10.0, 2.0), [12.0])
