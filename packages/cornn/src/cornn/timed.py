"""Timed response with a generator/inference mismatch (paper Fig. 5 / Fig. S6).

Generator (current based, trained by BPTT as in the authors' scripts):
    x <- (1 - alpha) x + alpha (W r + W_in u + noise),   r = tanh x,   y = W_out r
Xavier-uniform initialisation of W, W_in, W_out (weak input and readout), zero diagonal,
plain SGD with momentum on one trial per step, no gradient clipping. Input u = 1 for
t < pulse_len, target y = a Gaussian bump centred ``delay`` steps after the pulse ends.
The rates r are fitted with the *rate-based* CORNN model, and the fitted network is run
free (noise-free, from the held-out trial's r_0, with its input) to predict held-out,
noise-free trials of the generator: R^2 of the prediction (per neuron over time, averaged
over at most ``R2_UNITS`` observed neurons, as the authors' ``r2_score`` on 100 neurons).
Also: observing only a fraction of the neurons (subsampling), and per-neuron time
constants alpha_i ~ N(alpha, s^2) assumed by the fit (and by the fitted network) while
the generator has alpha (time-scale mismatch).
"""

from __future__ import annotations

import numpy as np
import torch

from . import bptt, model, solver

ALPHA_MIN = 1e-3  # per-neuron alpha_i of the fit are clipped to [ALPHA_MIN, 1] (authors: 0.001)
R2_UNITS = 100    # R^2 is averaged over the first (at most) 100 observed neurons (authors)


def task(steps: int, pulse_len: int, delay: int, width: float):
    """Input (steps, 1) and target (steps,) of the timed-response task."""
    t = np.arange(steps)
    u = (t < pulse_len).astype(float)[:, None]
    y = np.exp(-0.5 * ((t - (pulse_len + delay)) / width) ** 2)
    return u, y


def train_generator(n: int, steps: int, pulse_len: int, delay: int, width: float, alpha: float,
                    g: float, sigma: float, r0_range: float, train_steps: int, batch: int,
                    lr: float, seed: int, ckpt, device="cpu", momentum: float = 0.9,
                    weight_decay: float = 1e-7) -> dict:
    """BPTT on the timed-response task: MSE of the readout over ``steps`` steps, ``batch``
    trials per SGD step from r_0 ~ U(-r0_range, r0_range), current noise ``sigma``."""
    gen = torch.Generator().manual_seed(seed)
    params = bptt.init_params(n, 1, 1, g, gen, device, init="xavier")
    offdiag = 1 - torch.eye(n, dtype=torch.float64, device=device)
    with torch.no_grad():
        params["W"].mul_(offdiag)
    u_np, y_np = task(steps, pulse_len, delay, width)
    u, y = torch.as_tensor(u_np, device=device), torch.as_tensor(y_np, device=device)

    def loss_fn(prm, batch_gen):
        r = ((torch.rand(batch, n, generator=batch_gen, dtype=torch.float64) * 2 - 1)
             * r0_range).to(device)
        x = torch.atanh(r)
        out = []
        for t in range(steps):
            eps = (torch.randn(batch, n, generator=batch_gen, dtype=torch.float64) * sigma).to(device)
            x = (1 - alpha) * x + alpha * (r @ prm["W"].T + u[t] @ prm["W_in"].T + eps)
            r = torch.tanh(x)
            out.append(r @ prm["W_out"].T)
        return torch.mean((torch.cat(out, 1) - y) ** 2)

    history = bptt.train(params, loss_fn, train_steps, lr, ckpt, seed, desc="timed BPTT",
                         optimizer="sgd", momentum=momentum, weight_decay=weight_decay,
                         clip=None, after_step=lambda prm: prm["W"].mul_(offdiag))
    out = bptt.to_numpy(params)
    out["loss"] = np.asarray(history)
    return out


def simulate_trials(gen: dict, trials: int, steps: int, pulse_len: int, alpha_i, sigma: float,
                    r0_range: float, rng):
    """Trials of the current-based generator (current noise ``sigma``) from
    r_0 ~ U(-r0_range, r0_range); returns (u, r) batched over trials."""
    u1, _ = task(steps, pulse_len, 0, 1.0)
    u = np.repeat(u1[None], trials, 0)
    x0 = np.arctanh(rng.uniform(-r0_range, r0_range, size=(trials, gen["W"].shape[0])))
    r = model.simulate_currents(gen["W"], gen["W_in"], u, x0, alpha_i, sigma, rng)
    return u, r


def alphas(n: int, alpha: float, s: float, rng) -> np.ndarray:
    """Per-neuron time constants alpha_i ~ N(alpha, s^2), clipped to [ALPHA_MIN, 1]."""
    return np.clip(rng.normal(alpha, s, size=n), ALPHA_MIN, 1.0) if s > 0 else np.full(n, alpha)


def fit_and_predict(u, r, u_test, r_test, alpha, l2, threshold, rho, n_iter, device) -> float:
    """Fit the rate model (CORNN-ADMM, time constants ``alpha``: a scalar or one per
    observed neuron) to (u, r), run it free with the same ``alpha`` on the held-out trials
    from their initial rates, return the R^2 of the prediction."""
    x, d = model.design(r, u, alpha)
    X, D = solver.as_tensor(x, device), solver.as_tensor(d, device)
    n = r.shape[-1]
    theta = solver.fit_cornn(X, D, l2=l2, threshold=threshold, n_iter=n_iter, rho=rho,
                             n_rec=n).cpu().numpy()
    pred = model.simulate_rates(theta[:n].T, theta[n:].T, u_test, r_test[:, 0], alpha)
    return r2(r_test[..., :R2_UNITS], pred[..., :R2_UNITS])


def r2(obs: np.ndarray, pred: np.ndarray) -> float:
    """Mean over trials and neurons of each neuron's R^2 over time (sklearn's
    ``r2_score(..., multioutput="uniform_average")`` per trial)."""
    ss_res = np.sum((obs - pred) ** 2, axis=1)
    ss_tot = np.sum((obs - obs.mean(1, keepdims=True)) ** 2, axis=1)
    return float(np.mean(1 - ss_res / np.maximum(ss_tot, 1e-12)))
