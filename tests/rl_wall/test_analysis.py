"""pass@k estimator closed forms, the paired bootstrap on hand cases, the before/after
statistics and the claim verdicts on hand-made counts."""

import json
from math import comb

import numpy as np
import pytest

import repro_core
from rl_wall.analysis import PAPER_WALL_RATIO, compare, ks_up_to, paired_bootstrap, pass_at_k
from rl_wall.claims import CLAIMS
from tests.helpers import paper_section

N_BOOT = paper_section("rl_wall", "analyze")["n_boot"]


def test_pass_at_k_closed_forms():
    n = 16
    c = np.arange(n + 1)
    np.testing.assert_allclose(pass_at_k(n, c, 1), c / n)
    np.testing.assert_array_equal(pass_at_k(n, c, n), (c > 0).astype(float))
    assert pass_at_k(n, [3], 4)[0] == pytest.approx(1 - comb(13, 4) / comb(16, 4))
    assert pass_at_k(4, [1], 2)[0] == pytest.approx(0.5)
    vals = np.stack([pass_at_k(n, c, k) for k in range(1, n + 1)])
    assert (np.diff(vals, axis=0) >= -1e-12).all()               # monotone in k
    with pytest.raises(ValueError):
        pass_at_k(4, [1], 5)


def test_ks():
    assert ks_up_to(32) == [1, 2, 4, 8, 16, 32]
    assert ks_up_to(12) == [1, 2, 4, 8, 12]


def _counts(rows):
    return {"counts": np.asarray(rows), "k": np.asarray(4), "temperatures": np.asarray([0.5, 1.0])}


def test_compare_hand_case():
    # 4 problems, k = 4, two temperatures [T, problems]
    before = _counts([[4, 1, 0, 0], [2, 2, 1, 0]])
    after = _counts([[4, 4, 0, 1], [4, 3, 0, 0]])
    c = compare(before, after, np.asarray([0.5, 1.0]), N_BOOT)
    assert c["pass1_before"] == pytest.approx(max(5 / 16, 5 / 16))
    assert c["pass1_after"] == pytest.approx(max(9 / 16, 7 / 16))
    assert c["coverage_before"] == pytest.approx(3 / 4)          # any correct at T=1.0
    assert c["coverage_after"] == pytest.approx(3 / 4)
    assert c["n_zero_before"] == 1 and c["zero_stay_zero"] == 0 and c["frac_zero_stay_zero"] == 0.0
    assert c["n_unsolved_then_solved"] == 1 and c["n_solved_then_lost"] == 1
    assert c["pass1_range_before"] == pytest.approx(0.0)
    assert c["pass1_range_after"] == pytest.approx(2 / 16)
    # best temperature 0.5 for both: per-problem rates [1, .25, 0, 0] -> [1, 1, 0, .25],
    # differences [0, .75, 0, .25]: sample variance 0.125, s.e. sqrt(0.125) / 2
    assert c["se_delta_pass1"] == pytest.approx(np.sqrt(0.125) / 2)
    # averaged over temperatures: pass@1 (5/16, 5/16) -> (9/16, 7/16), mean gain 6/32
    assert c["delta_mean_over_t"] == pytest.approx(6 / 32)


def test_paired_bootstrap_hand_cases():
    K = 4
    rng = np.random.default_rng(0)
    before = rng.integers(0, 3, size=(2, 50))
    # identical models: every gain is exactly 0 in every resample
    ci = paired_bootstrap(before, before.copy(), K, n_boot=200)
    assert all(v == (0.0, 0.0) for v in ci.values())
    # every problem gains one correct sample of 4 at every temperature: pass@1 (max over T)
    # and its mean over T rise by exactly 0.25 in every resample, the range does not change
    ci = paired_bootstrap(before, before + 1, K, n_boot=200)
    assert ci["delta_pass1"] == pytest.approx((0.25, 0.25))
    assert ci["delta_mean_over_t"] == pytest.approx((0.25, 0.25))
    assert ci["flattening"] == pytest.approx((0.0, 0.0), abs=1e-12)
    # two problems, one goes 0 -> 4 of 4, the other stays 0: resampled mean gains are 0, 1/2, 1
    # with probabilities 1/4, 1/2, 1/4, so the 95% percentile interval is [0, 1]; coverage and
    # the wall excess (1 - 0.457) x gain follow the same draws
    b, a = np.array([[0, 0]]), np.array([[4, 0]])
    ci = paired_bootstrap(b, a, K, n_boot=4000)
    assert ci["delta_pass1"] == (0.0, 1.0) and ci["delta_coverage"] == (0.0, 1.0)
    assert ci["wall_excess"] == pytest.approx((0.0, 1 - PAPER_WALL_RATIO))


def test_paired_bootstrap_matches_normal_theory():
    # many problems, one temperature: the CI of a mean paired difference is mean +- 1.96 s.e.
    rng = np.random.default_rng(1)
    K, P = 16, 2000
    b = rng.binomial(K, rng.random(P))[None]
    a = np.clip(b + rng.integers(-2, 5, size=P), 0, K)
    d = (a - b)[0] / K
    lo, hi = paired_bootstrap(b, a, K, n_boot=4000, seed=3)["delta_pass1"]
    se = d.std(ddof=1) / np.sqrt(P)
    assert lo == pytest.approx(d.mean() - 1.96 * se, abs=0.25 * se)
    assert hi == pytest.approx(d.mean() + 1.96 * se, abs=0.25 * se)
    # paired: the same resample for both models (unpaired resampling would be ~3x wider here)
    assert hi - lo < 4.2 * se


