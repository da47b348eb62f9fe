"""Claim verdicts on hand-made per-question evaluations: the paired comparisons, their bootstrap
intervals, the strata and the verdicts built on them."""

import functools

import numpy as np
import pytest

from repro_core import evaluate_claims

from new_news.analysis import accuracy_table, paired_comparisons, question_table, summarise
from new_news.claims import CLAIMS, apply_conditions
from new_news.stages import parse_condition
from tests.helpers import stage_config

N = 80
NOISE = np.linspace(-1, 1, N)[np.random.default_rng(0).permutation(N)]   # each question's own offset
DOMAINS = ["mathematics", "coding"]


def _items():
    items = []
    for k in range(N // 5):
        qs = [{"question": f"q{k}.{j}", "options": ["a", "b", "c", "d"], "answer_index": 0,
               "extractive": (5 * k + j) % 3 != 0, "distractor_in_news": (5 * k + j) % 4 == 0} for j in range(5)]
        items.append({"id": f"it{k}", "domain": DOMAINS[k % 2], "questions": qs})
    return items


def _evals(levels: dict) -> dict:
    """(condition, mode) -> margin level L: every question's margin is L + its offset, so paired
    margin differences are constants; correct = margin > 0."""
    items = _items()
    out = {}
    for (cond, mode), L in levels.items():
        m = L + NOISE
        e = out.setdefault(cond, {"condition": cond, **parse_condition(cond), "score": "mean",
                                  "items": [it["id"] for it in items for _ in it["questions"]],
                                  "domains": [it["domain"] for it in items for _ in it["questions"]], "modes": {}})
        e["modes"][mode] = {"correct": (m > 0).astype(int).tolist(), "margin": m.tolist(),
                            "gold_logprob": (3 * m - 5).tolist(), "exact": (m > 0.5).astype(int).tolist()}
    return out


def _paper_like():
    return {("base", "closed"): -0.8, ("base", "icl"): 0.9, ("naive-news-b4", "closed"): -0.6,
            ("naive-news-b4", "icl"): 0.7, ("paraphrase-model-b4", "closed"): -0.2,
            ("implication-model-b4", "closed"): -0.3, ("selfqa-model-b4", "closed"): 0.6,
            ("selfqa-model-b4", "icl"): 0.7, ("selfqa-model-b2", "closed"): 0.2,
            ("selfqa-model-b8", "closed"): 0.9, ("shadow-model-b4", "closed"): -0.5,
            ("selfqa-template-b4", "closed"): 0.0}


def _records(levels):
    return _records_of(tuple(sorted(levels.items())))


@functools.lru_cache(maxsize=None)
def _records_of(levels):
    qt = question_table(_evals(dict(levels)), _items())
    tab = accuracy_table(qt)
    s = summarise(tab, "model", 4, [2, 4, 8], 0.25)
    s["paired"] = paired_comparisons(qt, "model", 4, [2, 4, 8])
    recs = apply_conditions(evaluate_claims(CLAIMS, {"s": s, "cfg": stage_config("new_news", "claims")}, "quick", "new_news"))
    return s, tab, {r["id"]: r for r in recs}


def test_paper_like_results_satisfy_every_claim():
    s, tab, recs = _records(_paper_like())
    assert all(r["status"] == "holds" for r in recs.values()), recs
    acc = lambda L: float(np.mean(L + NOISE > 0))  # noqa: E731
    gap = recs["new_news.ft_icl_gap"]["ours"]
    assert gap["icl_minus_naive"] == pytest.approx(acc(0.9) - acc(-0.6))
    # a paired constant difference has a degenerate interval at that constant
    sh = recs["new_news.contextual_shadowing"]["ours"]
    assert sh["margin_diff"] == pytest.approx(1.1) and sh["ci"] == pytest.approx([1.1, 1.1])
    sc = recs["new_news.replay_scaling"]["ours"]
    assert sc["margin_slope_per_doubling"] == pytest.approx(np.polyfit([1, 2, 3], [0.2, 0.6, 0.9], 1)[0])
    assert recs["new_news.selfqa_closes_gap"]["ours"]["fraction_closed"] == pytest.approx(
        (acc(0.6) - acc(-0.6)) / (acc(0.9) - acc(-0.6)))
    # every claim reports its strata; the evidence is the questions with an interval
    n_ext = sum(q["extractive"] for it in _items() for q in it["questions"])
    assert s["paired"]["strata"]["extractive"] == n_ext and s["paired"]["strata"]["inferential"] == N - n_ext
    for r in recs.values():
        assert r["evidence"]["n"] == N and r["evidence"]["unit"] == "questions" and r["evidence"]["ci"]
    assert set(gap["by_stratum"]) == {"all", "extractive", "extractive_clean", "inferential"}


def test_each_claim_fails_when_its_comparison_is_reversed():
    lv = _paper_like()
    lv[("naive-news-b4", "closed")] = 0.85           # no FT-ICL gap; naive above every protocol
    lv[("shadow-model-b4", "closed")] = 0.9
    lv[("selfqa-model-b4", "icl")] = 1.0
    lv[("selfqa-model-b8", "closed")] = -0.9
    _, _, recs = _records(lv)
    for cid in ("ft_icl_gap", "protocol_order", "contextual_shadowing", "overexposure", "replay_scaling"):
        assert recs[f"new_news.{cid}"]["status"] == "does not hold", cid
    # no gap: the closure is not evaluable (not a failure to close, and not an error)
    closes = recs["new_news.selfqa_closes_gap"]
    assert closes["status"] == "not evaluated" and closes["ours"]["gap_holds"] is False
    assert "no FT-ICL gap" in closes["error"]


def test_a_gap_below_the_margin_or_within_noise_does_not_hold():
    lv = _paper_like()
    lv[("naive-news-b4", "closed")] = 0.8             # ICL - naive accuracy 0.05 < 0.10
    _, _, recs = _records(lv)
    assert recs["new_news.ft_icl_gap"]["ours"]["icl_minus_naive"] < 0.10
    assert recs["new_news.ft_icl_gap"]["status"] == "does not hold"
    assert recs["new_news.selfqa_closes_gap"]["status"] == "not evaluated"


def test_selfqa_below_the_midpoint_does_not_close_the_gap():
    lv = _paper_like()
    lv[("selfqa-model-b4", "closed")] = -0.4           # above naive, below half way to ICL
    _, _, recs = _records(lv)
    r = recs["new_news.selfqa_closes_gap"]
    assert r["status"] == "does not hold" and r["ours"]["fraction_closed"] < 0.5


def test_reduced_run_without_greedy_replies_keeps_its_claims_and_names_what_was_not_run():
    """A reduced design (the Gemma-3-270M quick run): no greedy replies (evaluate.greedy_tokens 0)
    and naive FT not evaluated in context. The exact-match metric is dropped (not NaN in a claim),
    every claim whose conditions ran keeps its verdict; a claim whose condition did not run
    (shadowing here) is an error naming the missing comparison, never a "does not hold"."""
    lv = {k: v for k, v in _paper_like().items() if k != ("naive-news-b4", "icl")}
    evals = _evals(lv)
    for e in evals.values():
        for r in e["modes"].values():
            del r["exact"]
    qt = question_table(evals, _items())
    tab = accuracy_table(qt)
    assert qt.exact.isna().all() and tab.exact_match.isna().all()

    s = summarise(tab, "model", 4, [2, 4, 8], 0.25)
    s["paired"] = paired_comparisons(qt, "model", 4, [2, 4, 8])

    def records(s):
        return {r["id"]: r for r in apply_conditions(
            evaluate_claims(CLAIMS, {"s": s, "cfg": stage_config("new_news", "claims")}, "quick", "new_news"))}

    assert "exact" not in s["paired"]["metrics"] and "overexposure_naive" not in s["paired"]["comparisons"]
    assert all(r["status"] == "holds" for r in records(s).values())
    # shadowing not run: its comparison is absent, as overexposure_naive is above
    s["paired"]["comparisons"].pop("shadowing")
    recs = records(s)
    assert recs["new_news.contextual_shadowing"]["status"] == "error"
    assert "shadowing" in recs["new_news.contextual_shadowing"]["error"]
    assert all(r["status"] == "holds" for k, r in recs.items() if k != "new_news.contextual_shadowing")


def test_accuracy_table_has_domain_and_stratum_rows():
    _, tab, _ = _records(_paper_like())
    base = tab[(tab.condition == "base") & (tab["mode"] == "icl")]
    assert set(base[base.stratum == "all"].domain) == {"all", *DOMAINS}
    assert set(base[base.domain == "all"].stratum) == {"all", "extractive", "extractive_clean", "inferential"}
    ext = base[(base.domain == "all") & (base.stratum == "extractive")]
    assert int(ext.n.iloc[0]) == sum(q["extractive"] for it in _items() for q in it["questions"])


def test_every_claim_is_a_paper_claim_with_its_source():
    _, _, recs = _records(_paper_like())
    assert all(r["kind"] == "paper" and r["where"] and r["threshold"] for r in recs.values())


def test_parse_condition():
    assert parse_condition("shadow-model-b16") == {"protocol": "shadow", "source": "model", "budget": 16}
    assert parse_condition("base")["protocol"] == "base"
    with pytest.raises(ValueError):
        parse_condition("selfqa-web-b3")
