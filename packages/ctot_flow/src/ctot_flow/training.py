"""The train stage: flow matching of every method's velocity network on one data set and
training seed, and loading the saved networks (moved unchanged from stages.py, issue 31)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from repro_core import load_npz, load_torch, progress, save_torch, seed_everything
from repro_core.seeding import derive_seed

from .processes import named_rng


@dataclass(kw_only=True)
class TrainStageConfig:
    """The ``train`` section of config/ctot_flow.yaml plus the data set, its methods (the
    ``methods`` section), the training seed and the device (no defaults: the YAML sets them)."""
    dataset: str
    steps: int
    batch: int
    width: int
    depth: int
    lr: float
    sigma: float
    sb_sigma: float
    h: float
    delta: float
    ckpt_every: int
    methods: list
    train_seed: int            # index of the training seed (the data are the same for every one)
    device: str                # auto | cpu | cuda (repro_core.device.torch_device)
    seed: int = 0


def train(cfg: TrainStageConfig, data: Path, labels: Path, models: Path) -> None:
    """Flow matching of the velocity MLP for every method of ``cfg.methods`` (CT-OT Flow, our
    OT-CFM on midpoints, torchcfm's baselines; same network, optimiser and budget; checkpoints,
    resumes), one training seed. One job trains all: starting a torch process costs more than a
    smoke-scale training run."""
    from repro_core.device import torch_device

    from .flow import METHODS, PairSampler, TrainConfig, train_flow

    unknown = [m for m in cfg.methods if m not in METHODS]
    if unknown:
        raise ValueError(f"train.methods: unknown {unknown}; allowed: {', '.join(METHODS)}")
    d, lab = load_npz(data), load_npz(labels)
    tcfg = TrainConfig(steps=cfg.steps, batch=cfg.batch, width=cfg.width, depth=cfg.depth,
                       lr=cfg.lr, sigma=cfg.sigma, sb_sigma=cfg.sb_sigma, ckpt_every=cfg.ckpt_every)
    out = {}
    for method in cfg.methods:
        seed_everything(derive_seed(cfg.seed, cfg.dataset, method, "torch", cfg.train_seed))
        rng = named_rng(cfg.seed, cfg.dataset, method, "train", cfg.train_seed)
        sampler = PairSampler(method, d["X"], lab["t_hat"], d["window"], int(d["n_windows"]),
                              h=cfg.h, delta=cfg.delta)
        ckpt = Path(f"{models}.{method}.ckpt")
        net, losses = train_flow(sampler, d["X"].shape[1], tcfg, rng, ckpt=ckpt, progress=progress,
                                 device=torch_device(cfg.device))
        out[method] = {"state_dict": net.cpu().state_dict(), "dim": int(d["X"].shape[1]),
                       "width": cfg.width, "depth": cfg.depth, "losses": losses, "method": method,
                       "config": asdict(cfg)}
    save_torch(out, models)
    for method in cfg.methods:
        Path(f"{models}.{method}.ckpt").unlink(missing_ok=True)


def load_models(path: Path) -> dict:
    """{method: (network, its saved state)} of one training seed."""
    from .flow import MLP

    out = {}
    for method, state in load_torch(path).items():
        net = MLP(state["dim"], state["width"], state["depth"])
        net.load_state_dict(state["state_dict"])
        out[method] = (net, state)
    return out
