"""Context convergence (issue 30): the change measures, the log-log slope and the per-depth
diagnostics the exact stage records next to the judged last-layer slope."""

from __future__ import annotations

import numpy as np
import pytest

import repro_core
from icl_lowfreq import model
from icl_lowfreq import stages as S
from tests.helpers import stage_config


def test_relative_change_raw_and_scale_free():
    X = np.random.default_rng(0).standard_normal((10, 4))
    assert model.relative_change(2.5 * X, X) == pytest.approx(1.5)
    assert model.relative_change(2.5 * X, X, scale_free=True) == pytest.approx(0.0, abs=1e-12)
    Y = X.copy()
    Y[:, 0] = -Y[:, 0]                              # a change of shape at equal norm
    assert model.relative_change(Y, X, scale_free=True) == pytest.approx(model.relative_change(Y, X))


def test_loglog_slope_of_a_power_law():
    T = np.array([10.0, 100.0, 1000.0])
    assert model.loglog_slope(T, 3.0 * T ** -0.5) == pytest.approx(-0.5)
    assert np.isnan(model.loglog_slope(T[:1], T[:1]))


def test_depth_diagnostics_agree_with_the_judged_slopes(tmp_path):
    cfg = stage_config("icl_lowfreq", "exact", graphs=["ring10"], dim=8, n_layers=8, context_factors=[1, 10, 30, 100],
                       n_walks=4, noise_levels=[0.01], noise_draws=2, snapshot_layers=[0, 8])
    paths = {k: tmp_path / f"{k}.{ext}" for k, ext in
             (("metrics", "json"), ("layers", "csv"), ("context", "csv"), ("snapshots", "npz"))}
    S.exact(cfg, **paths)
    gm = repro_core.load_json(paths["metrics"])["graphs"]["ring10"]
    by = gm["context_slope_by_layer"]
    assert sorted(by, key=int) == ["1", "2", "4", "8"]
    assert by["1"]["slope"] == pytest.approx(gm["context_slope_first_layer"])
    assert by["8"]["slope"] == pytest.approx(gm["context_slope"])
    # depth amplifies the context error: the raw RMS change at T = 10 n grows with depth
    rms = [by[k]["rms_change_at_fit_start"] for k in ("1", "2", "4", "8")]
    assert all(b > a for a, b in zip(rms, rms[1:]))


@pytest.mark.parametrize("name", ["ring10", "grid4x4"])
def test_next_token_code_is_rougher_than_random_on_bipartite_graphs(name):
    """Row i of D^-1 A (where the walk goes next from i) puts as much weight on the top modes as
    on the bottom ones (A = D - L on a regular bipartite graph): its energy exceeds the energy
    tr(L)/(n-1) of a random representation. Ring: closed form sum_k lam_k (2-lam_k)^2 / sum_k (2-lam_k)^2."""
    g = model.make_graph(name)
    L = model.laplacian(g.A)
    code = model.dirichlet_energy(g.A / g.A.sum(1, keepdims=True), L)
    assert code > np.trace(L) / (g.n - 1)
    if name == "ring10":
        lam = model.ring_spectrum(10)[1:]
        assert code == pytest.approx(np.sum(lam * (2 - lam) ** 2) / np.sum((2 - lam) ** 2))
