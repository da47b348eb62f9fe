"""Small tanh RNNs trained in bulk with jax: ``vmap`` over networks (seed x
learning rate x delay), ``lax.scan`` over epochs and over time.

The network (paper): ``r <- (1 - a) r + a tanh(W r + W_in u + b + eps)`` with
``a = 0.5``, ``eps ~ N(0, noise^2)``; output ``sigmoid(W_out r)``; Xavier
(Glorot-normal, as torch's ``xavier_normal_``) weights, zero bias, initial rates ``tanh(N(0, 0.1^2))`` fixed
per network. Training: the task's weighted MSE, full batch, SGD with momentum
0.9 and weight decay (optax ``add_decayed_weights`` then ``trace``, i.e.
``torch.optim.SGD(momentum=0.9, weight_decay=wd)``), the learning rate a
per-network (vmapped) scalar.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

LEAK = 0.5
R0_SCALE = 0.1


@dataclass(frozen=True)
class TrainSpec:
    n_hidden: int = 100
    epochs: int = 1000
    momentum: float = 0.9
    weight_decay: float = 1e-7
    noise: float = 1e-3
    leak: float = LEAK
    n_log: int = 100           # points of the saved loss curve
    last_frac: float = 0.1     # "learned" is judged over this last fraction of epochs
    threshold: float = 0.8     # accuracy and reliability thresholds of "learned"
    noise_len: int = 0         # draw each epoch's noise for this many steps (>= any padded length)


def xavier_normal(key, shape):
    """``torch.nn.init.xavier_normal_``: N(0, 2 / (fan_in + fan_out)) (not truncated)."""
    fan_out, fan_in = shape
    return jnp.sqrt(2.0 / (fan_in + fan_out)) * jax.random.normal(key, shape)


def init_params(key, n_hidden: int, n_in: int = 2, n_out: int = 2):
    """Xavier-normal weights, zero bias, and the fixed initial rates ``r0``."""
    kw, ki, ko, kr = jax.random.split(key, 4)
    params = {"W": xavier_normal(kw, (n_hidden, n_hidden)), "W_in": xavier_normal(ki, (n_hidden, n_in)),
              "b": jnp.zeros(n_hidden), "W_out": xavier_normal(ko, (n_out, n_hidden))}
    r0 = jnp.tanh(R0_SCALE * jax.random.normal(kr, (n_hidden,)))
    return params, r0


def step(params, r, u, eps, leak=LEAK):
    """One time step for a batch of states ``r [B, N]`` and inputs ``u [B, 2]``."""
    return (1 - leak) * r + leak * jnp.tanh(r @ params["W"].T + u @ params["W_in"].T
                                            + params["b"] + eps)


def run(params, r0, u, eps, leak=LEAK):
    """Rates ``[B, L, N]`` and outputs ``[B, L, 2]`` for inputs ``u [B, L, 2]``
    and noise ``eps [L, B, N]`` from the initial rates ``r0 [N]``."""
    r_init = jnp.broadcast_to(r0, (u.shape[0], r0.shape[0]))

    def body(r, xs):
        u_t, e_t = xs
        r = step(params, r, u_t, e_t, leak)
        return r, r

    _, rs = jax.lax.scan(body, r_init, (jnp.swapaxes(u, 0, 1), eps))
    rs = jnp.swapaxes(rs, 0, 1)
    return rs, jax.nn.sigmoid(rs @ params["W_out"].T)


def weighted_mse(out, y, w, T):
    """The paper's weighted MSE: ``sum_t w_t <(out - y)^2>_{trials, channels} / T``."""
    return jnp.sum(w * jnp.mean((out - y) ** 2, axis=(0, 2))) / T


def trial_correct(out, u, m, pre):
    """Per trial: the cue's channel is on (> 0.5 on average over the response
    window), the other channel off, and no output crosses 0.5 before it. The
    cue's identity is read from the input's first step (one-hot)."""
    cue = u[:, 0, :]
    mean_resp = jnp.einsum("blk,l->bk", out, m) / jnp.sum(m)
    on = jnp.sum(mean_resp * cue, axis=1)
    off = jnp.sum(mean_resp * (1 - cue), axis=1)
    before = (jnp.arange(out.shape[1]) < pre).astype(out.dtype)
    quiet = jnp.max(out * before[None, :, None], axis=(1, 2)) < 0.5
    return (on > 0.5) & (off < 0.5) & quiet


def optimizer(spec: TrainSpec) -> optax.GradientTransformation:
    """Heavy-ball SGD direction (the step is ``-lr * update``, lr per network)."""
    return optax.chain(optax.add_decayed_weights(spec.weight_decay), optax.trace(spec.momentum))


