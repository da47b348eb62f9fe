"""Attribute 4: thousands of neurons to decode, millions to predict the dynamics.

A 1-D bistable computation, slow by a factor ``beta`` relative to the single-neuron time
constant, is carried by a population *sampled* from a distribution (mean-field low-rank
network, no fine-tuning to the sampled neurons):

    neuron i: loading m_i ~ N(0, 1), rate tanh(g m_i kappa)
    readout:  kappa = (a / n) sum_i m_i r_i
    latent:   dkappa/dt = -kappa + G_n(kappa),  G_n(kappa) = (a / n) sum_i m_i tanh(g m_i kappa)

With g = 1 / sqrt(beta + 1) and a g = 1 + 1 / beta, the infinite population gives
G_inf(kappa) = a E[m tanh(g m kappa)] = kappa + (kappa - kappa^3) / beta + O(1 / beta^2)
(Taylor expansion, E m^2 = 1, E m^4 = 3): a bistable flow with fixed points near +-1 and
time scale beta. A finite sample adds a Monte-Carlo error of order 1 / sqrt(n) to G, i.e.
a relative error of order beta / sqrt(n) in the slow flow F = G - kappa, so predicting the
trajectory to a fixed accuracy needs n ~ beta^2 neurons. Decoding kappa from n noisy
neurons, in contrast, only has to average the observation noise: 1 - R^2 ~ 1 / (n SNR).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from repro_core import progress

from .decoders import observe, ridge_decoder
from .measures import powerlaw_fit, r2


def gain_and_scale(beta: float) -> tuple[float, float]:
    g = 1.0 / np.sqrt(beta + 1.0)
    return g, (1.0 + 1.0 / beta) / g


def g_mean_field(grid: np.ndarray, beta: float, n_quad: int = 121) -> np.ndarray:
    """G_inf on ``grid`` by Gauss-Hermite quadrature over m ~ N(0, 1)."""
    g, a = gain_and_scale(beta)
    x, w = np.polynomial.hermite_e.hermegauss(n_quad)
    w = w / w.sum()
    return a * (np.tanh(g * np.outer(grid, x)) * (w * x)).sum(1)


def g_sampled_nested(grid: np.ndarray, beta: float, m: np.ndarray, sizes: list[int],
                     chunk: int = 8192) -> np.ndarray:
    """G_n on ``grid`` for the nested populations m[:n], n in ``sizes`` (sorted); one pass."""
    g, a = gain_and_scale(beta)
    out = np.empty((len(sizes), len(grid)))
    acc, done = np.zeros(len(grid)), 0
    for i, n in enumerate(sizes):
        for s in range(done, n, chunk):
            mm = m[s:min(n, s + chunk)]
            acc += np.tanh(g * np.outer(grid, mm)) @ mm
        done = n
        out[i] = a * acc / n
    return out


def integrate(grid: np.ndarray, flow: np.ndarray, k0: np.ndarray, t_end: float,
              dt: float) -> np.ndarray:
    """RK4 of dkappa/dt = F(kappa), F linearly interpolated from (grid, flow); one column per
    initial condition in ``k0``; returns kappa at every step (steps+1 x len(k0))."""
    f = lambda k: np.interp(k, grid, flow)  # noqa: E731
    steps = int(round(t_end / dt))
    out = np.empty((steps + 1, len(k0)))
    out[0] = k = np.asarray(k0, float)
    for t in range(steps):
        k1 = f(k)
        k2 = f(k + 0.5 * dt * k1)
        k3 = f(k + 0.5 * dt * k2)
        k4 = f(k + dt * k3)
        out[t + 1] = k = k + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    return out


def trajectory_errors(betas: list[float], sizes: list[int], reps: int, horizon: float,
                      n_init: int, kappa_range: float, grid_points: int,
                      rng: np.random.Generator, extra_sizes: dict | None = None) -> pd.DataFrame:
    """Relative RMS error of the latent trajectory predicted by a network of n sampled
    neurons against the infinite-population (mean-field) trajectory, over ``horizon``
    slow time units (beta tau) from ``n_init`` initial conditions with 0.2 <= |kappa0| <=
    kappa_range; and the relative L2 error of its slow flow F_n on [-kappa_range,
    kappa_range]. RMS over ``reps`` independent samples of neurons. ``extra_sizes``
    {beta: [n, ...]} adds larger populations for some betas (the headline beta)."""
    grid = np.linspace(-3.0, 3.0, grid_points)
    half = np.linspace(0.2, kappa_range, n_init // 2)
    k0 = np.concatenate([-half[::-1], half])
    inside = np.abs(grid) <= kappa_range
    rows = []
    for beta in progress(betas, desc="beta"):
        bsizes = sorted(set(int(n) for n in sizes) | set(int(n) for n in (extra_sizes or {}).get(beta, [])))
        G_inf = g_mean_field(grid, beta)
        dt = 0.05 * beta
        ref = integrate(grid, G_inf - grid, k0, horizon * beta, dt)
        f_inf = (G_inf - grid)[inside]
        for rep in range(reps):
            G_n = g_sampled_nested(grid, beta, rng.standard_normal(bsizes[-1]), bsizes)
            for n, G in zip(bsizes, G_n):
                traj = integrate(grid, G - grid, k0, horizon * beta, dt)
                rows.append({"beta": beta, "n_neurons": n, "rep": rep,
                             "traj_err": float(np.sqrt(np.mean((traj - ref) ** 2) / np.mean(ref ** 2))),
                             "flow_err": float(np.linalg.norm((G - grid)[inside] - f_inf) / np.linalg.norm(f_inf))})
    return pd.DataFrame(rows)


def decoding_1d(beta: float, sizes: list[int], reps: int, n_samples: int, snr: float,
                train_frac: float, rng: np.random.Generator) -> pd.DataFrame:
    """Held-out R^2 of a ridge decoder of kappa from n recorded neurons of the same sampled
    population, each observed with Gaussian noise at per-neuron SNR ``snr``; kappa drawn
    uniformly on [-1.5, 1.5] (the range the bistable computation visits)."""
    g, _ = gain_and_scale(beta)
    ntr = int(round(train_frac * n_samples))
    rows = []
    for n in progress(sorted(sizes), desc="decode 1-D"):
        for rep in range(reps):
            kap = rng.uniform(-1.5, 1.5, (n_samples, 1))
            X = observe(np.tanh(g * kap * rng.standard_normal(n)), 1.0 / np.sqrt(snr), rng)
            W, b = ridge_decoder(X[:ntr], kap[:ntr])
            rows.append({"n_neurons": n, "rep": rep, "r2": r2(kap[ntr:], X[ntr:] @ W + b)})
    return pd.DataFrame(rows)


def _required_sizes(traj: pd.DataFrame, dec: pd.DataFrame, tolerance: float,
                    fit_max_err: float) -> tuple[dict, float, dict, pd.DataFrame]:
    """Per-beta trajectory fits, the decoding size and the decoding fit (see summarise)."""
    agg = traj.groupby(["beta", "n_neurons"])[["traj_err", "flow_err"]].apply(
        lambda d: np.sqrt((d ** 2).mean())).reset_index()
    per_beta = {}
    for beta, d in agg.groupby("beta"):
        d = d[(d.traj_err <= fit_max_err) & (d.traj_err > 0)]
        if len(d) >= 2:
            A, b = powerlaw_fit(d.n_neurons.values, d.traj_err.values)
            per_beta[float(beta)] = {"A": A, "slope": b, "n_required": (tolerance / A) ** (1.0 / b),
                                     "n_points": len(d)}
        else:
            per_beta[float(beta)] = {"A": None, "slope": None, "n_required": None, "n_points": len(d)}
    dagg = dec.groupby("n_neurons")["r2"].mean().reset_index()
    err = np.sqrt(np.clip(1.0 - dagg.r2.values, 1e-12, None))
    Ad, bd = powerlaw_fit(dagg.n_neurons.values, err)
    return per_beta, (tolerance / Ad) ** (1.0 / bd), {"A": Ad, "slope": bd}, agg


def _resample(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The table with its independent samples (``rep``) drawn with replacement."""
    reps = np.sort(df.rep.unique())
    pick = rng.choice(reps, len(reps), replace=True)
    return pd.concat([df[df.rep == r].assign(rep=i) for i, r in enumerate(pick)], ignore_index=True)


