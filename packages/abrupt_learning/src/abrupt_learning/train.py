"""Train a grid of networks (seeds x gains x regulariser strengths) on one
task with one learning rule, all at once: ``vmap`` over networks, ``lax.scan``
over the steps of a chunk; the GR measures are taken on a fixed probe batch
after every chunk; a checkpoint is written every few chunks."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax

import repro_core

from . import model, tasks


@dataclass(frozen=True)
class GridSpec:
    task: str
    rule: str
    N: int
    alpha: float
    batch: int
    probe_batch: int
    n_steps: int
    eval_every: int
    lr: float
    clip: float
    seeds: tuple
    gains: tuple
    lams: tuple
    task_spec: tasks.TaskSpec
    snap_every: int = 10        # parameter snapshots (seed-0 networks) every this many chunks
    ckpt_every: int = 10        # checkpoint every this many chunks
    seed: int = 0
    optimizer: str = "adam"     # "adam" or "sgd" (with momentum)
    momentum: float = 0.9       # SGD only
    train_trials: int = 0       # 0: a fresh batch of `batch` trials every step; > 0: one fixed training
                                # set of this many trials, the full batch at every step (the authors'
                                # full-batch SGD); the probe batch stays a separate held-out set


def _key(seed: int):
    """XLA's RngBitGenerator keys: they compile much faster on CPU than threefry."""
    return jax.random.key(int(seed), impl="rbg")


def grid(spec: GridSpec):
    """Per-network (seed, gain, lambda) arrays, seed-major."""
    s, g, lam = np.meshgrid(np.asarray(spec.seeds), np.asarray(spec.gains, np.float32),
                            np.asarray(spec.lams, np.float32), indexing="ij")
    return s.ravel().astype(np.int32), g.ravel(), lam.ravel()


def init_grid(spec: GridSpec):
    """Parameters and RFLO feedback of every network; a network's initial
    weights depend on its seed only (W scaled by its gain), so runs with and
    without the regulariser start from the same network."""
    S, G, _ = grid(spec)
    n_in, n_out = tasks.N_IN[spec.task], tasks.N_OUT[spec.task]

    @jax.jit
    def init(seeds, gains):
        # threefry keys here: random draws from RngBitGenerator ("rbg") keys under vmap are not
        # per key (two equal keys in one batch give different weights, and a network's weights
        # depend on its place in the grid), which broke the lambda pairs' shared initialisation
        base = jax.random.fold_in(jax.random.key(int(spec.seed), impl="threefry2x32"), 17)
        keys = jax.vmap(lambda s: jax.random.fold_in(base, s))(seeds)
        return jax.vmap(lambda k, g: model.init_params(k, spec.N, n_in, n_out, g))(keys, gains)

    return init(jnp.asarray(S), jnp.asarray(G))


def data_keys(spec: GridSpec):
    base = jax.random.fold_in(_key(spec.seed), tasks.TASKS.index(spec.task))
    return jax.random.fold_in(base, 1), jax.random.fold_in(base, 2)   # training stream, probe


def train_set(spec: GridSpec):
    """The fixed training set of full-batch training (``spec.train_trials`` trials; its own key,
    apart from the fresh-batch stream and the probe batch)."""
    base = jax.random.fold_in(_key(spec.seed), tasks.TASKS.index(spec.task))
    sample = jax.jit(tasks.sample, static_argnums=(0, 1, 3))
    return sample(spec.task, spec.task_spec, jax.random.fold_in(base, 3), spec.train_trials)


def probe_batch(spec: GridSpec):
    sample = jax.jit(tasks.sample, static_argnums=(0, 1, 3))
    return sample(spec.task, spec.task_spec, data_keys(spec)[1], spec.probe_batch)


def make_chunk(spec: GridSpec):
    """jitted ``(params, opt_state, feedback, lams, step0) -> (params, opt_state, L, R)``
    advancing every network ``eval_every`` steps (L, R: ``[nets, eval_every]``), on a fresh
    batch every step or, with ``train_trials > 0``, on the whole fixed training set (full batch)."""
    tx = model.optimizer(spec.lr, spec.clip, spec.optimizer, spec.momentum)
    rule = model.RULES[spec.rule]
    stream, _ = data_keys(spec)
    grad = jax.vmap(lambda p, fb, batch, lam: rule(p, fb, batch, lam, spec.alpha), in_axes=(0, 0, None, 0))
    fixed = train_set(spec) if spec.train_trials > 0 else None

    def one_step(carry, k):
        p, st, fb, lams = carry
        batch = fixed if fixed is not None else tasks.sample(spec.task, spec.task_spec,
                                                             jax.random.fold_in(stream, k), spec.batch)
        g, (L, R) = grad(p, fb, batch, lams)
        upd, st = jax.vmap(tx.update)(g, st, p)
        p = jax.vmap(optax.apply_updates)(p, upd)
        return (p, st, fb, lams), (L, R)

    @jax.jit
    def chunk(p, st, fb, lams, step0):
        (p, st, _, _), (L, R) = jax.lax.scan(one_step, (p, st, fb, lams),
                                             step0 + jnp.arange(spec.eval_every))
        return p, st, L.T, R.T

    return chunk, tx


