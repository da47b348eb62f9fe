"""Claim verdicts follow the stated criteria on hand-made summaries."""

import math

from icl_emergence.claims import CLAIMS, _coupling_holds, _coupling, _transition_holds
from repro_core import evaluate_claims

LN2 = math.log(2)


def test_transition_criterion():
    good = {"transition_step": 90, "name2_final": 0.01, "name1_final": 0.99}
    assert _transition_holds(good)
    assert not _transition_holds({**good, "transition_step": None})
    assert not _transition_holds({**good, "name2_final": 0.1 * LN2 + 1e-3})
    assert not _transition_holds({**good, "name1_final": LN2 - 0.05})   # cannot beat Bayes


def test_coupling_uses_own_prior_and_skips_near_uniform_priors():
    ctx = {"coupling": {"models": [2, 10, 100], "priors": [2, 10, 100],
                        "kl": [[0.001, 0.05, 0.06], [0.04, 0.002, 0.003], [0.05, 0.001, 0.0005]]}}
    v = _coupling(ctx)
    assert set(v) == {"trained N=2", "trained N=10"}
    assert v["trained N=10"] == {"own": 0.002, "closest_other": 0.003}
    assert not _coupling_holds(v)                       # 0.002 > 0.5 * 0.003
    ctx["coupling"]["kl"][1][2] = 0.01
    assert _coupling_holds(_coupling(ctx))


def test_claims_report_errors_not_passes_on_missing_results():
    records = evaluate_claims(CLAIMS, {"runs": {}, "coins": {}, "mr_name": {}}, "smoke", "icl_emergence")
    assert all(r["status"] in ("error", "does not hold") for r in records)
    assert len({r["id"] for r in records}) == len(CLAIMS)
