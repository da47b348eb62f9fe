"""Stages of the icl_rational pipeline (``python -m icl_rational <stage>``):

    train    one transformer per D (a group of D values batched), sqrt-spaced evaluations -> run.npz
    analyze  M and G predictors, relative distances, the fitted Bayesian model, N*(D)  -> summary.json, table.csv, curves.npz
    figures  relative distance, KL curves, phase diagram, transition times              -> *.png
    claims   the paper's claims checked on summary.json, and a note                     -> claims.json, note.md
"""

from repro_core.cli import Stage

from .analysis import AnalyzeConfig, analyze
from .claims import ClaimsConfig, claims
from .figures import FiguresConfig, figures
from .train import TrainConfig, train

STAGES = {
    "train": Stage(train, TrainConfig, outputs=("run",)),
    "analyze": Stage(analyze, AnalyzeConfig, inputs=("runs",), outputs=("summary", "table", "curves"),
                     many=("runs",), section="analyze", renamed={"after_step": "train.warmup"}),
    "figures": Stage(figures, FiguresConfig, inputs=("summary", "table", "curves"),
                     outputs=("rel_distance", "kl_curves", "phase", "transition"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary",), outputs=("claims_json", "note")),
}
