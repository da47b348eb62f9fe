"""The onedim stage: the 1-D normal form and the leaky tanh unit near its saddle-node (delay
scaling, loss landscape, GD learning-rate sweeps, oscillatory minimum, plateaus). Moved unchanged
from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core


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
