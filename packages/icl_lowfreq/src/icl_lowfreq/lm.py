"""Track C: in-context random walks through a pretrained language model.

Park et al.'s graph-tracing task: the nodes of a graph are ordinary words (one token each,
a fresh random word-to-node assignment per walk), the context is a random walk written as
space-separated words. One forward pass over the longest context gives, by causality, the
hidden states of every shorter prefix. A node's representation at layer l and context T is the
mean hidden state over its occurrences in the second half of the prefix, positions [T/2, T)
(recent occurrences, as Park et al. average over a recent window; the same read-out as Track B).
Loading is :mod:`repro_core.lm`'s; torch and transformers are imported lazily.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from . import model

# Ordinary concrete nouns; each tokenizer keeps those that are one token with a leading space.
WORDS = ("apple bird car dog house tree book chair river stone cloud milk horse table window "
         "flower sun moon lamp bread ship king door garden pencil water music paper glass rabbit "
         "box coin hat shoe fish egg cup ball key bell").split()


def single_token_words(tokenizer, words: Sequence[str] = WORDS) -> dict[str, int]:
    """word -> token id for the words that encode, with a leading space, to exactly one token."""
    out = {}
    for w in words:
        ids = tokenizer.encode(" " + w, add_special_tokens=False)
        if len(ids) == 1:
            out[w] = int(ids[0])
    return out


def special_prefix(tokenizer) -> list[int]:
    """The ids the tokenizer puts before a text by default (e.g. Gemma's <bos>; none for SmolLM2)."""
    with_sp = tokenizer.encode(" apple", add_special_tokens=True)
    without = tokenizer.encode(" apple", add_special_tokens=False)
    k = len(with_sp) - len(without)
    return [int(i) for i in with_sp[:k]] if k > 0 and with_sp[k:] == without else []


def hidden_states(net, input_ids: Sequence[int]) -> np.ndarray:
    """Hidden states of every layer (embedding output + each block), shape (layers+1, T, d), float32."""
    import torch

    ids = torch.as_tensor([list(input_ids)], dtype=torch.long)
    with torch.inference_mode():
        # the base model only: no output head (Gemma's 262k-word head would cost more than the rest)
        out = net.get_decoder()(input_ids=ids, output_hidden_states=True) \
            if hasattr(net, "get_decoder") else net(input_ids=ids, output_hidden_states=True)
    return torch.stack([h[0] for h in out.hidden_states]).float().numpy()


def position_basis(m: int, order: int, kind: str = "poly") -> np.ndarray:
    """(m, order + 1) regressors of the token position within a window of m tokens: the constant
    and Legendre polynomials P_1..P_order of the position scaled to (-1, 1) (``poly``), or the
    cosines cos(pi k (t + 1/2) / m), k = 1..order (``cos``, the DCT-II basis)."""
    t = np.arange(m) + 0.5
    if kind == "poly":
        return np.polynomial.legendre.legvander(2 * t / m - 1, order)
    if kind == "cos":
        return np.cos(np.pi * np.outer(t, np.arange(order + 1)) / m)
    raise ValueError(f"position basis {kind!r}: expected 'poly' or 'cos'")


def remove_position(Hw: np.ndarray, order: int, kind: str = "poly") -> np.ndarray:
    """Residuals of each hidden dimension (per layer) after a least-squares fit on the window's
    position basis (``position_basis``); ``Hw``: (layers, m, d) hidden states of one window."""
    B = position_basis(Hw.shape[1], order, kind)
    Q, _ = np.linalg.qr(B)                                   # orthonormal basis of the fit space
    return Hw - np.einsum("mk,lkd->lmd", Q, np.einsum("mk,lmd->lkd", Q, Hw))


def remove_mean_direction(Hw: np.ndarray) -> np.ndarray:
    """Project every hidden state of the window off the window's mean direction (per layer)."""
    u = Hw.mean(axis=1, keepdims=True)
    u = u / np.maximum(np.linalg.norm(u, axis=-1, keepdims=True), 1e-30)
    return Hw - np.sum(Hw * u, axis=-1, keepdims=True) * u


def node_means_adjusted(H: np.ndarray, walk: np.ndarray, n: int, T: int, order: int,
                        basis: str = "poly") -> np.ndarray:
    """Position-adjusted node means: the node coefficients of a joint least-squares fit of every
    hidden dimension on [node indicators, position basis without its constant] over the window
    [T//2, T) (an ANCOVA). Unlike residualising on position first (``node_means(detrend=...)``),
    this does not remove the part of the node code that a short walk makes correlated with
    position (a short walk visits nearby nodes at nearby times), so a node code plus a position
    trend of degree <= ``order`` gives the node code exactly. Rows of absent nodes are nan; all
    rows are nan where the window cannot separate node and position (rank-deficient design)."""
    lo = T // 2
    w = walk[lo:T]
    Hw = H[:, lo:T]
    present = np.unique(w)
    D = np.hstack([(w[:, None] == present[None, :]).astype(float),
                   position_basis(len(w), order, basis)[:, 1:]])
    L, m, d = Hw.shape
    out = np.full((L, n, d), np.nan)
    if np.linalg.matrix_rank(D) < D.shape[1]:
        return out
    coef = np.linalg.lstsq(D, Hw.transpose(1, 0, 2).reshape(m, L * d), rcond=None)[0]
    out[:, present] = coef[:len(present)].reshape(len(present), L, d).transpose(1, 0, 2)
    return out


def node_means(H: np.ndarray, walk: np.ndarray, n: int, T: int, detrend: int = -1,
               basis: str = "poly", mean_direction: bool = False) -> np.ndarray:
    """(layers, n, d) mean over each node's occurrences at walk positions [T//2, T); rows of a
    node that does not occur there are nan. ``H`` is indexed by walk position. ``detrend`` >= 0:
    first regress each hidden dimension on the window's position basis of that order (0 = the
    window mean only) and keep the residuals; ``mean_direction``: first project the window's
    hidden states off their mean direction (a diagnostic of the position/drift component)."""
    lo = T // 2
    w = walk[lo:T]
    Hw = H[:, lo:T]
    if mean_direction:
        Hw = remove_mean_direction(Hw)
    if detrend >= 0:
        Hw = remove_position(Hw, detrend, basis)
    out = np.full((H.shape[0], n, H.shape[-1]), np.nan)
    for i in range(n):
        idx = np.flatnonzero(w == i)
        if len(idx):
            out[:, i] = Hw[:, idx].mean(axis=1)
    return out


def measures(X: np.ndarray, L: np.ndarray, U: np.ndarray, low_modes: int) -> dict:
    """Normalised Dirichlet energy, share of the ``low_modes`` lowest nontrivial modes, share of
    the lower half of the spectrum (modes 1 .. n//2 - 1, the complement of the noise study's high
    band n//2 .. n-1) and the top-2 PCA / Fiedler-pair overlap of one node representation X (n, d)."""
    n = X.shape[0]
    frac = model.mode_fractions(X, U)
    return {"energy": model.dirichlet_energy(X, L),
            "low_fraction": float(frac[1:1 + low_modes].sum()),
            "lower_half_fraction": float(frac[1:n // 2].sum()),
            "pca_fiedler_overlap": model.pca_fiedler_overlap(X, U)}


def baselines(g: model.Graph, low_modes: int) -> dict:
    """Values of a random (isotropic, centred) representation and the energy floor lambda_2."""
    lam, _ = model.spectrum(g.A)
    n = g.n
    return {"lambda2": float(lam[1]), "random_energy": float(lam.sum() / (n - 1)),
            "random_low_fraction": low_modes / (n - 1),
            "random_lower_half_fraction": (n // 2 - 1) / (n - 1),
            "random_overlap": 2 / (n - 1)}


def walk_tables(H: np.ndarray, walk: np.ndarray, g: model.Graph, Ts: Sequence[int],
                low_modes: int) -> tuple[list[dict], dict]:
    """Rows (layer, T, measures, change) for one walk and the node representations at the
    longest context. ``change``: scale-free ||X_T - X_Tmax|| / ||X_Tmax|| at the same layer
    (both centred over nodes and scaled to unit norm; nan where a node is missing)."""
    L = model.laplacian(g.A)
    _, U = model.spectrum(g.A)
    reps = {T: node_means(H, walk, g.n, T) for T in Ts}
    ref = reps[Ts[-1]]
    rows = []
    for T in Ts:
        complete = not np.isnan(reps[T][0]).any()
        for layer in range(H.shape[0]):
            row = {"layer": layer, "T": int(T), "complete": complete}
            if complete and not np.isnan(ref[layer]).any():
                X = reps[T][layer]
                row.update(measures(X, L, U, low_modes))
                row["change"] = model.relative_change(model.center(X), model.center(ref[layer]),
                                                      scale_free=True)
            rows.append(row)
    return rows, reps[Ts[-1]]
