"""Workflow stages of ctot_flow (plain functions + dataclass configs).

    simulate  (per dataset)           -> data/<ds>.npz   snapshots + test paths
    labels    (per dataset)           -> labels/<ds>.npz partial-OT time labels
    train     (per dataset)           -> models/<ds>/{ctot,otcfm}.pt
    evaluate  (per dataset)           -> eval/<ds>.json (+ eval/<ds>_paths.npz)
    fit       (per dataset)           = train + evaluate in one job (what the workflow runs)
    summarize (all datasets)          -> claims.json, tables
    figures   (all datasets)          -> figures

A dataset is one synthetic process with one timestamp-noise level: the main
processes, plus the timestamp-noise sweep (``noise_<i>``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from repro_core import load_json, load_npz, progress, save_json, save_npz, load_torch, save_torch, seed_everything
from repro_core.cli import Stage
from repro_core.seeding import derive_seed

from .processes import Process, midpoint_labels, observe


def _rng(seed: int, *names) -> np.random.Generator:
    """A generator for a named sub-task; numpy-only stages skip seed_everything,
    which imports torch (seconds per job on a loaded machine)."""
    return np.random.default_rng(derive_seed(seed, *names))


# ---------------------------------------------------------------- simulate
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
    seed: int = 0


def make_process(cfg: SimulateConfig) -> Process:
    return Process(cfg.process, cfg.dim, spread=cfg.spread, sigma=cfg.ou_sigma)


def simulate(cfg: SimulateConfig, data: Path) -> None:
    """Coarse noisy snapshots of one process, and held-out true paths for evaluation."""
    proc = make_process(cfg)
    rng = _rng(cfg.seed, cfg.dataset, "simulate")
    obs = observe(proc, cfg.n, cfg.n_windows, cfg.time_noise, rng)
    times = np.array([cfg.t_start, *cfg.eval_times], dtype=float)
    if np.any(np.diff(times) <= 0) or times[0] < 0 or times[-1] > 1:
        raise ValueError("evaluate times must increase from t_start within [0, 1] "
                         f"(t_start={cfg.t_start}, eval_times={cfg.eval_times})")
    test = proc.paths(proc.sample_x0(cfg.n_test, rng), times, rng)
    save_npz(data, **obs, test_paths=test, test_times=times, n_windows=cfg.n_windows,
             deterministic=proc.deterministic)


# ---------------------------------------------------------------- labels
@dataclass
class LabelsConfig:
    dataset: str
    m_grid: list = field(default_factory=lambda: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9])
    batch: int = 250
    n_rep: int = 2
    seed: int = 0


def labels(cfg: LabelsConfig, data: Path, labels: Path) -> None:
    """Within-window time labels from mini-batch exact partial OT."""
    from .labels import partial_ot_time_labels

    d = load_npz(data)
    rng = _rng(cfg.seed, cfg.dataset, "labels")
    out = partial_ot_time_labels(d["X"], d["window"], int(d["n_windows"]), cfg.m_grid, cfg.batch,
                                 cfg.n_rep, rng, progress=progress)
    save_npz(labels, **out)


# ---------------------------------------------------------------- train
@dataclass
class TrainStageConfig:
    dataset: str
    steps: int = 3000
    batch: int = 256
    width: int = 64
    depth: int = 3
    lr: float = 1e-3
    sigma: float = 0.01
    h: float = 0.02
    delta: float = 0.1
    ckpt_every: int = 500
    device: str = "cpu"        # auto | cpu | cuda (repro_core.device.torch_device)
    seed: int = 0


def train(cfg: TrainStageConfig, data: Path, labels: Path, ctot: Path, otcfm: Path) -> None:
    """Flow matching of the velocity MLP for CT-OT Flow and for OT-CFM on midpoints
    (same network, optimiser and budget; checkpoints, resumes). One job trains both:
    starting a torch process costs more than a smoke-scale training run."""
    from repro_core.device import torch_device

    from .flow import PairSampler, TrainConfig, train_flow

    d, lab = load_npz(data), load_npz(labels)
    tcfg = TrainConfig(steps=cfg.steps, batch=cfg.batch, width=cfg.width, depth=cfg.depth,
                       lr=cfg.lr, sigma=cfg.sigma, ckpt_every=cfg.ckpt_every)
    for method, model in (("ctot", ctot), ("otcfm", otcfm)):
        seed_everything(derive_seed(cfg.seed, cfg.dataset, method, "torch"))
        rng = _rng(cfg.seed, cfg.dataset, method, "train")
        sampler = PairSampler(method, d["X"], lab["t_hat"], d["window"], int(d["n_windows"]),
                              h=cfg.h, delta=cfg.delta)
        ckpt = Path(str(model) + ".ckpt")
        net, losses = train_flow(sampler, d["X"].shape[1], tcfg, rng, ckpt=ckpt, progress=progress,
                                 device=torch_device(cfg.device))
        save_torch({"state_dict": net.cpu().state_dict(), "dim": int(d["X"].shape[1]),
                    "width": cfg.width, "depth": cfg.depth, "losses": losses, "method": method,
                    "config": asdict(cfg)}, model)
        ckpt.unlink(missing_ok=True)


def load_model(path: Path):
    from .flow import MLP

    state = load_torch(path)
    net = MLP(state["dim"], state["width"], state["depth"])
    net.load_state_dict(state["state_dict"])
    return net, state


# ---------------------------------------------------------------- evaluate
@dataclass
class EvaluateConfig:
    dataset: str
    process: str = ""
    time_noise: float = 0.0
    h: float = 0.02            # kernel bandwidth of CT-OT's p_hat (the train section's h)
    ode_step: float = 0.01
    n_plot: int = 40
    seed: int = 0


def start_samples(method: str, d: dict, t_hat: np.ndarray, t_start: float, h: float, n: int,
                  rng: np.random.Generator) -> np.ndarray:
    """What each method knows of the distribution at t_start from the data alone: CT-OT Flow
    its kernel-smoothed p_hat(x | t_start); OT-CFM the snapshot of the window whose midpoint is
    t_start (all of it, whatever the true times within the window)."""
    from .labels import sample_smoothed

    if method == "ctot":
        return sample_smoothed(d["X"], t_hat, t_start, h, n, rng)
    mid = midpoint_labels(d["window"], int(d["n_windows"]))
    k = np.argmin(np.abs(mid - t_start))
    if not np.isclose(mid[k], t_start):
        raise ValueError(f"t_start={t_start} is not a window midpoint; OT-CFM has no snapshot there")
    members = np.flatnonzero(d["window"] == d["window"][k])
    return d["X"][rng.choice(members, size=n, replace=len(members) < n)]


def evaluate(cfg: EvaluateConfig, data: Path, labels: Path, ctot: Path, otcfm: Path,
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
    rng = _rng(cfg.seed, cfg.dataset, "evaluate")
    res = {"dataset": cfg.dataset, "process": cfg.process, "time_noise": cfg.time_noise,
           "deterministic": deterministic, "times": times[1:],
           "labels": label_metrics(d["t_true"], lab["t_hat"], midpoint_labels(d["window"], nw),
                                   d["window"]),
           "methods": {}}
    plot = {"true": test[: cfg.n_plot], "times": times}

    def w_per_time(gen, p):
        return [wasserstein(gen[:, j], test[:, j], p=p) for j in range(1, len(times))]

    for method, path in (("ctot", ctot), ("otcfm", otcfm)):
        net, state = load_model(path)
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
    # sampling floor: W2 between two halves of the true sample at each time
    half = len(test) // 2
    res["w2_floor"] = [wasserstein(test[:half, j], test[half: 2 * half, j]) for j in range(1, len(times))]
    save_json(res, metrics)
    save_npz(paths, **plot)


# ---------------------------------------------------------------- fit = train + evaluate
@dataclass
class FitConfig:
    train: TrainStageConfig
    evaluate: EvaluateConfig


def fit(cfg: FitConfig, data: Path, labels: Path, ctot: Path, otcfm: Path, metrics: Path,
        paths: Path) -> None:
    """:func:`train` then :func:`evaluate` in one process: the workflow's job per data set
    (starting torch + POT costs more than a smoke-scale training run)."""
    train(cfg.train, data, labels, ctot, otcfm)
    evaluate(cfg.evaluate, data, labels, ctot, otcfm, metrics, paths)


# ---------------------------------------------------------------- summarize / figures
@dataclass
class SummaryConfig:
    datasets: list
    sweep: list
    scale: str = "quick"
    seed: int = 0


def _load_results(root: Path, names) -> list[dict]:
    return [load_json(Path(root) / "eval" / f"{n}.json") for n in names]


def summarize(cfg: SummaryConfig, root: Path, claims: Path, table: Path, table_html: Path) -> None:
    """claims.json and the per-dataset table of label errors and W-distances."""
    import pandas as pd

    from repro_core import evaluate_claims, save_csv, save_text, write_claims

    from .claims import CLAIMS, results_table

    ctx = {"main": _load_results(root, cfg.datasets), "sweep": _load_results(root, cfg.sweep)}
    write_claims(evaluate_claims(CLAIMS, ctx, cfg.scale, paper="ctot_flow"), claims)
    df: pd.DataFrame = results_table(ctx["main"] + ctx["sweep"])
    save_csv(df, table)
    save_text(df.to_html(index=False, float_format=lambda x: f"{x:.4g}"), table_html)


@dataclass
class FiguresConfig:
    datasets: list
    sweep: list
    seed: int = 0


def figures(cfg: FiguresConfig, root: Path, fig_labels: Path, fig_traj: Path, fig_wdist: Path,
            fig_noise: Path) -> None:
    from . import figures as F

    root = Path(root)
    data = {n: load_npz(root / "data" / f"{n}.npz") for n in cfg.datasets}
    labs = {n: load_npz(root / "labels" / f"{n}.npz") for n in cfg.datasets}
    paths = {n: load_npz(root / "eval" / f"{n}_paths.npz") for n in cfg.datasets}
    main, sweep = _load_results(root, cfg.datasets), _load_results(root, cfg.sweep)
    F.fig_labels(data, labs, fig_labels)
    F.fig_trajectories(data, paths, fig_traj)
    F.fig_wdist(main, fig_wdist)
    F.fig_noise(sweep, fig_noise)


STAGES = {
    "simulate": Stage(simulate, SimulateConfig, inputs=(), outputs=("data",)),
    "labels": Stage(labels, LabelsConfig, inputs=("data",), outputs=("labels",)),
    "train": Stage(train, TrainStageConfig, inputs=("data", "labels"), outputs=("ctot", "otcfm")),
    "evaluate": Stage(evaluate, EvaluateConfig, inputs=("data", "labels", "ctot", "otcfm"),
                      outputs=("metrics", "paths")),
    "fit": Stage(fit, FitConfig, inputs=("data", "labels"),
                 outputs=("ctot", "otcfm", "metrics", "paths")),
    "summarize": Stage(summarize, SummaryConfig, inputs=("root",),
                       outputs=("claims", "table", "table_html")),
    "figures": Stage(figures, FiguresConfig, inputs=("root",),
                     outputs=("fig_labels", "fig_traj", "fig_wdist", "fig_noise")),
}
