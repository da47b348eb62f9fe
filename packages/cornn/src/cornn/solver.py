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


SOLVES = ("cholesky", "inverse", "xp")
DTYPES = {"float32": torch.float32, "float64": torch.float64}
# Default precision and solve per device type, picked from the measurement of the
# ``solver_bench`` stage (README, "Solver speed"): on this CPU float32 halves the time of
# every product and leaves r unchanged within 0.001 on exp 1a, exp 1c and the 1 M-weight
# fit; solving with the Cholesky factor per iteration is as fast as a pre-inverted matrix
# and needs neither A^{-1} nor the p x T matrix A^{-1} X^T. CUDA keeps the authors' float32.
DEFAULTS = {"cpu": {"dtype": "float32", "solve": "cholesky"},
            "cuda": {"dtype": "float32", "solve": "cholesky"}}


def default_dtype(device) -> torch.dtype:
    return DTYPES[DEFAULTS.get(torch.device(device).type, DEFAULTS["cpu"])["dtype"]]


def default_solve(device) -> str:
    return DEFAULTS.get(torch.device(device).type, DEFAULTS["cpu"])["solve"]


@dataclass
class Prepared:
    """The shared factorised quantities of one CORNN problem, ``A = X^T X + (lambda' + rho') I``.

    ``solve="cholesky"``: only the factor L (A^{-1} B by two triangular solves);
    ``"inverse"``: A^{-1} itself (A^{-1} B by one product); ``"xp"``: also ``Xp = A^{-1} X^T``
    and ``Xm = A^{-1} X^T X`` (the authors' formulation: each iteration is Xm theta + Xp E)."""
    lam: float              # lambda' = l2 * T
    rho: float              # rho' = rho * lambda' (0 without ADMM)
    solve: str
    L: torch.Tensor         # Cholesky factor of A (p x p)
    Ainv: torch.Tensor | None = None   # A^{-1} ("inverse", "xp")
    Xp: torch.Tensor | None = None     # A^{-1} X^T (p x T, "xp" only)
    Xm: torch.Tensor | None = None     # A^{-1} X^T X = I - (lambda' + rho') A^{-1} ("xp" only)

    def apply_inv(self, B: torch.Tensor) -> torch.Tensor:
        """A^{-1} B."""
        if self.solve == "cholesky":
            return torch.cholesky_solve(B, self.L)
        return self.Ainv @ B


def prepare(X: torch.Tensor, l2: float, rho: float = 0.0, solve: str = "cholesky") -> Prepared:
    """``A = X^T X + (lambda' + rho') I`` with lambda' = l2 T, rho' = rho lambda', factorised
    once (Cholesky) for all neurons. ``A^{-1} X^T X = I - (lambda' + rho') A^{-1}`` needs no
    further T x p x p product."""
    if solve not in SOLVES:
        raise ValueError(f"solve must be one of {SOLVES}, got {solve!r}")
    T, p = X.shape
    lam = l2 * T
    rho_p = rho * lam
    A = X.T @ X
    A.diagonal().add_(lam + rho_p)
    L = torch.linalg.cholesky(A)
    prep = Prepared(lam=lam, rho=rho_p, solve=solve, L=L)
    if solve != "cholesky":
        prep.Ainv = torch.cholesky_inverse(L)
    if solve == "xp":
        prep.Xp = prep.Ainv @ X.T
        prep.Xm = torch.eye(p, dtype=X.dtype, device=X.device) - (lam + rho_p) * prep.Ainv
    return prep


def ridge_init(prep: Prepared, D: torch.Tensor, X: torch.Tensor | None = None) -> torch.Tensor:
    """theta_fp = A^{-1} X^T arctanh(D): ridge regression in current space
    (``X`` is needed unless the solve is "xp")."""
    if prep.Xp is not None:
        return prep.Xp @ torch.atanh(D)
    return prep.apply_inv(X.T @ torch.atanh(D))


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
        self.keep = torch.empty_like(D)


