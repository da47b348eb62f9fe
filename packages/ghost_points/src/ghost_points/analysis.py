"""Analysis shared by the slowpoints, figures and claims stages: the run table and the slow-point
tables read back complete, and the per-run ghost summary of the replayed rank-one runs; and the
slowpoints stage itself (moved unchanged from stages.py, issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
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


# =============================================================== slow points
@dataclass(kw_only=True)
class SlowConfig:
    q_fp: float  # q below this: a fixed point
    v_ghost: float  # |F| at a non-fixed slow point below this: a q-ghost (snapshots)
    stride: int  # analyse every stride-th snapshot (plus the ones around the drop)
    max_runs: int  # analyse at most this many learning runs
    replay_chunks: int  # per-epoch replay: this many chunks from the snapshot before the drop
    replay_conf: float  # replay the rank-one runs of this confidence (the paper's a = 10)
    osc_window: int  # epochs after the drop kept from the replay (oscillatory minimum)
    seed: int = 0


def slowpoints(cfg: SlowConfig, data: Path, runs: Path, table: Path, epochs: Path) -> None:
    """Slow points of every latent-readout run whose loss dropped.

    ``table``: q-minimisation (scipy L-BFGS-B) on the chunk snapshots from the
    start up to the first snapshot after the drop. ``epochs``: for the paper's
    rank-one network, the latent flow at *every* epoch of a replay (plain
    full-batch GD, deterministic) from the snapshot before the drop through
    the drop, as the paper reads it (Fig. 3, flows one epoch apart): fixed
    points on [-15, 15], fixed point or ghost on the trial's path [kappa0, 1]."""
    from . import rnn, slow

    z = repro_core.load_npz(data)
    rt = read_runs(runs, z["loss"].shape[0])
    T, alpha, x0 = int(z["T"]), float(z["alpha"]), float(z["x0"])
    ep_all = z["snap_epochs"]
    chunk = int(ep_all[1] - ep_all[0]) if len(ep_all) > 1 else 1
    rows = []
    idx = [i for i in rt.index if rt.drop_epoch[i] >= 0 and rt.readout[i] == "latent"][: cfg.max_runs]
    for i in repro_core.progress(idx, desc="slow points"):
        K = int(rt.K[i])
        j_drop = int(np.searchsorted(ep_all, rt.drop_epoch[i]))
        js = sorted(set(range(0, min(j_drop + 1, len(ep_all)), cfg.stride))
                    | {j for j in (j_drop - 1, j_drop, len(ep_all) - 1) if 0 <= j < len(ep_all)})
        for j in js:
            U, V, b = z["snap_U"][i, j][:, :K], z["snap_V"][i, j][:, :K], z["snap_b"][i, j]
            res = slow.analyse_snapshot(U, V, b, T, alpha, x0, cfg.q_fp, cfg.v_ghost)
            rows.append({"run": i, "epoch": int(ep_all[j]), **res})
    cols = ["run", "epoch", "q", "speed", "kind", "kappa_star", "min_traj_speed", "n_fixed_latent",
            "n_ghost_latent"]
    repro_core.save_csv(pd.DataFrame(rows, columns=cols), table)

    # ---- per-epoch replay of the rank-one runs around their drop
    ones = [i for i in idx if rank_one_latent(rt).loc[i] and rt.conf[i] == cfg.replay_conf]
    erows = []
    if ones:
        j0 = np.array([max(int(np.searchsorted(ep_all, rt.drop_epoch[i])) - 1, 0) for i in ones])
        n_ep = cfg.replay_chunks * chunk
        P = {k: np.stack([z[f"snap_{k}"][i, j] for i, j in zip(ones, j0)]) for k in ("U", "V", "b", "w", "c")}
        P["U"], P["V"] = P["U"][..., :1], P["V"][..., :1]   # rank one: the masked columns are not needed
        M = np.ones((len(ones), 1), np.float32)
        C = rt.conf[ones].to_numpy(np.float32)
        L = rt.lr[ones].to_numpy(np.float32)
        Lin = np.zeros(len(ones), np.float32)
        Ps, losses = rnn.make_replayer(T, alpha, x0, n_ep)(P, M, C, L, Lin)
        Ps = {k: np.asarray(v) for k, v in Ps.items()}
        losses = np.asarray(losses)
        for r, i in enumerate(repro_core.progress(ones, desc="per-epoch latent flow")):
            below = np.flatnonzero(losses[r] < 0.5 * rt.loss0[i])
            drop = int(below[0]) if below.size else n_ep - 1       # the replayed drop
            last = min(drop + cfg.osc_window, n_ep - 1)            # and the epochs after it
            for e in range(last + 1):
                m, n, b = Ps["U"][r, e][:, 0], Ps["V"][r, e][:, 0], Ps["b"][r, e]
                res = slow.path_flow(m, n, b, float(x0 * n.astype(float).sum()))
                erows.append({"run": i, "epoch": int(ep_all[j0[r]] + e), "loss": float(losses[r, e]),
                              "dropped": bool(below.size) and e == drop, **res})
    ecols = ["run", "epoch", "loss", "dropped", "n_fixed", "fixed_on_path", "ghost_on_path", "min_speed_path"]
    repro_core.save_csv(pd.DataFrame(erows, columns=ecols), epochs)
