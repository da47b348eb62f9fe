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

Wiring only: the work of simulate lives in :mod:`.simulation`, of train in :mod:`.training`,
of evaluate in :mod:`.evaluation`, of labels in :mod:`.labels`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repro_core import load_json, load_npz, progress, save_npz
from repro_core.cli import Stage

from .evaluation import EvaluateConfig, evaluate
from .processes import named_rng
from .simulation import SimulateConfig, simulate
from .training import TrainStageConfig, train


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
    rng = named_rng(cfg.seed, cfg.dataset, "labels")
    out = partial_ot_time_labels(d["X"], d["window"], int(d["n_windows"]), cfg.m_grid, cfg.batch,
                                 cfg.n_rep, rng, progress=progress)
    save_npz(labels, **out)


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
@dataclass(kw_only=True)
class SummaryConfig:
    datasets: list
    sweep: list
    seeds: int                 # training seeds per data set (the YAML's seeds)
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


@dataclass(kw_only=True)
class FiguresConfig:
    datasets: list
    sweep: list
    seeds: int                 # training seeds per data set (the YAML's seeds)
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


# --help for keys the rules set from a wildcard or derive from several sections (repro_core.cli.Stage)
DATASET = {"dataset": "Data set, from the output's {ctot_ds} wildcard: one of processes, or noise_<i> (the "
                      "sweep's process at its i-th timestamp noise)."}
SEED = {"train_seed": "Training seed, from the output's {ctot_seed} wildcard."}
DATASETS = {"datasets": "The main data sets (processes) whose results are read."}

STAGES = {
    "simulate": Stage(simulate, SimulateConfig, inputs=(), outputs=("data",),
                      rule_keys={**DATASET, "dim": "Dimension of the data: data.ou_dim for the OU process, 2 "
                                                   "for the others."}),
    "labels": Stage(labels, LabelsConfig, inputs=("data",), outputs=("labels",), section="labels",
                    rule_keys=DATASET),
    "train": Stage(train, TrainStageConfig, inputs=("data", "labels"), outputs=("models",),
                   renamed={"batch": "train.batch"}, rule_keys={**DATASET, **SEED}),
    "evaluate": Stage(evaluate, EvaluateConfig, inputs=("data", "labels", "models"),
                      outputs=("metrics", "paths"), rule_keys={**DATASET, **SEED}),
    "fit": Stage(fit, FitConfig, inputs=("data", "labels"), outputs=("models", "metrics", "paths")),
    "summarize": Stage(summarize, SummaryConfig, inputs=("root",),
                       outputs=("claims_json", "table", "table_html"), rule_keys=DATASETS),
    "figures": Stage(figures, FiguresConfig, inputs=("root",),
                     outputs=("fig_labels", "fig_traj", "fig_wdist", "fig_noise"), rule_keys=DATASETS),
}
