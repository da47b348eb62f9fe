"""Stages of the icl_emergence pipeline (``python -m icl_emergence <stage>``):

    bayes    exact myopic entropies h_l of every source           -> curves.npz
    train    one model on one source, per-position val loss log   -> model.pt, history.npz
    analyze  fits, transition, held-out prior coupling            -> summary.json, data.npz
    figures  the four figures                                     -> *.png
    claims   the paper's claims checked on summary.json, and note -> claims.json, note.md
"""

from repro_core.cli import Stage

from .analysis import AnalyzeConfig, BayesConfig, analyze, bayes
from .claims import ClaimsConfig, claims
from .figures import FiguresConfig, figures
from .train import TrainConfig, train

STAGES = {
    "bayes": Stage(bayes, BayesConfig, outputs=("curves",), section="bayes"),
    "train": Stage(train, TrainConfig, outputs=("model_out", "history_out")),
    "analyze": Stage(analyze, AnalyzeConfig, inputs=("curves", "histories", "models"), outputs=("summary", "data"),
                     many=("histories", "models"), section="analysis"),
    "figures": Stage(figures, FiguresConfig, inputs=("summary", "data"),
                     outputs=("position_loss", "transition", "power_law", "coupling"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary",), outputs=("claims_json", "note")),
}