def error_in_place(X, D, theta, threshold, work: Workspace):
    """``weighted_error(D, tanh(X theta), threshold)`` without its column rescaling,
    computed in ``work.E``; returns (E, column scale T / (T - #zeroed), or None). The scale
    is applied by the caller to X^T E (p x n) instead of E (T x n): column scaling commutes
    with the product."""
    E = torch.matmul(X, theta, out=work.E)
    torch.sub(D, E.tanh_(), out=E).mul_(work.inv_w)   # (D - tanh(X theta)) / (1 - D^2)
    if threshold is None:
        return E, None
    # keep = 1.0 where |E| <= threshold, else 0.0 (float arithmetic: a third of the time of
    # a boolean mask, masked_fill and a boolean column sum on the CPU)
    keep = torch.abs(E, out=work.keep).le_(threshold)
    E.mul_(keep)
    return E, D.shape[0] / keep.sum(0).clamp_(min=1)


def cornn_step(prep: Prepared, X, D, theta, threshold, work: Workspace | None = None,
               admm_target: torch.Tensor | None = None):
    """One quasi-Newton step ``A^{-1} X^T X theta + A^{-1} X^T E`` (+ ``A^{-1} rho' (chi - v)``
    with ``admm_target = chi - v``), E = weighted_error(D, tanh(X theta), threshold).

    Written as a Newton step with the fixed Hessian A: since A^{-1} X^T X = I - (lambda' +
    rho') A^{-1}, the step is ``theta + A^{-1} (X^T E - (lambda' + rho') theta + rho' (chi -
    v))`` -- two T x p x n products per iteration and one p x p x n solve. With
    ``solve="xp"`` it is the authors' ``Xm theta + Xp E`` instead."""
    work = Workspace(D) if work is None else work
    E, scale = error_in_place(X, D, theta, threshold, work)
    if prep.solve == "xp":
        XpE = prep.Xp @ E
        if scale is not None:
            XpE.mul_(scale)
        new = XpE.addmm_(prep.Xm, theta)
        if admm_target is not None:
            new.add_(prep.Ainv @ admm_target, alpha=prep.rho)
        return new
    g = X.T @ E
    if scale is not None:
        g.mul_(scale)
    g.add_(theta, alpha=-(prep.lam + prep.rho))
    if admm_target is not None:
        g.add_(admm_target, alpha=prep.rho)
    return theta + prep.apply_inv(g)


def fit_cornn(X, D, l2: float = 1e-5, threshold: float | None = 0.2, n_iter: int = 30,
              rho: float = 0.0, n_rec: int | None = None, tol: float = 0.0,
              callback: Callable[[int, float, torch.Tensor], None] | None = None,
              theta0: torch.Tensor | None = None, dtype: str | torch.dtype | None = None,
              solve: str | None = None) -> torch.Tensor:
    """Fit every neuron's weights at once. ``X``: (T, p) tensor, ``D``: (T, n) tensor.

    ``rho > 0`` runs the ADMM variant that forbids self-connections: the auxiliary
    copy ``chi`` has the recurrent diagonal (first ``n_rec`` rows; default n) zeroed
    and is returned. ``callback(iteration, compute_seconds, theta)`` is called after
    the initialisation (iteration 0) and after every iteration; its own run time is
    not counted. Stops early when the rms change of theta falls below ``tol``.
    ``dtype`` ("float32", "float64") and ``solve`` (see ``prepare``) default to the
    device's entry of ``DEFAULTS``; the data are cast to ``dtype`` inside the timed part.
    Returns theta: (p, n) in X's dtype, with ``d_hat = tanh(X @ theta)`` (W_fit = theta[:n].T).
    """
    out_dtype = X.dtype
    dtype = default_dtype(X.device) if dtype is None else DTYPES.get(dtype, dtype)
    solve = default_solve(X.device) if solve is None else solve
    clock = ComputeClock(X.device)
    n = D.shape[1]
    n_rec = n if n_rec is None else n_rec
    clock.start()
    X, D = X.to(dtype), D.to(dtype)
    prep = prepare(X, l2, rho, solve)
    work = Workspace(D)
    theta = ridge_init(prep, D, X) if theta0 is None else theta0.to(dtype).clone()
    admm = rho > 0
    if admm:
        idx = torch.arange(n_rec, device=X.device)
        chi = theta.clone()
        chi[idx, idx] = 0.0
        v = torch.zeros_like(theta)
    t = clock.stop()
    if callback:
        callback(0, t, chi if admm else theta)
    for it in range(1, n_iter + 1):
        clock.start()
        new = cornn_step(prep, X, D, theta, threshold, work,
                         admm_target=(chi - v) if admm else None)
        if admm:
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
    return (chi if admm else theta).to(out_dtype)
