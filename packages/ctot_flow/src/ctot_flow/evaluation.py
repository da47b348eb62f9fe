"""The evaluate stage: label errors, W1/W2 at held-out times and trajectory errors of every
method's generated particles (moved unchanged from stages.py, issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro_core import load_npz, save_json, save_npz

from .processes import midpoint_labels, named_rng
from .training import load_models


@dataclass(kw_only=True)
class EvaluateConfig:
    """The ``evaluate`` section of config/ctot_flow.yaml plus the data set's process, timestamp
    noise and training seed, and the train section's ``h`` (no defaults: the YAML sets them)."""
    dataset: str
    process: str
    time_noise: float
    train_seed: int
    h: float                   # kernel bandwidth of CT-OT's p_hat (the train section's h)
    ode_step: float
    n_plot: int
    seed: int = 0


def start_samples(method: str, d: dict, t_hat: np.ndarray, t_start: float, h: float, n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """What each method knows of the distribution at t_start from the data alone: CT-OT Flow
    its kernel-smoothed p_hat(x | t_start); OT-CFM and the other midpoint baselines the snapshot of
    the window whose midpoint is t_start (all of it, whatever the true times within the window)."""
    from .labels import sample_smoothed

    if method == "ctot":
        return sample_smoothed(d["X"], t_hat, t_start, h, n, rng)
    mid = midpoint_labels(d["window"], int(d["n_windows"]))
    k = np.argmin(np.abs(mid - t_start))
    if not np.isclose(mid[k], t_start):
        raise ValueError(f"t_start={t_start} is not a window midpoint; OT-CFM has no snapshot there")
    members = np.flatnonzero(d["window"] == d["window"][k])
    return d["X"][rng.choice(members, size=n, replace=len(members) < n)]


def evaluate(cfg: EvaluateConfig, data: Path, labels: Path, models: Path,
             metrics: Path, paths: Path) -> None:
    """Label errors; W1/W2 at held-out times of every method's generated particles, started
    (a) from the method's own estimate of the t_start distribution from the data (``w1``, ``w2``:
    the realistic protocol) and (b) from the true particles at t_start (``w2_true_start``);
    trajectory errors from the true starts (deterministic processes)."""
    from .flow import integrate
    from .labels import label_metrics
    from .metrics import trajectory_error, wasserstein

    d, lab = load_npz(data), load_npz(labels)
    nw = int(d["n_windows"])
    times, test = d["test_times"], d["test_paths"]
    deterministic = bool(d["deterministic"])
    rng = named_rng(cfg.seed, cfg.dataset, "evaluate", cfg.train_seed)
    res = {"dataset": cfg.dataset, "process": cfg.process, "time_noise": cfg.time_noise,
           "train_seed": cfg.train_seed,
           "deterministic": deterministic, "times": times[1:],
           "labels": label_metrics(d["t_true"], lab["t_hat"], midpoint_labels(d["window"], nw),
                                   d["window"]),
           "methods": {}}
    plot = {"true": test[: cfg.n_plot], "times": times}

    def w_per_time(gen, p):
        return [wasserstein(gen[:, j], test[:, j], p=p) for j in range(1, len(times))]

    for method, (net, state) in load_models(models).items():
        start = start_samples(method, d, lab["t_hat"], float(times[0]), cfg.h, len(test), rng)
        gen = integrate(net, start, times, step=cfg.ode_step)
        from_true = integrate(net, test[:, 0], times, step=cfg.ode_step)
        w1, w2, w2_true = w_per_time(gen, 1), w_per_time(gen, 2), w_per_time(from_true, 2)
        traj = trajectory_error(from_true[:, 1:], test[:, 1:]).tolist() if deterministic else None
        res["methods"][method] = {
            "w1": w1, "w2": w2, "w2_true_start": w2_true, "traj": traj,
            "w1_mean": float(np.mean(w1)), "w2_mean": float(np.mean(w2)),
            "w2_true_start_mean": float(np.mean(w2_true)),
            "traj_mean": float(np.mean(traj)) if traj else None,
            "final_loss": float(np.mean(state["losses"][-100:]))}
        plot[method] = from_true[: cfg.n_plot]
    # sampling floor: W2 between the test sample and independent true samples of the same size
    res["w2_floor"] = d["w2_floor"].mean(0).tolist()
    res["w2_floor_sd"] = d["w2_floor"].std(0, ddof=1).tolist() if len(d["w2_floor"]) > 1 else \
        [0.0] * d["w2_floor"].shape[1]
    res["w2_floor_mean"] = float(d["w2_floor"].mean())
    # a method at the floor is indistinguishable from the truth at this sample size: floor_hi is
    # the floor's mean plus two standard deviations of its per-draw mean over held-out times
    per_draw = d["w2_floor"].mean(1)
    res["w2_floor_hi"] = float(per_draw.mean() + 2 * (per_draw.std(ddof=1) if len(per_draw) > 1 else 0.0))
    save_json(res, metrics)
    save_npz(paths, **plot)
