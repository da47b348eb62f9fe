"""Analysis shared by the slowpoints, figures and claims stages: the run table and the slow-point
tables read back complete, and the per-run ghost summary of the replayed rank-one runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

import repro_core

RUN_COLUMNS = ["cond", "K", "conf", "readout", "lr", "seed", "acc", "learned", "loss0", "loss_final",
               "learned_paper", "drop_epoch"]


def read_runs(runs: Path, n_runs: int | None = None) -> pd.DataFrame:
    """The run table, failing (naming the file) when it is cut short or misses runs."""
    rt = repro_core.read_table(runs, columns=RUN_COLUMNS)
    if n_runs is not None and len(rt) != n_runs:
        raise repro_core.IncompleteTableError(f"{runs}: {len(rt)} runs, the RNN data has {n_runs}")
    return rt


def rank_one_latent(rt: pd.DataFrame) -> pd.Series:
    return (rt.K == 1) & (rt.readout == "latent")


def read_slow(slowtab: Path, epochs: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    sp = repro_core.read_table(slowtab, columns=["run", "epoch", "kind"])
    pe = repro_core.read_table(epochs, columns=["run", "epoch", "loss", "dropped", "n_fixed", "fixed_on_path",
                                                "ghost_on_path", "min_speed_path"])
    return sp, pe


def ghost_summary(rt: pd.DataFrame, sp: pd.DataFrame, pe: pd.DataFrame) -> pd.DataFrame:
    """Per rank-one run whose loss dropped (the paper's Fig. 3 network): the
    drop epoch of its per-epoch replay (``replay_drop``, -1 if the replay did
    not reach it), whether a ghost lay on the trial's path at any epoch up to
    the drop (``ghost_before_drop``) and the first such epoch, whether a fixed
    point lay on the path one epoch before the drop (``fixed_before_drop``),
    whether the latent fixed-point count stayed constant from the start up to
    the drop (chunk snapshots + every replayed epoch), the minimum speed on
    the path up to the drop, and ``loss_alternation``: the fraction of epochs
    after the drop at which the loss change flips sign (period-2 bouncing
    across a kink gives ~1, a settling descent ~0)."""
    out = []
    for i, g in pe.groupby("run"):
        g = g.sort_values("epoch")
        dropped = bool(g.dropped.astype(bool).any())
        drop = int(g.epoch[g.dropped.astype(bool)].iloc[0]) if dropped else int(g.epoch.max())
        post = g[g.epoch >= drop].loss.to_numpy()
        d = np.diff(post)
        alternation = float(np.mean(np.sign(d[1:]) != np.sign(d[:-1]))) if len(d) > 1 else 0.0
        g = g[g.epoch <= drop]
        ghost = g[g.ghost_on_path.astype(bool)]
        snaps = sp[(sp.run == i) & (sp.epoch < g.epoch.min())]["n_fixed_latent"]
        counts = pd.concat([snaps, g.n_fixed])
        out.append({"run": i, "K": int(rt.K[i]), "conf": rt.conf[i], "lr": rt.lr[i],
                    "replay_drop": drop if dropped else -1, "post_epochs": int(len(post) - 1),
                    "loss_alternation": alternation,
                    "ghost_before_drop": bool(len(ghost)),
                    "first_ghost": int(ghost.epoch.min()) if len(ghost) else -1,
                    "fixed_before_drop": bool(g.fixed_on_path.astype(bool).iloc[-2]) if len(g) > 1 else False,
                    "fp_count_constant": bool(counts.nunique() == 1),
                    "n_fixed_max": int(counts.max()),
                    "min_speed_path": float(g.min_speed_path.min())})
    return pd.DataFrame(out, columns=["run", "K", "conf", "lr", "replay_drop", "post_epochs", "loss_alternation",
                                      "ghost_before_drop", "first_ghost",
                                      "fixed_before_drop", "fp_count_constant", "n_fixed_max", "min_speed_path"])
