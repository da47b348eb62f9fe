"""Evaluation (exact match of the whole completion, k samples per test problem at several
temperatures; RL-Wall ``eval_t.py``) and the before/after-RL analysis: pass@1 = mean solve
probability, coverage = pass@k at the largest k, both maximised over temperature as in the
authors' notebooks; flatness of pass@1 over temperature; fate of zero-solve problems."""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from pathlib import Path

import numpy as np
import torch

import repro_core
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from .model import load_model, solve_counts
from .task import load_split


def pass_at_k(n: int, c, k: int) -> np.ndarray:
    """Unbiased pass@k from c correct of n samples: 1 - C(n-c, k) / C(n, k) (Chen et al. 2021)."""
    c = np.asarray(c, dtype=np.float64)
    if k > n:
        raise ValueError(f"k={k} > n={n}")
    total = comb(n, k)
    return np.vectorize(lambda x: 1.0 - comb(n - int(x), k) / total, otypes=[float])(c)


@dataclass(kw_only=True)
class EvalConfig:
    n_problems: int
    k: int
    temperatures: list
    max_rows: int  # sequences per forward pass
    device: str  # "auto", "cpu", "cuda" (config.yaml's device)
    seed: int = 0


def evaluate(cfg: EvalConfig, data: Path, model: Path, counts: Path) -> None:
    """Correct-sample counts [temperatures, problems] of one model on the test split."""
    device = torch_device(cfg.device)
    repro_core.seed_everything(cfg.seed)
    test = load_split(repro_core.load_npz(data), "test")
    net, _ = load_model(model, device)
    net.eval()
    idx = np.arange(min(cfg.n_problems, len(test["length"])))
    out = np.zeros((len(cfg.temperatures), len(idx)), dtype=np.int64)
    for ti, temp in enumerate(repro_core.progress(cfg.temperatures, desc="temperatures")):
        g = torch.Generator(device=device).manual_seed(derive_seed(cfg.seed, "eval", ti))
        out[ti] = solve_counts(net, test, idx, cfg.k, float(temp), g, cfg.max_rows, device)
    repro_core.save_npz(counts, counts=out, temperatures=np.asarray(cfg.temperatures, float),
                        k=np.asarray(cfg.k), length=test["length"][idx])


def ks_up_to(K: int) -> list[int]:
    ks = [1]
    while ks[-1] * 2 <= K:
        ks.append(ks[-1] * 2)
    return ks + ([K] if ks[-1] != K else [])


def summarise_model(counts: np.ndarray, K: int) -> dict:
    """pass@k per temperature and its maxima over temperature."""
    ks = ks_up_to(K)
    passk = np.stack([pass_at_k(K, counts, k).mean(axis=1) for k in ks])   # [k, T]
    return {"ks": ks, "pass1": passk[0].tolist(), "coverage": passk[-1].tolist(),
            "passk": passk.tolist(), "pass1_max": float(passk[0].max()),
            "coverage_max": float(passk[-1].max()), "best_t_index": int(passk[0].argmax())}


# The paper's coverage / pass@1 gain ratio for run v5_8: pass@128 0.689 -> 0.742 while pass@1
# 0.482 -> 0.598, (0.742 - 0.689) / (0.598 - 0.482) = 0.457 (issue 23).
PAPER_WALL_RATIO = (0.742 - 0.689) / (0.598 - 0.482)


def paired_se(x_before: np.ndarray, x_after: np.ndarray) -> float:
    """Standard error of mean(x_after - x_before) over problems (paired, ddof 1)."""
    d = np.asarray(x_after, float) - np.asarray(x_before, float)
    return float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")


def _curve_stats(rates: np.ndarray, solved: np.ndarray) -> dict:
    """pass@1 and coverage statistics from per-problem solve rates and solved indicators
    [..., T, P] (leading axes: bootstrap resamples)."""
    p1, cov = rates.mean(-1), solved.mean(-1)            # [..., T]
    return {"pass1": p1.max(-1), "coverage": cov.max(-1), "mean_t": p1.mean(-1),
            "range_t": p1.max(-1) - p1.min(-1)}


