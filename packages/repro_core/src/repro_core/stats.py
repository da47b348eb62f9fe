"""Statistics for claims about noisy quantities, chosen before the result is seen.

Thin, named wrappers around scipy so every paper states its test the same way
(one-sided where the paper's claim has a direction) and the scorecard can show
the p-value or interval beside the verdict.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import stats as _st


def sign_test(successes: int, n: int) -> float:
    """One-sided p that a fraction above 1/2 is a coin flip (binomial, p = 1/2)."""
    if n <= 0:
        return float("nan")
    return float(_st.binomtest(int(successes), int(n), 0.5, alternative="greater").pvalue)


def fisher_fewer(k_a: int, n_a: int, k_b: int, n_b: int) -> float:
    """One-sided Fisher exact p that group b has a lower rate of events than group a
    (k events of n trials each), e.g. fewer failures with a remedy than without."""
    if n_a <= 0 or n_b <= 0:
        return float("nan")
    table = [[k_b, n_b - k_b], [k_a, n_a - k_a]]
    return float(_st.fisher_exact(table, alternative="less").pvalue)


def wilcoxon_greater(diffs: Sequence[float]) -> float:
    """One-sided Wilcoxon signed-rank p that paired differences are centred above 0."""
    d = np.asarray(diffs, dtype=float)
    d = d[np.isfinite(d)]
    if len(d) == 0 or np.all(d == 0):
        return float("nan") if len(d) == 0 else 1.0
    return float(_st.wilcoxon(d, alternative="greater").pvalue)


def mean_ci(x: Sequence[float], level: float = 0.95) -> tuple[float, float]:
    """Student-t interval of the mean of ``x`` (seeds)."""
    a = np.asarray(x, dtype=float)
    if len(a) < 2:
        return (float("nan"), float("nan"))
    half = _st.t.ppf(0.5 + level / 2, len(a) - 1) * a.std(ddof=1) / np.sqrt(len(a))
    return (float(a.mean() - half), float(a.mean() + half))


def bootstrap_ci(x: Sequence[float], statistic: Callable = np.mean, level: float = 0.95,
                 n_resamples: int = 10_000, seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of ``statistic`` over the samples ``x`` (fixed seed)."""
    a = np.asarray(x, dtype=float)
    if len(a) < 2:
        return (float("nan"), float("nan"))
    res = _st.bootstrap((a,), statistic, confidence_level=level, n_resamples=n_resamples,
                        method="percentile", random_state=np.random.default_rng(seed))
    return (float(res.confidence_interval.low), float(res.confidence_interval.high))


def z_test(ours: float, se_ours: float, theirs: float, se_theirs: float = 0.0) -> float:
    """Two-sided p that our estimate and the paper's differ, both standard errors combined."""
    se = float(np.hypot(se_ours, se_theirs))
    if not se > 0:
        return float("nan")
    return float(2 * _st.norm.sf(abs(ours - theirs) / se))


def slope_fit(x: Sequence[float], y: Sequence[float]) -> dict:
    """Least-squares slope of y on x with its standard error and 95% interval."""
    fit = _st.linregress(np.asarray(x, float), np.asarray(y, float))
    half = _st.t.ppf(0.975, max(len(x) - 2, 1)) * fit.stderr
    return {"slope": float(fit.slope), "stderr": float(fit.stderr),
            "ci": (float(fit.slope - half), float(fit.slope + half)), "r2": float(fit.rvalue ** 2)}
