"""From the trained models' evaluations to relative distances, the fitted hierarchical
Bayesian model, correlations and transition times.

Rows are (seed, D, checkpoint). The paper's fit and correlations are on one training run per
setting (our first seed); every seed is fitted on its own for the spread over seeds.

The authors' interpolation-threshold filter (DanielWurgaft/rational-icl,
``find_approximate_interpolation_threshold``, applied before the fit in
``analysis_pipeline.py``): per D, the first checkpoint at which the transformer's distance to
the M-G mixture at its own relative distance (``urns.interpolation_distance``, ID) falls below
min + 0.2 (max - min) of that D's values; the latest of these over D is the threshold, and only
checkpoints at or after it are fitted (first 80% of *those* checkpoints and of D) and
correlated. Early checkpoints, where the barely trained model is near uniform and no mixture of
M and G describes it, are thereby left out. ``interpolation_filter: false`` fits and correlates
every row; both analyses are reported whichever is the headline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as st

from repro_core import load_npz, progress, save_csv, save_json, save_npz
from repro_core.seeding import derive_seed

from . import bms, urns

KEYS = ("K_M", "K_G", "L_M", "L_G")


@dataclass(kw_only=True)
class AnalyzeConfig:
    n_loss: int  # sequences for each strategy's in-distribution loss L_s
    fit_fraction: float  # fit on the first 80% of checkpoints and of D values (paper)
    crossing: float  # relative distance taken as "at M" (> ) or "at G" (<)
    after_step: int              # transient G phase: only checkpoints from here on (the rule
                                 # passes train.warmup: before it the barely trained model is near uniform)
    interpolation_filter: bool  # the authors' row filter for the fit and correlations
    interpolation_percentile: float  # authors' threshold_percentile (urns / categorical)
    n_boot: int                  # bootstrap resamples for the transition-time slope
    n_boot_noise: int            # bootstrap resamples of the evaluation sequences (noise ceiling)
    seed: int = 0


TABLE_COLUMNS = ("seed", "D", "step", "train_loss", "kl_T_id", "kl_T_ood", "r_id", "r_ood", "d_interp_id", "included", "fit")
# r_id_sd (evaluation-noise sd of r_id) is computed for the primary seed only, empty elsewhere


def table_grid(summary: dict) -> dict:
    """The rows table.csv must have: every (seed, D, checkpoint) the analysis saw."""
    return {"seed": summary["seeds"], "D": summary["n_tasks"], "step": summary["steps"]}


def _ce(theta: np.ndarray, probs: np.ndarray) -> float:
    """Mean cross-entropy (nats/token) of predictions [n, C, V] against the tasks [n, V]."""
    return float(-(theta[:, None, :] * np.log(np.maximum(probs, urns.EPS))).sum(-1).mean())


def strategy_losses(pool: np.ndarray, context: int, n: int, seed: int) -> dict:
    """L_M, L_G: in-distribution cross-entropy of each strategy, on n fresh pool sequences."""
    rng = np.random.default_rng(seed)
    theta = pool[rng.integers(0, len(pool), size=n)]
    tok = urns.sample_sequences(rng, theta, context)
    return {"L_M": _ce(theta, urns.memorizing_probs(tok, pool)),
            "L_G": _ce(theta, urns.generalizing_probs(tok, pool.shape[1]))}


def load_runs(paths: list) -> dict:
    """(training seed, D) -> dict of that model's arrays, from every train output."""
    out = {}
    for p in paths:
        z = load_npz(p)
        if "seed" not in z:
            raise ValueError(f"{p}: no 'seed' entry (written by an older train stage); "
                             "delete it or --forcerun icl_rational_train")
        s = int(z["seed"])
        for m, D in enumerate(z["n_tasks"].tolist()):
            if (s, int(D)) in out:
                raise ValueError(f"{p}: seed {s}, D = {D} is also in another run file")
            out[(s, int(D))] = {"steps": z["steps"], "id_probs": z["id_probs"][:, m],
                                "ood_probs": z["ood_probs"][:, m], "train_loss": z["train_loss"][:, m],
                                "pool": z[f"pool_{D}"], "id_theta": z[f"id_theta_{D}"],
                                "id_tokens": z[f"id_tokens_{D}"], "ood_theta": z["ood_theta"],
                                "ood_tokens": z["ood_tokens"]}
    return dict(sorted(out.items()))


