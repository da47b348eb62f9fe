"""Baselines on the same data, set up as in the authors' exp-1 scripts (CORNN-public,
``analysis/experiment1-random-with-init``): full-batch Adam (cross-entropy or L2 loss)
and FORCE (recursive least squares, free-running, from the ridge fit).

Each takes a ``callback(iteration, compute_seconds, theta) -> bool`` evaluated on a
geometric grid of iterations (Adam) or after every pass (FORCE); returning True stops
the fit. Its run time is not counted in ``compute_seconds``.
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


def adam_init(X: torch.Tensor, D: torch.Tensor, init: str, init_ridge: float,
              generator: torch.Generator | None = None) -> torch.Tensor:
    """Adam's starting point, as the authors' exp-1 scripts set it: ``"ridge"``, the ridge
    solution in current space with lambda = init_ridge * T (their ``initialize_fp=1``:
    lambda = l2 * 1e4 * T with Adam's l2 = 1e-8, i.e. init_ridge = 1e-4, exp 1a); or
    ``"default"``, PyTorch's default initialisation of ``nn.Linear(p, n, bias=False)``,
    U(-1/sqrt(p), 1/sqrt(p)) (their ``initialize_fp=0``, exp 1c)."""
    T, p = X.shape
    if init == "ridge":
        A = X.T @ X
        A.diagonal().add_(init_ridge * T)
        return torch.linalg.solve(A, X.T @ torch.atanh(D))
    if init == "default":
        bound = 1.0 / math.sqrt(p)
        u = torch.rand(p, D.shape[1], generator=generator, dtype=X.dtype)
        return ((2 * u - 1) * bound).to(X.device)
    raise ValueError(f"init must be 'ridge' or 'default', got {init!r}")


def fit_adam(X: torch.Tensor, D: torch.Tensor, loss: str = "ce", lr: float = 1e-2,
             weight_decay: float = 1e-8, init: str = "ridge", init_ridge: float = 1e-4,
             max_iter: int = 1000, max_time: float = math.inf, callback: Callback | None = None,
             grid_factor: float = 1.05, seed: int = 0) -> torch.Tensor:
    """Full-batch Adam on mean BCE((1 + tanh(X theta))/2, (1 + D)/2) (``loss="ce"``,
    the paper's Adam baseline) or mean squared error of tanh(X theta) vs D (``"l2"``).

    Starts from ``adam_init(init, init_ridge)`` (its cost is included in the timed
    compute; ``seed`` seeds the random one). Runs in float32, as the authors' baseline."""
    if loss not in ("ce", "l2"):
        raise ValueError(f"loss must be 'ce' or 'l2', got {loss!r}")
    X = X.float()
    D = D.float()
    gen = torch.Generator().manual_seed(seed)
    clock = ComputeClock(X.device)
    clock.start()
    theta = adam_init(X, D, init, init_ridge, gen).requires_grad_(True)
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


def fit_force(X: torch.Tensor, D: torch.Tensor, alpha: float, lam: float = 200.0,
              passes: int = 100, error: str = "currents", max_time: float = math.inf,
              callback: Callback | None = None, n_rec: int | None = None) -> torch.Tensor:
    """FORCE (recursive least squares, Sussillo & Abbott 2009) as the authors' exp-1
    baseline runs it: started from the ridge fit in current space (lambda = lam / T),
    then ``passes`` passes through the data; each pass resets P = I / lam and runs the
    network *free* from the first observed state: at step t the network's own state s_t
    (not the data) is the presynaptic input, its current W s_t is compared with the
    target current arctanh(d_t) (``error="currents"``; ``"rates"``: its next rate with
    the observed r_{t+1}, divided by alpha), W is updated by RLS with one P shared by all
    neurons, and the state advances with the updated weights,
    ``s_{t+1} = (1 - alpha) s_t + alpha tanh(W s_t)`` (no external input).

    ``X`` rows are the observed r_t (first ``n_rec`` columns: the recurrent rates),
    ``D`` the targets. ``callback`` is evaluated after the initialisation and after every
    pass; the fit stops after the pass in which ``max_time`` is exceeded."""
    if error not in ("currents", "rates"):
        raise ValueError(f"error must be 'currents' or 'rates', got {error!r}")
    T, p = X.shape
    n = D.shape[1]
    n_rec = n if n_rec is None else n_rec
    if p != n_rec:
        raise ValueError("fit_force runs networks without external input (X has n columns)")
    clock = ComputeClock(X.device)
    clock.start()
    Z = torch.atanh(D)
    A = X.T @ X
    A.diagonal().add_(lam / T)
    theta = torch.linalg.solve(A, X.T @ Z)               # (p, n): current = s @ theta
    eye = torch.eye(p, dtype=X.dtype, device=X.device)
    t = clock.stop()
    if callback and callback(0, t, theta):
        return theta
    for k in range(1, passes + 1):
        clock.start()
        P = eye / lam
        s = X[0].clone()
        for i in range(T):
            cur = s @ theta
            if error == "currents":
                e = cur - Z[i]
            else:   # (next rate - observed r_{t+1}) / alpha, r_{t+1} = (1 - alpha) r_t + alpha d_t
                e = (1 - alpha) / alpha * (s - X[i]) + torch.tanh(cur) - D[i]
            Ps = P @ s
            kvec = Ps / (1.0 + s @ Ps)                  # = P_new s
            P.sub_(torch.outer(kvec, Ps))
            theta.sub_(torch.outer(kvec, e))
            s = (1 - alpha) * s + alpha * torch.tanh(s @ theta)
        t = clock.stop()
        if callback and callback(k, t, theta):
            return theta
        if t >= max_time:
            break
    return theta