def loss_and_acc(spec: TrainSpec, params, r0, task, eps):
    """The weighted MSE and the fraction of correct trials of one network."""
    _, out = run(params, r0, task["u"], eps, spec.leak)
    loss = weighted_mse(out, task["y"], task["w"], task["length"].astype(jnp.float32))
    return loss, jnp.mean(trial_correct(out, task["u"], task["m"], task["pre"]))


def train_batch(spec: TrainSpec, params, r0, lr, noise_key, task):
    """Train a batch of networks (leading axis of ``params``, ``r0``, ``lr`` and
    every ``task`` array) for ``spec.epochs`` full-batch epochs: ``lax.scan``
    over epochs of a ``vmap``-ed gradient step.

    ``task``: ``u [n, B, L, 2]``, ``y [n, B, L, 2]``, ``w [n, L]``, ``m [n, L]``,
    ``pre [n]`` and ``length [n]``. The noise of epoch ``k`` is drawn from
    ``fold_in(noise_key, k)`` for ``spec.noise_len`` steps and shared by the
    networks of the batch (so a network's result does not depend on which
    batch it is in, nor on the batch's padding). Returns the
    final parameters and per-epoch ``loss [n, E]`` and ``acc [n, E]``
    (measured before each update)."""
    tx = optimizer(spec)
    _, B, L, _ = task["u"].shape
    N = r0.shape[-1]
    grad_fn = jax.vmap(jax.value_and_grad(lambda p, r, t, e: loss_and_acc(spec, p, r, t, e), has_aux=True),
                       in_axes=(0, 0, 0, None))

    def epoch(carry, k):
        p, opt_state = carry
        if spec.noise > 0:
            n_steps = max(spec.noise_len, L)   # same draw whatever the batch's padding
            eps = spec.noise * jax.random.normal(jax.random.fold_in(noise_key, k), (n_steps, B, N))[:L]
        else:
            eps = jnp.zeros((L, B, N))
        (loss, acc), g = grad_fn(p, r0, task, eps)
        upd, opt_state = jax.vmap(tx.update)(g, opt_state, p)
        p = jax.tree_util.tree_map(lambda a, d: a - lr.reshape((-1,) + (1,) * (a.ndim - 1)) * d, p, upd)
        return (p, opt_state), (loss, acc)

    (p, _), (losses, accs) = jax.lax.scan(epoch, (params, jax.vmap(tx.init)(params)),
                                          jnp.arange(spec.epochs))
    return p, losses.T, accs.T


def summarise(spec: TrainSpec, losses, accs):
    """Learned / accuracy / reliability over the last ``last_frac`` of training,
    the final loss and a ``n_log``-point loss curve (non-finite -> nan)."""
    E = losses.shape[-1]
    k = max(1, int(round(spec.last_frac * E)))
    acc_last = jnp.nan_to_num(accs[..., -k:], nan=0.0)
    accuracy = jnp.mean(acc_last, axis=-1)
    reliability = jnp.mean(acc_last >= spec.threshold, axis=-1)
    idx = np.unique(np.linspace(0, E - 1, min(spec.n_log, E)).round().astype(int))
    return dict(accuracy=accuracy, reliability=reliability,
                learned=(accuracy > spec.threshold) & (reliability > spec.threshold),
                final_loss=losses[..., -1], diverged=~jnp.isfinite(losses[..., -1]),
                loss_curve=losses[..., idx], curve_epochs=idx)


def make_batched_trainer(spec: TrainSpec):
    """A jitted ``train(params, r0, lr, noise_key, task)`` for a batch of networks
    (leading axis = networks; see :func:`train_batch`)."""
    return jax.jit(functools.partial(train_batch, spec))


@functools.partial(jax.jit, static_argnums=1)
def init_networks(init_keys, n_hidden: int):
    """Initial parameters and rates of a batch of networks (one key each)."""
    return jax.vmap(lambda k: init_params(k, n_hidden))(init_keys)


def network_keys(seed: int, seeds):
    """Per-network init keys and the shared noise key: a network with seed
    index ``s`` has the same initial weights at every learning rate and delay
    ("the same networks")."""
    base = jax.random.key(int(seed), impl="rbg")   # XLA's RngBitGenerator: compiles fast on CPU
    seeds = jnp.asarray(seeds)
    init = jax.vmap(lambda s: jax.random.fold_in(jax.random.fold_in(base, 0), s))(seeds)
    return init, jax.random.fold_in(base, 1)
