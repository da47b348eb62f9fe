"""Stages of the latent_units reproduction (each a plain function + config dataclass). Wiring: the
work lives in experiments.py and scaling.py; the figures' and claims' table readers in results.py."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro_core import load_npz, save_csv, save_json, save_npz
from repro_core.cli import Stage
from repro_core.seeding import derive_seed

from . import experiments as ex
from . import scaling as sc
from .results import ClaimsConfig, FiguresConfig, read_figure_tables, read_results


def _rng(seed: int, name: str) -> np.random.Generator:
    """All randomness flows through explicit numpy Generators seeded from config (no global
    state; repro_core.seed_everything is not called because it imports torch, ~3 s)."""
    return np.random.default_rng(derive_seed(seed, name))


# ------------------------------------------------------------------------------ networks
@dataclass(kw_only=True)
class NetworksConfig:
    n_neurons: int                 # neurons per network (the largest population simulated)
    n_seeds: int                   # independent random embeddings of the same computation
    k: int                         # latent dimension (= number of input channels)
    task: str                      # integrator | flipflop
    beta: float                    # slow time scale of the computation, in units of tau
    h_in: float                    # input gain onto the latent
    gain: float                    # slope of the sigmoid rate function
    theta: float                   # threshold of the rate function (sparse tuning)
    n_fit: int                     # sample points for the closed-form readout fit
    kappa_max: float               # half-width of the latent cube where the readout is fitted
    ridge: float                   # relative ridge penalty of the readout fit
    dt: float                      # Euler step (tau)
    steps: int                     # simulated steps
    burn_in: int                   # steps discarded before recording
    rec_every: int                 # record every this many steps
    input_std: float               # std of the Ornstein-Uhlenbeck input
    input_tau: float               # correlation time of the input (tau)
    pulse_rate: float              # rate of +-1 input pulses per channel (flip-flop task)
    pulse_len: float               # pulse duration (tau)
    seed: int = 0


def networks(cfg: NetworksConfig, data: Path) -> None:
    """Build and simulate the latent-computing networks (random embeddings + fitted readouts)."""
    p = {k: v for k, v in vars(cfg).items() if k not in ("n_neurons", "seed")}
    save_npz(data, **ex.build_networks(cfg.n_neurons, rng=_rng(cfg.seed, "networks"), **p))


# ------------------------------------------------------------------------ dimensionality
@dataclass(kw_only=True)
class DimsConfig:
    sizes: list
    n_eigs: int
    seed: int = 0


def dimensionality(cfg: DimsConfig, data: Path, dims: Path, spectra: Path) -> None:
    """Participation ratio and PCA spectrum vs number of neurons (non-linear vs linear
    embedding), for every independent embedding (column ``net``)."""
    import pandas as pd

    nets, kappas, u, _, rec, dt = ex.unpack(load_npz(data))
    ds, ss = [], []
    for i, (net, kap) in enumerate(zip(nets, kappas)):
        d, s = ex.dimensionality(net, kap, u, dt, rec, [int(x) for x in cfg.sizes], cfg.n_eigs)
        ds.append(d.assign(net=i))
        ss.append(s.assign(net=i))
    save_csv(pd.concat(ds, ignore_index=True), dims)
    save_csv(pd.concat(ss, ignore_index=True), spectra)


# ---------------------------------------------------------------------------- redundancy
@dataclass(kw_only=True)
class RedundancyConfig:
    n_pairs: int
    n_cells: int
    seed: int = 0


def redundancy(cfg: RedundancyConfig, data: Path, table: Path) -> None:
    """Same latent computation, different connectivity and activity across embeddings."""
    nets, kappas, u, ideal, rec, dt = ex.unpack(load_npz(data))
    save_csv(ex.redundancy(nets, kappas, u, ideal, dt, rec, cfg.n_pairs, cfg.n_cells,
                           _rng(cfg.seed, "redundancy")), table)


# ------------------------------------------------------------------------------ decoding
@dataclass(kw_only=True)
class DecodingConfig:
    n_recorded: list
    noise_rel: float
    reps: int
    train_frac: float
    mlp_hidden: int
    mlp_max_iter: int
    mlp_max_neurons: int
    mlp_alphas: list               # L2, chosen on validation
    steps: int                     # own trajectory: enough samples that the MLP can learn
    burn_in: int
    rec_every: int
    seed: int = 0


def decoding(cfg: DecodingConfig, data: Path, table: Path) -> None:
    """Linear (ridge) vs non-linear (MLP) decoders of the latent from recorded neurons, with a
    positive control (a non-linear target from a linear embedding) in the same setup."""
    d = load_npz(data)
    nets, _, _, _, _, dt = ex.unpack(d)
    rng = _rng(cfg.seed, "decoding")
    u, kappa = ex.new_trajectory(nets[0], d, cfg.steps, rng)
    rec = np.arange(cfg.burn_in, cfg.steps, cfg.rec_every)
    save_csv(ex.decoding(nets[0], kappa, u, dt, rec, [int(x) for x in cfg.n_recorded],
                         cfg.noise_rel, cfg.reps, cfg.train_frac, cfg.mlp_hidden, cfg.mlp_max_iter,
                         cfg.mlp_max_neurons, rng, cfg.mlp_alphas), table)


# --------------------------------------------------------------------------------- drift
@dataclass(kw_only=True)
class DriftConfig:
    days: list
    pairs: int
    max_angle: float
    n_tuning: int
    n_recorded: int
    noise_rel: float
    train_frac: float
    random_draws: int              # independent random-drift directions
    perturb_draws: int             # random directions per perturbation kind
    perturb_horizon: float         # tau
    perturb_size: float            # null: relative to the activity; coding: latent units
    seed: int = 0


def drift(cfg: DriftConfig, data: Path, table: Path, perturb: Path) -> None:
    """Representational drift in the coding-null space, tangential to it, activity-aligned
    and random; and the decay of perturbations inside / outside the coding-null space."""
    nets, kappas, u, _, rec, dt = ex.unpack(load_npz(data))
    rng = _rng(cfg.seed, "drift")
    save_csv(ex.drift(nets[0], kappas[0], u, dt, rec, [int(x) for x in cfg.days], cfg.pairs,
                      cfg.max_angle, cfg.n_tuning, cfg.n_recorded, cfg.noise_rel, cfg.train_frac,
                      rng, cfg.random_draws), table)
    save_csv(ex.perturbation(nets[0], kappas[0], u, dt, rec, cfg.perturb_draws, cfg.perturb_horizon,
                             cfg.perturb_size, _rng(cfg.seed, "perturbation")), perturb)


# ------------------------------------------------------------------------------- scaling
@dataclass(kw_only=True)
class ScalingConfig:
    betas: list
    sizes: list
    reps: int
    horizon: float                 # prediction horizon, in slow time units (beta tau)
    n_init: int
    kappa_range: float
    grid_points: int
    beta_main: float               # the headline computation: ~1 s at tau = 10 ms
    main_sizes: list               # larger populations at beta_main only
    decode_sizes: list
    decode_reps: int
    decode_samples: int
    snr: float                     # per-neuron signal-to-noise ratio of the recordings
    tolerance: float               # relative RMS error that counts as "accurate"
    fit_max_err: float             # only errors below this enter the power-law fits
    train_frac: float
    seed: int = 0


def scaling(cfg: ScalingConfig, trajectories: Path, decoding: Path, summary: Path) -> None:
    """Neurons needed to decode the latent vs to predict its slow trajectory (1-D bistable)."""
    rng = _rng(cfg.seed, "scaling")
    tr = sc.trajectory_errors([float(b) for b in cfg.betas], [int(n) for n in cfg.sizes], cfg.reps,
                              cfg.horizon, cfg.n_init, cfg.kappa_range, cfg.grid_points, rng,
                              {float(cfg.beta_main): [int(n) for n in cfg.main_sizes]})
    de = sc.decoding_1d(cfg.beta_main, [int(n) for n in cfg.decode_sizes], cfg.decode_reps,
                        cfg.decode_samples, cfg.snr, cfg.train_frac, rng)
    save_csv(tr, trajectories)
    save_csv(de, decoding)
    save_json(sc.summarise(tr, de, cfg.tolerance, cfg.beta_main, cfg.fit_max_err,
                           seed=derive_seed(cfg.seed, "bootstrap")), summary)


# ------------------------------------------------------------------------------- figures
def figures(cfg: FiguresConfig, dims: Path, spectra: Path, redundancy: Path, decoding: Path,
            drift: Path, perturb: Path, trajectories: Path, decoding_1d: Path, summary: Path,
            fig_dimensionality: Path, fig_decoding: Path, fig_scaling: Path, fig_drift: Path) -> None:
    """Render the four figures from tables checked complete first (a table cut short fails
    naming the file, before any figure is drawn)."""
    from . import figures as fg
    t = read_figure_tables(cfg, dims, spectra, redundancy, decoding, drift, perturb, trajectories,
                           decoding_1d, summary)
    fg.render(t, fig_dimensionality, fig_decoding, fig_scaling, fig_drift)


# -------------------------------------------------------------------------------- claims
def claims(cfg: ClaimsConfig, dims: Path, redundancy: Path, decoding: Path, drift: Path,
           perturb: Path, summary: Path, claims_json: Path) -> None:
    """Evaluate the paper's claims on our results and write claims.json."""
    from repro_core import evaluate_claims, write_claims

    from .claims import CLAIMS
    ctx = read_results(cfg, dims, redundancy, decoding, drift, perturb, summary)
    write_claims(evaluate_claims(CLAIMS, ctx, cfg.scale, paper="latent_units"), claims_json)


