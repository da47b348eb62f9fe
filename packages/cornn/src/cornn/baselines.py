"""Baselines on the same data: full-batch Adam (cross-entropy or L2 loss) and FORCE
(recursive least squares on the currents arctanh(d), teacher forced).

Each takes a ``callback(iteration, compute_seconds, theta) -> bool`` evaluated on a
geometric grid of iterations; returning True stops the fit. Its run time is not
counted in ``compute_seconds``.
"""

from __future__ import annotations

import math
from typing import Callable

import torch

from .solver import ComputeClock

Callback = Callable[[int, float, torch.Tensor], bool]


def eval_grid(factor: float = 1.05):
    """Iterations 1, 2, 3, ... growing by ``factor`` (a log-spaced evaluation grid)."""
    it = 1
    while True:
        yield it
        it = max(it + 1, int(math.ceil(it * factor)))


def fit_adam(X: torch.Tensor, D: torch.Tensor, loss: str = "ce", lr: float = 1e-2,
             weight_decay: float = 1e-8, init_ridge: float = 0.1, max_iter: int = 1000,
             max_time: float = math.inf, callback: Callback | None = None,
             grid_factor: float = 1.05) -> torch.Tensor:
    """Full-batch Adam on mean BCE((1 + tanh(X theta))/2, (1 + D)/2) (``loss="ce"``,
    the paper's Adam baseline) or mean squared error of tanh(X theta) vs D (``"l2"``).

    Initialised, as in the authors' benchmark, at a heavily regularised ridge solution
    in current space (lambda = init_ridge * T; included in the timed compute).
    Runs in float32."""
    if loss not in ("ce", "l2"):
        raise ValueError(f"loss must be 'ce' or 'l2', got {loss!r}")
    X = X.float()
    D = D.float()
    clock = ComputeClock(X.device)
    clock.start()
    A = X.T @ X
    A.diagonal().add_(init_ridge * X.shape[0])
    theta = torch.linalg.solve(A, X.T @ torch.atanh(D)).requires_grad_(True)
    opt = torch.optim.Adam([theta], lr=lr, weight_decay=weight_decay)
    t = clock.stop()
    if callback and callback(0, t, theta.detach()):
        return theta.detach()
    grid = eval_grid(grid_factor)
    next_eval = next(grid)
    for it in range(1, max_iter + 1):
        clock.start()
        opt.zero_grad(set_to_none=True)
        Dhat = torch.tanh(X @ theta)
        if loss == "ce":
            obj = torch.nn.functional.binary_cross_entropy((1 + Dhat) / 2, (1 + D) / 2)
        else:
            obj = torch.nn.functional.mse_loss(Dhat, D)
        obj.backward()
        opt.step()
        t = clock.stop()
        last = it == max_iter or t >= max_time
        if it >= next_eval or last:
            next_eval = next(grid)
            if callback and callback(it, t, theta.detach()):
                break
        if last:
            break
    return theta.detach()


def fit_force(X: torch.Tensor, D: torch.Tensor, delta: float = 1.0, passes: int = 1,
              max_time: float = math.inf, callback: Callback | None = None,
              grid_factor: float = 1.3) -> torch.Tensor:
    """FORCE-style recursive least squares (Sussillo & Abbott 2009) on the currents
    z = arctanh(d), one time step at a time, starting from theta = 0 and P = I / delta.
    All neurons share the inverse-correlation matrix P (same presynaptic rates)."""
    T, p = X.shape
    Z = torch.atanh(D)
    clock = ComputeClock(X.device)
    clock.start()
    theta = torch.zeros(p, D.shape[1], dtype=X.dtype, device=X.device)
    P = torch.eye(p, dtype=X.dtype, device=X.device) / delta
    t = clock.stop()
    if callback and callback(0, t, theta):
        return theta
    grid = eval_grid(grid_factor)
    next_eval = next(grid)
    step = 0
    for _ in range(passes):
        for s in range(T):
            clock.start()
            x = X[s]
            Px = P @ x
            k = Px / (1.0 + x @ Px)
            err = x @ theta - Z[s]
            theta -= torch.outer(k, err)
            P -= torch.outer(k, Px)
            step += 1
            t = clock.stop()
            last = t >= max_time or (s == T - 1)
            if step >= next_eval or last:
                while next_eval <= step:
                    next_eval = next(grid)
                if callback and callback(step, t, theta):
                    return theta
            if t >= max_time:
                return theta
    return theta
