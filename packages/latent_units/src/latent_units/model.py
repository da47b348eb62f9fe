"""Latent-computing networks: a k-dimensional latent computation embedded in N neurons.

The framework (Dinc et al., arXiv 2502.14337) in our notation (time in units of the
single-neuron time constant tau = 1):

    rates       dr/dt = -r + phi(M kappa + B u + c)      (non-linear embedding, N neurons)
    latent      kappa = R r                              (linear encoding, R is k x N)
    so          dkappa/dt = -kappa + R phi(M kappa + B u + c)
    connectivity W = M R  (rank k), input weights B.

``M, B, c`` are random (mixed selectivity: every neuron sees every latent and input); the
readout ``R`` is fitted in closed form (kernel ridge regression, dual form, streamed over
neuron chunks so N can be 10^6) so that ``R phi(.) = kappa + F(kappa, u)``, where ``F``
is the target latent flow. Because the rate equation is linear in ``r``, ``kappa = R r``
holds exactly along a simulated trajectory (same Euler step for both), so the latent
trajectory is simulated in k dimensions at O(Nk) per step and the activity of any subset of
neurons is reconstructed afterwards by filtering ``phi`` along that trajectory.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CHUNK = 4096  # neurons per chunk when streaming over a large population


@dataclass
class LatentNet:
    """A latent-computing RNN: loadings ``M`` (N x k), input weights ``B`` (N x k_in),
    biases ``c`` (N,), readout ``R`` (k x N)."""
    M: np.ndarray
    B: np.ndarray
    c: np.ndarray
    R: np.ndarray
    gain: float = 4.0       # slope of the sigmoid rate function
    theta: float = 2.0      # threshold (in units of the pre-activation's std): sparse tuning

    @property
    def n(self) -> int:
        return self.M.shape[0]

    def features(self, kappa: np.ndarray, u: np.ndarray, idx=slice(None)) -> np.ndarray:
        """phi(M kappa + B u + c) for samples (rows) of ``kappa``, ``u``; neurons ``idx``."""
        return self.phi(kappa @ self.M[idx].T + u @ self.B[idx].T + self.c[idx])

    def phi(self, z: np.ndarray) -> np.ndarray:
        """Rate function: a sigmoid of slope ``gain`` and threshold ``theta`` (rates in [0, 1])."""
        return 0.5 * (1.0 + np.tanh(0.5 * self.gain * (z - self.theta)))  # the logistic function

    def subset(self, idx) -> "LatentNet":
        return LatentNet(self.M[idx], self.B[idx], self.c[idx], self.R[:, idx], self.gain, self.theta)


def leaky_filter(x: np.ndarray, a: float, b: float, y0: np.ndarray) -> np.ndarray:
    """y_t = a y_{t-1} + b x_t along axis 0, starting from y_{-1} = ``y0`` (a first-order
    recursive filter; a plain loop, as scipy.signal costs seconds to import)."""
    y = np.empty_like(x, dtype=float)
    prev = np.asarray(y0, dtype=float)
    for t in range(len(x)):
        prev = y[t] = a * prev + b * x[t]
    return y


def chunks(n: int, size: int = CHUNK):
    for s in range(0, n, size):
        yield slice(s, min(n, s + size))


def ridge_dual_fit(feature_fn, n_features: int, Y: np.ndarray, ridge: float) -> np.ndarray:
    """Closed-form ridge readout ``R`` (k x n) minimising ||Y - Phi R^T||^2 + lam ||R||^2.

    ``feature_fn(slice)`` returns the S x |slice| block of the feature matrix Phi. Uses the
    dual (kernel) form, ``R^T = Phi^T (Phi Phi^T + lam I)^-1 Y``, streaming over feature
    chunks so memory is O(S^2 + S * CHUNK). ``lam = ridge * tr(Phi Phi^T) / S`` (relative)."""
    S = Y.shape[0]
    K = np.zeros((S, S))
    for sl in chunks(n_features):
        P = feature_fn(sl)
        K += P @ P.T
    lam = ridge * np.trace(K) / S
    alpha = np.linalg.solve(K + lam * np.eye(S), Y)
    R = np.empty((Y.shape[1], n_features))
    for sl in chunks(n_features):
        R[:, sl] = (feature_fn(sl).T @ alpha).T
    return R


def ridge_fit(X: np.ndarray, Y: np.ndarray, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Ridge regression with intercept in closed form: returns (W, b) with Y ~ X W + b.

    Uses the primal normal equations when features <= samples, else the dual form."""
    xm, ym = X.mean(0), Y.mean(0)
    Xc, Yc = X - xm, Y - ym
    n, d = Xc.shape
    if d <= n:
        W = np.linalg.solve(Xc.T @ Xc + lam * np.eye(d), Xc.T @ Yc)
    else:
        W = Xc.T @ np.linalg.solve(Xc @ Xc.T + lam * np.eye(n), Yc)
    return W, ym - xm @ W


def latent_flow(task: str, kappa: np.ndarray, u: np.ndarray, beta: float, h_in: float) -> np.ndarray:
    """Target latent flow F (dkappa/dt = F, time in units of tau) of the computation.

    ``integrator``: a leaky integrator of the input with memory time ``beta``,
    F = -kappa / beta + h_in u.  ``flipflop``: K bistable units (fixed points +-1) with slow
    time scale ``beta``, F = (kappa - kappa^3) / beta + h_in u."""
    if task == "integrator":
        return -kappa / beta + h_in * u
    if task == "flipflop":
        return (kappa - kappa ** 3) / beta + h_in * u
    raise ValueError(f"unknown task {task!r}; allowed: integrator, flipflop")


