"""Claim classification per issues 22/26 and the verdicts on hand-made summaries."""

import repro_core

from icl_rational.claims import CLAIMS, PAPER_R

BY = {c.id.split(".")[1]: c for c in CLAIMS}


def _status(name, ctx):
    return repro_core.evaluate_claims([BY[name]], ctx, "quick", "icl_rational")[0]["status"]


def test_kinds_and_threshold_sources():
    assert {k for k, c in BY.items() if c.kind == "check"} == {
        "predictors", "predicts_heldout", "superlinear_transition_model"}
    for c in BY.values():
        if c.kind == "paper":
            assert c.where and c.threshold and c.evidence is not None, c.id
            assert "looser" not in c.threshold, c.id
    assert PAPER_R == {"id": 0.992, "ood": 0.973}
    assert "0.973" in BY["predicts_ood"].paper and "0.992" in BY["predicts_id"].paper


def _fit(r, ci, n, hr=(0.9, [0.8, 0.95], 10)):
    return {"params": {"alpha": 0.7}, "corr_id": {"r": r, "ci": ci, "n": n},
            "corr_ood": {"r": r, "ci": ci, "n": n},
            "heldout_id": {"r": hr[0], "ci": hr[1], "n": hr[2]},
            "heldout_ood": {"r": hr[0], "ci": hr[1], "n": hr[2]}}


def _corr_ctx(filtered, all_rows=None):
    f = filtered
    return {"headline": "filtered", "seeds": [0], "fits": {"filtered": f, "all": all_rows or f},
            "seed_fits": {"0": f}}


def test_correlation_uses_the_papers_r_through_its_interval():
    assert _status("predicts_id", _corr_ctx(_fit(0.95, [0.90, 0.993], 60))) == "holds"
    assert _status("predicts_id", _corr_ctx(_fit(0.95, [0.90, 0.97], 60))) == "does not hold"
    # the all-row value never decides: a high all-row r does not rescue a low filtered one
    assert _status("predicts_id", _corr_ctx(_fit(0.95, [0.90, 0.97], 60),
                                            _fit(0.999, [0.998, 0.9995], 90))) == "does not hold"
    assert _status("predicts_id", _corr_ctx(_fit(0.95, [0.9, 0.99], 3))) == "does not hold"  # < 4 rows
    assert _status("predicts_id", _corr_ctx(_fit(None, [None, None], 60))) == "error"      # undefined r


def _seed_ctx(final_small, final_large, inner):
    """inner: per seed, {D: (min after warm-up, final)} for the intermediate D."""
    seeds = list(range(len(final_small)))
    per = {}
    for s in seeds:
        per[str(s)] = {"4": {"final_r_id": final_small[s], "min_r_id_after_warmup": 0.3},
                       "64": {"final_r_id": final_large[s], "min_r_id_after_warmup": 0.1}}
        for D, (mn, fin) in inner[s].items():
            per[str(s)][str(D)] = {"final_r_id": fin, "min_r_id_after_warmup": mn}
    return {"seeds": seeds, "n_tasks": [4, 8, 16, 64], "inner_D": [8, 16], "per_seed": per}


def test_end_states_and_transient_over_seeds():
    inner_ok = {8: (0.30, 0.70), 16: (0.2, 0.4)}
    inner_hover = {8: (0.45, 0.55), 16: (0.2, 0.4)}          # crosses 1/2 but not the margins
    ctx = _seed_ctx([0.85, 0.9, 0.82], [0.1, 0.15, 0.22], [inner_ok, inner_ok, inner_hover])
    assert _status("small_D_memorizes", ctx) == "holds"       # mean 0.857 >= 0.8
    assert _status("large_D_generalizes", ctx) == "holds"     # mean 0.157 <= 0.2
    assert _status("transient_generalization", ctx) == "holds"   # 2 of 3 seeds
    ctx = _seed_ctx([0.85, 0.7, 0.75], [0.3, 0.15, 0.22], [inner_ok, inner_hover, inner_hover])
    assert _status("small_D_memorizes", ctx) == "does not hold"
    assert _status("large_D_generalizes", ctx) == "does not hold"
    assert _status("transient_generalization", ctx) == "does not hold"   # 1 of 3
    one = _seed_ctx([0.9], [0.1], [inner_ok])
    assert _status("transient_generalization", one) == "does not hold"   # a single seed cannot show 2 of 3


def _slope_ctx(slope, ci, n_D, n=6):
    return {"slope_empirical": {"slope": slope, "ci": ci, "n_D": n_D, "n_points": n,
                                "n_boot_used": 2000 if ci else 0},
            "transition_points": [[4, 0, 100]]}


def test_superlinear_transition_needs_three_D_and_the_interval_above_one():
    assert _status("superlinear_transition", _slope_ctx(2.0, [1.3, 2.8], 3)) == "holds"
    assert _status("superlinear_transition", _slope_ctx(2.0, [0.8, 2.8], 3)) == "does not hold"
    assert _status("superlinear_transition", _slope_ctx(2.0, [1.3, 2.8], 2)) == "does not hold"
    assert _status("superlinear_transition", _slope_ctx(None, [None, None], 1, 1)) == "does not hold"


def test_sublinear_alpha_interval():
    def ctx(alphas):
        return {"seeds": list(range(len(alphas))), "params": {"alpha": alphas[0]},
                "seed_fits": {str(i): {"params": {"alpha": a}} for i, a in enumerate(alphas)}}
    assert _status("sublinear_sample_efficiency", ctx([0.7, 0.75, 0.72])) == "holds"
    assert _status("sublinear_sample_efficiency", ctx([0.7, 0.95, 0.99])) == "does not hold"  # CI reaches 1
    assert _status("sublinear_sample_efficiency", ctx([0.7])) == "does not hold"              # no interval
