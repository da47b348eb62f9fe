"""The result tables of the figures and claims stages (and of benchmark, which reads the fit
traces): their columns, the grid they must cover (ResultsGrid, from the config) and their readers.
A table cut short or missing rows fails naming the file. Moved unchanged from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

import repro_core


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
