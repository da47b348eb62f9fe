"""Low-rank leaky tanh RNNs on the delayed-activation task, trained by BPTT
with plain SGD, many networks at once (jax.vmap over seeds, learning rates,
output confidences and ranks).

Model (the paper's rank-one network generalised to rank K)::

    kappa_t = V^T x_t                    (K latent coordinates)
    x_{t+1} = (1 - alpha) x_t + alpha tanh(U kappa_t + b)
    y_t     = sigmoid(a (kappa_{t,1} - 1))      ("latent" readout, tied to the first latent)
    y_t     = sigmoid(a (w . x_t + c))          ("linear" readout, trainable w, c)

x_0 = -0.3 * 1, U, V ~ N(0, 1/N), b = 0, w ~ N(0, 1/N), c ~ N(0, 1/N); loss
(1/T) sum_{t=1}^{2T} (y_t - [t > T])^2. The latent readout with K = 1 and a = 10
is exactly the paper's rank-one network (Figs. 2-3); the linear readout with
a = 1 is the paper's rank-K network of the rank sweep (Fig. 6), where K > 1
adds trainable directions the task does not need (sloppy parameters). a is the
output confidence.

For K = 1 the latent obeys the closed 1-D map
``kappa_{t+1} = (1 - alpha) kappa_t + alpha n . tanh(m kappa_t + b)`` (project the
update on V): fixed points and ghosts of the network are those of the latent
flow ``g(kappa) = -kappa + n . tanh(m kappa + b)``.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

DTYPE = jnp.float32


READOUTS = ("latent", "linear")


def init_params(seed: int, N: int, K: int) -> dict:
    rng = np.random.default_rng(seed)
    U = (rng.standard_normal((N, K)) / np.sqrt(N)).astype(np.float32)
    V = (rng.standard_normal((N, K)) / np.sqrt(N)).astype(np.float32)
    # drawn after U, V so that a seed's recurrent weights do not depend on the readout
    w = (rng.standard_normal(N) / np.sqrt(N)).astype(np.float32)
    c = (rng.standard_normal(1) / np.sqrt(N)).astype(np.float32)
    return {"U": U, "V": V, "b": np.zeros(N, np.float32), "w": w, "c": c}


def readout_logit(xs, p, linear):
    """Pre-sigmoid output (before the confidence a): kappa_1 - 1 ("latent",
    linear = 0) or w . x + c ("linear", linear = 1); ``linear`` is a 0/1 scalar
    so that both network kinds train in one vmapped batch."""
    return jnp.where(linear > 0, xs @ p["w"] + p["c"][0], xs @ p["V"][:, 0] - 1.0)


def step_fn(x, p, alpha):
    kappa = x @ p["V"]
    return (1 - alpha) * x + alpha * jnp.tanh(p["U"] @ kappa + p["b"])


def run_trial(p, T: int, alpha: float, x0: float):
    """States x_1..x_{2T} (2T, N) from x_0 = x0 * 1."""
    x_init = jnp.full(p["b"].shape, x0, dtype=p["b"].dtype)

    def step(x, _):
        x = step_fn(x, p, alpha)
        return x, x

    _, xs = jax.lax.scan(step, x_init, None, length=2 * T)
    return xs


def loss_fn(p, mask, conf, T: int, alpha: float, x0: float, linear=0.0):
    """Task loss; ``mask`` (K,) zeroes untrained rank columns (rank < K_max);
    ``linear`` picks the readout (see :func:`readout_logit`)."""
    p = {**p, "U": p["U"] * mask, "V": p["V"] * mask}
    xs = run_trial(p, T, alpha, x0)
    y = jax.nn.sigmoid(conf * readout_logit(xs, p, linear))
    target = (jnp.arange(1, 2 * T + 1) > T).astype(y.dtype)
    return jnp.sum((y - target) ** 2) / T


def make_trainer(T: int, alpha: float, x0: float, chunk: int):
    """jit(vmap) function advancing every network ``chunk`` SGD epochs; returns
    the new params and the per-epoch losses (runs, chunk)."""
    vg = jax.value_and_grad(loss_fn)

    def one(p, mask, conf, lr, linear):
        def epoch(p, _):
            loss, g = vg(p, mask, conf, T, alpha, x0, linear)
            p = jax.tree_util.tree_map(lambda a, da: a - lr * da, p, g)
            return p, loss

        return jax.lax.scan(epoch, p, None, length=chunk)

    return jax.jit(jax.vmap(one))


def make_replayer(T: int, alpha: float, x0: float, epochs: int):
    """Like :func:`make_trainer`, but returns the parameters at the start of
    *every* epoch (runs, epochs, ...) and their loss: the per-epoch record
    around a loss drop that the chunked snapshots are too coarse for."""
    vg = jax.value_and_grad(loss_fn)

    def one(p, mask, conf, lr, linear):
        def epoch(p, _):
            loss, g = vg(p, mask, conf, T, alpha, x0, linear)
            return jax.tree_util.tree_map(lambda a, da: a - lr * da, p, g), (p, loss)

        return jax.lax.scan(epoch, p, None, length=epochs)[1]

    return jax.jit(jax.vmap(one))


def stack_params(plist: list[dict]) -> dict:
    return {k: np.stack([p[k] for p in plist]) for k in plist[0]}


def rank_mask(K: int, K_max: int) -> np.ndarray:
    return (np.arange(K_max) < K).astype(np.float32)


# --------------------------------------------------------------- learning events
def drop_epoch(loss: np.ndarray, frac: float = 0.5) -> int:
    """First epoch at which the loss falls below ``frac`` of its initial value (-1: never)."""
    idx = np.flatnonzero(loss < frac * loss[0])
    return int(idx[0]) if idx.size else -1


def learned(loss: np.ndarray, frac: float = 0.01) -> bool:
    """The paper's criterion: final loss below 1% of the initial loss."""
    return bool(loss[-1] < frac * loss[0])
