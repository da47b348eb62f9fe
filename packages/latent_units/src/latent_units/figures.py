"""The four figures: dimensionality + redundancy, decoders, neurons needed, drift."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import seaborn as sns

from repro_core import save_figure
from repro_core.plotting import subplots


def _fig_dims(dims: pd.DataFrame, spectra: pd.DataFrame, red: pd.DataFrame, out: Path) -> None:
    fig, ax = subplots(1, 3, width=4.2, height=3.4)
    sns.lineplot(dims, x="n_neurons", y="pr", hue="embedding", marker="o", ax=ax[0, 0], errorbar="sd")
    ax[0, 0].axhline(int(dims.k.iloc[0]), color="grey", ls=":", label="k (latent dim.)")
    ax[0, 0].set(xscale="log", xlabel="neurons N", ylabel="participation ratio",
                 title="Dimensionality vs N")
    ax[0, 0].legend()
    spectra = spectra[spectra.net == spectra.net.min()] if "net" in spectra else spectra
    s = spectra[spectra.embedding == "nonlinear"]
    sns.lineplot(s, x="rank", y="variance", hue="n_neurons", palette="viridis", ax=ax[0, 1],
                 legend="full", errorbar=None)
    lin = spectra[(spectra.embedding == "linear") & (spectra.n_neurons == spectra.n_neurons.max())]
    ax[0, 1].plot(lin["rank"], lin.variance, "k--", label="linear, max N")
    ax[0, 1].set(xscale="log", yscale="log", ylim=(1e-5, 1), xlabel="PC rank",
                 ylabel="fraction of variance", title="PCA spectra (non-linear)")
    ax[0, 1].legend(title="N", fontsize=7)
    m = red.melt(value_vars=["latent_r2", "connectivity_corr", "activity_corr"], var_name="measure")
    sns.barplot(m, x="measure", y="value", ax=ax[0, 2], errorbar=None, color="C2")
    sns.stripplot(m, x="measure", y="value", ax=ax[0, 2], color="k", size=4)
    ax[0, 2].set_xticks(range(3), ["latent R$^2$", "connectivity r", "same-neuron\nactivity r"])
    ax[0, 2].set(xlabel="", ylabel="across pairs of embeddings", ylim=(-0.2, 1.05),
                 title="Redundancy: same latent,\ndifferent networks")
    save_figure(fig, out)


def _fig_decoding(dec: pd.DataFrame, out: Path) -> None:
    fig, ax = subplots(1, 2, width=4.6, height=3.4)
    for a, (target, title) in zip(ax[0], [("latent", "The latent from the rates"),
                                          ("control", "Positive control: a non-linear\n"
                                                      "target from a linear embedding")]):
        sns.lineplot(dec[dec.target == target], x="n_recorded", y="r2", hue="decoder", marker="o",
                     ax=a, errorbar="sd")
        a.set(xscale="log", xlabel="recorded neurons n", ylabel="held-out R$^2$", title=title,
              ylim=(-0.1, 1.02))
    save_figure(fig, out)


def _fig_scaling(traj: pd.DataFrame, dec1: pd.DataFrame, summ: dict, out: Path) -> None:
    tol, bm = summ["tolerance"], summ["beta_main"]
    agg = traj.groupby(["beta", "n_neurons"])[["traj_err", "flow_err"]].apply(
        lambda d: np.sqrt((d ** 2).mean())).reset_index()
    fig, ax = subplots(1, 3, width=4.2, height=3.4)
    a = ax[0, 0]
    d = dec1.groupby("n_neurons").r2.mean()
    a.plot(d.index, np.sqrt(np.clip(1 - d.values, 1e-12, None)), "o-", label="decoding the latent")
    t = agg[agg.beta == bm]
    a.plot(t.n_neurons, t.traj_err, "s-", label=f"predicting the trajectory (beta={bm:g})")
    xs = np.logspace(1, 7, 50)
    df = summ["decode_fit"]
    a.plot(xs, df["A"] * xs ** df["slope"], "C0:", lw=1)
    fit = summ["per_beta"].get(str(float(bm))) or summ["per_beta"].get(float(bm)) or {}
    if fit.get("A"):
        a.plot(xs, fit["A"] * xs ** fit["slope"], "C1:", lw=1, label="power-law fit / extrapolation")
    a.axhline(tol, color="grey", ls="--", lw=1)
    for n, c in ((summ["n_decode"], "C0"), (summ["n_trajectory"], "C1")):
        if n:
            a.axvline(n, color=c, ls="--", lw=1)
    a.set(xscale="log", yscale="log", ylim=(1e-3, 3), xlabel="neurons n",
          ylabel="relative RMS error", title="Decoding vs trajectory prediction")
    a.legend(fontsize=7)
    sns.lineplot(agg, x="n_neurons", y="traj_err", hue="beta", palette="flare", marker="o",
                 ax=ax[0, 1], legend="full", errorbar=None)
    ax[0, 1].axhline(tol, color="grey", ls="--", lw=1)
    ax[0, 1].set(xscale="log", yscale="log", xlabel="neurons n", ylabel="trajectory error",
                 title="Slower computations need more neurons")
    pb = [(float(b), v["n_required"]) for b, v in summ["per_beta"].items() if v.get("n_required")]
    if pb:
        b, n = np.array(pb).T
        ax[0, 2].plot(b, n, "o", label="required n (fit)")
        ax[0, 2].plot(b, n[0] * (b / b[0]) ** 2, "k:", label="slope 2")
    ax[0, 2].axhline(summ["max_simulated_n"], color="grey", ls="--", lw=1, label="largest simulated n")
    ax[0, 2].set(xscale="log", yscale="log", xlabel="slowness beta (units of tau)",
                 ylabel=f"neurons for error <= {tol:g}", title="Required N vs beta")
    ax[0, 2].legend(fontsize=7)
    save_figure(fig, out)


def _fig_drift(drift: pd.DataFrame, perturb: pd.DataFrame, out: Path) -> None:
    fig, ax = subplots(1, 4, width=3.6, height=3.3)
    for a, col, lab in zip(ax[0], ["tuning_corr", "readout_r2", "decoder_r2"],
                           ["single-cell tuning corr. with day 0", "fixed readout: R$^2$ vs day-0 latent",
                            "day-0 ridge decoder (recorded cells): R$^2$"]):
        sns.lineplot(drift, x="day", y=col, hue="model", marker="o", ax=a, legend=a is ax[0, 0],
                     errorbar="sd")
        a.set(ylabel=lab, xlabel="day", ylim=(max(-1.0, min(-0.05, drift[col].min() - 0.05)), 1.05))
    ax[0, 0].set_title("Single neurons drift")
    ax[0, 1].set_title("The computation")
    ax[0, 2].set_title("A decoder fixed on day 0")
    a = ax[0, 3]
    for kind, col, c in (("null-space", "null_norm", "C0"), ("coding", "latent_norm", "C1")):
        d = perturb[perturb.kind == kind]
        for draw, g in d.groupby("draw"):
            a.plot(g.time, g[col] / g[col].iloc[0], color=c, lw=1,
                   label=f"{kind} perturbation" if draw == 0 else None)
    t = np.linspace(0, perturb.time.max(), 50)
    a.plot(t, np.exp(-t), "k:", lw=1, label="exp(-t / tau)")
    a.set(yscale="log", ylim=(1e-4, 2), xlabel="time (tau)", ylabel="perturbation / initial",
          title="Perturbations")
    a.legend(fontsize=7)
    save_figure(fig, out)


def render(t: dict, fig_dims, fig_decoding, fig_scaling, fig_drift) -> None:
    """The four figures from the result tables (read and checked complete by the stage)."""
    _fig_dims(t["dims"], t["spectra"], t["redundancy"], fig_dims)
    _fig_decoding(t["decoding"], fig_decoding)
    _fig_scaling(t["trajectories"], t["decoding_1d"], t["scaling"], fig_scaling)
    _fig_drift(t["drift"], t["perturb"], fig_drift)
