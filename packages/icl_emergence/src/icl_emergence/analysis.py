"""Exact Bayes curves, fits and the numbers behind every claim."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core

from . import processes as pr

LN2 = math.log(2)


# ------------------------------------------------------------------ stage: bayes
@dataclass(kw_only=True)
class BayesConfig:
    p: float                   # Mr. Name's p and q (the YAML's mr_name section)
    q: float
    n_coins: list[int]         # the coin mixtures' N
    seq_len: int
    max_len: int  # coin curves to this length (excess sums, l * excess -> 1/2)
    seed: int = 0


def bayes(cfg: BayesConfig, curves: Path) -> None:
    """Exact myopic entropies h_l of every source: mixed-state propagation for Mr.
    Name, posteriors indexed by the head count for coin mixtures (the two methods
    agree to 1e-12; see the tests)."""
    mix = pr.mr_name_mixture(cfg.p, cfg.q)
    out = {"mr_name_h": pr.myopic_entropy(mix, max(cfg.seq_len, 200)),
           "mr_name_hmu": np.array(pr.mr_name_entropy_rate(cfg.p, cfg.q)),
           "n_coins": np.array(cfg.n_coins)}
    for n in repro_core.progress(cfg.n_coins, desc="coin mixtures"):
        c = pr.coin_mixture(n)
        out[f"coins{n}_h"] = pr.coin_myopic_entropy(pr.coin_biases(n), cfg.max_len)
        out[f"coins{n}_hinf"] = np.array(pr.asymptotic_entropy(c))
    repro_core.save_npz(curves, **out)


# ------------------------------------------------------------------ fits
def loglog_slope(ell: np.ndarray, excess: np.ndarray) -> float:
    """Least-squares slope of log(excess) against log(l)."""
    return float(np.polyfit(np.log(ell), np.log(excess), 1)[0])


def r2(x: np.ndarray, y: np.ndarray) -> float:
    """Coefficient of determination of the straight-line fit y ~ x."""
    coef = np.polyfit(x, y, 1)
    res = y - np.polyval(coef, x)
    return float(1 - res.var() / y.var())


def fit_window(length: int, lo: int, hi: int) -> np.ndarray:
    return np.arange(lo, min(hi, length - 1) + 1)


def transition(steps: np.ndarray, name2: np.ndarray) -> dict:
    """Induction-head transition on the loss of the second name occurrence: it
    falls from the in-context-blind plateau ln 2 (a 50/50 guess of the name)
    towards 0 (copying the name seen earlier). ``step`` is the first logged step
    below ln2/2; ``width`` is the number of steps from 0.9 ln 2 to 0.1 ln 2."""
    def first_below(th):
        idx = np.nonzero(name2 < th)[0]
        return int(steps[idx[0]]) if len(idx) else None

    hi, mid, lo = first_below(0.9 * LN2), first_below(0.5 * LN2), first_below(0.1 * LN2)
    return {"step": mid, "start": hi, "end": lo,
            "width": None if hi is None or lo is None else lo - hi,
            "peak_before": float(name2[: max(1, np.searchsorted(steps, mid or steps[-1]))].max()),
            "final": float(name2[-1])}


def steepest_fall(steps: np.ndarray, values: np.ndarray, window: int) -> dict:
    """The largest fall ``values[i] - values[j]`` between two logged steps at most
    ``window`` steps apart (j after i): the paper's "1.96 -> 0.71 nats between steps
    20 and 50" is such a fall over a 30-step window. 0 when the curve never falls."""
    best = {"fall": 0.0, "from_step": int(steps[0]), "to_step": int(steps[0])}
    for i in range(len(steps)):
        j = np.nonzero((steps > steps[i]) & (steps - steps[i] <= window))[0]
        if len(j):
            k = j[np.argmin(values[j])]
            if values[i] - values[k] > best["fall"]:
                best = {"fall": float(values[i] - values[k]), "from_step": int(steps[i]),
                        "to_step": int(steps[k])}
    return best


def value_at(steps: np.ndarray, values: np.ndarray, step: int) -> float:
    """The logged value at the last logged step <= ``step``."""
    i = max(0, int(np.searchsorted(steps, step, side="right")) - 1)
    return float(values[i])


