"""Stages of the ghost_points pipeline: onedim -> rnn_train -> slowpoints -> figures, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage
from repro_core.seeding import derive_seed


# ================================================================== 1-D analysis
@dataclass
class OnedimConfig:
    # normal form dx/dt = x^2 + r (paper Sec. 2): task delay T, output threshold x_th
    T: float = 10.0
    x_th: float = 1.0
    dt: float = 0.025
    x_clip: float = 100.0
    # delay scaling: Euler crossing times for r in [r_min, r_max] (threshold scaling_xth)
    scaling_n: int = 9
    scaling_rmin: float = 1e-4
    scaling_rmax: float = 1e-1
    scaling_dt: float = 1e-3
    scaling_xth: float = 1000.0
    # leaky tanh unit near its saddle-node
    unit_w: float = 2.0
    unit_alpha: float = 0.5
    eps_min: float = 1e-7
    eps_max: float = 1e-3
    n_eps: int = 9
    # loss landscape of the unit on the delayed-activation task, GD paths on it
    land_T: int = 20
    land_x0: float = -0.9
    land_conf: float = 10.0
    land_w: list = field(default_factory=lambda: [0.0, 4.0, 81])
    land_b: list = field(default_factory=lambda: [-1.0, 2.0, 61])
    path_lrs: list = field(default_factory=lambda: [0.02, 0.5])
    path_inits: list = field(default_factory=lambda: [[0.5, 0.2], [1.5, 0.4], [3.5, 1.2]])
    path_steps: int = 400
    # learning-rate sweep (vmapped over learning rates x initial r)
    lr_min: float = 0.1               # x the analytic critical learning rate
    lr_max: float = 10.0
    n_lr: int = 21
    n_init: int = 20
    r0_min: float = 3.0               # x r*
    r0_max: float = 10.0
    n_steps: int = 2000
    confs: list = field(default_factory=lambda: [10.0, 3.0, 1.0])
    record_every: int = 10
    # plateau experiment: GD from r0 = f * (no-learning edge) at confidence plateau_conf
    plateau_factors: list = field(default_factory=lambda: [0.7, 0.6, 0.5, 0.4, 0.3])
    plateau_conf: float = 10.0
    plateau_lr: float = 0.5           # x eta_c(x_th)
    plateau_steps: int = 1000
    seed: int = 0


def _lr_grid(cfg: OnedimConfig) -> np.ndarray:
    """Log grid of lr / eta_c plus the paper's probes 0.9 and 1.1."""
    g = np.logspace(np.log10(cfg.lr_min), np.log10(cfg.lr_max), cfg.n_lr)
    return np.unique(np.round(np.concatenate([g, [0.9, 1.1]]), 10))


