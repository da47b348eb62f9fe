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
