"""Track A: the exact fixed-attention averaging model (numpy only).

Graphs, their combinatorial Laplacians, random walks, the context-estimated
averaging operator and the measurements of the paper (energy, mode fractions,
PCA/Fiedler overlap, spacing ratio, noise robustness). See the package README
for the derivation of the operator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx
import numpy as np


# ----------------------------------------------------------------------------- graphs
@dataclass(frozen=True)
class Graph:
    name: str
    A: np.ndarray          # (n, n) symmetric 0/1 adjacency
    pos: np.ndarray        # (n, 2) drawing coordinates (plots only)
    shape: tuple[int, ...]  # (rows, cols) for grids, (n,) for rings, (m, n) for hex lattices

    @property
    def n(self) -> int:
        return self.A.shape[0]

    @property
    def n_edges(self) -> int:
        return int(self.A.sum() // 2)


def make_graph(name: str) -> Graph:
    """``grid<m>x<n>``, ``ring<n>`` or ``hex<m>x<n>`` (networkx hexagonal lattice of m x n cells)."""
    if m := re.fullmatch(r"grid(\d+)x(\d+)", name):
        r, c = int(m[1]), int(m[2])
        G = nx.grid_2d_graph(r, c)
        nodes = [(i, j) for i in range(r) for j in range(c)]          # row-major order
        pos = np.array([[j, -i] for i, j in nodes], float)
        shape = (r, c)
    elif m := re.fullmatch(r"ring(\d+)", name):
        k = int(m[1])
        G = nx.cycle_graph(k)
        nodes = list(range(k))
        ang = 2 * np.pi * np.arange(k) / k
        pos = np.stack([np.cos(ang), np.sin(ang)], 1)
        shape = (k,)
    elif m := re.fullmatch(r"hex(\d+)x(\d+)", name):
        G = nx.hexagonal_lattice_graph(int(m[1]), int(m[2]))
        nodes = sorted(G.nodes)
        pos = np.array([G.nodes[v]["pos"] for v in nodes], float)
        shape = (int(m[1]), int(m[2]))
    else:
        raise ValueError(f"unknown graph {name!r}: expected gridMxN, ringN or hexMxN")
    A = nx.to_numpy_array(G, nodelist=nodes)
    return Graph(name, A, pos, shape)


def laplacian(A: np.ndarray) -> np.ndarray:
    """Combinatorial Laplacian L = D - A."""
    return np.diag(A.sum(1)) - A


def spectrum(A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (ascending) and orthonormal eigenvectors (columns) of L = D - A."""
    lam, U = np.linalg.eigh(laplacian(A))
    return lam, U


def ring_spectrum(n: int) -> np.ndarray:
    """Closed form: 2 - 2 cos(2 pi k / n), k = 0..n-1 (sorted)."""
    return np.sort(2 - 2 * np.cos(2 * np.pi * np.arange(n) / n))


def grid_spectrum(r: int, c: int) -> np.ndarray:
    """Closed form (path x path): (2 - 2 cos(pi a / r)) + (2 - 2 cos(pi b / c)) (sorted)."""
    pa = 2 - 2 * np.cos(np.pi * np.arange(r) / r)
    pb = 2 - 2 * np.cos(np.pi * np.arange(c) / c)
    return np.sort((pa[:, None] + pb[None, :]).ravel())


# ----------------------------------------------------------------------------- walks and operator
def random_walks(A: np.ndarray, T: int, n_walks: int, rng: np.random.Generator) -> np.ndarray:
    """``n_walks`` independent length-T random walks started from the stationary
    distribution (pi ~ degree); shape (n_walks, T). Vectorised over walks."""
    deg = A.sum(1).astype(np.int64)
    order = np.argsort(-A, axis=1, kind="stable")          # neighbours first in each row
    walks = np.empty((n_walks, T), dtype=np.int64)
    walks[:, 0] = rng.choice(len(deg), size=n_walks, p=deg / deg.sum())
    u = rng.random((T, n_walks))
    for t in range(1, T):
        cur = walks[:, t - 1]
        walks[:, t] = order[cur, (u[t] * deg[cur]).astype(np.int64)]
    return walks


def context_adjacency(walk: np.ndarray, n: int, n_edges: int) -> np.ndarray:
    """Unbiased estimate of A from the context: symmetrised transition counts x |E| / (T - 1).

    Under the stationary walk each step crosses a given edge (either way) with
    probability 1/|E|, so E[counts_ij + counts_ji] = (T - 1)/|E|."""
    C = np.zeros((n, n))
    np.add.at(C, (walk[:-1], walk[1:]), 1.0)
    return (C + C.T) * n_edges / max(len(walk) - 1, 1)


def averaging_operator(A: np.ndarray, eta: float) -> np.ndarray:
    """One layer of the fixed-attention averaging model on node representations:
    h_i <- h_i + eta * sum_j A_ij (h_j - h_i), i.e. W = I - eta L."""
    return np.eye(len(A)) - eta * laplacian(A)


