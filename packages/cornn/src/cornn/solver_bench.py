"""Speed of CORNN solver configurations on the same data, one process, one thread.

Configurations (every one runs the same algorithm: ridge initialisation in current space,
then ``n_iter`` weighted quasi-Newton iterations with outlier rejection):

* ``ours``: ``solver.fit_cornn`` (torch) with a precision and a solve --
  "cholesky" (A factorised once, each iteration solves with the factor),
  "inverse" (A^{-1} formed once, each iteration multiplies by it) or
  "xp" (A^{-1} X^T formed once, each iteration is ``Xm theta + Xp E``, the authors'
  formulation);
* ``numpy``: the same three solves written with numpy / scipy (OpenBLAS) arrays;
* ``authors_numpy``, ``authors_torch``: the two CPU-capable solvers of the authors'
  public code (CORNN-public, ``analysis/experiment1-random-with-init/utils.py``:
  ``solve_corrn``, numpy float64; ``solve_corrn_gpu``, torch, run here on the CPU in
  float32 as in their exp 1c script), re-implemented from what they compute: A^{-1} by
  ``inv``, ``Xp = A^{-1} X^T``, ``Xm = Xp X``, fresh arrays every iteration; the numpy one
  rescales each column by T / (T - #rejected), the torch one does not.

The clock is the process CPU time of the whole fit (casting the data to the precision,
factorising, initialising, iterating); building X and d from the rates is shared and not
timed. The weights' Pearson r with the true W is computed after the clock stops.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import scipy.linalg
import torch

from . import model, solver

NP_DTYPES = {"float32": np.float32, "float64": np.float64}


# ----------------------------------------------------------------------------- numpy solver
def fit_numpy(x, d, l2: float, threshold: float | None, n_iter: int, dtype: str = "float64",
              solve: str = "cholesky") -> np.ndarray:
    """CORNN with numpy / scipy arrays (the algorithm of ``solver.fit_cornn``, no ADMM)."""
    if solve not in solver.SOLVES:
        raise ValueError(f"solve must be one of {solver.SOLVES}, got {solve!r}")
    dt = NP_DTYPES[dtype]
    x = np.ascontiguousarray(x, dtype=dt)
    d = np.ascontiguousarray(d, dtype=dt)
    T, p = x.shape
    lam = l2 * T
    A = x.T @ x                       # numpy uses a symmetric rank-k update for X^T X
    A[np.diag_indices(p)] += lam
    fac = scipy.linalg.cho_factor(A, lower=True, check_finite=False)
    if solve == "cholesky":
        def inv(B):
            return scipy.linalg.cho_solve(fac, B, check_finite=False)
    else:
        Ainv = scipy.linalg.cho_solve(fac, np.eye(p, dtype=dt), check_finite=False)

        def inv(B):
            return Ainv @ B
    if solve == "xp":
        Xp = Ainv @ x.T
        Xm = np.eye(p, dtype=dt) - lam * Ainv
        theta = Xp @ np.arctanh(d)
    else:
        theta = inv(x.T @ np.arctanh(d))
    inv_w = 1.0 / (1.0 - d * d)
    E = np.empty_like(d)
    for _ in range(n_iter):
        np.matmul(x, theta, out=E)
        np.tanh(E, out=E)
        np.subtract(d, E, out=E)
        E *= inv_w
        scale = None
        if threshold is not None:
            keep = np.abs(E) <= threshold
            scale = (T / np.maximum(np.count_nonzero(keep, axis=0), 1)).astype(dt)
            E *= keep
        if solve == "xp":
            new = Xp @ E
            if scale is not None:
                new *= scale
            new += Xm @ theta
            theta = new
        else:
            g = x.T @ E
            if scale is not None:
                g *= scale
            g -= lam * theta
            theta = theta + inv(g)
    return theta


# ----------------------------------------------------------------------------- authors' recipes
def fit_authors_numpy(x, d, l2: float, threshold: float, n_iter: int) -> np.ndarray:
    """What the authors' ``solve_corrn`` computes (numpy, float64, A^{-1} by inv, fresh
    arrays every iteration, rejected entries' columns rescaled)."""
    x = np.asarray(x, dtype=np.float64)
    d = np.asarray(d, dtype=np.float64)
    T = x.shape[0]
    A = x.T @ x + l2 * T * np.diag(np.ones(x.shape[1]))
    Ainv = np.linalg.inv(A)
    Xp = Ainv @ x.T
    Xm = Xp @ x
    theta = Xp @ np.arctanh(d)
    for _ in range(n_iter):
        E = (d - np.tanh(x @ theta)) / (1 - d ** 2)
        big = np.abs(E) > threshold
        scale = T / (T - np.sum(big, 0))
        E[big] = 0
        E = E * scale
        theta = Xm @ theta + Xp @ E
    return theta


