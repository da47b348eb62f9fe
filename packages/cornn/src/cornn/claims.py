"""The paper's headline claims, judged on our results.

Context (built by the ``claims`` stage from tables read with ``repro_core.read_table``):
``bench`` (time to r* per method and data set), ``scaling`` (CORNN time vs n),
``flipflop`` (CORNN-ADMM fits vs trials, with the fixed-point comparison) and ``timed``
(held-out R^2 vs subsampling and time-constant mismatch), all pandas DataFrames.

Every criterion below was fixed before the quick results it judges were seen. Paper
values for the timed-response task are the authors' released results
(``analysis/experiment4-line attractor/{subsampling,timescales}_experiment.npz`` of
schnitzer-lab/CORNN-public: mean over 10 generators, per number of training trials
30/50/100). Wall-clock claims are evaluated at quick/full only, so smoke claims.json is
deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from repro_core import Claim, Evidence, stats

QF = ("quick", "full")
ACC_MARGIN = 0.01   # a priori: our median over networks may fall 0.01 short of the paper's r


def cornn_rows(ctx, exp):
    b = ctx["bench"]
    return b[(b["method"] == "cornn") & (b["exp"] == exp)]


# ----------------------------------------------------------------------------- exp 1 accuracy
def final_r(exp):
    def compute(ctx):
        r = cornn_rows(ctx, exp)["r_final"].to_numpy(float)
        return {"median_r": float(np.median(r)), "min_r": float(r.min()), "networks": len(r)}
    return compute


def final_r_evidence(exp):
    def ev(ctx):
        r = cornn_rows(ctx, exp)["r_final"].to_numpy(float)
        ci = stats.mean_ci(r) if len(r) > 1 else None
        return Evidence(len(r), "networks", test="95% t-interval of the mean r" if ci else None, ci=ci)
    return ev


def init_gain(ctx):
    rows = cornn_rows(ctx, "exp1a")
    gain = (rows["r_final"] - rows["r_init"]).to_numpy(float)
    return {"r_init": float(rows["r_init"].median()), "r_final": float(rows["r_final"].median()),
            "median_gain": float(np.median(gain)), "networks_improved": int((gain > 0).sum()),
            "networks": len(gain)}


def init_gain_evidence(ctx):
    rows = cornn_rows(ctx, "exp1a")
    gain = (rows["r_final"] - rows["r_init"]).to_numpy(float)
    n = len(gain)
    # reported, not judged: holds() compares the median gain with the paper's. With n
    # networks the sign test cannot go below 0.5**n (0.125 for the 3 at quick).
    return Evidence(n, "networks",
                    test=f"one-sided sign test, gain > 0 (descriptive: smallest possible p with "
                         f"{n} networks is {0.5 ** n:.3g}; the verdict is the median gain)",
                    p=stats.sign_test(int((gain > 0).sum()), n),
                    ci=stats.mean_ci(gain) if len(gain) > 1 else None)


# ----------------------------------------------------------------------------- speed
def adam_rows(ctx):
    b = ctx["bench"]
    return b[b["method"] == "adam_ce"]


def speedups(ctx) -> pd.Series:
    """t_Adam(r*) / t_CORNN(r*) per data set. A data set where CORNN never reached r*
    (speed-up undefined, NaN in the table) counts as a failure: CORNN took infinitely
    long, a speed-up of 0 -- never dropped from the median."""
    return adam_rows(ctx)["speedup_vs_cornn"].astype(float).fillna(0.0)


def speedup(ctx):
    a = adam_rows(ctx).assign(s=speedups(ctx))
    per_exp = {exp: float(g["s"].median()) for exp, g in a.groupby("exp")}
    return {"median": float(a["s"].median()), "datasets": len(a),
            "cornn_failed_r_star": int(a["speedup_vs_cornn"].isna().sum()),
            "lower_bound": bool(a["speedup_is_lower_bound"].any()), **per_exp}


def speedup_evidence(ctx):
    s = speedups(ctx)
    return Evidence(len(s), "data sets (networks)",
                    test="one-sided sign test, speed-up >= 100 (capped ratios are lower bounds; "
                         "the verdict is the median)",
                    p=stats.sign_test(int((s >= 100).sum()), len(s)))


def cornn_ahead(ctx) -> pd.Series:
    """Per data set: at CORNN's time to r*, is Adam's best r so far below CORNN's r*?
    Adam without any estimate by then (r_at_cornn_time NaN) is behind; CORNN that never
    reached r* is a failure."""
    a = adam_rows(ctx)
    reached = a["speedup_vs_cornn"].notna()
    adam_r = a["r_at_cornn_time"].astype(float)
    return reached & (adam_r.isna() | (adam_r < a["r_star"].astype(float)))


def ahead_at_cornn_time(ctx):
    ahead = cornn_ahead(ctx)
    adam_r = adam_rows(ctx)["r_at_cornn_time"].astype(float)
    return {"cornn_ahead": int(ahead.sum()), "datasets": len(ahead),
            "adam_without_estimate": int(adam_r.isna().sum()),
            "adam_best_r_at_cornn_time": float(adam_r.fillna(0.0).max()),
            "p_sign_test": stats.sign_test(int(ahead.sum()), len(ahead))}


def ahead_evidence(ctx):
    ahead = cornn_ahead(ctx)
    return Evidence(len(ahead), "data sets (networks)",
                    test="one-sided sign test, CORNN at r* while Adam below r* at the same time",
                    p=stats.sign_test(int(ahead.sum()), len(ahead)))


def force_rows(ctx):
    b = ctx["bench"]
    return b[b["method"] == "force"]


def force_behind(ctx) -> pd.Series:
    """Per data set, at CORNN's converged accuracy (its final r, the authors' comparison
    point): FORCE never reached it within its cap, or took >= 100x CORNN's time to it.
    CORNN's own time to its final r is its time to its last iterate at most."""
    f = force_rows(ctx)
    return (~f["reached_cornn_final"].astype(bool)) | (f["speedup_at_cornn_final"].astype(float) >= 100)


