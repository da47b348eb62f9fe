"""The GR-precedes verdict needs more leads than a coin flip would give, not just a majority."""

from math import comb

import numpy as np
import pandas as pd
import pytest

from repro_core.claims import undefined

from abrupt_learning.claims import CLAIMS, _gr, _gr_holds


def _runs(leads):
    return {"runs": pd.DataFrame({"abrupt": [True] * len(leads) + [False],
                                  "lead": list(leads) + [np.nan]})}


def test_gr_precedes_needs_a_sign_test():
    five_of_eight = _gr(_runs([100, 50, 20, 10, 5, -10, -20, np.nan]))
    assert five_of_eight["n_abrupt_runs"] == 8 and five_of_eight["frac_lead_positive"] == 5 / 8
    assert five_of_eight["sign_test_p"] == pytest.approx(sum(comb(8, k) for k in range(5, 9)) / 2 ** 8)
    assert not _gr_holds(five_of_eight)          # p = 0.36: a majority, not evidence
    seven_of_eight = _gr(_runs([100, 50, 20, 10, 5, 3, 1, -10]))
    assert seven_of_eight["sign_test_p"] == pytest.approx((8 + 1) / 2 ** 8)      # p = 0.035
    assert _gr_holds(seven_of_eight)


def test_gr_never_detected_is_a_finding_not_missing_data():
    none = _gr(_runs([np.nan, np.nan, np.nan]))
    assert none["frac_gr_detected"] == 0 and none["n_abrupt_runs"] == 3
    assert undefined(none) == [] and not _gr_holds(none)       # "does not hold", never "error"
    assert "median_lead_steps" not in none
    no_abrupt = _gr({"runs": pd.DataFrame({"abrupt": [False, False], "lead": [np.nan, np.nan]})})
    assert no_abrupt == {"n_abrupt_runs": 0} and not _gr_holds(no_abrupt)


def _ctx(rows, **kw):
    from abrupt_learning.claims import build_context
    cells = {"lam_ref": 0.1, "plateau_gains": [0.6], "strong_gains": [2.0], "tasks": ["t"]}
    cells.update(kw)
    return build_context(pd.DataFrame(rows), **cells)


def _row(rule="bptt", task="t", seed=0, gain=0.6, lam=0.0, learned=True, steps=None, abrupt=False, lead=np.nan):
    return dict(rule=rule, task=task, seed=seed, gain=gain, lam=lam, n_steps=1000, learned=learned,
                steps_to_learn=(steps if learned else np.nan), abrupt=abrupt, lead=lead)


def test_speedup_with_no_learning_rflo_pair_does_not_hold():
    from abrupt_learning.claims import _speed, _speed_holds

    rows = [_row(rule, seed=s, lam=lam, learned=(rule == "bptt"), steps=(50.0 if lam else 80.0))
            for rule in ("bptt", "rflo") for s in (0, 1) for lam in (0.0, 0.1)]
    ctx = _ctx(rows, strong_gains=[0.6])
    v = _speed(ctx, "bptt")
    assert v["median_ratio"] == pytest.approx(50 / 80) and v["n_pairs"] == 2
    assert not _speed_holds(v)                   # 2 of 2 faster: Wilcoxon p = 0.25, not evidence
    r = _speed(ctx, "rflo")
    assert r == {"n_pairs": 0} and undefined(r) == [] and not _speed_holds(r)


def test_speedup_wilcoxon_on_paired_log_steps():
    from scipy.stats import wilcoxon

    from abrupt_learning.claims import _speed, _speed_holds

    s0 = [400.0, 900.0, 300.0, 1000.0, 700.0, 650.0, 820.0, 500.0]
    sr = [200.0, 450.0, 310.0, 300.0, 350.0, 100.0, 400.0, 260.0]
    rows = [_row(seed=i, lam=0.0, steps=a, learned=a < 1000) for i, a in enumerate(s0)]
    rows += [_row(seed=i, lam=0.1, steps=b) for i, b in enumerate(sr)]
    rows += [_row(seed=i, gain=2.0, lam=lam, steps=5.0 if lam else 999.0) for i in range(8) for lam in (0.0, 0.1)]
    v = _speed(_ctx(rows), "bptt")                # the g = 2 pairs are not in the plateau regime: left out
    d = np.log(s0) - np.log(sr)                   # the never-learned run counts as the whole training (1000)
    assert v["n_pairs"] == 8 and v["n_faster"] == 7 and v["n_slower"] == 1
    assert v["wilcoxon_p"] == pytest.approx(wilcoxon(d, alternative="greater").pvalue)
    assert v["wilcoxon_p"] < 0.05 and _speed_holds(v)


