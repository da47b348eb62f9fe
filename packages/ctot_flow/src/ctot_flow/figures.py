"""Figures: snapshots coloured by true / midpoint / inferred time, learned
trajectories over the data, W2 per held-out time per method, and label error
and W2 against timestamp noise."""

from __future__ import annotations

import numpy as np

from repro_core import save_figure
from repro_core.plotting import subplots

from .processes import midpoint_labels

COLORS = {"ctot": "C0", "otcfm": "C1", "tcfm_ot": "C2", "tcfm_i": "C4", "tcfm_sb": "C3", "true": "k"}
NAMES = {"ctot": "CT-OT Flow", "otcfm": "OT-CFM (ours, midpoints)", "tcfm_ot": "OT-CFM (torchcfm)",
         "tcfm_i": "I-CFM (torchcfm)", "tcfm_sb": "SB-CFM/[SF]2M flow (torchcfm)", "true": "truth"}
MAX_POINTS = 1500


def _subsample(n: int) -> np.ndarray:
    return np.arange(n) if n <= MAX_POINTS else np.linspace(0, n - 1, MAX_POINTS).astype(int)


def fig_labels(data: dict, labs: dict, path) -> None:
    fig, axes = subplots(len(data), 3, width=3.4, height=3.0)
    for r, (name, d) in enumerate(data.items()):
        idx = _subsample(len(d["X"]))
        X = d["X"][idx]
        cols = {"true time": d["t_true"],
                "window midpoint": midpoint_labels(d["window"], int(d["n_windows"])),
                "partial-OT label": labs[name]["t_hat"]}
        for c, (title, t) in enumerate(cols.items()):
            ax = axes[r, c]
            sc = ax.scatter(X[:, 0], X[:, 1], c=t[idx], s=4, cmap="viridis", vmin=0, vmax=1,
                            rasterized=True)
            mae = np.mean(np.abs(t - d["t_true"]))
            ax.set_title(f"{name}: {title}" + ("" if c == 0 else f"\nMAE vs true {mae:.3f}"),
                         fontsize=9)
            ax.set_xlabel("x1")
            ax.set_ylabel("x2")
        fig.colorbar(sc, ax=axes[r, -1], label="time")
    save_figure(fig, path)


def fig_trajectories(data: dict, paths: dict, path) -> None:
    fig, axes = subplots(1, len(data), width=3.8, height=3.4)
    for c, (name, d) in enumerate(data.items()):
        ax = axes[0, c]
        idx = _subsample(len(d["X"]))
        ax.scatter(d["X"][idx, 0], d["X"][idx, 1], s=2, color="0.8", rasterized=True)
        p = paths[name]
        for m in ("true", "ctot", "otcfm", "tcfm_ot", "tcfm_sb"):
            if m not in p:
                continue
            for i, traj in enumerate(p[m]):
                ax.plot(traj[:, 0], traj[:, 1], color=COLORS[m], lw=0.8, alpha=0.7,
                        ls="--" if m == "true" else "-", label=NAMES[m] if i == 0 else None)
        ax.set_title(name + ("" if d["X"].shape[1] == 2 else f" (dims 1-2 of {d['X'].shape[1]})"))
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    axes[0, 0].legend(loc="best", fontsize=8)
    save_figure(fig, path)


def fig_wdist(results: dict, path) -> None:
    """W2 per held-out time, mean over training seeds (bars: min-max over seeds), with the floor."""
    fig, axes = subplots(1, len(results), width=3.6, height=3.0)
    for c, (ds, runs) in enumerate(results.items()):
        ax = axes[0, c]
        r0 = runs[0]
        for m in r0["methods"]:
            w = np.array([r["methods"][m]["w2"] for r in runs])
            ax.errorbar(r0["times"], w.mean(0), yerr=[w.mean(0) - w.min(0), w.max(0) - w.mean(0)],
                        fmt="o-", ms=3, color=COLORS.get(m), label=NAMES.get(m, m), capsize=2)
        fl, sd = np.array(r0["w2_floor"]), np.array(r0["w2_floor_sd"])
        ax.fill_between(r0["times"], fl - 2 * sd, fl + 2 * sd, color="0.85", label="sampling floor (+-2 sd)")
        ax.plot(r0["times"], fl, ":", color="0.4")
        ax.set_title(f"{ds} ({len(runs)} seeds)")
        ax.set_xlabel("held-out time t")
        ax.set_ylabel("W2(generated, true)")
        ax.set_ylim(bottom=0)
    axes[0, 0].legend(fontsize=6)
    save_figure(fig, path)


def fig_noise(results: dict, path) -> None:
    fig, axes = subplots(1, 2, width=3.8, height=3.0)
    runs = list(results.values())
    noise = [r[0]["time_noise"] for r in runs]
    ax = axes[0, 0]
    ax.plot(noise, [r[0]["labels"]["mae_midpoint"] for r in runs], "o-", color="C1",
            label="window midpoint")
    ax.plot(noise, [r[0]["labels"]["mae_refined"] for r in runs], "o-", color="C0",
            label="partial-OT label")
    ax.set_xlabel("timestamp noise (std)")
    ax.set_ylabel("mean |label - true time|")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for m in (runs[0][0]["methods"] if runs else []):
        w = np.array([[s["methods"][m]["w2_mean"] for s in r] for r in runs])
        ax.errorbar(noise, w.mean(1), yerr=[w.mean(1) - w.min(1), w.max(1) - w.mean(1)], fmt="o-",
                    color=COLORS.get(m), label=NAMES.get(m, m), capsize=2)
    if runs:
        ax.plot(noise, [r[0]["w2_floor_hi"] for r in runs], ":", color="0.4", label="floor (+2 sd)")
    ax.set_xlabel("timestamp noise (std)")
    ax.set_ylabel("mean W2, held-out times")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7)
    fig.suptitle(f"timestamp-noise sweep ({runs[0][0]['process']}, {len(runs[0])} seeds)" if runs else "")
    save_figure(fig, path)