def fit_rows(table: pd.DataFrame, fraction: float) -> np.ndarray:
    """The paper's split: the first ceil(80%) of checkpoints and of D values are fitted."""
    steps = np.sort(table["step"].unique())
    Ds = np.sort(table["D"].unique())
    s_fit = steps[:math.ceil(len(steps) * fraction)]
    d_fit = Ds[:math.ceil(len(Ds) * fraction)]
    return (table["step"].isin(s_fit) & table["D"].isin(d_fit)).to_numpy()


def interpolation_threshold(table: pd.DataFrame, percentile: float = 0.2,
                            col: str = "d_interp_id") -> float:
    """The authors' approximate interpolation threshold for one run (one seed): per D the first
    step at which ``col`` < min + percentile * (max - min) of that D's values; the maximum over
    D (inf when some D never falls below its threshold, e.g. a constant distance)."""
    firsts = []
    for _, g in table.sort_values("step").groupby("D"):
        v = g[col].to_numpy(float)
        below = np.flatnonzero(v < v.min() + percentile * (v.max() - v.min()))
        firsts.append(float(g["step"].iloc[below[0]]) if len(below) else math.inf)
    return max(firsts) if firsts else math.inf


def fisher_ci(r: float, n: int, level: float = 0.95) -> tuple[float, float]:
    """Fisher-z interval of a Pearson r over n pairs (NaN when n < 4). Nominal: it treats the
    n (checkpoint, D) rows as independent, so for checkpoints along one training run it is
    too narrow, which makes 'the paper's r lies in or below it' a stricter test, not a looser one."""
    if n < 4 or not np.isfinite(r):
        return (math.nan, math.nan)
    z = math.atanh(float(np.clip(r, -1 + 1e-15, 1 - 1e-15)))
    h = st.norm.ppf(0.5 + level / 2) / math.sqrt(n - 3)
    return (math.tanh(z - h), math.tanh(z + h))


