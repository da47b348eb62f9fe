"""Stages: prompts -> score (per model, cached top-k artifacts) -> analyse -> figures, claims.
Wiring only: each stage's work lives in its module (prompts, scoring, analysis, figures, claims)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repro_core import load_json
from repro_core.cli import Stage

from .analysis import AnalyseConfig, analyse
from .prompts import PromptsConfig, make_prompts
from .scoring import ScoreConfig, score


@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, analysis: Path, trees_fig: Path, complexity_fig: Path,
            recognition_fig: Path, confusion_fig: Path) -> None:
    """Tree drawings, complexity vs model size, persona accuracies, confusion heatmaps."""
    from . import figures as figs

    a = load_json(analysis)
    figs.trees_figure(a, trees_fig)
    figs.complexity_figure(a, complexity_fig)
    figs.recognition_figure(a, recognition_fig)
    figs.confusion_figure(a, confusion_fig)


@dataclass(kw_only=True)
class ClaimsConfig:
    scale: str = "quick"
    purity_min_edges: int         # a tree counts as non-trivial from this many edges
    seed: int = 0


def claims(cfg: ClaimsConfig, analysis: Path, claims_json: Path) -> None:
    """Evaluate the paper's claims on our analysis."""
    from repro_core import evaluate_claims, write_claims

    from .claims import CLAIMS

    ctx = {"analysis": load_json(analysis), "cfg": cfg}
    records = evaluate_claims(CLAIMS, ctx, cfg.scale, paper="emotion_trees")
    write_claims(records, claims_json)
    for r in records:
        print(f"{r['id']}: {r['status']} (ours {r['ours']})")


STAGES = {
    "prompts": Stage(make_prompts, PromptsConfig, inputs=(), outputs=("prompts",), section="prompts"),
    "score": Stage(score, ScoreConfig, inputs=("prompts",), outputs=("scores",), section="score",
                   rule_keys={"model": "The scored model's spec (its entry in model_specs less family and "
                                       "size_label, a repro_core.lm.ModelSpec), from the output's {et_model} "
                                       "wildcard: one of models."}),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("prompts", "scores_dir"),
                     outputs=("analysis", "trees_table", "recognition_table"), section="analyse",
                     rule_keys={"model_info": "Per model: its family and size_label from model_specs (how the "
                                              "analysis groups models)."}),
    "figures": Stage(figures, FiguresConfig, inputs=("analysis",),
                     outputs=("trees_fig", "complexity_fig", "recognition_fig", "confusion_fig")),
    "claims": Stage(claims, ClaimsConfig, inputs=("analysis",), outputs=("claims_json",), section="claims"),
}
