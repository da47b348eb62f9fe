"""Figures: phase portraits, loss landscape, learning-rate sweeps, RNN training."""

from __future__ import annotations

import numpy as np
import pandas as pd

import repro_core
from repro_core.plotting import subplots

from . import normal_form as nf
from . import slow, unit


def phase(d: dict, s: dict, path) -> None:
    fig, ax = subplots(1, 4, width=3.6, height=3.0)
    ax = ax[0]
    x = np.linspace(-1.5, 1.5, 301)
    for r, lab in [(-0.5, "r < 0: two fixed points"), (0.0, "r = 0: saddle-node"), (0.3, "r > 0: ghost")]:
        ax[0].plot(x, x ** 2 + r, label=lab)
        if r < 0:
            ax[0].plot([-np.sqrt(-r), np.sqrt(-r)], [0, 0], "o", color="k", ms=4)
    ax[0].axhline(0, color="grey", lw=0.8)
    ax[0].set(xlabel="x", ylabel="dx/dt", title="normal form dx/dt = x² + r", ylim=(-0.8, 2.5))
    ax[0].legend(fontsize=7)
    w = float(s.get("unit_w", 2.0)) if "unit_w" in s else 2.0
    b_hi = s["unit_b_hi"]
    xs = np.linspace(-1, 1, 401)
    for db in (-0.1, 0.0, 0.05):
        ax[1].plot(xs, unit.flow(xs, w, b_hi + db), label=f"b = b_sn {db:+.2f}")
        fp = unit.fixed_points(w, b_hi + db)
        ax[1].plot(fp, np.zeros_like(fp), "o", color="k", ms=3)
    ax[1].axhline(0, color="grey", lw=0.8)
    ax[1].axvline(-s["unit_s"], color="grey", ls=":", lw=0.8)
    ax[1].set(xlabel="x", ylabel="tanh(wx+b) - x", title=f"leaky tanh unit, w = {w:g}")
    ax[1].legend(fontsize=7)
    ax[2].loglog(d["unit_eps"], d["unit_pass_sim"], "o", label="simulated map")
    ax[2].loglog(d["unit_eps"], d["unit_pass_theory"], "-", label="π / (α √(ε s))")
    ax[2].set(xlabel="ε = b − b_sn", ylabel="steps to pass the ghost",
              title=f"slope {s['unit_slope']:.3f}")
    ax[2].legend(fontsize=7)
    ax[3].loglog(d["nf_r"], d["nf_tc_sim"], "o", label="Euler crossing time")
    ax[3].loglog(d["nf_r"], d["nf_tstar"], "-", label="t* = π / (2√r)")
    ax[3].set(xlabel="r", ylabel="delay", title=f"slope {s['nf_slope']:.3f}")
    ax[3].legend(fontsize=7)
    repro_core.save_figure(fig, path)


def landscape(d: dict, s: dict, path) -> None:
    fig, ax = subplots(1, 3, width=4.4, height=3.6)
    ax = ax[0]
    ws, bs, L = d["land_w"], d["land_b"], d["land_loss"]
    im = ax[0].pcolormesh(ws, bs, L.T, shading="auto", cmap="viridis")
    fig.colorbar(im, ax=ax[0], label="loss")
    wc = np.linspace(1.0001, ws.max(), 200)
    ax[0].plot(wc, [unit.saddle_node(w)[2] for w in wc], "w--", lw=1, label="saddle-node b_sn(w)")
    lrs = np.unique(d["path_lr"])
    for p, lr in zip(d["paths"], d["path_lr"]):
        style = "-" if lr == lrs.min() else ":"
        ax[0].plot(p[:, 0], p[:, 1], style, color="r" if lr == lrs.min() else "orange", lw=1.2)
        ax[0].plot(p[0, 0], p[0, 1], "o", color="w", ms=3)
    ax[0].plot([], [], "r-", label=f"GD lr {lrs.min():g}")
    ax[0].plot([], [], ":", color="orange", label=f"GD lr {lrs.max():g}")
    ax[0].set(xlabel="w", ylabel="b", xlim=(ws.min(), ws.max()), ylim=(bs.min(), bs.max()),
              title="tanh unit: loss landscape")
    ax[0].legend(fontsize=7, loc="lower right")
    r_opt = s["r_opt"]
    T = np.pi / (2 * np.sqrt(r_opt))
    r = np.linspace(0.01 * r_opt, 4 * r_opt, 800)
    ax[1].plot(r / r_opt, np.asarray(nf.loss_limit(r, T)), "k", lw=1)
    ax[1].axvspan(0, 0.25, color="grey", alpha=0.3)
    ax[2].axhspan(0.05, 0.25, color="grey", alpha=0.3)
    ax[1].set(xlabel="r / r*", ylabel="loss |T − t*| / T", title="normal form (a → ∞), GD iterates", xlim=(0, 4))
    fac, rr = d["sweep_factors"], d["sweep_limit_r"]
    for target, col in ((0.5, "C0"), (2.0, "C1")):
        i = int(np.argmin(np.abs(fac - target)))
        traj = rr[i]
        ax[1].plot(traj / r_opt, np.asarray(nf.loss_limit(traj, T)), "o", color=col, ms=3, alpha=0.6,
                   label=f"lr = {fac[i]:.2g} η_c")
        ax[2].plot(np.arange(len(traj)) * int(d.get("record_every", 1)), np.clip(traj / r_opt, 0.06, None), color=col, lw=1,
                   label=f"lr = {fac[i]:.2g} η_c")
    ax[1].legend(fontsize=7)
    ax[2].axhline(1.0, color="k", ls=":", lw=0.8)
    ax[2].set(xlabel="GD step", ylabel="r / r*", yscale="log", title="grey: no-learning zone (r ≤ r*/4, clipped)")
    ax[2].set_ylim(bottom=0.05)
    ax[2].legend(fontsize=7)
    repro_core.save_figure(fig, path)