def force_comparison(ctx):
    f = force_rows(ctx)
    behind = force_behind(ctx)
    return {"cornn_ahead": int(behind.sum()), "datasets": len(behind),
            "force_reached_cornn_final": int(f["reached_cornn_final"].astype(bool).sum()),
            "force_best_r_median": float(f["r_best"].median()),
            "cornn_final_r_median": float(f["r_cornn_final"].median()),
            "force_gain_over_start_max": float((f["r_best"] - f["r_init"]).max()),
            "p_sign_test": stats.sign_test(int(behind.sum()), len(behind))}


def force_evidence(ctx):
    behind = force_behind(ctx)
    return Evidence(len(behind), "data sets (networks)",
                    test="one-sided sign test, FORCE short of CORNN's final r (or >= 100x slower "
                         "to it)", p=stats.sign_test(int(behind.sum()), len(behind)))


def million(ctx):
    sc = ctx["scaling"]
    row = sc.loc[sc["n"].idxmax()]
    return {"n": int(row["n"]), "T": int(row["T"]), "r_final": float(row["r_final"]),
            "time_to_target_s": float(row["time_to_target_s"])}


# ----------------------------------------------------------------------------- flip-flop
def smallest_n(ctx):
    ff = ctx["flipflop"]
    g = ff[ff["n"] == ff["n"].min()]
    row = g.loc[g["trials"].idxmax()]
    return {"n": int(row["n"]), "trials": int(row["trials"]), "r": float(row["r"]),
            "output_corr": float(row["output_corr"])}


def trials_trend(ctx):
    """Spearman correlation between number of trials and r, per generator size (min)."""
    ff = ctx["flipflop"]
    rhos = [pd.Series(g["trials"].values).corr(pd.Series(g["r"].values), method="spearman")
            for _, g in ff.groupby("n")]
    return float(np.min(rhos))


def time_exponent(ctx):
    """Exponent b of time ~ trials^b (least squares in log-log), largest generator."""
    g = largest_n(ctx)
    fit = stats.slope_fit(np.log(g["trials"]), np.log(g["time_s"]))
    return {"exponent": fit["slope"], "ci": list(fit["ci"])}


def largest_n(ctx):
    ff = ctx["flipflop"]
    return ff[ff["n"] == ff["n"].max()]


def fixed_points(ctx):
    """Per generator size (the fit with the most trials): the generator's memory states
    (2^K sign patterns held as fixed points) and how many of them the fitted network has
    as a fixed point nearest to the generator's own."""
    ff = ctx["flipflop"]
    out = {}
    for n, g in ff.groupby("n"):
        row = g.loc[g["trials"].idxmax()]
        out[f"n{int(n)}"] = {"states": int(row["fp_states"]), "generator": int(row["fp_generator"]),
                             "recovered": int(row["fp_recovered"])}
    return out


def fixed_points_hold(v):
    return all(d["generator"] == d["states"] and d["recovered"] == d["generator"] for d in v.values())


