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
           "dt": np.array(dt), "gain": np.array(gain), "theta": np.array(theta)}
    pulse_p = 0.3 if pulse_rate > 0 else 0.0
    for s in progress(range(n_seeds), desc="networks"):
        net = sample_embedding(n, k, k, gain, theta, rng)
        kap, us = fit_samples(k, n_fit, kappa_max, input_std, pulse_p, rng)
        fit_readout(net, task, beta, h_in, kap, us, ridge)
        out |= {f"M{s}": net.M, f"B{s}": net.B, f"c{s}": net.c, f"R{s}": net.R,
                f"kappa{s}": simulate_latent(net, u, ideal[0], dt)}
    return out


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
def decoding(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
             n_recorded: list[int], noise_rel: float, reps: int, train_frac: float,
             mlp_hidden: int, mlp_max_iter: int, mlp_max_neurons: int,
             rng: np.random.Generator) -> pd.DataFrame:
    """Held-out R^2 of a ridge (linear) and an MLP (non-linear) decoder of the latent from
    ``n`` recorded noisy neurons (temporal train/test split)."""
    Y = kappa[rec]
    ntr = int(round(train_frac * len(rec)))
    rows = []
    for n in progress([m for m in n_recorded if m <= net.n], desc="decoding"):
        for rep in range(reps):
            idx = np.sort(rng.choice(net.n, n, replace=False))
            X = observe(activity(net, kappa, u, dt, rec, idx), noise_rel, rng)
            W, b = ridge_decoder(X[:ntr], Y[:ntr])
            rows.append({"n_recorded": n, "rep": rep, "decoder": "linear (ridge)",
                         "r2": r2(Y[ntr:], X[ntr:] @ W + b)})
            if n <= mlp_max_neurons:
                pred = mlp_decoder(X[:ntr], Y[:ntr], mlp_hidden, int(rng.integers(2**31)), mlp_max_iter)
                rows.append({"n_recorded": n, "rep": rep, "decoder": "non-linear (MLP)",
                             "r2": r2(Y[ntr:], pred(X[ntr:]))})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------- 5 drift
def _orth(A: np.ndarray) -> np.ndarray:
    return np.linalg.qr(A)[0]


def drift_bases(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float,
                rec: np.ndarray, pairs: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Orthonormal bases U (N x 2p) whose consecutive column pairs are the planes in which
    each drift model rotates the population activity.

    null: the top-2p principal directions of the activity with the coding subspace (row
    space of R) projected out, so R U = 0; tangential: each coding direction paired with a
    null direction; random: the top-2p principal directions themselves, randomly paired
    (they overlap the coding subspace by chance only)."""
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
    rand = _orth(P)[:, rng.permutation(2 * pairs)]
    return {"null-space": null, "tangential": tang, "random": rand}


def rotation_minus_identity(omega: np.ndarray, day: float) -> np.ndarray:
    """exp(day J) - I for J block-diagonal with 2x2 generators [[0, -w], [w, 0]]."""
    E = np.zeros((2 * len(omega), 2 * len(omega)))
    for j, w in enumerate(omega):
        c, s = np.cos(w * day), np.sin(w * day)
        E[2 * j:2 * j + 2, 2 * j:2 * j + 2] = [[c - 1, -s], [s, c - 1]]
    return E


def drift(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
          days: list[int], pairs: int, max_angle: float, n_tuning: int, n_recorded: int,
          noise_rel: float, train_frac: float, rng: np.random.Generator) -> pd.DataFrame:
    """Representational drift: on day d the embedding is phi_d = Q_d phi with Q_d = exp(d A)
    a slow rotation of population space (generator A = U J U^T, angular speeds up to
    ``max_angle / max(days)`` per day). The readout R stays fixed, so the latent obeys
    dkappa/dt = -kappa + R Q_d phi and the rates are r_d = Q_d r.

    Per model and day: mean correlation of single-neuron activity with day 0 (tuning
    stability), R^2 of the fixed readout's output R r_d against the day-0 latent (is the
    computation intact?), and R^2 of a ridge decoder fitted to ``n_recorded`` noisy neurons
    on day 0 and applied unchanged on day d."""
    bases = drift_bases(net, kappa, u, dt, rec, pairs, rng)
    cells = rng.choice(net.n, min(n_tuning, net.n), replace=False)
    recd = np.sort(rng.choice(net.n, min(n_recorded, net.n), replace=False))
    ntr = int(round(train_frac * len(rec)))
    dec_rng_seed = int(rng.integers(2**31))
    base_r = activity(net, kappa, u, dt, rec, cells)
    X0 = observe(activity(net, kappa, u, dt, rec, recd), noise_rel, np.random.default_rng(dec_rng_seed))
    Wd, bd = ridge_decoder(X0[:ntr], kappa[rec][:ntr])
    rows = []
    for name, U in bases.items():
        p = U.shape[1] // 2
        omega = max_angle / max(max(days), 1) * rng.uniform(0.5, 1.0, p) * rng.choice([-1, 1], p)
        RU = net.R @ U
        for day in progress(days, desc=f"drift {name}"):
            E = rotation_minus_identity(omega, day)
            R_d = net.R + RU @ E @ U.T
            kap_d = simulate_latent(net, u, kappa[0], dt, R_d)  # kappa[0]: R r_0 on day 0
            # U^T r over the whole population, streamed over neuron chunks
            proj = sum(activity(net, kap_d, u, dt, rec, sl) @ U[sl] for sl in chunks(net.n))
            rot = lambda idx: activity(net, kap_d, u, dt, rec, idx) + proj @ E.T @ U[idx].T  # noqa: E731
            r_cells, r_rec = rot(cells), rot(recd)
            cc = [_corr(base_r[:, c], r_cells[:, c]) for c in range(len(cells))
                  if base_r[:, c].std() > 1e-9 and r_cells[:, c].std() > 1e-9]
            Xd = observe(r_rec, noise_rel, np.random.default_rng(dec_rng_seed + 1 + day))
            rows.append({"model": name, "day": day, "tuning_corr": float(np.mean(cc)),
                         "readout_r2": r2(kappa[rec], kap_d[rec]),
                         "decoder_r2": r2(kappa[rec][ntr:], Xd[ntr:] @ Wd + bd),
                         "readout_change": float(np.linalg.norm(R_d - net.R) / np.linalg.norm(net.R))})
    return pd.DataFrame(rows)
