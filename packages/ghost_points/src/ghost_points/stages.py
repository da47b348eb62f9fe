"""Stages of the ghost_points pipeline: onedim -> rnn_train -> slowpoints -> figures, claims.
Wiring only: the work of onedim lives in onedim.py, of rnn_train in training.py, of slowpoints in
analysis.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import repro_core
from repro_core.cli import Stage

from .analysis import RUN_COLUMNS, SlowConfig, ghost_summary, read_runs, read_slow, slowpoints
from .claims import CLAIMS, build_context
from .onedim import OnedimConfig, onedim
from .training import RnnConfig, rnn_train, run_grid


# ================================================================== figures
@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, data: Path, summary: Path, rnn: Path, runs: Path, slowtab: Path, epochs: Path,
            fig_phase: Path, fig_landscape: Path, fig_lr: Path, fig_rnn: Path) -> None:
    from . import figures as figs   # matplotlib only for this stage

    d, s, r = repro_core.load_npz(data), repro_core.load_json(summary), repro_core.load_npz(rnn)
    rt = read_runs(runs, r["loss"].shape[0])
    sp, pe = read_slow(slowtab, epochs)
    figs.phase(d, s, fig_phase)
    figs.landscape(d, s, fig_landscape)
    figs.lr_sweeps(d, s, fig_lr)
    figs.rnn_panel(r, rt, sp, ghost_summary(rt, sp, pe), fig_rnn)


# =================================================================== claims
@dataclass(kw_only=True)
class ClaimsConfig(RnnConfig):
    """The RNN sweep's config (its expected run grid and the remedy lrs fixed in
    advance) plus the scale being judged."""
    scale: str = "quick"


def claims(cfg: ClaimsConfig, summary: Path, runs: Path, slowtab: Path, epochs: Path, claims_json: Path) -> None:
    rt = repro_core.read_table(runs, columns=RUN_COLUMNS, grid=run_grid(cfg))
    sp, pe = read_slow(slowtab, epochs)
    ctx = build_context(repro_core.load_json(summary), rt, ghost_summary(rt, sp, pe), cfg)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="ghost_points")
    repro_core.write_claims(records, claims_json)


STAGES = {
    "onedim": Stage(onedim, OnedimConfig, outputs=("data", "summary"), section="onedim"),
    "rnn_train": Stage(rnn_train, RnnConfig, outputs=("data", "runs"), section="rnn"),
    "slowpoints": Stage(slowpoints, SlowConfig, inputs=("data", "runs"), outputs=("table", "epochs"), section="slowpoints"),
    "figures": Stage(figures, FiguresConfig, inputs=("data", "summary", "rnn", "runs", "slowtab", "epochs"),
                     outputs=("fig_phase", "fig_landscape", "fig_lr", "fig_rnn")),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary", "runs", "slowtab", "epochs"),
                    outputs=("claims_json",), section="rnn"),
}
