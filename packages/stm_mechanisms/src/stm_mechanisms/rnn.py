"""Small tanh RNNs trained in bulk with jax: ``vmap`` over networks (seed x
learning rate x delay), ``lax.scan`` over epochs and over time.

Two network set-ups (``TrainSpec.model``):

* ``"paper"`` (default; the authors' ``Experiments/rnn-large-nopost/broad``):
  ``r <- (1 - a) r + a tanh(W r + b + W_in u + b_in + eps)``, ``a = dt / tau =
  0.5`` (dt 5 ms, tau 10 ms), ``eps ~ N(0, noise^2)``; output
  ``sigmoid(W_out r + b_out)`` read from the rates *before* each step's update;
  Xavier-uniform weights, the recurrent diagonal zeroed at initialisation,
  biases ``U(+-1/sqrt(fan_in))`` (torch ``nn.Linear``'s default: +-0.71 on
  the input, +-0.1 recurrent and output at N = 100); start rates
  ``tanh(N(0, 0.1^2))`` drawn afresh for every trial of every epoch.
* ``"reduced"`` (our earlier set-up, kept for the reduced-model check):
  Xavier-normal weights with the diagonal, one zero-initialised recurrent bias
  (input and output biases frozen at 0), start rates fixed per network, output
  read after each update.

Training: the task's weighted MSE, full batch, SGD with momentum 0.9 and
weight decay (optax ``add_decayed_weights`` then ``trace``, i.e.
``torch.optim.SGD(momentum=0.9, weight_decay=wd)``), the learning rate a
per-network (vmapped) scalar.

"Learned" (``criterion="paper"``, the authors' ``sort_data.py``): per epoch,
the response-window accuracy (fraction of trial x step where the larger of the
two outputs is the target channel) and reliability (mean output share
``o_k / (o_0 + o_1)`` of the target channel); learned = both > 0.8 on average
over the last 10% of epochs, and stable: after the first epoch with both > 0.8,
fewer than 0.1 low values (< 0.6) per high value (> 0.6). A network that
reached the criterion and lost it ("lost") counts as failed.
``criterion="trial"`` is our earlier per-trial criterion.
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
PARAM_KEYS = ("W", "W_in", "b_in", "b", "W_out", "b_out")
MODELS = ("paper", "reduced")
CRITERIA = ("paper", "trial")


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
    model: str = "paper"       # "paper" | "reduced" (module doc)
    criterion: str = "paper"   # "paper" (per-step accuracy + reliability + stability) | "trial"
    resample_r0: bool = True   # draw the start rates afresh every trial and epoch (paper)
    r0_scale: float = R0_SCALE
    stable_level: float = 0.6  # paper: values below it after first learning count as lapses
    stable_ratio: float = 0.1  # paper: lapses / non-lapses below this -> stable

    def __post_init__(self):
        if self.model not in MODELS:
            raise ValueError(f"model must be one of {MODELS}, got {self.model!r}")
        if self.criterion not in CRITERIA:
            raise ValueError(f"criterion must be one of {CRITERIA}, got {self.criterion!r}")


def xavier_normal(key, shape):
    """``torch.nn.init.xavier_normal_``: N(0, 2 / (fan_in + fan_out)) (not truncated)."""
    fan_out, fan_in = shape
    return jnp.sqrt(2.0 / (fan_in + fan_out)) * jax.random.normal(key, shape)


def xavier_uniform(key, shape):
    """``torch.nn.init.xavier_uniform_``: U(+-sqrt(6 / (fan_in + fan_out)))."""
    fan_out, fan_in = shape
    b = jnp.sqrt(6.0 / (fan_in + fan_out))
    return jax.random.uniform(key, shape, minval=-b, maxval=b)


def linear_bias(key, n_out: int, fan_in: int):
    """torch ``nn.Linear``'s default bias: U(+-1/sqrt(fan_in))."""
    b = 1.0 / np.sqrt(fan_in)
    return jax.random.uniform(key, (n_out,), minval=-b, maxval=b)


