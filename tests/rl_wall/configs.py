"""Stage configs for the rl_wall tests, built from config/rl_wall.yaml (the only place a value is
set; the dataclasses have no defaults). ``scale="full"`` is the paper's setup, the one the tests
built from dataclass defaults before (issue 31); a test overrides only what it varies."""

from rl_wall.model import ModelConfig
from rl_wall.task import DataConfig, TaskConfig
from tests.helpers import paper_section, stage_config

PAPER = "rl_wall"


def task_config(scale: str = "full", cond: str = "base", **over) -> TaskConfig:
    """The task of condition ``cond`` as the data rule builds it: the task section plus the
    condition's alpha_train / beta_train."""
    c = paper_section(PAPER, f"conditions.{cond}", scale)
    return TaskConfig(**{**paper_section(PAPER, "task", scale),
                         "alpha_train": c["alpha_train"], "beta_train": c["beta_train"], **over})


def data_config(scale: str = "full", cond: str = "base", **over) -> DataConfig:
    """The data stage's config as the data rule builds it (task, data section, the condition's n_rl)."""
    c = paper_section(PAPER, f"conditions.{cond}", scale)
    return DataConfig(**{"task": task_config(scale, cond), **paper_section(PAPER, "data", scale),
                         "n_rl": c["n_rl"], **over})


def model_config(scale: str = "full", **over) -> ModelConfig:
    return ModelConfig(**{**paper_section(PAPER, "model", scale), **over})


def grpo_config(scale: str = "full", **over):
    """The grpo section on the CPU (the rule adds config.yaml's device)."""
    return stage_config(PAPER, "grpo", scale, **{"device": "cpu", **over})
