"""Closed-form and invariant tests of the CORNN solver (issue item 5)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cornn import model, solver

ALPHA = 0.1
DEV = torch.device("cpu")


def noiseless_trials(n=50, n_in=2, trials=40, steps=50, g=1.0, seed=0):
    """Noiseless multi-trial data of a random network with inputs (g small enough that no
    target is clipped)."""
    rng = np.random.default_rng(seed)
    W, W_in = model.random_network(n, g, rng, n_in=n_in)
    u = rng.normal(0, 0.5, size=(trials, steps, n_in))
    r0 = rng.uniform(-1, 1, size=(trials, n))
    r = model.simulate_rates(W, W_in, u, r0, ALPHA)
    x, d = model.design(r, u, ALPHA)
    assert np.abs(d).max() < 1 - model.CLIP, "test data must not hit the clip"
    theta_true = np.concatenate([W.T, W_in.T], axis=0)
    return solver.as_tensor(x, DEV), solver.as_tensor(d, DEV), theta_true, W


def noisy_problem(n=30, T=1500, seed=1, sigma_in=1e-2):
    rng = np.random.default_rng(seed)
    W, r = model.simulate_random(n, T, 3.0, ALPHA, sigma_in, 1e-4, rng)
    x, d = model.design(r, None, ALPHA)
    return solver.as_tensor(x, DEV), solver.as_tensor(d, DEV), W


def test_noiseless_data_recovered_exactly_by_ridge_init():
    X, D, theta_true, _ = noiseless_trials()
    prep = solver.prepare(X, l2=0.0)
    theta = solver.ridge_init(prep, D, X).numpy()
    rel = np.linalg.norm(theta - theta_true) / np.linalg.norm(theta_true)
    assert rel < 1e-8


def test_error_vanishes_at_exact_solution_and_iterations_keep_it():
    X, D, theta_true, _ = noiseless_trials()
    prep = solver.prepare(X, l2=0.0)
    theta_fp = solver.ridge_init(prep, D, X)
    E = solver.weighted_error(D, torch.tanh(X @ theta_fp), threshold=0.2)
    assert E.abs().max().item() < 1e-7
    theta = solver.fit_cornn(X, D, l2=0.0, threshold=0.2, n_iter=5, dtype="float64")
    assert torch.allclose(theta, theta_fp, rtol=0, atol=1e-9)


def test_fixed_point_is_stationary_point_of_weighted_loss():
    X, D, _ = noisy_problem()
    l2 = 1e-3
    theta = solver.fit_cornn(X, D, l2=l2, threshold=None, n_iter=300, tol=1e-13, dtype="float64")
    lam = l2 * X.shape[0]
    E = solver.weighted_error(D, torch.tanh(X @ theta), None)
    # lambda' theta = X^T E at a fixed point ...
    lhs, rhs = lam * theta, X.T @ E
    assert torch.linalg.norm(lhs - rhs) / torch.linalg.norm(rhs) < 1e-6
    # ... which is where the gradient of the weighted cross-entropy + ridge vanishes
    th = theta.clone().requires_grad_(True)
    solver.ce_loss(X, D, th, lam, weighted=True).backward()
    assert torch.linalg.norm(th.grad) / torch.linalg.norm(rhs) < 1e-6


@pytest.mark.parametrize("solve", solver.SOLVES)
def test_shared_factor_equals_separate_ridge_solves(solve):
    X, D, _ = noisy_problem(n=20, T=600)
    l2 = 1e-4
    prep = solver.prepare(X, l2, solve=solve)
    theta = solver.ridge_init(prep, D, X).numpy()
    x, z = X.numpy(), np.arctanh(D.numpy())
    A = x.T @ x + l2 * x.shape[0] * np.eye(x.shape[1])
    for i in range(D.shape[1]):
        np.testing.assert_allclose(theta[:, i], np.linalg.solve(A, x.T @ z[:, i]), rtol=1e-7, atol=1e-9)
    B = torch.as_tensor(np.random.default_rng(0).normal(size=(x.shape[1], 3)))
    np.testing.assert_allclose(prep.apply_inv(B).numpy(), np.linalg.solve(A, B.numpy()), atol=1e-10)
    if solve == "xp":
        np.testing.assert_allclose(prep.Xm.numpy(), np.linalg.solve(A, x.T @ x), atol=1e-10)


def test_admm_has_exactly_zero_diagonal_and_recovers_weights():
    X, D, _, W = noiseless_trials(n_in=2)
    n = W.shape[0]
    theta = solver.fit_cornn(X, D, l2=1e-6, threshold=1.0, n_iter=50, rho=10.0, n_rec=n)
    W_fit = theta[:n].T.numpy()
    assert np.all(np.diag(W_fit) == 0.0)
    assert model.weight_metrics(W, W_fit)["r"] > 0.999
    # the input weights (rows n:) are not constrained
    assert np.all(theta[n:].numpy() != 0.0)


def test_loss_gradient_and_curvature_match_autograd():
    rng = np.random.default_rng(3)
    z = torch.tensor(rng.normal(0, 1, 200), requires_grad=True)
    d = torch.tensor(rng.uniform(-0.99, 0.99, 200))
    bce = torch.nn.functional.binary_cross_entropy((1 + torch.tanh(z)) / 2, (1 + d) / 2,
                                                   reduction="sum")
    (grad,) = torch.autograd.grad(bce, z, create_graph=True)
    torch.testing.assert_close(grad, torch.tanh(z) - d, rtol=1e-9, atol=1e-9)
    (curv,) = torch.autograd.grad(grad.sum(), z)
    torch.testing.assert_close(curv, 1 - torch.tanh(z) ** 2, rtol=1e-7, atol=1e-7)
    # the softplus form used by ce_loss equals the BCE exactly
    soft = solver.ce_loss(torch.eye(200, dtype=torch.float64), d[:, None] * torch.eye(200)[:, :1],
                          z.detach()[:, None], 0.0, weighted=False)
    ref = torch.nn.functional.binary_cross_entropy(
        (1 + torch.tanh(z.detach())) / 2, (1 + d * (torch.arange(200) == 0)) / 2, reduction="sum")
    torch.testing.assert_close(soft, ref)


def test_decay_without_weights_inputs_or_noise():
    n, steps = 7, 25
    r0 = np.random.default_rng(0).uniform(-1, 1, (1, n))
    r = model.simulate_rates(np.zeros((n, n)), np.zeros((n, 0)), np.zeros((1, steps, 0)), r0, ALPHA)
    expected = (1 - ALPHA) ** np.arange(steps + 1)[:, None] * r0
    np.testing.assert_allclose(r[0], expected, rtol=1e-12)


def test_weighted_error_outliers_zeroed_and_columns_rescaled():
    T = 10
    D = torch.zeros(T, 2, dtype=torch.float64)
    Dhat = torch.zeros(T, 2, dtype=torch.float64)
    Dhat[:3, 0] = -0.5                      # E = 0.5 > threshold in 3 rows of column 0
    Dhat[3:, 0] = -0.1                      # E = 0.1 kept
    Dhat[:, 1] = -0.1                       # nothing rejected in column 1
    E = solver.weighted_error(D, Dhat, threshold=0.2)
    assert torch.all(E[:3, 0] == 0)
    torch.testing.assert_close(E[3:, 0], torch.full((7,), 0.1 * T / 7, dtype=torch.float64))
    torch.testing.assert_close(E[:, 1], torch.full((T,), 0.1, dtype=torch.float64))


def test_design_targets_invert_the_rate_update():
    X, D, theta_true, _ = noiseless_trials(n=10, trials=3, steps=20)
    torch.testing.assert_close(D, torch.tanh(X @ torch.as_tensor(theta_true)))


@pytest.mark.parametrize("kind", ["gaussian", "laplace", "poisson"])
def test_simulation_is_deterministic_given_the_generator(kind):
    runs = [model.simulate_random(10, 50, 3.0, ALPHA, 1e-2, 1e-3, np.random.default_rng(5), kind)
            for _ in range(2)]
    np.testing.assert_array_equal(runs[0][1], runs[1][1])


@pytest.mark.parametrize("solve", solver.SOLVES)
@pytest.mark.parametrize("threshold", [None, 0.2])
def test_inplace_step_equals_reference_formula(threshold, solve):
    """Every solve computes A^{-1} X^T X theta + A^{-1} X^T weighted_error(D, tanh(X theta)),
    with A^{-1} from an independent dense solve."""
    rng = np.random.default_rng(4)
    X = torch.as_tensor(rng.normal(size=(300, 12)))
    D = torch.as_tensor(np.clip(rng.uniform(-1, 1, size=(300, 10)), -0.99, 0.99))
    theta = torch.as_tensor(rng.normal(scale=0.3, size=(12, 10)))
    l2 = 1e-3
    x = X.numpy()
    A = x.T @ x + l2 * 300 * np.eye(12)
    E = solver.weighted_error(D, torch.tanh(X @ theta), threshold).numpy()
    ref = np.linalg.solve(A, x.T @ x @ theta.numpy() + x.T @ E)
    prep = solver.prepare(X, l2=l2, solve=solve)
    work = solver.Workspace(D)
    for _ in range(2):  # reusing the buffers gives the same step
        np.testing.assert_allclose(solver.cornn_step(prep, X, D, theta, threshold, work).numpy(),
                                   ref, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("solve", solver.SOLVES)
def test_admm_step_equals_reference_formula(solve):
    """The ADMM step A^{-1} (X^T X theta + X^T E + rho' (chi - v)), A = X^T X + (lambda' + rho') I."""
    rng = np.random.default_rng(5)
    X = torch.as_tensor(rng.normal(size=(200, 8)))
    D = torch.as_tensor(np.clip(rng.uniform(-1, 1, size=(200, 8)), -0.99, 0.99))
    theta, target = (torch.as_tensor(rng.normal(scale=0.3, size=(8, 8))) for _ in range(2))
    l2, rho = 1e-3, 10.0
    lam = l2 * 200
    x = X.numpy()
    A = x.T @ x + (lam + rho * lam) * np.eye(8)
    E = solver.weighted_error(D, torch.tanh(X @ theta), 1.0).numpy()
    ref = np.linalg.solve(A, x.T @ x @ theta.numpy() + x.T @ E + rho * lam * target.numpy())
    prep = solver.prepare(X, l2=l2, rho=rho, solve=solve)
    got = solver.cornn_step(prep, X, D, theta, 1.0, admm_target=target).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-10)


