"""Analysis of the trained networks: each learned network's mechanism (the paper's FFT
classifier), slow points, limit cycle and sequential tiling (the index table), the tables
read back complete, and the paper's boundary estimator (onset / midpoint fits per learning
rate, the power law of the boundary) with the reduced model's boundary and theory."""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core

from . import task as tk
from . import theory
from .sweep import limit_xla_threads
from .task import TaskConfig

PARAM_KEYS = ("W", "W_in", "b_in", "b", "W_out", "b_out")   # rnn.PARAM_KEYS (rnn imports jax)


@dataclass(kw_only=True)
class AnalyseConfig:
    post_factor: int  # autonomous run of 9 x the trial length, cue at its start (paper)
    fft_radius: float
    fft_threshold: float
    fft_stride: int
    fft_similarity: str  # paper: row-wise Pearson of the top-2 PC projection; or "cosine"
    n_slow_starts: int
    slow_steps: int
    slow_lr: float
    q_tol: float
    tiling_bins: int
    min_tiling_delay: int
    task: TaskConfig  # the task section (the rule passes it)
    seed: int = 0


def autonomous_run(params, r0, spec: tk.TaskSpec, post_factor: int):
    """Rates ``[post_factor T, N]`` of one noiseless cue-0 trial continued with no
    input to ``post_factor`` times the trial length ``T`` (the paper's 9 T run)."""
    import jax.numpy as jnp

    from .rnn import run
    u, _, _ = tk.trial(spec, 0, spec.length * max(post_factor, 2))
    u = jnp.asarray(u)[None]
    rs, _ = run(params, r0, u, jnp.zeros((u.shape[1], 1, r0.shape[0])))
    return rs[0]


def analyse_networks(cfg: AnalyseConfig, data: dict) -> tuple[pd.DataFrame, dict]:
    """Mechanism, slow points, limit cycle and sequential activity of every
    learned network in ``data`` (the merged sweep arrays)."""
    limit_xla_threads()
    import jax
    import jax.numpy as jnp

    from . import dynamics as dyn

    n = len(data["lr"])
    rows = pd.DataFrame({"delay": data["delay"], "lr": data["lr"], "seed": data["seed"],
                         "n_epochs": data["n_epochs"], "learned": data["learned"].astype(bool),
                         "lost": data["lost"].astype(bool), "accuracy": data["accuracy"],
                         "reliability": data["reliability"], "final_loss": data["final_loss"],
                         "diverged": data["diverged"].astype(bool)})
    for c, v in [("fft_central", np.nan), ("mechanism", "none"), ("lc_detected", False),
                 ("lc_period", 0), ("slow_frac", np.nan), ("min_q", np.nan), ("tiling", np.nan)]:
        rows[c] = v
    examples, all_idx, all_starts = {}, [], []
    for d in repro_core.progress(sorted(set(int(x) for x in data["delay"])), desc="analyse"):
        idx = np.flatnonzero((data["delay"] == d) & data["learned"].astype(bool))
        if idx.size == 0:
            continue
        spec = cfg.task.spec(d)
        params = {k: jnp.asarray(data[k][idx]) for k in PARAM_KEYS}
        auto = jax.jit(jax.vmap(functools.partial(autonomous_run, spec=spec, post_factor=cfg.post_factor)))
        trajs = auto(params, jnp.asarray(data["r0"][idx]))
        frac, is_lc = jax.jit(jax.vmap(
            lambda t: dyn.fft_mechanism(t, cfg.fft_radius, cfg.fft_threshold, cfg.fft_similarity)))(
            trajs[:, ::cfg.fft_stride])
        rows.loc[idx, "fft_central"] = np.asarray(frac)
        rows.loc[idx, "mechanism"] = np.where(np.asarray(is_lc), "limit_cycle", "slow_point")
        T = np.asarray(trajs)
        # starting states for the q-minimisation: evenly along the delay
        t_starts = np.linspace(spec.cue, spec.resp_start, cfg.n_slow_starts).round().astype(int) - 1
        all_idx.append(idx)
        all_starts.append(T[:, t_starts])
        for j, i in enumerate(idx):
            ok, per = dyn.detect_limit_cycle(T[j, spec.length:])
            rows.loc[i, ["lc_detected", "lc_period"]] = [ok, per]
            if d >= cfg.min_tiling_delay:
                peaks = dyn.peak_times(T[j, :spec.resp_start + spec.resp], spec.cue, spec.resp_start)
                rows.loc[i, "tiling"] = dyn.tiling(peaks, spec.cue, spec.resp_start, cfg.tiling_bins)
        examples[d] = (int(idx[0]), T[0, :spec.length * 3])
    if all_idx:   # one vmapped q-minimisation over every learned network
        idx = np.concatenate(all_idx)
        params = {k: jnp.asarray(data[k][idx]) for k in PARAM_KEYS}
        slow = jax.vmap(lambda p, x0: dyn.find_slow_points(dyn.rnn_map(p), x0, cfg.slow_steps,
                                                           cfg.slow_lr)[1])
        q = np.asarray(slow(params, jnp.asarray(np.concatenate(all_starts))))
        rows.loc[idx, "slow_frac"] = (q < cfg.q_tol).mean(1)
        rows.loc[idx, "min_q"] = q.min(1)
    return rows, examples


