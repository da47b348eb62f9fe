"""Command-line stages: sweep (per delay chunk) -> analyse -> benchmark ->
figures -> claims. See README.md for what each writes."""

from __future__ import annotations

import functools
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage

from . import task as tk
from . import theory

PARAM_KEYS = ("W", "W_in", "b_in", "b", "W_out", "b_out")   # rnn.PARAM_KEYS (rnn imports jax)



def _limit_xla_threads() -> None:
    """Keep XLA's CPU thread pool to the stage's ``--threads`` (the CLI sets OMP_NUM_THREADS
    from it; XLA ignores that variable): two 1-thread sweep jobs on 2 cores then do not
    oversubscribe them. Must run before jax starts its backend."""
    import os

    n = os.environ.get("OMP_NUM_THREADS")
    if n and n.isdigit() and "intra_op_parallelism_threads" not in os.environ.get("XLA_FLAGS", ""):
        extra = f"--xla_cpu_multi_thread_eigen={'false' if n == '1' else 'true'} intra_op_parallelism_threads={n}"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + extra).strip()


@dataclass
class TaskConfig:
    dt_ms: float = 5.0
    cue: int = 6
    resp: int = 10
    post: int = 0
    off_weight: float = 10.0

    def spec(self, delay: int) -> tk.TaskSpec:
        return tk.TaskSpec(cue=self.cue, delay=int(delay), resp=self.resp, post=self.post,
                           off_weight=self.off_weight)


@dataclass
class SweepConfig:
    delays: list = field(default_factory=lambda: [4, 8, 16])   # in steps of dt_ms
    lrs: list = field(default_factory=lambda: [0.1, 0.3, 1.0])
    n_seeds: int = 2
    n_hidden: int = 100
    n_trials: int = 128
    epochs: int = 1000             # at least this many epochs ...
    epochs_lr: float = 30.0        # ... and epochs_lr / lr (paper: max(1000, 30 / lr)); 0: epochs only
    segment: int = 250             # epochs per compiled program call (a network stops at its own count)
    len_bucket: int = 16           # trials padded to a multiple of this many steps (few compiled shapes)
    model: str = "paper"           # "paper" | "reduced" (rnn.py)
    criterion: str = "paper"       # "paper" | "trial" (rnn.py)
    resample_r0: bool = True
    momentum: float = 0.9
    weight_decay: float = 1e-7
    noise: float = 1e-3
    vmap_size: int = 256
    n_chunks: int = 1
    chunk: int = 0
    task: TaskConfig = field(default_factory=TaskConfig)
    seed: int = 0


def chunk_delays(delays, n_chunks: int, chunk: int) -> list[int]:
    """Delays of one chunk (interleaved, so chunks cost about the same)."""
    if not 0 <= chunk < n_chunks:
        raise ValueError(f"chunk {chunk} out of range for n_chunks={n_chunks}")
    return [int(d) for d in sorted(delays)[chunk::n_chunks]]


def n_epochs(lr: float, epochs: int, epochs_lr: float) -> int:
    """Epochs of a network trained at ``lr``: ``int(max(epochs, epochs_lr / lr))``
    (the paper's ``int(max(1e3, 30 / lr))``)."""
    return int(max(epochs, epochs_lr / lr if epochs_lr > 0 else 0))