def init_params(key, n_hidden: int, n_in: int = 2, n_out: int = 2, model: str = "paper"):
    """Initial parameters (``PARAM_KEYS``) and one draw of the start rates ``r0 [N]``
    (the fixed start of a ``reduced`` network; the analysis' start for both)."""
    kw, ki, ko, kr, kbi, kb, kbo = jax.random.split(key, 7)
    r0 = jnp.tanh(R0_SCALE * jax.random.normal(kr, (n_hidden,)))
    if model == "reduced":
        params = {"W": xavier_normal(kw, (n_hidden, n_hidden)), "W_in": xavier_normal(ki, (n_hidden, n_in)),
                  "b_in": jnp.zeros(n_hidden), "b": jnp.zeros(n_hidden),
                  "W_out": xavier_normal(ko, (n_out, n_hidden)), "b_out": jnp.zeros(n_out)}
        return params, r0
    if model != "paper":
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    W = xavier_uniform(kw, (n_hidden, n_hidden)) * (1 - jnp.eye(n_hidden))   # zero diagonal at init
    params = {"W": W, "W_in": xavier_uniform(ki, (n_hidden, n_in)), "b_in": linear_bias(kbi, n_hidden, n_in),
              "b": linear_bias(kb, n_hidden, n_hidden), "W_out": xavier_uniform(ko, (n_out, n_hidden)),
              "b_out": linear_bias(kbo, n_out, n_hidden)}
    return params, r0


def step(params, r, u, eps, leak=LEAK):
    """One time step for a batch of states ``r [B, N]`` and inputs ``u [B, 2]``."""
    return (1 - leak) * r + leak * jnp.tanh(r @ params["W"].T + params["b"] + u @ params["W_in"].T
                                            + params["b_in"] + eps)


def readout(params, r):
    return jax.nn.sigmoid(r @ params["W_out"].T + params["b_out"])


def run(params, r0, u, eps, leak=LEAK, out_before: bool = False):
    """Rates ``[B, L, N]`` (after each step) and outputs ``[B, L, 2]`` for inputs
    ``u [B, L, 2]`` and noise ``eps [L, B, N]`` from start rates ``r0`` (``[N]``,
    shared by the trials, or ``[B, N]``). ``out_before``: the output of step
    ``t`` is read from the rates before that step's update (the paper's code)."""
    r_init = jnp.broadcast_to(r0, (u.shape[0], r0.shape[-1]))

    def body(r, xs):
        u_t, e_t = xs
        r_new = step(params, r, u_t, e_t, leak)
        return r_new, (r_new, r if out_before else r_new)

    _, (rs, ro) = jax.lax.scan(body, r_init, (jnp.swapaxes(u, 0, 1), eps))
    return jnp.swapaxes(rs, 0, 1), readout(params, jnp.swapaxes(ro, 0, 1))


def weighted_mse(out, y, w, T):
    """The paper's weighted MSE: ``sum_t w_t <(out - y)^2>_{trials, channels} / T``
    (the mean over trials x steps x channels of the weighted squared error)."""
    return jnp.sum(w * jnp.mean((out - y) ** 2, axis=(0, 2))) / T


def trial_correct(out, u, m, pre):
    """Per trial (our earlier criterion): the cue's channel is on (> 0.5 on
    average over the response window), the other channel off, and no output
    crosses 0.5 before it. The cue's identity is read from the input's first step."""
    cue = u[:, 0, :]
    mean_resp = jnp.einsum("blk,l->bk", out, m) / jnp.sum(m)
    on = jnp.sum(mean_resp * cue, axis=1)
    off = jnp.sum(mean_resp * (1 - cue), axis=1)
    before = (jnp.arange(out.shape[1]) < pre).astype(out.dtype)
    quiet = jnp.max(out * before[None, :, None], axis=(1, 2)) < 0.5
    return (on > 0.5) & (off < 0.5) & quiet


def paper_window(pre, resp, L):
    """The paper's accuracy window: steps ``[pre - 1, pre + resp - 1)`` (their
    ``int((cue + delay) / dt) - 1`` to ``int((cue + delay + resp) / dt) - 1``),
    as a ``[L]`` mask."""
    t = jnp.arange(L)
    return ((t >= pre - 1) & (t < pre + resp - 1)).astype(jnp.float32)


def step_accuracy_reliability(out, y, win):
    """The paper's per-epoch measures over the window ``win [L]``: accuracy =
    fraction of (trial, step) whose argmax of the output share equals the
    target's argmax; reliability = mean output share of the target's argmax
    channel (``o / sum(o)``, nan -> 0)."""
    share = jnp.nan_to_num(out / jnp.sum(out, axis=-1, keepdims=True))
    tgt = jnp.argmax(y, axis=-1)                                          # [B, L]
    hit = (jnp.argmax(share, axis=-1) == tgt).astype(jnp.float32)
    p_tgt = jnp.take_along_axis(share, tgt[..., None], axis=-1)[..., 0]
    n = out.shape[0] * jnp.sum(win)
    return jnp.sum(hit * win) / n, jnp.sum(p_tgt * win) / n


def optimizer(spec: TrainSpec) -> optax.GradientTransformation:
    """Heavy-ball SGD direction (the step is ``-lr * update``, lr per network)."""
    return optax.chain(optax.add_decayed_weights(spec.weight_decay), optax.trace(spec.momentum))


