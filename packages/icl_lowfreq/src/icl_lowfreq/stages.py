"""Stages of the icl_lowfreq reproduction (``python -m icl_lowfreq <stage> ...``).

Track A: ``exact`` (the fixed-attention averaging model on every graph, module exact) -> ``figures``
-> ``claims``; Track B: ``train`` (module training) -> ``analyse`` (module analysis) -> ``figure_trained``;
Track C: ``lm`` (module analysis) -> ``figure_lm``. Wiring only: each stage's work lives in its module.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

import repro_core
from repro_core.cli import Stage

from .analysis import AnalyseConfig, LMConfig, analyse, lm, read_lm_table
from .exact import ExactConfig, exact
from .training import TrainConfig, train


# ----------------------------------------------------------------------------- reading the tables
LAYER_COLUMNS = ["graph", "layer", "context", "energy", "low_fraction", "pca_fiedler_overlap"]
CONTEXT_COLUMNS = ["graph", "walk", "T", "T_over_n", "rel_change_first", "rel_change_last", "energy_first",
                   "energy", "low_fraction", "pca_fiedler_overlap"]


def _nullable(m: dict) -> list[str]:
    """spacing_ratio: grid graphs only (empty for the others; absent without a grid graph)."""
    return ["spacing_ratio"] if any(g.startswith("grid") for g in m["graphs"]) else []


def layers_grid(m: dict) -> list[dict]:
    """The rows layers.csv holds, from the exact stage's metrics.json: every graph x layer 0..L."""
    return [{"graph": [g], "layer": list(range(len(v["energy_by_layer"])))} for g, v in m["graphs"].items()]


def context_grid(m: dict, walks=None) -> list[dict]:
    """The rows context.csv holds: every graph x walk x its context lengths T (metrics.json's
    per-graph T; ``walks``: range(n_walks) from metrics.json, or the given values)."""
    walks = list(range(int(m["n_walks"]))) if walks is None else list(walks)
    return [{"graph": [g], "walk": walks, "T": sorted(int(t) for t in v["context_rms_change"]["last"])}
            for g, v in m["graphs"].items()]


def read_layers(path: Path, m: dict) -> pd.DataFrame:
    """layers.csv through repro_core.read_table with its grid; IncompleteTableError names the file."""
    return repro_core.read_table(path, LAYER_COLUMNS, grid=layers_grid(m), nullable=_nullable(m))


def read_context(path: Path, m: dict) -> pd.DataFrame:
    """context.csv through repro_core.read_table with its grid (a metrics.json written before
    n_walks was recorded: the walks the table itself holds)."""
    walks = None
    if "n_walks" not in m:
        walks = sorted(repro_core.read_table(path, CONTEXT_COLUMNS)["walk"].unique().tolist())
    return repro_core.read_table(path, CONTEXT_COLUMNS, grid=context_grid(m, walks), nullable=_nullable(m))


# ----------------------------------------------------------------------------- figures
@dataclass(kw_only=True)
class FiguresConfig:
    pca_graph: str
    seed: int = 0


def figures(cfg: FiguresConfig, metrics: Path, layers: Path, context: Path, snapshots: Path,
            fig_pca: Path, fig_energy: Path, fig_spectrum: Path, fig_noise: Path) -> None:
    """PCA by layer and context; energy vs layer and context; mode spectra; noise curves."""
    from . import figures as F

    m = repro_core.load_json(metrics)
    lay, ctx = read_layers(layers, m), read_context(context, m)   # complete, before any figure
    F.pca_grid(m, repro_core.load_npz(snapshots), cfg.pca_graph, fig_pca)
    F.energy(m, lay, ctx, fig_energy)
    F.spectrum(m, fig_spectrum)
    F.noise(m, fig_noise)


@dataclass
class FigureTrainedConfig:
    seed: int = 0


def figure_trained(cfg: FigureTrainedConfig, trained: list[Path], fig_trained: Path) -> None:
    """Track B: per-layer energy and low-mode fraction of the trained model; training loss."""
    from . import figures as F

    F.trained(load_trained(trained), fig_trained)


@dataclass
class FigureLMConfig:
    seed: int = 0


def figure_lm(cfg: FigureLMConfig, metrics: Path, table: Path, fig_lm: Path) -> None:
    """Track C: energy by layer and by context, low-frequency shares, PCA/Fiedler overlap,
    convergence over context and the readout-layer PCA picture of one LM."""
    from . import figures as F

    m = repro_core.load_json(metrics)
    F.lm(m, read_lm_table(table, m), fig_lm)


# ----------------------------------------------------------------------------- claims
@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def load_trained(paths: list[Path]) -> dict:
    """Track B metrics files by graph."""
    out = {}
    for p in paths:
        m = repro_core.load_json(p)
        out[m["graph"]] = m
    return out


def claims(cfg: ClaimsConfig, metrics: Path, trained: list[Path], lm: list[Path], claims_json: Path) -> None:
    """Evaluate the paper's claims on our exact-model results, the trained models' metrics
    (Track B, ``trained``) and the pretrained LMs' metrics (Track C, ``lm``)."""
    from .claims import CLAIMS

    ctx = repro_core.load_json(metrics)
    ctx["trained"] = load_trained(trained)
    ctx["lm"] = {m["model"]: m for m in map(repro_core.load_json, lm)}
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="icl_lowfreq")
    repro_core.write_claims(records, claims_json)


# --help for keys the rules set from a wildcard or from the lm section (repro_core.cli.Stage)
GRAPH = {"graph": "Graph, from the output's {icl_lowfreq_graph} wildcard: one of trained.graphs."}
LM_KEYS = {k: f"lm.{k}" for k in ("graphs", "context_factors", "n_walks", "low_modes", "readout_fraction",
                                  "fit_max_fraction", "threads")}
LM_MODEL = {"model": "The LM's spec (its entry in lm.model_specs, a repro_core.lm.ModelSpec), from the output's "
                     "{icl_lowfreq_model} wildcard: one of lm.models."}

STAGES = {
    "exact": Stage(exact, ExactConfig, outputs=("metrics", "layers", "context", "snapshots"), section="exact"),
    "figures": Stage(figures, FiguresConfig, inputs=("metrics", "layers", "context", "snapshots"),
                     outputs=("fig_pca", "fig_energy", "fig_spectrum", "fig_noise"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("metrics", "trained", "lm"), outputs=("claims_json",),
                    many=("trained", "lm")),
    "train": Stage(train, TrainConfig, outputs=("model_out",), section="trained.train", rule_keys=GRAPH),
    "figure_trained": Stage(figure_trained, FigureTrainedConfig, inputs=("trained",), outputs=("fig_trained",),
                            many=("trained",)),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("model_in",), outputs=("metrics",), section="trained.analyse",
                     rule_keys=GRAPH),
    "lm": Stage(lm, LMConfig, outputs=("metrics", "table"), renamed=LM_KEYS, rule_keys=LM_MODEL),
    "figure_lm": Stage(figure_lm, FigureLMConfig, inputs=("metrics", "table"), outputs=("fig_lm",)),
}