def _gains(b: dict, a: dict, wall_ratio: float) -> dict:
    return {"delta_pass1": a["pass1"] - b["pass1"],
            "delta_coverage": a["coverage"] - b["coverage"],
            # <= 0 when coverage rose by at most wall_ratio x the pass@1 gain
            "wall_excess": (a["coverage"] - b["coverage"]) - wall_ratio * (a["pass1"] - b["pass1"]),
            "delta_mean_over_t": a["mean_t"] - b["mean_t"],
            "flattening": b["range_t"] - a["range_t"]}    # > 0: flatter after RL


def paired_bootstrap(before: np.ndarray, after: np.ndarray, K: int, n_boot: int,
                     seed: int = 0, level: float = 0.95,
                     wall_ratio: float = PAPER_WALL_RATIO) -> dict[str, tuple[float, float]]:
    """Percentile CIs of the before/after gains (:func:`_gains`) from correct-sample counts
    [T, P] of the same test problems, resampling problems with replacement (the same draw for
    both models: paired) and recomputing every statistic, maxima over temperature included."""
    rb, ra = before / K, after / K
    sb, sa = (before > 0).astype(float), (after > 0).astype(float)   # pass@K at k = K
    idx = np.random.default_rng(seed).integers(0, before.shape[1], size=(n_boot, before.shape[1]))
    T = before.shape[0]
    take = lambda x: np.stack([x[t][idx] for t in range(T)], axis=1)   # noqa: E731  [B, T, P]
    g = _gains(_curve_stats(take(rb), take(sb)), _curve_stats(take(ra), take(sa)), wall_ratio)
    q = 100 * np.array([(1 - level) / 2, (1 + level) / 2])
    return {k: tuple(float(x) for x in np.percentile(v, q)) for k, v in g.items()}


def compare(before: dict, after: dict, temps: np.ndarray, n_boot: int, seed: int = 0) -> dict:
    """The paper's before/after statistics for one GRPO run against its SFT model, each gain
    with a paired bootstrap CI over test problems."""
    K = int(before["k"])
    cb, ca = np.asarray(before["counts"]), np.asarray(after["counts"])
    sb, sa = summarise_model(cb, K), summarise_model(ca, K)
    point = _gains(_curve_stats(cb / K, (cb > 0).astype(float)),
                   _curve_stats(ca / K, (ca > 0).astype(float)), PAPER_WALL_RATIO)
    ci = paired_bootstrap(cb, ca, K, n_boot=n_boot, seed=seed)
    # per-problem solve rates at each model's best temperature (paired s.e., for reference)
    se_d1 = paired_se(cb[sb["best_t_index"]] / K, ca[sa["best_t_index"]] / K)
    d1 = sa["pass1_max"] - sb["pass1_max"]
    dc = sa["coverage_max"] - sb["coverage_max"]
    p1b, p1a = np.asarray(sb["pass1"]), np.asarray(sa["pass1"])
    zero_b = cb.sum(0) == 0                     # never solved at any temperature
    zero_a = ca.sum(0) == 0
    return {
        "temperatures": np.asarray(temps).tolist(), "k": K, "n_problems": int(cb.shape[1]),
        "n_boot": n_boot, "before": sb, "after": sa,
        "pass1_before": sb["pass1_max"], "pass1_after": sa["pass1_max"],
        "coverage_before": sb["coverage_max"], "coverage_after": sa["coverage_max"],
        "delta_pass1": d1, "delta_coverage": dc, "se_delta_pass1": se_d1,
        "ci_delta_pass1": list(ci["delta_pass1"]), "ci_delta_coverage": list(ci["delta_coverage"]),
        "wall_ratio_paper": PAPER_WALL_RATIO, "wall_excess": float(point["wall_excess"]),
        "ci_wall_excess": list(ci["wall_excess"]),
        "coverage_over_pass1_gain": (dc / d1) if d1 > 0 else None,
        "pass1_range_before": float(p1b.max() - p1b.min()),
        "pass1_range_after": float(p1a.max() - p1a.min()),
        "flattening": float(point["flattening"]), "ci_flattening": list(ci["flattening"]),
        "pass1_mean_over_t_before": float(p1b.mean()), "pass1_mean_over_t_after": float(p1a.mean()),
        "delta_mean_over_t": float(point["delta_mean_over_t"]),
        "ci_delta_mean_over_t": list(ci["delta_mean_over_t"]),
        "n_zero_before": int(zero_b.sum()),
        "n_zero_after": int(zero_a.sum()),
        "zero_stay_zero": int((zero_b & zero_a).sum()),
        "frac_zero_stay_zero": float((zero_b & zero_a).sum() / zero_b.sum()) if zero_b.any() else None,
        "n_unsolved_then_solved": int((zero_b & ~zero_a).sum()),
        "n_solved_then_lost": int((~zero_b & zero_a).sum()),
    }