def loss_and_measures(spec: TrainSpec, params, r0, task, eps):
    """The weighted MSE and ``(accuracy, reliability)`` of one network for one epoch
    (``criterion="trial"``: reliability is the fraction of correct trials too)."""
    _, out = run(params, r0, task["u"], eps, spec.leak, out_before=spec.model == "paper")
    loss = weighted_mse(out, task["y"], task["w"], task["length"].astype(jnp.float32))
    if spec.criterion == "paper":
        win = paper_window(task["pre"], task["resp"], out.shape[1])
        acc, rel = step_accuracy_reliability(out, task["y"], win)
    else:
        acc = jnp.mean(trial_correct(out, task["u"], task["m"], task["pre"]))
        rel = acc
    return loss, (acc, rel)


FROZEN = {"reduced": ("b_in", "b_out"), "paper": ()}


def train_segment(spec: TrainSpec, params, opt_state, r0, lr, n_epochs, k0, noise_key, task):
    """``spec.epochs`` epochs, numbered from ``k0``, of a batch of networks
    (leading axis of ``params``, ``opt_state``, ``r0``, ``lr``, ``n_epochs`` and
    every ``task`` array): ``lax.scan`` over epochs of a ``vmap``-ed gradient
    step. Network ``i`` stops updating at its own epoch count ``n_epochs[i]``
    (so networks trained for different numbers of epochs share one program).

    ``task``: ``u [n, B, L, 2]``, ``y [n, B, L, 2]``, ``w [n, L]``, ``m [n, L]``,
    ``pre [n]``, ``resp [n]`` and ``length [n]``. The noise (and, with
    ``resample_r0``, the start rates) of epoch ``k`` are drawn from
    ``fold_in(noise_key, k)`` for ``spec.noise_len`` steps and shared by the
    networks of the batch (so a network's result does not depend on which
    batch it is in, nor on the batch's padding). Returns the parameters, the
    optimiser state and per-epoch ``loss``, ``acc`` and ``rel`` ``[n, epochs]``
    (measured before each update)."""
    tx = optimizer(spec)
    _, B, L, _ = task["u"].shape
    N = r0.shape[-1]
    grad_fn = jax.vmap(jax.value_and_grad(lambda p, r, t, e: loss_and_measures(spec, p, r, t, e), has_aux=True),
                       in_axes=(0, None if spec.resample_r0 else 0, 0, None))
    frozen = FROZEN[spec.model]

    def keep(new, old, on):
        return jax.tree_util.tree_map(
            lambda a, b: jnp.where(on.reshape((-1,) + (1,) * (a.ndim - 1)), a, b), new, old)

    def epoch(carry, k):
        p, opt_state = carry
        ke, kr = jax.random.split(jax.random.fold_in(noise_key, k))
        if spec.noise > 0:
            n_steps = max(spec.noise_len, L)   # same draw whatever the batch's padding
            eps = spec.noise * jax.random.normal(ke, (n_steps, B, N))[:L]
        else:
            eps = jnp.zeros((L, B, N))
        r_start = jnp.tanh(spec.r0_scale * jax.random.normal(kr, (B, N))) if spec.resample_r0 else r0
        (loss, (acc, rel)), g = grad_fn(p, r_start, task, eps)
        g = {k_: (jnp.zeros_like(v) if k_ in frozen else v) for k_, v in g.items()}
        upd, new_state = jax.vmap(tx.update)(g, opt_state, p)
        upd = {k_: (jnp.zeros_like(v) if k_ in frozen else v) for k_, v in upd.items()}
        new_p = jax.tree_util.tree_map(lambda a, d: a - lr.reshape((-1,) + (1,) * (a.ndim - 1)) * d, p, upd)
        on = k < n_epochs
        return (keep(new_p, p, on), keep(new_state, opt_state, on)), (loss, acc, rel)

    (p, opt_state), (losses, accs, rels) = jax.lax.scan(epoch, (params, opt_state),
                                                        k0 + jnp.arange(spec.epochs))
    return p, opt_state, losses.T, accs.T, rels.T


def init_opt_state(spec: TrainSpec, params):
    return jax.vmap(optimizer(spec).init)(params)


def train_batch(spec: TrainSpec, params, r0, lr, noise_key, task):
    """Train a batch of networks for ``spec.epochs`` epochs from scratch (one
    :func:`train_segment`). Returns the final parameters and per-epoch
    ``loss``, ``acc`` and ``rel`` ``[n, E]``."""
    n = lr.shape[0]
    p, _, losses, accs, rels = train_segment(spec, params, init_opt_state(spec, params), r0, lr,
                                             jnp.full(n, spec.epochs), 0, noise_key, task)
    return p, losses, accs, rels