def test_compare_hand_case_cis():
    before = _counts([[4, 1, 0, 0], [2, 2, 1, 0]])
    after = _counts([[4, 4, 0, 1], [4, 3, 0, 0]])
    c = compare(before, after, np.asarray([0.5, 1.0]), n_boot=500)
    assert c["wall_excess"] == pytest.approx(0.0 - PAPER_WALL_RATIO * (9 / 16 - 5 / 16))
    assert c["flattening"] == pytest.approx(0.0 - 2 / 16)
    for k in ("ci_delta_pass1", "ci_delta_coverage", "ci_wall_excess", "ci_flattening",
              "ci_delta_mean_over_t"):
        lo, hi = c[k]
        assert lo <= hi
    assert c["ci_delta_pass1"][0] <= c["delta_pass1"] <= c["ci_delta_pass1"][1]


def _run(seed, p1b, p1a, cb, ca, ci_p1, excess, ci_flat, ci_mean, n0=20, stay=18, n_boot=2000):
    d1, dc = p1a - p1b, ca - cb
    return {"grpo_seed": seed, "n_boot": n_boot, "pass1_before": p1b, "pass1_after": p1a,
            "delta_pass1": d1, "ci_delta_pass1": ci_p1, "coverage_before": cb, "coverage_after": ca,
            "delta_coverage": dc, "ci_delta_coverage": [dc - 0.02, dc + 0.02],
            "coverage_over_pass1_gain": dc / d1 if d1 > 0 else None,
            "wall_excess": excess, "ci_wall_excess": [excess - 0.02, excess + 0.02],
            "after": {"pass1": [p1a, p1a - 0.01]}, "flattening": sum(ci_flat) / 2,
            "ci_flattening": ci_flat, "delta_mean_over_t": sum(ci_mean) / 2,
            "ci_delta_mean_over_t": ci_mean, "n_zero_before": n0, "zero_stay_zero": stay,
            "n_unsolved_then_solved": n0 - stay}


def _ctx(*runs, p1b=0.482, cb=0.689):
    return {"conditions": {"base": {
        "n_problems": 512, "k": 32, "temperatures": [0.5, 1.0],
        "before": {"pass1_max": p1b, "coverage_max": cb, "pass1": [p1b, p1b - 0.2]},
        "runs": list(runs)}}}


PAPER_LIKE = dict(p1b=0.482, p1a=0.598, cb=0.689, ca=0.742, ci_p1=[0.09, 0.14], excess=-0.0,
                  ci_flat=[0.1, 0.2], ci_mean=[0.1, 0.2])


def _recs(ctx):
    return {r["id"]: r for r in repro_core.evaluate_claims(CLAIMS, ctx, "quick", "rl_wall")}


def test_claim_verdicts():
    assert 0.456 < PAPER_WALL_RATIO < 0.458
    recs = _recs(_ctx(_run(0, **PAPER_LIKE), _run(1, **PAPER_LIKE)))
    assert {r["status"] for r in recs.values()} == {"holds"}
    assert all(r["kind"] == "paper" and r["where"] and r["threshold"] for r in recs.values())
    assert recs["rl_wall.pass1_rises"]["evidence"]["ci"] == [0.09, 0.14]
    assert recs["rl_wall.pass1_rises"]["evidence"]["n"] == 512
    json.dumps(recs)
    # a second seed whose pass@1 gain CI reaches 0: every claim needing the rise fails
    weak = {**PAPER_LIKE, "ci_p1": [-0.01, 0.1]}
    recs = _recs(_ctx(_run(0, **PAPER_LIKE), _run(1, **weak)))
    for k in ("pass1_rises", "coverage_wall", "zero_stays_zero"):
        assert recs[f"rl_wall.{k}"]["status"] == "does not hold"
    assert recs["rl_wall.pass1_rises"]["evidence"]["ci"] == [-0.01, 0.1]     # the weakest seed
    # coverage rising more than 0.457 x pass@1: no wall
    leaky = {**PAPER_LIKE, "ca": 0.8, "excess": 0.01}
    recs = _recs(_ctx(_run(0, **leaky)))
    assert recs["rl_wall.pass1_rises"]["holds"] and not recs["rl_wall.coverage_wall"]["holds"]
    # flatter but not higher (mean-over-temperature gain CI reaches 0)
    flat_only = {**PAPER_LIKE, "ci_mean": [-0.02, 0.05]}
    assert not _recs(_ctx(_run(0, **flat_only)))["rl_wall.temperature_distillation"]["holds"]
    # zero-solve problems mostly solved after RL; and a bare majority that is not significant
    assert not _recs(_ctx(_run(0, **PAPER_LIKE, stay=8)))["rl_wall.zero_stays_zero"]["holds"]
    assert not _recs(_ctx(_run(0, **PAPER_LIKE, n0=6, stay=4)))["rl_wall.zero_stays_zero"]["holds"]


def test_genuine_negatives_are_not_errors():
    # pass@1 falls (no ratio of gains) and no problem was unsolved before RL: findings, so
    # "does not hold", never "error"
    worse = dict(p1b=0.5, p1a=0.45, cb=0.6, ca=0.6, ci_p1=[-0.08, -0.02], excess=0.02,
                 ci_flat=[-0.1, 0.0], ci_mean=[-0.1, -0.01])
    recs = _recs(_ctx(_run(0, **worse, n0=0, stay=0), p1b=0.5, cb=0.6))
    for r in recs.values():
        assert r["status"] == "does not hold", r
