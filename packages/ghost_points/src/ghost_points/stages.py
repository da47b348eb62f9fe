"""Stages of the ghost_points pipeline: onedim -> rnn_train -> slowpoints -> figures, claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage
from repro_core.seeding import derive_seed

from .analysis import RUN_COLUMNS, ghost_summary, rank_one_latent, read_runs, read_slow
from .claims import CLAIMS, build_context


# ================================================================== 1-D analysis
@dataclass(kw_only=True)
class OnedimConfig:
    # normal form dx/dt = x^2 + r (paper Sec. 2): task delay T, output threshold x_th
    T: float
    x_th: float
    dt: float
    x_clip: float
    # delay scaling: Euler crossing times for r in [r_min, r_max] (threshold scaling_xth)
    scaling_n: int
    scaling_rmin: float
    scaling_rmax: float
    scaling_dt: float
    scaling_xth: float
    # leaky tanh unit near its saddle-node
    unit_w: float
    unit_alpha: float
    eps_min: float
    eps_max: float
    n_eps: int
    # loss landscape of the unit on the delayed-activation task, GD paths on it
    land_T: int
    land_x0: float
    land_conf: float
    land_w: list
    land_b: list
    path_lrs: list
    path_inits: list
    path_steps: int
    # learning-rate sweep (vmapped over learning rates x initial r)
    lr_min: float  # x the analytic critical learning rate
    lr_max: float
    n_lr: int
    n_init: int
    r0_min: float  # x r*
    r0_max: float
    n_steps: int
    confs: list
    record_every: int
    # plateau experiment: GD from r0 = f * (no-learning edge) at confidence plateau_conf
    plateau_factors: list
    plateau_conf: float
    plateau_lr: float  # x eta_c(x_th)
    plateau_steps: int
    osc_tail: int = 100               # oscillatory minimum: the last steps judged
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
        learned = nf.learned_from_above(above).reshape(F.shape)
        summ[f"sweep_{name}_n_supercritical"] = int(learned[sup].size)
        summ[f"sweep_{name}_fails_supercritical"] = int((~learned[sup]).sum())
        # the paper's statement (Fig. 2d): never stuck at 0.1-0.9 eta_c, always at 1.1-10 eta_c
        lo, hi = (factors >= 0.1 - 1e-9) & (factors <= 0.9 + 1e-9), (factors >= 1.1 - 1e-9) & (factors <= 10 + 1e-9)
        summ[f"sweep_{name}_fail_max_0.1_0.9"] = float(1 - frac[lo].min())
        summ[f"sweep_{name}_fail_min_1.1_10"] = float(1 - frac[hi].max())
        summ[f"sweep_{name}_n_runs_0.1_0.9"] = int(learned[lo].size)
        summ[f"sweep_{name}_n_runs_1.1_10"] = int(learned[hi].size)
    out["sweep_factors"], out["sweep_r0"], out["record_every"] = factors, r0, cfg.record_every
    # --- oscillatory minimum (a -> inf): below eta_c GD does not settle at the kink r*, it keeps
    # crossing it; every step recorded, the last tail judged
    sub = factors <= 0.9 + 1e-9
    r_o, l_o, _ = nf.gd_runs(R0[sub].ravel(), (F[sub] * a_c).ravel(), cfg.n_steps, T, cfg.dt, None, cfg.x_th,
                             cfg.x_clip, 1)
    tail = np.asarray(r_o)[:, -cfg.osc_tail:] - nf.r_opt(T)
    flips = np.mean(np.sign(tail[:, 1:]) != np.sign(tail[:, :-1]), axis=1)   # fraction of steps crossing r*
    h = tail.shape[1] // 2                   # amplitude of the late half over the early half: ~1, no decay
    amp = np.abs(tail[:, h:]).max(axis=1) / np.maximum(np.abs(tail[:, :h]).max(axis=1), 1e-300)
    summ.update(osc_n_runs=int(len(flips)), osc_flip_frac_min=float(flips.min()),
                osc_flip_frac_median=float(np.median(flips)), osc_amp_ratio_min=float(amp.min()),
                osc_runs_oscillating=int(np.sum((flips >= 0.5) & (amp >= 0.5))),
                osc_final_loss_min=float(np.asarray(l_o)[:, -1].min()))
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
@dataclass(kw_only=True)
class RnnConfig:
    N: int  # paper: N = 100
    alpha: float  # dt / tau
    T: int  # delay (trial = 2T steps)
    x0: float
    lrs: list
    n_seeds: int
    # [rank K, confidence a] or [rank K, confidence a, readout]; readout "latent"
    # (default: sigmoid(a (kappa_1 - 1)), the paper's rank-one network) or "linear"
    # (sigmoid(a (w . x + c)), the paper's rank-K network of Fig. 6)
    conditions: list
    # the learning rates of the remedy claims, fixed before any run: the lrs of the
    # sweep above the paper's rank-one critical lr (0.02 fails in ~95% of seeds, Fig. 3)
    remedy_lrs: list
    epochs: int
    chunk: int  # epochs per jit call = interval of parameter snapshots
    ckpt_every: int  # chunks between checkpoints
    loss_every: int  # stored loss resolution
    acc_min: float  # learned: final thresholded output right on >= this fraction
    seed: int = 0


def conditions(cfg) -> list[tuple[int, float, str]]:
    """The configured conditions as (K, a, readout) with the readout checked."""
    from repro_core.config import ConfigError

    from .rnn import READOUTS

    out = []
    for c in cfg.conditions:
        K, a, ro = int(c[0]), float(c[1]), (str(c[2]) if len(c) > 2 else "latent")
        if ro not in READOUTS:
            raise ConfigError(f"config key rnn.conditions: readout {ro!r} is not allowed; "
                              f"allowed values: {', '.join(READOUTS)}")
        out.append((K, a, ro))
    return out


def run_grid(cfg) -> dict:
    """The expected (cond, lr, seed) grid of the run table."""
    return {"cond": list(range(len(cfg.conditions))), "lr": [float(x) for x in cfg.lrs],
            "seed": list(range(cfg.n_seeds))}


def _run_table(cfg: RnnConfig) -> pd.DataFrame:
    rows = [(c, K, a, ro, float(lr), s) for c, (K, a, ro) in enumerate(conditions(cfg))
            for lr in cfg.lrs for s in range(cfg.n_seeds)]
    return pd.DataFrame(rows, columns=["cond", "K", "conf", "readout", "lr", "seed"])


def _accuracy(P: dict, M, C, Lin, cfg: RnnConfig) -> np.ndarray:
    """Fraction of steps at which the thresholded output matches the target, per network."""
    import jax

    from . import rnn

    def one(p, mask, conf, linear):
        q = {**p, "U": p["U"] * mask, "V": p["V"] * mask}
        y = rnn.readout_logit(rnn.run_trial(q, cfg.T, cfg.alpha, cfg.x0), q, linear)
        target = np.arange(1, 2 * cfg.T + 1) > cfg.T
        return (conf * y > 0) == target

    hits = np.asarray(jax.jit(jax.vmap(one))(P, M, C, Lin))  # (runs, 2T) booleans
    return hits.sum(axis=1) / hits.shape[1]                  # exact in float64 (39/40 >= 0.95)


def rnn_train(cfg: RnnConfig, data: Path, runs: Path) -> None:
    """Train every (condition, lr, seed) network at once; checkpoint per chunk."""
    from repro_core.config import ConfigError

    from . import rnn

    if cfg.epochs % cfg.chunk:
        raise ConfigError(f"config key rnn_train.epochs={cfg.epochs} must be a multiple of "
                          f"rnn_train.chunk={cfg.chunk} (snapshots are taken every chunk)")
    missing = [lr for lr in cfg.remedy_lrs if lr not in cfg.lrs]
    if missing:
        raise ConfigError(f"config key rnn.remedy_lrs: {missing} not in rnn.lrs={cfg.lrs}")
    repro_core.seed_everything(cfg.seed)
    table = _run_table(cfg)
    K_max = int(table.K.max())
    # a network's initial weights depend on its seed only: conditions share them
    inits = [rnn.init_params(derive_seed(cfg.seed, "rnn", s), cfg.N, K_max) for s in table.seed]
    P = rnn.stack_params(inits)
    M = np.stack([rnn.rank_mask(K, K_max) for K in table.K])
    C, L = table.conf.to_numpy(np.float32), table.lr.to_numpy(np.float32)
    Lin = (table.readout == "linear").to_numpy(np.float32)
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
        P_new, l = trainer(P, M, C, L, Lin)
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
    table["acc"] = _accuracy(P, M, C, Lin, cfg)
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


@dataclass(kw_only=True)
class SlowConfig:
    q_fp: float  # q below this: a fixed point
    v_ghost: float  # |F| at a non-fixed slow point below this: a q-ghost (snapshots)
    stride: int  # analyse every stride-th snapshot (plus the ones around the drop)
    max_runs: int  # analyse at most this many learning runs
    replay_chunks: int  # per-epoch replay: this many chunks from the snapshot before the drop
    replay_conf: float  # replay the rank-one runs of this confidence (the paper's a = 10)
    osc_window: int  # epochs after the drop kept from the replay (oscillatory minimum)
    seed: int = 0


def slowpoints(cfg: SlowConfig, data: Path, runs: Path, table: Path, epochs: Path) -> None:
    """Slow points of every latent-readout run whose loss dropped.

    ``table``: q-minimisation (scipy L-BFGS-B) on the chunk snapshots from the
    start up to the first snapshot after the drop. ``epochs``: for the paper's
    rank-one network, the latent flow at *every* epoch of a replay (plain
    full-batch GD, deterministic) from the snapshot before the drop through
    the drop, as the paper reads it (Fig. 3, flows one epoch apart): fixed
    points on [-15, 15], fixed point or ghost on the trial's path [kappa0, 1]."""
    from . import rnn, slow

    z = repro_core.load_npz(data)
    rt = read_runs(runs, z["loss"].shape[0])
    T, alpha, x0 = int(z["T"]), float(z["alpha"]), float(z["x0"])
    ep_all = z["snap_epochs"]
    chunk = int(ep_all[1] - ep_all[0]) if len(ep_all) > 1 else 1
    rows = []
    idx = [i for i in rt.index if rt.drop_epoch[i] >= 0 and rt.readout[i] == "latent"][: cfg.max_runs]
    for i in repro_core.progress(idx, desc="slow points"):
        K = int(rt.K[i])
        j_drop = int(np.searchsorted(ep_all, rt.drop_epoch[i]))
        js = sorted(set(range(0, min(j_drop + 1, len(ep_all)), cfg.stride))
                    | {j for j in (j_drop - 1, j_drop, len(ep_all) - 1) if 0 <= j < len(ep_all)})
        for j in js:
            U, V, b = z["snap_U"][i, j][:, :K], z["snap_V"][i, j][:, :K], z["snap_b"][i, j]
            res = slow.analyse_snapshot(U, V, b, T, alpha, x0, cfg.q_fp, cfg.v_ghost)
            rows.append({"run": i, "epoch": int(ep_all[j]), **res})
    cols = ["run", "epoch", "q", "speed", "kind", "kappa_star", "min_traj_speed", "n_fixed_latent",
            "n_ghost_latent"]
    repro_core.save_csv(pd.DataFrame(rows, columns=cols), table)

    # ---- per-epoch replay of the rank-one runs around their drop
    ones = [i for i in idx if rank_one_latent(rt).loc[i] and rt.conf[i] == cfg.replay_conf]
    erows = []
    if ones:
        j0 = np.array([max(int(np.searchsorted(ep_all, rt.drop_epoch[i])) - 1, 0) for i in ones])
        n_ep = cfg.replay_chunks * chunk
        P = {k: np.stack([z[f"snap_{k}"][i, j] for i, j in zip(ones, j0)]) for k in ("U", "V", "b", "w", "c")}
        P["U"], P["V"] = P["U"][..., :1], P["V"][..., :1]   # rank one: the masked columns are not needed
        M = np.ones((len(ones), 1), np.float32)
        C = rt.conf[ones].to_numpy(np.float32)
        L = rt.lr[ones].to_numpy(np.float32)
        Lin = np.zeros(len(ones), np.float32)
        Ps, losses = rnn.make_replayer(T, alpha, x0, n_ep)(P, M, C, L, Lin)
        Ps = {k: np.asarray(v) for k, v in Ps.items()}
        losses = np.asarray(losses)
        for r, i in enumerate(repro_core.progress(ones, desc="per-epoch latent flow")):
            below = np.flatnonzero(losses[r] < 0.5 * rt.loss0[i])
            drop = int(below[0]) if below.size else n_ep - 1       # the replayed drop
            last = min(drop + cfg.osc_window, n_ep - 1)            # and the epochs after it
            for e in range(last + 1):
                m, n, b = Ps["U"][r, e][:, 0], Ps["V"][r, e][:, 0], Ps["b"][r, e]
                res = slow.path_flow(m, n, b, float(x0 * n.astype(float).sum()))
                erows.append({"run": i, "epoch": int(ep_all[j0[r]] + e), "loss": float(losses[r, e]),
                              "dropped": bool(below.size) and e == drop, **res})
    ecols = ["run", "epoch", "loss", "dropped", "n_fixed", "fixed_on_path", "ghost_on_path", "min_speed_path"]
    repro_core.save_csv(pd.DataFrame(erows, columns=ecols), epochs)


