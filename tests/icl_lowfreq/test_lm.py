"""Track C measures on hand cases: a Fourier mode on the ring (energy, low-frequency shares), a
planted embedding (PCA / Fiedler overlap), the occurrence means and the tokenizer helpers."""

from __future__ import annotations

import numpy as np
import pytest

from icl_lowfreq import lm as LM
from icl_lowfreq import model

RING = model.make_graph("ring10")
L = model.laplacian(RING.A)
_, U = model.spectrum(RING.A)
i = np.arange(10)


def _mode(k):
    return np.stack([np.cos(2 * np.pi * k * i / 10), np.sin(2 * np.pi * k * i / 10)], 1)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_fourier_mode_energy_and_shares(k):
    m = LM.measures(_mode(k), L, U, low_modes=2)
    assert m["energy"] == pytest.approx(2 - 2 * np.cos(2 * np.pi * k / 10))
    assert m["low_fraction"] == pytest.approx(1.0 if k == 1 else 0.0, abs=1e-12)
    # lower half = modes 1..4 = frequencies k = 1, 2
    assert m["lower_half_fraction"] == pytest.approx(1.0 if k <= 2 else 0.0, abs=1e-12)


def test_alternating_signal_is_all_high_frequency():
    X = np.where(i % 2 == 0, 1.0, -1.0)[:, None]
    m = LM.measures(X, L, U, low_modes=2)
    assert m["energy"] == pytest.approx(4.0)
    assert m["lower_half_fraction"] == pytest.approx(0.0, abs=1e-12)


def test_planted_embedding_overlap():
    rng = np.random.default_rng(0)
    planted = np.hstack([5 * _mode(1), 0.1 * rng.standard_normal((10, 6))])   # circle + small noise
    assert LM.measures(planted, L, U, 2)["pca_fiedler_overlap"] > 0.99
    wrong = np.hstack([5 * _mode(4), 0.1 * rng.standard_normal((10, 6))])     # a high-frequency circle
    assert LM.measures(wrong, L, U, 2)["pca_fiedler_overlap"] < 0.01
    b = LM.baselines(RING, 2)
    assert b["random_energy"] == pytest.approx(np.trace(L) / 9)
    assert b["random_lower_half_fraction"] == pytest.approx(4 / 9)


def test_node_means_use_the_second_half_of_the_prefix():
    walk = np.array([0, 1, 2, 1, 0, 1, 2, 1])
    H = np.arange(8, dtype=float)[None, :, None] * np.ones((2, 8, 3))        # value = position
    X = LM.node_means(H, walk, 3, T=8)                                        # positions 4..7
    assert X[0, :, 0].tolist() == [4.0, 6.0, 6.0]
    X = LM.node_means(H, walk, 3, T=4)                                        # positions 2, 3
    assert np.isnan(X[0, 0]).all() and X[1, 1, 0] == 3.0 and X[1, 2, 0] == 2.0


class _Tok:
    """Word-level stand-in: ' word' is one token, other strings split per character."""
    def __init__(self, bos):
        self.bos = bos

    def encode(self, text, add_special_tokens=True):
        w = text.strip()
        ids = [len(w)] if w.isalpha() and w != "xylophone" else [ord(c) for c in w]
        return ([1] if self.bos and add_special_tokens else []) + ids


def test_tokenizer_helpers():
    assert LM.special_prefix(_Tok(True)) == [1] and LM.special_prefix(_Tok(False)) == []
    assert LM.single_token_words(_Tok(False), ["apple", "xylophone"]) == {"apple": 5}


def test_walk_tables_on_a_smooth_model():
    """Hidden state = a fixed smooth embedding of the current node: every complete context gives
    the planted energy and zero change relative to the longest context."""
    rng = np.random.default_rng(1)
    walk = model.random_walks(RING.A, 200, 1, rng)[0]
    emb = 3 * _mode(1)
    H = np.stack([emb[walk], emb[walk]])                                      # 2 layers
    rows, X = LM.walk_tables(H, walk, RING, [40, 100, 200], 2)
    full = [r for r in rows if r["complete"]]
    assert full and all(r["energy"] == pytest.approx(2 - 2 * np.cos(np.pi / 5)) for r in full)
    assert all(r["change"] == pytest.approx(0.0, abs=1e-12) for r in full)
    assert X.shape == (2, 10, 2)


# ----------------------------------------------------------------------------- position regression
@pytest.mark.parametrize("kind", ["poly", "cos"])
def test_position_basis_spans_low_order_trends(kind):
    B = LM.position_basis(40, 3, kind)
    assert B.shape == (40, 4) and np.allclose(B[:, 0], 1.0)
    assert np.linalg.matrix_rank(B) == 4


