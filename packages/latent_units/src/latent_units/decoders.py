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


def mlp_decoder(Xtr: np.ndarray, Ytr: np.ndarray, hidden: int, seed: int, max_iter: int):
    """A one-hidden-layer ReLU MLP (scikit-learn, Adam, early stopping on 10% of the training
    data), inputs standardised; returns a predict function."""
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    model = make_pipeline(StandardScaler(), MLPRegressor(
        hidden_layer_sizes=(hidden,), alpha=1e-3, learning_rate_init=1e-3, max_iter=max_iter,
        early_stopping=True, validation_fraction=0.1, n_iter_no_change=20, random_state=seed))
    model.fit(Xtr, Ytr)
    return lambda X: model.predict(X).reshape(len(X), -1)