WHOLE = {"cfg": "The paper's whole config at this scale (every section of config/latent_units.yaml): the grids "
                "the results must cover."}

STAGES = {
    "networks": Stage(networks, NetworksConfig, outputs=("data",), section="networks"),
    "dimensionality": Stage(dimensionality, DimsConfig, inputs=("data",), outputs=("dims", "spectra"), section="dimensionality"),
    "redundancy": Stage(redundancy, RedundancyConfig, inputs=("data",), outputs=("table",), section="redundancy"),
    "decoding": Stage(decoding, DecodingConfig, inputs=("data",), outputs=("table",), section="decoding"),
    "drift": Stage(drift, DriftConfig, inputs=("data",), outputs=("table", "perturb"), section="drift"),
    "scaling": Stage(scaling, ScalingConfig, outputs=("trajectories", "decoding", "summary"), section="scaling"),
    "figures": Stage(figures, FiguresConfig,
                     inputs=("dims", "spectra", "redundancy", "decoding", "drift", "perturb", "trajectories",
                             "decoding_1d", "summary"),
                     outputs=("fig_dimensionality", "fig_decoding", "fig_scaling", "fig_drift"), rule_keys=WHOLE),
    "claims": Stage(claims, ClaimsConfig, inputs=("dims", "redundancy", "decoding", "drift", "perturb",
                                                  "summary"),
                    outputs=("claims_json",), rule_keys=WHOLE),
}
