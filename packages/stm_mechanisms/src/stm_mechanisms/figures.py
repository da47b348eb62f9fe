"""Figures, one function per figure (data -> path): the learned fraction over (lr, delay) with
the boundary points, the mechanism against the delay, example rasters, the benchmark. The
``figures`` stage reads the tables and calls each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.plotting import subplots

from .analysis import boundary_points, index_grid, lr_key, power_fit, read_bench, read_index, success_table
from .task import TaskConfig


@dataclass(kw_only=True)
class FiguresConfig:
    task: TaskConfig  # the task section (the rule passes it)
    momentum: float
    min_fraction: float  # the paper skips a learning rate whose fraction stays below this
    x0_lo_ms: float  # boundary points with x0 > 0 and lo <= x0 <= hi (ms) enter the power-law fit
    x0_hi_ms: float
    fit_starts: str  # "paper": the authors' single curve_fit start; "grid": best of a grid of starts
    sp_lr_min: float  # slow-point boundary: learning rates from this one up
    sweep: dict   # the sweep section: the index's grid (else rasters.npz's)
    seed: int = 0


def plot_phase(idx: pd.DataFrame, cfg: FiguresConfig, path: Path) -> None:
    """Learned fraction over (lr, delay), the failure onsets with their power-law fit and the
    slow-point midpoints."""
    succ = success_table(idx)
    delays = sorted(idx["delay"].unique())
    ns = boundary_points(idx, "failed", cfg.min_fraction, starts=cfg.fit_starts)
    sp = boundary_points(idx, "slow_point", cfg.min_fraction, cfg.sp_lr_min, cfg.fit_starts)
    fit = power_fit(ns["lr"], ns["x0_ms"], cfg.x0_lo_ms, cfg.x0_hi_ms)

    fig, ax = subplots(1, 1, 5.2, 4.0)
    ax = ax[0, 0]
    piv = succ.pivot(index="lr", columns="delay", values="p_learned").sort_index(ascending=False)
    lrs = piv.index.to_numpy()
    ax.imshow(piv.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1,
              extent=(-0.5, len(delays) - 0.5, -0.5, len(lrs) - 0.5))
    sm = ax.images[0]
    fig.colorbar(sm, ax=ax, label="P(learned)")
    ax.set_xticks(range(len(delays)), [f"{d * cfg.task.dt_ms:g}" for d in delays], rotation=60)
    ax.set_yticks(range(len(lrs)), [f"{x:.3g}" for x in lrs[::-1]])
    lr_pos = lambda e: np.interp(np.log(e), np.log(lrs[::-1]), np.arange(len(lrs)))  # noqa: E731
    d_pos = lambda ms: np.interp(ms, np.asarray(delays, float) * cfg.task.dt_ms, np.arange(len(delays)))  # noqa: E731
    for pts, mk, lab in ((ns, "wo", f"failure onset x0 (slope {fit['slope']:.2f} +- {fit['stderr']:.2f})"),
                         (sp, "r^", "slow-point midpoint")):
        ok = pts.dropna(subset=["x0_ms"])
        if len(ok):
            ax.plot(d_pos(ok["x0_ms"].to_numpy()), lr_pos(ok["lr"].to_numpy()), mk, ms=5, label=lab)
    if np.isfinite(fit["slope"]):
        xx = np.linspace(max(cfg.x0_lo_ms, 1.0), min(cfg.x0_hi_ms, max(delays) * cfg.task.dt_ms), 50)
        yy = np.exp(fit["intercept"]) * xx ** fit["slope"]
        inside = (yy >= lrs.min()) & (yy <= lrs.max())
        ax.plot(d_pos(xx[inside]), lr_pos(yy[inside]), "w--", lw=1)
    ax.set_xlabel("delay (ms)")
    ax.set_ylabel("learning rate")
    ax.legend(loc="lower left", fontsize=7, frameon=True)
    ax.set_title("Learned fraction over (lr, delay)")
    repro_core.save_figure(fig, path)


def plot_mechanism(idx: pd.DataFrame, dt_ms: float, path: Path) -> None:
    """Fraction of learned networks per mechanism against the delay, and the not-learned
    fraction per learning rate."""
    import seaborn as sns

    fig, ax = subplots(1, 2, 4.2, 3.4)
    lea = idx[idx["learned"]]
    mech = (lea.groupby("delay")["mechanism"].apply(lambda m: (m == "limit_cycle").mean())
            .rename("limit_cycle").reset_index())
    mech["slow_point"] = 1 - mech["limit_cycle"]
    mech["delay_ms"] = mech["delay"] * dt_ms
    ax[0, 0].plot(mech["delay_ms"], mech["limit_cycle"], "o-", label="limit cycle")
    ax[0, 0].plot(mech["delay_ms"], mech["slow_point"], "s-", label="slow-point manifold")
    ax[0, 0].set(xlabel="delay (ms)", ylabel="fraction of learned networks", ylim=(-0.05, 1.05),
                 title="Mechanism vs delay")
    ax[0, 0].legend()
    nl = idx.groupby(["delay", "lr"])["learned"].mean().reset_index()
    nl["not learned"] = 1 - nl["learned"]
    nl["delay (ms)"] = nl["delay"] * dt_ms
    lr_order = [f"{x:.3g}" for x in sorted(nl["lr"].unique())]
    nl["lr"] = nl["lr"].map(lambda x: f"{x:.3g}")
    sns.lineplot(nl, x="delay (ms)", y="not learned", hue="lr", hue_order=lr_order, ax=ax[0, 1],
                 palette="viridis", marker="o", legend="full")
    ax[0, 1].set(title="Not-learned fraction", ylim=(-0.05, 1.05))
    ax[0, 1].legend(title="lr", fontsize=6, ncol=2)
    repro_core.save_figure(fig, path)


def plot_rasters(ras: dict, task: TaskConfig, path: Path) -> None:
    """Example rasters of learned networks (neurons ordered by peak time), at most three delays."""
    keys = sorted((int(k[7:]) for k in ras if k.startswith("rates_d")))
    show = keys if len(keys) <= 3 else [keys[0], keys[len(keys) // 2], keys[-1]]
    fig, ax = subplots(1, max(1, len(show)), 3.6, 3.4)
    for j, d in enumerate(show):
        r = ras[f"rates_d{d}"]
        spec = task.spec(d)
        win = r[:spec.length]
        z = (win - win.min(0)) / np.maximum(win.max(0) - win.min(0), 1e-9)
        order = np.argsort(z.argmax(0))
        a = ax[0, j]
        a.imshow(z[:, order].T, aspect="auto", cmap="magma", interpolation="nearest")
        for t in (spec.cue - 0.5, spec.resp_start - 0.5):
            a.axvline(t, color="c", lw=1)
        a.set(title=f"delay {d * task.dt_ms:g} ms", xlabel="time step", ylabel="neuron (by peak)")
    if not show:
        ax[0, 0].text(0.5, 0.5, "no learned network", ha="center")
    repro_core.save_figure(fig, path)


def plot_bench(b: pd.DataFrame, path: Path) -> None:
    """Networks trained per second: vmapped jax against the torch loop."""
    import seaborn as sns

    fig, ax = subplots(1, 1, 4.2, 3.2)
    sns.barplot(b, x="method", y="networks_per_second", ax=ax[0, 0], hue="method", legend=False)
    ax[0, 0].set(yscale="log", ylabel="networks trained per second",
                 title=f"speed-up {b['speedup'].iloc[0]:.1f}x ({int(b['epochs'].iloc[0])} epochs)")
    repro_core.save_figure(fig, path)


def figures(cfg: FiguresConfig, index: Path, rasters: Path, bench: Path, fig_phase: Path,
            fig_mechanism: Path, fig_rasters: Path, fig_bench: Path) -> None:
    """The four figures from networks_index.csv (read complete over the sweep's grid),
    rasters.npz and benchmark.csv."""
    ras = repro_core.load_npz(rasters)
    grid = (index_grid(cfg.sweep) if cfg.sweep else
            {k: ras[f"grid_{k}"].tolist() for k in ("delay", "lr", "seed")} if "grid_lr" in ras else None)
    if grid is not None:
        grid["lr"] = [lr_key(x) for x in grid["lr"]]
    idx = read_index(index, grid)
    b = read_bench(bench)
    plot_phase(idx, cfg, fig_phase)
    plot_mechanism(idx, cfg.task.dt_ms, fig_mechanism)
    plot_rasters(ras, cfg.task, fig_rasters)
    plot_bench(b, fig_bench)
