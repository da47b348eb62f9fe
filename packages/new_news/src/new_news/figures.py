"""Figures: accuracy by protocol and domain, shadowing / overexposure, replay scaling."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

from repro_core import save_figure
from repro_core.plotting import subplots


def _chance(ax, s):
    ax.axhline(s["chance"], color="grey", ls=":", lw=1, label="chance")


def protocols_figure(s: dict, tab: pd.DataFrame, path) -> None:
    """Left: accuracy per setting and domain. Right: per setting and stratum (extractive:
    the answer is stated in the news; clean: and no distractor is; inferential: not stated)."""
    rows = [{"setting": name, "domain": d, "accuracy": v}
            for name in s["settings"] for d, v in s["by_domain"][name].items() if v is not None]
    df = pd.DataFrame(rows)
    w = max(7.0, 1.1 * len(s["by_domain"]))
    fig, axes = subplots(1, 2, width=w, height=3.8)
    ax = axes[0, 0]
    sns.barplot(df, x="setting", y="accuracy", hue="domain", ax=ax, palette="colorblind")
    ax.set_title(f"By domain ({s['n_items']} news items, {s['budget']} replay samples/item)")
    ax.legend(fontsize=7, ncol=3, loc="upper left")
    conds = s.get("setting_conditions", {})
    srows = [{"setting": name, "stratum": r.stratum, "accuracy": r.accuracy}
             for name, (c, m) in conds.items()
             for r in tab[(tab.condition == c) & (tab["mode"] == m) & (tab.domain == "all")].itertuples()]
    ax2 = axes[0, 1]
    if srows:
        sns.barplot(pd.DataFrame(srows), x="setting", y="accuracy", hue="stratum", ax=ax2, palette="deep")
        ax2.legend(fontsize=7, ncol=2, loc="upper left")
    ax2.set_title("By stratum (all domains)")
    for ax in (axes[0, 0], ax2):
        _chance(ax, s)
        ax.set_ylim(0, 1.05)
        ax.set_xlabel("")
        ax.set_ylabel("multiple-choice accuracy (options not listed)")
        ax.tick_params(axis="x", rotation=30)
        for lab in ax.get_xticklabels():
            lab.set_ha("right")
    save_figure(fig, path)


def shadowing_figure(s: dict, path) -> None:
    fig, axes = subplots(1, 2, width=3.8, height=3.4)
    ax = axes[0, 0]
    sh = s["shadowing"]
    names, vals = ["Self-QA FT", "news + Self-QA FT\n(shadowing)"], [sh["selfqa"], sh["shadow"]]
    sns.barplot(x=names, y=[np.nan if v is None else v for v in vals], ax=ax, hue=names, legend=False)
    _chance(ax, s)
    ax.set_ylim(0, 1)
    ax.set_ylabel("closed-book accuracy")
    ax.set_title("Contextual shadowing")
    ax = axes[0, 1]
    names = ["ICL before FT"] + [f"ICL after\n{c}" for c in s["icl_after"]]
    vals = [s["icl_before"], *s["icl_after"].values()]
    sns.barplot(x=names, y=vals, ax=ax, hue=names, legend=False)
    _chance(ax, s)
    ax.set_ylim(0, 1)
    ax.set_ylabel("accuracy with the news in context")
    ax.set_title("Overexposure")
    ax.tick_params(axis="x", labelsize=7)
    save_figure(fig, path)


def scaling_figure(s: dict, path) -> None:
    fig, axes = subplots(1, 1, width=4.8, height=3.6)
    ax = axes[0, 0]
    b = [int(k) for k in s["budget_curve"]]
    y = [s["budget_curve"][str(k)] for k in b]
    ax.plot(b, y, "o-", label=f"Self-QA FT ({s['main_source']})")
    for key, lab, ls in (("icl_before", "ICL (news in context)", "--"), ("naive", "naive FT", "-."),
                         ("closed_base", "no news (base)", (0, (1, 3)))):
        if s[key] is not None:
            ax.axhline(s[key], ls=ls, lw=1.2, color="k" if key == "icl_before" else "C3", label=lab,
                       alpha=0.8)
    _chance(ax, s)
    ax.set_xscale("log", base=2)
    ax.set_xticks(b, [str(k) for k in b])
    ax.set_ylim(0, 1)
    ax.set_xlabel("replay samples per news item")
    ax.set_ylabel("closed-book accuracy")
    ax.set_title("Accuracy vs Sys2-FT replay budget")
    ax.legend(fontsize=7)
    save_figure(fig, path)