def summarise(traj: pd.DataFrame, dec: pd.DataFrame, tolerance: float, beta_main: float,
              fit_max_err: float, n_boot: int = 200, seed: int = 0) -> dict:
    """Power-law fits and the sizes needed for relative error <= ``tolerance``.

    Trajectory: per beta, fit log(err) = log A + b log n on the RMS-over-reps errors that lie
    in the small-error regime (err <= ``fit_max_err``), then n_traj = (tolerance / A)^(1/b)
    (an extrapolation when beyond the largest simulated n, flagged). Decoding: the relative RMS
    error sqrt(1 - R^2) is fitted the same way over all n; n_dec from the fit. The required
    n vs beta is fitted on a log-log scale (theory: slope 2). 95% percentile bootstrap
    intervals of n_dec, n_traj and their ratio resample the independent neuron samples
    (``n_boot`` resamples, fixed seed)."""
    per_beta, n_dec, dfit, agg = _required_sizes(traj, dec, tolerance, fit_max_err)
    ok = [(b, v["n_required"]) for b, v in per_beta.items() if v["n_required"]]
    beta_slope = powerlaw_fit(np.array([b for b, _ in ok]), np.array([n for _, n in ok]))[1] \
        if len(ok) >= 2 else None
    main = per_beta.get(float(beta_main), {})
    n_traj = main.get("n_required")
    slopes = [v["slope"] for v in per_beta.values() if v["slope"] is not None]
    flow_slopes = {float(b): powerlaw_fit(d.n_neurons.values, d.flow_err.values)[1]
                   for b, d in agg.groupby("beta")}
    max_main = int(traj[traj.beta == float(beta_main)].n_neurons.max())
    rng = np.random.default_rng(seed)
    boot = []
    for _ in range(n_boot):
        pb, nd, _, _ = _required_sizes(_resample(traj, rng), _resample(dec, rng), tolerance, fit_max_err)
        nt = pb.get(float(beta_main), {}).get("n_required")
        boot.append((nd, nt if nt else np.nan))
    boot = np.array(boot, float)
    ci = lambda x: [float(np.percentile(x, 2.5)), float(np.percentile(x, 97.5))] \
        if np.isfinite(x).all() else None  # noqa: E731
    return {"tolerance": tolerance, "beta_main": beta_main, "per_beta": per_beta,
            "n_decode": n_dec, "decode_fit": dfit,
            "n_decode_ci": ci(boot[:, 0]),
            "n_decode_extrapolated": bool(n_dec > dec.n_neurons.max() or n_dec < dec.n_neurons.min()),
            "n_trajectory": n_traj,
            "n_trajectory_ci": ci(boot[:, 1]),
            "n_trajectory_extrapolated": bool(n_traj is None or n_traj > max_main),
            "ratio": (n_traj / n_dec) if n_traj else None,
            "ratio_ci": ci(boot[:, 1] / boot[:, 0]),
            "n_boot": n_boot, "traj_reps": int(traj.rep.nunique()), "decode_reps": int(dec.rep.nunique()),
            "trajectory_slope_mean": float(np.mean(slopes)) if slopes else None,
            "flow_slopes": flow_slopes,
            "flow_slope_mean": float(np.mean(list(flow_slopes.values()))),
            "n_required_vs_beta_slope": beta_slope,
            "max_simulated_n": int(traj.n_neurons.max()), "max_simulated_n_main": max_main}
