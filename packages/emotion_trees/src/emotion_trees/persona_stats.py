"""Paired tests of persona accuracies over the same scenarios.

Every persona answers the same scenarios, so two personas are compared scenario by scenario:
``correct[p][i]`` is 1 where persona p's prediction on scenario i has the true primary group.

* :func:`mcnemar_greater`: exact one-sided McNemar test that persona a is more accurate than
  persona b (binomial test on the discordant scenarios, p = 1/2 under the null).
* :func:`mcnemar_n_needed`: scenarios a one-sided McNemar test needs to detect an accuracy gap
  ``delta`` with discordant fraction ``psi`` (Connor 1987, normal approximation).
* :func:`lowest_bootstrap`: percentile bootstrap over scenarios of
  acc(target) - min over the other personas of acc(other).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from scipy import stats


def mcnemar_greater(a: Sequence[int], b: Sequence[int]) -> dict:
    """Exact one-sided McNemar test of acc(a) > acc(b) on paired 0/1 outcomes.

    n10 = scenarios a gets right and b wrong, n01 the reverse; p = P(X >= n10) for
    X ~ Binomial(n10 + n01, 1/2) (1.0 when no scenario is discordant)."""
    a, b = np.asarray(a, int), np.asarray(b, int)
    if a.shape != b.shape:
        raise ValueError(f"paired outcomes differ in length: {a.shape} vs {b.shape}")
    n10 = int(((a == 1) & (b == 0)).sum())
    n01 = int(((a == 0) & (b == 1)).sum())
    p = float(stats.binomtest(n10, n10 + n01, 0.5, alternative="greater").pvalue) if n10 + n01 else 1.0
    return {"acc_a": float(a.mean()) if a.size else 0.0, "acc_b": float(b.mean()) if b.size else 0.0,
            "n10": n10, "n01": n01, "n": int(a.size), "p": p}


def independent_discordance(p1: float, p2: float) -> float:
    """Discordant fraction of two accuracies whose errors are independent."""
    return p1 * (1 - p2) + p2 * (1 - p1)


def mcnemar_n_needed(delta: float, psi: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Paired scenarios for a one-sided level-``alpha`` McNemar test to detect a gap ``delta``
    with probability ``power`` when a fraction ``psi`` of scenarios is discordant (Connor 1987):
    n = (z_a sqrt(psi) + z_b sqrt(psi - delta^2))^2 / delta^2."""
    delta = abs(float(delta))
    if not 0 < delta <= psi <= 1:
        raise ValueError(f"need 0 < |delta| <= psi <= 1 (delta={delta}, psi={psi})")
    za, zb = stats.norm.ppf(1 - alpha), stats.norm.ppf(power)
    return int(np.ceil((za * np.sqrt(psi) + zb * np.sqrt(psi - delta ** 2)) ** 2 / delta ** 2))


def lowest_bootstrap(correct: Mapping[str, Sequence[int]], target: str, n_boot: int = 2000,
                     level: float = 0.95, seed: int = 0) -> dict:
    """acc(target) - min over the other personas of acc, and its percentile bootstrap interval
    over scenarios (all personas resampled together: the same scenarios); ``p`` is the share of
    resamples in which the target is not strictly lowest."""
    names = [p for p in correct if p != target]
    if target not in correct or not names:
        raise ValueError(f"need {target!r} and at least one other persona")
    M = np.asarray([correct[target], *[correct[p] for p in names]], float)   # personas x scenarios
    n = M.shape[1]
    if n == 0:
        raise ValueError("no scenarios")

    def gap(cols):
        acc = M[:, cols].mean(axis=1)
        return acc[0] - acc[1:].min()

    rng = np.random.default_rng(seed)
    boots = np.array([gap(rng.integers(0, n, n)) for _ in range(n_boot)])
    lo, hi = np.quantile(boots, [(1 - level) / 2, (1 + level) / 2])
    acc = M.mean(axis=1)
    return {"gap": float(gap(np.arange(n))), "ci": [float(lo), float(hi)],
            "p": float((boots >= 0).mean()), "next_lowest": names[int(np.argmin(acc[1:]))],
            "n": int(n)}
