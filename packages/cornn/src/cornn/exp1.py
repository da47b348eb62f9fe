"""Experiment 1, random generator networks: the simulate, fit and benchmark stages (data, the
fits of CORNN and the baselines, time to r* and CORNN's scaling). Moved unchanged from stages.py
(issue 31); numpy only at import, the torch-based modules are imported inside the stages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from . import model
from .results import read_traces


# ----------------------------------------------------------------------------- exp 1 data
@dataclass(kw_only=True)
class SimulateConfig:
    n: int
    T: int
    sigma_in: float
    sigma_conv: float
    g: float
    alpha: float
    noise_type: str = "gaussian"
    exp: str  # the rule's wildcard: exp1a | exp1c | large
    rep: int  # the rule's wildcard: repetition index
    seed: int = 0


def simulate(cfg: SimulateConfig, data: Path) -> None:
    """Simulate one random generator network (exp 1): true weights and noisy rates.
    Pure numpy with its own Generator (no global seeding: keeps torch out of this job)."""
    rng = np.random.default_rng(derive_seed(cfg.seed, cfg.exp, cfg.rep))
    W, r = model.simulate_random(cfg.n, cfg.T, cfg.g, cfg.alpha, cfg.sigma_in,
                                       cfg.sigma_conv, rng, cfg.noise_type)
    repro_core.save_npz(data, W=W, r=r, alpha=np.float64(cfg.alpha))


# ----------------------------------------------------------------------------- exp 1 fits
@dataclass(kw_only=True)
class FitConfig:
    threshold: float
    cornn_iters: int
    methods: list
    l2: float
    cornn_dtype: str | None        # None: the device's default (solver.DEFAULTS)
    cornn_solve: str | None
    r_star_factor: float           # r* = r_star_factor x CORNN's final r
    adam_lr: float
    adam_weight_decay: float
    adam_init: str                 # "ridge" (exp 1a) or "default" (exp 1c), authors'
    adam_init_ridge: float         # lambda = adam_init_ridge * T for the ridge start
    adam_max_iter: int
    adam_max_time: float
    adam_time_factor: float
    adam_l2_max_time: float
    force_lam: float               # P = I / lam at the start of every pass
    force_passes: int
    force_error: str
    force_max_time: float
    force_time_factor: float
    device: str  # auto | cpu | cuda (config.yaml device)
    exp: str  # the rule's wildcard: exp1a | exp1c | large
    rep: int  # the rule's wildcard: repetition index
    seed: int = 0


def method_settings(cfg: FitConfig) -> dict:
    """Per-method settings; a baseline's time cap is min(max_time, time_factor x CORNN's
    time to r*) -- the factor part is filled in by run_methods."""
    adam = {"lr": cfg.adam_lr, "weight_decay": cfg.adam_weight_decay, "init": cfg.adam_init,
            "init_ridge": cfg.adam_init_ridge, "max_iter": cfg.adam_max_iter,
            "time_factor": cfg.adam_time_factor,
            "seed": derive_seed(cfg.seed, "adam-init", cfg.exp, cfg.rep)}
    all_methods = {
        "cornn": {"l2": cfg.l2, "threshold": cfg.threshold, "n_iter": cfg.cornn_iters,
                  "dtype": cfg.cornn_dtype, "solve": cfg.cornn_solve},
        "adam_ce": {**adam, "max_time": cfg.adam_max_time},
        "adam_l2": {**adam, "max_time": cfg.adam_l2_max_time},
        "force": {"lam": cfg.force_lam, "passes": cfg.force_passes, "error": cfg.force_error,
                  "max_time": cfg.force_max_time, "time_factor": cfg.force_time_factor},
    }
    unknown = sorted(set(cfg.methods) - set(all_methods))
    if unknown:
        raise repro_core.config.ConfigError(
            f"fit.methods: unknown {unknown}; allowed: {sorted(all_methods)}")
    if cfg.methods[:1] != ["cornn"]:
        raise repro_core.config.ConfigError(
            f"fit.methods must start with cornn (r* and the baselines' time caps come from "
            f"its fit), got {cfg.methods}")
    return {m: all_methods[m] for m in cfg.methods}


def fit(cfg: FitConfig, data: Path, traces: Path) -> None:
    """Fit CORNN, Adam (CE and L2 losses) and FORCE to one data set; write r-vs-time traces."""
    from . import random_nets

    repro_core.seed_everything(cfg.seed)
    d = repro_core.load_npz(data)
    tr = random_nets.run_methods(d["W"], d["r"], float(d["alpha"]), method_settings(cfg),
                                 torch_device(cfg.device), cfg.r_star_factor)
    tr.insert(0, "rep", cfg.rep)
    tr.insert(0, "exp", cfg.exp)
    repro_core.save_csv(tr, traces)


# ----------------------------------------------------------------------------- benchmark
@dataclass(kw_only=True)
class BenchmarkConfig:
    methods: list                  # every trace file has rows of each (if given)
    scaling_n: list
    scaling_T_per_n: int
    scaling_iters: int
    scaling_r_target: float
    g: float
    alpha: float
    sigma_in: float
    sigma_conv: float
    l2: float
    threshold: float
    device: str  # auto | cpu | cuda (config.yaml device)
    seed: int = 0


def benchmark(cfg: BenchmarkConfig, traces: list[Path], bench: Path, scaling: Path) -> None:
    """Time to r* per method and speed-up over CORNN (from the fit ``traces``, all measured
    in one process per data set), and CORNN's wall time vs n at T = 20 n."""
    from . import random_nets

    repro_core.seed_everything(cfg.seed)
    traces = read_traces(traces, cfg.methods)
    repro_core.save_csv(random_nets.summarize(traces), bench)   # r* per data set, from the fit
    sc = random_nets.scaling_run(cfg.scaling_n, cfg.scaling_T_per_n, cfg.g, cfg.alpha,
                                 cfg.sigma_in, cfg.sigma_conv, cfg.l2, cfg.threshold,
                                 cfg.scaling_iters, cfg.scaling_r_target, cfg.seed,
                                 torch_device(cfg.device))
    repro_core.save_csv(sc, scaling)