def analyse(cfg: AnalyseConfig, nets: list[Path], index: Path, rasters: Path) -> None:
    """Merge the sweep's chunk files ``nets``, write the per-network index (CSV: one row
    per trained network, with the file and row holding its weights) and the
    example rasters."""
    files = [Path(p) for p in nets]
    if not files:
        raise ValueError("analyse: no nets given (the sweep's chunk files, --in nets=... per file)")
    parts = [repro_core.load_npz(f) for f in files]
    keys = [k for k in parts[0] if parts[0][k].ndim >= 1]
    data = {k: np.concatenate([p[k] for p in parts]) for k in keys}
    rows, examples = analyse_networks(cfg, data)
    rows.insert(0, "file", np.concatenate([[f.name] * len(p["lr"]) for f, p in zip(files, parts)]))
    rows.insert(1, "row", np.concatenate([np.arange(len(p["lr"])) for p in parts]))
    rows["delay_ms"] = rows["delay"] * cfg.task.dt_ms
    repro_core.save_csv(rows, index)
    arrs = {f"rates_d{d}": r for d, (_, r) in examples.items()}
    arrs.update({f"net_d{d}": np.int64(i) for d, (i, _) in examples.items()})
    # the grid the index covers (every delay x lr x seed the chunks hold), checked when it is read
    grid = {f"grid_{k}": np.unique(data[k]) for k in ("delay", "lr", "seed")}
    repro_core.save_npz(rasters, **arrs, **grid, cue=np.int32(cfg.task.cue), resp=np.int32(cfg.task.resp))


# ---------------------------------------------------------------- reading the tables
# Columns never empty (final_loss is not finite for a diverged network; the dynamics columns
# are empty for networks that did not learn).
INDEX_COLUMNS = ["file", "row", "delay", "lr", "seed", "n_epochs", "learned", "lost", "accuracy", "reliability",
                 "diverged",
                 "mechanism", "lc_detected", "lc_period", "delay_ms"]
INDEX_NULLABLE = ["final_loss", "fft_central", "slow_frac", "min_q", "tiling"]
BENCH_COLUMNS = ["method", "n_networks", "epochs", "seconds", "compile_seconds", "networks_per_second",
                 "n_hidden", "n_trials", "delay", "speedup", "speedup_incl_compile"]
BENCH_NULLABLE = ["max_rel_loss_diff"]   # empty without torch networks to compare
BENCH_GRID = {"method": ["jax vmap", "torch loop"]}


def lr_key(x) -> float:
    """A learning rate as the index stores it (float32, written as its shortest decimal)."""
    return float(str(np.float32(x)))


def index_grid(sweep: dict) -> dict:
    """The grid networks_index.csv covers, from the sweep config: every delay x lr x seed."""
    return {"delay": [int(d) for d in sweep["delays"]], "lr": [lr_key(x) for x in sweep["lrs"]],
            "seed": list(range(int(sweep["n_seeds"])))}


def read_index(path: Path, grid: dict | None = None) -> pd.DataFrame:
    """networks_index.csv through repro_core.read_table: required columns filled and a row for
    every network of ``grid`` ({delay, lr, seed: values}; None: the span of the table's own
    values). An incomplete table raises IncompleteTableError naming the file."""
    if grid is None:
        own = repro_core.read_table(path, INDEX_COLUMNS)
        grid = {k: sorted(own[k].unique().tolist()) for k in ("delay", "lr", "seed")}
    return repro_core.read_table(path, INDEX_COLUMNS, grid=grid, nullable=INDEX_NULLABLE)