def sample_embedding(n: int, k: int, k_in: int, gain: float, theta: float,
                     rng: np.random.Generator) -> LatentNet:
    """Random mixed-selectivity embedding: loadings M (n x k) and input weights B (n x k_in)
    i.i.d. N(0, 1 / k), biases c ~ N(0, 1), so every pre-activation has unit-order spread.
    The readout is left at zero (see :func:`fit_readout`)."""
    M = rng.normal(0.0, 1.0 / np.sqrt(k), (n, k))
    B = rng.normal(0.0, 1.0 / np.sqrt(k), (n, k_in))
    c = rng.normal(0.0, 1.0, n)
    return LatentNet(M, B, c, np.zeros((k, n)), gain, theta)


def fit_samples(k: int, n_fit: int, kappa_max: float, u_std: float, u_pulse_p: float,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Points (kappa, u) where the readout is fitted: kappa uniform in the cube
    [-kappa_max, kappa_max]^k, u = +-1 pulses (probability ``u_pulse_p`` per channel) plus
    Gaussian noise of std ``u_std`` (the task's input statistics)."""
    kap = rng.uniform(-kappa_max, kappa_max, (n_fit, k))
    u = rng.choice([-1.0, 0.0, 1.0], size=(n_fit, k), p=[u_pulse_p / 2, 1 - u_pulse_p, u_pulse_p / 2])
    return kap, u + rng.normal(0.0, u_std, (n_fit, k))


def fit_readout(net: LatentNet, task: str, beta: float, h_in: float, kap: np.ndarray,
                u: np.ndarray, ridge: float) -> LatentNet:
    """Fit R in closed form so that R phi(kappa, u) = kappa + F(kappa, u) on the samples:
    then dkappa/dt = -kappa + R phi = F, i.e. the network carries the computation."""
    Y = kap + latent_flow(task, kap, u, beta, h_in)
    net.R = ridge_dual_fit(lambda sl: net.features(kap, u, sl), net.n, Y, ridge)
    return net


def make_inputs(k: int, steps: int, dt: float, pulse_rate: float, pulse_len: float,
                noise_std: float, noise_tau: float, rng: np.random.Generator) -> np.ndarray:
    """Flip-flop inputs: on each channel, pulses of +-1 lasting ``pulse_len`` arrive as a
    Poisson process of rate ``pulse_rate`` (per tau), plus an Ornstein-Uhlenbeck noise of
    std ``noise_std`` and correlation time ``noise_tau``."""
    u = np.zeros((steps, k))
    plen = max(1, int(round(pulse_len / dt)))
    for j in range(k if pulse_rate > 0 else 0):
        t = 0
        while True:
            t += max(1, int(round(rng.exponential(1.0 / pulse_rate) / dt)))
            if t >= steps:
                break
            u[t:t + plen, j] = rng.choice([-1.0, 1.0])
            t += plen
    a = np.exp(-dt / noise_tau)
    xi = rng.normal(0.0, noise_std * np.sqrt(1 - a * a), (steps, k))
    return u + leaky_filter(xi, a, 1.0, np.zeros(k))


def simulate_latent(net: LatentNet, u: np.ndarray, kappa_init: np.ndarray, dt: float,
                    readout: np.ndarray | None = None) -> np.ndarray:
    """Euler-integrate dkappa/dt = -kappa + R phi(M kappa + B u + c).

    With the rates of :func:`activity` (r_0 = phi at step 0, same Euler step), the mismatch
    R r_t - kappa_t = (1 - dt)^t (R r_0 - kappa_0) vanishes geometrically, so after a
    burn-in kappa = R r holds to machine precision. ``readout`` overrides R in the dynamics
    (drift experiments). Returns kappa at steps 0..T (T+1 rows)."""
    R = net.R if readout is None else readout
    kappa = np.empty((u.shape[0] + 1, net.M.shape[1]))
    kappa[0] = kappa_init
    for t in range(u.shape[0]):
        phi = net.phi(net.M @ kappa[t] + net.B @ u[t] + net.c)
        kappa[t + 1] = kappa[t] + dt * (-kappa[t] + R @ phi)
    return kappa


def activity(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float, rec: np.ndarray,
             idx=slice(None)) -> np.ndarray:
    """Rates of neurons ``idx`` at recorded steps ``rec`` along a latent trajectory.

    r_{t+1} = (1 - dt) r_t + dt phi(M kappa_t + B u_t + c), r_0 = phi at t=0 (the same
    Euler scheme as :func:`simulate_latent`, so R r_t = kappa_t)."""
    T = u.shape[0]
    phi = net.features(kappa[:T], u, idx)
    r = np.empty((T + 1, phi.shape[1]))
    r[0] = phi[0]
    r[1:] = leaky_filter(phi, 1.0 - dt, dt, phi[0])
    return r[rec]


def activity_gram(net: LatentNet, kappa: np.ndarray, u: np.ndarray, dt: float,
                  rec: np.ndarray) -> np.ndarray:
    """Centred Gram matrix (T_rec x T_rec) of the whole population's activity, streamed
    over neuron chunks; its eigenvalues are those of the neuron covariance (times T_rec)."""
    G = np.zeros((len(rec), len(rec)))
    for sl in chunks(net.n):
        A = activity(net, kappa, u, dt, rec, sl)
        A = A - A.mean(0)
        G += A @ A.T
    return G
