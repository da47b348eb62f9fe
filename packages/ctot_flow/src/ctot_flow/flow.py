"""Flow matching of an ODE velocity field v_theta(x, t) (an MLP) on OT-coupled
pairs of snapshots, and integration of the learned ODE with torchdiffeq.

Both methods share the network, the optimiser and the step budget; they differ
only in where the pairs (x0 at time t0, x1 at time t0 + dt) come from:

* ``ctot`` (CT-OT Flow): t0 ~ U over the range of refined labels, x0 ~ p_hat(. | t0),
  x1 ~ p_hat(. | t0 + delta) from the temporal kernel smoothing of the
  partial-OT labels; dt = delta.
* ``otcfm`` (OT-CFM on window midpoints, the baseline): a pair of neighbouring
  windows (k, k+1), each treated as a snapshot at its midpoint; dt = 1/K.

Each mini-batch pair is coupled by exact OT (``ot.emd``, squared Euclidean cost);
with s ~ U(0, 1) the regression is
    v_theta((1-s) x0 + s x1 + sigma eps, t0 + s dt)  ->  (x1 - x0) / dt.

The field's baselines come from ``torchcfm`` (Tong et al.), on the same window-midpoint pairs,
network, optimiser and budget: ``tcfm_ot`` (ExactOptimalTransportConditionalFlowMatcher,
OT-CFM), ``tcfm_i`` (ConditionalFlowMatcher, I-CFM: independent pairs) and ``tcfm_sb``
(SchrodingerBridgeConditionalFlowMatcher: the flow part of [SF]2M, exact OT plan of the
entropic problem's limit as torchcfm computes it, its probability-flow ODE integrated; the
score network and SDE sampling of [SF]2M are not trained). The matcher draws s, x_s and u_s on
the unit interval; time and velocity are rescaled to the window pair: t = t0 + s dt, v = u / dt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import ot
import torch
from torch import nn

from repro_core.io import atomic_path

from .labels import kernel_weights
from .processes import midpoint_labels

TCFM = ("tcfm_ot", "tcfm_i", "tcfm_sb")     # torchcfm's matchers (the field's baselines)
METHODS = ("ctot", "otcfm", *TCFM)


def tcfm_matcher(method: str, sigma: float, sb_sigma: float):
    """The torchcfm matcher of a baseline method."""
    import torchcfm

    if method == "tcfm_ot":
        return torchcfm.ExactOptimalTransportConditionalFlowMatcher(sigma=sigma)
    if method == "tcfm_i":
        return torchcfm.ConditionalFlowMatcher(sigma=sigma)
    if method == "tcfm_sb":
        return torchcfm.SchrodingerBridgeConditionalFlowMatcher(sigma=sb_sigma, ot_method="exact")
    raise ValueError(f"method={method!r} is not a torchcfm baseline; allowed: {', '.join(TCFM)}")


class MLP(nn.Module):
    """v(x, t): input (x, t), ``depth`` hidden layers of ``width`` SiLU units."""

    def __init__(self, dim: int, width: int = 64, depth: int = 3):
        super().__init__()
        layers, d_in = [], dim + 1
        for _ in range(depth):
            layers += [nn.Linear(d_in, width), nn.SiLU()]
            d_in = width
        layers.append(nn.Linear(d_in, dim))
        self.net = nn.Sequential(*layers)

    def forward(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        t = t.reshape(-1, 1).expand(x.shape[0], 1)
        return self.net(torch.cat([x, t], dim=1))


def ot_pair(x0: np.ndarray, x1: np.ndarray) -> np.ndarray:
    """Exact OT matching of two equal-size batches (uniform weights): returns the
    index j(i) of x1 matched to x0[i] (the plan is a permutation up to ties)."""
    n = len(x0)
    G = ot.emd(np.full(n, 1.0 / n), np.full(n, 1.0 / n), ot.dist(x0, x1))
    return G.argmax(1)


def cfm_target(x0: np.ndarray, x1: np.ndarray, t0: np.ndarray, dt: np.ndarray, s: np.ndarray,
               eps: np.ndarray, sigma: float):
    """Inputs (x_s, t_s) and regression target u of conditional flow matching on the
    straight path from (t0, x0) to (t0 + dt, x1)."""
    xs = (1 - s)[:, None] * x0 + s[:, None] * x1 + sigma * eps
    ts = t0 + s * dt
    u = (x1 - x0) / dt[:, None]
    return xs, ts, u


def tcfm_target(matcher, x0: np.ndarray, x1: np.ndarray, t0: np.ndarray, dt: np.ndarray,
                s: np.ndarray, device=None):
    """torchcfm's (s, x_s, u_s) on the unit interval for the pair, rescaled to the window pair's
    time: t = t0 + s dt, target u / dt (its noise from torch's generator, its OT plan draws from
    numpy's global one: both seeded by the stage)."""
    f = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    s_t, xs, u = matcher.sample_location_and_conditional_flow(f(x0), f(x1), t=f(s))
    return f(t0) + s_t * f(dt), xs, u / f(dt)[:, None]


@dataclass
class PairSampler:
    """Draws OT-coupled (x0, x1, t0, dt) mini-batches for one method."""
    method: str
    X: np.ndarray
    t_hat: np.ndarray      # refined labels (ctot)
    window: np.ndarray     # window labels (otcfm)
    n_windows: int
    h: float = 0.02
    delta: float = 0.1

    def __post_init__(self):
        if self.method not in METHODS:
            raise ValueError(f"method={self.method!r} unknown; allowed: {', '.join(METHODS)}")
        self._members = [np.flatnonzero(self.window == k) for k in range(self.n_windows)]
        self._pairs = [k for k in range(self.n_windows - 1)
                       if len(self._members[k]) and len(self._members[k + 1])]
        self.t_lo, self.t_hi = float(self.t_hat.min()), float(self.t_hat.max())
        if self.method == "ctot" and self.t_hi - self.t_lo <= self.delta:
            raise ValueError(f"delta={self.delta} is not shorter than the labelled time range")
        if self.method != "ctot" and not self._pairs:
            raise ValueError("OT-CFM needs two neighbouring non-empty windows")

    def __call__(self, batch: int, rng: np.random.Generator):
        if self.method == "ctot":
            t0 = rng.uniform(self.t_lo, self.t_hi - self.delta)
            w = kernel_weights(np.array([t0, t0 + self.delta]), self.t_hat, self.h)
            x0 = self.X[rng.choice(len(self.X), size=batch, p=w[0])]
            x1 = self.X[rng.choice(len(self.X), size=batch, p=w[1])]
            dt = self.delta
        else:
            k = self._pairs[rng.integers(len(self._pairs))]
            x0 = self.X[rng.choice(self._members[k], size=batch)]
            x1 = self.X[rng.choice(self._members[k + 1], size=batch)]
            t0 = float(midpoint_labels(np.array(k), self.n_windows))
            dt = 1.0 / self.n_windows
        if self.method in TCFM:           # torchcfm couples (or not) the pair itself
            return x0, x1, np.full(batch, t0), np.full(batch, dt)
        return x0, x1[ot_pair(x0, x1)], np.full(batch, t0), np.full(batch, dt)


@dataclass
class TrainConfig:
    steps: int = 3000
    batch: int = 256
    width: int = 64
    depth: int = 3
    lr: float = 1e-3
    sigma: float = 0.01        # CFM path noise
    sb_sigma: float = 0.1      # noise of the Schroedinger-bridge matcher (tcfm_sb)
    ckpt_every: int = 500


def _checkpoint_state(model, opt, step, rng, losses):
    return {"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
            "rng": rng.bit_generator.state, "torch_rng": torch.get_rng_state(), "losses": losses}


def train_flow(sampler: Callable, dim: int, cfg: TrainConfig, rng: np.random.Generator,
               ckpt: Path | None = None, progress=None, device=None) -> tuple[MLP, np.ndarray]:
    """Flow matching of an MLP velocity field on pairs from ``sampler`` (Adam, cosine-decayed
    learning rate); resumes from
    ``ckpt`` when it exists and saves it every ``cfg.ckpt_every`` steps."""
    device = torch.device("cpu") if device is None else device
    model = MLP(dim, cfg.width, cfg.depth).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    start, losses = 0, []
    if ckpt is not None and Path(ckpt).exists():
        state = torch.load(ckpt, weights_only=False, map_location=device)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"].cpu())
        start, losses = state["step"], list(state["losses"])
    method = getattr(sampler, "method", "ctot")
    matcher = tcfm_matcher(method, cfg.sigma, cfg.sb_sigma) if method in TCFM else None
    steps = range(start, cfg.steps)
    for step in (progress(steps, desc="flow matching", initial=start, total=cfg.steps) if progress else steps):
        for group in opt.param_groups:  # cosine decay to 0 (a function of the step: resumable)
            group["lr"] = cfg.lr * 0.5 * (1 + np.cos(np.pi * step / cfg.steps))
        x0, x1, t0, dt = sampler(cfg.batch, rng)
        s = rng.uniform(0.0, 1.0, cfg.batch)
        if matcher is None:
            xs, ts, u = cfm_target(x0, x1, t0, dt, s, rng.standard_normal(x0.shape), cfg.sigma)
            ts, xs, u = (torch.as_tensor(a, dtype=torch.float32, device=device) for a in (ts, xs, u))
        else:
            ts, xs, u = tcfm_target(matcher, x0, x1, t0, dt, s, device)
        loss = ((model(ts, xs) - u) ** 2).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
        if ckpt is not None and (step + 1) % cfg.ckpt_every == 0 and step + 1 < cfg.steps:
            with atomic_path(ckpt, suffix=".pt") as tmp:
                torch.save(_checkpoint_state(model, opt, step + 1, rng, losses), tmp)
    return model, np.asarray(losses)


@torch.no_grad()
def integrate(model: nn.Module, x0: np.ndarray, times: np.ndarray, step: float = 0.01) -> np.ndarray:
    """Positions (n, len(times), d) of the learned ODE dx/dt = v(x, t) from x0 at times[0]
    (fixed-step RK4 of torchdiffeq)."""
    from torchdiffeq import odeint

    model.eval()
    out = odeint(model, torch.as_tensor(x0, dtype=torch.float32),
                 torch.as_tensor(np.asarray(times), dtype=torch.float32),
                 method="rk4", options={"step_size": step})
    return out.numpy().transpose(1, 0, 2).astype(np.float64)