def learned_paper(accs, rels, last_frac=0.1, threshold=0.8, level=0.6, ratio=0.1):
    """The paper's classification from per-epoch ``accs``/``rels [..., E]``.

    Returns ``learned``, ``reached`` (some epoch had both > threshold),
    ``stable`` and ``lost`` (reached but unstable and not learned: the paper's
    class 3, counted as failed)."""
    accs = np.nan_to_num(np.asarray(accs, np.float64))
    rels = np.nan_to_num(np.asarray(rels, np.float64))
    E = accs.shape[-1]
    both = (accs > threshold) & (rels > threshold)
    reached = both.any(-1)
    first = np.where(reached, both.argmax(-1), E)
    after = np.arange(E) >= first[..., None]
    low = np.sum(after & (accs < level), -1) + np.sum(after & (rels < level), -1)
    high = np.sum(after & (accs > level), -1) + np.sum(after & (rels > level), -1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stable = np.where(reached, np.where(high > 0, low / np.maximum(high, 1) < ratio, False), True)
    start = min(int(E * (1 - last_frac)), E - 1)             # the paper: int(0.9 E)
    ok = (accs[..., start:].mean(-1) > threshold) & (rels[..., start:].mean(-1) > threshold)
    learned = ok & stable
    return dict(learned=learned, reached=reached, stable=stable & reached, lost=reached & ~stable & ~learned)


def summarise(spec: TrainSpec, losses, accs, rels):
    """Learned / accuracy / reliability over the last ``last_frac`` of training,
    the final loss and a ``n_log``-point loss curve at epochs ``round(linspace(0, E - 1, n_log))``
    (non-finite -> nan)."""
    losses, accs, rels = (np.asarray(a) for a in (losses, accs, rels))
    E = losses.shape[-1]
    k = max(1, int(round(spec.last_frac * E)))
    acc_last = np.nan_to_num(accs[..., -k:], nan=0.0)
    accuracy = acc_last.mean(-1)
    # always n_log points (epochs repeat when E < n_log), so networks of different lengths stack
    idx = np.linspace(0, E - 1, spec.n_log).round().astype(int)
    out = dict(accuracy=accuracy, final_loss=losses[..., -1], diverged=~np.isfinite(losses[..., -1]),
               loss_curve=losses[..., idx], curve_epochs=idx)
    if spec.criterion == "paper":
        cls = learned_paper(accs, rels, spec.last_frac, spec.threshold, spec.stable_level, spec.stable_ratio)
        out.update(reliability=np.nan_to_num(rels[..., -k:]).mean(-1), learned=cls["learned"],
                   lost=cls["lost"])
    else:
        reliability = np.mean(acc_last >= spec.threshold, axis=-1)
        out.update(reliability=reliability,
                   learned=(accuracy > spec.threshold) & (reliability > spec.threshold),
                   lost=np.zeros(accuracy.shape, bool))
    return out


def make_batched_trainer(spec: TrainSpec):
    """A jitted ``train(params, r0, lr, noise_key, task)`` for a batch of networks
    (leading axis = networks; see :func:`train_batch`)."""
    return jax.jit(functools.partial(train_batch, spec))


def make_segment_trainer(spec: TrainSpec):
    """A jitted ``segment(params, opt_state, r0, lr, n_epochs, k0, noise_key, task)``
    (see :func:`train_segment`; ``spec.epochs`` is the segment length)."""
    return jax.jit(functools.partial(train_segment, spec))


@functools.partial(jax.jit, static_argnums=(1, 2))
def init_networks(init_keys, n_hidden: int, model: str = "paper"):
    """Initial parameters and rates of a batch of networks (one key each)."""
    return jax.vmap(lambda k: init_params(k, n_hidden, model=model))(init_keys)


def network_keys(seed: int, seeds):
    """Per-network init keys and the shared noise key: a network with seed
    index ``s`` has the same initial weights at every learning rate and delay
    ("the same networks")."""
    base = jax.random.key(int(seed), impl="rbg")   # XLA's RngBitGenerator: compiles fast on CPU
    # threefry keys for the initial weights: draws from RngBitGenerator keys under vmap are not per
    # key (two networks of one seed in a batch got different weights, and a network's weights
    # depended on its place in the batch); the noise key is used outside vmap and stays rbg
    init_base = jax.random.fold_in(jax.random.key(int(seed), impl="threefry2x32"), 0)
    seeds = jnp.asarray(seeds)
    init = jax.vmap(lambda s: jax.random.fold_in(init_base, s))(seeds)
    return init, jax.random.fold_in(base, 1)
