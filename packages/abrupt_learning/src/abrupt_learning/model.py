"""Leaky tanh RNNs, the temporal consistency regulariser, BPTT and RFLO.

Network (leaky firing-rate RNN, ``alpha = dt / tau``)::

    z_t = W h_{t-1} + W_in u_t + b
    h_t = (1 - alpha) h_{t-1} + alpha tanh(z_t),      h_0 = 0
    yhat_t = W_out h_t + b_out

``W ~ N(0, g^2 / N)`` (gain ``g``: ``g > 1`` is the strongly coupled, chaotic
regime), ``W_in ~ N(0, 1)``, ``W_out ~ N(0, 1 / N)``, zero biases.

Task loss: normalised MSE ``sum mask (yhat - y)^2 / sum mask y^2`` (1 for the
silent network; 1 - R^2). Temporal consistency regulariser (our reading of the
paper, whose formula is not given): the mean squared per-unit speed on the
memory (``hold``) steps, ``R = sum_{b,t} hold_{bt} |h_t - h_{t-1}|^2 / (N sum hold)``
(normalised per unit, so a given lambda means the same at every N; issue 25);
training minimises ``L + lambda R``.

Learning rules (both feed Adam):
* ``bptt``: ``jax.grad`` of ``L + lambda R``.
* ``rflo``: random-feedback local online learning (Murray 2019). Unit ``i``
  receives the error ``delta_t = B e_t + dR/dh_t`` (``B`` a fixed random
  feedback matrix, ``e_t = dL/dyhat_t``; ``dR/dh_t`` involves only unit ``i``'s
  own speed), and the synapse's eligibility trace
  ``p_ij(t) = (1 - alpha) p_ij(t-1) + alpha phi'(z_i(t)) x_j(t)`` with
  ``x = h_{t-1}`` (recurrent) or ``u_t`` (input). The update at the end of the
  trial, ``sum_t delta_i(t) p_ij(t)``, equals
  ``sum_s alpha phi'(z_i(s)) eps_i(s) x_j(s)`` with the leak-filtered error
  ``eps(s) = delta(s) + (1 - alpha) eps(s+1)``, which is how it is computed
  (the same numbers, without an N x N trace per trial). The readout learns by
  the delta rule (its exact gradient).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax

KEYS = ("W", "W_in", "b", "W_out", "b_out")


def init_params(key, N: int, n_in: int, n_out: int, g):
    kw, ki, ko, kb = jax.random.split(key, 4)
    params = {"W": g * jax.random.normal(kw, (N, N)) / jnp.sqrt(N),
              "W_in": jax.random.normal(ki, (N, n_in)),
              "b": jnp.zeros(N),
              "W_out": jax.random.normal(ko, (n_out, N)) / jnp.sqrt(N),
              "b_out": jnp.zeros(n_out)}
    feedback = jax.random.normal(kb, (N, n_out)) / jnp.sqrt(n_out)   # RFLO's fixed B
    return params, feedback


def run(params, u, alpha: float):
    """States ``h [B, T, N]`` (h_1..h_T), pre-activations ``z [B, T, N]`` and
    outputs ``yhat [B, T, O]`` for inputs ``u [B, T, I]`` from ``h_0 = 0``."""
    B = u.shape[0]
    N = params["b"].shape[0]

    def body(h, u_t):
        z = h @ params["W"].T + u_t @ params["W_in"].T + params["b"]
        h = (1 - alpha) * h + alpha * jnp.tanh(z)
        return h, (h, z)

    _, (hs, zs) = jax.lax.scan(body, jnp.zeros((B, N)), jnp.swapaxes(u, 0, 1))
    hs, zs = jnp.swapaxes(hs, 0, 1), jnp.swapaxes(zs, 0, 1)
    return hs, zs, hs @ params["W_out"].T + params["b_out"]


def task_loss(yhat, y, mask):
    """Normalised MSE: ``sum mask (yhat - y)^2 / sum mask y^2``."""
    m = mask[..., None]
    return jnp.sum(m * (yhat - y) ** 2) / jnp.maximum(jnp.sum(m * y ** 2), 1e-12)


def prev_states(hs):
    """``h_{t-1}`` for every step (``h_0 = 0``)."""
    return jnp.concatenate([jnp.zeros_like(hs[:, :1]), hs[:, :-1]], axis=1)


def consistency(hs, hold):
    """Temporal consistency penalty ``sum hold |h_t - h_{t-1}|^2 / (N sum hold)``: the
    squared speed per unit, averaged over the hold steps."""
    d = hs - prev_states(hs)
    return jnp.sum(hold * jnp.mean(d ** 2, axis=-1)) / jnp.maximum(jnp.sum(hold), 1.0)


def objective(params, batch, lam, alpha: float):
    u, y, mask, hold = batch
    hs, _, yhat = run(params, u, alpha)
    L = task_loss(yhat, y, mask)
    R = consistency(hs, hold)
    return L + lam * R, (L, R)


def bptt_grad(params, feedback, batch, lam, alpha: float):
    """Exact gradient of ``L + lam R``; returns ``(grads, (L, R))``."""
    del feedback
    g, aux = jax.grad(objective, has_aux=True)(params, batch, lam, alpha)
    return g, aux


def rflo_grad(params, feedback, batch, lam, alpha: float):
    """RFLO's update direction (see the module docstring); ``(grads, (L, R))``."""
    u, y, mask, hold = batch
    hs, zs, yhat = run(params, u, alpha)
    L = task_loss(yhat, y, mask)
    R = consistency(hs, hold)
    norm_L = jnp.maximum(jnp.sum(mask[..., None] * y ** 2), 1e-12)
    e = 2 * mask[..., None] * (yhat - y) / norm_L                      # dL/dyhat  [B, T, O]
    h_prev = prev_states(hs)
    d = hs - h_prev
    c = 2 * lam / (jnp.maximum(jnp.sum(hold), 1.0) * hs.shape[-1])
    # dR/dh_t: h_t enters the speed at t and at t + 1 (a unit's own states only)
    d_next = jnp.concatenate([d[:, 1:], jnp.zeros_like(d[:, :1])], axis=1)
    hold_next = jnp.concatenate([hold[:, 1:], jnp.zeros_like(hold[:, :1])], axis=1)
    dR = c * (hold[..., None] * d - hold_next[..., None] * d_next)
    delta = e @ feedback.T + dR                                         # [B, T, N]

    def back(eps, dl):
        eps = dl + (1 - alpha) * eps
        return eps, eps

    _, eps = jax.lax.scan(back, jnp.zeros_like(delta[:, 0]), jnp.swapaxes(delta, 0, 1), reverse=True)
    eps = jnp.swapaxes(eps, 0, 1)
    s = alpha * (1 - jnp.tanh(zs) ** 2) * eps                           # [B, T, N]
    grads = {"W": jnp.einsum("btn,btm->nm", s, h_prev),
             "W_in": jnp.einsum("btn,bti->ni", s, u),
             "b": jnp.sum(s, axis=(0, 1)),
             "W_out": jnp.einsum("bto,btn->on", e, hs),
             "b_out": jnp.sum(e, axis=(0, 1))}
    return grads, (L, R)


