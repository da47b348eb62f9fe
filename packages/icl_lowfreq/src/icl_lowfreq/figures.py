"""Figures of the exact model (seaborn/matplotlib via repro_core.plotting)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns

import repro_core
from repro_core.plotting import subplots

from . import model


def pca_grid(m: dict, snaps: dict, gname: str, path) -> None:
    """Top-2 PCA of the node representations, rows = context length, columns = layer."""
    keys = sorted((k for k in snaps if k.startswith(f"{gname}__T")), key=lambda k: int(k.split("T")[-1]))
    keys = keys[:1] + keys[len(keys) // 2:len(keys) // 2 + 1] + [f"{gname}__inf"]
    keys = list(dict.fromkeys(keys))
    layers = m["snapshot_layers"]
    g = model.make_graph(gname)
    edges = np.argwhere(np.triu(g.A) > 0)
    colours = g.pos[:, 0] + 0.3 * g.pos[:, 1]
    fig, axes = subplots(len(keys), len(layers), width=2.2, height=2.2)
    for r, key in enumerate(keys):
        for c, layer in enumerate(layers):
            ax = axes[r, c]
            Y = model.pca_basis(snaps[key][c], 2)[1]
            for i, j in edges:
                ax.plot(Y[[i, j], 0], Y[[i, j], 1], color="0.7", lw=0.8, zorder=1)
            ax.scatter(Y[:, 0], Y[:, 1], c=colours, cmap="viridis", s=22, zorder=2)
            ax.set_xticks([]), ax.set_yticks([])
            ctx = "T = inf" if key.endswith("inf") else f"T = {key.split('T')[-1]}"
            ax.set_title(f"layer {layer}, {ctx}", fontsize=8)
    fig.suptitle(f"{gname}: top-2 PCA of node representations (edges = graph)")
    repro_core.save_figure(fig, path)


def energy(m: dict, layers: pd.DataFrame, context: pd.DataFrame, path) -> None:
    """Energy vs layer (with the lambda_2 floor) and representation change vs context length."""
    fig, axes = subplots(1, 3, width=4.0, height=3.2)
    ax = axes[0, 0]
    pal = dict(zip(m["graphs"], sns.color_palette(n_colors=len(m["graphs"]))))
    sns.lineplot(data=layers, x="layer", y="energy", hue="graph", palette=pal, errorbar=None, ax=ax)
    for gname, gm in m["graphs"].items():
        ax.axhline(gm["lambda2"], color=pal[gname], ls="--", lw=0.8)
    ax.set_yscale("log")
    ax.set_title("normalised Dirichlet energy (dashed: $\\lambda_2$)")
    ax = axes[0, 1]
    rms = (context.melt(id_vars=["graph", "T_over_n"], value_vars=["rel_change_first", "rel_change_last"],
                        var_name="layer", value_name="change")
           .groupby(["graph", "T_over_n", "layer"])["change"]
           .apply(lambda v: float(np.sqrt(np.mean(v ** 2)))).reset_index())
    rms["layer"] = rms["layer"].map({"rel_change_first": "first", "rel_change_last": "last"})
    sns.lineplot(data=rms, x="T_over_n", y="change", hue="graph", style="layer", palette=pal,
                 marker="o", errorbar=None, ax=ax)
    ref = np.array(sorted(context["T_over_n"].unique()))
    if len(ref):
        y0 = rms[rms["T_over_n"] == ref[-1]]["change"].max()
        ax.plot(ref, y0 * (ref / ref[-1]) ** -0.5, "k:", label="slope $-1/2$")
    ax.set(xscale="log", yscale="log", xlabel="context length T / n",
           ylabel="RMS ||X_T - X_inf|| / ||X_inf||")
    ax.set_ylim(top=1e2)
    ax.legend(fontsize=7)
    ax.set_title("convergence over context")
    ax = axes[0, 2]
    sns.lineplot(data=context, x="T_over_n", y="energy", hue="graph", palette=pal, marker="o",
                 errorbar="sd", ax=ax)
    for gname, gm in m["graphs"].items():
        ax.axhline(gm["lambda2"], color=pal[gname], ls="--", lw=0.8)
    ax.set(xscale="log", xlabel="context length T / n", ylabel="energy at last layer")
    ax.set_title("last-layer energy vs context")
    repro_core.save_figure(fig, path)


def spectrum(m: dict, path) -> None:
    """Fraction of representation energy per Laplacian mode, first vs last layer."""
    graphs = list(m["graphs"])
    fig, axes = subplots(1, len(graphs), width=3.6, height=3.0)
    for ax, gname in zip(axes[0], graphs):
        gm = m["graphs"][gname]
        lam = np.array(gm["eigenvalues"])
        df = pd.concat([pd.DataFrame({"mode": np.arange(len(lam)), "lambda": lam,
                                      "fraction": gm[f"mode_spectrum_{w}"], "layer": w})
                        for w in ("first", "last")])
        sns.barplot(data=df, x="mode", y="fraction", hue="layer", ax=ax)
        ax.set_title(f"{gname}")
        ax.set_xlabel("Laplacian mode (ascending $\\lambda$)")
        ax.tick_params(axis="x", labelsize=6)
    repro_core.save_figure(fig, path)


def noise(m: dict, path) -> None:
    """Relative output change vs input noise level for low- and high-frequency noise."""
    rows = [{"graph": g, **r} for g, gm in m["graphs"].items() for r in gm["noise"]]
    df = pd.DataFrame(rows)
    fig, axes = subplots(1, 1, width=4.6, height=3.4)
    ax = axes[0, 0]
    sns.lineplot(data=df, x="level", y="rel_change", hue="graph", style="band", marker="o",
                 errorbar=None, ax=ax)
    ax.set(xscale="log", yscale="log", xlabel="noise norm / input norm",
           ylabel="relative output change (last layer)")
    ax.axvline(0.01, color="0.6", ls=":", lw=0.8)
    repro_core.save_figure(fig, path)


def trained(ms: dict, path) -> None:
    """Track B: energy / lambda_2 and low-mode fraction by layer, and the training loss."""
    rows = [{"graph": g, "layer": i, "energy / lambda2": r["energy"] / m["lambda2"],
             "low-mode fraction": r["low_fraction"]}
            for g, m in ms.items() for i, r in enumerate(m["layers"]) if r]
    df = pd.DataFrame(rows)
    fig, axes = subplots(1, 3, width=3.6, height=3.0)
    for ax, col, base in ((axes[0, 0], "energy / lambda2", "random_energy"),
                          (axes[0, 1], "low-mode fraction", "random_low_fraction")):
        if len(df):
            sns.lineplot(data=df, x="layer", y=col, hue="graph", marker="o", errorbar=None, ax=ax)
        for g, m in ms.items():
            ref = m[base] / m["lambda2"] if base == "random_energy" else m[base]
            ax.axhline(ref, color="0.6", ls=":", lw=0.8)
        ax.set_title(f"{col} (dotted: random)")
    ax = axes[0, 2]
    for g, m in ms.items():
        ax.plot(np.arange(len(m["losses"])), m["losses"], label=f"{g} (valid next {m['valid_next_token']:.2f})")
    ax.set(xlabel="step", ylabel="next-token loss", title="training")
    ax.legend(fontsize=7)
    repro_core.save_figure(fig, path)


def lm(m: dict, table: pd.DataFrame, path) -> None:
    """Track C, one row per graph: energy / lambda_2 by layer (contexts as hue), energy by context
    at the readout layer, lower-half share and PCA/Fiedler overlap by context at the readout
    layer, scale-free change vs context (log-log, slope -1/2 for reference) and the readout-layer
    top-2 PCA of walk 0 at the longest context with the graph's edges. Means over walks, 95% CIs."""
    graphs = list(m["graphs"])
    readout = int(m["readout_layer"])
    df = table[table["complete"].astype(bool)].copy()
    fig, axes = subplots(len(graphs), 5, width=3.2, height=2.8)
    for r, gname in enumerate(graphs):
        gm = m["graphs"][gname]
        d = df[df["graph"] == gname].copy()
        d["energy / lambda2"] = d["energy"] / gm["lambda2"]
        rand = gm["random_energy"] / gm["lambda2"]
        ax = axes[r, 0]
        sns.lineplot(data=d, x="layer", y="energy / lambda2", hue="T", marker=".", errorbar=("ci", 95),
                     palette="viridis", ax=ax)
        ax.axhline(rand, color="0.5", ls=":", lw=0.8)
        ax.axhline(1.0, color="k", ls="--", lw=0.8)
        ax.axvline(readout, color="0.7", lw=0.8)
        ax.set_title(f"{gname}: energy by layer (dotted random, dashed lambda2)", fontsize=8)
        ax.legend(fontsize=6, title="T", title_fontsize=6)
        at = d[d["layer"] == readout]
        ax = axes[r, 1]
        sns.lineplot(data=at, x="T", y="energy / lambda2", marker="o", errorbar=("ci", 95), ax=ax)
        ax.axhline(rand, color="0.5", ls=":", lw=0.8)
        ax.axhline(1.0, color="k", ls="--", lw=0.8)
        ax.set(xscale="log", title=f"energy by context, layer {readout}")
        ax = axes[r, 2]
        long = at.melt(id_vars=["T", "walk"], value_vars=["lower_half_fraction", "pca_fiedler_overlap"],
                       var_name="measure")
        sns.lineplot(data=long, x="T", y="value", hue="measure", marker="o", errorbar=("ci", 95), ax=ax)
        ax.axhline(gm["random_lower_half_fraction"], color="C0", ls=":", lw=0.8)
        ax.axhline(gm["random_overlap"], color="C1", ls=":", lw=0.8)
        ax.axhline(0.5, color="k", ls="--", lw=0.6)
        ax.set(xscale="log", ylim=(0, 1), title="lower-half share, PCA/Fiedler (dotted random)")
        ax.legend(fontsize=6)
        ax = axes[r, 3]
        c = at[at["T"] < at["T"].max()]
        if len(c):
            sns.lineplot(data=c, x="T", y="change", marker="o", errorbar=("ci", 95), ax=ax)
            T0, y0 = c["T"].min(), c[c["T"] == c["T"].min()]["change"].mean()
            Tr = np.array([T0, c["T"].max()])
            ax.plot(Tr, y0 * (Tr / T0) ** -0.5, color="0.5", ls=":", lw=0.8, label="slope -1/2")
            ax.legend(fontsize=6)
        ax.set(xscale="log", yscale="log", ylabel="||X_T - X_Tmax|| (unit norm)", title="convergence over context")
        ax = axes[r, 4]
        Y = np.asarray(gm["pca_readout_walk0"])
        pos = np.asarray(gm["pos"])
        g = model.make_graph(gname)
        for i, j in np.argwhere(np.triu(g.A) > 0):
            ax.plot(Y[[i, j], 0], Y[[i, j], 1], color="0.7", lw=0.8, zorder=1)
        ax.scatter(Y[:, 0], Y[:, 1], c=pos[:, 0] + 0.3 * pos[:, 1], cmap="viridis", s=22, zorder=2)
        for i, w in enumerate(gm["walks"][0]["words"]):
            ax.annotate(w, Y[i], fontsize=5)
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"top-2 PCA, layer {readout}, T = {gm['Ts'][-1]}", fontsize=8)
    fig.suptitle(f"{m['model']}: in-context random walks ({m['n_walks']} walks per graph)")
    repro_core.save_figure(fig, path)