def lr_sweeps(d: dict, s: dict, path) -> None:
    fig, ax = subplots(1, 2, width=4.4, height=3.3)
    ax = ax[0]
    fac = d["sweep_factors"]
    ax[0].semilogx(fac, d["sweep_limit_frac"], "k-o", ms=3, label="a → ∞ (closed form)")
    for k in sorted(k for k in d if k.startswith("sweep_conf") and k.endswith("_frac")):
        a = k[len("sweep_conf"):-len("_frac")]
        ax[0].semilogx(fac, d[k], "-o", ms=3, label=f"simulated, a = {a}")
    ax[0].axvline(1.0, color="grey", ls="--", lw=0.8)
    ax[0].set(xlabel="learning rate / η_c", ylabel="fraction learned",
              title=f"critical lr: measured {s['sweep_limit_threshold']:.2f} η_c")
    ax[0].legend(fontsize=7)
    for f, l in zip(d["plateau_factors"], d["plateau_loss"]):
        ax[1].plot(l, label=f"r0 = {f:g} r_nl")
    ax[1].set(xlabel="GD step", ylabel="loss", title="plateau then abrupt drop (a finite)")
    ax[1].legend(fontsize=7)
    repro_core.save_figure(fig, path)


def rnn_panel(r: dict, rt: pd.DataFrame, sp: pd.DataFrame, gs: pd.DataFrame, path) -> None:
    fig, ax = subplots(1, 3, width=4.2, height=3.3)
    ax = ax[0]
    ep = r["loss_epochs"]
    base = rt[(rt.K == 1) & (rt.conf == 10.0) & (rt.readout == "latent")]
    lrs = sorted(base.lr.unique())
    colors = dict(zip(lrs, repro_core.plotting.plt.cm.viridis(np.linspace(0, 0.9, len(lrs)))))
    ghost_at = dict(zip(gs.run, gs.first_ghost)) if len(gs) else {}
    for i in base.index:
        ax[0].semilogy(ep, np.maximum(r["loss"][i], 1e-4), color=colors[base.lr[i]], lw=0.8, alpha=0.8)
        g = ghost_at.get(i, -1)
        if g >= 0:
            j = int(np.searchsorted(ep, g))
            ax[0].plot(ep[min(j, len(ep) - 1)], r["loss"][i][min(j, len(ep) - 1)], "r*", ms=7)
    for lr in lrs:
        ax[0].plot([], [], color=colors[lr], label=f"lr {lr:g}")
    ax[0].plot([], [], "r*", label="ghost first seen")
    ax[0].set(xlabel="epoch", ylabel="loss", title="rank-one RNN, a = 10", ylim=(5e-3, 2))
    ax[0].legend(fontsize=7)
    frac = rt.groupby(["K", "conf", "readout", "lr"]).learned.mean().reset_index()
    for (K, a, ro), g in frac.groupby(["K", "conf", "readout"]):
        ax[1].semilogx(g.lr, g.learned, "-o", ms=4, label=f"K = {K}, a = {a:g}, {ro}")
    ax[1].set(xlabel="learning rate", ylabel="fraction learned", title="remedies")
    ax[1].legend(fontsize=7)
    # latent flow of one learning rank-one run across training
    cand = [i for i in base.index if rt.drop_epoch[i] >= 0 and rt.learned[i]]
    cand += list(base.sort_values("loss_final").index)  # fallback: the lowest final loss
    if cand:
        i = cand[0]
        snaps = r["snap_epochs"]
        drop = int(rt.drop_epoch[i])
        jd = int(np.searchsorted(snaps, drop)) if drop >= 0 else len(snaps) - 1
        js = sorted(set([0, jd - 1, jd, len(snaps) - 1]))
        ks = np.linspace(-3, 4, 400)
        for j in js:
            j = max(0, min(j, len(snaps) - 1))
            g = slow.latent_flow(ks, r["snap_U"][i, j][:, 0], r["snap_V"][i, j][:, 0], r["snap_b"][i, j])
            ax[2].plot(ks, g, label=f"epoch {snaps[j]}")
        ax[2].axhline(0, color="grey", lw=0.8)
        ax[2].axvline(1, color="grey", ls=":", lw=0.8)
        ax[2].set(xlabel="κ", ylabel="dκ/dt", title=f"latent flow, run {i} (drop at {drop})")
        ax[2].legend(fontsize=7)
    repro_core.save_figure(fig, path)