def test_abrupt_needs_the_binomial_interval_above_one_half():
    from abrupt_learning.claims import _abrupt, _abrupt_holds

    def frac(k, n):
        rows = [_row(seed=i, abrupt=i < k) for i in range(n)]
        rows += [_row(seed=i, lam=0.1, abrupt=True) for i in range(n)]          # lambda > 0: not counted
        rows += [_row(seed=i, gain=2.0, abrupt=True) for i in range(n)]         # not a plateau gain
        rows += [_row(seed=i, task="flipflop", abrupt=True) for i in range(n)]  # not a claims task
        return _abrupt(_ctx(rows), "bptt")

    v = frac(11, 16)                              # 69%, but the 95% interval reaches down to 41%
    assert v["n_runs"] == 16 and v["n_abrupt"] == 11 and v["ci_low"] < 0.5 and not _abrupt_holds(v)
    v = frac(14, 16)
    assert v["ci_low"] > 0.5 and _abrupt_holds(v)
    none = frac(0, 16)
    assert undefined(none) == [] and not _abrupt_holds(none)


def test_strong_coupling_fisher_exact():
    from scipy.stats import fisher_exact

    from abrupt_learning.claims import _gain, _gain_holds

    def at(k0, kr, n=8):
        rows = [_row(seed=i, gain=2.0, lam=0.0, learned=i < k0, steps=100.0) for i in range(n)]
        rows += [_row(seed=i, gain=2.0, lam=0.1, learned=i < kr, steps=100.0) for i in range(n)]
        return _gain(_ctx(rows, plateau_gains=[2.0]), "bptt")

    v = at(2, 5)                                  # more learn, but 5/8 vs 2/8 is not significant
    assert v["frac_learned_reg"] > v["frac_learned_lam0"] and not _gain_holds(v)
    assert v["fisher_p"] == pytest.approx(fisher_exact([[3, 5], [6, 2]], alternative="less").pvalue)
    assert _gain_holds(at(1, 8))
    assert not _gain_holds(at(4, 4))


def test_context_rejects_cells_that_were_not_trained():
    rows = [_row(), _row(lam=0.1), _row(gain=2.0)]
    _ctx(rows)
    with pytest.raises(ValueError, match="plateau_gains"):
        _ctx(rows, plateau_gains=[0.7])
    with pytest.raises(ValueError, match="strong_gains"):
        _ctx(rows[:2])
    with pytest.raises(ValueError, match="lam_ref"):
        _ctx(rows, lam_ref=3.0)
    with pytest.raises(ValueError, match="claims.tasks"):
        _ctx(rows, tasks=["evidence"])


def test_claims_are_paper_claims_with_sources_per_rule():
    assert all(c.kind == "paper" and c.where and c.threshold and c.evidence for c in CLAIMS)
    assert {c.id.rsplit("_", 1)[1] for c in CLAIMS} == {"bptt", "rflo"} and len(CLAIMS) == 10


def test_attractors_fisher_on_flipflop_networks_only():
    from scipy.stats import fisher_exact

    from abrupt_learning.claims import _attractors, _attractors_holds

    def at(k0, kr, n=16):
        rows = [_row(gain=0.6, lam=0.0), _row(gain=2.0), _row(lam=0.1)]       # the claims task "t"
        rows = [dict(r, n_stable_end=np.nan, n_memories_end=np.nan) for r in rows]
        for lam, k in ((0.0, k0), (0.1, kr)):
            rows += [dict(_row(task="flipflop", seed=i, lam=lam), n_stable_end=9.0,
                          n_memories_end=8.0 if i < k else 7.0) for i in range(n)]
        return _attractors(_ctx(rows), "bptt")

    v = at(8, 12)
    assert v["n_lam0"] == v["n_reg"] == 16 and v["all8_lam0"] == 8 and v["all8_reg"] == 12
    assert v["fisher_p"] == pytest.approx(fisher_exact([[4, 12], [8, 8]], alternative="less").pvalue)
    assert not _attractors_holds(v)
    assert _attractors_holds(at(2, 14))
    none = _attractors(_ctx([_row(), _row(lam=0.1), _row(gain=2.0)]), "bptt")   # no flip-flop trained
    assert none["n_lam0"] == 0 and undefined(none) == [] and not _attractors_holds(none)
