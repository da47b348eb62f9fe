"""Figures: per-position loss against the exact Bayes curve, the induction-head
transition, the power law of in-context learning on coin mixtures, and the
coupling of the learned predictor to the pretraining prior."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import seaborn as sns

import repro_core
from repro_core.plotting import subplots

LN2 = math.log(2)


@dataclass(kw_only=True)
class FiguresConfig:
    n_checkpoints: int  # training checkpoints drawn in the per-position loss figure
    seed: int = 0


def _checkpoint_rows(steps: np.ndarray, k: int) -> list[int]:
    """k logged steps spread evenly on a log scale, always the first and last."""
    if len(steps) <= k:
        return list(range(len(steps)))
    targets = np.geomspace(max(steps[1], 1), steps[-1], k - 1)
    rows = [0] + [int(np.argmin(np.abs(steps - t))) for t in targets]
    return sorted(set(rows))


def fig_position_loss(d: dict, s: dict, cfg: FiguresConfig, path: Path) -> None:
    archs = [a for a in ("transformer", "gru") if f"mrname_{a}_ce" in d]
    fig, axes = subplots(1, len(archs), width=4.6, height=3.4, sharey=True)
    L = d["mr_name_h"].shape[0]
    ell = np.arange(L)
    for ax, arch in zip(axes[0], archs):
        steps, ce = d[f"mrname_{arch}_step"], d[f"mrname_{arch}_ce"]
        rows = _checkpoint_rows(steps, cfg.n_checkpoints)
        colors = sns.color_palette("viridis", len(rows))
        for c, r in zip(colors, rows):
            ax.plot(ell + 1, ce[r], color=c, lw=1.2, label=f"step {steps[r]}")
        ax.plot(ell + 1, d["mr_name_h"], "k--", lw=1.5, label="Bayes $h_\\ell$ (exact)")
        ax.axhline(float(d["mr_name_hmu"]), color="grey", lw=0.8, ls=":", label="$h_\\mu$")
        ax.set(xscale="log", xlabel="context position $\\ell + 1$", ylabel="val. loss (nats)",
               title=f"Mr. Name: {arch}", ylim=(0.75, 1.95))
        gap = s["runs"][f"mrname_{arch}"]["max_kl_l1"]
        ax.text(0.97, 0.95, f"final max$_{{\\ell\\geq1}}$ (c-h) = {gap:.3f}", transform=ax.transAxes,
                ha="right", va="top", fontsize=8)
        ax.legend(fontsize=7, loc="lower left")
    repro_core.save_figure(fig, path)


def fig_transition(d: dict, s: dict, path: Path) -> None:
    fig, axes = subplots(1, 1, width=5.2, height=3.6)
    ax = axes[0, 0]
    for arch, ls in (("transformer", "-"), ("gru", "--")):
        if f"mrname_{arch}_name2" not in d:
            continue
        steps = d[f"mrname_{arch}_step"]
        x = steps + 1
        ax.plot(x, d[f"mrname_{arch}_name1"], ls, color="C0", label=f"{arch}: 1st name")
        ax.plot(x, d[f"mrname_{arch}_name2"], ls, color="C3", label=f"{arch}: 2nd name")
    t = s["runs"]["mrname_transformer"]["transition"]
    if t["step"] is not None:
        ax.axvline(t["step"] + 1, color="k", lw=0.8, ls=":",
                   label=f"transition (transformer): step {t['step']}")
    ax.axhline(LN2, color="grey", lw=0.8, label="ln 2 (Bayes, 1st name)")
    ax.set(xscale="log", yscale="log", xlabel="training step + 1", ylabel="loss on name token (nats)",
           title="Induction-head transition")
    ax.legend(fontsize=7)
    repro_core.save_figure(fig, path)


def fig_power_law(d: dict, s: dict, path: Path) -> None:
    ns = sorted(int(n) for n in s["coins"])
    fig, axes = subplots(1, 2, width=4.6, height=3.6)
    colors = dict(zip(ns, sns.color_palette("colorblind", len(ns))))
    for n in ns:
        ex = d[f"coins{n}_bayes_excess"]
        ell = np.arange(len(ex))
        m = ex > 1e-12
        axes[0, 0].plot(ell[m][1:], ex[m][1:], color=colors[n], label=f"N={n}")
        key = f"coins{n}_transformer_excess"
        if key in d:
            y = d[key]
            pos = np.arange(1, len(y))
            ok = y[1:] > 0
            axes[0, 1].plot(pos[ok], y[1:][ok], "o", ms=2.5, color=colors[n], label=f"model N={n}")
            axes[0, 1].plot(pos, ex[1:len(y)], color=colors[n], lw=1)
    for ax in axes[0]:
        ell = np.arange(1, 1001)
        ax.plot(ell, 1 / (2 * ell), "k--", lw=1, label="1/(2ℓ)")
        ax.axvspan(8, 100, color="grey", alpha=0.08)
        ax.set(xscale="log", yscale="log", xlabel="context position ℓ", ylim=(1e-5, 1))
    axes[0, 0].set(ylabel="excess loss $h_\\ell - h_\\infty$ (nats)", title="Bayes (exact)")
    axes[0, 1].set(xlim=(1, 120), title="trained transformer (dots) vs Bayes (lines)")
    axes[0, 0].legend(fontsize=7)
    axes[0, 1].legend(fontsize=7)
    repro_core.save_figure(fig, path)


def fig_coupling(d: dict, s: dict, path: Path) -> None:
    c = s.get("coupling")
    fig, axes = subplots(1, 1, width=4.6, height=3.6)
    ax = axes[0, 0]
    if c:
        kl = np.array(c["kl"])
        sns.heatmap(np.log10(kl), annot=kl, fmt=".1e", annot_kws={"fontsize": 7}, cmap="mako_r",
                    xticklabels=[f"N'={p}" for p in c["priors"]],
                    yticklabels=[f"N={m}" for m in c["models"]], ax=ax,
                    cbar_kws={"label": "log10 KL (nats/token)"})
        ax.set(xlabel="prior of the Bayes predictor", ylabel="model trained on",
               title="KL(Bayes$_{N'}$ || model), held-out biases p~U(0,1)")
    repro_core.save_figure(fig, path)


def figures(cfg: FiguresConfig, summary: Path, data: Path, position_loss: Path, transition: Path,
            power_law: Path, coupling: Path) -> None:
    s = repro_core.load_json(summary)
    d = repro_core.load_npz(data)
    fig_position_loss(d, s, cfg, position_loss)
    fig_transition(d, s, transition)
    fig_power_law(d, s, power_law)
    fig_coupling(d, s, coupling)
