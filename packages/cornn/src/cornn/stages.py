"""Stages of the CORNN reproduction (``python -m cornn <stage> ...``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.cli import Stage
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from . import model  # numpy only; torch-based modules are imported inside the stages


# ----------------------------------------------------------------------------- exp 1 data
@dataclass(kw_only=True)
class SimulateConfig:
    n: int
    T: int
    sigma_in: float
    sigma_conv: float
    g: float
    alpha: float
    noise_type: str = "gaussian"
    exp: str = "exp1a"
    rep: int = 0
    seed: int = 0


def simulate(cfg: SimulateConfig, data: Path) -> None:
    """Simulate one random generator network (exp 1): true weights and noisy rates.
    Pure numpy with its own Generator (no global seeding: keeps torch out of this job)."""
    rng = np.random.default_rng(derive_seed(cfg.seed, cfg.exp, cfg.rep))
    W, r = model.simulate_random(cfg.n, cfg.T, cfg.g, cfg.alpha, cfg.sigma_in,
                                       cfg.sigma_conv, rng, cfg.noise_type)
    repro_core.save_npz(data, W=W, r=r, alpha=np.float64(cfg.alpha))


# ----------------------------------------------------------------------------- exp 1 fits
@dataclass(kw_only=True)
class FitConfig:
    threshold: float
    cornn_iters: int
    methods: list
    l2: float
    cornn_dtype: str | None        # None: the device's default (solver.DEFAULTS)
    cornn_solve: str | None
    r_star_factor: float           # r* = r_star_factor x CORNN's final r
    adam_lr: float
    adam_weight_decay: float
    adam_init: str                 # "ridge" (exp 1a) or "default" (exp 1c), authors'
    adam_init_ridge: float         # lambda = adam_init_ridge * T for the ridge start
    adam_max_iter: int
    adam_max_time: float
    adam_time_factor: float
    adam_l2_max_time: float
    force_lam: float               # P = I / lam at the start of every pass
    force_passes: int
    force_error: str
    force_max_time: float
    force_time_factor: float
    device: str = "auto"
    exp: str = "exp1a"
    rep: int = 0
    seed: int = 0


def method_settings(cfg: FitConfig) -> dict:
    """Per-method settings; a baseline's time cap is min(max_time, time_factor x CORNN's
    time to r*) -- the factor part is filled in by run_methods."""
    adam = {"lr": cfg.adam_lr, "weight_decay": cfg.adam_weight_decay, "init": cfg.adam_init,
            "init_ridge": cfg.adam_init_ridge, "max_iter": cfg.adam_max_iter,
            "time_factor": cfg.adam_time_factor,
            "seed": derive_seed(cfg.seed, "adam-init", cfg.exp, cfg.rep)}
    all_methods = {
        "cornn": {"l2": cfg.l2, "threshold": cfg.threshold, "n_iter": cfg.cornn_iters,
                  "dtype": cfg.cornn_dtype, "solve": cfg.cornn_solve},
        "adam_ce": {**adam, "max_time": cfg.adam_max_time},
        "adam_l2": {**adam, "max_time": cfg.adam_l2_max_time},
        "force": {"lam": cfg.force_lam, "passes": cfg.force_passes, "error": cfg.force_error,
                  "max_time": cfg.force_max_time, "time_factor": cfg.force_time_factor},
    }
    unknown = sorted(set(cfg.methods) - set(all_methods))
    if unknown:
        raise repro_core.config.ConfigError(
            f"fit.methods: unknown {unknown}; allowed: {sorted(all_methods)}")
    if cfg.methods[:1] != ["cornn"]:
        raise repro_core.config.ConfigError(
            f"fit.methods must start with cornn (r* and the baselines' time caps come from "
            f"its fit), got {cfg.methods}")
    return {m: all_methods[m] for m in cfg.methods}


def fit(cfg: FitConfig, data: Path, traces: Path) -> None:
    """Fit CORNN, Adam (CE and L2 losses) and FORCE to one data set; write r-vs-time traces."""
    from . import random_nets

    repro_core.seed_everything(cfg.seed)
    d = repro_core.load_npz(data)
    tr = random_nets.run_methods(d["W"], d["r"], float(d["alpha"]), method_settings(cfg),
                                 torch_device(cfg.device), cfg.r_star_factor)
    tr.insert(0, "rep", cfg.rep)
    tr.insert(0, "exp", cfg.exp)
    repro_core.save_csv(tr, traces)


# ----------------------------------------------------------------------------- benchmark
@dataclass(kw_only=True)
class BenchmarkConfig:
    methods: list                  # every trace file has rows of each (if given)
    scaling_n: list
    scaling_T_per_n: int
    scaling_iters: int
    scaling_r_target: float
    g: float
    alpha: float
    sigma_in: float
    sigma_conv: float
    l2: float
    threshold: float
    device: str = "auto"
    seed: int = 0


def benchmark(cfg: BenchmarkConfig, traces: list[Path], bench: Path, scaling: Path) -> None:
    """Time to r* per method and speed-up over CORNN (from the fit ``traces``, all measured
    in one process per data set), and CORNN's wall time vs n at T = 20 n."""
    from . import random_nets

    repro_core.seed_everything(cfg.seed)
    traces = read_traces(traces, cfg.methods)
    repro_core.save_csv(random_nets.summarize(traces), bench)   # r* per data set, from the fit
    sc = random_nets.scaling_run(cfg.scaling_n, cfg.scaling_T_per_n, cfg.g, cfg.alpha,
                                 cfg.sigma_in, cfg.sigma_conv, cfg.l2, cfg.threshold,
                                 cfg.scaling_iters, cfg.scaling_r_target, cfg.seed,
                                 torch_device(cfg.device))
    repro_core.save_csv(sc, scaling)