def read_bench(path: Path) -> pd.DataFrame:
    """benchmark.csv through repro_core.read_table: one row per method, required columns filled."""
    return repro_core.read_table(path, BENCH_COLUMNS, grid=BENCH_GRID, nullable=BENCH_NULLABLE)



# ---------------------------------------------------------------- summaries
def success_table(index: pd.DataFrame) -> pd.DataFrame:
    """Fraction of learned networks per (delay, lr)."""
    return (index.groupby(["delay", "lr"])["learned"].mean().rename("p_learned").reset_index())


def boundary(index: pd.DataFrame) -> pd.DataFrame:
    """The no-learning boundary per delay: the geometric midpoint between the
    largest grid learning rate at which any network learned and the next one
    (nan when it learned even at the largest rate, or never)."""
    lrs = np.sort(index["lr"].unique())
    out = []
    for d, g in index.groupby("delay"):
        ok = g.groupby("lr")["learned"].any().reindex(lrs, fill_value=False).to_numpy()
        if not ok.any() or ok[-1]:
            eta, k = np.nan, (int(np.flatnonzero(ok)[-1]) if ok.any() else -1)
        else:
            k = int(np.flatnonzero(ok)[-1])
            eta = float(np.sqrt(lrs[k] * lrs[k + 1]))
        none_above = bool(ok.any() and not ok[k + 1:].any())
        out.append(dict(delay=int(d), eta_star=eta, largest_learned_lr=lrs[k] if k >= 0 else np.nan,
                        none_learned_above=none_above))
    return pd.DataFrame(out)


def fit_loglog(delays, etas):
    """OLS fit of log eta* on log delay: slope, its standard error, R^2, n."""
    from scipy import stats

    d, e = np.asarray(delays, float), np.asarray(etas, float)
    keep = np.isfinite(e) & (d > 0)
    if keep.sum() < 3 or np.ptp(d[keep]) == 0:
        return dict(slope=np.nan, stderr=np.nan, r2=np.nan, n=int(keep.sum()), intercept=np.nan)
    r = stats.linregress(np.log(d[keep]), np.log(e[keep]))
    return dict(slope=r.slope, stderr=r.stderr, r2=r.rvalue ** 2, n=int(keep.sum()), intercept=r.intercept)


# ---------------------------------------------------------------- the paper's boundary estimator
def exp_saturation(x, x0, a):
    """0 before the onset ``x0``, then ``1 - exp(-a (x - x0))`` (the paper's fit
    to the failed fraction against the delay)."""
    x = np.asarray(x, float)
    return np.where(x < x0, 0.0, 1.0 - np.exp(-a * (x - x0)))


def logistic(x, x0, k):
    """``1 / (1 + exp(-k (x - x0)))`` (the paper's fit to the slow-point fraction)."""
    from scipy.special import expit
    return expit(k * (np.asarray(x, float) - x0))


def best_fit(f, x, y, starts):
    """Least-squares fit of ``f`` from several starting points (the paper's
    ``curve_fit`` start among them); the parameters with the smallest residual."""
    from scipy.optimize import curve_fit

    best, best_sse = None, np.inf
    for p0 in starts:
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")          # OptimizeWarning: no covariance (unused)
                p, _ = curve_fit(f, x, y, p0=p0, maxfev=5000)
        except (RuntimeError, ValueError):
            continue
        sse = float(np.sum((f(x, *p) - y) ** 2))
        if np.all(np.isfinite(p)) and sse < best_sse:
            best, best_sse = p, sse
    return best


FIT_STARTS = ("paper", "grid")
PAPER_START = (0.1, 0.1)   # the authors' curve_fit p0 (plot_nopost.py), for both fits


def start_points(x, second, starts: str) -> list:
    """``paper``: the authors' single start; ``grid``: that start plus a grid of onsets/midpoints
    over the delays (the best least-squares fit wins)."""
    if starts not in FIT_STARTS:
        raise ValueError(f"fit starts must be one of {', '.join(FIT_STARTS)}, got {starts!r}")
    grid = [(x0, v) for x0 in np.linspace(x.min(), x.max(), 9) for v in second] if starts == "grid" else []
    return [PAPER_START] + grid


def onset(delay_ms, failed, min_max: float = 0.1, starts: str = "paper") -> float:
    """Onset ``x0`` (ms) of an exponential-saturation fit to the failed fraction
    against the delay; nan when the failed fraction never reaches ``min_max``
    (the paper skips that learning rate) or no fit converges."""
    x, y = np.asarray(delay_ms, float), np.asarray(failed, float)
    if not len(y) or y.max() < min_max:
        return np.nan
    p = best_fit(exp_saturation, x, y, start_points(x, (0.003, 0.03), starts))
    return float(p[0]) if p is not None else np.nan