def onedim(cfg: OnedimConfig, data: Path, summary: Path) -> None:
    """Normal form and tanh unit: delay scaling, landscape, GD sweeps, plateaus."""
    import jax
    import jax.numpy as jnp

    from . import normal_form as nf
    from . import unit

    rng = repro_core.seed_everything(cfg.seed)
    out, summ = {}, {}
    # --- delay scaling of the normal form: crossing time of x_th >> sqrt(r) ~ t*
    rs = np.logspace(np.log10(cfg.scaling_rmin), np.log10(cfg.scaling_rmax), cfg.scaling_n)
    t_max = 1.2 * float(nf.t_star(rs.min()))
    tc = np.array([float(nf.crossing_time_sim(r, cfg.scaling_dt, cfg.scaling_xth, t_max)) for r in
                   repro_core.progress(rs, desc="normal-form crossing times")])
    out.update(nf_r=rs, nf_tc_sim=tc, nf_tc_exact=nf.t_cross(rs, cfg.scaling_xth), nf_tstar=nf.t_star(rs))
    summ["nf_slope"] = float(np.polyfit(np.log(rs), np.log(tc), 1)[0])
    summ["nf_max_rel_err_vs_tstar"] = float(np.max(np.abs(tc / nf.t_star(rs) - 1)))
    # --- tanh unit: passage time through the ghost vs distance to the bifurcation
    s, b_lo, b_hi = unit.saddle_node(cfg.unit_w)
    eps = np.logspace(np.log10(cfg.eps_min), np.log10(cfg.eps_max), cfg.n_eps)
    max_steps = int(3 * unit.passage_time_theory(eps.min(), cfg.unit_w, cfg.unit_alpha)) + 100
    n_pass = np.asarray(jax.vmap(lambda b: unit.passage_time_sim(
        b, cfg.unit_w, cfg.unit_alpha, -s - 0.25, -s + 0.25, max_steps))(jnp.asarray(b_hi + eps)))
    theory = unit.passage_time_theory(eps, cfg.unit_w, cfg.unit_alpha)
    out.update(unit_eps=eps, unit_pass_sim=n_pass, unit_pass_theory=theory)
    summ.update(unit_s=s, unit_b_hi=b_hi, unit_slope=float(np.polyfit(np.log(eps), np.log(n_pass), 1)[0]),
                unit_ratio_small_eps=float(n_pass[0] / theory[0]))
    # --- landscape of the unit on the delayed-activation task and GD paths
    ws, bs = np.linspace(*cfg.land_w[:2], int(cfg.land_w[2])), np.linspace(*cfg.land_b[:2], int(cfg.land_b[2]))
    out.update(land_w=ws, land_b=bs, land_loss=unit.landscape(ws, bs, cfg.land_T, cfg.unit_alpha,
                                                                cfg.land_x0, cfg.land_conf))
    p0 = np.array([p for _ in cfg.path_lrs for p in cfg.path_inits], float)
    plr = np.array([lr for lr in cfg.path_lrs for _ in cfg.path_inits], float)
    paths, plosses = unit.gd_paths(p0, plr, cfg.path_steps, cfg.land_T, cfg.unit_alpha, cfg.land_x0,
                                   cfg.land_conf)
    out.update(path_lr=plr, paths=np.asarray(paths), path_loss=np.asarray(plosses))
    # --- GD sweeps over learning rates x initial conditions (one vmapped batch each)
    T = cfg.T
    a_c = nf.lr_crit(T)
    eta_c, r_hat, r_nl_th = nf.lr_crit_threshold(T, cfg.x_th)
    summ.update(lr_crit_analytic=a_c, r_opt=nf.r_opt(T), r_nolearn=nf.r_nolearn(T),
                lr_crit_threshold=eta_c, r_opt_threshold=r_hat, r_nolearn_threshold=r_nl_th)
    factors = _lr_grid(cfg)
    r0 = nf.r_opt(T) * np.exp(rng.uniform(np.log(cfg.r0_min), np.log(cfg.r0_max), cfg.n_init))
    F, R0 = np.meshgrid(factors, r0, indexing="ij")
    sweeps = {"limit": (None, a_c, nf.r_nolearn(T))}
    for a in cfg.confs:
        sweeps[f"conf{a:g}"] = (float(a), eta_c, r_nl_th)
    for name, (conf, ref, r_nl) in repro_core.progress(sweeps.items(), desc="lr sweeps", total=len(sweeps)):
        r_hist, _, above = nf.gd_runs(R0.ravel(), (F * ref).ravel(), cfg.n_steps, T, cfg.dt, conf,
                                      cfg.x_th, cfg.x_clip, cfg.record_every, r_nl=r_nl)
        frac = nf.learned_from_above(above).reshape(F.shape).mean(axis=1)
        out[f"sweep_{name}_frac"] = frac
        out[f"sweep_{name}_r"] = np.asarray(r_hist).reshape(F.shape + (-1,))[:, 0]  # first init
        summ[f"sweep_{name}_threshold"] = nf.threshold_crossing(factors * ref, frac) / ref
        sup = factors > 1.0
        summ[f"sweep_{name}_fail_supercritical"] = float(1 - frac[sup].mean())
    out["sweep_factors"], out["sweep_r0"], out["record_every"] = factors, r0, cfg.record_every
    # --- plateau: GD from inside the no-learning zone at finite confidence
    f = np.asarray(cfg.plateau_factors, float)
    _, pl_loss, _ = nf.gd_runs(f * r_nl_th, np.full(f.size, cfg.plateau_lr * eta_c), cfg.plateau_steps, T,
                               cfg.dt, cfg.plateau_conf, cfg.x_th, cfg.x_clip, 1, r_nl=r_nl_th)
    pl_loss = np.asarray(pl_loss)
    plateau, width = [], []
    for l in pl_loss:
        lo, hi = l[0] - 0.9 * (l[0] - l.min()), l[0] - 0.1 * (l[0] - l.min())
        d10, d90 = np.flatnonzero(l < hi), np.flatnonzero(l < lo)
        plateau.append(int(d10[0]) if d10.size else -1)
        width.append(int(d90[0] - d10[0]) if d10.size and d90.size else -1)
    out.update(plateau_factors=f, plateau_loss=pl_loss)
    summ.update(plateau_steps=plateau, plateau_width=width)
    repro_core.save_npz(data, **out)
    repro_core.save_json(summ, summary)


