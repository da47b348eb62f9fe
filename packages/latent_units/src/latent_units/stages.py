"""Stages of the latent_units reproduction (each a plain function + config dataclass)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from repro_core import load_json, load_npz, save_csv, save_json, save_npz
from repro_core.cli import Stage
from repro_core.seeding import derive_seed

from . import experiments as ex
from . import scaling as sc


def _rng(seed: int, name: str) -> np.random.Generator:
    """All randomness flows through explicit numpy Generators seeded from config (no global
    state; repro_core.seed_everything is not called because it imports torch, ~3 s)."""
    return np.random.default_rng(derive_seed(seed, name))


# ------------------------------------------------------------------------------ networks
@dataclass
class NetworksConfig:
    n_neurons: int                 # neurons per network (the largest population simulated)
    n_seeds: int = 3               # independent random embeddings of the same computation
    k: int = 3                     # latent dimension (= number of input channels)
    task: str = "integrator"       # integrator | flipflop
    beta: float = 10.0             # slow time scale of the computation, in units of tau
    h_in: float = 0.15             # input gain onto the latent
    gain: float = 4.0              # slope of the sigmoid rate function
    theta: float = 2.5             # threshold of the rate function (sparse tuning)
    n_fit: int = 2000              # sample points for the closed-form readout fit
    kappa_max: float = 2.0         # half-width of the latent cube where the readout is fitted
    ridge: float = 1e-6            # relative ridge penalty of the readout fit
    dt: float = 0.2                # Euler step (tau)
    steps: int = 6000              # simulated steps
    burn_in: int = 500             # steps discarded before recording
    rec_every: int = 4             # record every this many steps
    input_std: float = 1.0         # std of the Ornstein-Uhlenbeck input
    input_tau: float = 3.0         # correlation time of the input (tau)
    pulse_rate: float = 0.0        # rate of +-1 input pulses per channel (flip-flop task)
    pulse_len: float = 4.0         # pulse duration (tau)
    seed: int = 0


def networks(cfg: NetworksConfig, data: Path) -> None:
    """Build and simulate the latent-computing networks (random embeddings + fitted readouts)."""
    p = {k: v for k, v in vars(cfg).items() if k not in ("n_neurons", "seed")}
    save_npz(data, **ex.build_networks(cfg.n_neurons, rng=_rng(cfg.seed, "networks"), **p))


# ------------------------------------------------------------------------ dimensionality
@dataclass
class DimsConfig:
    sizes: list = field(default_factory=lambda: [100, 300, 1000])
    n_eigs: int = 40
    seed: int = 0


def dimensionality(cfg: DimsConfig, data: Path, dims: Path, spectra: Path) -> None:
    """Participation ratio and PCA spectrum vs number of neurons (non-linear vs linear embedding)."""
    nets, kappas, u, _, rec, dt = ex.unpack(load_npz(data))
    d, s = ex.dimensionality(nets[0], kappas[0], u, dt, rec, [int(x) for x in cfg.sizes], cfg.n_eigs)
    save_csv(d, dims)
    save_csv(s, spectra)


# ---------------------------------------------------------------------------- redundancy
@dataclass
class RedundancyConfig:
    n_pairs: int = 200000
    n_cells: int = 500
    seed: int = 0


def redundancy(cfg: RedundancyConfig, data: Path, table: Path) -> None:
    """Same latent computation, different connectivity and activity across embeddings."""
    nets, kappas, u, ideal, rec, dt = ex.unpack(load_npz(data))
    save_csv(ex.redundancy(nets, kappas, u, ideal, dt, rec, cfg.n_pairs, cfg.n_cells,
                           _rng(cfg.seed, "redundancy")), table)


# ------------------------------------------------------------------------------ decoding
@dataclass
class DecodingConfig:
    n_recorded: list = field(default_factory=lambda: [10, 30, 100, 300])
    noise_rel: float = 1.0
    reps: int = 2
    train_frac: float = 0.7
    mlp_hidden: int = 256
    mlp_max_iter: int = 300
    mlp_max_neurons: int = 1000
    seed: int = 0


def decoding(cfg: DecodingConfig, data: Path, table: Path) -> None:
    """Linear (ridge) vs non-linear (MLP) decoders of the latent from recorded neurons."""
    nets, kappas, u, _, rec, dt = ex.unpack(load_npz(data))
    save_csv(ex.decoding(nets[0], kappas[0], u, dt, rec, [int(x) for x in cfg.n_recorded],
                         cfg.noise_rel, cfg.reps, cfg.train_frac, cfg.mlp_hidden, cfg.mlp_max_iter,
                         cfg.mlp_max_neurons, _rng(cfg.seed, "decoding")), table)


# --------------------------------------------------------------------------------- drift
@dataclass
class DriftConfig:
    days: list = field(default_factory=lambda: [0, 2, 4, 6, 8])
    pairs: int = 20
    max_angle: float = 1.5708
    n_tuning: int = 500
    n_recorded: int = 300
    noise_rel: float = 1.0
    train_frac: float = 0.7
    seed: int = 0


def drift(cfg: DriftConfig, data: Path, table: Path) -> None:
    """Representational drift in the coding-null space, tangential to it, and random."""
    nets, kappas, u, _, rec, dt = ex.unpack(load_npz(data))
    save_csv(ex.drift(nets[0], kappas[0], u, dt, rec, [int(x) for x in cfg.days], cfg.pairs,
                      cfg.max_angle, cfg.n_tuning, cfg.n_recorded, cfg.noise_rel, cfg.train_frac,
                      _rng(cfg.seed, "drift")), table)


# ------------------------------------------------------------------------------- scaling
@dataclass
class ScalingConfig:
    betas: list = field(default_factory=lambda: [10.0, 30.0, 100.0])
    sizes: list = field(default_factory=lambda: [100, 1000, 10000])
    reps: int = 8
    horizon: float = 3.0           # prediction horizon, in slow time units (beta tau)
    n_init: int = 16
    kappa_range: float = 1.5
    grid_points: int = 401
    beta_main: float = 100.0       # the headline computation: ~1 s at tau = 10 ms
    decode_sizes: list = field(default_factory=lambda: [10, 100, 1000])
    decode_reps: int = 2
    decode_samples: int = 2000
    snr: float = 0.1               # per-neuron signal-to-noise ratio of the recordings
    tolerance: float = 0.1         # relative RMS error that counts as "accurate"
    fit_max_err: float = 0.5       # only errors below this enter the power-law fits
    train_frac: float = 0.7
    seed: int = 0


def scaling(cfg: ScalingConfig, trajectories: Path, decoding: Path, summary: Path) -> None:
    """Neurons needed to decode the latent vs to predict its slow trajectory (1-D bistable)."""
    rng = _rng(cfg.seed, "scaling")
    tr = sc.trajectory_errors([float(b) for b in cfg.betas], [int(n) for n in cfg.sizes], cfg.reps,
                              cfg.horizon, cfg.n_init, cfg.kappa_range, cfg.grid_points, rng)
    de = sc.decoding_1d(cfg.beta_main, [int(n) for n in cfg.decode_sizes], cfg.decode_reps,
                        cfg.decode_samples, cfg.snr, cfg.train_frac, rng)
    save_csv(tr, trajectories)
    save_csv(de, decoding)
    save_json(sc.summarise(tr, de, cfg.tolerance, cfg.beta_main, cfg.fit_max_err), summary)


# ------------------------------------------------------------------------------- figures
@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, dims: Path, spectra: Path, redundancy: Path, decoding: Path,
            drift: Path, trajectories: Path, decoding_1d: Path, summary: Path,
            fig_dimensionality: Path, fig_decoding: Path, fig_scaling: Path, fig_drift: Path) -> None:
    """Render the four figures."""
    from . import figures as fg
    fg.render(dims, spectra, redundancy, decoding, drift, trajectories, decoding_1d, summary,
              fig_dimensionality, fig_decoding, fig_scaling, fig_drift)


# -------------------------------------------------------------------------------- claims
@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def claims(cfg: ClaimsConfig, dims: Path, redundancy: Path, decoding: Path, drift: Path,
           summary: Path, out: Path) -> None:
    """Evaluate the paper's claims on our results and write claims.json."""
    import pandas as pd

    from repro_core import evaluate_claims, write_claims

    from .claims import CLAIMS
    ctx = {"dims": pd.read_csv(dims), "redundancy": pd.read_csv(redundancy),
           "decoding": pd.read_csv(decoding), "drift": pd.read_csv(drift),
           "scaling": load_json(summary)}
    write_claims(evaluate_claims(CLAIMS, ctx, cfg.scale, paper="latent_units"), out)


STAGES = {
    "networks": Stage(networks, NetworksConfig, outputs=("data",)),
    "dimensionality": Stage(dimensionality, DimsConfig, inputs=("data",), outputs=("dims", "spectra")),
    "redundancy": Stage(redundancy, RedundancyConfig, inputs=("data",), outputs=("table",)),
    "decoding": Stage(decoding, DecodingConfig, inputs=("data",), outputs=("table",)),
    "drift": Stage(drift, DriftConfig, inputs=("data",), outputs=("table",)),
    "scaling": Stage(scaling, ScalingConfig, outputs=("trajectories", "decoding", "summary")),
    "figures": Stage(figures, FiguresConfig,
                     inputs=("dims", "spectra", "redundancy", "decoding", "drift", "trajectories",
                             "decoding_1d", "summary"),
                     outputs=("fig_dimensionality", "fig_decoding", "fig_scaling", "fig_drift")),
    "claims": Stage(claims, ClaimsConfig, inputs=("dims", "redundancy", "decoding", "drift", "summary"),
                    outputs=("out",)),
}
