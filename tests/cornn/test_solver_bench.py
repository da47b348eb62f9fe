"""The solver configurations of the speed benchmark compute the same fit (issue 29)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cornn import model, solver, solver_bench


def problem(n=25, T=1200, seed=2):
    rng = np.random.default_rng(seed)
    W, r = model.simulate_random(n, T, 3.0, 0.1, 1e-2, 1e-4, rng)
    x, d = model.design(r, None, 0.1)
    return W, r, x, d


@pytest.mark.parametrize("solve", solver.SOLVES)
def test_numpy_solver_equals_torch_solver_in_float64(solve):
    _, _, x, d = problem()
    a = solver.fit_cornn(torch.as_tensor(x), torch.as_tensor(d), l2=1e-4, threshold=0.2,
                         n_iter=8, dtype="float64", solve=solve).numpy()
    b = solver_bench.fit_numpy(x, d, 1e-4, 0.2, 8, "float64", solve)
    np.testing.assert_allclose(b, a, rtol=1e-7, atol=1e-9)


def test_authors_recipes_are_the_same_iteration():
    """The authors' numpy solver (columns rescaled) equals ours; their torch one (no
    rescaling) equals ours when nothing is rejected."""
    _, _, x, d = problem()
    ours = solver.fit_cornn(torch.as_tensor(x), torch.as_tensor(d), l2=1e-4, threshold=0.2,
                            n_iter=8, dtype="float64", solve="xp").numpy()
    np.testing.assert_allclose(solver_bench.fit_authors_numpy(x, d, 1e-4, 0.2, 8), ours,
                               rtol=1e-7, atol=1e-9)
    plain = solver.fit_cornn(torch.as_tensor(x), torch.as_tensor(d), l2=1e-4, threshold=None,
                             n_iter=8, dtype="float64").numpy()
    torch_ref = solver_bench.fit_authors_torch(x, d, 1e-4, 1e9, 8, dtype=torch.float64).numpy()
    np.testing.assert_allclose(torch_ref, plain, rtol=1e-7, atol=1e-9)


def test_bench_table_has_every_configuration_and_the_default_marked():
    W, r, _, _ = problem(n=12, T=400)
    t = solver_bench.bench_dataset("tiny", W, r, 0.1, 1e-4, 1.0, 3, 2,
                                   solver_bench.configurations())
    s = solver_bench.summarize(t, solver.DEFAULTS["cpu"])
    assert len(s) == len(solver_bench.configurations()) == 14
    assert s["is_default"].sum() == 1
    assert (s["repeats"] == 2).all() and (s["time_s"] > 0).all()
    # float64 configurations agree with each other on r; float32 within 1e-3 of its float64 twin
    r64 = s[(s["dtype"] == "float64")]["r"]
    assert r64.max() - r64.min() < 1e-6
    assert s["r_minus_float64"].abs().max() < 1e-3
    assert set(s["authors_fastest"]) <= {"authors_numpy", "authors_torch"}
