"""Figures: self-ranking (sorted per-problem solve probability before/after RL, per temperature),
pass@1 and coverage vs temperature, pass@k vs k, and the SFT / GRPO training curves."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core

from .claims import BASE

# matplotlib/seaborn are imported inside the plotting functions: every stage imports this module
# through stages.py, and seaborn alone costs seconds per process.


@dataclass
class FiguresConfig:
    condition: str = BASE
    seed: int = 0


def _temp_colours(temps):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    lt = np.log(temps)
    span = max(lt.max() - lt.min(), 1e-9)
    return [cmap(0.9 * (x - lt.min()) / span) for x in lt]


def plot_self_ranking(c: dict, arr: dict, name: str, path: Path) -> None:
    from repro_core.plotting import subplots

    temps, K = arr[f"{name}__temperatures"], int(arr[f"{name}__k"])
    fig, axes = subplots(1, 2, width=4.2, height=3.4, sharey=True)
    for ax, when in zip(axes[0], ("before", "after")):
        probs = arr[f"{name}__{when}_counts"] / K
        for t, col in zip(range(len(temps)), _temp_colours(temps)):
            y = np.sort(probs[t])[::-1]
            ax.plot(np.linspace(0, 1, len(y)), y, color=col, label=f"T={temps[t]:g}")
        ax.set_title(f"{'pre' if when == 'before' else 'post'}-RL (pass@1 max "
                     f"{c[f'pass1_{when}']:.2f}, pass@{K} max {c[f'coverage_{when}']:.2f})",
                     fontsize=9)
        ax.set_xlabel("test problems, ranked by solve probability")
    axes[0, 0].set_ylabel(f"solve probability ({K} samples)")
    axes[0, 0].set_ylim(-0.02, 1.02)
    axes[0, 1].legend(fontsize=7, loc="upper right")
    repro_core.save_figure(fig, path)


def plot_temperature(c: dict, arr: dict, name: str, path: Path) -> None:
    from repro_core.plotting import subplots

    temps, K = arr[f"{name}__temperatures"], int(arr[f"{name}__k"])
    fig, axes = subplots(1, 2, width=4.0, height=3.2)
    for ax, key, label in ((axes[0, 0], "pass1", "pass@1"), (axes[0, 1], "coverage", f"pass@{K}")):
        for when, ls in (("before", "--"), ("after", "-")):
            ax.plot(temps, c[when][key], ls, marker="o", label=f"{'pre' if when == 'before' else 'post'}-RL")
        ax.set_xscale("log")
        ax.set_xlabel("sampling temperature")
        ax.set_ylabel(label)
        ax.set_ylim(0, 1)
        ax.legend()
    repro_core.save_figure(fig, path)


def plot_passk(c: dict, arr: dict, name: str, path: Path) -> None:
    from repro_core.plotting import subplots

    fig, axes = subplots(1, 1, width=4.2, height=3.2)
    ax = axes[0, 0]
    for when, ls in (("before", "--"), ("after", "-")):
        s = c[when]
        t = s["best_t_index"]
        ax.plot(s["ks"], np.asarray(s["passk"])[:, t], ls, marker="o",
                label=f"{'pre' if when == 'before' else 'post'}-RL (T={c['temperatures'][t]:g})")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (test)")
    ax.set_ylim(0, 1)
    ax.legend()
    repro_core.save_figure(fig, path)


def plot_curves(arr: dict, name: str, path: Path) -> None:
    from repro_core.plotting import subplots

    fig, axes = subplots(1, 3, width=3.6, height=3.0)
    g = lambda k: arr[f"{name}__{k}"]  # noqa: E731
    axes[0, 0].plot(g("sft_step"), g("sft_train_loss"))
    axes[0, 0].set(xlabel="SFT step", ylabel="train loss (nats/token)", title="SFT")
    axes[0, 1].plot(g("sft_step"), g("sft_rl_acc"), label="RL prompts")
    axes[0, 1].plot(g("sft_step"), g("sft_test_acc"), label="test")
    axes[0, 1].set(xlabel="SFT step", ylabel="greedy exact match", title="SFT", ylim=(0, 1))
    axes[0, 1].legend()
    ax = axes[0, 2]
    if len(g("grpo_step")):
        ax.plot(g("grpo_step"), g("grpo_reward"), alpha=0.5, label="rollout reward")
    ax.plot(g("grpo_eval_step"), g("grpo_rl_pass1"), marker="o", label="RL prompts pass@1 (T=1)")
    ax.plot(g("grpo_eval_step"), g("grpo_test_pass1"), marker="o", label="test pass@1 (T=1)")
    ax.set(xlabel="GRPO step", ylabel="accuracy", title="GRPO", ylim=(0, 1))
    ax.legend(fontsize=7)
    repro_core.save_figure(fig, path)


def figures(cfg: FiguresConfig, summary: Path, data: Path, self_ranking: Path, temperature: Path,
            passk: Path, curves: Path) -> None:
    s = repro_core.load_json(summary)["conditions"]
    arr = repro_core.load_npz(data)
    c = s[cfg.condition]
    plot_self_ranking(c, arr, cfg.condition, self_ranking)
    plot_temperature(c, arr, cfg.condition, temperature)
    plot_passk(c, arr, cfg.condition, passk)
    plot_curves(arr, cfg.condition, curves)
