"""The balls-and-urns task and its two Bayes-optimal strategies.

A task is a distribution theta over V symbols drawn from a flat Dirichlet. Training sees a
fixed pool of D tasks; a sequence is BOS followed by i.i.d. draws from one pool task. The model
predicts the next symbol at positions t = 0..C-1, position t having seen t draws (the prediction
after the last draw is dropped, as in the paper).

* Memorizing predictor M: Bayes over the pool (uniform prior on the D tasks),
  p_M(x | counts) = sum_k w_k theta_k,  w_k oc prod_i theta_ki^{n_i}.
* Generalizing predictor G: posterior mean under the true flat Dirichlet prior,
  p_G(x = i | counts) = (n_i + 1) / (t + V).
"""

from __future__ import annotations

import numpy as np
from scipy.special import betaln, digamma, gammaln, logsumexp

EPS = 1e-12


def sample_pool(rng: np.random.Generator, n_tasks: int, n_symbols: int) -> np.ndarray:
    """D tasks from the flat Dirichlet, shape [D, V] (float64)."""
    return rng.dirichlet(np.ones(n_symbols), size=n_tasks)


def sample_sequences(rng: np.random.Generator, thetas: np.ndarray, context: int) -> np.ndarray:
    """``context - 1`` i.i.d. draws per row of ``thetas`` [n, V] -> int tokens [n, context-1].

    With BOS in front this gives ``context`` prediction positions (0..context-1)."""
    cum = np.cumsum(thetas, axis=1)
    u = rng.random((thetas.shape[0], context - 1))
    tok = (u[:, :, None] > cum[:, None, :]).sum(-1)
    return np.minimum(tok, thetas.shape[1] - 1).astype(np.int64)


def prefix_counts(tokens: np.ndarray, n_symbols: int) -> np.ndarray:
    """Counts of each symbol among the first t draws, t = 0..T: [n, T+1, V]."""
    onehot = np.eye(n_symbols)[tokens]                           # [n, T, V]
    c = np.cumsum(onehot, axis=1)
    return np.concatenate([np.zeros_like(c[:, :1]), c], axis=1)


def generalizing_probs(tokens: np.ndarray, n_symbols: int) -> np.ndarray:
    """G's predictive distribution at every position: (n_i + 1) / (t + V), [n, T+1, V]."""
    c = prefix_counts(tokens, n_symbols) + 1.0
    return c / c.sum(-1, keepdims=True)


def memorizing_probs(tokens: np.ndarray, pool: np.ndarray, chunk: int = 64) -> np.ndarray:
    """M's predictive distribution (Bayes average over the pool), [n, T+1, V]."""
    logp = np.log(np.maximum(pool, EPS))                         # [D, V]
    out = np.empty(tokens.shape[:1] + (tokens.shape[1] + 1, pool.shape[1]))
    for s in range(0, tokens.shape[0], chunk):
        c = prefix_counts(tokens[s:s + chunk], pool.shape[1])    # [b, T+1, V]
        ll = c @ logp.T                                          # [b, T+1, D]
        w = np.exp(ll - logsumexp(ll, axis=-1, keepdims=True))
        out[s:s + chunk] = w @ pool
    return out


def kl(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """KL(p || q) over the last axis."""
    p = np.asarray(p, dtype=np.float64)
    q = np.maximum(np.asarray(q, dtype=np.float64), EPS)
    return np.sum(np.where(p > 0, p * (np.log(np.maximum(p, EPS)) - np.log(q)), 0.0), axis=-1)


def sym_kl(p: np.ndarray, q: np.ndarray) -> float:
    """Symmetrised KL, averaged over every leading axis (the paper's distance)."""
    return float(0.5 * (kl(p, q).mean() + kl(q, p).mean()))


def relative_distance(model: np.ndarray, mem: np.ndarray, gen: np.ndarray) -> float:
    """Where the model sits between M (1) and G (0): r = (d(T,G) - d(T,M)) / d(M,G), clipped to
    [-1, 1] and mapped to (r + 1) / 2, with d the symmetrised KL (paper, Sec. 3)."""
    d_tm, d_tg, d_mg = sym_kl(model, mem), sym_kl(model, gen), sym_kl(mem, gen)
    r = np.clip((d_tg - d_tm) / max(d_mg, EPS), -1.0, 1.0)
    return float((r + 1.0) / 2.0)


def interpolation_distance(model: np.ndarray, mem: np.ndarray, gen: np.ndarray) -> float:
    """Symmetrised KL from the model to the M-G mixture at its own relative distance w:
    d(T, w M + (1 - w) G), how far the model is from *any* interpolation of the two strategies
    (the authors' ``interpolation_distance``; large early in training, when the model is near
    uniform and neither strategy nor a mix of them describes it)."""
    w = relative_distance(model, mem, gen)
    return sym_kl(model, w * np.asarray(mem, np.float64) + (1.0 - w) * np.asarray(gen, np.float64))


def expected_kl_generalizing(n_symbols: int, context: int) -> np.ndarray:
    """Exact E[KL(theta || p_G)] at positions t = 0..context-1 for theta ~ Dir(1_V).

    E[sum_i theta_i log theta_i] = psi(2) - psi(V+1); by exchangeability the cross term is
    V * sum_k log((k+1)/(t+V)) E[theta_1 1{n_1 = k}], with theta_1 ~ Beta(1, V-1) and
    E[theta_1 1{n_1=k}] = (V-1) C(t,k) B(k+2, t-k+V-1)."""
    V = n_symbols
    out = np.empty(context)
    for t in range(context):
        k = np.arange(t + 1)
        logw = (np.log(V - 1) + gammaln(t + 1) - gammaln(k + 1) - gammaln(t - k + 1)
                + betaln(k + 2, t - k + V - 1))
        out[t] = digamma(2) - digamma(V + 1) - V * np.sum(np.exp(logw) * np.log((k + 1) / (t + V)))
    return out
