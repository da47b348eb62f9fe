"""Attributes 1, 2, 3 and 5 on networks carrying a K-dimensional latent computation:
dimensionality vs N, coding redundancy across embeddings, linear vs non-linear decoders,
and representational drift inside / outside the coding-null space."""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from repro_core import progress

from .decoders import mlp_decoder, observe, ridge_decoder
from .measures import participation_ratio, r2, spectrum_from_gram
from .model import (LatentNet, activity, activity_gram, chunks, fit_readout, fit_samples, latent_flow,
                    make_inputs, sample_embedding, simulate_latent)


# ----------------------------------------------------------------------------- networks
def build_networks(n: int, n_seeds: int, k: int, task: str, beta: float, h_in: float,
                   gain: float, theta: float, n_fit: int, kappa_max: float, ridge: float,
                   dt: float, steps: int, burn_in: int, rec_every: int, input_std: float,
                   input_tau: float, pulse_rate: float, pulse_len: float,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n_seeds`` independent random embeddings of the same computation, each with its
    fitted readout, all driven by one input sequence. Also the ideal latent trajectory
    (Euler on the target flow). Returns arrays for ``save_npz``."""
    u = make_inputs(k, steps, dt, pulse_rate, pulse_len, input_std, input_tau, rng)
    ideal = np.zeros((steps + 1, k))
    for t in range(steps):
        ideal[t + 1] = ideal[t] + dt * latent_flow(task, ideal[t], u[t], beta, h_in)
    out = {"u": u, "ideal": ideal, "rec": np.arange(burn_in, steps, rec_every),
           "dt": np.array(dt), "gain": np.array(gain), "theta": np.array(theta),
           "input_stats": np.array([pulse_rate, pulse_len, input_std, input_tau])}
    pulse_p = 0.3 if pulse_rate > 0 else 0.0
    for s in progress(range(n_seeds), desc="networks"):
        net = sample_embedding(n, k, k, gain, theta, rng)
        kap, us = fit_samples(k, n_fit, kappa_max, input_std, pulse_p, rng)
        fit_readout(net, task, beta, h_in, kap, us, ridge)
        out |= {f"M{s}": net.M, f"B{s}": net.B, f"c{s}": net.c, f"R{s}": net.R,
                f"kappa{s}": simulate_latent(net, u, ideal[0], dt)}
    return out


def new_trajectory(net: LatentNet, d: dict[str, np.ndarray], steps: int,
                   rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A fresh input sequence of ``steps`` steps with the statistics the networks were built
    with, and the network's latent trajectory under it: (u, kappa)."""
    pulse_rate, pulse_len, input_std, input_tau = (float(x) for x in d["input_stats"])
    dt = float(d["dt"])
    u = make_inputs(net.B.shape[1], steps, dt, pulse_rate, pulse_len, input_std, input_tau, rng)
    return u, simulate_latent(net, u, np.zeros(net.M.shape[1]), dt)


def unpack(d: dict[str, np.ndarray]):
    """(nets, kappas, u, ideal, rec, dt) from the arrays of :func:`build_networks`."""
    n_seeds = sum(1 for key in d if key.startswith("R"))
    nets = [LatentNet(d[f"M{s}"], d[f"B{s}"], d[f"c{s}"], d[f"R{s}"], float(d["gain"]),
                      float(d["theta"])) for s in range(n_seeds)]
    return nets, [d[f"kappa{s}"] for s in range(n_seeds)], d["u"], d["ideal"], d["rec"], float(d["dt"])


# ----------------------------------------------------------------------- 1 dimensionality
def dimensionality(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float,
                   rec: np.ndarray, sizes: list[int], n_eigs: int):
    """Participation ratio and PCA spectrum of the activity of the first n neurons (a random
    sample, since neurons are i.i.d.) for every n in ``sizes``, for the network's non-linear
    embedding and for a linear embedding of the same latent trajectory (the pre-activations
    M kappa + B u + c, whose rank is at most k + k_in). Returns (dims, spectra) frames."""
    sizes = sorted(s for s in sizes if s <= net.n)
    T = u.shape[0]
    lin = lambda sl: kappa[rec] @ net.M[sl].T + u[np.minimum(rec, T - 1)] @ net.B[sl].T + net.c[sl]  # noqa: E731
    emb = {"nonlinear": lambda sl: activity(net, kappa, u, dt, rec, sl), "linear": lin}
    rows, spec = [], []
    for name, fn in emb.items():
        G, done = np.zeros((len(rec), len(rec))), 0
        for n in progress(sizes, desc=f"dims {name}"):
            for sl in chunks(n - done):
                A = fn(slice(done + sl.start, done + sl.stop))
                A = A - A.mean(0)
                G += A @ A.T
            done = n
            lam = spectrum_from_gram(G)
            rows.append({"embedding": name, "n_neurons": n, "k": kappa.shape[1],
                         "pr": participation_ratio(lam)})
            spec += [{"embedding": name, "n_neurons": n, "rank": i + 1, "variance": float(v)}
                     for i, v in enumerate(lam[:n_eigs])]
    return pd.DataFrame(rows), pd.DataFrame(spec)


# -------------------------------------------------------------------------- 2 redundancy
def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a - a.mean(), b - b.mean()
    return float((a * b).sum() / np.sqrt((a * a).sum() * (b * b).sum()))


def redundancy(nets: list[LatentNet], kappas: list[np.ndarray], u: np.ndarray,
               ideal: np.ndarray, dt: float, rec: np.ndarray, n_pairs: int, n_cells: int,
               rng: np.random.Generator) -> pd.DataFrame:
    """For every pair of independently embedded networks: agreement of their latent
    trajectories (R^2), correlation of their connectivity W = M R over ``n_pairs`` random
    entries (i, j), and mean correlation of the activity of neuron i in one network with
    neuron i in the other over ``n_cells`` neurons. Also each network's R^2 to the ideal."""
    n = nets[0].n
    i, j = rng.integers(0, n, n_pairs), rng.integers(0, n, n_pairs)
    cells = rng.choice(n, min(n_cells, n), replace=False)
    W = [np.einsum("pk,kp->p", net.M[i], net.R[:, j]) for net in nets]
    acts = [activity(net, kap, u, dt, rec, cells) for net, kap in zip(nets, kappas)]
    rows = []
    for a, b in combinations(range(len(nets)), 2):
        cc = [_corr(acts[a][:, c], acts[b][:, c]) for c in range(len(cells))
              if acts[a][:, c].std() > 1e-9 and acts[b][:, c].std() > 1e-9]
        rows.append({"net_a": a, "net_b": b,
                     "latent_r2": r2(kappas[a][rec], kappas[b][rec]),
                     "latent_r2_a_ideal": r2(ideal[rec], kappas[a][rec]),
                     "latent_r2_b_ideal": r2(ideal[rec], kappas[b][rec]),
                     "connectivity_corr": _corr(W[a], W[b]),
                     "activity_corr": float(np.mean(cc)), "activity_abs_corr": float(np.mean(np.abs(cc)))})
    return pd.DataFrame(rows)


# ---------------------------------------------------------------------------- 3 decoding
def control_target(Y: np.ndarray) -> np.ndarray:
    """The positive control's target: a function of the latent that no linear map of a linear
    embedding can carry (product of the first two latents; the square when k = 1),
    standardised."""
    y = Y[:, 0] * Y[:, 1] if Y.shape[1] > 1 else Y[:, 0] ** 2
    return ((y - y.mean()) / (y.std() + 1e-12))[:, None]


def decoding(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
             n_recorded: list[int], noise_rel: float, reps: int, train_frac: float,
             mlp_hidden: int, mlp_max_iter: int, mlp_max_neurons: int,
             rng: np.random.Generator, mlp_alphas=(1.0,)) -> pd.DataFrame:
    """Held-out R^2 of a ridge (linear) and an MLP (non-linear) decoder from ``n`` recorded
    noisy neurons (temporal train/test split), ``reps`` independent draws of the recorded
    neurons, their noise and the MLP's initialisation.

    target ``latent``: the latent kappa from the network's (non-linear) rates: the claim.
    target ``control``: a positive control in the same setup (same neurons, samples, noise,
    split and decoders): a non-linear function of the latent (:func:`control_target`) from
    the *linear* embedding of the same neurons (their pre-activations M kappa + B u + c), so
    the latent enters the target non-linearly and a linear decoder cannot carry it. The MLP
    must beat the linear decoder there, or the latent comparison has no power."""
    Y = kappa[rec]
    Yc = control_target(Y)
    T = u.shape[0]
    ntr = int(round(train_frac * len(rec)))
    rows = []
    for n in progress([m for m in n_recorded if m <= net.n], desc="decoding"):
        for rep in range(reps):
            idx = np.sort(rng.choice(net.n, n, replace=False))
            X = observe(activity(net, kappa, u, dt, rec, idx), noise_rel, rng)
            Z = observe(kappa[rec] @ net.M[idx].T + u[np.minimum(rec, T - 1)] @ net.B[idx].T
                        + net.c[idx], noise_rel, rng)
            seed = int(rng.integers(2**31))
            for target, XX, YY in (("latent", X, Y), ("control", Z, Yc)):
                W, b = ridge_decoder(XX[:ntr], YY[:ntr])
                rows.append({"n_recorded": n, "rep": rep, "target": target, "decoder": "linear (ridge)",
                             "r2": r2(YY[ntr:], XX[ntr:] @ W + b)})
                if n <= mlp_max_neurons:
                    pred = mlp_decoder(XX[:ntr], YY[:ntr], mlp_hidden, seed, mlp_max_iter, tuple(mlp_alphas))
                    rows.append({"n_recorded": n, "rep": rep, "target": target,
                                 "decoder": "non-linear (MLP)", "r2": r2(YY[ntr:], pred(XX[ntr:]))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- 5 drift
def _orth(A: np.ndarray) -> np.ndarray:
    return np.linalg.qr(A)[0]


def drift_bases(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float,
                rec: np.ndarray, pairs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Orthonormal bases U (N x 2p) whose consecutive column pairs are the planes in which
    each rotation model rotates the population activity, plus the principal axes.

    null-space: the top-2p principal directions of the activity with the coding subspace
    (row space of R) projected out, so R U = 0; tangential: each coding direction paired
    with a null direction; activity-aligned: the top-2p principal directions themselves,
    randomly paired (they contain most of the coding subspace, see README); principal: the
    top-2p principal directions in order (the signal space of the random model)."""
    lam, V = np.linalg.eigh(activity_gram(net, kappa, u, dt, rec))
    V = V[:, ::-1][:, :2 * pairs] / np.sqrt(np.clip(lam[::-1][:2 * pairs], 1e-30, None))
    P = np.empty((net.n, 2 * pairs))                              # principal axes, streamed
    for sl in chunks(net.n):
        A = activity(net, kappa, u, dt, rec, sl)
        P[sl] = (A - A.mean(0)).T @ V
    Qc = _orth(net.R.T)                                           # coding subspace, N x k
    null = _orth(P - Qc @ (Qc.T @ P))
    k = Qc.shape[1]
    tang = np.empty((net.n, 2 * k))
    tang[:, 0::2], tang[:, 1::2] = Qc, null[:, :k]
    principal = _orth(P)
    return {"null-space": null, "tangential": tang,
            "activity-aligned": principal[:, rng.permutation(2 * pairs)], "principal": principal}


def rotation_minus_identity(omega: np.ndarray, day: float) -> np.ndarray:
    """exp(day J) - I for J block-diagonal with 2x2 generators [[0, -w], [w, 0]]."""
    E = np.zeros((2 * len(omega), 2 * len(omega)))
    for j, w in enumerate(omega):
        c, s = np.cos(w * day), np.sin(w * day)
        E[2 * j:2 * j + 2, 2 * j:2 * j + 2] = [[c - 1, -s], [s, c - 1]]
    return E


def _project(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
             U: np.ndarray) -> np.ndarray:
    """U^T r over the whole population along a latent trajectory (T_rec x cols), streamed."""
    return sum(activity(net, kappa, u, dt, rec, sl) @ U[sl] for sl in chunks(net.n))


def drift(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
          days: list[int], pairs: int, max_angle: float, n_tuning: int, n_recorded: int,
          noise_rel: float, train_frac: float, rng: np.random.Generator,
          random_draws: int = 3) -> pd.DataFrame:
    """Representational drift. On day d the embedding phi becomes phi_d = (I + D_d) phi, the
    readout R stays fixed, so the latent obeys dkappa/dt = -kappa + R (I + D_d) phi (simulated
    afresh each day) and the rates are r_d = (I + D_d) r.

    Rotation models: I + D_d = exp(d A), A = U J U^T (angular speeds up to ``max_angle /
    max(days)`` per day) in the planes of :func:`drift_bases` (null-space, tangential,
    activity-aligned). ``random`` (the paper's random drift: a displacement in a random
    direction of neuron space): D_d = a_d Xi V^T, each neuron's tuning gains a random
    Gaussian mixture Xi (N x 2p) of the population's principal signals V^T r; a_d is set so
    that the population displacement ||D_d r|| (over the recorded day-0 trajectory) equals the
    null-space model's on the same day: the same amount of drift, in random directions.
    ``random_draws`` independent draws of Xi.

    Per model, draw and day: mean correlation of single-neuron activity with day 0 (tuning
    stability); R^2 of the latent simulated with the fixed readout against the day-0 latent
    (``readout_r2``: is the computation intact?); R^2 of the fixed readout applied to the
    drifted day-0 activity, without the dynamics (``open_loop_r2``); the fraction of the
    displacement's squared norm inside the coding subspace row(R) (``coding_fraction``); R^2 of
    a ridge decoder fitted to ``n_recorded`` noisy neurons on day 0 and applied unchanged."""
    bases = drift_bases(net, kappa, u, dt, rec, pairs, rng)
    Qc = _orth(net.R.T)
    cells = rng.choice(net.n, min(n_tuning, net.n), replace=False)
    recd = np.sort(rng.choice(net.n, min(n_recorded, net.n), replace=False))
    ntr = int(round(train_frac * len(rec)))
    dec_rng_seed = int(rng.integers(2**31))
    base_r = activity(net, kappa, u, dt, rec, cells)
    X0 = observe(activity(net, kappa, u, dt, rec, recd), noise_rel, np.random.default_rng(dec_rng_seed))
    Wd, bd = ridge_decoder(X0[:ntr], kappa[rec][:ntr])
    lead = max(max(days), 1)

    # every model as (name, draw, cols, left, right): D_d = left @ G_d @ right.T, with the
    # day's small matrix G_d (exp(dJ) - I for rotations, a_d I for the random model)
    models = []
    for name in ("null-space", "tangential", "activity-aligned"):
        U = bases[name]
        p = U.shape[1] // 2
        omega = max_angle / lead * rng.uniform(0.5, 1.0, p) * rng.choice([-1, 1], p)
        models.append((name, 0, U, U, lambda day, om=omega: rotation_minus_identity(om, day)))
    U0 = bases["null-space"]
    null_omega = models[0][4]
    disp0 = _project(net, kappa, u, dt, rec, U0)                  # U^T r on day 0
    null_disp = {d: float(np.linalg.norm(disp0 @ null_omega(d).T)) for d in days}
    V = bases["principal"]
    pv0 = _project(net, kappa, u, dt, rec, V)                     # principal signals, day 0
    for draw in range(random_draws):
        Xi = rng.standard_normal((net.n, V.shape[1]))
        unit = float(np.linalg.norm(pv0 @ Xi.T))                   # ||Xi V^T r|| on day 0
        models.append(("random", draw, Xi, V,
                       lambda day, unit=unit: (null_disp[day] / unit) * np.eye(V.shape[1])))

    rows = []
    for name, draw, left, right, G_of in models:
        RL, QL = net.R @ left, Qc.T @ left
        proj0 = _project(net, kappa, u, dt, rec, right)
        for day in progress(days, desc=f"drift {name} {draw}"):
            G = G_of(day)
            R_d = net.R + RL @ G @ right.T
            kap_d = simulate_latent(net, u, kappa[0], dt, R_d)  # kappa[0]: R r_0 on day 0
            proj = _project(net, kap_d, u, dt, rec, right)
            shift = lambda idx: activity(net, kap_d, u, dt, rec, idx) + proj @ G.T @ left[idx].T  # noqa: E731
            r_cells, r_rec = shift(cells), shift(recd)
            cc = [_corr(base_r[:, c], r_cells[:, c]) for c in range(len(cells))
                  if base_r[:, c].std() > 1e-9 and r_cells[:, c].std() > 1e-9]
            Xd = observe(r_rec, noise_rel, np.random.default_rng(dec_rng_seed + 1 + day))
            dR0 = proj0 @ G.T                                    # G right^T r on day 0
            tot = float(np.sum((dR0 @ left.T) ** 2)) if left.shape[0] <= 50000 else \
                float(sum(np.sum((dR0 @ left[sl].T) ** 2) for sl in chunks(net.n)))
            rows.append({"model": name, "draw": draw, "day": day, "tuning_corr": float(np.mean(cc)),
                         "readout_r2": r2(kappa[rec], kap_d[rec]),
                         "open_loop_r2": r2(kappa[rec], kappa[rec] + dR0 @ RL.T),
                         "coding_fraction": float(np.sum((dR0 @ QL.T) ** 2) / tot) if tot > 0 else 0.0,
                         "displacement": float(np.sqrt(tot)),
                         "decoder_r2": r2(kappa[rec][ntr:], Xd[ntr:] @ Wd + bd),
                         "readout_change": float(np.linalg.norm(R_d - net.R) / np.linalg.norm(net.R))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------ perturbations
def perturbation(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
                 draws: int, horizon: float, size: float,
                 rng: np.random.Generator) -> pd.DataFrame:
    """Perturb the full N-neuron rate network dr/dt = -r + phi(W r + B u + c), W = M R (the
    connectivity; simulated neuron by neuron, not through the latent shortcut), at a recorded
    time t0, once inside the coding-null space null(R) and once along the coding subspace
    (a latent displacement of ``size``), ``draws`` random directions each; simulate the
    perturbed and unperturbed networks with the same input for ``horizon`` tau and record the
    norm of the difference inside null(R) and of its latent part R (r_p - r) at every step."""
    t0 = int(rec[len(rec) // 2])
    steps = int(round(horizon / dt))
    r0 = np.concatenate([activity(net, kappa[:t0 + 1], u[:t0], dt, np.array([t0]), sl)[0]
                         for sl in chunks(net.n)])
    Qc = _orth(net.R.T)
    pinv = np.linalg.pinv(net.R)                                  # N x k
    W = lambda r: net.M @ (net.R @ r)  # noqa: E731  (W r with W = M R, never formed)

    def run(r):
        out = np.empty((steps + 1, r.size))
        out[0] = r
        for s in range(steps):
            t = min(t0 + s, u.shape[0] - 1)
            r = r + dt * (-r + net.phi(W(r) + net.B @ u[t] + net.c))
            out[s + 1] = r
        return out

    ref = run(r0.copy())
    rows = []
    for kind in ("null-space", "coding"):
        for draw in range(draws):
            if kind == "null-space":
                d = rng.standard_normal(net.n)
                d -= Qc @ (Qc.T @ d)
                d *= size * np.linalg.norm(r0 - r0.mean()) / np.linalg.norm(d)
            else:
                e = rng.standard_normal(net.R.shape[0])
                d = pinv @ (size * e / np.linalg.norm(e))
            diff = run(r0 + d) - ref
            null_part = diff - (diff @ Qc) @ Qc.T
            for s in range(steps + 1):
                rows.append({"kind": kind, "draw": draw, "time": s * dt,
                             "null_norm": float(np.linalg.norm(null_part[s])),
                             "latent_norm": float(np.linalg.norm(diff[s] @ net.R.T))})
    return pd.DataFrame(rows)


def decay_time(t: np.ndarray, y: np.ndarray, floor: float = 1e-12) -> float:
    """e-folding time of y(t) from a least-squares fit of log y = a - t / tau."""
    ok = y > floor
    slope = np.polyfit(t[ok], np.log(y[ok]), 1)[0]
    return float(-1.0 / slope) if slope < 0 else float("inf")
