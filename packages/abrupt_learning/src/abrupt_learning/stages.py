"""Stages: train (one task x one learning rule per job) -> analyse -> figures, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage
from repro_core.config import ConfigError

from .detect import DetectSpec
from .tasks import TaskSpec


@dataclass
class RuleConfig:
    lr: float = 1e-3
    n_steps: int = 2000


@dataclass
class TrainConfig:
    task: str = "flipflop"
    rule: str = "bptt"
    N: int = 32
    alpha: float = 0.5
    batch: int = 16
    probe_batch: int = 16
    n_seeds: int = 2
    gains: list = field(default_factory=lambda: [0.5, 1.5])
    lams: list = field(default_factory=lambda: [0.0, 0.1])
    eval_every: int = 25
    clip: float = 1.0
    snap_every: int = 10
    ckpt_every: int = 10
    tasks: list = field(default_factory=lambda: ["addition", "evidence", "flipflop"])
    rules: list = field(default_factory=lambda: ["bptt", "rflo"])
    bptt: RuleConfig = field(default_factory=RuleConfig)
    rflo: RuleConfig = field(default_factory=lambda: RuleConfig(lr=3e-3))
    task_spec: TaskSpec = field(default_factory=TaskSpec)
    seed: int = 0


def grid_spec(cfg: TrainConfig):
    from . import model, tasks
    from .train import GridSpec

    for key, val, allowed in (("task", cfg.task, tasks.TASKS), ("rule", cfg.rule, tuple(model.RULES))):
        if val not in allowed:
            raise ConfigError(f"config key train.{key}={val!r} is not allowed; allowed values: "
                              f"{', '.join(allowed)}")
    if 0.0 not in [float(x) for x in cfg.lams]:
        raise ConfigError("config key train.lams must contain 0 (the unregularised baseline)")
    rc: RuleConfig = getattr(cfg, cfg.rule)
    return GridSpec(task=cfg.task, rule=cfg.rule, N=cfg.N, alpha=cfg.alpha, batch=cfg.batch,
                    probe_batch=cfg.probe_batch, n_steps=rc.n_steps, eval_every=cfg.eval_every, lr=rc.lr,
                    clip=cfg.clip, seeds=tuple(range(cfg.n_seeds)), gains=tuple(float(g) for g in cfg.gains),
                    lams=tuple(float(x) for x in cfg.lams), task_spec=cfg.task_spec,
                    snap_every=cfg.snap_every, ckpt_every=cfg.ckpt_every, seed=cfg.seed)


def train(cfg: TrainConfig, out: Path) -> None:
    """Train every (seed, gain, lambda) network of one task with one rule."""
    from .train import train_grid

    repro_core.seed_everything(cfg.seed)
    train_grid(grid_spec(cfg), out, desc=f"{cfg.task}/{cfg.rule}")


# ------------------------------------------------------------------ analyse
@dataclass
class AnalyseConfig:
    detect: DetectSpec = field(default_factory=DetectSpec)   # plateau / drop / GR thresholds
    fp_rule: str = "bptt"             # fixed points of this rule's seed-0 networks
    fp_starts: int = 64
    fp_steps: int = 1000
    fp_lr: float = 0.01
    q_tol: float = 1e-6
    fp_tol: float = 0.05
    fp_every: int = 1                 # analyse every fp_every-th parameter snapshot
    inputs: list = field(default_factory=list)   # the train outputs (the rule passes them)
    seed: int = 0


def _f(x) -> float:
    """A float32 config value (gain, lambda) as the decimal it was written as."""
    return float(f"{float(x):.6g}")


def run_table(z: dict, cfg: AnalyseConfig) -> pd.DataFrame:
    """One row per network of a train output: its detected events."""
    from .detect import analyse_run

    spec = cfg.detect
    ev = z["eval_steps"]
    E = int(ev[1] - ev[0])
    L = z["L"].reshape(len(z["L"]), -1, E).mean(-1)
    rows = []
    for n in range(len(L)):
        r = analyse_run(L[n], z["geo"][n, 1:], z["probe_loss"][n], ev[1:], spec, int(ev[-1]))
        rows.append({"task": str(z["task"]), "rule": str(z["rule"]), "net": n, "seed": int(z["seed"][n]),
                     "gain": _f(z["gain"][n]), "lam": _f(z["lam"][n]), "n_steps": int(ev[-1]), **r})
    return pd.DataFrame(rows)


def fixed_point_table(z: dict, cfg: AnalyseConfig):
    """Fixed points of the seed-0 networks at their parameter snapshots
    (every ``fp_every``-th), all snapshots of a network in one q-minimisation."""
    import jax.numpy as jnp

    from . import fixed_points as fpm
    from . import model

    rng = repro_core.seed_everything(cfg.seed)
    alpha = float(z["alpha"])
    u = jnp.asarray(z["probe_u"])
    snaps = list(range(0, len(z["snap_steps"]), cfg.fp_every))
    rows, pts = [], []
    for a, n in enumerate(z["snap_idx"]):
        starts = []
        for s in snaps:
            p = {k: jnp.asarray(z[f"snap_{k}"][a, s]) for k in model.KEYS}
            hs = np.asarray(model.run(p, u, alpha)[0]).reshape(-1, p["b"].shape[0])
            starts.append(hs[rng.choice(len(hs), size=min(cfg.fp_starts, len(hs)), replace=False)])
        res = fpm.snapshot_fixed_points(z["snap_W"][a, snaps], z["snap_b"][a, snaps], alpha,
                                        np.stack(starts, axis=1), cfg.q_tol, cfg.fp_tol, cfg.fp_steps, cfg.fp_lr)
        for s, st, r in zip(snaps, starts, res):
            dist = (np.min(np.linalg.norm(st[:, None] - r["X"][None], axis=-1), axis=1).mean()
                    if len(r["X"]) else np.nan)
            rows.append({"task": str(z["task"]), "rule": str(z["rule"]), "net": int(n),
                         "gain": _f(z["gain"][n]), "lam": _f(z["lam"][n]),
                         "step": int(z["snap_steps"][s]), "n_fixed": len(r["X"]),
                         "n_stable": int(r["stable"].sum()), "traj_to_fp": float(dist)})
            pts.append(np.c_[np.full(len(r["X"]), len(rows) - 1), r["stable"], r["X"]])
    return rows, pts


def analyse(cfg: AnalyseConfig, runs: Path, fixed: Path, points: Path) -> None:
    """Detect plateau / drop / GR per network; fixed points of snapshot networks."""
    if not cfg.inputs:
        raise ConfigError("config key analyse.inputs is empty (the train outputs)")
    tables, fp_rows, fp_pts = [], [], []
    for f in repro_core.progress(cfg.inputs, desc="analyse"):
        z = repro_core.load_npz(f)
        tables.append(run_table(z, cfg))
        if str(z["rule"]) == cfg.fp_rule:
            rows, pts = fixed_point_table(z, cfg)
            off = len(fp_rows)
            fp_rows += rows
            fp_pts += [np.c_[p[:, :1] + off, p[:, 1:]] for p in pts]
    repro_core.save_csv(pd.concat(tables, ignore_index=True), runs)
    repro_core.save_csv(pd.DataFrame(fp_rows, columns=["task", "rule", "net", "gain", "lam", "step", "n_fixed",
                                                       "n_stable", "traj_to_fp"]), fixed)
    P = np.concatenate([p for p in fp_pts if len(p)]) if any(len(p) for p in fp_pts) else np.zeros((0, 2))
    repro_core.save_npz(points, row=P[:, 0].astype(int), stable=P[:, 1].astype(bool), X=P[:, 2:])


# ------------------------------------------------------------------ figures
@dataclass
class FiguresConfig:
    inputs: list = field(default_factory=list)
    lam_ref: float = 0.1
    seed: int = 0


def figures(cfg: FiguresConfig, runs: Path, fixed: Path, points: Path, fig_aligned: Path, fig_phase: Path,
            fig_speedup: Path, fig_gain: Path) -> None:
    from . import plots

    rt, fp = repro_core.read_table(runs), repro_core.read_table(fixed)
    trains = {(str(z["task"]), str(z["rule"])): z for z in map(repro_core.load_npz, cfg.inputs)}
    plots.aligned(trains, rt, fig_aligned)
    plots.phase(trains, rt, fp, repro_core.load_npz(points), fig_phase)
    plots.speedup(rt, cfg.lam_ref, fig_speedup)
    plots.gain(rt, cfg.lam_ref, fig_gain)


# ------------------------------------------------------------------- claims
@dataclass
class ClaimsConfig:
    lam_ref: float = 0.1              # the regulariser strength compared with lambda = 0
    scale: str = "quick"
    seed: int = 0


def claims(cfg: ClaimsConfig, runs: Path, out: Path) -> None:
    from .claims import CLAIMS, build_context

    ctx = build_context(repro_core.read_table(runs), cfg.lam_ref)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="abrupt_learning")
    repro_core.write_claims(records, out)


STAGES = {
    "train": Stage(train, TrainConfig, outputs=("out",)),
    "analyse": Stage(analyse, AnalyseConfig, outputs=("runs", "fixed", "points")),
    "figures": Stage(figures, FiguresConfig, inputs=("runs", "fixed", "points"),
                     outputs=("fig_aligned", "fig_phase", "fig_speedup", "fig_gain")),
    "claims": Stage(claims, ClaimsConfig, inputs=("runs",), outputs=("out",)),
}
