"""The task-trained generators: the flip-flop (flipflop_train, flipflop_fit) and timed-response
(timed_train, timed_fit) stages, training by BPTT and fitting with CORNN-ADMM (the models and
fits themselves: flipflop.py, timed.py). Moved unchanged from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from . import model


# ----------------------------------------------------------------------------- flip-flop
def train_and_save(train, seed: int, generator: Path) -> None:
    """Run ``train(ckpt)`` (which resumes from ``<generator>.ckpt`` if present), write the
    generator atomically, then drop the checkpoint."""
    repro_core.seed_everything(seed)
    ckpt = Path(str(generator) + ".ckpt")
    repro_core.save_npz(generator, **train(ckpt))
    ckpt.unlink(missing_ok=True)


@dataclass(kw_only=True)
class FlipFlopTrainConfig:
    n: int
    train_steps: int
    K: int
    p: float
    steps_per_trial: int
    alpha: float
    g: float
    batch: int
    lr: float
    device: str  # auto | cpu | cuda (config.yaml device)
    seed: int = 0


def flipflop_train(cfg: FlipFlopTrainConfig, generator: Path) -> None:
    """Train a K-bit flip-flop generator (zero-diagonal W) by BPTT; checkpointed."""
    from . import flipflop

    def train(ckpt):
        out = flipflop.train_generator(cfg.n, cfg.K, cfg.p, cfg.steps_per_trial, cfg.alpha,
                                       cfg.g, cfg.train_steps, cfg.batch, cfg.lr,
                                       derive_seed(cfg.seed, "flipflop", cfg.n), ckpt,
                                       torch_device(cfg.device))
        rng = np.random.default_rng(derive_seed(cfg.seed, "flipflop-test", cfg.n))
        u, y = flipflop.task_batch(64, cfg.steps_per_trial, cfg.K, cfg.p, rng)
        out["task_accuracy"] = np.float64(flipflop.task_accuracy(out, u, y, cfg.alpha))
        return out

    train_and_save(train, cfg.seed, generator)


@dataclass(kw_only=True)
class FlipFlopFitConfig:
    trials: list
    n: int
    test_trials: int
    sigma_in: float
    sigma_conv: float
    l2: float
    threshold: float
    rho: float
    n_iter: int
    K: int
    p: float
    steps_per_trial: int
    alpha: float
    device: str  # auto | cpu | cuda (config.yaml device)
    seed: int = 0


def flipflop_fit(cfg: FlipFlopFitConfig, generator: Path, results: Path) -> None:
    """Simulate noisy flip-flop trials and fit them with CORNN-ADMM, for each number of
    trials: weight correlation, readout correlation on held-out inputs, fit time."""
    from . import flipflop

    repro_core.seed_everything(cfg.seed)
    gen = repro_core.load_npz(generator)
    device = torch_device(cfg.device)
    rng = np.random.default_rng(derive_seed(cfg.seed, "flipflop-data", cfg.n))
    u_all, r_all = flipflop.simulate_trials(gen, max(cfg.trials), cfg.steps_per_trial, cfg.K,
                                            cfg.p, cfg.alpha, cfg.sigma_in, cfg.sigma_conv, rng)
    u_test, _ = flipflop.task_batch(cfg.test_trials, cfg.steps_per_trial, cfg.K, cfg.p, rng)
    rows = []
    for k in repro_core.progress(sorted(cfg.trials), desc="flip-flop fits"):
        W, W_in, secs = flipflop.fit_admm(u_all[:k], r_all[:k], cfg.alpha, cfg.l2, cfg.threshold,
                                          cfg.rho, cfg.n_iter, device)
        m = model.weight_metrics(gen["W"], W)
        rows.append({"n": cfg.n, "trials": k, "r": m["r"], "slope": m["slope"],
                     "r_in": model.weight_metrics(gen["W_in"], W_in)["r"],
                     "max_abs_diag": float(np.abs(np.diag(W)).max()),
                     "output_corr": flipflop.output_correlation(gen, W, W_in, u_test, cfg.alpha),
                     **flipflop.fixed_point_recovery(gen, W, W_in, cfg.alpha),
                     "generator_task_accuracy": float(gen["task_accuracy"]), "time_s": secs})
    repro_core.save_csv(pd.DataFrame(rows), results)


# ----------------------------------------------------------------------------- timed response
@dataclass(kw_only=True)
class TimedTrainConfig:
    n: int
    train_steps: int
    train_len: int
    pulse_len: int
    delay: int
    width: float
    alpha: float
    g: float
    sigma: float
    r0_range: float
    batch: int
    lr: float
    momentum: float
    weight_decay: float
    device: str  # auto | cpu | cuda (config.yaml device)
    seed: int = 0


def timed_train(cfg: TimedTrainConfig, generator: Path) -> None:
    """Train the current-based timed-response generator by BPTT (SGD, the authors'
    recipe); checkpointed."""
    from . import timed

    train_and_save(lambda ckpt: timed.train_generator(
        cfg.n, cfg.train_len, cfg.pulse_len, cfg.delay, cfg.width, cfg.alpha, cfg.g, cfg.sigma,
        cfg.r0_range, cfg.train_steps, cfg.batch, cfg.lr, derive_seed(cfg.seed, "timed", cfg.n),
        ckpt, torch_device(cfg.device), cfg.momentum, cfg.weight_decay), cfg.seed, generator)


@dataclass(kw_only=True)
class TimedFitConfig:
    trials: int
    fractions: list
    alpha_sd: list
    test_trials: int
    subsample_reps: int
    mismatch_fraction: float
    l2: float
    threshold: float
    rho: float
    n_iter: int
    steps: int
    pulse_len: int
    alpha: float
    sigma: float
    r0_range: float
    device: str  # auto | cpu | cuda (config.yaml device)
    seed: int = 0


def timed_fit(cfg: TimedFitConfig, generator: Path, results: Path) -> None:
    """Held-out R^2 of the free-running fitted rate network (authors' protocol). One data
    set of ``trials`` noisy trials (current noise sigma) and ``test_trials`` noise-free
    held-out trials from new initial rates. Experiment "subsampling": the generator's
    alpha, a random ``fraction`` of neurons observed. Experiment "mismatch": a random
    ``mismatch_fraction`` observed, and the fit (and the fitted network) assume per-neuron
    alpha_i ~ N(alpha, s^2) while the generator has alpha. ``subsample_reps`` draws each."""
    from . import timed

    repro_core.seed_everything(cfg.seed)
    gen = repro_core.load_npz(generator)
    n = gen["W"].shape[0]
    device = torch_device(cfg.device)
    rng = np.random.default_rng(derive_seed(cfg.seed, "timed-data", n))
    a_gen = np.full(n, cfg.alpha)
    u, r = timed.simulate_trials(gen, cfg.trials, cfg.steps, cfg.pulse_len, a_gen, cfg.sigma,
                                 cfg.r0_range, rng)
    u_test, r_test = timed.simulate_trials(gen, cfg.test_trials, cfg.steps, cfg.pulse_len,
                                           a_gen, 0.0, cfg.r0_range, rng)
    cells = [("subsampling", 0.0, f) for f in cfg.fractions]
    cells += [("mismatch", s, cfg.mismatch_fraction) for s in cfg.alpha_sd]
    rows, done = [], {}
    for exp, s, f in repro_core.progress(cells, desc="timed fits"):
        for rep in range(cfg.subsample_reps):
            k = max(2, int(round(f * n)))
            if f < 1:
                sub_rng = np.random.default_rng(derive_seed(cfg.seed, "timed-sub", f, rep))
                idx = np.sort(sub_rng.choice(n, size=k, replace=False))
            else:
                idx = np.arange(n)
            a_rng = np.random.default_rng(derive_seed(cfg.seed, "timed-alpha", s, f, rep))
            a_fit = timed.alphas(k, cfg.alpha, s, a_rng)
            key = (tuple(idx), a_fit.tobytes())
            if key not in done:  # identical problems (all neurons, s = 0) are fitted once
                done[key] = timed.fit_and_predict(u, r[..., idx], u_test, r_test[..., idx],
                                                  a_fit, cfg.l2, cfg.threshold, cfg.rho,
                                                  cfg.n_iter, device)
            rows.append({"experiment": exp, "alpha_sd": s, "fraction": f, "observed": k,
                         "rep": rep, "r2": done[key]})
    repro_core.save_csv(pd.DataFrame(rows), results)
