"""Non-ergodic sources as mixtures of hidden Markov models, their exact Bayes
predictors (forward filtering) and exact myopic entropies (mixed-state
propagation). Pure numpy.

A mixture has K components of S hidden states each over a vocabulary of V
tokens. Component k is given by labelled transition matrices
``T[k, x, i, j] = Pr(emit x, go to j | in i)`` and a distribution ``init[k]``
over the hidden state *before* the first token; one component is drawn per
sequence with probability ``weights[k]``. The belief over (component, state)
after a prefix is the normalised row vector ``eta T^(x0) ... T^(x_{l-1})``.

Conventions: position l = 0, 1, ... is the number of tokens already seen;
entropies are in nats.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Token ids of the "Mr. Name" source (BOS is the model's extra input token).
MR, SOMETHING, BLAH, NAME_A, NAME_B = 0, 1, 2, 3, 4
MR_NAME_VOCAB = 5
NAME_TOKENS = (NAME_A, NAME_B)


@dataclass(frozen=True)
class Mixture:
    name: str
    weights: np.ndarray   # (K,)
    T: np.ndarray         # (K, V, S, S)
    init: np.ndarray      # (K, S)

    @property
    def vocab(self) -> int:
        return self.T.shape[1]

    def __post_init__(self):
        K, V, S, S2 = self.T.shape
        if S != S2 or self.weights.shape != (K,) or self.init.shape != (K, S):
            raise ValueError(f"{self.name}: inconsistent shapes T{self.T.shape}, "
                             f"weights{self.weights.shape}, init{self.init.shape}")
        rows = self.T.sum(axis=(1, 3))
        if not np.allclose(rows, 1.0):
            raise ValueError(f"{self.name}: transition rows do not sum to 1")
        if not (np.isclose(self.weights.sum(), 1.0) and np.allclose(self.init.sum(1), 1.0)):
            raise ValueError(f"{self.name}: weights or init do not sum to 1")


def entropy(p: np.ndarray, axis: int = -1) -> np.ndarray:
    """Shannon entropy in nats along ``axis`` (0 log 0 = 0)."""
    p = np.asarray(p, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return t.sum(axis=axis)


def stationary(P: np.ndarray) -> np.ndarray:
    """Stationary distribution of a row-stochastic matrix (unique eigenvalue 1)."""
    w, v = np.linalg.eig(P.T)
    pi = np.real(v[:, np.argmin(np.abs(w - 1.0))])
    return pi / pi.sum()


# ----------------------------------------------------------------- sources
def mr_name_component(p: float, q: float, name_token: int) -> tuple[np.ndarray, np.ndarray]:
    """One "Mr. Name" component: hidden state = last token in (Mr., name, Something,
    Blah), emitting on entering a state. Returns (T (V, 4, 4), stationary init)."""
    if not (0 < p and 0 < q and p + q < 1):
        raise ValueError(f"mr_name needs p, q > 0 and p + q < 1, got p={p}, q={q}")
    M, N, S, B = range(4)
    P = np.zeros((4, 4))
    P[M, N] = 1.0
    P[N, S] = P[N, B] = 0.5
    P[S, M], P[S, S], P[S, B] = q, 1 - p - q, p
    P[B, M], P[B, B], P[B, S] = q, 1 - p - q, p
    token_of_state = {M: MR, N: name_token, S: SOMETHING, B: BLAH}
    T = np.zeros((MR_NAME_VOCAB, 4, 4))
    for j, x in token_of_state.items():
        T[x, :, j] = P[:, j]
    return T, stationary(P)


def mr_name_mixture(p: float = 0.4, q: float = 0.25) -> Mixture:
    """Two Mr. Name components (names 3 and 4), weights 1/2, stationary start."""
    comps = [mr_name_component(p, q, n) for n in NAME_TOKENS]
    return Mixture(f"mr_name(p={p},q={q})", np.full(2, 0.5),
                   np.stack([c[0] for c in comps]), np.stack([c[1] for c in comps]))


def coin_biases(n: int) -> np.ndarray:
    return np.arange(1, n + 1) / (n + 1)


def coin_mixture(n: int, biases: np.ndarray | None = None) -> Mixture:
    """Uniform mixture of coins with Pr(1) = p_i (default p_i = i/(N+1)); vocab 2."""
    p = coin_biases(n) if biases is None else np.asarray(biases, dtype=float)
    T = np.stack([1 - p, p], axis=1)[:, :, None, None]  # (K, 2, 1, 1)
    return Mixture(f"coins(N={len(p)})", np.full(len(p), 1.0 / len(p)), T, np.ones((len(p), 1)))


def mr_name_entropy_rate(p: float, q: float) -> float:
    """h_mu = (q ln 2 + H(p, q, 1-p-q)) / (1 + 2q) in nats (closed form)."""
    return float((q * np.log(2) + entropy(np.array([p, q, 1 - p - q]))) / (1 + 2 * q))


def component_entropy_rates(mix: Mixture) -> np.ndarray:
    """Entropy rate of each (ergodic, stationary-started) component."""
    out = []
    for T, eta in zip(mix.T, mix.init):
        pi = stationary(T.sum(0))
        out.append(float(pi @ entropy(T.sum(2).T)))  # H over tokens from each state
    return np.array(out)


def asymptotic_entropy(mix: Mixture) -> float:
    """h_inf = lim h_l = sum_k w_k h_mu(k) for a mixture of distinguishable components."""
    return float(mix.weights @ component_entropy_rates(mix))


# ---------------------------------------------------------------- sampling
def sample(mix: Mixture, n: int, length: int, rng: np.random.Generator,
           components: np.ndarray | None = None) -> np.ndarray:
    """``n`` sequences of ``length`` tokens (int64); one component per sequence."""
    K, V, S, _ = mix.T.shape
    k = rng.choice(K, size=n, p=mix.weights) if components is None else np.asarray(components)
    cum_init = np.cumsum(mix.init[k], axis=1)
    s = (rng.random((n, 1)) > cum_init).sum(1).clip(max=S - 1)
    out = np.empty((n, length), dtype=np.int64)
    u = rng.random((length, n, 1))
    for t in range(length):
        probs = mix.T[k, :, s, :].reshape(n, V * S)
        idx = (u[t] > np.cumsum(probs, axis=1)).sum(1).clip(max=V * S - 1)
        out[:, t], s = np.divmod(idx, S)
    return out


def sample_coins(biases: np.ndarray, length: int, rng: np.random.Generator) -> np.ndarray:
    """Sequences of iid coin flips, one bias per sequence."""
    return (rng.random((len(biases), length)) < np.asarray(biases)[:, None]).astype(np.int64)


# ---------------------------------------------------------------- Bayes predictor
def _initial_belief(mix: Mixture) -> np.ndarray:
    return mix.weights[:, None] * mix.init  # (K, S)


def predictive(mix: Mixture, seqs: np.ndarray) -> np.ndarray:
    """Exact Bayes predictive Pr(x_l = . | x_<l) for every position by forward
    filtering: (n, L, V), rows sum to 1."""
    seqs = np.asarray(seqs)
    n, L = seqs.shape
    K, V, S, _ = mix.T.shape
    b = np.broadcast_to(_initial_belief(mix), (n, K, S)).copy()
    out = np.empty((n, L, V))
    for t in range(L):
        pred = np.einsum("nki,kxij->nx", b, mix.T)
        out[:, t] = pred / pred.sum(1, keepdims=True)
        Tx = np.moveaxis(mix.T[:, seqs[:, t]], 1, 0)  # (n, K, S, S)
        b = np.einsum("nki,nkij->nkj", b, Tx)
        b /= b.sum(axis=(1, 2), keepdims=True)
    return out


def sequence_logprob(mix: Mixture, seqs: np.ndarray) -> np.ndarray:
    """log Pr(x_0..x_{L-1}) by the matrix product eta T^(x0) ... 1 (brute force)."""
    res = []
    for s in np.asarray(seqs):
        v = _initial_belief(mix)
        for x in s:
            v = np.einsum("ki,kij->kj", v, mix.T[:, x])
        res.append(np.log(v.sum()))
    return np.array(res)


def myopic_entropy(mix: Mixture, length: int, decimals: int = 11) -> np.ndarray:
    """Exact h_l = H(X_l | X_<l) for l < ``length``, by propagating the distribution
    over belief states (the mixed-state presentation); beliefs equal to
    ``decimals`` places are merged, which keeps their number small (finite for
    Mr. Name, l + 1 for coin mixtures)."""
    K, V, S, _ = mix.T.shape
    B = _initial_belief(mix)[None]  # (M, K, S)
    prob = np.ones(1)
    h = np.empty(length)
    for t in range(length):
        nxt = np.einsum("mki,kxij->mxkj", B, mix.T)  # unnormalised next beliefs
        px = nxt.sum(axis=(2, 3))                    # (M, V)
        h[t] = prob @ entropy(px)
        if t == length - 1:
            break
        keep = px > 0
        m_idx, x_idx = np.nonzero(keep)
        newB = nxt[m_idx, x_idx] / px[m_idx, x_idx][:, None, None]
        newp = prob[m_idx] * px[m_idx, x_idx]
        key = np.round(newB.reshape(len(newB), -1), decimals)
        _, first, inv = np.unique(key, axis=0, return_index=True, return_inverse=True)
        prob = np.bincount(inv.ravel(), weights=newp)
        B = newB[first]
    return h


def coin_myopic_entropy_closed_form(biases: np.ndarray, length: int) -> np.ndarray:
    """h_l for a uniform coin mixture from the binomial sum over k heads in l flips
    (the posterior depends on (l, k) only); log-space, independent of
    :func:`myopic_entropy`."""
    from scipy.special import gammaln, logsumexp

    p = np.asarray(biases, dtype=float)
    lw = -np.log(len(p))
    h = np.empty(length)
    for ell in range(length):
        k = np.arange(ell + 1)[:, None]
        loglik = k * np.log(p) + (ell - k) * np.log1p(-p) + lw        # (ell+1, N)
        lognorm = logsumexp(loglik, axis=1)                          # log Pr(specific seq)
        p1 = np.exp(logsumexp(loglik + np.log(p), axis=1) - lognorm)
        logbinom = gammaln(ell + 1) - gammaln(k[:, 0] + 1) - gammaln(ell - k[:, 0] + 1)
        pk = np.exp(logbinom + lognorm)
        h[ell] = pk @ entropy(np.stack([p1, 1 - p1], axis=1))
    return h


def coin_myopic_entropy(biases: np.ndarray, length: int) -> np.ndarray:
    """h_l for a uniform coin mixture by propagating the posteriors indexed by the
    head count k (posterior(l+1, k) = posterior(l, k) x (1-p), renormalised, and
    posterior(l+1, l+1) = posterior(l, l) x p): the mixed-state presentation of a
    coin mixture, O(length^2 N) and without logs."""
    p = np.asarray(biases, dtype=float)
    B = np.full((1, len(p)), 1.0 / len(p))   # posteriors after l flips, rows k = 0..l
    P = np.ones(1)                           # Pr(k heads in l flips)
    h = np.empty(length)
    for ell in range(length):
        p1 = B @ p
        h[ell] = P @ entropy(np.stack([p1, 1 - p1], axis=1))
        tails = B * (1 - p)
        heads = B[-1:] * p
        B = np.concatenate([tails / tails.sum(1, keepdims=True), heads / heads.sum()])
        P = np.concatenate([P * (1 - p1), [0.0]]) + np.concatenate([[0.0], P * p1])
    return h


# --------------------------------------------------------------- Mr. Name helpers
def name_occurrence_masks(seqs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks (n, L) of the first and second occurrence of a name token."""
    is_name = np.isin(seqs, NAME_TOKENS)
    count = np.cumsum(is_name, axis=1)
    return is_name & (count == 1), is_name & (count == 2)


def log_loss(probs: np.ndarray, seqs: np.ndarray) -> np.ndarray:
    """-log Pr(x_l) per position under predictive ``probs`` (n, L, V)."""
    p = np.take_along_axis(probs, seqs[..., None], axis=-1)[..., 0]
    return -np.log(p)


def kl_rows(p: np.ndarray, logq: np.ndarray) -> np.ndarray:
    """KL(p || q) along the last axis, q given as log-probabilities."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(p > 0, p * (np.log(np.where(p > 0, p, 1.0)) - logq), 0.0)
    return t.sum(-1)