@dataclass(kw_only=True)
class AnalyzeConfig:
    # name -> {sft_eval, sft_hist, grpo_seeds: [..], grpo_evals: [..], grpo_hists: [..]}
    conditions: dict
    n_boot: int                     # bootstrap resamples of the confidence intervals
    seed: int = 0


def analyze(cfg: AnalyzeConfig, summary: Path, data: Path) -> None:
    out, arrays = {"conditions": {}}, {}
    for name, files in sorted(cfg.conditions.items()):
        b = repro_core.load_npz(files["sft_eval"])
        hs = repro_core.load_npz(files["sft_hist"])
        cond = {"sft_final_test_greedy": float(hs["test_acc"][-1]), "sft_steps": int(hs["step"][-1]),
                "before": summarise_model(np.asarray(b["counts"]), int(b["k"])),
                "k": int(b["k"]), "temperatures": np.asarray(b["temperatures"]).tolist(),
                "n_problems": int(np.asarray(b["counts"]).shape[1]), "runs": []}
        arrays[f"{name}__before_counts"] = b["counts"]
        arrays[f"{name}__temperatures"] = b["temperatures"]
        arrays[f"{name}__k"] = b["k"]
        for k, v in hs.items():
            arrays[f"{name}__sft_{k}"] = v
        for gs, fe, fh in zip(files["grpo_seeds"], files["grpo_evals"], files["grpo_hists"]):
            a = repro_core.load_npz(fe)
            if not np.array_equal(b["temperatures"], a["temperatures"]) or int(b["k"]) != int(a["k"]):
                raise ValueError(f"condition {name}: {fe} differs from {files['sft_eval']} in "
                                 "temperatures or k")
            res = compare(b, a, b["temperatures"], n_boot=cfg.n_boot, seed=cfg.seed)
            hg = repro_core.load_npz(fh)
            res["grpo_seed"] = int(gs)
            res["grpo_steps"] = int(hg["step"][-1]) if len(hg["step"]) else 0
            res["n_rl_kept"] = int(hg["n_rl_kept"])
            res["grpo_reward_first"] = float(np.mean(hg["reward"][:5])) if len(hg["reward"]) else 0.0
            res["grpo_reward_last"] = float(np.mean(hg["reward"][-5:])) if len(hg["reward"]) else 0.0
            cond["runs"].append(res)
            arrays[f"{name}__s{gs}__after_counts"] = a["counts"]
            for k, v in hg.items():
                arrays[f"{name}__s{gs}__grpo_{k}"] = v
        arrays[f"{name}__grpo_seeds"] = np.asarray(files["grpo_seeds"])
        out["conditions"][name] = cond
    repro_core.save_json(out, summary)
    repro_core.save_npz(data, **arrays)