# ================================================================== figures
@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, data: Path, summary: Path, rnn: Path, runs: Path, slowtab: Path, epochs: Path,
            fig_phase: Path, fig_landscape: Path, fig_lr: Path, fig_rnn: Path) -> None:
    from . import figures as figs   # matplotlib only for this stage

    d, s, r = repro_core.load_npz(data), repro_core.load_json(summary), repro_core.load_npz(rnn)
    rt = read_runs(runs, r["loss"].shape[0])
    sp, pe = read_slow(slowtab, epochs)
    figs.phase(d, s, fig_phase)
    figs.landscape(d, s, fig_landscape)
    figs.lr_sweeps(d, s, fig_lr)
    figs.rnn_panel(r, rt, sp, ghost_summary(rt, sp, pe), fig_rnn)


# =================================================================== claims
@dataclass(kw_only=True)
class ClaimsConfig(RnnConfig):
    """The RNN sweep's config (its expected run grid and the remedy lrs fixed in
    advance) plus the scale being judged."""
    scale: str = "quick"


def claims(cfg: ClaimsConfig, summary: Path, runs: Path, slowtab: Path, epochs: Path, claims_json: Path) -> None:
    rt = repro_core.read_table(runs, columns=RUN_COLUMNS, grid=run_grid(cfg))
    sp, pe = read_slow(slowtab, epochs)
    ctx = build_context(repro_core.load_json(summary), rt, ghost_summary(rt, sp, pe), cfg)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="ghost_points")
    repro_core.write_claims(records, claims_json)


STAGES = {
    "onedim": Stage(onedim, OnedimConfig, outputs=("data", "summary"), section="onedim"),
    "rnn_train": Stage(rnn_train, RnnConfig, outputs=("data", "runs"), section="rnn"),
    "slowpoints": Stage(slowpoints, SlowConfig, inputs=("data", "runs"), outputs=("table", "epochs"), section="slowpoints"),
    "figures": Stage(figures, FiguresConfig, inputs=("data", "summary", "rnn", "runs", "slowtab", "epochs"),
                     outputs=("fig_phase", "fig_landscape", "fig_lr", "fig_rnn")),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary", "runs", "slowtab", "epochs"),
                    outputs=("claims_json",), section="rnn"),
}
