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


@dataclass(kw_only=True)
class FiguresConfig:
    condition: str
    seed: int = 0


def _temp_colours(temps):
    import matplotlib.pyplot as plt

    cmap = plt.get_cmap("viridis")
    lt = np.log(temps)
    span = max(lt.max() - lt.min(), 1e-9)
    return [cmap(0.9 * (x - lt.min()) / span) for x in lt]


def _seeds(arr, name):
    return [int(x) for x in np.atleast_1d(arr[f"{name}__grpo_seeds"])]


def plot_self_ranking(c: dict, arr: dict, name: str, path: Path) -> None:
    """Per-problem solve probability, problems sorted, before RL and after each GRPO seed."""
    from repro_core.plotting import subplots

    temps, K = arr[f"{name}__temperatures"], int(arr[f"{name}__k"])
    seeds = _seeds(arr, name)
    panels = [("pre-RL (SFT)", arr[f"{name}__before_counts"], c["before"])]
    panels += [(f"post-RL, GRPO seed {s}", arr[f"{name}__s{s}__after_counts"], r["after"])
               for s, r in zip(seeds, c["runs"])]
    fig, axes = subplots(1, len(panels), width=3.8, height=3.4, sharey=True)
    for ax, (title, counts, summ) in zip(axes[0], panels):
        for t, col in zip(range(len(temps)), _temp_colours(temps)):
            y = np.sort(counts[t] / K)[::-1]
            ax.plot(np.linspace(0, 1, len(y)), y, color=col, label=f"T={temps[t]:g}")
        ax.set_title(f"{title}\npass@1 {summ['pass1_max']:.3f}, pass@{K} {summ['coverage_max']:.3f}",
                     fontsize=9)
        ax.set_xlabel("test problems, ranked by solve probability")
    axes[0, 0].set_ylabel(f"solve probability ({K} samples)")
    axes[0, 0].set_ylim(-0.02, 1.02)
    axes[0, -1].legend(fontsize=7, loc="upper right")
    repro_core.save_figure(fig, path)


def plot_temperature(c: dict, arr: dict, name: str, path: Path) -> None:
    """pass@1 and pass@K against temperature, before RL and after each GRPO seed."""
    from repro_core.plotting import subplots

    temps, K = arr[f"{name}__temperatures"], int(arr[f"{name}__k"])
    fig, axes = subplots(1, 2, width=4.0, height=3.2)
    for ax, key, label in ((axes[0, 0], "pass1", "pass@1"), (axes[0, 1], "coverage", f"pass@{K}")):
        ax.plot(temps, c["before"][key], "--", color="k", marker="o", label="pre-RL (SFT)")
        for r in c["runs"]:
            ax.plot(temps, r["after"][key], "-", marker="o", label=f"post-RL seed {r['grpo_seed']}")
        ax.set_xscale("log")
        ax.set_xlabel("sampling temperature")
        ax.set_ylabel(f"{label} (test)")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    repro_core.save_figure(fig, path)


def plot_passk(c: dict, arr: dict, name: str, path: Path) -> None:
    from repro_core.plotting import subplots

    fig, axes = subplots(1, 1, width=4.2, height=3.2)
    ax = axes[0, 0]
    curves = [("pre-RL", "--", c["before"])] + [(f"post-RL seed {r['grpo_seed']}", "-", r["after"])
                                                 for r in c["runs"]]
    for label, ls, s in curves:
        t = s["best_t_index"]
        ax.plot(s["ks"], np.asarray(s["passk"])[:, t], ls, marker="o",
                label=f"{label} (T={c['temperatures'][t]:g})")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("k")
    ax.set_ylabel("pass@k (test)")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    repro_core.save_figure(fig, path)


def _smooth(x, w=9):
    x = np.asarray(x, float)
    if len(x) < w:
        return x
    return np.convolve(x, np.ones(w) / w, mode="valid")


def plot_curves(arr: dict, name: str, path: Path) -> None:
    """SFT loss and greedy accuracy; per GRPO seed the rollout reward on the RL prompts against
    pass@1 (T = 1) on test problems and on the RL prompts over steps."""
    from repro_core.plotting import subplots

    seeds = _seeds(arr, name)
    fig, axes = subplots(1, 2 + len(seeds), width=3.6, height=3.0)
    g = lambda k: arr[f"{name}__{k}"]  # noqa: E731
    axes[0, 0].plot(g("sft_step"), g("sft_train_loss"))
    axes[0, 0].set(xlabel="SFT step", ylabel="train loss (nats/token)", title="SFT")
    axes[0, 1].plot(g("sft_step"), g("sft_rl_acc"), label="RL prompts")
    axes[0, 1].plot(g("sft_step"), g("sft_test_acc"), label="test")
    axes[0, 1].set(xlabel="SFT step", ylabel="greedy exact match", title="SFT", ylim=(0, 1))
    axes[0, 1].legend()
    for ax, s in zip(axes[0, 2:], seeds):
        h = lambda k: arr[f"{name}__s{s}__grpo_{k}"]  # noqa: E731
        steps, reward = h("step"), h("reward")
        if len(steps):
            ax.plot(steps, reward, color="C0", alpha=0.25)
            sm = _smooth(reward)
            ax.plot(steps[len(steps) - len(sm):], sm, color="C0", label="rollout reward, RL prompts")
        ax.plot(h("eval_step"), h("rl_pass1"), marker="o", color="C1", label="RL prompts pass@1 (T=1)")
        ax.plot(h("eval_step"), h("test_pass1"), marker="o", color="C2", label="test pass@1 (T=1)")
        ax.set(xlabel="GRPO step", ylabel="accuracy", title=f"GRPO seed {s}", ylim=(0, 1))
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