def _bucket(length: int, b: int) -> int:
    return int(-(-length // b) * b)


def _train_spec(cfg: SweepConfig, epochs: int | None = None):
    from .rnn import TrainSpec
    longest = max(cfg.task.spec(d).length for d in cfg.delays)
    return TrainSpec(n_hidden=cfg.n_hidden, epochs=cfg.segment if epochs is None else epochs,
                     momentum=cfg.momentum, weight_decay=cfg.weight_decay, noise=cfg.noise,
                     noise_len=_bucket(longest, cfg.len_bucket), model=cfg.model, criterion=cfg.criterion,
                     resample_r0=cfg.resample_r0)


def _task_arrays(cfg: SweepConfig, delays_of_nets):
    """Per-network task dict padded to the batch's longest trial (rounded up to
    ``len_bucket`` steps)."""
    uniq = sorted(set(int(d) for d in delays_of_nets))
    specs = [cfg.task.spec(d) for d in uniq]
    L = _bucket(max(s.length for s in specs), cfg.len_bucket)
    parts = [tk.batch(s, cfg.n_trials, L) for s in specs]
    u, y, w, cues, m = (np.stack(a) for a in zip(*parts))
    st = dict(u=u, y=y, w=w, cues=cues, m=m, pre=np.array([s.resp_start for s in specs], np.int32),
              resp=np.array([s.resp for s in specs], np.int32),
              length=np.array([s.length for s in specs], np.int32))
    pos = np.searchsorted(uniq, delays_of_nets)
    return {k: v[pos] for k, v in st.items()}


def batch_size(group: int, vmap_size: int) -> int:
    """Networks per vmapped batch for a group of ``group`` networks with the same epoch
    count: as even as possible with at most ``vmap_size`` (a group never shares a batch, so
    no network trains longer than its own count, and padding stays below one per batch)."""
    nb = -(-group // vmap_size)
    return -(-group // nb)


def epoch_batches(ep, vmap_size: int) -> list[slice]:
    """Slices of the grid (sorted by epoch count) into batches of one epoch count each."""
    ep = np.asarray(ep)
    out, i = [], 0
    while i < len(ep):
        g = int(np.sum(ep == ep[i]))
        size = batch_size(g, vmap_size)
        out += [slice(j, min(j + size, i + g)) for j in range(i, i + g, size)]
        i += g
    return out


SUMMARY_KEYS = ("accuracy", "reliability", "learned", "lost", "final_loss", "diverged", "loss_curve")


def sweep(cfg: SweepConfig, nets: Path) -> None:
    """Train every (seed, learning rate, delay) network of one delay chunk,
    ``vmap_size`` networks per vmapped program (grouped by epoch count, then
    delay), ``segment`` epochs per call; checkpoint after each batch."""
    _limit_xla_threads()
    import jax.numpy as jnp

    from . import rnn

    spec = _train_spec(cfg)
    delays = chunk_delays(cfg.delays, cfg.n_chunks, cfg.chunk)
    grid = [(n_epochs(float(lr), cfg.epochs, cfg.epochs_lr), d, float(lr), s)
            for d in delays for lr in cfg.lrs for s in range(cfg.n_seeds)]
    if not grid:
        raise ValueError(f"chunk {cfg.chunk} has no networks (delays {cfg.delays}, lrs {cfg.lrs})")
    grid.sort(key=lambda g: (-g[0], g[1], g[2], g[3]))       # long trainings first, then by delay
    EP = np.array([g[0] for g in grid], np.int32)
    D = np.array([g[1] for g in grid], np.int32)
    LR = np.array([g[2] for g in grid], np.float32)
    S = np.array([g[3] for g in grid], np.int32)
    ckpt = Path(f"{nets}.ckpt.npz")
    done = repro_core.load_npz(ckpt) if ckpt.exists() else {}
    n_done = len(done.get("lr", []))
    segment = rnn.make_segment_trainer(spec)
    init_keys, noise_key = rnn.network_keys(cfg.seed, S)
    batches = epoch_batches(EP, cfg.vmap_size)
    for b in repro_core.progress(batches, desc=f"sweep chunk {cfg.chunk}"):
        if b.start < n_done:
            continue
        n = b.stop - b.start
        size = batch_size(int(np.sum(EP == EP[b.start])), cfg.vmap_size)
        idx = np.r_[np.arange(b.start, b.stop), np.full(size - n, b.start)]   # few distinct shapes
        task = {k: jnp.asarray(v) for k, v in _task_arrays(cfg, D[idx]).items()}
        params, r0 = rnn.init_networks(init_keys[idx], cfg.n_hidden, cfg.model)
        opt = rnn.init_opt_state(spec, params)
        lr, ep = jnp.asarray(LR[idx]), jnp.asarray(EP[idx])
        rec = []
        for k0 in range(0, int(EP[b].max()), cfg.segment):
            params, opt, *m = segment(params, opt, r0, lr, ep, k0, noise_key, task)
            rec.append([np.asarray(a)[:n] for a in m])
        losses, accs, rels = (np.concatenate([r[j] for r in rec], 1) for j in range(3))
        out = {k: np.asarray(params[k])[:n] for k in rnn.PARAM_KEYS}
        summ = {k: [] for k in SUMMARY_KEYS}
        for i in range(n):                       # each network judged over its own epochs
            E = int(EP[b.start + i])
            sm = rnn.summarise(_train_spec(cfg, E), losses[i:i + 1, :E], accs[i:i + 1, :E], rels[i:i + 1, :E])
            for k in SUMMARY_KEYS:
                summ[k].append(np.asarray(sm[k])[0])
        out.update(r0=np.asarray(r0)[:n], delay=D[b], lr=LR[b], seed=S[b], n_epochs=EP[b],
                   **{k: np.stack(v) for k, v in summ.items()})
        done = out if not done else {k: np.concatenate([done[k], out[k]]) for k in out}
        repro_core.save_npz(ckpt, **done)
    repro_core.save_npz(nets, **done, n_hidden=np.int32(cfg.n_hidden), dt_ms=np.float32(cfg.task.dt_ms))
    ckpt.unlink(missing_ok=True)


@dataclass
class AnalyseConfig:
    post_factor: int = 9          # autonomous run of 9 x the trial length, cue at its start (paper)
    fft_radius: float = 3.0
    fft_threshold: float = 0.5
    fft_stride: int = 1
    fft_similarity: str = "corrcoef"   # paper: row-wise Pearson of the top-2 PC projection; or "cosine"
    n_slow_starts: int = 6
    slow_steps: int = 500
    slow_lr: float = 0.01
    q_tol: float = 1e-6
    tiling_bins: int = 10
    min_tiling_delay: int = 4
    nets: list = field(default_factory=list)   # the sweep's chunk files (the rule passes them)
    task: TaskConfig = field(default_factory=TaskConfig)
    seed: int = 0


def _autonomous(params, r0, spec: tk.TaskSpec, post_factor: int):
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
    _limit_xla_threads()
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
        auto = jax.jit(jax.vmap(functools.partial(_autonomous, spec=spec, post_factor=cfg.post_factor)))
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


def analyse(cfg: AnalyseConfig, index: Path, rasters: Path) -> None:
    """Merge the chunks ``cfg.nets``, write the per-network index (CSV: one row
    per trained network, with the file and row holding its weights) and the
    example rasters."""
    files = [Path(p) for p in cfg.nets]
    if not files:
        raise ValueError("analyse.nets is empty: give the sweep's chunk files")
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


def _lr(x) -> float:
    """A learning rate as the index stores it (float32, written as its shortest decimal)."""
    return float(str(np.float32(x)))


def index_grid(sweep: dict) -> dict:
    """The grid networks_index.csv covers, from the sweep config: every delay x lr x seed."""
    return {"delay": [int(d) for d in sweep["delays"]], "lr": [_lr(x) for x in sweep["lrs"]],
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


# ---------------------------------------------------------------- benchmark
@dataclass
class BenchmarkConfig:
    n_networks: int = 256
    n_torch: int = 4
    epochs: int = 50
    delay: int = 20
    lr: float = 0.1
    n_hidden: int = 100
    n_trials: int = 128
    model: str = "paper"
    task: TaskConfig = field(default_factory=TaskConfig)
    seed: int = 0


def benchmark(cfg: BenchmarkConfig, bench: Path) -> None:
    """Networks trained per second: one vmapped jax program vs a per-network
    torch loop, on the same networks (same init, lr, task; noise off)."""
    _limit_xla_threads()
    import jax
    import jax.numpy as jnp

    from . import rnn
    from .torch_ref import train_torch

    spec = rnn.TrainSpec(n_hidden=cfg.n_hidden, epochs=cfg.epochs, noise=0.0, model=cfg.model,
                         resample_r0=False)   # fixed start rates: both implementations see the same trials
    st = tk.stacked([cfg.task.spec(cfg.delay)], cfg.n_trials)
    task = {k: jnp.asarray(np.repeat(v, cfg.n_networks, 0)) for k, v in st.items()}
    ik, nk = rnn.network_keys(cfg.seed, np.arange(cfg.n_networks))
    lr = jnp.full(cfg.n_networks, cfg.lr, jnp.float32)
    params, r0 = rnn.init_networks(ik, cfg.n_hidden, cfg.model)
    trainer = rnn.make_batched_trainer(spec)
    t0 = time.perf_counter()
    jax.block_until_ready(trainer.lower(params, r0, lr, nk, task).compile())
    t_compile = time.perf_counter() - t0
    t0 = time.perf_counter()
    _, losses, _, _ = jax.block_until_ready(trainer(params, r0, lr, nk, task))
    t_jax = time.perf_counter() - t0
    one = {k: v[0] for k, v in st.items()}
    nets = [({k: np.asarray(v[i]) for k, v in params.items()}, np.asarray(r0[i])) for i in range(cfg.n_torch)]
    import torch
    torch.set_num_threads(1)   # tiny matrices: one thread is torch's fastest setting (no sync overhead)
    train_torch(*nets[0], cfg.lr, one, 1, model=cfg.model)   # warm-up (lazy initialisation), not timed
    t0 = time.perf_counter()
    diffs = []
    for i, (p_i, r_i) in enumerate(nets):
        _, tl = train_torch(p_i, r_i, cfg.lr, one, cfg.epochs, model=cfg.model)
        jl = np.asarray(losses[i])
        diffs.append(float(np.max(np.abs(tl - jl) / np.maximum(np.abs(jl), 1e-8))))
    t_torch = time.perf_counter() - t0
    rate_jax, rate_torch = cfg.n_networks / t_jax, cfg.n_torch / t_torch
    df = pd.DataFrame([
        dict(method="jax vmap", n_networks=cfg.n_networks, epochs=cfg.epochs, seconds=t_jax,
             compile_seconds=t_compile, networks_per_second=rate_jax),
        dict(method="torch loop", n_networks=cfg.n_torch, epochs=cfg.epochs, seconds=t_torch,
             compile_seconds=0.0, networks_per_second=rate_torch)])
    df["n_hidden"], df["n_trials"], df["delay"] = cfg.n_hidden, cfg.n_trials, cfg.delay
    df["speedup"] = rate_jax / rate_torch
    df["speedup_incl_compile"] = (cfg.n_networks / (t_jax + t_compile)) / rate_torch
    df["max_rel_loss_diff"] = max(diffs) if diffs else np.nan
    repro_core.save_csv(df, bench)


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


def _best_fit(f, x, y, starts):
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


def onset(delay_ms, failed, min_max: float = 0.1) -> float:
    """Onset ``x0`` (ms) of an exponential-saturation fit to the failed fraction
    against the delay; nan when the failed fraction never reaches ``min_max``
    (the paper skips that learning rate) or no fit converges."""
    x, y = np.asarray(delay_ms, float), np.asarray(failed, float)
    if not len(y) or y.max() < min_max:
        return np.nan
    starts = [(0.1, 0.1)] + [(x0, a) for x0 in np.linspace(x.min(), x.max(), 9) for a in (0.003, 0.03)]
    p = _best_fit(exp_saturation, x, y, starts)
    return float(p[0]) if p is not None else np.nan


def midpoint(delay_ms, frac, min_max: float = 0.1) -> float:
    """Midpoint ``x0`` (ms) of a logistic fit to a fraction against the delay
    (the paper's slow-point boundary); nan when the fraction never reaches
    ``min_max`` or no fit converges."""
    x, y = np.asarray(delay_ms, float), np.asarray(frac, float)
    if not len(y) or y.max() < min_max:
        return np.nan
    starts = [(0.1, 0.1)] + [(x0, k) for x0 in np.linspace(x.min(), x.max(), 9) for k in (-0.05, -0.01, 0.01)]
    p = _best_fit(logistic, x, y, starts)
    return float(p[0]) if p is not None else np.nan


def boundary_points(index: pd.DataFrame, what: str = "failed", min_max: float = 0.1,
                    lr_min: float = 0.0) -> pd.DataFrame:
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
            x0 = onset(frac.index.to_numpy(), frac.to_numpy(), min_max)
        elif what == "slow_point":
            frac = per["mechanism"].apply(lambda m: float((m == "slow_point").mean()))
            x0 = midpoint(frac.index.to_numpy(), frac.to_numpy(), min_max)
        else:
            raise ValueError(f"what must be failed or slow_point, got {what!r}")
        rows.append(dict(lr=float(lr), x0_ms=x0, max_fraction=float(frac.max())))
    return pd.DataFrame(rows, columns=["lr", "x0_ms", "max_fraction"])


def power_fit(lr, x0_ms, lo: float = 30.0, hi: float = 300.0) -> dict:
    """The paper's exponent: OLS of log lr on log x0 over ``lo <= x0 <= hi`` ms;
    slope, its standard error, R^2 and the number of learning rates used."""
    from scipy import stats

    lr, x0 = np.asarray(lr, float), np.asarray(x0_ms, float)
    keep = np.isfinite(x0) & (x0 >= lo) & (x0 <= hi) & (lr > 0)
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


# ---------------------------------------------------------------- figures
@dataclass
class FiguresConfig:
    task: TaskConfig = field(default_factory=TaskConfig)
    momentum: float = 0.9
    min_fraction: float = 0.1      # the paper skips a learning rate whose fraction stays below this
    x0_lo_ms: float = 30.0         # the paper's fit window of the boundary (ms)
    x0_hi_ms: float = 300.0
    sp_lr_min: float = 0.0         # slow-point boundary: learning rates from this one up
    sweep: dict = field(default_factory=dict)   # the sweep section: the index's grid (else rasters.npz's)
    seed: int = 0


def figures(cfg: FiguresConfig, index: Path, rasters: Path, bench: Path, fig_phase: Path,
            fig_mechanism: Path, fig_rasters: Path, fig_bench: Path) -> None:
    import seaborn as sns

    from repro_core.plotting import subplots

    ras = repro_core.load_npz(rasters)
    grid = (index_grid(cfg.sweep) if cfg.sweep else
            {k: ras[f"grid_{k}"].tolist() for k in ("delay", "lr", "seed")} if "grid_lr" in ras else None)
    if grid is not None:
        grid["lr"] = [_lr(x) for x in grid["lr"]]
    idx = read_index(index, grid)
    b = read_bench(bench)
    succ = success_table(idx)
    delays = sorted(idx["delay"].unique())
    ns = boundary_points(idx, "failed", cfg.min_fraction)
    sp = boundary_points(idx, "slow_point", cfg.min_fraction, cfg.sp_lr_min)
    fit = power_fit(ns["lr"], ns["x0_ms"], cfg.x0_lo_ms, cfg.x0_hi_ms)

    fig, ax = subplots(1, 1, 5.2, 4.0)
    ax = ax[0, 0]
    piv = succ.pivot(index="lr", columns="delay", values="p_learned").sort_index(ascending=False)
    lrs = piv.index.to_numpy()
    ax.imshow(piv.to_numpy(), aspect="auto", cmap="viridis", vmin=0, vmax=1,
              extent=(-0.5, len(delays) - 0.5, -0.5, len(lrs) - 0.5))
    sm = ax.images[0]
    fig.colorbar(sm, ax=ax, label="P(learned)")
    ax.set_xticks(range(len(delays)), [f"{d * cfg.task.dt_ms:g}" for d in delays], rotation=60)
    ax.set_yticks(range(len(lrs)), [f"{x:.3g}" for x in lrs[::-1]])
    lr_pos = lambda e: np.interp(np.log(e), np.log(lrs[::-1]), np.arange(len(lrs)))  # noqa: E731
    d_pos = lambda ms: np.interp(ms, np.asarray(delays, float) * cfg.task.dt_ms, np.arange(len(delays)))  # noqa: E731
    for pts, mk, lab in ((ns, "wo", f"failure onset x0 (slope {fit['slope']:.2f} +- {fit['stderr']:.2f})"),
                         (sp, "r^", "slow-point midpoint")):
        ok = pts.dropna(subset=["x0_ms"])
        if len(ok):
            ax.plot(d_pos(ok["x0_ms"].to_numpy()), lr_pos(ok["lr"].to_numpy()), mk, ms=5, label=lab)
    if np.isfinite(fit["slope"]):
        xx = np.linspace(cfg.x0_lo_ms, cfg.x0_hi_ms, 50)
        yy = np.exp(fit["intercept"]) * xx ** fit["slope"]
        inside = (yy >= lrs.min()) & (yy <= lrs.max())
        ax.plot(d_pos(xx[inside]), lr_pos(yy[inside]), "w--", lw=1)
    ax.set_xlabel("delay (ms)")
    ax.set_ylabel("learning rate")
    ax.legend(loc="lower left", fontsize=7, frameon=True)
    ax.set_title("Learned fraction over (lr, delay)")
    repro_core.save_figure(fig, fig_phase)

    fig, ax = subplots(1, 2, 4.2, 3.4)
    lea = idx[idx["learned"]]
    mech = (lea.groupby("delay")["mechanism"].apply(lambda m: (m == "limit_cycle").mean())
            .rename("limit_cycle").reset_index())
    mech["slow_point"] = 1 - mech["limit_cycle"]
    mech["delay_ms"] = mech["delay"] * cfg.task.dt_ms
    ax[0, 0].plot(mech["delay_ms"], mech["limit_cycle"], "o-", label="limit cycle")
    ax[0, 0].plot(mech["delay_ms"], mech["slow_point"], "s-", label="slow-point manifold")
    ax[0, 0].set(xlabel="delay (ms)", ylabel="fraction of learned networks", ylim=(-0.05, 1.05),
                 title="Mechanism vs delay")
    ax[0, 0].legend()
    nl = idx.groupby(["delay", "lr"])["learned"].mean().reset_index()
    nl["not learned"] = 1 - nl["learned"]
    nl["delay (ms)"] = nl["delay"] * cfg.task.dt_ms
    lr_order = [f"{x:.3g}" for x in sorted(nl["lr"].unique())]
    nl["lr"] = nl["lr"].map(lambda x: f"{x:.3g}")
    sns.lineplot(nl, x="delay (ms)", y="not learned", hue="lr", hue_order=lr_order, ax=ax[0, 1],
                 palette="viridis", marker="o", legend="full")
    ax[0, 1].set(title="Not-learned fraction", ylim=(-0.05, 1.05))
    ax[0, 1].legend(title="lr", fontsize=6, ncol=2)
    repro_core.save_figure(fig, fig_mechanism)

    keys = sorted((int(k[7:]) for k in ras if k.startswith("rates_d")))
    show = keys if len(keys) <= 3 else [keys[0], keys[len(keys) // 2], keys[-1]]
    fig, ax = subplots(1, max(1, len(show)), 3.6, 3.4)
    for j, d in enumerate(show):
        r = ras[f"rates_d{d}"]
        spec = cfg.task.spec(d)
        win = r[:spec.length]
        z = (win - win.min(0)) / np.maximum(win.max(0) - win.min(0), 1e-9)
        order = np.argsort(z.argmax(0))
        a = ax[0, j]
        a.imshow(z[:, order].T, aspect="auto", cmap="magma", interpolation="nearest")
        for t in (spec.cue - 0.5, spec.resp_start - 0.5):
            a.axvline(t, color="c", lw=1)
        a.set(title=f"delay {d * cfg.task.dt_ms:g} ms", xlabel="time step", ylabel="neuron (by peak)")
    if not show:
        ax[0, 0].text(0.5, 0.5, "no learned network", ha="center")
    repro_core.save_figure(fig, fig_rasters)

    fig, ax = subplots(1, 1, 4.2, 3.2)
    sns.barplot(b, x="method", y="networks_per_second", ax=ax[0, 0], hue="method", legend=False)
    ax[0, 0].set(yscale="log", ylabel="networks trained per second",
                 title=f"speed-up {b['speedup'].iloc[0]:.1f}x ({int(b['epochs'].iloc[0])} epochs)")
    repro_core.save_figure(fig, fig_bench)


# ---------------------------------------------------------------- claims
@dataclass
class ClaimsConfig:
    task: TaskConfig = field(default_factory=TaskConfig)
    momentum: float = 0.9
    min_learned_per_delay: int = 3
    min_tiling_delay: int = 4
    min_fraction: float = 0.1      # the paper skips a learning rate whose fraction stays below this
    x0_lo_ms: float = 30.0         # the paper's fit window of the boundary (ms)
    x0_hi_ms: float = 300.0
    sp_lr_min: float = 0.005       # slow-point boundary over the paper's 25 largest lrs (>= 0.0052)
    scale: str = "quick"
    # the config's sweep section (delays, lrs, n_seeds): the grid networks_index.csv must cover;
    # empty: every combination of the delays, lrs and seeds the table itself holds
    sweep: dict = field(default_factory=dict)
    # the reduced-model sweep's section (its task, delays, lrs, n_seeds): the grid of ``reduced``
    reduced: dict = field(default_factory=dict)
    seed: int = 0


def read_reduced(path: Path, section: dict) -> pd.DataFrame:
    """The reduced-model sweep (delay, lr, seed, learned), checked against its configured grid."""
    d = repro_core.load_npz(path)
    df = pd.DataFrame({k: d[k] for k in ("delay", "lr", "seed", "learned")})
    if section:
        want = {(int(a), _lr(b), int(c)) for a in section["delays"] for b in section["lrs"]
                for c in range(int(section["n_seeds"]))}
        have = {(int(a), _lr(b), int(c)) for a, b, c in zip(df["delay"], df["lr"], df["seed"])}
        if want - have:
            raise repro_core.IncompleteTableError(
                f"{path}: {len(want - have)} of {len(want)} networks of the reduced sweep missing")
    return df


def claims_context(cfg: ClaimsConfig, index: Path, bench: Path, reduced: Path) -> dict:
    """The claims' context; every table read complete, or IncompleteTableError naming the file."""
    idx = read_index(index, index_grid(cfg.sweep) if cfg.sweep else None)
    b = read_bench(bench)
    ns = boundary_points(idx, "failed", cfg.min_fraction)
    sp = boundary_points(idx, "slow_point", cfg.min_fraction, cfg.sp_lr_min)
    red = read_reduced(reduced, cfg.reduced)
    rtask = TaskConfig(**cfg.reduced["task"]) if cfg.reduced.get("task") else cfg.task
    bd = boundary(red)
    pos = sorted(d for d in red["delay"].unique() if d > 0)
    th = theory_table(rtask, pos, cfg.momentum)
    fit = fit_loglog(bd["delay"], bd["eta_star"])
    fitted = bd.dropna(subset=["eta_star"])
    pred = theory.predicted_slope([rtask.spec(d) for d in fitted["delay"] if d > 0], cfg.momentum) \
        if (fitted["delay"] > 0).sum() >= 2 else np.nan
    return dict(index=idx, no_solution=ns, no_solution_fit=power_fit(ns["lr"], ns["x0_ms"], cfg.x0_lo_ms,
                                                                     cfg.x0_hi_ms),
                slow_point=sp, slow_point_fit=power_fit(sp["lr"], sp["x0_ms"], cfg.x0_lo_ms, cfg.x0_hi_ms),
                reduced=red, boundary=bd, theory=th, fit=fit, predicted_slope=pred, bench=b, cfg=cfg)


def claims(cfg: ClaimsConfig, index: Path, bench: Path, reduced: Path, out: Path) -> None:
    from .claims import CLAIMS

    ctx = claims_context(cfg, index, bench, reduced)
    recs = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="stm_mechanisms")
    repro_core.write_claims(recs, out)


STAGES = {
    "sweep": Stage(sweep, SweepConfig, outputs=("nets",)),
    "analyse": Stage(analyse, AnalyseConfig, outputs=("index", "rasters")),
    "benchmark": Stage(benchmark, BenchmarkConfig, outputs=("bench",)),
    "figures": Stage(figures, FiguresConfig, inputs=("index", "rasters", "bench"),
                     outputs=("fig_phase", "fig_mechanism", "fig_rasters", "fig_bench")),
    "claims": Stage(claims, ClaimsConfig, inputs=("index", "bench", "reduced"), outputs=("out",)),
}
