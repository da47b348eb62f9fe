"""Figures: snapshots coloured by true / midpoint / inferred time, learned
trajectories over the data, W2 per held-out time per method, and label error
and W2 against timestamp noise."""

from __future__ import annotations

import numpy as np

from repro_core import save_figure
from repro_core.plotting import subplots

from .processes import midpoint_labels

COLORS = {"ctot": "C0", "otcfm": "C1", "true": "k"}
NAMES = {"ctot": "CT-OT Flow", "otcfm": "OT-CFM (midpoints)", "true": "truth"}
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
        for m in ("true", "ctot", "otcfm"):
            for i, traj in enumerate(p[m]):
                ax.plot(traj[:, 0], traj[:, 1], color=COLORS[m], lw=0.8, alpha=0.7,
                        ls="--" if m == "true" else "-", label=NAMES[m] if i == 0 else None)
        ax.set_title(name + ("" if d["X"].shape[1] == 2 else f" (dims 1-2 of {d['X'].shape[1]})"))
        ax.set_xlabel("x1")
        ax.set_ylabel("x2")
    axes[0, 0].legend(loc="best", fontsize=8)
    save_figure(fig, path)


def fig_wdist(results: list, path) -> None:
    fig, axes = subplots(1, len(results), width=3.6, height=3.0)
    for c, r in enumerate(results):
        ax = axes[0, c]
        for m, v in r["methods"].items():
            ax.plot(r["times"], v["w2"], "o-", color=COLORS[m], label=NAMES[m] + ", from data")
            ax.plot(r["times"], v["w2_true_start"], "x--", color=COLORS[m], alpha=0.7,
                    label=NAMES[m] + ", from true start")
        ax.plot(r["times"], r["w2_floor"], ":", color="0.5", label="sampling floor")
        ax.set_title(r["dataset"])
        ax.set_xlabel("held-out time t")
        ax.set_ylabel("W2(generated, true)")
        ax.set_ylim(bottom=0)
    axes[0, 0].legend(fontsize=8)
    save_figure(fig, path)


def fig_noise(results: list, path) -> None:
    fig, axes = subplots(1, 2, width=3.8, height=3.0)
    noise = [r["time_noise"] for r in results]
    ax = axes[0, 0]
    ax.plot(noise, [r["labels"]["mae_midpoint"] for r in results], "o-", color="C1",
            label="window midpoint")
    ax.plot(noise, [r["labels"]["mae_refined"] for r in results], "o-", color="C0",
            label="partial-OT label")
    ax.set_xlabel("timestamp noise (std)")
    ax.set_ylabel("mean |label - true time|")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    ax = axes[0, 1]
    for m in ("ctot", "otcfm"):
        ax.plot(noise, [r["methods"][m]["w2_mean"] for r in results], "o-", color=COLORS[m],
                label=NAMES[m])
    ax.set_xlabel("timestamp noise (std)")
    ax.set_ylabel("mean W2, held-out times")
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=8)
    fig.suptitle(f"timestamp-noise sweep ({results[0]['process']})" if results else "")
    save_figure(fig, path)