def fit_authors_torch(x, d, l2: float, threshold: float, n_iter: int,
                      dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """What the authors' ``solve_corrn_gpu`` computes (torch, float32 as in their exp 1c
    script, A^{-1} by inv, rejected entries zeroed without rescaling), on the CPU."""
    x = torch.as_tensor(np.asarray(x), dtype=dtype)
    d = torch.as_tensor(np.asarray(d), dtype=dtype)
    T, p = x.shape
    A = x.T @ x + torch.eye(p, dtype=dtype) * (l2 * T)
    Ainv = torch.linalg.inv(A)
    Xp = Ainv @ x.T
    Xm = Xp @ x
    theta = Xp @ torch.arctanh(d)
    for _ in range(n_iter):
        E = (d - torch.tanh(x @ theta)) / (1 - d ** 2)
        E[E.abs() > threshold] = 0
        theta = Xm @ theta + Xp @ E
    return theta


# ----------------------------------------------------------------------------- the grid
def configurations() -> list[dict]:
    """Every configuration of the benchmark: (name, backend, dtype, solve)."""
    out = []
    for backend in ("torch", "numpy"):
        for dtype in ("float64", "float32"):
            for solve in solver.SOLVES:
                out.append({"config": f"{backend}_{dtype}_{solve}", "backend": backend,
                            "dtype": dtype, "solve": solve})
    out.append({"config": "authors_numpy", "backend": "numpy", "dtype": "float64", "solve": "xp"})
    out.append({"config": "authors_torch", "backend": "torch", "dtype": "float32", "solve": "xp"})
    return out


def run_config(cfg: dict, x: np.ndarray, d: np.ndarray, l2: float, threshold: float,
               n_iter: int) -> tuple[float, np.ndarray]:
    """One timed fit; returns (CPU seconds, theta as float64 numpy)."""
    name = cfg["config"]
    if cfg["backend"] == "torch" and not name.startswith("authors"):
        X, D = torch.as_tensor(x), torch.as_tensor(d)      # float64, as the fit stage passes them
    t0 = time.process_time()
    if name == "authors_numpy":
        theta = fit_authors_numpy(x, d, l2, threshold, n_iter)
    elif name == "authors_torch":
        theta = fit_authors_torch(x, d, l2, threshold, n_iter)
    elif cfg["backend"] == "numpy":
        theta = fit_numpy(x, d, l2, threshold, n_iter, cfg["dtype"], cfg["solve"])
    else:
        theta = solver.fit_cornn(X, D, l2=l2, threshold=threshold, n_iter=n_iter,
                                 dtype=cfg["dtype"], solve=cfg["solve"])
    secs = time.process_time() - t0
    theta = theta.double().numpy() if isinstance(theta, torch.Tensor) else np.asarray(theta, float)
    return secs, theta


def bench_dataset(name: str, W: np.ndarray, r: np.ndarray, alpha: float, l2: float,
                  threshold: float, n_iter: int, repeats: int, configs: list[dict],
                  progress=None) -> pd.DataFrame:
    """Time every configuration ``repeats`` times (interleaved: repeat k of every
    configuration before repeat k + 1 of any) after one untimed warm-up fit on a slice."""
    x, d = model.design(r, None, alpha)
    n = W.shape[0]
    for cfg in configs:                                  # warm-up: libraries, allocator
        run_config(cfg, x[:256], d[:256], l2, threshold, 2)
    times = {c["config"]: [] for c in configs}
    rs = {}
    steps = [(k, c) for k in range(repeats) for c in configs]
    for k, cfg in (progress(steps, desc=f"solver bench {name}") if progress else steps):
        secs, theta = run_config(cfg, x, d, l2, threshold, n_iter)
        times[cfg["config"]].append(secs)
        if k == 0:
            rs[cfg["config"]] = model.weight_metrics(W, theta[:n].T)["r"]
    rows = []
    for cfg in configs:
        t = np.asarray(times[cfg["config"]])
        rows.append({"dataset": name, "n": n, "T": x.shape[0], "iterations": n_iter,
                     "threshold": threshold, **cfg, "repeats": len(t),
                     "time_s": float(np.median(t)), "time_min_s": float(t.min()),
                     "time_max_s": float(t.max()), "r": rs[cfg["config"]]})
    return pd.DataFrame(rows)


def summarize(table: pd.DataFrame, default: dict) -> pd.DataFrame:
    """Add, per data set: r minus the float64 r of the same backend and solve, time over
    the fastest of the authors' two solvers and over ours in float64 (the previous
    default: torch, float64, "xp"), and which row is the default configuration."""
    out = []
    for _, g in table.groupby("dataset", sort=False):
        g = g.copy()
        authors = g[g["config"].str.startswith("authors")]
        best = authors.loc[authors["time_s"].idxmin()]
        ref64 = {(b, s): r for b, s, r, dt, c in
                 zip(g["backend"], g["solve"], g["r"], g["dtype"], g["config"])
                 if dt == "float64" and not c.startswith("authors")}
        g["r_minus_float64"] = [r - ref64.get((b, s), np.nan) if not c.startswith("authors")
                                else np.nan for b, s, r, c in
                                zip(g["backend"], g["solve"], g["r"], g["config"])]
        g["authors_fastest"] = best["config"]
        g["r_minus_authors_fastest"] = g["r"] - best["r"]
        g["time_over_authors_fastest"] = g["time_s"] / best["time_s"]
        prev = g[g["config"] == "torch_float64_xp"]["time_s"]
        g["time_over_previous"] = g["time_s"] / float(prev.iloc[0]) if len(prev) else np.nan
        g["is_default"] = g["config"] == f"torch_{default['dtype']}_{default['solve']}"
        out.append(g)
    return pd.concat(out, ignore_index=True)