# ----------------------------------------------------------------------------- timed response
def timed_exp(ctx, exp):
    tm = ctx["timed"]
    return tm[tm["experiment"] == exp]


def r2_all(ctx):
    sub = timed_exp(ctx, "subsampling")
    return float(sub[sub["fraction"] >= 1]["r2"].mean())


def subsampling(ctx):
    sub = timed_exp(ctx, "subsampling")
    per = sub.groupby("fraction")["r2"].mean()
    obs = sub.groupby("fraction")["observed"].first()
    f_min = float(per.index.min())
    return {"smallest_fraction": f_min, "observed_at_smallest": int(obs.loc[f_min]),
            "r2_smallest": float(per.loc[f_min]), "r2_all": float(per.loc[per.index.max()]),
            "gap": float(per.loc[per.index.max()] - per.loc[f_min]),
            "r2_by_fraction": {f"{f:g}": float(v) for f, v in per.items()}}


def subsampling_evidence(ctx):
    sub = timed_exp(ctx, "subsampling")
    small = sub[sub["fraction"] == sub["fraction"].min()]["r2"].to_numpy(float)
    return Evidence(len(small), "random subsets of observed neurons (one generator, 3 held-out trials)",
                    test="95% t-interval of R^2 at the smallest fraction",
                    ci=stats.mean_ci(small) if len(small) > 1 else None)


def mismatch(ctx):
    mm = timed_exp(ctx, "mismatch")
    per = mm.groupby("alpha_sd")["r2"].mean()
    small = per[per.index <= 0.03 + 1e-12]
    large = per[per.index >= 0.05 - 1e-12]
    return {"r2_min_s_le_0.03": float(small.min()),
            "r2_s_ge_0.05": float(large.mean()) if len(large) else float("nan"),
            "r2_by_s": {f"{s:g}": float(v) for s, v in per.items()},
            "observed": int(mm["observed"].iloc[0])}


def mismatch_evidence(ctx):
    mm = timed_exp(ctx, "mismatch")
    reps = int(mm.groupby("alpha_sd").size().min())
    return Evidence(reps, "draws of the per-neuron time constants per s (one generator)")


def single(what):
    return lambda ctx: Evidence(1, what)


TIMED_SRC = ("authors' released results (CORNN-public, experiment4 *_experiment.npz, "
             "mean of 10 generators of 5000 neurons)")

