"""Stages of the stm_mechanisms pipeline (``python -m stm_mechanisms <stage>``):

    sweep      one delay chunk of seeds x lrs x delays, vmapped jax training   -> chunk<c>.npz
    analyse    the chunks merged: mechanism, slow points, limit cycles, tiling -> networks_index.csv, rasters.npz
    benchmark  vmapped jax against a per-network torch loop                    -> benchmark.csv
    figures    phase diagram, mechanism vs delay, rasters, benchmark           -> *.png
    claims     the paper's claims checked on the index, benchmark and reduced  -> claims.json
"""

from repro_core.cli import Stage

from .analysis import AnalyseConfig, analyse
from .claims import ClaimsConfig, claims
from .figures import FiguresConfig, figures
from .sweep import BenchmarkConfig, SweepConfig, benchmark, sweep

STAGES = {
    "sweep": Stage(sweep, SweepConfig, outputs=("nets",), section="sweep",
                   rule_keys={"chunk": "This job's chunk of the delays, from the output's {stm_chunk} wildcard: "
                                       "0 .. n_chunks - 1."}),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("nets",), outputs=("index", "rasters"), many=("nets",), section="analyse"),
    "benchmark": Stage(benchmark, BenchmarkConfig, outputs=("bench",), section="benchmark"),
    "figures": Stage(figures, FiguresConfig, inputs=("index", "rasters", "bench"),
                     outputs=("fig_phase", "fig_mechanism", "fig_rasters", "fig_bench"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("index", "bench", "reduced"), outputs=("claims_json",), section="claims"),
}
