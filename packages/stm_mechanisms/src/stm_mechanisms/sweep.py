"""The sweep: every (seed, learning rate, delay) network of one delay chunk trained by one
vmapped jax program per batch (rnn.py), and the benchmark of that program against a
per-network torch loop."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core

from . import task as tk
from .task import TaskConfig


def limit_xla_threads() -> None:
    """Keep XLA's CPU thread pool to the stage's ``--threads`` (the CLI sets OMP_NUM_THREADS
    from it; XLA ignores that variable): two 1-thread sweep jobs on 2 cores then do not
    oversubscribe them. Must run before jax starts its backend."""
    import os

    n = os.environ.get("OMP_NUM_THREADS")
    if n and n.isdigit() and "intra_op_parallelism_threads" not in os.environ.get("XLA_FLAGS", ""):
        extra = f"--xla_cpu_multi_thread_eigen={'false' if n == '1' else 'true'} intra_op_parallelism_threads={n}"
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + extra).strip()


@dataclass(kw_only=True)
class SweepConfig:
    delays: list  # in steps of dt_ms
    lrs: list
    n_seeds: int
    n_hidden: int
    n_trials: int
    epochs: int  # at least this many epochs ...
    epochs_lr: float  # ... and epochs_lr / lr (paper: max(1000, 30 / lr)); 0: epochs only
    segment: int  # epochs per compiled program call (a network stops at its own count)
    len_bucket: int  # trials padded to a multiple of this many steps (few compiled shapes)
    model: str  # "paper" | "reduced" (rnn.py)
    criterion: str  # "paper" | "trial" (rnn.py)
    resample_r0: bool
    momentum: float
    weight_decay: float
    noise: float
    vmap_size: int
    n_chunks: int
    chunk: int  # which of the n_chunks delay chunks (the rule's wildcard)
    task: TaskConfig  # the task section (the rule passes it)
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
    limit_xla_threads()
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
    trainers = {}      # by segment length: a batch whose networks all stop before `segment` epochs
    #                    runs a shorter program (the same result; a calibration probe's few epochs)
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
        seg_len = min(cfg.segment, int(EP[b].max()))
        if seg_len not in trainers:
            trainers[seg_len] = rnn.make_segment_trainer(_train_spec(cfg, seg_len))
        for k0 in range(0, int(EP[b].max()), seg_len):
            params, opt, *m = trainers[seg_len](params, opt, r0, lr, ep, k0, noise_key, task)
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


@dataclass(kw_only=True)
class BenchmarkConfig:
    n_networks: int
    n_torch: int
    epochs: int
    delay: int
    lr: float
    n_hidden: int
    n_trials: int
    model: str
    task: TaskConfig  # the task section (the rule passes it)
    seed: int = 0


def benchmark(cfg: BenchmarkConfig, bench: Path) -> None:
    """Networks trained per second: one vmapped jax program vs a per-network
    torch loop, on the same networks (same init, lr, task; noise off)."""
    limit_xla_threads()
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

