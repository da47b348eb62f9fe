"""Figures: loss aligned at the drop with the GR measure, phase portraits,
steps-to-learn with and without the regulariser, success vs gain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

import repro_core
from repro_core.plotting import subplots

from . import model


def _interval_loss(z, smooth_steps: int = 50):
    """Training loss per evaluation interval, running-median smoothed over ~``smooth_steps``
    steps for display (the detector smooths the same way, see ``analyse.detect.smooth``)."""
    from scipy.ndimage import median_filter

    ev = z["eval_steps"]
    E = int(ev[1] - ev[0])
    L = z["L"].reshape(len(z["L"]), -1, E).mean(-1)
    w = max(1, smooth_steps // E)
    return (median_filter(L, size=(1, w), mode="nearest") if w > 1 else L), ev[1:]


def aligned(trains: dict, rt: pd.DataFrame, path) -> None:
    """Loss (left axis) and geometric change (right axis) of every abrupt run,
    aligned at its drop; one panel per task."""
    tasks = sorted(rt.task.unique())
    fig, axes = subplots(1, len(tasks), width=4.2, height=3.3)
    for ax, task in zip(axes[0], tasks):
        ax2 = ax.twinx()
        sel = rt[(rt.task == task) & rt.abrupt.astype(bool)]
        kind = "abrupt"
        if not len(sel):   # no abrupt run: show the runs that learned, aligned at their fastest drop
            sel, kind = rt[(rt.task == task) & rt.learned.astype(bool) & rt.drop_step.notna()], "learned (not abrupt)"
        geos = []
        for r in sel.itertuples():
            z = trains[(task, r.rule)]
            loss, steps = _interval_loss(z)
            x = steps - r.drop_step
            ax.plot(x, loss[r.net], color="C0" if r.rule == "bptt" else "C2", alpha=0.3, lw=0.8)
            g = z["geo"][r.net, 1:]
            geos.append(pd.Series(g / np.nanmax(g), index=x))
            if np.isfinite(r.gr_step):
                ax.axvline(r.gr_step - r.drop_step, color="C3", alpha=0.15, lw=0.8)
        if geos:
            med = pd.concat(geos, axis=1).median(axis=1).sort_index()
            ax2.plot(med.index, med.to_numpy(), color="C3", lw=2, label="GR measure (median)")
        lead = sel.lead.median()
        ax.axvline(0, color="k", ls="--", lw=1)
        ax.set(yscale="log", xlabel="steps from the loss drop", ylabel="loss (normalised MSE)",
               title=f"{task}: {len(sel)} {kind} runs, median lead {lead:.0f}" if len(sel) else f"{task}: no run dropped")
        ax2.set_ylabel("Procrustes change / max", color="C3")
        ax2.set_ylim(0, 1.05)
    fig.suptitle("blue: BPTT, green: RFLO; red lines: GR time of each run")
    repro_core.save_figure(fig, path)


def _pca(H, k=2):
    X = H.reshape(-1, H.shape[-1])
    mu = X.mean(0)
    _, _, vt = np.linalg.svd(X - mu, full_matrices=False)
    return mu, vt[:k].T


def phase(trains: dict, rt: pd.DataFrame, fp: pd.DataFrame, pts: dict, path) -> None:
    """Phase portraits (top two PCs of the final probe trajectories) of one
    seed-0 BPTT network per task, before GR and at the end, with its fixed
    points (filled: stable); bottom: number of fixed points over training."""
    import jax.numpy as jnp

    tasks = sorted(rt.task.unique())
    fig, axes = subplots(3, len(tasks), width=3.8, height=3.2)
    for c, task in enumerate(tasks):
        z = trains.get((task, "bptt"))
        if z is None:
            continue
        runs = rt[(rt.task == task) & (rt.rule == "bptt") & rt.net.isin(z["snap_idx"])]
        pick = runs.sort_values(["abrupt", "learned", "lam", "gain"], ascending=[False, False, True, True]).iloc[0]
        a = int(np.flatnonzero(z["snap_idx"] == pick.net)[0])
        steps = z["snap_steps"]
        t_before = pick.gr_step if np.isfinite(pick.gr_step) else pick.drop_start
        s_before = int(np.searchsorted(steps, t_before, side="right") - 1) if np.isfinite(t_before) else 0
        alpha, u = float(z["alpha"]), jnp.asarray(z["probe_u"])
        par = lambda s: {k: jnp.asarray(z[f"snap_{k}"][a, s]) for k in model.KEYS}  # noqa: E731
        H_end = np.asarray(model.run(par(len(steps) - 1), u, alpha)[0])
        mu, V = _pca(H_end)
        for r, s in enumerate((max(s_before, 0), len(steps) - 1)):
            ax = axes[r, c]
            H = np.asarray(model.run(par(s), u, alpha)[0])
            for tr in H[:8]:
                P = (tr - mu) @ V
                ax.plot(P[:, 0], P[:, 1], lw=0.7, alpha=0.7)
            row = fp[(fp.task == task) & (fp.net == pick.net) & (fp.step == steps[s])]
            if len(row):
                m = pts["row"] == row.index[0]
                X = (pts["X"][m] - mu) @ V
                st = pts["stable"][m]
                ax.scatter(X[st, 0], X[st, 1], c="k", s=30, zorder=3, label="stable FP")
                ax.scatter(X[~st, 0], X[~st, 1], facecolors="none", edgecolors="k", s=30, zorder=3,
                           label="unstable FP")
            ax.set(title=f"{task} (g={pick.gain:g}, λ={pick.lam:g}), step {int(steps[s])}",
                   xlabel="PC1", ylabel="PC2")
        ax = axes[2, c]
        sub = fp[(fp.task == task)]
        if len(sub):
            sns.lineplot(data=sub, x="step", y="n_stable", hue="lam", style="gain", ax=ax, marker="o",
                         palette="colorblind")
        if np.isfinite(pick.drop_step):
            ax.axvline(pick.drop_step, color="k", ls="--", lw=1)
        ax.set(ylabel="stable fixed points", title=f"{task}: seed-0 networks")
    axes[0, 0].legend(loc="best", fontsize=7)
    fig.suptitle("top: before GR, middle: end of training (filled: stable fixed points); "
                 "bottom: dashed line = drop of the network above")
    repro_core.save_figure(fig, path)


def speedup(rt: pd.DataFrame, lam_ref: float, path) -> None:
    """Steps-to-learn with lam_ref vs without the regulariser, per rule."""
    rules = sorted(rt.rule.unique())
    fig, axes = subplots(1, len(rules), width=4.0, height=3.6)
    key = ["task", "seed", "gain"]
    for ax, rule in zip(axes[0], rules):
        sel = rt[rt.rule == rule]
        b = sel[np.isclose(sel.lam, 0)].set_index(key)
        r = sel[np.isclose(sel.lam, lam_ref)].set_index(key)
        d = b.join(r, lsuffix="_0", rsuffix="_r", how="inner").reset_index()
        d["x"] = d.steps_to_learn_0.fillna(d.n_steps_0)
        d["y"] = d.steps_to_learn_r.fillna(d.n_steps_r)
        if len(d):
            sns.scatterplot(data=d, x="x", y="y", hue="task", style="gain", ax=ax, s=40)
            hi = float(max(d.x.max(), d.y.max()))
            ax.plot([0, hi], [0, hi], "k--", lw=1)
        ax.set(xlabel="steps to learn, λ = 0", ylabel=f"steps to learn, λ = {lam_ref:g}",
               title=f"{rule.upper()} (never learned: plotted at the last step)")
    repro_core.save_figure(fig, path)


def gain(rt: pd.DataFrame, lam_ref: float, path) -> None:
    """Fraction of runs that learn vs initial gain, with and without the regulariser."""
    rules = sorted(rt.rule.unique())
    fig, axes = subplots(1, len(rules), width=4.0, height=3.3)
    for ax, rule in zip(axes[0], rules):
        sel = rt[rt.rule == rule].assign(learned=lambda d: d.learned.astype(float))
        sns.pointplot(data=sel, x="gain", y="learned", hue="lam", ax=ax, errorbar=None, dodge=0.2)
        ax.set(ylim=(-0.05, 1.05), xlabel="initial gain g", ylabel="fraction learned",
               title=f"{rule.upper()}: success vs coupling (λ_ref = {lam_ref:g})")
    repro_core.save_figure(fig, path)
