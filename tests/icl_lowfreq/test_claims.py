"""Claim classification: the exact model's layer map is power iteration, so its five structural
claims are checks; the context-convergence rate, the trained model's trend and the pretrained-LM
results (Track C) are paper claims."""

from icl_lowfreq.claims import CLAIMS


def test_kinds():
    kinds = {c.id.split(".")[1]: c.kind for c in CLAIMS}
    assert {k for k, v in kinds.items() if v == "paper"} == {
        "context_convergence", "trained_low_frequency_trend", "lm_energy_decays_with_context",
        "lm_energy_decays_with_depth", "lm_low_frequency_dominates", "lm_pca_recovers_graph",
        "lm_converges_over_context"}
    assert all(c.where and c.threshold for c in CLAIMS if c.kind == "paper")