# ====================================================================== RNNs
@dataclass
class RnnConfig:
    N: int = 100                      # paper: N = 100
    alpha: float = 0.5                # dt / tau
    T: int = 20                       # delay (trial = 2T steps)
    x0: float = -0.3
    lrs: list = field(default_factory=lambda: [0.01, 0.02])
    n_seeds: int = 4
    conditions: list = field(default_factory=lambda: [[1, 10.0], [1, 3.0], [3, 10.0]])  # [rank K, conf a]
    epochs: int = 2000
    chunk: int = 500                  # epochs per jit call = interval of parameter snapshots
    ckpt_every: int = 10              # chunks between checkpoints
    loss_every: int = 10              # stored loss resolution
    acc_min: float = 0.95             # learned: final thresholded output right on >= this fraction
    seed: int = 0


def _run_table(cfg: RnnConfig) -> pd.DataFrame:
    rows = [(c, int(K), float(a), float(lr), s) for c, (K, a) in enumerate(cfg.conditions)
            for lr in cfg.lrs for s in range(cfg.n_seeds)]
    return pd.DataFrame(rows, columns=["cond", "K", "conf", "lr", "seed"])


def _accuracy(P: dict, M, C, cfg: RnnConfig) -> np.ndarray:
    """Fraction of steps at which the thresholded output matches the target, per network."""
    import jax

    from . import rnn

    def one(p, mask, conf):
        q = {"U": p["U"] * mask, "V": p["V"] * mask, "b": p["b"]}
        y = rnn.run_trial(q, cfg.T, cfg.alpha, cfg.x0) @ q["V"][:, 0] - 1.0
        target = np.arange(1, 2 * cfg.T + 1) > cfg.T
        return (conf * y > 0) == target

    hits = np.asarray(jax.jit(jax.vmap(one))(P, M, C))     # (runs, 2T) booleans
    return hits.sum(axis=1) / hits.shape[1]                 # exact in float64 (39/40 >= 0.95)


