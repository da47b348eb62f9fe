"""The simulate stage: coarse noisy snapshots of one synthetic process, held-out true paths and
the sampling floor of the Wasserstein distances (moved unchanged from stages.py, issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro_core import save_npz

from .processes import Process, named_rng, observe


@dataclass(kw_only=True)
class SimulateConfig:
    """The ``data`` section of config/ctot_flow.yaml (ou_dim resolved to ``dim``) plus the data set,
    its process and its timestamp noise; every value comes from the YAML (no defaults)."""
    dataset: str
    process: str
    dim: int
    n: int
    n_windows: int
    time_noise: float
    spread: float
    ou_sigma: float
    n_test: int
    t_start: float
    eval_times: list
    floor_reps: int              # independent true samples of size n_test for the sampling floor
    seed: int = 0


def make_process(cfg: SimulateConfig) -> Process:
    return Process(cfg.process, cfg.dim, spread=cfg.spread, sigma=cfg.ou_sigma)


def simulate(cfg: SimulateConfig, data: Path) -> None:
    """Coarse noisy snapshots of one process, and held-out true paths for evaluation."""
    proc = make_process(cfg)
    rng = named_rng(cfg.seed, cfg.dataset, "simulate")
    obs = observe(proc, cfg.n, cfg.n_windows, cfg.time_noise, rng)
    times = np.array([cfg.t_start, *cfg.eval_times], dtype=float)
    if np.any(np.diff(times) <= 0) or times[0] < 0 or times[-1] > 1:
        raise ValueError("evaluate times must increase from t_start within [0, 1] "
                         f"(t_start={cfg.t_start}, eval_times={cfg.eval_times})")
    test = proc.paths(proc.sample_x0(cfg.n_test, rng), times, rng)
    floor = sampling_floor(proc, test, times, cfg.floor_reps, rng)
    save_npz(data, **obs, test_paths=test, test_times=times, n_windows=cfg.n_windows,
             deterministic=proc.deterministic, w2_floor=floor)


def sampling_floor(proc: Process, test: np.ndarray, times: np.ndarray, reps: int,
                   rng: np.random.Generator) -> np.ndarray:
    """W2 (reps x held-out times) between the test sample and ``reps`` fresh, independent samples
    of the same true process at the evaluation sample size: what W2 reads for a perfect model."""
    from .metrics import wasserstein

    out = np.empty((reps, len(times) - 1))
    for r in range(reps):
        fresh = proc.paths(proc.sample_x0(len(test), rng), times, rng)
        out[r] = [wasserstein(fresh[:, j], test[:, j]) for j in range(1, len(times))]
    return out
