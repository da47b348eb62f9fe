"""repro_core.stats against closed forms: the tests noisy claims rest on."""

from math import comb

import numpy as np
import pytest
from scipy import stats as st

from repro_core import stats


def test_sign_test_is_the_binomial_tail():
    assert stats.sign_test(7, 8) == pytest.approx((comb(8, 7) + comb(8, 8)) / 2 ** 8)  # 9/256
    assert stats.sign_test(5, 8) == pytest.approx(sum(comb(8, k) for k in range(5, 9)) / 256)
    assert np.isnan(stats.sign_test(0, 0))


def test_fisher_fewer_is_one_sided_in_the_right_direction():
    # 12/12 fail without the remedy, 0/12 with it: the hypergeometric tail is 1 / C(24, 12)
    assert stats.fisher_fewer(12, 12, 0, 12) == pytest.approx(1 / comb(24, 12))
    # the remedy failing *more* often is no evidence that it helps
    assert stats.fisher_fewer(0, 12, 12, 12) == pytest.approx(1.0)
    assert stats.fisher_fewer(2, 12, 0, 12) > 0.2  # 2/12 vs 0/12: the audit's p ~ 0.24


def test_wilcoxon_greater_direction_and_degenerate_cases():
    assert stats.wilcoxon_greater([1, 2, 3, 4, 5, 6]) == pytest.approx(1 / 2 ** 6)  # all ranks positive
    assert stats.wilcoxon_greater([-1, -2, -3, -4, -5, -6]) > 0.9
    assert stats.wilcoxon_greater([0, 0, 0]) == 1.0 and np.isnan(stats.wilcoxon_greater([]))


def test_intervals_match_closed_forms():
    x = [1.0, 2.0, 3.0, 4.0]
    half = st.t.ppf(0.975, 3) * np.std(x, ddof=1) / 2
    assert stats.mean_ci(x) == pytest.approx((2.5 - half, 2.5 + half))
    assert all(np.isnan(stats.mean_ci([1.0])))
    lo, hi = stats.bootstrap_ci(np.arange(100.0))
    assert lo < 49.5 < hi and hi - lo < 20
    assert stats.bootstrap_ci(np.arange(100.0)) == (lo, hi)  # fixed seed: reproducible


def test_z_test_and_slope_fit():
    # |ours - theirs| = 1.96 combined standard errors -> p = 0.05
    se = 0.1
    assert stats.z_test(0.0, se, 1.96 * np.hypot(se, se), se) == pytest.approx(0.05, abs=1e-4)
    assert np.isnan(stats.z_test(1.0, 0.0, 2.0, 0.0))
    fit = stats.slope_fit([0, 1, 2, 3], [1, 3, 5, 7])
    assert fit["slope"] == pytest.approx(2.0) and fit["stderr"] == pytest.approx(0.0, abs=1e-12)
    assert fit["r2"] == pytest.approx(1.0)