def rnn_train(cfg: RnnConfig, data: Path, runs: Path) -> None:
    """Train every (condition, lr, seed) network at once; checkpoint per chunk."""
    from repro_core.config import ConfigError

    from . import rnn

    if cfg.epochs % cfg.chunk:
        raise ConfigError(f"config key rnn_train.epochs={cfg.epochs} must be a multiple of "
                          f"rnn_train.chunk={cfg.chunk} (snapshots are taken every chunk)")
    repro_core.seed_everything(cfg.seed)
    table = _run_table(cfg)
    K_max = int(max(K for K, _ in cfg.conditions))
    # a network's initial weights depend on its seed only: conditions share them
    inits = [rnn.init_params(derive_seed(cfg.seed, "rnn", s), cfg.N, K_max) for s in table.seed]
    P = rnn.stack_params(inits)
    M = np.stack([rnn.rank_mask(K, K_max) for K in table.K])
    C, L = table.conf.to_numpy(np.float32), table.lr.to_numpy(np.float32)
    n_chunks = cfg.epochs // cfg.chunk
    ckpt = Path(str(data) + ".ckpt.npz")
    losses, snaps, start = [], {k: [] for k in P}, 0
    if ckpt.exists():
        z = repro_core.load_npz(ckpt)
        start = int(z["chunk"])
        P = {k: z[f"P_{k}"] for k in P}
        losses = list(z["losses"]) if start else []
        snaps = {k: list(z[f"S_{k}"]) for k in P}
    trainer = rnn.make_trainer(cfg.T, cfg.alpha, cfg.x0, cfg.chunk)
    for c in repro_core.progress(range(start, n_chunks), desc="rnn chunks", initial=start, total=n_chunks):
        if c == 0:
            for k in P:
                snaps[k].append(P[k])
        P_new, l = trainer(P, M, C, L)
        l = np.asarray(l)
        losses.extend(l.T)
        P = {k: np.asarray(v) for k, v in P_new.items()}
        for k in P:
            snaps[k].append(P[k])
        if (c + 1) % cfg.ckpt_every == 0 and c + 1 < n_chunks:
            repro_core.save_npz(ckpt, chunk=c + 1, losses=np.array(losses),
                                **{f"P_{k}": v for k, v in P.items()},
                                **{f"S_{k}": np.array(v) for k, v in snaps.items()})
    loss = np.array(losses).T                             # (runs, epochs)
    table["acc"] = _accuracy(P, M, C, cfg)
    table["learned"] = table.acc >= cfg.acc_min
    table["loss0"] = loss[:, 0]
    table["loss_final"] = loss[:, -1]
    table["learned_paper"] = [rnn.learned(l) for l in loss]
    table["drop_epoch"] = [rnn.drop_epoch(l) for l in loss]
    snap_epochs = np.arange(len(snaps["U"])) * cfg.chunk
    repro_core.save_npz(data, loss=loss[:, :: cfg.loss_every].astype(np.float32),
                        loss_epochs=np.arange(0, loss.shape[1], cfg.loss_every),
                        snap_epochs=snap_epochs, mask=M,
                        T=cfg.T, alpha=cfg.alpha, x0=cfg.x0,
                        **{f"snap_{k}": np.array(v).swapaxes(0, 1).astype(np.float32) for k, v in snaps.items()})
    repro_core.save_csv(table, runs)
    ckpt.unlink(missing_ok=True)


# =============================================================== slow points
@dataclass
class SlowConfig:
    q_fp: float = 1e-10               # q below this: a fixed point
    v_ghost: float = 0.02             # |F| at a non-fixed slow point below this: a ghost
    stride: int = 1                   # analyse every stride-th snapshot (plus the ones around the drop)
    max_runs: int = 1000              # analyse at most this many learning runs
    seed: int = 0


