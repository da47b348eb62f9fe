"""The paper's three memory tasks as jax batch generators (a fresh batch per step).

Every generator returns ``u [B, T, I]`` (inputs), ``y [B, T, O]`` (targets),
``mask [B, T]`` (steps that enter the task loss) and ``hold [B, T]`` (steps with
no input after the first one: the memory periods, where the temporal
consistency regulariser acts).

With ``S = stim_frac T`` (end of the input period) and ``G = go_frac T``:

* ``addition`` (delayed addition): two one-step pulses of amplitude
  ``a1, a2 ~ U(-1, 1)`` on channel 0 at ``t1 in [0, S/2)`` and
  ``t2 in [S/2, S)``; a go cue on channel 1 at ``G``; the output
  must equal ``a1 + a2`` from the go cue to the end.
* ``evidence`` (evidence accumulation): during ``[0, S)`` channel 0 carries
  ``mu s + sigma xi_t`` with ``s = +-1``; a go cue on channel 1 at ``G``;
  the output must equal ``sign(sum_t u_t)`` (the accumulated evidence's sign)
  from the go cue to the end.
* ``flipflop`` (3-bit flip-flop, Sussillo & Barak 2013): each of 3 channels
  carries a +-1 pulse with probability ``p_flip`` per step (and surely at
  ``t = 0``, which sets the initial memory); output ``k`` must hold the sign of
  the last pulse on channel ``k`` at every step.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp

TASKS = ("addition", "evidence", "flipflop")
N_IN = {"addition": 2, "evidence": 2, "flipflop": 3}
N_OUT = {"addition": 1, "evidence": 1, "flipflop": 3}


@dataclass(frozen=True, kw_only=True)
class TaskSpec:
    """The tasks' parameters; no defaults: config/abrupt_learning.yaml (train.task_spec) sets them."""
    T: int                      # trial length in steps
    stim_frac: float            # inputs (pulses, evidence) come before stim_frac * T
    go_frac: float              # go cue at go_frac * T; the response window follows
    mu: float                   # evidence: mean drift per step
    sigma: float                # evidence: noise per step
    p_flip: float               # flip-flop: pulse probability per step and channel


def _go_window(spec: TaskSpec, B: int):
    t = jnp.arange(spec.T)
    go = int(spec.go_frac * spec.T)
    resp = jnp.broadcast_to((t >= go).astype(jnp.float32), (B, spec.T))
    return t, go, resp


def _hold(u):
    """No input at this step, and some input happened before."""
    quiet = jnp.all(u == 0, axis=-1)
    started = jnp.cumsum(~quiet, axis=1) > 0
    return (quiet & started).astype(jnp.float32)


def addition(spec: TaskSpec, key, B: int):
    k1, k2, k3 = jax.random.split(key, 3)
    T = spec.T
    t, go, resp = _go_window(spec, B)
    a = jax.random.uniform(k1, (B, 2), minval=-1.0, maxval=1.0)
    S = max(2, int(spec.stim_frac * T))
    t1 = jax.random.randint(k2, (B,), 0, S // 2)
    t2 = jax.random.randint(k3, (B,), S // 2, S)
    val = a[:, :1] * (t[None] == t1[:, None]) + a[:, 1:] * (t[None] == t2[:, None])
    u = jnp.stack([val, jnp.broadcast_to((t == go).astype(jnp.float32), (B, T))], axis=-1)
    y = (resp * jnp.sum(a, axis=1, keepdims=True))[..., None]
    return u, y, resp, _hold(u)


def evidence(spec: TaskSpec, key, B: int):
    k1, k2 = jax.random.split(key)
    T = spec.T
    t, go, resp = _go_window(spec, B)
    s = jnp.where(jax.random.bernoulli(k1, 0.5, (B, 1)), 1.0, -1.0)
    stim = (t < max(1, int(spec.stim_frac * T))).astype(jnp.float32)[None]
    x = stim * (spec.mu * s + spec.sigma * jax.random.normal(k2, (B, T)))
    total = jnp.sum(x, axis=1, keepdims=True)
    sign = jnp.where(total >= 0, 1.0, -1.0)
    u = jnp.stack([x, jnp.broadcast_to((t == go).astype(jnp.float32), (B, T))], axis=-1)
    y = (resp * sign)[..., None]
    return u, y, resp, _hold(u)


def flipflop(spec: TaskSpec, key, B: int):
    k1, k2 = jax.random.split(key)
    T = spec.T
    pulse = jax.random.bernoulli(k1, spec.p_flip, (B, T, 3)).at[:, 0, :].set(True)
    sign = jnp.where(jax.random.bernoulli(k2, 0.5, (B, T, 3)), 1.0, -1.0)
    u = pulse * sign
    # the last pulse's sign: carry it forward along time
    def body(mem, ut):
        mem = jnp.where(ut != 0, ut, mem)
        return mem, mem
    _, y = jax.lax.scan(body, jnp.zeros((B, 3)), jnp.swapaxes(u, 0, 1))
    y = jnp.swapaxes(y, 0, 1)
    return u, y, jnp.ones((B, T)), _hold(u)


GENERATORS = {"addition": addition, "evidence": evidence, "flipflop": flipflop}


def sample(task: str, spec: TaskSpec, key, B: int):
    """A batch of ``task``: ``(u, y, mask, hold)`` (see the module docstring)."""
    if task not in GENERATORS:
        raise ValueError(f"unknown task {task!r}; allowed: {', '.join(TASKS)}")
    return GENERATORS[task](spec, key, B)
