"""Claim classification: the Bayes predictors' ordering and the fitted model's slope are checks;
the paper claims carry where the threshold comes from, and the loosened ones say so."""

from icl_rational.claims import CLAIMS


def test_kinds_and_threshold_sources():
    by = {c.id.split(".")[1]: c for c in CLAIMS}
    assert {k for k, c in by.items() if c.kind == "check"} == {"predictors", "superlinear_transition"}
    assert all(c.where and c.threshold for c in by.values() if c.kind == "paper")
    for k in ("small_D_memorizes", "large_D_generalizes", "transient_generalization",
              "predicts_id", "predicts_ood", "predicts_heldout"):
        assert "looser" in by[k].threshold, k
    assert "0.973" in by["predicts_ood"].paper and "0.992" in by["predicts_id"].paper


def test_heldout_needs_three_rows_and_a_defined_correlation():
    import repro_core

    heldout = [c for c in CLAIMS if c.id == "icl_rational.predicts_heldout"]
    nan = float("nan")

    def status(n_rows, n_fit, r_id, r_ood):
        ctx = {"n_rows": n_rows, "n_fit_rows": n_fit, "corr_heldout_id": r_id, "corr_heldout_ood": r_ood}
        return repro_core.evaluate_claims(heldout, ctx, "quick", "icl_rational")[0]["status"]

    assert status(16, 14, nan, nan) == "does not hold"      # 2 held-out rows: the criterion's >= 3 fails
    assert status(30, 20, 0.96, 0.95) == "holds"
    assert status(30, 20, 0.96, 0.85) == "does not hold"
    assert status(30, 20, nan, 0.95) == "error"             # 10 rows but r undefined: missing, not a finding