def midpoint(delay_ms, frac, min_max: float = 0.1, starts: str = "paper") -> float:
    """Midpoint ``x0`` (ms) of a logistic fit to a fraction against the delay
    (the paper's slow-point boundary); nan when the fraction never reaches
    ``min_max`` or no fit converges."""
    x, y = np.asarray(delay_ms, float), np.asarray(frac, float)
    if not len(y) or y.max() < min_max:
        return np.nan
    p = best_fit(logistic, x, y, start_points(x, (-0.05, -0.01, 0.01), starts))
    return float(p[0]) if p is not None else np.nan


def boundary_points(index: pd.DataFrame, what: str = "failed", min_max: float = 0.1,
                    lr_min: float = 0.0, starts: str = "paper") -> pd.DataFrame:
    """Per learning rate (>= ``lr_min``): the failed fraction's onset
    (``what="failed"``, the no-solution boundary) or the slow-point fraction's
    midpoint (``what="slow_point"``: slow-point-manifold networks among all
    networks), in ms, against ``delay_ms``."""
    rows = []
    for lr, g in index.groupby("lr"):
        if lr < lr_min:
            continue
        per = g.groupby("delay_ms")
        if what == "failed":
            frac = 1.0 - per["learned"].mean()
            x0 = onset(frac.index.to_numpy(), frac.to_numpy(), min_max, starts)
        elif what == "slow_point":
            frac = per["mechanism"].apply(lambda m: float((m == "slow_point").mean()))
            x0 = midpoint(frac.index.to_numpy(), frac.to_numpy(), min_max, starts)
        else:
            raise ValueError(f"what must be failed or slow_point, got {what!r}")
        rows.append(dict(lr=float(lr), x0_ms=x0, max_fraction=float(frac.max())))
    return pd.DataFrame(rows, columns=["lr", "x0_ms", "max_fraction"])


def power_fit(lr, x0_ms, lo: float = 0.0, hi: float = np.inf) -> dict:
    """The paper's exponent: OLS of log lr on log x0 over ``x0 > 0`` and ``lo <= x0 <= hi`` ms
    (the authors' plot_nopost.py keeps every x0 > 0: ``lo = 0``, ``hi = inf``); slope, its
    standard error, R^2 and the number of learning rates used."""
    from scipy import stats

    lr, x0 = np.asarray(lr, float), np.asarray(x0_ms, float)
    keep = np.isfinite(x0) & (x0 > 0) & (x0 >= lo) & (x0 <= hi) & (lr > 0)
    if keep.sum() < 3 or np.ptp(x0[keep]) == 0:
        return dict(slope=np.nan, stderr=np.nan, r2=np.nan, n=int(keep.sum()), intercept=np.nan)
    r = stats.linregress(np.log(x0[keep]), np.log(lr[keep]))
    return dict(slope=float(r.slope), stderr=float(r.stderr), r2=float(r.rvalue ** 2), n=int(keep.sum()),
                intercept=float(r.intercept))


def theory_table(task: TaskConfig, delays, momentum: float, numeric: bool = True) -> pd.DataFrame:
    """The reduced model's closed-form eta*(delay) and (optionally) the GD stability
    edge found numerically on the exact reduced loss."""
    specs = [task.spec(d) for d in delays]
    df = pd.DataFrame({"delay": [s.delay for s in specs],
                       "eta_theory": [theory.critical_lr(s, momentum) for s in specs]})
    if numeric:
        df["eta_numeric"] = [theory.numeric_critical_lr(s, momentum) for s in specs]
    return df


def read_reduced(path: Path, section: dict) -> pd.DataFrame:
    """The reduced-model sweep (delay, lr, seed, learned), checked against its configured grid."""
    d = repro_core.load_npz(path)
    df = pd.DataFrame({k: d[k] for k in ("delay", "lr", "seed", "learned")})
    if section:
        want = {(int(a), lr_key(b), int(c)) for a in section["delays"] for b in section["lrs"]
                for c in range(int(section["n_seeds"]))}
        have = {(int(a), lr_key(b), int(c)) for a, b, c in zip(df["delay"], df["lr"], df["seed"])}
        if want - have:
            raise repro_core.IncompleteTableError(
                f"{path}: {len(want - have)} of {len(want)} networks of the reduced sweep missing")
    return df

