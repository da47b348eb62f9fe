"""The issue's claims, each computed from the per-network table of ``analyse``.

All four are claims of the paper (kind "paper"). The paper states them qualitatively, so every
criterion's number is ours and each ``threshold`` says so; issue 25 adds the tests (Wilcoxon,
Fisher exact) that the two bare comparisons still lack."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import binomtest

from repro_core import Claim, Evidence


def speed_ratios(rt: pd.DataFrame, lam_ref: float, rule: str) -> pd.Series:
    """steps-to-learn(lambda = lam_ref) / steps-to-learn(lambda = 0) for every
    (task, seed, gain) pair of ``rule``; a run that never learns counts as
    taking the whole training (censored); pairs where neither learns are left out."""
    sel = rt[rt.rule == rule]
    key = ["task", "seed", "gain"]
    base = sel[np.isclose(sel.lam, 0.0)].set_index(key)
    reg = sel[np.isclose(sel.lam, lam_ref)].set_index(key)
    both = base.join(reg, lsuffix="_0", rsuffix="_r", how="inner")
    both = both[both.learned_0 | both.learned_r]
    s0 = both.steps_to_learn_0.fillna(both.n_steps_0)
    sr = both.steps_to_learn_r.fillna(both.n_steps_r)
    return sr / s0


def build_context(rt: pd.DataFrame, lam_ref: float) -> dict:
    rt = rt.copy()
    for c in ("learned", "abrupt"):
        rt[c] = rt[c].astype(bool)
    if not np.isclose(rt.lam, lam_ref).any():
        raise ValueError(f"claims.lam_ref={lam_ref} is not one of the trained lambdas {sorted(rt.lam.unique())}")
    return {"runs": rt, "lam_ref": lam_ref}


def _abrupt(ctx):
    sel = ctx["runs"][(ctx["runs"].rule == "bptt") & np.isclose(ctx["runs"].lam, 0.0)]
    out = {f"frac_{t}": float(g.abrupt.mean()) for t, g in sel.groupby("task")}
    out["frac_all"] = float(sel.abrupt.mean())
    out["n_runs"] = int(len(sel))
    return out


def _gr(ctx):
    sel = ctx["runs"][ctx["runs"].abrupt]
    lead = sel.lead.to_numpy(float)
    # No abrupt run at all, or no GR peak in any, is a finding (the claim does not hold), not
    # missing data: the statistics that need them are then left out rather than NaN.
    out = {"n_abrupt_runs": int(len(sel))}
    if len(sel):
        out.update({"frac_lead_positive": float(np.mean(lead > 0)),
                    "frac_gr_detected": float(np.mean(np.isfinite(lead))),
                    # one-sided sign test against "GR peak before or after the drop is a coin flip"
                    "sign_test_p": float(binomtest(int(np.sum(lead > 0)), len(sel), 0.5,
                                                   alternative="greater").pvalue)})
    if np.isfinite(lead).any():
        out["median_lead_steps"] = float(np.nanmedian(lead))
    return out


def _gr_holds(v):
    return v["n_abrupt_runs"] > 0 and v["frac_lead_positive"] > 0.5 and v["sign_test_p"] < 0.05


def _speed(ctx):
    out = {}
    for rule in ("bptt", "rflo"):
        r = speed_ratios(ctx["runs"], ctx["lam_ref"], rule)
        # no pair in which either run learned is a finding (no speed-up shown), not missing data:
        # the median is then left out rather than NaN, and the claim does not hold
        if len(r):
            out[f"median_ratio_{rule}"] = float(r.median())
        out[f"n_pairs_{rule}"] = int(len(r))
    return out


def _speed_holds(v):
    return all(v[f"n_pairs_{rule}"] > 0 and v[f"median_ratio_{rule}"] < 1 for rule in ("bptt", "rflo"))


def _gain(ctx):
    rt = ctx["runs"]
    g = rt.gain.max()
    sel = rt[np.isclose(rt.gain, g)]
    f0 = sel[np.isclose(sel.lam, 0.0)].learned.mean()
    fr = sel[np.isclose(sel.lam, ctx["lam_ref"])].learned.mean()
    out = {"gain": float(g), "frac_learned_lam0": float(f0), "frac_learned_reg": float(fr)}
    for rule, s in sel.groupby("rule"):
        out[f"{rule}_lam0"] = float(s[np.isclose(s.lam, 0.0)].learned.mean())
        out[f"{rule}_reg"] = float(s[np.isclose(s.lam, ctx["lam_ref"])].learned.mean())
    return out


def _n_at_max_gain(ctx) -> int:
    rt = ctx["runs"]
    sel = rt[np.isclose(rt.gain, rt.gain.max())]
    return int((np.isclose(sel.lam, 0.0) | np.isclose(sel.lam, ctx["lam_ref"])).sum())


CLAIMS = [
    Claim(id="abrupt_learning.abrupt",
          statement="RNNs trained on memory tasks show a search phase, a plateau, then a sudden loss drop in most runs",
          paper="plateau then sudden drop across tasks (abstract; Fig. 1)",
          compute=_abrupt, holds=lambda v: v["frac_all"] > 0.5,
          criterion="fraction of BPTT runs (lambda = 0) with a plateau then a >= 10x drop within <= 20% of "
                    "training > 0.5",
          kind="paper", where="abstract; Fig. 1",
          threshold="ours: 'most runs' read as > 1/2, and the detector's 10x drop within "
                    "20% of training is ours (the paper gives no number); no binomial CI yet (issue 25)",
          evidence=lambda ctx: Evidence(_abrupt(ctx)["n_runs"], "BPTT runs at lambda = 0 (tasks x seeds x gains)")),
    Claim(id="abrupt_learning.gr_precedes",
          statement="Geometric restructuring of the trajectories precedes the loss drop",
          paper="GR events precede the drop (abstract; Figs. 2-3)",
          compute=_gr, holds=_gr_holds,
          criterion="among abrupt runs, fraction whose peak of Procrustes change precedes the fastest loss "
                    "decrease (lead > 0) > 0.5, and a one-sided sign test against a coin flip gives p < 0.05 "
                    "(with 8 abrupt runs: at least 7 leads)",
          kind="paper", where="abstract; Figs. 2-3",
          threshold="ours: the paper gives no number; a majority of leads that also "
                    "beats a coin flip (one-sided sign test, p < 0.05)",
          evidence=lambda ctx: (lambda v: Evidence(v["n_abrupt_runs"], "abrupt runs",
                                                   test="one-sided sign test (lead > 0 vs a coin flip)",
                                                   p=v.get("sign_test_p")))(_gr(ctx))),
    Claim(id="abrupt_learning.reg_speedup",
          statement="Temporal consistency regularisation reduces the steps needed to learn, for BPTT and for a "
                    "bio-plausible rule",
          paper="regularisation accelerates (bio-plausible) training (abstract)",
          compute=_speed, holds=_speed_holds,
          criterion="median steps-to-learn ratio (lambda_ref / lambda = 0) < 1 for BPTT and for RFLO",
          kind="paper", where="abstract",
          threshold="direction only (ratio < 1): the paper gives no number; a bare comparison of medians, "
                    "no test yet (issue 25 adds a Wilcoxon test on paired log ratios)",
          evidence=lambda ctx: (lambda v: Evidence(v["n_pairs_bptt"] + v["n_pairs_rflo"],
                                                   "paired runs (task, seed, gain), BPTT and RFLO"))(_speed(ctx))),
    Claim(id="abrupt_learning.strong_coupling",
          statement="With strong initial coupling (large g), the fraction of runs that learn rises with the "
                    "regulariser",
          paper="regularisation enables learning in strongly connected networks (abstract)",
          compute=_gain, holds=lambda v: v["frac_learned_reg"] > v["frac_learned_lam0"],
          criterion="at the largest gain: fraction learned with lambda_ref > fraction learned with lambda = 0",
          kind="paper", where="abstract",
          threshold="direction only: the paper gives no number; a bare comparison of fractions, no test "
                    "yet (issue 25 adds Fisher's exact test)",
          evidence=lambda ctx: Evidence(_n_at_max_gain(ctx), "runs at the largest gain (lambda = 0 and lambda_ref)")),
]