# ----------------------------------------------------------------------------- solver speed
@dataclass(kw_only=True)
class SolverBenchConfig:
    datasets: list                     # names of the data sets, in the order of the inputs
    iterations: dict                   # per data set: CORNN iterations
    thresholds: dict                   # per data set: |E| threshold
    repeats: int
    million_n: int                 # the 1 M-weight problem, simulated here (T = 20 n)
    million_T: int
    million_repeats: int
    g: float = 3.0
    alpha: float = 0.1
    sigma_in: float = 0.1
    sigma_conv: float = 1e-5
    l2: float = 1e-5
    seed: int = 0


def solver_bench(cfg: SolverBenchConfig, data_exp1a: Path, data_exp1c: Path, table: Path) -> None:
    """Time every solver configuration (``solver_bench.configurations``) on exp 1a and
    exp 1c (network 0) and on a 1 M-weight network (n = 1000, T = 20000; the network of
    the scaling run), one process, one thread, CPU time; write the table."""
    import torch

    from . import solver, solver_bench as sb

    repro_core.seed_everything(cfg.seed)
    configs = sb.configurations()
    parts = []
    for name in repro_core.progress(cfg.datasets, desc="solver bench"):
        if name == "million":
            rng = np.random.default_rng(derive_seed(cfg.seed, "scaling", cfg.million_n))
            W, r = model.simulate_random(cfg.million_n, cfg.million_T, cfg.g, cfg.alpha,
                                         cfg.sigma_in, cfg.sigma_conv, rng)
            alpha, repeats = cfg.alpha, cfg.million_repeats
        else:
            d = repro_core.load_npz({"exp1a": data_exp1a, "exp1c": data_exp1c}[name])
            W, r, alpha, repeats = d["W"], d["r"], float(d["alpha"]), cfg.repeats
        parts.append(sb.bench_dataset(name, W, r, alpha, cfg.l2, float(cfg.thresholds[name]),
                                      int(cfg.iterations[name]), repeats, configs))
    default = solver.DEFAULTS[torch.device("cpu").type]
    repro_core.save_csv(sb.summarize(pd.concat(parts, ignore_index=True), default), table)


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
    device: str = "auto"
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
    device: str = "auto"
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
    device: str = "auto"
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
    device: str = "auto"
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


# ----------------------------------------------------------------------------- figures, claims
# Result tables and the columns that must be filled; the grids they must cover come from the
# config (ResultsGrid). A table cut short or missing rows fails naming the file.
TRACE_COLUMNS = ["exp", "rep", "method", "iteration", "time_s", "r_star", "r_cornn_final"]
TRACE_NAN_OK = ["r", "slope", "rmse"]
BENCH_COLUMNS = ["exp", "rep", "method", "r_star", "reached", "total_time_s",
                 "speedup_is_lower_bound", "r_cornn_final", "reached_cornn_final",
                 "speedup_at_cornn_final"]
# may be NaN: not reached / no estimate yet.
# A NaN reaching a claim's value makes that claim an error, never a finding.
BENCH_NAN_OK = ["r_init", "r_final", "time_to_r_star_s", "r_at_cornn_time", "speedup_vs_cornn",
                "time_to_cornn_final_s"]
SCALING_COLUMNS = ["n", "T", "r_init", "r_final", "time_to_target_s", "total_time_s"]
FLIPFLOP_COLUMNS = ["n", "trials", "r", "output_corr", "fp_states", "fp_generator",
                    "fp_recovered", "time_s"]
TIMED_COLUMNS = ["experiment", "alpha_sd", "fraction", "observed", "rep", "r2"]


@dataclass
class ResultsGrid:
    """The grid every result table must cover, as the config asks for it."""
    experiments: list
    reps: dict                  # experiment -> number of networks
    methods: list
    scaling_n: list
    flipflop_trials: list
    timed_fractions: list
    timed_alpha_sd: list
    timed_reps: int


