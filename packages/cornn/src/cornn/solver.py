"""The CORNN solver (and its ADMM variant without self-connections), in torch.

Problem: observed inputs ``X`` (T x p, p = n + n_in) and targets ``D`` (T x n) in
(-1, 1). Per neuron i, minimise the weighted cross-entropy

    L_i(theta) = sum_t  CE((1 + d_ti)/2, (1 + tanh(x_t theta))/2) / (1 - d_ti^2)
                 + lambda'/2 |theta|^2,          lambda' = l2 * T.

The CE term has gradient ``tanh z - d`` and curvature ``1 - tanh^2 z`` in the current
``z = x theta``; after the 1/(1 - d^2) weighting the curvature is ~1 near the data, so
the Hessian is approximated by ``X^T X`` for every neuron. Pre-inverting
``A = X^T X + lambda' I`` once gives the quasi-Newton fixed-point iteration

    theta <- A^{-1} X^T X theta + A^{-1} X^T E,      E = (D - tanh(X theta)) / (1 - D^2)

whose fixed points satisfy lambda' theta = X^T E (stationarity of the loss). Entries with
|E| > threshold are treated as outliers: zeroed, and the column rescaled by
T / (T - #zeroed). Initialisation: ridge regression in current space,
``theta_fp = A^{-1} X^T arctanh(D)``.

All neurons share ``Xp = A^{-1} X^T`` and ``Xm = Xp X``, so one iteration is two
matrix products (T x p x n each): the source of CORNN's speed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch


class ComputeClock:
    """Accumulates the time of compute segments only (metric evaluation excluded).

    On CPU it reads the process's CPU time (``time.process_time``: all its threads), so
    that timings on a shared, oversubscribed machine measure our work rather than the
    other processes' (with one torch thread this equals wall time on an idle machine).
    On CUDA it reads wall time after synchronising the device."""

    def __init__(self, device: torch.device):
        self.device = device
        self.cuda = device.type == "cuda"
        self.now = time.perf_counter if self.cuda else time.process_time
        self.total = 0.0
        self._t0 = 0.0

    def _sync(self):
        if self.cuda:
            torch.cuda.synchronize(self.device)

    def start(self):
        self._sync()
        self._t0 = self.now()

    def stop(self) -> float:
        self._sync()
        self.total += self.now() - self._t0
        return self.total


def as_tensor(a, device, dtype=torch.float64) -> torch.Tensor:
    return torch.as_tensor(np.asarray(a), dtype=dtype, device=device)


def weighted_error(D: torch.Tensor, Dhat: torch.Tensor, threshold: float | None) -> torch.Tensor:
    """``E = (D - Dhat) / (1 - D^2)``; entries with |E| > threshold are zeroed and each
    column rescaled by T / (T - #zeroed) (``threshold=None``: no outlier rejection)."""
    E = (D - Dhat) / (1 - D * D)
    if threshold is None:
        return E
    out = E.abs() > threshold
    kept = D.shape[0] - out.sum(0)
    scale = D.shape[0] / kept.clamp(min=1).to(E.dtype)
    return E.masked_fill(out, 0.0) * scale


def ce_loss(X: torch.Tensor, D: torch.Tensor, theta: torch.Tensor, lam: float,
            weighted: bool = True) -> torch.Tensor:
    """The (weighted) cross-entropy objective, summed over time and neurons, plus
    ``lam/2 |theta|^2``. Written in the numerically stable softplus form:
    CE((1+d)/2, (1+tanh z)/2) = softplus(2z) - (1+d) z."""
    Z = X @ theta
    ce = torch.nn.functional.softplus(2 * Z) - (1 + D) * Z
    if weighted:
        ce = ce / (1 - D * D)
    return ce.sum() + 0.5 * lam * (theta * theta).sum()


@dataclass
class Prepared:
    """The shared pre-inverted quantities of one CORNN problem."""
    Xp: torch.Tensor        # A^{-1} X^T   (p x T)
    Xm: torch.Tensor        # A^{-1} X^T X (p x p)
    Ainv: torch.Tensor      # A^{-1}       (p x p)
    lam: float              # lambda' = l2 * T
    rho: float              # rho' = rho * lambda' (0 without ADMM)


def prepare(X: torch.Tensor, l2: float, rho: float = 0.0) -> Prepared:
    """``A = X^T X + (lambda' + rho') I`` with lambda' = l2 T, rho' = rho lambda';
    one Cholesky factorisation gives A^{-1} X^T for all neurons, and
    ``A^{-1} X^T X = I - (lambda' + rho') A^{-1}`` needs no further T x p x p product."""
    T, p = X.shape
    lam = l2 * T
    rho_p = rho * lam
    A = X.T @ X
    A.diagonal().add_(lam + rho_p)
    L = torch.linalg.cholesky(A)
    Ainv = torch.cholesky_inverse(L)
    Xp = Ainv @ X.T
    Xm = torch.eye(p, dtype=X.dtype, device=X.device) - (lam + rho_p) * Ainv
    return Prepared(Xp=Xp, Xm=Xm, Ainv=Ainv, lam=lam, rho=rho_p)


def ridge_init(prep: Prepared, D: torch.Tensor) -> torch.Tensor:
    """theta_fp = A^{-1} X^T arctanh(D): ridge regression in current space."""
    return prep.Xp @ torch.atanh(D)


class Workspace:
    """Buffers of one CORNN problem, reused by every iteration: the T x n error and
    1/(1 - D^2). Allocating fresh T x n arrays each iteration made the time grow faster
    than T on CPU: arrays above glibc's mmap threshold (32 MB, e.g. T = 20000, n = 300 in
    float64) are mapped and page-faulted anew on every allocation (measured: sys time 6.7 s
    of 13.2 s for a 200-trial flip-flop fit, 1.4 of 4.7 s at 100 trials)."""

    def __init__(self, D: torch.Tensor):
        self.D = D
        self.inv_w = 1.0 / (1 - D * D)
        self.E = torch.empty_like(D)


def cornn_step(prep: Prepared, X, D, theta, threshold, work: Workspace | None = None):
    """One quasi-Newton step ``Xm theta + Xp E``; the same as
    ``weighted_error(D, tanh(X theta), threshold)``, computed in the reused ``work`` buffers."""
    work = Workspace(D) if work is None else work
    E = torch.matmul(X, theta, out=work.E)
    E.tanh_().sub_(D).neg_().mul_(work.inv_w)        # (D - tanh(X theta)) / (1 - D^2)
    if threshold is not None:
        out = (E > threshold) | (E < -threshold)
        kept = D.shape[0] - out.sum(0)
        E.masked_fill_(out, 0.0).mul_(D.shape[0] / kept.clamp(min=1).to(E.dtype))
    return torch.addmm(prep.Xm @ theta, prep.Xp, E)


def fit_cornn(X, D, l2: float = 1e-5, threshold: float | None = 0.2, n_iter: int = 30,
              rho: float = 0.0, n_rec: int | None = None, tol: float = 0.0,
              callback: Callable[[int, float, torch.Tensor], None] | None = None,
              theta0: torch.Tensor | None = None) -> torch.Tensor:
    """Fit every neuron's weights at once. ``X``: (T, p) tensor, ``D``: (T, n) tensor.

    ``rho > 0`` runs the ADMM variant that forbids self-connections: the auxiliary
    copy ``chi`` has the recurrent diagonal (first ``n_rec`` rows; default n) zeroed
    and is returned. ``callback(iteration, compute_seconds, theta)`` is called after
    the initialisation (iteration 0) and after every iteration; its own run time is
    not counted. Stops early when the rms change of theta falls below ``tol``.
    Returns theta: (p, n) with ``d_hat = tanh(X @ theta)`` (so W_fit = theta[:n].T).
    """
    clock = ComputeClock(X.device)
    n = D.shape[1]
    n_rec = n if n_rec is None else n_rec
    clock.start()
    prep = prepare(X, l2, rho)
    work = Workspace(D)
    theta = ridge_init(prep, D) if theta0 is None else theta0.clone()
    admm = rho > 0
    if admm:
        idx = torch.arange(n_rec, device=X.device)
        chi = theta.clone()
        chi[idx, idx] = 0.0
        v = torch.zeros_like(theta)
        rhoA = prep.rho * prep.Ainv
    t = clock.stop()
    if callback:
        callback(0, t, chi if admm else theta)
    for it in range(1, n_iter + 1):
        clock.start()
        new = cornn_step(prep, X, D, theta, threshold, work)
        if admm:
            new = new + rhoA @ (chi - v)
            chi = new + v
            chi[idx, idx] = 0.0
            v = v + new - chi
        change = torch.sqrt(torch.mean((new - theta) ** 2)).item() if tol > 0 else 1.0
        theta = new
        t = clock.stop()
        if callback:
            callback(it, t, chi if admm else theta)
        if change < tol:
            break
    return chi if admm else theta
