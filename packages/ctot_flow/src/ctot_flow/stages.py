"""Workflow stages of ctot_flow (plain functions + dataclass configs).

    simulate  (per dataset)           -> data/<ds>.npz   snapshots, test paths, sampling floor
    labels    (per dataset)           -> labels/<ds>.npz partial-OT time labels
    train     (per dataset, seed)     -> models/<ds>/s<seed>.pt  every method's network
    evaluate  (per dataset, seed)     -> eval/<ds>/s<seed>.json (+ s<seed>_paths.npz)
    fit       (per dataset, seed)     = train + evaluate in one job (what the workflow runs)
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
    floor_reps: int = 5          # independent true samples of size n_test for the sampling floor
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


# ---------------------------------------------------------------- labels
@dataclass(kw_only=True)
class LabelsConfig:
    dataset: str
    m_grid: list
    batch: int
    n_rep: int
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
    sb_sigma: float = 0.1
    h: float = 0.02
    delta: float = 0.1
    ckpt_every: int = 500
    methods: list = field(default_factory=lambda: ["ctot", "otcfm"])
    train_seed: int = 0        # index of the training seed (the data are the same for every one)
    device: str = "cpu"        # auto | cpu | cuda (repro_core.device.torch_device)
    seed: int = 0


def train(cfg: TrainStageConfig, data: Path, labels: Path, models: Path) -> None:
    """Flow matching of the velocity MLP for every method of ``cfg.methods`` (CT-OT Flow, our
    OT-CFM on midpoints, torchcfm's baselines; same network, optimiser and budget; checkpoints,
    resumes), one training seed. One job trains all: starting a torch process costs more than a
    smoke-scale training run."""
    from repro_core.device import torch_device

    from .flow import METHODS, PairSampler, TrainConfig, train_flow

    unknown = [m for m in cfg.methods if m not in METHODS]
    if unknown:
        raise ValueError(f"train.methods: unknown {unknown}; allowed: {', '.join(METHODS)}")
    d, lab = load_npz(data), load_npz(labels)
    tcfg = TrainConfig(steps=cfg.steps, batch=cfg.batch, width=cfg.width, depth=cfg.depth,
                       lr=cfg.lr, sigma=cfg.sigma, sb_sigma=cfg.sb_sigma, ckpt_every=cfg.ckpt_every)
    out = {}
    for method in cfg.methods:
        seed_everything(derive_seed(cfg.seed, cfg.dataset, method, "torch", cfg.train_seed))
        rng = _rng(cfg.seed, cfg.dataset, method, "train", cfg.train_seed)
        sampler = PairSampler(method, d["X"], lab["t_hat"], d["window"], int(d["n_windows"]),
                              h=cfg.h, delta=cfg.delta)
        ckpt = Path(f"{models}.{method}.ckpt")
        net, losses = train_flow(sampler, d["X"].shape[1], tcfg, rng, ckpt=ckpt, progress=progress,
                                 device=torch_device(cfg.device))
        out[method] = {"state_dict": net.cpu().state_dict(), "dim": int(d["X"].shape[1]),
                       "width": cfg.width, "depth": cfg.depth, "losses": losses, "method": method,
                       "config": asdict(cfg)}
    save_torch(out, models)
    for method in cfg.methods:
        Path(f"{models}.{method}.ckpt").unlink(missing_ok=True)


def load_models(path: Path) -> dict:
    """{method: (network, its saved state)} of one training seed."""
    from .flow import MLP

    out = {}
    for method, state in load_torch(path).items():
        net = MLP(state["dim"], state["width"], state["depth"])
        net.load_state_dict(state["state_dict"])
        out[method] = (net, state)
    return out


# ---------------------------------------------------------------- evaluate
@dataclass
class EvaluateConfig:
    dataset: str
    process: str = ""
    time_noise: float = 0.0
    train_seed: int = 0
    h: float = 0.02            # kernel bandwidth of CT-OT's p_hat (the train section's h)
    ode_step: float = 0.01
    n_plot: int = 40
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
    rng = _rng(cfg.seed, cfg.dataset, "evaluate", cfg.train_seed)
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


# ---------------------------------------------------------------- fit = train + evaluate
@dataclass
class FitConfig:
    train: TrainStageConfig
    evaluate: EvaluateConfig


def fit(cfg: FitConfig, data: Path, labels: Path, models: Path, metrics: Path, paths: Path) -> None:
    """:func:`train` then :func:`evaluate` in one process: the workflow's job per data set and
    training seed (starting torch + POT costs more than a smoke-scale training run)."""
    if cfg.train.train_seed != cfg.evaluate.train_seed:
        raise ValueError("fit: train.train_seed and evaluate.train_seed differ")
    train(cfg.train, data, labels, models)
    evaluate(cfg.evaluate, data, labels, models, metrics, paths)


# ---------------------------------------------------------------- summarize / figures
@dataclass
class SummaryConfig:
    datasets: list
    sweep: list
    seeds: int = 1
    scale: str = "quick"
    seed: int = 0


def _load_results(root: Path, names, seeds: int) -> dict:
    """{dataset: [result of training seed 0, 1, ...]}"""
    return {n: [load_json(Path(root) / "eval" / n / f"s{s}.json") for s in range(seeds)] for n in names}


def summarize(cfg: SummaryConfig, root: Path, claims_json: Path, table: Path, table_html: Path) -> None:
    """claims.json and the per-dataset table of label errors and W-distances."""
    import pandas as pd

    from repro_core import evaluate_claims, save_csv, save_text, write_claims

    from .claims import CLAIMS, results_table

    ctx = {"main": _load_results(root, cfg.datasets, cfg.seeds),
           "sweep": _load_results(root, cfg.sweep, cfg.seeds)}
    write_claims(evaluate_claims(CLAIMS, ctx, cfg.scale, paper="ctot_flow"), claims_json)
    df: pd.DataFrame = results_table({**ctx["main"], **ctx["sweep"]})
    save_csv(df, table)
    save_text(df.to_html(index=False, float_format=lambda x: f"{x:.4g}"), table_html)


@dataclass
class FiguresConfig:
    datasets: list
    sweep: list
    seeds: int = 1
    seed: int = 0


def figures(cfg: FiguresConfig, root: Path, fig_labels: Path, fig_traj: Path, fig_wdist: Path,
            fig_noise: Path) -> None:
    from . import figures as F

    root = Path(root)
    data = {n: load_npz(root / "data" / f"{n}.npz") for n in cfg.datasets}
    labs = {n: load_npz(root / "labels" / f"{n}.npz") for n in cfg.datasets}
    paths = {n: load_npz(root / "eval" / n / "s0_paths.npz") for n in cfg.datasets}   # seed 0
    main, sweep = _load_results(root, cfg.datasets, cfg.seeds), _load_results(root, cfg.sweep, cfg.seeds)
    F.fig_labels(data, labs, fig_labels)
    F.fig_trajectories(data, paths, fig_traj)
    F.fig_wdist(main, fig_wdist)
    F.fig_noise(sweep, fig_noise)


STAGES = {
    "simulate": Stage(simulate, SimulateConfig, inputs=(), outputs=("data",)),
    "labels": Stage(labels, LabelsConfig, inputs=("data",), outputs=("labels",), section="labels"),
    "train": Stage(train, TrainStageConfig, inputs=("data", "labels"), outputs=("models",)),
    "evaluate": Stage(evaluate, EvaluateConfig, inputs=("data", "labels", "models"),
                      outputs=("metrics", "paths")),
    "fit": Stage(fit, FitConfig, inputs=("data", "labels"), outputs=("models", "metrics", "paths")),
    "summarize": Stage(summarize, SummaryConfig, inputs=("root",),
                       outputs=("claims_json", "table", "table_html")),
    "figures": Stage(figures, FiguresConfig, inputs=("root",),
                     outputs=("fig_labels", "fig_traj", "fig_wdist", "fig_noise")),
}