def make_probe(spec: GridSpec):
    """jitted probe evaluation: states, normalised loss and hold-period speed."""
    u, y, mask, hold = probe_batch(spec)

    @jax.jit
    def probe(p):
        def one(q):
            hs, _, yhat = model.run(q, u, spec.alpha)
            return hs, model.task_loss(yhat, y, mask), model.consistency(hs, hold)
        return jax.vmap(one)(p)

    return probe


@jax.jit
def _procrustes_batch(H0, H1):
    flat = lambda H: H.reshape(H.shape[0], -1, H.shape[-1])  # noqa: E731
    return jax.vmap(model.procrustes_disparity)(flat(H0), flat(H1))


def train_grid(spec: GridSpec, out: Path, desc: str = "train") -> None:
    """Train the grid, write ``out`` (npz): per-step task loss ``L`` and penalty
    ``R``; per checkpoint (``eval_steps``) the probe loss, the hold speed and the
    Procrustes disparity ``geo`` between the probe trajectories of consecutive
    checkpoints; parameter snapshots of the seed-0 networks; the final parameters of every
    network (``final_<key>``)."""
    if spec.n_steps % spec.eval_every:
        from repro_core.config import ConfigError
        raise ConfigError(f"config key train.{spec.rule}.n_steps={spec.n_steps} must be a multiple of "
                          f"train.eval_every={spec.eval_every}")
    S, G, LAM = grid(spec)
    params, feedback = init_grid(spec)
    chunk, tx = make_chunk(spec)
    probe = make_probe(spec)
    opt_state = jax.vmap(tx.init)(params)
    n_chunks = spec.n_steps // spec.eval_every
    snap_idx = np.flatnonzero(S == S.min())
    H, pl, sp = probe(params)
    logs = {"L": [], "R": [], "probe_loss": [np.asarray(pl)], "speed": [np.asarray(sp)],
            "geo": [np.full(len(S), np.nan, np.float32)]}
    snaps = {k: [np.asarray(params[k])[snap_idx]] for k in model.KEYS}
    snap_steps = [0]
    start = 0
    ckpt = Path(str(out) + ".ckpt.npz")
    leaves, treedef = jax.tree_util.tree_flatten((params, opt_state))
    if ckpt.exists():
        z = repro_core.load_npz(ckpt)
        start = int(z["chunk"])
        params, opt_state = jax.tree_util.tree_unflatten(
            treedef, [jnp.asarray(z[f"leaf{i}"]) for i in range(len(leaves))])
        H = jnp.asarray(z["H"])
        logs = {k: list(z[f"log_{k}"]) for k in logs}
        snaps = {k: list(z[f"snap_{k}"]) for k in model.KEYS}
        snap_steps = list(z["snap_steps"])
    lams = jnp.asarray(LAM)
    for c in repro_core.progress(range(start, n_chunks), desc=desc, initial=start, total=n_chunks):
        params, opt_state, L, R = chunk(params, opt_state, feedback, lams, jnp.int32(c * spec.eval_every))
        H_new, pl, sp = probe(params)
        logs["L"].extend(np.asarray(L).T)
        logs["R"].extend(np.asarray(R).T)
        logs["probe_loss"].append(np.asarray(pl))
        logs["speed"].append(np.asarray(sp))
        logs["geo"].append(np.asarray(_procrustes_batch(H, H_new)))
        H = H_new
        if (c + 1) % spec.snap_every == 0 or c + 1 == n_chunks:
            for k in model.KEYS:
                snaps[k].append(np.asarray(params[k])[snap_idx])
            snap_steps.append((c + 1) * spec.eval_every)
        if (c + 1) % spec.ckpt_every == 0 and c + 1 < n_chunks:
            leaves = jax.tree_util.tree_leaves((params, opt_state))
            repro_core.save_npz(ckpt, chunk=c + 1, H=np.asarray(H), snap_steps=np.array(snap_steps),
                                **{f"leaf{i}": np.asarray(v) for i, v in enumerate(leaves)},
                                **{f"log_{k}": np.array(v) for k, v in logs.items()},
                                **{f"snap_{k}": np.array(v) for k, v in snaps.items()})
    u, *_ = probe_batch(spec)
    repro_core.save_npz(
        out, seed=S, gain=G, lam=LAM, task=np.array(spec.task), rule=np.array(spec.rule),
        L=np.array(logs["L"]).T.astype(np.float32), R=np.array(logs["R"]).T.astype(np.float32),
        eval_steps=np.arange(n_chunks + 1) * spec.eval_every,
        probe_loss=np.array(logs["probe_loss"]).T, speed=np.array(logs["speed"]).T,
        geo=np.array(logs["geo"]).T, snap_idx=snap_idx, snap_steps=np.array(snap_steps),
        probe_u=np.asarray(u), alpha=np.float32(spec.alpha), T=np.int32(spec.task_spec.T),
        **{f"final_{k}": np.asarray(params[k]).astype(np.float32) for k in model.KEYS},
        **{f"snap_{k}": np.array(v).swapaxes(0, 1).astype(np.float32) for k, v in snaps.items()})
    ckpt.unlink(missing_ok=True)
