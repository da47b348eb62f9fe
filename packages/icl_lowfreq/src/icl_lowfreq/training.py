"""Track B's train stage: the small transformer trained on shuffled-token random walks of one
graph (moved unchanged from stages.py, issue 31; the model and its training loop: trained.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import repro_core
from repro_core.seeding import derive_seed

from . import model


@dataclass(kw_only=True)
class ModelConfig:
    """Fields shared by the train and analyse stages (config section trained.model)."""
    graph: str
    d: int
    n_layers: int
    n_heads: int
    seq_len: int
    threads: int                   # CPU threads (config: trained.threads)
    seed: int = 0


@dataclass(kw_only=True)
class TrainConfig(ModelConfig):
    batch: int
    steps: int
    lr: float


def train(cfg: TrainConfig, model_out: Path) -> None:
    """Train the small transformer on shuffled-token random walks of one graph (resumable)."""
    import torch

    from . import trained

    torch.set_num_threads(cfg.threads)
    g = model.make_graph(cfg.graph)
    ckpt = Path(str(model_out) + ".ckpt")
    net, losses = trained.train(g.A, d=cfg.d, n_layers=cfg.n_layers, n_heads=cfg.n_heads,
                                seq_len=cfg.seq_len, batch=cfg.batch, steps=cfg.steps, lr=cfg.lr,
                                seed=derive_seed(cfg.seed, "train", cfg.graph), ckpt=ckpt)
    repro_core.save_torch({"net": net.state_dict(), "losses": losses, "config": vars(cfg)}, model_out)
    ckpt.unlink(missing_ok=True)
