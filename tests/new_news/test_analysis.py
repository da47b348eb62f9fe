"""Paired bootstrap intervals and per-question slopes on hand cases."""

import numpy as np
import pytest

from new_news.analysis import paired_diff, slope_weights, stratum_masks


def test_paired_bootstrap_two_questions_closed_form():
    """Differences (1, 0): a resample's mean is 0, 1/2 or 1 with probabilities 1/4, 1/2, 1/4, so
    the 95% percentile interval is [0, 1]; a 50% interval is [1/2, 1/2]."""
    r = paired_diff([1, 1], [0, 1])
    assert r["diff"] == 0.5 and r["a"] == 1.0 and r["b"] == 0.5 and r["n"] == 2
    assert r["ci"] == pytest.approx([0.0, 1.0])
    assert paired_diff([1, 1], [0, 1], level=0.5)["ci"] == pytest.approx([0.5, 0.5])


def test_paired_bootstrap_keeps_the_pairing():
    """b = a - 1 on wildly different questions: every paired difference is 1, so the interval is
    [1, 1]; the spread between questions does not enter it."""
    a = np.random.default_rng(1).normal(0, 10, 50)
    r = paired_diff(a, a - 1)
    assert r["diff"] == pytest.approx(1) and r["ci"] == pytest.approx([1, 1])


def test_paired_bootstrap_interval_covers_the_mean_and_is_seeded():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0.3, 1, 100), rng.normal(0, 1, 100)
    r = paired_diff(a, b)
    lo, hi = r["ci"]
    se = np.std(a - b, ddof=1) / 10
    assert lo < r["diff"] < hi and hi - lo == pytest.approx(2 * 1.96 * se, rel=0.15)
    assert paired_diff(a, b) == r
    with pytest.raises(ValueError):
        paired_diff(a, b[:-1])


def test_per_question_slopes_average_to_the_slope_of_the_mean_curve():
    budgets = [8, 16, 32, 64]
    Y = np.random.default_rng(3).normal(size=(4, 30))
    per_q = slope_weights(budgets) @ Y
    assert per_q.mean() == pytest.approx(np.polyfit(np.log2(budgets), Y.mean(1), 1)[0])
    assert per_q[5] == pytest.approx(np.polyfit(np.log2(budgets), Y[:, 5], 1)[0])


def test_stratum_masks():
    m = stratum_masks([True, True, False, False], [False, True, True, False])
    assert m["extractive"].tolist() == [True, True, False, False]
    assert m["extractive_clean"].tolist() == [True, False, False, False]
    assert m["inferential"].tolist() == [False, False, True, True] and m["all"].all()
