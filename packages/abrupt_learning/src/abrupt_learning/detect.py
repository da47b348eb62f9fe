"""Plateau / drop / geometric-restructuring detectors on logged curves.

All curves are indexed by evaluation interval ``k`` (the ``eval_every`` steps
ending at ``steps[k]``):

* ``loss`` -- the training loss averaged over the interval (a built-in
  smoothing), further smoothed by a running median of ``smooth`` intervals and
  taken in log10;
* ``geo`` -- Procrustes disparity between the probe trajectories at the two
  checkpoints that bound the interval (the rate of geometric change);
* ``probe`` -- the probe-batch loss at the interval's two ends, whose log ratio
  is the rate of loss decrease over the interval.

Drop: the first fast fall of the smoothed loss, i.e. the earliest end ``j`` of
a window ``[i, j]`` at most ``drop_frac`` of training wide over which the loss
falls by ``drop_factor`` (the narrowest such window ending at ``j``). The
earliest, not the narrowest anywhere: a network that has learned can spike
and recover later, and that recovery is not the escape from the plateau
(issue 25's pilot). Without such a window, the narrowest fall by
``drop_factor`` anywhere is kept for the figures and the run is not abrupt.
Plateau: from the end of the search phase (first interval whose loss is within
``plateau_tol`` decades of the plateau level, the median loss before the drop)
to the start of the drop; it must last at least as long as the drop. A run is
*abrupt* when both hold.

GR time: the interval of the largest geometric change between the end of the
search phase and the end of the drop, if it exceeds ``gr_factor`` times the
median change over that window (else no GR is detected). Drop time (for the
lead): the interval of the fastest probe-loss decrease in the same window.
Lead time = drop time - GR time (steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter


@dataclass(frozen=True, kw_only=True)
class DetectSpec:
    """The detection thresholds; no defaults: config/abrupt_learning.yaml (analyse.detect) sets them."""
    smooth: int                       # running median over this many intervals
    drop_factor: float                # a plateau then a >= drop_factor x drop
    drop_frac: float                  # the drop takes at most this fraction of training
    plateau_tol: float                # decades
    learn_thresh: float               # learned: normalised loss below this (R^2 > 0.9)
    gr_factor: float                  # GR peak >= this x the median geometric change


def smooth_log(loss, width: int) -> np.ndarray:
    """log10 of the running median (non-finite losses count as 1e3)."""
    x = np.where(np.isfinite(loss), np.asarray(loss, float), 1e3)
    x = median_filter(x, size=max(1, int(width)), mode="nearest") if width > 1 else x
    return np.log10(np.maximum(x, 1e-12))


def fastest_drop(s, decades: float):
    """``(i, j)`` of the narrowest window with ``s[j] <= s[i] - decades`` (earliest
    among the narrowest); ``None`` when the curve never falls that far."""
    s = np.asarray(s, float)
    n = len(s)
    ok = (s[None, :] <= s[:, None] - decades) & (np.arange(n)[None, :] > np.arange(n)[:, None])
    has = ok.any(axis=1)
    if not has.any():
        return None
    j = np.where(has, ok.argmax(axis=1), n + n)
    width = j - np.arange(n)
    i = int(np.argmin(width))
    return i, int(j[i])


def first_fast_drop(s, steps, decades: float, max_width: float):
    """``(i, j)``: the earliest ``j`` with some ``i < j``, ``steps[j] - steps[i] <= max_width``
    and ``s[j] <= s[i] - decades``, and the latest such ``i`` (the narrowest window ending at
    ``j``); ``None`` when there is none."""
    s, steps = np.asarray(s, float), np.asarray(steps, float)
    n = len(s)
    idx = np.arange(n)
    ok = ((s[:, None] - s[None, :] >= decades) & (idx[None, :] > idx[:, None])
          & (steps[None, :] - steps[:, None] <= max_width))
    cols = np.flatnonzero(ok.any(axis=0))
    if not cols.size:
        return None
    j = int(cols[0])
    return int(np.flatnonzero(ok[:, j])[-1]), j


def analyse_run(loss, geo, probe, steps, spec: DetectSpec, n_steps: int) -> dict:
    """Detect plateau, drop, GR and learning of one run (see the module docstring).

    ``loss``, ``geo``: per interval ``[K]``; ``probe``: at the ``K + 1``
    checkpoints; ``steps``: the step at the end of each interval ``[K]``."""
    steps = np.asarray(steps)
    s = smooth_log(loss, spec.smooth)
    out = {"final_loss": float(10 ** s[-1]), "learned": bool(s[-1] <= np.log10(spec.learn_thresh))}
    hit = np.flatnonzero(s <= np.log10(spec.learn_thresh))
    out["steps_to_learn"] = float(steps[hit[0]]) if hit.size else np.nan
    nan = {"drop_start": np.nan, "drop_end": np.nan, "drop_width": np.nan, "search_end": np.nan,
           "plateau_len": np.nan, "plateau_loss": np.nan, "abrupt": False, "drop_step": np.nan,
           "gr_step": np.nan, "gr_ratio": np.nan, "lead": np.nan}
    fast = first_fast_drop(s, steps, np.log10(spec.drop_factor), spec.drop_frac * n_steps)
    d = fast if fast is not None else fastest_drop(s, np.log10(spec.drop_factor))
    if d is None:
        return {**out, **nan}
    i, j = d
    level = float(np.median(s[: i + 1]))                  # the plateau's level (most of the time before the drop)
    p = int(np.flatnonzero(s <= max(level, s[i]) + spec.plateau_tol)[0])
    width = float(steps[j] - steps[i])
    plateau = float(steps[i] - steps[p])
    out.update(drop_start=float(steps[i]), drop_end=float(steps[j]), drop_width=width,
               search_end=float(steps[p]), plateau_len=plateau, plateau_loss=float(10 ** level),
               abrupt=bool(fast is not None and plateau >= width and plateau > 0))
    lo, hi = p, j + 1
    g = np.nan_to_num(np.asarray(geo, float)[lo:hi], nan=0.0)
    pr = np.log10(np.maximum(np.where(np.isfinite(probe), probe, 1e3), 1e-12))
    rate = (pr[:-1] - pr[1:])[lo:hi]
    k_drop = lo + int(np.argmax(rate))
    k_gr = lo + int(np.argmax(g))
    ratio = float(g.max() / max(np.median(g), 1e-12))
    out.update(drop_step=float(steps[k_drop]), gr_ratio=ratio)
    if ratio >= spec.gr_factor:
        out.update(gr_step=float(steps[k_gr]), lead=float(steps[k_drop] - steps[k_gr]))
    else:
        out.update(gr_step=np.nan, lead=np.nan)
    return out
