"""Claim classification: the exact model's layer map is power iteration, so its five structural
claims are checks; the context-convergence rate and the trained model's trend are paper claims."""

from icl_lowfreq.claims import CLAIMS


def test_kinds():
    kinds = {c.id.split(".")[1]: c.kind for c in CLAIMS}
    assert {k for k, v in kinds.items() if v == "paper"} == {"context_convergence",
                                                             "trained_low_frequency_trend"}
    assert all(c.where and c.threshold for c in CLAIMS if c.kind == "paper")
