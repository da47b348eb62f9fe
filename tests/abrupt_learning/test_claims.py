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


def test_speedup_with_no_learning_rflo_pair_does_not_hold():
    from abrupt_learning.claims import _speed, _speed_holds

    rows = [dict(rule=rule, task="t", seed=s, gain=1.0, lam=lam, n_steps=100,
                 learned=(rule == "bptt"), steps_to_learn=(50.0 if lam else 80.0) if rule == "bptt" else np.nan)
            for rule in ("bptt", "rflo") for s in (0, 1) for lam in (0.0, 0.1)]
    v = _speed({"runs": pd.DataFrame(rows), "lam_ref": 0.1})
    assert v["median_ratio_bptt"] == pytest.approx(50 / 80) and v["n_pairs_rflo"] == 0
    assert undefined(v) == [] and not _speed_holds(v)


def test_claims_are_paper_claims_with_sources():
    assert all(c.kind == "paper" and c.where and c.threshold and c.evidence for c in CLAIMS)
