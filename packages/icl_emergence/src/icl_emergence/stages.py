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

# --help for keys the rules assemble from several sections and the {iclem_run} wildcard (repro_core.cli.Stage)
TRAIN_KEYS = {
    "source": "The run's data source: kind mr_name with the mr_name section, or kind coins with its number of "
              "coins (from the {iclem_run} wildcard, one of n_coins).",
    "model": "The run's architecture: its entry of models (transformer or gru).",
    "steps": "Training steps: train.<kind>.steps, or the architecture's own models.<arch>.steps where it has one.",
    "stop_after": "Test-only: stop after this many steps (0: train all steps).",
}

STAGES = {
    "bayes": Stage(bayes, BayesConfig, outputs=("curves",), section="bayes"),
    "train": Stage(train, TrainConfig, outputs=("model_out", "history_out"), rule_keys=TRAIN_KEYS),
    "analyze": Stage(analyze, AnalyzeConfig, inputs=("curves", "histories", "models"), outputs=("summary", "data"),
                     many=("histories", "models"), section="analysis",
                     rule_keys={"runs": "Run name -> its source kind, architecture, number of coins and seed "
                                        "offsets (seeds or coin_seeds): the histories and models to read."}),
    "figures": Stage(figures, FiguresConfig, inputs=("summary", "data"),
                     outputs=("position_loss", "transition", "power_law", "coupling"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary",), outputs=("claims_json", "note")),
}
