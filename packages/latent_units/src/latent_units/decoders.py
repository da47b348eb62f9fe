"""Decoders of latent variables from recorded (noisy) neurons: closed-form ridge with a
validation-chosen penalty, and a non-linear (MLP) comparison."""

from __future__ import annotations

import numpy as np

from .model import ridge_fit

LAMBDAS = np.logspace(-4, 4, 17)  # ridge penalties, relative to the mean squared singular value


def observe(rates: np.ndarray, noise_rel: float, rng: np.random.Generator) -> np.ndarray:
    """Recorded activity: rates plus independent Gaussian noise whose std is ``noise_rel``
    times each neuron's own signal std (per-neuron SNR = 1 / noise_rel^2)."""
    sd = rates.std(0, keepdims=True)
    return rates + noise_rel * sd * rng.standard_normal(rates.shape)


def ridge_path(Xtr: np.ndarray, Ytr: np.ndarray, Xva: np.ndarray, lams: np.ndarray):
    """Validation predictions for every penalty in ``lams`` (relative to the mean squared
    singular value) from one SVD of the centred training data."""
    xm, ym = Xtr.mean(0), Ytr.mean(0)
    U, s, Vt = np.linalg.svd(Xtr - xm, full_matrices=False)
    UtY = U.T @ (Ytr - ym)
    XvV = (Xva - xm) @ Vt.T
    scale = np.mean(s ** 2)
    for lam in lams:
        d = s / (s ** 2 + lam * scale)
        yield lam * scale, XvV @ (d[:, None] * UtY) + ym


def ridge_decoder(Xtr: np.ndarray, Ytr: np.ndarray, val_frac: float = 0.2):
    """Ridge decoder with the penalty chosen on the last ``val_frac`` of the training
    samples (temporal split), then refitted on all training samples. Returns (W, b)."""
    nv = max(1, int(round(val_frac * len(Xtr))))
    best = min(ridge_path(Xtr[:-nv], Ytr[:-nv], Xtr[-nv:], LAMBDAS),
               key=lambda lp: float(((lp[1] - Ytr[-nv:]) ** 2).sum()))
    return ridge_fit(Xtr, Ytr, best[0])


def mlp_decoder(Xtr: np.ndarray, Ytr: np.ndarray, hidden: int, seed: int, max_iter: int,
                alphas=(1.0,), val_frac: float = 0.2, check_every: int = 5, patience: int = 4):
    """A one-hidden-layer ReLU MLP (scikit-learn, Adam, L2 penalty alpha), inputs and
    targets standardised, trained on the first part of the training block and early-stopped
    on its last ``val_frac`` (a *temporal* split, the same one the ridge decoder validates on:
    scikit-learn's own early stopping draws a random split, which leaks autocorrelated
    neighbours into validation and stops far too late). Checked every ``check_every`` epochs;
    the best checked weights are kept; at most ``max_iter`` epochs. Like the ridge's penalty,
    alpha is the one of ``alphas`` with the lowest validation error. Returns a predict function."""
    import copy
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor
    from sklearn.preprocessing import StandardScaler

    nv = max(1, int(round(val_frac * len(Xtr))))
    sx = StandardScaler().fit(Xtr[:-nv])
    ym, ys = Ytr.mean(0), Ytr.std(0) + 1e-12
    Xa, Ya = sx.transform(Xtr[:-nv]), (Ytr[:-nv] - ym) / ys
    Xv, Yv = sx.transform(Xtr[-nv:]), (Ytr[-nv:] - ym) / ys
    best, best_err = None, np.inf
    for alpha in alphas:
        model = MLPRegressor(hidden_layer_sizes=(hidden,), alpha=alpha, learning_rate_init=1e-3,
                             max_iter=check_every, warm_start=True, random_state=seed, tol=0.0,
                             n_iter_no_change=10 ** 6, shuffle=True)
        run_err, bad = np.inf, 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for _ in range(max(1, max_iter // check_every)):
                model.fit(Xa, Ya if Ya.shape[1] > 1 else Ya.ravel())
                err = float(((model.predict(Xv).reshape(len(Xv), -1) - Yv) ** 2).mean())
                if err < run_err - 1e-6:
                    run_err, bad = err, 0
                    if err < best_err:
                        best, best_err = copy.deepcopy(model), err
                else:
                    bad += 1
                    if bad >= patience:
                        break
    return lambda X: best.predict(sx.transform(X)).reshape(len(X), -1) * ys + ym
