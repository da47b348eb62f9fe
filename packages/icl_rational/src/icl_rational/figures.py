"""The paper's figures from our results: relative distance vs step per D (observed and
predicted), ID/OOD KL curves, the phase diagram over (D, N) and N*(D) on log-log axes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib.colors as mcolors
import matplotlib.ticker as mticker
import numpy as np
import seaborn as sns

from repro_core import load_json, load_npz, read_table, save_figure
from repro_core.plotting import subplots

from .analysis import TABLE_COLUMNS, table_grid
from .urns import expected_kl_generalizing


@dataclass
class FiguresConfig:
    seed: int = 0


def _palette(Ds):
    return dict(zip(Ds, sns.color_palette("viridis", len(Ds))))


def _r(summary, which, split):
    r = summary["fits"][which][f"corr_{split}"]["r"]
    return "n/a" if r is None else f"{r:.3f}"


def fig_rel_distance(summary, tab, path):
    Ds = summary["n_tasks"]
    tab = tab[tab["seed"] == summary["primary_seed"]]
    ncol = min(len(Ds), 4)
    nrow = -(-len(Ds) // ncol)
    fig, axes = subplots(nrow, ncol, width=3.2, height=2.7, sharey=True)
    last_fit = tab[tab["fit"]]["step"].max()
    thr = float(summary["interpolation_threshold_step"][str(summary["primary_seed"])])
    for ax, D in zip(axes.flat, Ds):
        g = tab[tab["D"] == D].sort_values("step")
        ax.plot(g["step"], g["w_pred"], color="k", lw=1.8, label="model (predicted)")
        ax.scatter(g["step"], g["r_id"], s=14, color="C0", label="transformer, ID", zorder=3)
        ax.scatter(g["step"], g["r_ood"], s=10, color="C1", marker="x", label="transformer, OOD", zorder=3)
        ax.axvline(last_fit, color="0.6", ls="--", lw=0.8)
        if np.isfinite(thr):
            ax.axvspan(g["step"].min(), thr, color="0.92", zorder=0)
        ax.axhline(0.5, color="0.8", lw=0.6)
        ax.set_xscale("log")
        ax.set_ylim(-0.05, 1.05)
        ax.set_title(f"D = {D}" + ("" if g["fit"].any() else " (held out)"))
        ax.set_xlabel("training step N")
    for ax in axes[:, 0]:
        ax.set_ylabel("relative distance\n(1 = M, 0 = G)")
    for ax in list(axes.flat)[len(Ds):]:
        ax.set_visible(False)
    axes.flat[0].legend(fontsize=7, loc="best")
    fig.suptitle(f"alpha={summary['params']['alpha']:.3f}, beta={summary['params']['beta']:.3f}, "
                 f"gamma={summary['params']['gamma']:.3g} (fit on {summary['headline']} rows); "
                 f"r_ID={_r(summary, 'filtered', 'id')} / {_r(summary, 'all', 'id')}, "
                 f"r_OOD={_r(summary, 'filtered', 'ood')} / {_r(summary, 'all', 'ood')} "
                 "(after the interpolation threshold, shaded before / all rows)", fontsize=8)
    save_figure(fig, path)


def fig_kl(summary, tab, curves, path):
    tab = tab[tab["seed"] == summary["primary_seed"]]
    Ds = summary["n_tasks"]
    pal = _palette(Ds)
    fig, axes = subplots(1, 3, width=3.6, height=3.0)
    for j, split in enumerate(("id", "ood")):
        ax = axes[0, j]
        for D in Ds:
            g = tab[tab["D"] == D].sort_values("step")
            ax.plot(g["step"], g[f"kl_T_{split}"], color=pal[D], label=f"D={D}")
            d = summary["per_D"][str(D)]
            ax.axhline(d[f"kl_M_{split}"], color=pal[D], ls="--", lw=0.8)
        ax.axhline(summary["per_D"][str(Ds[0])][f"kl_G_{split}"], color="k", ls=":", lw=1.2,
                   label="G (generalizing)")
        ax.set_xscale("log"); ax.set_yscale("log")
        ax.set_xlabel("training step N")
        ax.set_ylabel(f"KL(task || prediction), {split.upper()}")
        ax.set_title(f"{'in' if split == 'id' else 'out of'} distribution (dashed: M)")
    axes[0, 0].legend(fontsize=7)
    ax = axes[0, 2]
    C = summary["per_D"][str(Ds[0])]["context"]
    V = summary["per_D"][str(Ds[0])]["n_symbols"]
    t = np.arange(C)
    for D in (Ds[0], Ds[-1]):
        ax.plot(t, curves[f"kl_T_id_{D}"][-1], color=pal[D], label=f"transformer D={D} (final)")
        ax.plot(t, curves[f"kl_M_id_{D}"], color=pal[D], ls="--", lw=0.9, label=f"M, D={D}")
    ax.plot(t, expected_kl_generalizing(V, C), color="k", ls=":", label="G (exact expectation)")
    ax.set_yscale("log")
    ax.set_xlabel("position t (draws seen)")
    ax.set_ylabel("KL, in distribution")
    ax.legend(fontsize=6)
    save_figure(fig, path)


def _d_ticks(axis, Ds):
    """Label a log axis with our D values only (no overlapping minor labels)."""
    axis.set_major_locator(mticker.FixedLocator([float(d) for d in Ds]))
    axis.set_major_formatter(mticker.FixedFormatter([str(int(d)) for d in Ds]))
    axis.set_minor_locator(mticker.NullLocator())


def _grid(tab, col):
    piv = tab.pivot(index="D", columns="step", values=col).sort_index()
    return piv.index.to_numpy(), piv.columns.to_numpy(), piv.to_numpy()


def _edges(x):
    lx = np.log(np.asarray(x, float))
    mid = (lx[1:] + lx[:-1]) / 2
    step0 = (lx[1] - lx[0]) if len(lx) > 1 else 1.0
    stepn = (lx[-1] - lx[-2]) if len(lx) > 1 else 1.0
    return np.exp(np.concatenate([[lx[0] - step0 / 2], mid, [lx[-1] + stepn / 2]]))


def fig_phase(summary, tab, path):
    tab = tab[tab["seed"] == summary["primary_seed"]]
    fig, axes = subplots(1, 2, width=4.0, height=3.2, sharey=True)
    norm = mcolors.Normalize(0, 1)
    for ax, col, title in ((axes[0, 0], "r_id", "transformer (observed)"),
                           (axes[0, 1], "w_pred", "Bayesian model (predicted)")):
        Ds, steps, Z = _grid(tab, col)
        m = ax.pcolormesh(_edges(steps), _edges(Ds), Z, cmap="coolwarm", norm=norm, shading="flat")
        ns = [float(summary["transition_model"][str(D)]) for D in Ds]
        ax.plot(ns, Ds, "k-o", ms=3, lw=1.2, label="model N*(D)")
        ax.set_xscale("log"); ax.set_yscale("log")
        ax.set_xlim(_edges(steps)[0], _edges(steps)[-1])
        ax.set_xlabel("training step N")
        ax.set_title(title)
    _d_ticks(axes[0, 0].yaxis, summary["n_tasks"])
    axes[0, 0].set_ylabel("task diversity D")
    axes[0, 0].legend(fontsize=7, loc="lower right")
    fig.colorbar(m, ax=axes[0, 1], label="relative distance (1 = M, 0 = G)")
    save_figure(fig, path)


def _f(x):
    return "n/a" if x is None else f"{x:.2f}"


def fig_transition(summary, path):
    Ds = np.array(summary["n_tasks"], float)
    nm = np.array([float(summary["transition_model"][str(int(D))]) for D in Ds])
    emp = [(d, n) for d, _, n in summary["transition_points"]]
    se = summary["slope_empirical"]
    fig, axes = subplots(1, 1, width=4.2, height=3.4)
    ax = axes[0, 0]
    ok = np.isfinite(nm)
    ax.plot(Ds[ok], nm[ok], "o-", color="C0", label=f"model N*(D), slope {_f(summary['slope_model'])}")
    if ok.sum() >= 2:
        k, c = np.polyfit(np.log(Ds[ok]), np.log(nm[ok]), 1)
        xs = np.geomspace(Ds[ok].min(), Ds[ok].max(), 50)
        ax.plot(xs, np.exp(c) * xs ** k, color="C0", ls=":", lw=1)
        ax.plot(xs, nm[ok][0] * xs / xs[0], color="0.6", ls="--", lw=0.8, label="slope 1 (reference)")
    if emp:
        ax.scatter(*zip(*emp), marker="s", color="C3", zorder=3,
                   label=f"transformer (last 0.5 crossing), slope {_f(se['slope'])} "
                         f"[{_f(se['ci'][0])}, {_f(se['ci'][1])}], {se['n_points']} runs")
    ax.axhline(max(summary["steps"]), color="0.4", lw=0.8, ls="-.", label="end of training")
    ax.set_xscale("log"); ax.set_yscale("log")
    _d_ticks(ax.xaxis, Ds)
    ax.set_xlabel("task diversity D"); ax.set_ylabel("transition step N*")
    ax.legend(fontsize=7)
    save_figure(fig, path)


def figures(cfg: FiguresConfig, summary: Path, table: Path, curves: Path, rel_distance: Path,
            kl_curves: Path, phase: Path, transition: Path) -> None:
    s = load_json(summary)
    tab = read_table(table, columns=TABLE_COLUMNS, nullable=("w_pred", "r_id_sd"), grid=table_grid(s))
    cur = load_npz(curves)
    fig_rel_distance(s, tab, rel_distance)
    fig_kl(s, tab, cur, kl_curves)
    fig_phase(s, tab, phase)
    fig_transition(s, transition)
