"""Stages of the CORNN reproduction (``python -m cornn <stage> ...``).

Wiring only: the work of simulate, fit and benchmark lives in exp1.py, of solver_bench in
solver_timing.py, of the flip-flop and timed-response stages in tasks.py; the result tables and
their readers in results.py. Every module imported here is numpy-only at import; the torch-based
modules are imported inside the stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import repro_core
from repro_core.cli import Stage

from .exp1 import BenchmarkConfig, FitConfig, SimulateConfig, benchmark, fit, simulate
from .results import (BENCH_COLUMNS, BENCH_NAN_OK, ResultsGrid, read_flipflop, read_scaling, read_timed,
                      read_traces)
from .solver_timing import SolverBenchConfig, solver_bench
from .tasks import (FlipFlopFitConfig, FlipFlopTrainConfig, TimedFitConfig, TimedTrainConfig, flipflop_fit,
                    flipflop_train, timed_fit, timed_train)


# ----------------------------------------------------------------------------- figures, claims
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
# --help for keys the rules set from a wildcard or read from another section (repro_core.cli.Stage)
EXP_WILDCARDS = {"exp": "Experiment, from the output's {cornn_exp} wildcard: one of run_experiments.",
                 "rep": "Repetition (a fresh network and data), from the output's {cornn_rep} wildcard."}
EXPERIMENT_KEYS = {k: f"experiments.exp1a.{k}" for k in ("n", "T", "sigma_in", "sigma_conv", "g", "alpha", "noise_type")}
FLIPFLOP_N = {"n": "Generator neurons, from the output's {cornn_n} wildcard: one of flipflop.sizes."}
SUMMARY_KEYS = {"flipflop_trials": "flipflop.fit.trials", "timed_fractions": "timed.fit.fractions",
                "timed_alpha_sd": "timed.fit.alpha_sd", "timed_reps": "timed.fit.subsample_reps"}

STAGES = {
    "simulate": Stage(simulate, SimulateConfig, outputs=("data",), renamed=EXPERIMENT_KEYS,
                      rule_keys=EXP_WILDCARDS),
    "fit": Stage(fit, FitConfig, inputs=("data",), outputs=("traces",), section="fit", rule_keys=EXP_WILDCARDS),
    "benchmark": Stage(benchmark, BenchmarkConfig, inputs=("traces",), outputs=("bench", "scaling"),
                       many=("traces",), section="benchmark"),
    "solver_bench": Stage(solver_bench, SolverBenchConfig, inputs=("data_exp1a", "data_exp1c"),
                          outputs=("table",), section="solver_bench"),
    "flipflop_train": Stage(flipflop_train, FlipFlopTrainConfig, outputs=("generator",), section="flipflop.train",
                            rule_keys=FLIPFLOP_N),
    "flipflop_fit": Stage(flipflop_fit, FlipFlopFitConfig, inputs=("generator",),
                          outputs=("results",), section="flipflop.fit", rule_keys=FLIPFLOP_N),
    "timed_train": Stage(timed_train, TimedTrainConfig, outputs=("generator",), section="timed.train"),
    "timed_fit": Stage(timed_fit, TimedFitConfig, inputs=("generator",), outputs=("results",), section="timed.fit"),
    "figures": Stage(make_figures, FiguresConfig, inputs=("traces", "scaling", "timed_results", "flipflop"),
                     outputs=("fig_accuracy", "fig_scaling", "fig_flipflop", "fig_timed"),
                     many=("traces", "flipflop"), renamed=SUMMARY_KEYS),
    "claims": Stage(claims, ClaimsConfig, inputs=("bench", "scaling", "timed_results", "flipflop"),
                    outputs=("claims_json",), many=("flipflop",), renamed=SUMMARY_KEYS),
}
