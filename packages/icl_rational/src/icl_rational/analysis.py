"""From the trained models' evaluations to relative distances, the fitted hierarchical
Bayesian model, correlations and transition times."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from repro_core import load_npz, progress, save_csv, save_json, save_npz
from repro_core.seeding import derive_seed

from . import bms, urns


@dataclass
class AnalyzeConfig:
    runs: list                   # npz files written by the train stage
    n_loss: int = 2000           # sequences for each strategy's in-distribution loss L_s
    fit_fraction: float = 0.8    # fit on the first 80% of checkpoints and of D values (paper)
    crossing: float = 0.5        # relative distance taken as "at M" (> ) or "at G" (<)
    after_step: int = 0          # transient G phase: only checkpoints from here on (end of
                                 # warm-up: before it the barely trained model is near uniform)
    seed: int = 0


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
    """D -> dict of that model's arrays, from every train output."""
    out = {}
    for p in paths:
        z = load_npz(p)
        for m, D in enumerate(z["n_tasks"].tolist()):
            out[int(D)] = {"steps": z["steps"], "id_probs": z["id_probs"][:, m],
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


def loglog_slope(x, y) -> float:
    x, y = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(np.log(x[ok]), np.log(y[ok]), 1)[0])


def analyze(cfg: AnalyzeConfig, summary: Path, table: Path, curves: Path) -> None:
    runs = load_runs(cfg.runs)
    rows, per_d, fit_inputs, arrays = [], {}, {}, {}
    for D, r in progress(runs.items(), desc="strategies per D", total=len(runs)):
        C, V = r["id_probs"].shape[-2:]
        mem = {"id": urns.memorizing_probs(r["id_tokens"], r["pool"]),
               "ood": urns.memorizing_probs(r["ood_tokens"], r["pool"])}
        gen = {"id": urns.generalizing_probs(r["id_tokens"], V),
               "ood": urns.generalizing_probs(r["ood_tokens"], V)}
        theta = {"id": r["id_theta"], "ood": r["ood_theta"]}
        probs = {"id": r["id_probs"], "ood": r["ood_probs"]}
        K = bms.complexities(r["pool"])
        L = strategy_losses(r["pool"], C, cfg.n_loss, derive_seed(cfg.seed, "loss", D))
        kl_pos = {f"{w}_{s}": urns.kl(theta[s][:, None, :], p[s]).mean(0)
                  for s in ("id", "ood") for w, p in (("M", mem), ("G", gen))}
        per_d[D] = {**K, **L, "n_symbols": int(V), "context": int(C),
                    **{f"kl_{k}": float(v.mean()) for k, v in kl_pos.items()}}
        for k, v in kl_pos.items():
            arrays[f"kl_{k}_{D}"] = v
        arrays[f"kl_T_id_{D}"] = urns.kl(theta["id"][None, :, None, :], probs["id"]).mean(1)
        arrays[f"kl_T_ood_{D}"] = urns.kl(theta["ood"][None, :, None, :], probs["ood"]).mean(1)
        fit_inputs[D] = (mem["id"], gen["id"])
        for i, step in enumerate(r["steps"].tolist()):
            rows.append({"D": D, "step": int(step), "train_loss": float(r["train_loss"][i]),
                         "kl_T_id": float(arrays[f"kl_T_id_{D}"][i].mean()),
                         "kl_T_ood": float(arrays[f"kl_T_ood_{D}"][i].mean()),
                         "r_id": urns.relative_distance(probs["id"][i], mem["id"], gen["id"]),
                         "r_ood": urns.relative_distance(probs["ood"][i], mem["ood"], gen["ood"])})
    tab = pd.DataFrame(rows)
    tab["fit"] = fit_rows(tab, cfg.fit_fraction)
    fit_list = []
    for _, row in tab[tab["fit"]].iterrows():
        D, i = int(row["D"]), int(np.flatnonzero(runs[int(row["D"])]["steps"] == row["step"])[0])
        fit_list.append({"N": float(row["step"]), "T": runs[D]["id_probs"][i],
                         "M": fit_inputs[D][0], "G": fit_inputs[D][1],
                         **{k: per_d[D][k] for k in ("K_M", "K_G", "L_M", "L_G")}})
    params = bms.fit(fit_list)
    p = (params["alpha"], params["beta"], params["gamma"])
    kv = tab["D"].map(lambda d: tuple(per_d[d][k] for k in ("K_M", "K_G", "L_M", "L_G")))
    tab["w_pred"] = [float(bms.weight_m(p, n, *k)) for n, k in zip(tab["step"], kv)]
    held = ~tab["fit"]

    def corr(mask, col):
        sub = tab[mask]
        return float(np.corrcoef(sub["w_pred"], sub[col])[0, 1]) if len(sub) > 2 else float("nan")

    Ds = np.array(sorted(per_d))
    nstar = {int(D): float(bms.transition_time(p, *(per_d[D][k] for k in ("K_M", "K_G", "L_M", "L_G"))))
             for D in Ds}
    finite = [D for D in Ds if np.isfinite(nstar[int(D)])]
    # the empirical transition: first checkpoint after which the model stays on M's side
    empirical = {}
    for D, g in tab.groupby("D"):
        above = (g["r_id"].to_numpy() > cfg.crossing)
        k = len(above) - int(np.argmin(above[::-1])) if not above.all() else 0
        empirical[int(D)] = int(g["step"].iloc[k]) if k < len(above) and above[-1] else None
    final = tab.sort_values("step").groupby("D").last()
    mins = tab[tab["step"] >= cfg.after_step].groupby("D")["r_id"].min()   # after warm-up
    transient = [int(D) for D in Ds[1:-1]
                 if final.loc[D, "r_id"] > cfg.crossing and
                 (tab[(tab["D"] == D) & (tab["step"] >= cfg.after_step)]["r_id"].to_numpy()[:-1]
                  < cfg.crossing).any()]
    summary_d = {
        "params": params, "n_tasks": Ds.tolist(), "per_D": {str(k): v for k, v in per_d.items()},
        "final_r_id": {str(D): float(final.loc[D, "r_id"]) for D in Ds},
        "final_r_ood": {str(D): float(final.loc[D, "r_ood"]) for D in Ds},
        "min_r_id": {str(D): float(mins.loc[D]) for D in Ds},
        "transient_D": transient,
        "corr_all_id": corr(slice(None), "r_id"), "corr_all_ood": corr(slice(None), "r_ood"),
        "corr_heldout_id": corr(held, "r_id"), "corr_heldout_ood": corr(held, "r_ood"),
        "corr_fit_id": corr(tab["fit"], "r_id"),
        "n_rows": int(len(tab)), "n_fit_rows": int(tab["fit"].sum()),
        "transition_model": {str(k): v for k, v in nstar.items()},
        "transition_empirical": {str(k): v for k, v in empirical.items()},
        "slope_model": loglog_slope(finite, [nstar[int(D)] for D in finite]),
        "slope_empirical": loglog_slope([D for D in Ds if empirical[int(D)]],
                                        [empirical[int(D)] for D in Ds if empirical[int(D)]]),
        "expected_kl_G": urns.expected_kl_generalizing(per_d[int(Ds[0])]["n_symbols"],
                                                       per_d[int(Ds[0])]["context"]).tolist(),
        "steps": sorted(tab["step"].unique().tolist()),
    }
    save_csv(tab, table, index=False)
    save_npz(curves, n_tasks=Ds, steps=np.array(summary_d["steps"]), **arrays)
    save_json(summary_d, summary)