CLAIMS = [
    Claim(id="cornn.exp1a_accuracy", kind="paper", where="Sec. 4, Fig. 2 (exp 1a)",
          statement="CORNN recovers the weights of a random network (exp 1a: n=200, T=3000)",
          paper="r = 0.980 (0.961 after 0.15 s)", compute=final_r("exp1a"),
          holds=lambda v: v["median_r"] >= 0.980 - ACC_MARGIN,
          criterion="median over networks of r(true W, CORNN W) >= 0.970",
          threshold="the paper's r = 0.980, less a margin of 0.01 fixed a priori for the "
                    "network-to-network spread of a median over few networks",
          evidence=final_r_evidence("exp1a")),
    Claim(id="cornn.exp1c_accuracy", kind="paper", where="Sec. 4, Fig. 2 (exp 1c)",
          statement="CORNN recovers the weights of a larger, noisier network (exp 1c: n=500, T=10000)",
          paper="r = 0.990 at 1.15 s", compute=final_r("exp1c"),
          holds=lambda v: v["median_r"] >= 0.990 - ACC_MARGIN,
          criterion="median over networks of r(true W, CORNN W) >= 0.980",
          threshold="the paper's r = 0.990, less the a-priori margin of 0.01",
          evidence=final_r_evidence("exp1c")),
    Claim(id="cornn.iterations_improve_init", kind="paper", where="Sec. 4, Fig. 2 (exp 1a)",
          statement="CORNN's weighted iterations improve on the ridge (current-space) initialisation",
          paper="r 0.874 at init -> 0.980 (gain +0.106, exp 1a)", compute=init_gain,
          holds=lambda v: v["median_gain"] >= 0.106 - 2 * ACC_MARGIN,
          criterion="median over networks of r_final - r_init >= 0.086 (exp 1a)",
          threshold="the paper's gain 0.106, less 0.02 (the a-priori 0.01 margin on each of "
                    "the two r values)",
          evidence=init_gain_evidence),
    Claim(id="cornn.speedup_vs_adam", kind="paper", where="Abstract; Sec. 4, Fig. 2",
          statement="CORNN is ~100-fold faster than gradient descent (Adam, CE loss) at the same accuracy",
          paper="~100x (exp 1a: 0.980 at 0.46 s vs ~98 s; exp 1c: 1.15 s vs 226 s)",
          compute=speedup, holds=lambda v: v["median"] >= 100,
          criterion="median over data sets of t_Adam(r*) / t_CORNN(r*) >= 100, r* = 0.98 x "
                    "CORNN's final r on that data set; Adam started as the authors started it "
                    "(exp 1a: ridge, lambda = 1e-4 T; exp 1c: PyTorch's default init). Adam "
                    "stops at min(adam_max_time, adam_time_factor x CORNN's time to r*) (150 s, "
                    "150x at quick; 1200 s, 300x at full): when it has not reached r* by then "
                    "(lower_bound=true) the ratio is its cap, a lower bound, so ours is at most "
                    "the cap. Fails when Adam reaches r* within 100x CORNN's time, or when CORNN "
                    "never reaches r* (that data set counts as speed-up 0)",
          threshold="the paper's ~100-fold (the authors compare at CORNN's converged r; r* = "
                    "0.98 x CORNN's final r fixed before the results, issue 29)",
          evidence=speedup_evidence, evaluate_at=QF),
    Claim(id="cornn.ahead_at_cornn_time", kind="paper", where="Sec. 4, Fig. 2 (accuracy vs time)",
          statement="When CORNN has reached r*, Adam (CE loss) has not: at CORNN's wall time "
                    "gradient descent is still far from the weights",
          paper="exp 1a: CORNN r = 0.980 at 0.46 s, Adam needs ~98 s",
          compute=ahead_at_cornn_time, holds=lambda v: v["p_sign_test"] < 0.05,
          criterion="data sets where CORNN reaches r* (0.98 x its final r) while Adam's best r "
                    "by that time is below r* (or Adam has no estimate yet): one-sided sign test "
                    "p < 0.05",
          threshold="the paper's curves (Adam reaches r* ~100x later); sign test at 0.05 fixed "
                    "a priori", evidence=ahead_evidence, evaluate_at=QF),
    Claim(id="cornn.beats_force", kind="paper", where="Sec. 4, Fig. 2 (exp 1a)",
          statement="FORCE, run as the authors ran it (free-running, from the ridge fit), does "
                    "not reach CORNN's accuracy: CORNN converges where FORCE stays near its start",
          paper="exp 1a: FORCE 0.879 -> 0.876 over 100 passes; CORNN r = 0.980",
          compute=force_comparison, holds=lambda v: v["p_sign_test"] < 0.05,
          criterion="data sets where FORCE does not reach CORNN's final r within its cap "
                    "(min(force_max_time, force_time_factor x CORNN's time to r*)) or needs >= "
                    "100x CORNN's time to it: one-sided sign test p < 0.05",
          threshold="the authors' comparison at CORNN's converged accuracy (r* = 0.98 x final r "
                    "is below FORCE's ridge start on exp 1c, a vacuous target); the 100x of the "
                    "speed-up claim and the sign test at 0.05 fixed before the results (issue 29)",
          evidence=force_evidence, evaluate_at=QF),
    Claim(id="cornn.million_weights_subminute", kind="paper", where="Abstract; Sec. 4, Fig. 3",
          statement="A network with 1 M weights (n=1000, T=20000) is fitted to r >= 0.99 in under a minute",
          paper="sub-minute on a standard computer", compute=million,
          holds=lambda v: v["n"] >= 1000 and v["r_final"] >= 0.99 and v["time_to_target_s"] < 60,
          criterion="n >= 1000, r >= 0.99, time to r >= 0.99 < 60 s (CPU seconds, 1 thread)",
          threshold="the paper's 'subminute' (60 s) for millions of weights",
          evidence=single("network (single seed)"), evaluate_at=QF),
    Claim(id="cornn.flipflop_recovery", kind="paper", where="Sec. 5, Fig. 4",
          statement="Small flip-flop networks (n=100) are recovered by CORNN-ADMM with r ~ 1 and readout correlation ~ 1",
          paper="r ~ 1, output correlation ~ 1 (n=100)", compute=smallest_n,
          holds=lambda v: v["r"] >= 0.99 and v["output_corr"] >= 0.99,
          criterion="r >= 0.99 and readout correlation >= 0.99 (smallest n, most trials)",
          threshold="the paper's ~1, read a priori as >= 0.99",
          evidence=single("generator (single seed)")),
    Claim(id="cornn.flipflop_fixed_points", kind="paper", where="Sec. 5, Fig. 4",
          statement="The fitted network has the flip-flop generator's fixed-point structure: "
                    "each of its 2^3 memory states is recovered as a fixed point of the fit",
          paper="fixed points of generator and CORNN network coincide (Fig. 4)",
          compute=fixed_points, holds=fixed_points_hold,
          criterion="for every generator size: the generator holds all 2^K sign patterns as "
                    "fixed points, and for each the fitted network settles (from the same "
                    "pulses) to a fixed point with the same readout signs whose nearest "
                    "generator fixed point is the matching one",
          threshold="the paper's 'recovered' read a priori as all 2^K attractors, "
                    "nearest-neighbour matched", evidence=single("generator per size (single seed)")),
    Claim(id="cornn.flipflop_trials", kind="paper", where="Sec. 5, Fig. 4",
          statement="Weight recovery improves with the number of trials",
          paper="accuracy grows with trials", compute=trials_trend,
          holds=lambda v: v > 0.5, criterion="Spearman rho(trials, r) > 0.5 for every n",
          threshold="the paper's rising curve; rho > 0.5 fixed a priori",
          evidence=single("generator per size (single seed)"), scales=("smoke", "quick", "full")),
    Claim(id="cornn.flipflop_time_linear", kind="paper", where="Sec. 5, Fig. 4",
          statement="CORNN's fit time grows linearly with the number of trials",
          paper="time linear in trials", compute=time_exponent,
          holds=lambda v: abs(v["exponent"] - 1) <= 0.2,
          criterion="exponent b of time ~ trials^b (largest n) within 1 +- 0.2",
          threshold="the paper's 'linear' (b = 1) with a tolerance of 0.2 fixed a priori",
          evidence=lambda ctx: Evidence(len(largest_n(ctx)), "trial counts (one generator)",
                                        test="95% CI of the log-log slope",
                                        ci=tuple(time_exponent(ctx)["ci"])),
          evaluate_at=QF),
    Claim(id="cornn.timed_heldout_r2", kind="paper", where="Sec. 5, Fig. 5",
          statement="The fitted rate network, run free, reproduces held-out trials of a current-based generator",
          paper="R^2 0.81-0.90 (all 5000 neurons; 30-100 trials)", compute=r2_all,
          holds=lambda v: v >= 0.81,
          criterion="mean held-out R^2 (all neurons observed) >= 0.81",
          threshold="the lowest of the paper's values (" + TIMED_SRC + ")",
          evidence=single("generator (single seed); R^2 over 3 held-out trials")),
    Claim(id="cornn.timed_subsampling", kind="paper", where="Sec. 5, Fig. 5",
          statement="With 2% of the neurons observed the fit still predicts held-out trials "
                    "(R^2 ~0.35), and prediction improves as more neurons are observed (~0.85)",
          paper="R^2 0.33-0.41 at 2% -> 0.81-0.90 at 100% (gap 0.40-0.54)", compute=subsampling,
          holds=lambda v: v["r2_smallest"] >= 0.33 and v["gap"] >= 0.40,
          criterion="R^2(2%) >= 0.33 and R^2(100%) - R^2(2%) >= 0.40",
          threshold="the lowest of the paper's values at 2% and the smallest of its gaps (" + TIMED_SRC + ")",
          evidence=subsampling_evidence,
          note="2% of our 300-neuron generator is 6 neurons, the paper's 2% of 5000 is 101 "
               "(see README: at ~100 observed neurons R^2 is measured separately)"),
    Claim(id="cornn.timed_alpha_mismatch", kind="paper", where="Sec. 5, Fig. 5 and Fig. S6",
          statement="Robust to time-constant mismatch up to s = 0.03, collapsing by s = 0.05",
          paper="R^2 0.63-0.76 for s <= 0.03; -0.12..0.18 at s = 0.05", compute=mismatch,
          holds=lambda v: v["r2_min_s_le_0.03"] >= 0.63 and v["r2_s_ge_0.05"] <= 0.2,
          criterion="min R^2 over s <= 0.03 >= 0.63 and mean R^2 over s >= 0.05 <= 0.2",
          threshold="the lowest of the authors' values at s <= 0.03 (0.63), "
                    "and 'collapse' = R^2 <= 0.2, the top of the authors' range at s = 0.05 (" + TIMED_SRC + ")",
          evidence=mismatch_evidence),
]
