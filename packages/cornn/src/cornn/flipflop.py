"""3-bit flip-flop: a BPTT-trained rate generator, noisy trials, and CORNN-ADMM fits.

Task: K channels; at each step each channel receives a +-1 pulse with probability p;
the target output of a channel is the sign of its last pulse (0 before the first).
Generator: r_{t+1} = (1 - alpha) r_t + alpha tanh(W r_t + W_in u_t), zero-diagonal W,
output y_t = W_out r_{t+1}, r_0 = 0.
"""

from __future__ import annotations

import numpy as np
import torch

from . import bptt, model, solver


def task_batch(trials: int, steps: int, K: int, p: float, rng) -> tuple[np.ndarray, np.ndarray]:
    """Inputs u (trials, steps, K) and targets y (trials, steps, K)."""
    pulse = rng.random((trials, steps, K)) < p
    sign = np.where(rng.random((trials, steps, K)) < 0.5, -1.0, 1.0)
    u = pulse * sign
    y = np.zeros_like(u)
    last = np.zeros((trials, K))
    for t in range(steps):
        last = np.where(pulse[:, t], sign[:, t], last)
        y[:, t] = last
    return u, y


def run_torch(params: dict, u: torch.Tensor, alpha: float) -> torch.Tensor:
    """Rates r_1..r_L (trials, L, n) of the generator from r_0 = 0."""
    W = bptt.offdiag(params["W"])
    r = torch.zeros(u.shape[0], W.shape[0], dtype=W.dtype, device=W.device)
    out = []
    for t in range(u.shape[1]):
        r = (1 - alpha) * r + alpha * torch.tanh(r @ W.T + u[:, t] @ params["W_in"].T)
        out.append(r)
    return torch.stack(out, 1)


def train_generator(n: int, K: int, p: float, steps_per_trial: int, alpha: float, g: float,
                    train_steps: int, batch: int, lr: float, seed: int, ckpt,
                    device="cpu") -> dict:
    gen = torch.Generator().manual_seed(seed)
    params = bptt.init_params(n, K, K, g, gen, device)

    def loss_fn(prm, batch_gen):
        rng = np.random.default_rng(int(torch.randint(0, 2**31 - 1, (1,), generator=batch_gen)))
        u, y = task_batch(batch, steps_per_trial, K, p, rng)
        r = run_torch(prm, torch.as_tensor(u, device=device), alpha)
        return torch.mean((r @ prm["W_out"].T - torch.as_tensor(y, device=device)) ** 2)

    history = bptt.train(params, loss_fn, train_steps, lr, ckpt, seed, desc="flip-flop BPTT")
    out = bptt.to_numpy(params)
    np.fill_diagonal(out["W"], 0.0)
    out["loss"] = np.asarray(history)
    return out


def simulate_trials(gen: dict, trials: int, steps: int, K: int, p: float, alpha: float,
                    sigma_in: float, sigma_conv: float, rng) -> tuple[np.ndarray, np.ndarray]:
    u, _ = task_batch(trials, steps, K, p, rng)
    r0 = np.zeros((trials, gen["W"].shape[0]))
    r = model.simulate_rates(gen["W"], gen["W_in"], u, r0, alpha, sigma_in, sigma_conv, rng)
    return u, r


def fit_admm(u, r, alpha, l2, threshold, rho, n_iter, device):
    """CORNN-ADMM (no self-connections) on the observed trials; returns (W, W_in, seconds)."""
    x, d = model.design(r, u, alpha)
    X, D = solver.as_tensor(x, device), solver.as_tensor(d, device)
    n = r.shape[-1]
    times = []
    theta = solver.fit_cornn(X, D, l2=l2, threshold=threshold, n_iter=n_iter, rho=rho,
                             n_rec=n, callback=lambda it, t, th: times.append(t))
    theta = theta.cpu().numpy()
    return theta[:n].T, theta[n:].T, times[-1]


def output_correlation(gen: dict, W_fit, W_in_fit, u, alpha) -> float:
    """Pearson r between the generator's readout and the same readout of the fitted
    network, both run noise-free on held-out inputs from r_0 = 0."""
    r0 = np.zeros((u.shape[0], gen["W"].shape[0]))
    r_true = model.simulate_rates(gen["W"], gen["W_in"], u, r0, alpha)
    r_fit = model.simulate_rates(W_fit, W_in_fit, u, r0, alpha)
    y_true, y_fit = r_true[:, 1:] @ gen["W_out"].T, r_fit[:, 1:] @ gen["W_out"].T
    return float(np.corrcoef(y_true.ravel(), y_fit.ravel())[0, 1])


def task_accuracy(gen: dict, u, y, alpha) -> float:
    """Fraction of (time, channel) entries where sign(readout) equals the target (after
    the first pulse)."""
    r0 = np.zeros((u.shape[0], gen["W"].shape[0]))
    r = model.simulate_rates(gen["W"], gen["W_in"], u, r0, alpha)
    out = r[:, 1:] @ gen["W_out"].T
    mask = y != 0
    return float(np.mean(np.sign(out[mask]) == y[mask]))


def memory_states(W, W_in, W_out, alpha: float, settle: int = 300, gap: int = 10):
    """The network's 2^K memory states: for each sign pattern b in {-1, +1}^K, pulse channel
    k with b_k (one step each, ``gap`` steps apart, from r_0 = 0), let it run ``settle`` steps
    without input, then refine the end state to a fixed point of r = tanh(W r) with
    ``scipy.optimize.root``. Returns (patterns (2^K, K), fixed points (2^K, n), held (2^K,)
    bool: the solver converged and sign(W_out r*) = b)."""
    import itertools

    from scipy.optimize import root

    K = W_in.shape[1]
    patterns = np.array(list(itertools.product([-1.0, 1.0], repeat=K)))
    steps = gap * (K + 1) + settle
    u = np.zeros((len(patterns), steps, K))
    for k in range(K):
        u[:, gap * (k + 1), k] = patterns[:, k]
    r = model.simulate_rates(W, W_in, u, np.zeros((len(patterns), W.shape[0])), alpha)[:, -1]
    fps, held = np.empty_like(r), np.zeros(len(patterns), bool)
    for i, r0 in enumerate(r):
        sol = root(lambda x: np.tanh(W @ x) - x, r0, jac=lambda x: (1 - np.tanh(W @ x) ** 2)[:, None] * W
                   - np.eye(len(x)), method="hybr")
        fps[i] = sol.x
        held[i] = bool(sol.success) and np.array_equal(np.sign(W_out @ sol.x), patterns[i])
    return patterns, fps, held


def fixed_point_recovery(gen: dict, W_fit, W_in_fit, alpha: float) -> dict:
    """How many of the generator's memory states the fitted network has: the generator
    holds pattern b as a fixed point, the fitted network (same pulses, the generator's
    readout) holds b too, and its fixed point is nearer to the generator's fixed point of b
    than to any other of the generator's fixed points."""
    pats, fp_gen, held_gen = memory_states(gen["W"], gen["W_in"], gen["W_out"], alpha)
    _, fp_fit, held_fit = memory_states(W_fit, W_in_fit, gen["W_out"], alpha)
    dist = np.linalg.norm(fp_fit[:, None, :] - fp_gen[None, :, :], axis=-1)
    nearest_own = dist.argmin(1) == np.arange(len(pats))
    return {"fp_states": len(pats), "fp_generator": int(held_gen.sum()),
            "fp_recovered": int((held_gen & held_fit & nearest_own).sum())}
