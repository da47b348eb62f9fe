"""Figures: trees, complexity vs size, persona accuracies, confusion heatmaps."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import networkx as nx
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.lines import Line2D

from repro_core import save_figure
from repro_core.plotting import PALETTE, subplots

from .claims import REFERENCE_PERSONAS, REFERENCE_TREES, by_size

MODE_TITLE = {"topk": "top-100 mode (paper's method)", "dense": "dense mode (all single-token labels)"}


def layered_layout(g: nx.DiGraph) -> dict:
    """Roots on top, each generation one row, nodes spread evenly and sorted by name."""
    pos = {}
    for depth, layer in enumerate(nx.topological_generations(g)):
        layer = sorted(layer)
        for i, v in enumerate(layer):
            pos[v] = ((i + 0.5) / len(layer), -depth)
    return pos


def draw_tree(ax, edges: list, primaries: list, primary_of: dict, title: str) -> None:
    colours = dict(zip(primaries, sns.color_palette(PALETTE, len(primaries))))
    g = nx.DiGraph()
    g.add_edges_from(tuple(e) for e in edges)
    ax.set_title(title, fontsize=9)
    ax.axis("off")
    if g.number_of_nodes() == 0:
        ax.text(0.5, 0.5, "empty tree: no parent-child pair passes t", ha="center", va="center",
                transform=ax.transAxes, fontsize=8)
        return
    pos = layered_layout(g)
    nx.draw_networkx_edges(g, pos, ax=ax, edge_color="0.6", width=0.8, arrows=True, arrowsize=6,
                           node_size=120)
    nx.draw_networkx_nodes(g, pos, ax=ax, node_size=120,
                           node_color=[colours[primary_of[v.strip()]] for v in g.nodes])
    fs = 7 if g.number_of_nodes() < 30 else 5
    width = {}
    for v, (_, y) in pos.items():
        width[y] = width.get(y, 0) + 1
    texts = nx.draw_networkx_labels(g, pos, ax=ax, font_size=fs)
    for v, t in texts.items():           # crowded rows: vertical labels under the nodes
        if width[pos[v][1]] > 10:
            t.set_rotation(90)
            t.set_verticalalignment("top")
            t.set_position((pos[v][0], pos[v][1] - 0.08))
    ax.set_ylim(min(y for _, y in pos.values()) - 0.9, 0.3)


def trees_figure(a: dict, path: Path) -> None:
    models = by_size(a)
    primary_of = {lab: a["primaries"][gi] for lab, gi in zip(a["labels"], a["group"])}
    fig, axes = subplots(len(models), 2, width=7.0, height=3.6)
    for i, (m, r) in enumerate(models):
        for j, mode in enumerate(("topk", "dense")):
            t = r["trees"][mode]
            draw_tree(axes[i, j], t["edge_list"], a["primaries"], primary_of,
                      f"{m} ({r['n_params'] / 1e6:.3g}M), {MODE_TITLE[mode]}\n"
                      f"{t['nodes']} nodes, {t['edges']} edges, TPL {t['total_path_length']}, "
                      f"depth {t['average_depth']:.2f}")
    colours = sns.color_palette(PALETTE, len(a["primaries"]))
    handles = [Line2D([], [], marker="o", ls="", color=c, label=p) for p, c in zip(a["primaries"], colours)]
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), fontsize=8)
    save_figure(fig, path)


def complexity_figure(a: dict, path: Path) -> None:
    rows = [{"params": v[0], "tpl": v[3], "depth": v[4], "source": "paper (top-100)",
             "model": k} for k, v in REFERENCE_TREES.items()]
    for m, r in by_size(a):
        for mode in ("topk", "dense"):
            t = r["trees"][mode]
            rows.append({"params": r.get("size", r["n_params"]), "tpl": t["total_path_length"],
                         "depth": t["average_depth"], "source": f"ours ({mode})", "model": m})
    df = pd.DataFrame(rows)
    fig, axes = subplots(1, 3, width=4.2, height=3.2)
    ax = axes[0, 2]          # tree complexity vs recognition accuracy across models (paper Sec. 4)
    for m, r in by_size(a):
        if "neutral" in r["recognition"]:
            x, y = r["trees"]["topk"]["total_path_length"], r["recognition"]["neutral"]["accuracy_all"]
            ax.scatter([x], [y], color="C0")
            ax.annotate(m, (x, y), fontsize=6, xytext=(3, 3), textcoords="offset points")
    ax.set_xlabel("total path length (top-100 tree)")
    ax.set_ylabel("6-way accuracy, neutral (all scenarios)")
    for ax, col, name in zip(axes[0], ("tpl", "depth"), ("total path length", "average depth")):
        sns.lineplot(df, x="params", y=col, hue="source", style="source", markers=True, dashes=False,
                     ax=ax, legend=ax is axes[0, 0])
        ax.set_xscale("log")
        ax.set_xlabel("parameters")
        ax.set_ylabel(name)
        for row in df.itertuples():
            ax.annotate(row.model, (row.params, getattr(row, col)), fontsize=6,
                        xytext=(3, 3), textcoords="offset points")
    save_figure(fig, path)


def recognition_figure(a: dict, path: Path) -> None:
    rows = [{"model": m, "persona": p, "6-way accuracy": x.get("accuracy_all", x["accuracy_primary"])}
            for m, r in by_size(a) for p, x in r["recognition"].items()]
    rows += [{"model": "paper: Llama-3.1-405B", "persona": p, "6-way accuracy": v}
             for p, v in REFERENCE_PERSONAS.items()]
    df = pd.DataFrame(rows)
    personas = [p for p in REFERENCE_PERSONAS if p in set(df["persona"])]
    personas += sorted(set(df["persona"]) - set(personas))
    models = list(dict.fromkeys(df["model"]))
    palette = dict(zip(models[:-1], sns.color_palette(PALETTE, len(models) - 1)))
    palette[models[-1]] = (0.7, 0.7, 0.7)
    fig, axes = subplots(1, 1, width=max(6.0, 0.55 * len(personas) * max(1, df["model"].nunique()) / 2),
                         height=3.6)
    ax = axes[0, 0]
    sns.barplot(df, x="persona", y="6-way accuracy", hue="model", order=personas, hue_order=models,
                palette=palette, ax=ax)
    ax.axhline(1 / len(a["primaries"]), color="0.4", ls="--", lw=0.8, label="chance")
    ax.set_ylim(0, 1)
    ax.tick_params(axis="x", rotation=40)
    for lab in ax.get_xticklabels():
        lab.set_horizontalalignment("right")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    save_figure(fig, path)


def confusion_figure(a: dict, path: Path) -> None:
    models = by_size(a)
    fig, axes = subplots(1, len(models), width=3.6, height=3.2)
    for ax, (m, r) in zip(axes[0], models):
        cm = np.asarray(r["recognition"].get("neutral", next(iter(r["recognition"].values())))
                        ["confusion_primary"], float)
        norm = np.divide(cm, cm.sum(1, keepdims=True), out=np.zeros_like(cm), where=cm.sum(1, keepdims=True) > 0)
        sns.heatmap(norm, ax=ax, vmin=0, vmax=1, cmap="Blues", annot=True, fmt=".2f", annot_kws={"fontsize": 6},
                    xticklabels=a["primaries"], yticklabels=a["primaries"], cbar=False, square=True)
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{m}, neutral persona", fontsize=9)
    save_figure(fig, path)