def read_traces(paths, methods=()) -> pd.DataFrame:
    grid = {"method": list(methods)} if methods else None
    return pd.concat([repro_core.read_table(p, TRACE_COLUMNS, nullable=TRACE_NAN_OK, grid=grid)
                      for p in paths], ignore_index=True)


def read_scaling(path, g: ResultsGrid) -> pd.DataFrame:
    return repro_core.read_table(path, SCALING_COLUMNS, grid={"n": g.scaling_n})


def read_flipflop(paths, g: ResultsGrid) -> pd.DataFrame:
    return pd.concat([repro_core.read_table(p, FLIPFLOP_COLUMNS, grid={"trials": g.flipflop_trials})
                      for p in paths], ignore_index=True)


def read_timed(path, g: ResultsGrid) -> pd.DataFrame:
    reps = list(range(int(g.timed_reps)))
    return repro_core.read_table(path, TIMED_COLUMNS, grid=[
        {"experiment": ["subsampling"], "fraction": g.timed_fractions, "rep": reps},
        {"experiment": ["mismatch"], "alpha_sd": g.timed_alpha_sd, "rep": reps}])


@dataclass
class FiguresConfig(ResultsGrid):
    seed: int = 0


def make_figures(cfg: FiguresConfig, traces: list[Path], scaling: Path, timed_results: Path,
                 flipflop: list[Path], fig_accuracy: Path, fig_scaling: Path, fig_flipflop: Path,
                 fig_timed: Path) -> None:
    """Accuracy-vs-time (paper Fig. 2/3), scaling, flip-flop and timed-response panels. Every
    table is read (and checked complete) before anything is drawn."""
    from . import figures

    traces, sc = read_traces(traces, cfg.methods), read_scaling(scaling, cfg)
    ff, tm = read_flipflop(flipflop, cfg), read_timed(timed_results, cfg)
    figures.accuracy_time(traces, fig_accuracy)
    figures.scaling(sc, fig_scaling)
    figures.flipflop(ff, fig_flipflop)
    figures.timed(tm, fig_timed)


@dataclass
class ClaimsConfig(ResultsGrid):
    scale: str = "quick"
    seed: int = 0


def read_results(cfg: ClaimsConfig, bench: Path, scaling: Path, timed_results: Path,
                 flipflop: list[Path]) -> dict:
    """Every result table the claims judge, each checked against the grid the config
    asks for: a table cut short or missing rows fails here, naming the file."""
    b = repro_core.read_table(bench, BENCH_COLUMNS, nullable=BENCH_NAN_OK,
                              grid=[{"exp": [e], "rep": range(int(cfg.reps[e])), "method": cfg.methods}
                                    for e in cfg.experiments])
    return {"bench": b, "scaling": read_scaling(scaling, cfg), "flipflop": read_flipflop(flipflop, cfg),
            "timed": read_timed(timed_results, cfg)}


def claims(cfg: ClaimsConfig, bench: Path, scaling: Path, timed_results: Path, flipflop: list[Path],
           claims_json: Path) -> None:
    """Evaluate every claim of the paper on our results; write claims.json."""
    from .claims import CLAIMS

    ctx = read_results(cfg, bench, scaling, timed_results, flipflop)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="cornn")
    repro_core.write_claims(records, claims_json)


# ----------------------------------------------------------------------------- registry
STAGES = {
    "simulate": Stage(simulate, SimulateConfig, outputs=("data",)),
    "fit": Stage(fit, FitConfig, inputs=("data",), outputs=("traces",), section="fit"),
    "benchmark": Stage(benchmark, BenchmarkConfig, inputs=("traces",), outputs=("bench", "scaling"),
                       many=("traces",), section="benchmark"),
    "solver_bench": Stage(solver_bench, SolverBenchConfig, inputs=("data_exp1a", "data_exp1c"),
                          outputs=("table",), section="solver_bench"),
    "flipflop_train": Stage(flipflop_train, FlipFlopTrainConfig, outputs=("generator",), section="flipflop.train"),
    "flipflop_fit": Stage(flipflop_fit, FlipFlopFitConfig, inputs=("generator",),
                          outputs=("results",), section="flipflop.fit"),
    "timed_train": Stage(timed_train, TimedTrainConfig, outputs=("generator",), section="timed.train"),
    "timed_fit": Stage(timed_fit, TimedFitConfig, inputs=("generator",), outputs=("results",), section="timed.fit"),
    "figures": Stage(make_figures, FiguresConfig, inputs=("traces", "scaling", "timed_results", "flipflop"),
                     outputs=("fig_accuracy", "fig_scaling", "fig_flipflop", "fig_timed"),
                     many=("traces", "flipflop")),
    "claims": Stage(claims, ClaimsConfig, inputs=("bench", "scaling", "timed_results", "flipflop"),
                    outputs=("claims_json",), many=("flipflop",)),
}
