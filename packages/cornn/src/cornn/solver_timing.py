"""The solver_bench stage: every solver configuration timed on exp 1a, exp 1c and a 1 M-weight
network (the timing itself: solver_bench.py). Moved unchanged from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.seeding import derive_seed

from . import model


@dataclass(kw_only=True)
class SolverBenchConfig:
    datasets: list                     # names of the data sets, in the order of the inputs
    iterations: dict                   # per data set: CORNN iterations
    thresholds: dict                   # per data set: |E| threshold
    repeats: int
    million_n: int                 # the 1 M-weight problem, simulated here (T = 20 n)
    million_T: int
    million_repeats: int
    g: float                       # the 1 M-weight network and the fits (l2), from the YAML
    alpha: float
    sigma_in: float
    sigma_conv: float
    l2: float
    seed: int = 0


def solver_bench(cfg: SolverBenchConfig, data_exp1a: Path, data_exp1c: Path, table: Path) -> None:
    """Time every solver configuration (``solver_bench.configurations``) on exp 1a and
    exp 1c (network 0) and on a 1 M-weight network (n = 1000, T = 20000; the network of
    the scaling run), one process, one thread, CPU time; write the table."""
    import torch

    from . import solver, solver_bench as sb

    repro_core.seed_everything(cfg.seed)
    configs = sb.configurations()
    parts = []
    for name in repro_core.progress(cfg.datasets, desc="solver bench"):
        if name == "million":
            rng = np.random.default_rng(derive_seed(cfg.seed, "scaling", cfg.million_n))
            W, r = model.simulate_random(cfg.million_n, cfg.million_T, cfg.g, cfg.alpha,
                                         cfg.sigma_in, cfg.sigma_conv, rng)
            alpha, repeats = cfg.alpha, cfg.million_repeats
        else:
            d = repro_core.load_npz({"exp1a": data_exp1a, "exp1c": data_exp1c}[name])
            W, r, alpha, repeats = d["W"], d["r"], float(d["alpha"]), cfg.repeats
        parts.append(sb.bench_dataset(name, W, r, alpha, cfg.l2, float(cfg.thresholds[name]),
                                      int(cfg.iterations[name]), repeats, configs))
    default = solver.DEFAULTS[torch.device("cpu").type]
    repro_core.save_csv(sb.summarize(pd.concat(parts, ignore_index=True), default), table)