# ------------------------------------------------------------------ stage: analyze
@dataclass(kw_only=True)
class AnalyzeConfig:
    # run name -> {"kind": mr_name|coins, "arch": ..., "n_coins": N, "seeds": [seed offset, ...]};
    # the runs' files are the stage's inputs histories and models (run_files)
    runs: dict
    seq_len: int
    fit_min: int  # power-law fit window l in [fit_min, fit_max] (issue)
    fit_max: int
    n_heldout: int  # held-out-bias sequences for the prior-coupling test
    sharp_window: int  # steps: the paper's fall 1.96 -> 0.71 nats is between steps 20 and 50
    seed: int = 0


def _mr_name_run(h: dict, bayes_h: np.ndarray, window: int) -> dict:
    """Final per-position gap to Bayes and the name-occurrence transition of one run."""
    steps, kl = h["step"], h["kl"]
    t = transition(steps, h["name2"])
    L = kl.shape[1]
    model_final = bayes_h[:L] + kl[-1]          # c_l = h_l + E[KL] (exact h_l, KL on val)
    red_model = model_final[1] - model_final[L // 2:].mean()
    red_bayes = bayes_h[1] - bayes_h[L // 2:L].mean()
    return {"max_kl_l1": float(kl[-1][1:].max()), "mean_kl_l1": float(kl[-1][1:].mean()),
            "ce_l1_final": float(h["ce"][-1][1:].mean()), "bayes_ce_l1": float(h["bayes_ce"][1:].mean()),
            "icl_reduction": float(red_model), "icl_reduction_bayes": float(red_bayes),
            "transition": t, "transition_found": t["step"] is not None,
            "steepest_fall": {"window": int(window), **steepest_fall(steps, h["name2"], window)},
            "final_step": int(steps[-1]),
            "name2_at": {int(s): value_at(steps, h["name2"], s) for s in (20, 50, int(steps[-1]))},
            "name1_final": float(h["name1"][-1]), "name1_min": float(np.nanmin(h["name1"]))}


def _excess_stats(excess: np.ndarray, cfg: AnalyzeConfig) -> dict:
    from repro_core.stats import slope_fit

    ell = fit_window(len(excess), cfg.fit_min, cfg.fit_max)
    y = excess[ell]
    ok = np.all(y > 0)
    fit = slope_fit(np.log(ell), np.log(y)) if ok else None
    return {"slope": loglog_slope(ell, y) if ok else None,
            "slope_stderr": fit["stderr"] if ok else None,
            "slope_ci95": list(fit["ci"]) if ok else None,
            "r2_loglog": r2(np.log(ell), np.log(y)) if ok else None,
            "r2_semilog": r2(ell.astype(float), np.log(y)) if ok else None,
            "ell_times_excess_at_fit_max": float(ell[-1] * y[-1]),
            "fit_range": [int(ell[0]), int(ell[-1])]}


def heldout_coupling(models: dict[int, "object"], n_coins: list[int], n_seq: int, seq_len: int,
                     seed: int) -> np.ndarray:
    """Mean KL(Bayes_prior || model) per token on coins with held-out biases
    p ~ U(0, 1): rows = model trained on N coins, columns = prior N' coins."""
    from .models import log_probs

    rng = np.random.default_rng([seed, 17])
    seqs = pr.sample_coins(rng.random(n_seq), seq_len, rng)
    preds = {n: pr.predictive(pr.coin_mixture(n), seqs) for n in n_coins}
    out = np.full((len(models), len(n_coins)), np.nan)
    for i, model in enumerate(models.values()):
        logq = log_probs(model, seqs)
        for j, n in enumerate(n_coins):
            out[i, j] = pr.kl_rows(preds[n], logq).mean()
    return out


def run_files(runs: dict, histories: list, models: list) -> dict:
    """run name -> {"history": [path per seed], "model": [path per seed]}. ``histories`` and
    ``models`` hold one file per (run, seed): runs in sorted name order, each run's seeds in the
    order of its "seeds" list (the order the workflow gives them)."""
    n = sum(len(r["seeds"]) for r in runs.values())
    if len(histories) != n or len(models) != n:
        raise ValueError(f"analyze: {len(histories)} histories and {len(models)} models given, "
                         f"expected {n} each (one per run and seed of the config's runs)")
    out, i = {}, 0
    for name in sorted(runs):
        k = len(runs[name]["seeds"])
        out[name] = {"history": list(histories[i:i + k]), "model": list(models[i:i + k])}
        i += k
    return out


def analyze(cfg: AnalyzeConfig, curves: Path, histories: list[Path], models: list[Path], summary: Path,
            data: Path) -> None:
    from .train import load_model

    files = run_files(cfg.runs, histories, models)

    b = repro_core.load_npz(curves)
    L = cfg.seq_len
    mr_h = b["mr_name_h"]
    s: dict = {"mr_name": {"hmu_closed_form": float(b["mr_name_hmu"]),
                           "h": {int(l): float(mr_h[l]) for l in (0, 1, 2, 5, 20, L - 1)},
                           "excess_entropy_L": float((mr_h - b["mr_name_hmu"]).sum())},
               "runs": {}, "coins": {}}
    arrays: dict = {"mr_name_h": mr_h[:L], "mr_name_hmu": b["mr_name_hmu"]}
    coin_models: dict[int, object] = {}
    for name, run in sorted(cfg.runs.items()):
        hs = [repro_core.load_npz(p) for p in files[name]["history"]]
        h = hs[0]                                   # figures and claims: the first seed
        for k in ("step", "ce", "kl", "bayes_ce", "train_loss", "name1", "name2"):
            if k in h:
                arrays[f"{name}_{k}"] = h[k]
        if run["kind"] == "mr_name":
            per_seed = [_mr_name_run(x, mr_h, cfg.sharp_window) for x in hs]
            s["runs"][name] = {**per_seed[0], "seeds": [
                {"transition_found": r["transition_found"],
                 "transition_step": r["transition"]["step"], "transition_width": r["transition"]["width"],
                 "steepest_fall": r["steepest_fall"], "name2_final": r["transition"]["final"],
                 "name2_at": r["name2_at"], "name1_final": r["name1_final"],
                 "final_step": r["final_step"], "max_kl_l1": r["max_kl_l1"]}
                for r in per_seed]}
        else:
            n = int(run["n_coins"])
            hinf = float(b[f"coins{n}_hinf"])
            model_excess = b[f"coins{n}_h"][:L] + h["kl"][-1] - hinf
            arrays[f"{name}_excess"] = model_excess
            bayes_same = _excess_stats(b[f"coins{n}_h"][:L] - hinf, cfg)   # the model's window
            per_seed = [_excess_stats(b[f"coins{n}_h"][:L] + x["kl"][-1] - hinf, cfg) for x in hs]
            s["runs"][name] = {"n_coins": n, "mean_kl": float(h["kl"][-1].mean()),
                               **{f"model_{k}": v for k, v in per_seed[0].items()},
                               **{f"bayes_{k}": v for k, v in bayes_same.items()},
                               "seeds": [{"model_slope": r["slope"], "model_slope_stderr": r["slope_stderr"],
                                          "model_slope_ci95": r["slope_ci95"]} for r in per_seed]}
            coin_models[n] = load_model(Path(files[name]["model"][0]))
    for n in b["n_coins"]:
        n = int(n)
        ex = b[f"coins{n}_h"] - float(b[f"coins{n}_hinf"])
        arrays[f"coins{n}_bayes_excess"] = ex
        s["coins"][n] = {"hinf": float(b[f"coins{n}_hinf"]), "total_excess": float(ex.sum()),
                         "ln_n": math.log(n), "max_len": len(ex),
                         "ell_times_excess_at_max_len": float((len(ex) - 1) * ex[-1]),
                         **_excess_stats(ex, cfg)}
    if coin_models:
        ns = sorted(coin_models)
        kl = heldout_coupling({n: coin_models[n] for n in ns}, [int(n) for n in b["n_coins"]],
                              cfg.n_heldout, L, cfg.seed)
        arrays.update(coupling_kl=kl, coupling_models=np.array(ns))
        s["coupling"] = {"models": ns, "priors": [int(n) for n in b["n_coins"]], "kl": kl.tolist()}
    repro_core.save_json(s, summary)
    repro_core.save_npz(data, **arrays)
