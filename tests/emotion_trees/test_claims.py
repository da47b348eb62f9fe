"""Claim verdicts on synthetic analyses (computed, with the paper's comparisons)."""

from repro_core import evaluate_claims

from emotion_trees.claims import CLAIMS
from emotion_trees.stages import ClaimsConfig


def _tree(tpl, edges=10, purity=0.8, chance=0.3):
    return {"total_path_length": tpl, "edges": edges, "purity": purity, "chance": chance}


def _analysis(tpl_small, tpl_big, acc_big):
    rec = {p: {"accuracy_primary": a, "n": 540} for p, a in acc_big.items()}
    return {"models": {
        "big": {"n_params": 2e9, "trees": {"topk": _tree(tpl_big), "dense": _tree(tpl_big + 1)},
                "recognition": rec},
        "small": {"n_params": 1e8, "trees": {"topk": _tree(tpl_small, edges=1, purity=0.0),
                                             "dense": _tree(tpl_small)},
                  "recognition": {}}}}


PAPER_LIKE = {"neutral": 0.866, "income_high": 0.827, "income_low": 0.770,
              "education_postgraduate": 0.849, "education_less": 0.742, "lowincome_black_female": 0.739}


def _verdicts(a, scale="full"):
    recs = evaluate_claims(CLAIMS, {"analysis": a, "cfg": ClaimsConfig(scale=scale)}, scale, "emotion_trees")
    return {r["id"].split(".")[1]: r for r in recs}


def test_the_papers_own_numbers_pass_every_claim():
    v = _verdicts(_analysis(2, 66, PAPER_LIKE))
    assert {k: r["status"] for k, r in v.items()} == {k: "holds" for k in v}
    assert list(v["tpl_grows_topk"]["ours"].values()) == [2, 66]       # ordered by size
    assert "small/topk" not in v["purity"]["ours"]                      # trivial tree left out


def test_claims_fail_when_the_pattern_is_absent():
    flipped = dict(PAPER_LIKE, income_low=0.9, neutral=0.5)
    v = _verdicts(_analysis(66, 66, flipped))
    assert v["tpl_grows_topk"]["holds"] is False                        # equal is not growth
    assert v["persona_gap"]["holds"] is False
    assert v["intersection_lowest"]["holds"] is False                   # neutral is lower
    # a persona with no labelled scenario has no accuracy: missing data is an error, never a
    # scientific negative; the intersection claim compares the personas that were evaluated
    missing = _verdicts(_analysis(2, 66, dict(PAPER_LIKE, income_low=None)))
    assert missing["persona_gap"]["status"] == "error" and missing["persona_gap"]["holds"] is None
    assert "income_low" in missing["persona_gap"]["error"]
    assert missing["intersection_lowest"]["status"] == "holds"
    assert "income_low" not in missing["intersection_lowest"]["ours"]


def test_claims_are_classified_and_sourced():
    v = _verdicts(_analysis(2, 66, PAPER_LIKE))
    assert v["tpl_grows_dense"]["kind"] == "check"                       # dense mode is our extension
    papers = {k: r for k, r in v.items() if r["kind"] == "paper"}
    assert set(papers) == {"tpl_grows_topk", "purity", "persona_gap", "intersection_lowest"}
    assert all(r["where"] and r["threshold"] and r["evidence"]["n"] > 0 for r in papers.values())
    assert "1.5B" in v["tpl_grows_topk"]["paper_value"]                 # the authors' GPT-2
