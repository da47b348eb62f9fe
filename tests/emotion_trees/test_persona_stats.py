"""Paired persona tests on hand cases: McNemar, the sample size it needs, the bootstrap."""

import numpy as np
import pytest
from scipy import stats

from emotion_trees.persona_stats import (independent_discordance, lowest_bootstrap, mcnemar_greater,
                                         mcnemar_n_needed)


def _pairs(n11, n10, n01, n00):
    a = [1] * n11 + [1] * n10 + [0] * n01 + [0] * n00
    b = [1] * n11 + [0] * n10 + [1] * n01 + [0] * n00
    return a, b


def test_mcnemar_on_a_hand_table():
    # 2x2 table: both right 50, a only 9, b only 1, both wrong 40 -> discordant 10, 9 for a
    t = mcnemar_greater(*_pairs(50, 9, 1, 40))
    assert (t["n10"], t["n01"], t["n"]) == (9, 1, 100)
    assert t["acc_a"] == pytest.approx(0.59) and t["acc_b"] == pytest.approx(0.51)
    assert t["p"] == pytest.approx(11 / 1024)                 # P(X >= 9), X ~ Bin(10, 1/2)
    # concordant scenarios do not matter, only the discordant ones
    assert mcnemar_greater(*_pairs(0, 9, 1, 0))["p"] == pytest.approx(t["p"])
    # the reverse direction is not significant; no discordance gives p = 1
    assert mcnemar_greater(*_pairs(50, 1, 9, 40))["p"] == pytest.approx(1 - 1 / 1024)
    assert mcnemar_greater(*_pairs(30, 0, 0, 30))["p"] == 1.0
    with pytest.raises(ValueError):
        mcnemar_greater([1, 0], [1])


def test_n_needed_matches_a_simulated_power():
    # Connor's formula against a Monte Carlo power of the exact test at that n
    delta, psi = 0.1, 0.3
    n = mcnemar_n_needed(delta, psi)
    assert n == int(np.ceil((1.6448536 * np.sqrt(psi) + 0.8416212 * np.sqrt(psi - delta ** 2)) ** 2
                            / delta ** 2))
    rng = np.random.default_rng(1)
    p10, p01 = (psi + delta) / 2, (psi - delta) / 2
    hits = 0
    for _ in range(2000):
        n10, n01, _ = rng.multinomial(n, [p10, p01, 1 - psi])
        hits += stats.binomtest(n10, n10 + n01, 0.5, alternative="greater").pvalue < 0.05
    assert 0.74 < hits / 2000 < 0.86
    # larger gaps need fewer scenarios; a gap above the discordance is impossible
    assert mcnemar_n_needed(0.2, psi) < n
    with pytest.raises(ValueError):
        mcnemar_n_needed(0.4, 0.3)
    assert independent_discordance(0.8, 0.7) == pytest.approx(0.8 * 0.3 + 0.7 * 0.2)


def test_bootstrap_of_the_lowest_persona():
    n = 400
    base = [1] * 300 + [0] * 100
    clear = {"x": base, "y": [1] * 290 + [0] * 110, "low": [1] * 200 + [0] * 200}
    r = lowest_bootstrap(clear, "low", n_boot=500)
    assert r["gap"] == pytest.approx(0.5 - 290 / 400) and r["ci"][1] < 0 and r["p"] == 0.0
    assert r["next_lowest"] == "y" and r["n"] == n
    # one scenario apart: the direction is right, the interval spans 0
    close = {"x": base, "low": [1] * 299 + [0] * 101}
    r = lowest_bootstrap(close, "low", n_boot=500)
    assert r["gap"] < 0 and r["ci"][0] < 0 <= r["ci"][1]
    # not lowest at all
    assert lowest_bootstrap({"x": [0] * 10, "low": [1] * 10}, "low", n_boot=50)["gap"] == 1.0
