"""Evaluation (exact match of the whole completion, k samples per test problem at several
temperatures; RL-Wall ``eval_t.py``) and the before/after-RL analysis: pass@1 = mean solve
probability, coverage = pass@k at the largest k, both maximised over temperature as in the
authors' notebooks; flatness of pass@1 over temperature; fate of zero-solve problems."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass
class EvalConfig:
    n_problems: int = 512
    k: int = 128
    temperatures: list = field(default_factory=lambda: [0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8,
                                                        1.0, 1.2, 1.4, 1.6, 1.8, 2.0])
    max_rows: int = 4096            # sequences per forward pass
    device: str = "auto"
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


def paired_se(x_before: np.ndarray, x_after: np.ndarray) -> float:
    """Standard error of mean(x_after - x_before) over problems (paired, ddof 1): how far a
    before/after difference of per-problem solve rates moves from problem-sampling noise alone."""
    d = np.asarray(x_after, float) - np.asarray(x_before, float)
    return float(d.std(ddof=1) / np.sqrt(len(d))) if len(d) > 1 else float("inf")


def compare(before: dict, after: dict, temps: np.ndarray) -> dict:
    """The paper's four before/after statistics for one condition, with the paired standard
    errors (over test problems) of the pass@1 gains so claims can ask for a gain above noise."""
    K = int(before["k"])
    cb, ca = before["counts"], after["counts"]
    sb, sa = summarise_model(cb, K), summarise_model(ca, K)
    # per-problem solve rates: at each model's best temperature, and averaged over temperatures
    se_d1 = paired_se(cb[sb["best_t_index"]] / K, ca[sa["best_t_index"]] / K)
    se_dmean = paired_se(cb.mean(0) / K, ca.mean(0) / K)
    d1 = sa["pass1_max"] - sb["pass1_max"]
    dc = sa["coverage_max"] - sb["coverage_max"]
    p1b, p1a = np.asarray(sb["pass1"]), np.asarray(sa["pass1"])
    zero_b = cb.sum(0) == 0                     # never solved at any temperature
    zero_a = ca.sum(0) == 0
    return {
        "temperatures": temps.tolist(), "k": K, "n_problems": int(cb.shape[1]),
        "before": sb, "after": sa,
        "pass1_before": sb["pass1_max"], "pass1_after": sa["pass1_max"],
        "coverage_before": sb["coverage_max"], "coverage_after": sa["coverage_max"],
        "delta_pass1": d1, "delta_coverage": dc, "se_delta_pass1": se_d1,
        "coverage_over_pass1_gain": (dc / d1) if d1 > 0 else None,
        "pass1_range_before": float(p1b.max() - p1b.min()),
        "pass1_range_after": float(p1a.max() - p1a.min()),
        "pass1_mean_over_t_before": float(p1b.mean()), "pass1_mean_over_t_after": float(p1a.mean()),
        "se_delta_pass1_mean_over_t": se_dmean,
        "n_zero_before": int(zero_b.sum()),
        "n_zero_after": int(zero_a.sum()),
        "zero_stay_zero": int((zero_b & zero_a).sum()),
        "frac_zero_stay_zero": float((zero_b & zero_a).sum() / zero_b.sum()) if zero_b.any() else None,
        "n_unsolved_then_solved": int((zero_b & ~zero_a).sum()),
        "n_solved_then_lost": int((~zero_b & zero_a).sum()),
    }


@dataclass
class AnalyzeConfig:
    conditions: dict = field(default_factory=dict)   # name -> {sft_eval, grpo_eval, sft_hist, grpo_hist}
    seed: int = 0


def analyze(cfg: AnalyzeConfig, summary: Path, data: Path) -> None:
    out, arrays = {"conditions": {}}, {}
    for name, files in sorted(cfg.conditions.items()):
        b, a = repro_core.load_npz(files["sft_eval"]), repro_core.load_npz(files["grpo_eval"])
        if not np.array_equal(b["temperatures"], a["temperatures"]) or int(b["k"]) != int(a["k"]):
            raise ValueError(f"condition {name}: before/after evaluations differ in temperatures or k")
        res = compare(b, a, b["temperatures"])
        hs, hg = repro_core.load_npz(files["sft_hist"]), repro_core.load_npz(files["grpo_hist"])
        res["sft_final_test_greedy"] = float(hs["test_acc"][-1])
        res["sft_steps"] = int(hs["step"][-1])
        res["grpo_steps"] = int(hg["step"][-1]) if len(hg["step"]) else 0
        res["grpo_reward_first"] = float(np.mean(hg["reward"][:5])) if len(hg["reward"]) else None
        res["grpo_reward_last"] = float(np.mean(hg["reward"][-5:])) if len(hg["reward"]) else None
        out["conditions"][name] = res
        arrays[f"{name}__before_counts"] = b["counts"]
        arrays[f"{name}__after_counts"] = a["counts"]
        arrays[f"{name}__temperatures"] = b["temperatures"]
        arrays[f"{name}__k"] = b["k"]
        for k, v in hs.items():
            arrays[f"{name}__sft_{k}"] = v
        for k, v in hg.items():
            arrays[f"{name}__grpo_{k}"] = v
    repro_core.save_json(out, summary)
    repro_core.save_npz(data, **arrays)