def pearson(x, y) -> dict:
    """Pearson r with its Fisher-z 95% interval and n; r is NaN with fewer than 3 pairs."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    n = len(x)
    r = float(np.corrcoef(x, y)[0, 1]) if n > 2 else math.nan
    lo, hi = fisher_ci(r, n)
    return {"r": r, "ci": [lo, hi], "n": int(n)}


def loglog_slope(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def slope_bootstrap(D, N, n_boot: int, seed: int, level: float = 0.95) -> dict:
    """Least-squares slope of log N on log D over (D, seed) points, with a percentile bootstrap
    interval from resampling the points with replacement (resamples with fewer than two
    distinct D, where the slope is undefined, are skipped and counted)."""
    D, N = np.asarray(D, float), np.asarray(N, float)
    out = {"n_points": int(len(D)), "n_D": int(len(np.unique(D))), "slope": math.nan,
           "ci": [math.nan, math.nan], "n_boot_used": 0}
    if out["n_D"] < 2:
        return out
    x, y = np.log(D), np.log(N)
    out["slope"] = float(np.polyfit(x, y, 1)[0])
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(x), size=(n_boot, len(x)))
    xs, ys = x[idx], y[idx]
    xm, ym = xs.mean(1, keepdims=True), ys.mean(1, keepdims=True)
    sxx = ((xs - xm) ** 2).sum(1)
    ok = sxx > 1e-12
    b = ((xs - xm) * (ys - ym)).sum(1)[ok] / sxx[ok]
    if len(b) >= 2:
        q = 100 * (1 - level) / 2
        out["ci"] = [float(np.percentile(b, q)), float(np.percentile(b, 100 - q))]
    out["n_boot_used"] = int(ok.sum())
    return out


def r_sampling_sd(probs, mem, gen, n_boot: int, rng: np.random.Generator) -> float:
    """Standard deviation of the relative distance over bootstrap resamples of the evaluation
    sequences (axis 0 of ``probs``, ``mem``, ``gen``): how much of r is evaluation noise."""
    n = len(probs)
    vals = [urns.relative_distance(probs[j], mem[j], gen[j])
            for j in (rng.integers(0, n, n) for _ in range(n_boot))]
    return float(np.std(vals, ddof=1))


def noise_ceiling(r_obs, w_pred, sd) -> dict:
    """Attenuation of r(predicted, observed) by evaluation noise (classical test theory): the
    observed r's reliability 1 - mean(sd^2) / var(r_obs), the highest correlation a noiseless
    predictor could reach against it, sqrt(reliability), and the disattenuated correlation
    r / sqrt(reliability), i.e. what infinitely many evaluation sequences would give."""
    r_obs, w_pred, sd = (np.asarray(a, float) for a in (r_obs, w_pred, sd))
    var = r_obs.var(ddof=1) if len(r_obs) > 1 else math.nan
    rel = 1.0 - float(np.mean(sd ** 2)) / var if var > 0 else math.nan
    r = float(np.corrcoef(w_pred, r_obs)[0, 1]) if len(r_obs) > 2 else math.nan
    ok = np.isfinite(rel) and rel > 0
    return {"reliability": rel, "ceiling": math.sqrt(rel) if ok else math.nan,
            "r": r, "disattenuated": r / math.sqrt(rel) if ok else math.nan,
            "mean_sd": float(np.mean(sd)) if len(sd) else math.nan, "n": int(len(r_obs))}


def last_crossing(steps, r, crossing: float):
    """First checkpoint from which the relative distance stays above ``crossing`` to the end
    (the transformer's own G -> M transition time); None when the run does not end above it, or
    was above it from its first checkpoint (the transition was not observed)."""
    above = np.asarray(r) > crossing
    if not above[-1] or above.all():
        return None
    k = len(above) - int(np.argmin(above[::-1]))
    return int(np.asarray(steps)[k])


def _fit(rows: pd.DataFrame, runs: dict, per: dict, inputs: dict, fraction: float) -> dict:
    """Fit the Bayesian model on the paper's 80% split of ``rows`` (one seed) and predict w_M
    for every one of them; correlations over all of ``rows`` and over the held-out part."""
    fit = fit_rows(rows, fraction) if len(rows) else np.zeros(0, bool)
    fit_list = []
    for (_, row) in rows[fit].iterrows():
        key = (int(row["seed"]), int(row["D"]))
        i = int(np.flatnonzero(runs[key]["steps"] == row["step"])[0])
        fit_list.append({"N": float(row["step"]), "T": runs[key]["id_probs"][i],
                         "M": inputs[key][0], "G": inputs[key][1], **{k: per[key][k] for k in KEYS}})
    if not fit_list:
        nan = math.nan
        return {"params": {"alpha": nan, "beta": nan, "gamma": nan, "loss": nan, "success": False,
                           "n_rows": 0},
                "w_pred": np.full(len(rows), nan), "fit": fit, "corr_id": pearson([], []),
                "corr_ood": pearson([], []), "heldout_id": pearson([], []), "heldout_ood": pearson([], [])}
    params = bms.fit(fit_list)
    p = (params["alpha"], params["beta"], params["gamma"])
    w = np.array([float(bms.weight_m(p, n, *(per[(int(s), int(d))][k] for k in KEYS)))
                  for s, d, n in zip(rows["seed"], rows["D"], rows["step"])])
    held = ~fit
    return {"params": params, "w_pred": w, "fit": fit,
            "corr_id": pearson(w, rows["r_id"]), "corr_ood": pearson(w, rows["r_ood"]),
            "heldout_id": pearson(w[held], rows["r_id"].to_numpy()[held]),
            "heldout_ood": pearson(w[held], rows["r_ood"].to_numpy()[held])}


def _fit_summary(f: dict, threshold: float) -> dict:
    return {"params": f["params"], "threshold_step": threshold,
            "n_rows": f["corr_id"]["n"], "n_fit_rows": int(np.sum(f["fit"])),
            **{k: f[k] for k in ("corr_id", "corr_ood", "heldout_id", "heldout_ood")}}


def analyze(cfg: AnalyzeConfig, runs: list[Path], summary: Path, table: Path, curves: Path) -> None:
    """M and G predictors, relative distances, the fitted Bayesian model and N*(D) from ``runs``,
    the npz files the train stage wrote (any seeds, any grouping of D values)."""
    runs = load_runs(runs)
    seeds = sorted({s for s, _ in runs})
    primary = seeds[0]
    rows, per, inputs, arrays = [], {}, {}, {}
    for (s, D), r in progress(runs.items(), desc="strategies per (seed, D)", total=len(runs)):
        C, V = r["id_probs"].shape[-2:]
        mem = {"id": urns.memorizing_probs(r["id_tokens"], r["pool"]),
               "ood": urns.memorizing_probs(r["ood_tokens"], r["pool"])}
        gen = {"id": urns.generalizing_probs(r["id_tokens"], V),
               "ood": urns.generalizing_probs(r["ood_tokens"], V)}
        theta = {"id": r["id_theta"], "ood": r["ood_theta"]}
        probs = {"id": r["id_probs"], "ood": r["ood_probs"]}
        K = bms.complexities(r["pool"])
        L = strategy_losses(r["pool"], C, cfg.n_loss, derive_seed(cfg.seed, "loss", s, D))
        kl_pos = {f"{w}_{sp}": urns.kl(theta[sp][:, None, :], p[sp]).mean(0)
                  for sp in ("id", "ood") for w, p in (("M", mem), ("G", gen))}
        per[(s, D)] = {**K, **L, "n_symbols": int(V), "context": int(C),
                       **{f"kl_{k}": float(v.mean()) for k, v in kl_pos.items()}}
        inputs[(s, D)] = (mem["id"], gen["id"])
        kl_T = {sp: urns.kl(theta[sp][None, :, None, :], probs[sp]).mean(1) for sp in ("id", "ood")}
        noise_rng = np.random.default_rng(derive_seed(cfg.seed, "noise", s, D))
        if s == primary:
            for k, v in kl_pos.items():
                arrays[f"kl_{k}_{D}"] = v
            arrays[f"kl_T_id_{D}"], arrays[f"kl_T_ood_{D}"] = kl_T["id"], kl_T["ood"]
        for i, step in enumerate(r["steps"].tolist()):
            rows.append({"seed": s, "D": D, "step": int(step), "train_loss": float(r["train_loss"][i]),
                         "kl_T_id": float(kl_T["id"][i].mean()), "kl_T_ood": float(kl_T["ood"][i].mean()),
                         "r_id": urns.relative_distance(probs["id"][i], mem["id"], gen["id"]),
                         "r_ood": urns.relative_distance(probs["ood"][i], mem["ood"], gen["ood"]),
                         "d_interp_id": urns.interpolation_distance(probs["id"][i], mem["id"], gen["id"]),
                         "r_id_sd": (r_sampling_sd(probs["id"][i], mem["id"], gen["id"], cfg.n_boot_noise,
                                                   noise_rng) if s == primary else math.nan)})
    tab = pd.DataFrame(rows)
    head = "filtered" if cfg.interpolation_filter else "all"
    tab["included"], tab["fit"], tab["w_pred"] = False, False, np.nan
    fits, seed_fits, thresholds = {}, {}, {}
    for s in seeds:
        sel = (tab["seed"] == s).to_numpy()
        thr = interpolation_threshold(tab[sel], cfg.interpolation_percentile)
        thresholds[s] = thr
        inc = sel & (tab["step"] >= thr).to_numpy()
        tab.loc[inc, "included"] = True
        use = inc if cfg.interpolation_filter else sel
        f = _fit(tab[use], runs, per, inputs, cfg.fit_fraction)
        tab.loc[use, "w_pred"] = f["w_pred"]
        tab.loc[np.flatnonzero(use)[f["fit"]], "fit"] = True
        seed_fits[str(s)] = _fit_summary(f, thr)
        if s == primary:
            fits[head] = seed_fits[str(s)]
            other = sel if cfg.interpolation_filter else inc
            fits["all" if cfg.interpolation_filter else "filtered"] = _fit_summary(
                _fit(tab[other], runs, per, inputs, cfg.fit_fraction), thr)
            params = f["params"]
    # rows outside the fitted set (filtered out): the seed's model predicts them too
    for s in seeds:
        miss = (tab["seed"] == s) & tab["w_pred"].isna()
        pf = seed_fits[str(s)]["params"]
        if miss.any() and np.isfinite(pf["alpha"]):
            p = (pf["alpha"], pf["beta"], pf["gamma"])
            tab.loc[miss, "w_pred"] = [float(bms.weight_m(p, n, *(per[(s, int(d))][k] for k in KEYS)))
                                       for d, n in zip(tab.loc[miss, "D"], tab.loc[miss, "step"])]

    prim = tab[tab["seed"] == primary]
    noise = {k: noise_ceiling(g["r_id"], g["w_pred"], g["r_id_sd"])
             for k, g in (("filtered", prim[prim["included"]]), ("all", prim))}
    noise["sd_by_D"] = {str(int(D)): float(g["r_id_sd"].mean()) for D, g in prim.groupby("D")}
    noise["n_eval"] = int(next(iter(runs.values()))["id_probs"].shape[1])

    Ds = sorted({D for _, D in runs})
    pd_ = {D: per[(primary, D)] for D in Ds if (primary, D) in per}
    p = (params["alpha"], params["beta"], params["gamma"])
    nstar = {int(D): float(bms.transition_time(p, *(v[k] for k in KEYS))) for D, v in pd_.items()}
    finite = [D for D in nstar if np.isfinite(nstar[D])]
    inner = Ds[1:-1]
    per_seed, points = {}, []
    for s in seeds:
        ps = {}
        for D in Ds:
            g = tab[(tab["seed"] == s) & (tab["D"] == D)].sort_values("step")
            if g.empty:
                continue
            rr, steps = g["r_id"].to_numpy(), g["step"].to_numpy()
            after = steps[:-1] >= cfg.after_step           # after warm-up, before the end
            n_t = last_crossing(steps, rr, cfg.crossing)
            ps[str(D)] = {"final_r_id": float(rr[-1]), "final_r_ood": float(g["r_ood"].iloc[-1]),
                          "min_r_id_after_warmup": float(rr[:-1][after].min()) if after.any() else 1.0,
                          "transition_step": n_t}
            if n_t is not None:
                points.append((D, s, n_t))
        per_seed[str(s)] = ps
    slope = slope_bootstrap([d for d, _, _ in points], [n for _, _, n in points], cfg.n_boot,
                            derive_seed(cfg.seed, "slope_boot"))
    summary_d = {
        "headline": head, "interpolation_percentile": cfg.interpolation_percentile,
        "params": params, "n_tasks": Ds, "seeds": seeds, "primary_seed": primary,
        "inner_D": inner,
        "per_D": {str(D): v for D, v in pd_.items()},
        "fits": fits, "seed_fits": seed_fits, "eval_noise": noise,
        "interpolation_threshold_step": {str(s): v for s, v in thresholds.items()},
        "per_seed": per_seed,
        "final_r_id": {D: v["final_r_id"] for D, v in per_seed[str(primary)].items()},
        "final_r_ood": {D: v["final_r_ood"] for D, v in per_seed[str(primary)].items()},
        "transition_model": {str(k): v for k, v in nstar.items()},
        "transition_points": [[int(d), int(s), int(n)] for d, s, n in points],
        "slope_model": loglog_slope(finite, [nstar[D] for D in finite]),
        "slope_empirical": slope,
        "expected_kl_G": urns.expected_kl_generalizing(pd_[Ds[0]]["n_symbols"],
                                                       pd_[Ds[0]]["context"]).tolist(),
        "steps": sorted(tab["step"].unique().tolist()),
    }
    save_csv(tab, table, index=False)
    save_npz(curves, n_tasks=np.array(Ds), steps=np.array(summary_d["steps"]), **arrays)
    save_json(summary_d, summary)