def test_float32_fit_tracks_float64_and_returns_the_input_dtype():
    X, D, W = noisy_problem(n=40, T=3000)
    fits = {dt: solver.fit_cornn(X, D, l2=1e-5, threshold=0.2, n_iter=20, dtype=dt, solve="cholesky")
            for dt in ("float64", "float32")}
    assert fits["float32"].dtype == torch.float64
    r = {dt: model.weight_metrics(W, th[:40].T.numpy())["r"] for dt, th in fits.items()}
    assert abs(r["float32"] - r["float64"]) < 1e-3
    rel = torch.linalg.norm(fits["float32"] - fits["float64"]) / torch.linalg.norm(fits["float64"])
    assert rel < 1e-2


def test_default_precision_and_solve_come_from_the_device_table():
    assert solver.default_dtype("cpu") == solver.DTYPES[solver.DEFAULTS["cpu"]["dtype"]]
    assert solver.default_solve("cpu") == solver.DEFAULTS["cpu"]["solve"]
    X, D, _ = noisy_problem(n=10, T=300)
    a = solver.fit_cornn(X, D, l2=1e-5, threshold=1.0, n_iter=3)
    b = solver.fit_cornn(X, D, l2=1e-5, threshold=1.0, n_iter=3,
                         dtype=solver.DEFAULTS["cpu"]["dtype"], solve=solver.DEFAULTS["cpu"]["solve"])
    assert torch.equal(a, b)
