"""Figures (seaborn/matplotlib) from the results tables."""

from __future__ import annotations

import pandas as pd
import seaborn as sns

import repro_core
from repro_core.plotting import subplots

METHOD_NAMES = {"cornn": "CORNN", "adam_ce": "Adam (CE)", "adam_l2": "Adam (L2)",
                "force": "FORCE"}


def log_ticks(ax, values, fmt="{:g}") -> None:
    """Log x axis with ticks exactly at ``values`` (no overlapping minor labels)."""
    values = sorted(set(values))
    ax.set_xscale("log")
    ax.set_xticks(values, [fmt.format(v) for v in values])
    ax.minorticks_off()


def accuracy_time(traces: pd.DataFrame, path) -> None:
    """r(true W, fitted W) vs compute time, one panel per experiment (paper Fig. 2); the
    dashed line is the median over data sets of r* (0.98 x CORNN's final r)."""
    exps = sorted(traces["exp"].unique())
    fig, axes = subplots(1, len(exps), width=4.6, height=3.4)
    tr = traces[traces["time_s"] > 0].assign(method=lambda d: d["method"].map(METHOD_NAMES))
    for ax, exp in zip(axes[0], exps):
        sns.lineplot(data=tr[tr["exp"] == exp], x="time_s", y="r", hue="method", units="rep",
                     estimator=None, ax=ax, lw=1.2, alpha=0.85,
                     hue_order=[m for m in METHOD_NAMES.values() if m in set(tr["method"])])
        ax.axhline(float(traces[traces["exp"] == exp]["r_star"].median()), color="grey",
                   ls="--", lw=0.8)
        ax.set(xscale="log", title=exp, xlabel="compute time (CPU s, log)",
               ylabel="r (true vs inferred W)", ylim=(max(0.0, tr["r"].min() - 0.05), 1.0))
    repro_core.save_figure(fig, path)


def scaling(sc: pd.DataFrame, path) -> None:
    fig, axes = subplots(1, 2, width=3.8, height=3.2)
    sns.lineplot(data=sc, x="weights", y="total_time_s", marker="o", ax=axes[0, 0],
                 label="all iterations")
    sns.lineplot(data=sc, x="weights", y="time_to_target_s", marker="s", ax=axes[0, 0],
                 label="to r >= target")
    axes[0, 0].set(xscale="log", yscale="log", xlabel="weights (n^2)", ylabel="CORNN time (CPU s)")
    sns.lineplot(data=sc, x="n", y="r_final", marker="o", ax=axes[0, 1], label="final")
    sns.lineplot(data=sc, x="n", y="r_init", marker="s", ax=axes[0, 1], label="ridge init")
    log_ticks(axes[0, 1], sc["n"])
    axes[0, 1].set(xlabel="n (T = 20 n)", ylabel="r (true vs inferred W)")
    repro_core.save_figure(fig, path)


def flipflop(ff: pd.DataFrame, path) -> None:
    fig, axes = subplots(1, 3, width=3.4, height=3.0)
    for ax, col, lab in zip(axes[0], ["r", "output_corr", "time_s"],
                            ["r (true vs inferred W)", "readout correlation", "CORNN-ADMM time (CPU s)"]):
        sns.lineplot(data=ff, x="trials", y=col, hue="n", marker="o", ax=ax, palette="colorblind")
        log_ticks(ax, ff["trials"])
        ax.set(xlabel="trials", ylabel=lab)
    axes[0, 2].set(yscale="log")
    repro_core.save_figure(fig, path)


def timed(tm: pd.DataFrame, path) -> None:
    fig, axes = subplots(1, 2, width=3.8, height=3.2)
    sub = tm[tm["experiment"] == "subsampling"]
    sns.lineplot(data=sub, x="fraction", y="r2", marker="o", ax=axes[0, 0], errorbar="sd")
    log_ticks(axes[0, 0], sub["fraction"], "{:.0%}")
    axes[0, 0].set(xlabel="fraction of neurons observed", ylabel="held-out R^2")
    mm = tm[tm["experiment"] == "mismatch"]
    sns.lineplot(data=mm, x="alpha_sd", y="r2", marker="o", ax=axes[0, 1], errorbar="sd")
    axes[0, 1].set(xlabel="s (fit assumes alpha_i ~ N(0.1, s^2))", ylabel="held-out R^2")
    for ax in axes[0]:  # diverging fits have R^2 << 0; keep the informative range visible
        lo, hi = ax.get_ylim()
        ax.set_ylim(max(lo, -1.0), min(max(hi, 0.0), 1.0) + 0.02)
    repro_core.save_figure(fig, path)
