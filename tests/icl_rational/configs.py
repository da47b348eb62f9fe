"""Stage configs for the icl_rational tests, built from config/icl_rational.yaml (the only place a
value is set; TrainConfig has no defaults, issue 31); a test overrides only what it varies."""

from icl_rational.train import TrainConfig
from tests.helpers import paper_section

PAPER = "icl_rational"


def train_config(scale: str = "smoke", **over) -> TrainConfig:
    """The train stage's config as the train rule builds it: the train section less the job
    layout (group_size, n_seeds), plus n_symbols, the scale's D values and the CPU."""
    d = paper_section(PAPER, "train", scale)
    d.pop("group_size")
    d.pop("n_seeds")
    top = paper_section(PAPER, "", scale)
    return TrainConfig(**{**d, "n_tasks": top["n_tasks"], "n_symbols": top["n_symbols"], "device": "cpu", **over})
