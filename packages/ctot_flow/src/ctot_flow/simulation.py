"""The simulate stage: coarse noisy snapshots of one synthetic process, held-out true paths and
the sampling floor of the Wasserstein distances (moved unchanged from stages.py, issue 31)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from repro_core import save_npz

from .processes import Process, named_rng, observe


@dataclass
class SimulateConfig:
    dataset: str
    process: str
    dim: int
    n: int
    n_windows: int = 5
    time_noise: float = 0.02
    spread: float = 0.05
    ou_sigma: float = 0.3
    n_test: int = 500
    t_start: float = 0.1
    eval_times: list = field(default_factory=lambda: [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    floor_reps: int = 5          # independent true samples of size n_test for the sampling floor
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
