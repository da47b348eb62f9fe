"""Stages of the rl_wall pipeline (``python -m rl_wall <stage>``):

    data      tables and the SFT / RL / test splits               -> data.npz
    sft       SFT from scratch                                    -> sft.pt, sft_history.npz
    grpo      GRPO from the SFT model                             -> grpo.pt, grpo_history.npz
    evaluate  k samples per test problem at each temperature      -> counts.npz
    analyze   before/after-RL statistics of every condition       -> summary.json, data.npz
    figures   self-ranking, temperature, pass@k, training curves  -> *.png
    claims    the paper's claims checked on summary.json, and note -> claims.json, note.md
"""

from repro_core.cli import Stage

from .analysis import AnalyzeConfig, EvalConfig, analyze, evaluate
from .claims import ClaimsConfig, claims
from .figures import FiguresConfig, figures
from .grpo import GRPOConfig, grpo
from .sft import SFTConfig, sft
from .task import DataConfig, make_data

STAGES = {
    "data": Stage(make_data, DataConfig, outputs=("data",)),
    "sft": Stage(sft, SFTConfig, inputs=("data",), outputs=("model_out", "history_out"), section="sft"),
    "grpo": Stage(grpo, GRPOConfig, inputs=("data", "sft_model"), outputs=("model_out", "history_out"),
                  section="grpo"),
    "evaluate": Stage(evaluate, EvalConfig, inputs=("data", "model"), outputs=("counts",), section="evaluate"),
    "analyze": Stage(analyze, AnalyzeConfig, outputs=("summary", "data"), section="analyze",
                     rule_keys={"conditions": "Per condition name, the files the rule gives: the SFT model's "
                                "evaluation and history (sft_eval, sft_hist), the GRPO seeds (grpo_seeds) and "
                                "their evaluations and histories (grpo_evals, grpo_hists)."}),
    "figures": Stage(figures, FiguresConfig, inputs=("summary", "data"),
                     outputs=("self_ranking", "temperature", "passk", "curves"), section="figures"),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary",), outputs=("claims_json", "note")),
}