RULES = {"bptt": bptt_grad, "rflo": rflo_grad}


OPTIMIZERS = ("adam", "sgd")


def optimizer(lr: float, clip: float, name: str = "adam", momentum: float = 0.9) -> optax.GradientTransformation:
    """Global-norm clipping (``clip > 0``), then Adam or SGD with (heavy-ball) momentum
    (``momentum = 0``: plain SGD), the optimiser of the authors' public RNN code."""
    if name not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {name!r}; allowed: {', '.join(OPTIMIZERS)}")
    parts = [optax.clip_by_global_norm(clip)] if clip > 0 else []
    opt = optax.adam(lr) if name == "adam" else optax.sgd(lr, momentum=momentum or None)
    return optax.chain(*parts, opt)


# ------------------------------------------------------------- geometry measures
def procrustes_disparity(X, Y):
    """Shape distance of two point clouds ``[M, N]`` after centring, unit
    Frobenius scaling and the best rotation/reflection (as
    ``scipy.spatial.procrustes``): ``1 - (sum of singular values of X^T Y)^2``."""
    X = X - jnp.mean(X, axis=0)
    Y = Y - jnp.mean(Y, axis=0)
    X = X / jnp.maximum(jnp.linalg.norm(X), 1e-12)
    Y = Y / jnp.maximum(jnp.linalg.norm(Y), 1e-12)
    s = jnp.linalg.svd(X.T @ Y, compute_uv=False)
    return jnp.clip(1.0 - jnp.sum(s) ** 2, 0.0, 1.0)