def propagate(W: np.ndarray, X0: np.ndarray, n_layers: int) -> np.ndarray:
    """Representations at layers 0..n_layers, shape (n_layers + 1, n, d)."""
    out = np.empty((n_layers + 1, *X0.shape))
    out[0] = X0
    for layer in range(n_layers):
        out[layer + 1] = W @ out[layer]
    return out


def center(X: np.ndarray) -> np.ndarray:
    """Remove the mean over nodes (the constant, zero-energy mode)."""
    return X - X.mean(axis=-2, keepdims=True)


# ----------------------------------------------------------------------------- measurements
def dirichlet_energy(X: np.ndarray, L: np.ndarray) -> float:
    """Normalised Dirichlet energy tr(X^T L X) / tr(X^T X) of the centred X."""
    Xc = center(X)
    return float(np.sum(Xc * (L @ Xc)) / np.sum(Xc * Xc))


def mode_fractions(X: np.ndarray, U: np.ndarray) -> np.ndarray:
    """Fraction of the centred representation's energy in each Laplacian mode."""
    c = U.T @ center(X)
    e = np.sum(c * c, axis=1)
    return e / e.sum()


def pca_basis(X: np.ndarray, k: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Top-k PCA over nodes: node-space directions (n, k) and node coordinates (n, k)."""
    Xc = center(X)
    Us, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    return Us[:, :k], Xc @ Vt[:k].T


def subspace_overlap(P: np.ndarray, Q: np.ndarray) -> float:
    """||P^T Q||_F^2 / k for orthonormal (n, k) bases: 1 iff the spans coincide."""
    return float(np.sum((P.T @ Q) ** 2) / P.shape[1])


def pca_fiedler_overlap(X: np.ndarray, U: np.ndarray) -> float:
    """Overlap of the top-2 PCA directions with the Fiedler pair (modes 2 and 3)."""
    return subspace_overlap(pca_basis(X, 2)[0], U[:, 1:3])


def grid_spacing_ratio(Y: np.ndarray, rows: int, cols: int) -> float:
    """Mean length of inner vs outer grid edges in an embedding Y (n, k), row-major nodes.

    An edge is outer when it touches a boundary row/column along its own axis. For
    the 4x4 Fiedler embedding the ratio is sqrt(2) (cos pi/8 - cos 3pi/8 vs 2 cos 3pi/8)."""
    Y = Y.reshape(rows, cols, -1)
    inner, outer = [], []
    for axis, size in ((1, cols), (0, rows)):
        d = np.linalg.norm(np.diff(Y, axis=axis), axis=-1)          # edges k -> k+1 along axis
        for k in range(size - 1):
            lengths = np.take(d, k, axis=axis).ravel()
            (outer if k in (0, size - 2) else inner).extend(lengths)
    return float(np.mean(inner) / np.mean(outer))


def relative_change(X: np.ndarray, X_ref: np.ndarray, scale_free: bool = False) -> float:
    """||X - X_ref|| / ||X_ref|| (Frobenius); ``scale_free``: both scaled to unit norm first, so
    only the shape of the representation counts (what energy, mode fractions and PCA see)."""
    if scale_free:
        X, X_ref = X / np.linalg.norm(X), X_ref / np.linalg.norm(X_ref)
    return float(np.linalg.norm(X - X_ref) / np.linalg.norm(X_ref))


def loglog_slope(T: np.ndarray, y: np.ndarray) -> float:
    """Least-squares slope of log y against log T (nan with fewer than two points)."""
    T, y = np.asarray(T, float), np.asarray(y, float)
    return float(np.polyfit(np.log(T), np.log(y), 1)[0]) if len(T) >= 2 else float("nan")


def band_noise(U: np.ndarray, modes: np.ndarray, d: int, norm: float,
               rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise restricted to the given Laplacian modes, scaled to Frobenius norm ``norm``."""
    B = U[:, modes] @ rng.standard_normal((len(modes), d))
    return B * (norm / np.linalg.norm(B))


def representation_summary(g: Graph, X: np.ndarray, L: np.ndarray, U: np.ndarray, low: int) -> dict:
    """Dirichlet energy, low-mode fraction (modes 1..low), PCA/Fiedler overlap of representations X
    on graph g (Laplacian L, eigenvectors U), and the spacing ratio on grid graphs."""
    frac = mode_fractions(X, U)
    out = {"energy": dirichlet_energy(X, L),
           "low_fraction": float(frac[1:1 + low].sum()),
           "pca_fiedler_overlap": pca_fiedler_overlap(X, U)}
    if g.name.startswith("grid"):
        out["spacing_ratio"] = grid_spacing_ratio(pca_basis(X, 2)[1], *g.shape)
    return out