def slowpoints(cfg: SlowConfig, data: Path, runs: Path, table: Path) -> None:
    """q-minimisation (scipy L-BFGS-B) on the snapshots of every run whose loss
    dropped, from the start up to the first snapshot after the drop."""
    from . import slow

    z = repro_core.load_npz(data)
    rt = pd.read_csv(runs)
    T, alpha, x0 = int(z["T"]), float(z["alpha"]), float(z["x0"])
    rows = []
    idx = [i for i in rt.index if rt.drop_epoch[i] >= 0][: cfg.max_runs]
    for i in repro_core.progress(idx, desc="slow points"):
        K = int(rt.K[i])
        ep_all = z["snap_epochs"]
        j_drop = int(np.searchsorted(ep_all, rt.drop_epoch[i]))
        js = sorted(set(range(0, min(j_drop + 1, len(ep_all)), cfg.stride))
                    | {j for j in (j_drop - 1, j_drop, len(ep_all) - 1) if 0 <= j < len(ep_all)})
        for j in js:
            ep = ep_all[j]
            U, V, b = z["snap_U"][i, j][:, :K], z["snap_V"][i, j][:, :K], z["snap_b"][i, j]
            res = slow.analyse_snapshot(U, V, b, T, alpha, x0, cfg.q_fp, cfg.v_ghost)
            rows.append({"run": i, "epoch": int(ep), **res})
    cols = ["run", "epoch", "q", "speed", "kind", "kappa_star", "min_traj_speed", "n_fixed_latent",
            "n_ghost_latent"]
    repro_core.save_csv(pd.DataFrame(rows, columns=cols), table)


def ghost_summary(rt: pd.DataFrame, sp: pd.DataFrame) -> pd.DataFrame:
    """Per dropped run: epoch of the drop, first ghost snapshot (q-minimisation
    ghost, or for rank one a latent ghost), whether one exists at the last
    snapshot, and whether the latent fixed-point count stayed constant up to the drop."""
    out = []
    for i, g in sp.groupby("run"):
        drop = int(rt.drop_epoch[i])
        pre = g[g.epoch <= drop]
        ghost = pre[(pre.kind == "ghost") | (pre.n_ghost_latent.fillna(0) > 0)]
        last = g[g.epoch == g.epoch.max()]
        nfp = pre["n_fixed_latent"].dropna()
        out.append({"run": i, "K": int(rt.K[i]), "conf": rt.conf[i], "lr": rt.lr[i], "drop_epoch": drop,
                    "first_ghost": int(ghost.epoch.min()) if len(ghost) else -1,
                    "ghost_before_drop": bool(len(ghost)),
                    "ghost_at_end": bool(((last.kind == "ghost") | (last.n_ghost_latent.fillna(0) > 0)).any()),
                    "fp_count_constant": bool(nfp.nunique() == 1) if len(nfp) else None})
    return pd.DataFrame(out, columns=["run", "K", "conf", "lr", "drop_epoch", "first_ghost",
                                      "ghost_before_drop", "ghost_at_end", "fp_count_constant"])


# ================================================================== figures
@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, data: Path, summary: Path, rnn: Path, runs: Path, slowtab: Path,
            fig_phase: Path, fig_landscape: Path, fig_lr: Path, fig_rnn: Path) -> None:
    from . import plots

    d, s = repro_core.load_npz(data), repro_core.load_json(summary)
    r, rt, sp = repro_core.load_npz(rnn), pd.read_csv(runs), pd.read_csv(slowtab)
    plots.phase(d, s, fig_phase)
    plots.landscape(d, s, fig_landscape)
    plots.lr_sweeps(d, s, fig_lr)
    plots.rnn_panel(r, rt, sp, ghost_summary(rt, sp), fig_rnn)


# =================================================================== claims
@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def claims(cfg: ClaimsConfig, summary: Path, runs: Path, slowtab: Path, out: Path) -> None:
    from .claims import CLAIMS, build_context

    ctx = build_context(repro_core.load_json(summary), pd.read_csv(runs), pd.read_csv(slowtab))
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="ghost_points")
    repro_core.write_claims(records, out)


STAGES = {
    "onedim": Stage(onedim, OnedimConfig, outputs=("data", "summary")),
    "rnn_train": Stage(rnn_train, RnnConfig, outputs=("data", "runs")),
    "slowpoints": Stage(slowpoints, SlowConfig, inputs=("data", "runs"), outputs=("table",)),
    "figures": Stage(figures, FiguresConfig, inputs=("data", "summary", "rnn", "runs", "slowtab"),
                     outputs=("fig_phase", "fig_landscape", "fig_lr", "fig_rnn")),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary", "runs", "slowtab"), outputs=("out",)),
}
