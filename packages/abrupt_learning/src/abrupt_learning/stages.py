"""Stages: train (one task x one learning rule per job) -> analyse -> figures, claims."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage
from repro_core.config import ConfigError

from .detect import DetectSpec
from .tasks import TaskSpec


# No defaults for the keys config/abrupt_learning.yaml sets: the YAML is their one source
# (the schema, workflow/schemas/abrupt_learning.schema.yaml, describes them).
@dataclass(kw_only=True)
class RuleConfig:
    lr: float                        # learning rate of this rule
    n_steps: int                     # training steps


@dataclass(kw_only=True)
class TrainConfig:
    task: str                        # the task of this job (the rule's wildcard)
    rule: str                        # the learning rule of this job (the rule's wildcard)
    N: int                           # units
    alpha: float                     # dt / tau
    batch: int
    probe_batch: int
    n_seeds: int
    gains: list
    lams: list
    eval_every: int
    clip: float
    snap_every: int
    ckpt_every: int
    tasks: list
    rules: list
    bptt: RuleConfig
    rflo: RuleConfig
    task_spec: TaskSpec
    optimizer: str                   # "adam", or "sgd" with momentum (the authors' public RNN code)
    momentum: float                  # SGD only
    seed: int = 0


def grid_spec(cfg: TrainConfig):
    from . import model, tasks
    from .train import GridSpec

    for key, val, allowed in (("task", cfg.task, tasks.TASKS), ("rule", cfg.rule, tuple(model.RULES)),
                              ("optimizer", cfg.optimizer, model.OPTIMIZERS)):
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
                    snap_every=cfg.snap_every, ckpt_every=cfg.ckpt_every, seed=cfg.seed,
                    optimizer=cfg.optimizer, momentum=cfg.momentum)


def train(cfg: TrainConfig, out: Path) -> None:
    """Train every (seed, gain, lambda) network of one task with one rule."""
    from .train import train_grid

    repro_core.seed_everything(cfg.seed)
    train_grid(grid_spec(cfg), out, desc=f"{cfg.task}/{cfg.rule}")


# ------------------------------------------------------------------ analyse
@dataclass(kw_only=True)
class AnalyseConfig:
    detect: DetectSpec                # plateau / drop / GR thresholds
    fp_rule: str                      # fixed points of this rule's seed-0 networks
    fp_starts: int
    fp_steps: int
    fp_lr: float
    q_tol: float
    fp_tol: float
    fp_every: int                     # analyse every fp_every-th parameter snapshot
    fp_end_tasks: list                # fixed points of every final network
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
    df = pd.DataFrame(rows)
    nan = np.full(len(df), np.nan)
    df["n_stable_end"], df["n_memories_end"] = nan, nan.copy()
    if str(z["task"]) in cfg.fp_end_tasks and "final_W" in z:
        n_stable, n_mem = end_fixed_points(z, cfg)
        df["n_stable_end"], df["n_memories_end"] = n_stable.astype(float), n_mem.astype(float)
    return df


def end_fixed_points(z: dict, cfg: AnalyseConfig):
    """Stable fixed points of every network at the end of training (starts: visited probe states)
    and the number of distinct clear memory patterns their readouts hold (:func:`memory_patterns`)."""
    import jax.numpy as jnp

    from . import fixed_points as fpm
    from . import model

    rng = repro_core.seed_everything(cfg.seed)
    alpha, u = float(z["alpha"]), jnp.asarray(z["probe_u"])
    S = len(z["final_W"])
    starts = []
    for n in range(S):
        p = {k: jnp.asarray(z[f"final_{k}"][n]) for k in model.KEYS}
        hs = np.asarray(model.run(p, u, alpha)[0]).reshape(-1, p["b"].shape[0])
        starts.append(hs[rng.choice(len(hs), size=min(cfg.fp_starts, len(hs)), replace=False)])
    res = fpm.snapshot_fixed_points(z["final_W"], z["final_b"], alpha, np.stack(starts, axis=1), cfg.q_tol,
                                    cfg.fp_tol, cfg.fp_steps, cfg.fp_lr)
    n_stable = np.array([int(r["stable"].sum()) for r in res])
    n_mem = np.array([fpm.memory_patterns(r["X"][r["stable"]], z["final_W_out"][n], z["final_b_out"][n])
                      for n, r in enumerate(res)])
    return n_stable, n_mem


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


def analyse(cfg: AnalyseConfig, trains: list[Path], runs: Path, fixed: Path, points: Path) -> None:
    """Detect plateau / drop / GR per network of the train outputs ``trains``; fixed points of
    snapshot networks."""
    if not trains:
        raise ValueError("analyse: no trains given (the train outputs, --in trains=... per file)")
    tables, fp_rows, fp_pts = [], [], []
    for f in repro_core.progress(trains, desc="analyse"):
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
    fp_steps = sorted({r["step"] for r in fp_rows})
    # fp_rule / fp_steps: the grid fixed_points.csv covers (checked when the table is read)
    repro_core.save_npz(points, row=P[:, 0].astype(int), stable=P[:, 1].astype(bool), X=P[:, 2:],
                        fp_rule=np.str_(cfg.fp_rule), fp_steps=np.array(fp_steps, dtype=np.int64))


# ------------------------------------------------------------ reading the tables
# Columns that are never empty; the others are empty where nothing was detected (no drop, no GR
# peak, no fixed point), which the claims treat as "not found".
RUNS_COLUMNS = ["task", "rule", "net", "seed", "gain", "lam", "n_steps", "learned", "abrupt"]
RUNS_NULLABLE = ["final_loss", "steps_to_learn", "drop_start", "drop_end", "drop_width", "search_end",
                 "plateau_len", "plateau_loss", "drop_step", "gr_step", "gr_ratio", "lead",
                 "n_stable_end", "n_memories_end"]
RUNS_KEYS = ["task", "rule", "seed", "gain", "lam"]
FIXED_COLUMNS = ["task", "rule", "net", "gain", "lam", "step", "n_fixed", "n_stable"]
FIXED_NULLABLE = ["traj_to_fp"]


def runs_grid_from_train(train: dict) -> dict:
    """The grid runs.csv covers, from the config's train section: every task x rule x seed x
    gain x lambda (one row per trained network)."""
    return {"task": [str(t) for t in train["tasks"]], "rule": [str(r) for r in train["rules"]],
            "seed": list(range(int(train["n_seeds"]))), "gain": [_f(g) for g in train["gains"]],
            "lam": [_f(x) for x in train["lams"]]}


def runs_grid_from_trains(trains) -> list[dict]:
    """The grid runs.csv covers, from the train outputs (one grid per task x rule file)."""
    return [{"task": [str(z["task"])], "rule": [str(z["rule"])],
             "seed": sorted({int(s) for s in z["seed"]}), "gain": sorted({_f(g) for g in z["gain"]}),
             "lam": sorted({_f(x) for x in z["lam"]})} for z in trains]


def _span(path: Path, keys: list[str]) -> dict:
    """Without a configured grid: every combination of the values the table itself holds
    (a table cut at a line break loses rows of its last block, which this still finds)."""
    head = pd.read_csv(path, usecols=lambda c: c in keys)
    return {k: sorted(head[k].dropna().unique().tolist()) for k in keys if k in head}


def read_runs(path: Path, grid=None) -> pd.DataFrame:
    """runs.csv through repro_core.read_table: required columns filled, and a row for every
    network of ``grid`` (a mapping or list of mappings over task, rule, seed, gain, lam; None:
    the span of the table's own values). An incomplete table raises IncompleteTableError naming it."""
    path = Path(path)
    if grid is None:
        repro_core.read_table(path, RUNS_COLUMNS)      # complete lines first, then their span
        grid = _span(path, RUNS_KEYS)
    return repro_core.read_table(path, RUNS_COLUMNS, grid=grid, nullable=RUNS_NULLABLE)


def fixed_grid(trains, points: dict) -> list[dict]:
    """The grid fixed_points.csv covers: for every train output of the fixed-point rule, its
    snapshot networks x the analysed snapshot steps (both recorded by the analyse stage)."""
    rule, steps = str(points["fp_rule"]), [int(s) for s in points["fp_steps"]]
    return [{"task": [str(z["task"])], "rule": [rule], "net": [int(n) for n in z["snap_idx"]], "step": steps}
            for z in trains if str(z["rule"]) == rule]


def read_fixed(path: Path, grid=None) -> pd.DataFrame:
    """fixed_points.csv through repro_core.read_table (``grid`` from :func:`fixed_grid`; None: the
    span of the table's own task, rule, net and step values)."""
    path = Path(path)
    if grid is None:
        repro_core.read_table(path, FIXED_COLUMNS)
        grid = _span(path, ["task", "rule", "net", "step"])
    return repro_core.read_table(path, FIXED_COLUMNS, grid=grid, nullable=FIXED_NULLABLE)


# ------------------------------------------------------------------ figures
@dataclass(kw_only=True)
class FiguresConfig:
    lam_ref: float
    plateau_gains: list               # (the claims section, passed whole by the rule)
    strong_gains: list
    tasks: list
    attractor_task: str
    seed: int = 0


def figures(cfg: FiguresConfig, trains: list[Path], runs: Path, fixed: Path, points: Path, fig_aligned: Path,
            fig_phase: Path, fig_speedup: Path, fig_gain: Path) -> None:
    from . import figures as figs

    trains = {(str(z["task"]), str(z["rule"])): z for z in map(repro_core.load_npz, trains)}
    pts = repro_core.load_npz(points)
    # the expected grids come from the train outputs (and the analysed snapshots the analyse stage
    # recorded in fixed_points.npz; an older file without them: the table's own span)
    rt = read_runs(runs, runs_grid_from_trains(trains.values()) if trains else None)
    fp = read_fixed(fixed, fixed_grid(trains.values(), pts) if trains and "fp_rule" in pts else None)
    figs.aligned(trains, rt, fig_aligned)
    figs.phase(trains, rt, fp, pts, fig_phase)
    figs.speedup(rt, cfg.lam_ref, fig_speedup)
    figs.gain(rt, cfg.lam_ref, fig_gain)


# ------------------------------------------------------------------- claims
@dataclass(kw_only=True)
class ClaimsConfig:
    lam_ref: float                    # the regulariser strength compared with lambda = 0
    plateau_gains: list               # abrupt, GR, speed-up claims
    strong_gains: list                # strong-coupling claim (g >= 1.5)
    tasks: list                       # tasks with a silent plateau
    attractor_task: str               # the attractor claim: networks of this task holding all memories
    scale: str = "quick"
    # the config's train section (tasks, rules, n_seeds, gains, lams): the grid runs.csv must
    # cover; empty: every combination of the values the table itself holds
    train: dict
    seed: int = 0


def claims(cfg: ClaimsConfig, runs: Path, claims_json: Path) -> None:
    """Evaluate the paper's claims on runs.csv (read complete, or fail naming the file)."""
    from .claims import CLAIMS, build_context

    ctx = build_context(read_runs(runs, runs_grid_from_train(cfg.train) if cfg.train else None), cfg.lam_ref,
                        cfg.plateau_gains, cfg.strong_gains, cfg.tasks, cfg.attractor_task)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="abrupt_learning")
    repro_core.write_claims(records, claims_json)


STAGES = {
    "train": Stage(train, TrainConfig, outputs=("out",), section="train",
                   rule_keys={"task": "Task, from the output's {al_task} wildcard: addition | evidence | flipflop.",
                              "rule": "Learning rule, from the output's {al_rule} wildcard: bptt | rflo."}),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("trains",), outputs=("runs", "fixed", "points"),
                     many=("trains",), section="analyse"),
    "figures": Stage(figures, FiguresConfig, inputs=("trains", "runs", "fixed", "points"),
                     outputs=("fig_aligned", "fig_phase", "fig_speedup", "fig_gain"), many=("trains",), section="claims"),
    "claims": Stage(claims, ClaimsConfig, inputs=("runs",), outputs=("claims_json",), section="claims"),
}