def test_remove_position_kills_polynomial_drift_and_keeps_orthogonal_signal():
    m, d = 50, 4
    t = np.arange(m)[None, :, None]
    drift = 0.3 + 0.02 * t - 1e-4 * t ** 2 + np.zeros((2, m, d))               # degree-2 drift
    assert np.abs(LM.remove_position(drift, 2)).max() < 1e-10
    assert np.abs(LM.remove_position(drift, 1)).max() > 1e-3                   # order 1 misses t^2
    alt = np.where(np.arange(m) % 2 == 0, 1.0, -1.0)[None, :, None] * np.ones((1, m, d))
    B = LM.position_basis(m, 2)
    R = LM.remove_position(alt + drift[:1], 2)
    assert np.allclose(B.T @ R[0], 0, atol=1e-9)                               # residual _|_ basis
    proj = B @ np.linalg.lstsq(B, alt[0], rcond=None)[0]
    assert np.allclose(R[0], alt[0] - proj)                                    # = alt's own residual


def test_node_means_detrended_remove_a_positional_drift():
    """Hidden state = smooth node code + a linear drift in position: detrend=1 removes the drift
    from every node mean up to the node code's own (small) correlation with position."""
    rng = np.random.default_rng(3)
    walk = model.random_walks(RING.A, 400, 1, rng)[0]
    code = _mode(2)                                                             # a rough code, E = 1.38
    pos = np.arange(400)[:, None]
    H = np.stack([code[walk] + 0.05 * pos * np.ones((1, 2))])
    T = 100                                                                     # 50-token window
    raw = LM.node_means(H, walk, 10, T)[0]
    assert not np.isnan(raw).any()                                             # every node occurs
    det = LM.node_means(H, walk, 10, T, detrend=1)[0]
    pure = LM.node_means(H - 0.05 * pos[None], walk, 10, T, detrend=1)[0]
    assert np.allclose(det, pure)                                              # drift gone exactly
    e_code = model.dirichlet_energy(code, L)
    assert abs(model.dirichlet_energy(det, L) - e_code) < abs(model.dirichlet_energy(raw, L) - e_code)
    # detrend=0 only subtracts the window mean, which node centring removes anyway
    assert np.allclose(model.center(LM.node_means(H, walk, 10, T, detrend=0)[0]), model.center(raw))


def test_remove_mean_direction():
    rng = np.random.default_rng(4)
    Hw = rng.standard_normal((2, 30, 5)) + np.array([3.0, 0, 0, 0, 4.0])
    R = LM.remove_mean_direction(Hw)
    u = Hw.mean(1, keepdims=True) / np.linalg.norm(Hw.mean(1, keepdims=True), axis=-1, keepdims=True)
    assert np.allclose(np.sum(R * u, -1), 0, atol=1e-12)
    assert np.allclose(R.mean(1), 0, atol=1e-12)                               # the window mean is gone


def test_node_means_adjusted_recover_the_node_code_under_a_polynomial_drift():
    """Joint fit (node indicators + position trend): a node code plus a degree-2 drift gives the
    node code exactly even in a short window, where residualising on position first does not
    (the short walk makes the smooth part of the code correlated with position)."""
    rng = np.random.default_rng(5)
    walk = model.random_walks(RING.A, 200, 1, rng)[0]
    code = rng.standard_normal((10, 3))
    t = np.arange(200)[:, None]
    H = np.stack([code[walk] + 0.3 + 0.05 * t - 3e-4 * t ** 2, code[walk]])       # 2 layers
    for T in (60, 200):
        X = LM.node_means_adjusted(H, walk, 10, T, order=2)
        seen = np.unique(walk[T // 2:T])
        assert np.allclose(model.center(X[0, seen]), model.center(X[1, seen]))     # drift gone
        assert np.allclose(X[1, seen], code[seen])                                 # code kept
        missing = np.setdiff1d(np.arange(10), seen)
        assert np.isnan(X[:, missing]).all()
    # residualising first distorts the code of a short window (the confound the joint fit avoids)
    R = LM.node_means(H[1:], walk, 10, 60, detrend=2)[0]
    seen = np.unique(walk[30:60])
    assert not np.allclose(model.center(R[seen]), model.center(code[seen]), atol=1e-3)
    # more regressors than the window can separate: undefined, not a min-norm guess
    assert np.isnan(LM.node_means_adjusted(H, walk, 10, 20, order=12)).all()
