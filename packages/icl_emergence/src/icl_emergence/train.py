"""Next-token pretraining on a non-ergodic source, with per-position validation
loss (and KL to the exact Bayes predictor) logged over training, and
checkpoint/resume."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import repro_core
from repro_core.config import ConfigError, from_dict
from repro_core.device import torch_device
from repro_core.io import atomic_path

from . import processes as pr
from .models import ModelConfig, build_model, log_probs, with_bos


@dataclass(kw_only=True)
class MrNameSpec:
    """The Mr. Name process (the YAML's ``mr_name`` section)."""
    p: float                   # Something/Blah switch probability (paper: 0.4)
    q: float                   # probability of "Mr." from Something/Blah (paper: 0.25)


@dataclass(kw_only=True)
class CoinsSpec:
    """A mixture of N coins with biases p_i = i/(N+1) (one of the YAML's ``n_coins``)."""
    n_coins: int


@dataclass(kw_only=True)
class SourceConfig:
    """The training source: ``kind`` and that kind's own section (the other stays absent)."""
    kind: str                  # mr_name | coins
    mr_name: MrNameSpec | None = None   # kind mr_name only (required there)
    coins: CoinsSpec | None = None      # kind coins only (required there)

    def __post_init__(self):
        specs = {"mr_name": MrNameSpec, "coins": CoinsSpec}
        if self.kind not in specs:
            raise ConfigError(f"source.kind={self.kind!r} is not allowed; allowed values: mr_name, coins")
        for name, cls in specs.items():
            value = getattr(self, name)
            if isinstance(value, Mapping):
                setattr(self, name, value := from_dict(cls, value, f"source.{name}"))
            if (value is None) == (name == self.kind):
                raise ConfigError(f"config key source.{name} is "
                                  + ("required" if name == self.kind else "not allowed")
                                  + f" for source.kind {self.kind}")


def make_source(cfg: SourceConfig) -> pr.Mixture:
    if cfg.kind == "mr_name":
        return pr.mr_name_mixture(cfg.mr_name.p, cfg.mr_name.q)
    if cfg.kind == "coins":
        return pr.coin_mixture(cfg.coins.n_coins)
    raise ValueError(f"source.kind={cfg.kind!r} is not allowed; allowed values: mr_name, coins")


@dataclass(kw_only=True)
class TrainConfig:
    """One training run: its source, model and the YAML's ``train.<source kind>`` section (every
    value from config/icl_emergence.yaml; no defaults but the test switch stop_after)."""
    source: SourceConfig
    model: ModelConfig
    seq_len: int
    batch: int
    steps: int
    lr: float
    eval_every: int             # validation every this many steps ...
    dense_every: int            # ... and every this many steps up to dense_until
    dense_until: int
    n_val: int
    ckpt_every: int
    device: str                 # auto | cpu | cuda (repro_core.device.torch_device)
    stop_after: int = 0         # >0: stop (checkpoint only) after this many steps; tests preemption
    seed: int = 0


def eval_steps(cfg: TrainConfig) -> list[int]:
    return [s for s in range(cfg.steps + 1)
            if s % cfg.eval_every == 0 or (s <= cfg.dense_until and s % cfg.dense_every == 0)
            or s == cfg.steps]


def validation_set(cfg: TrainConfig, mix: pr.Mixture) -> np.ndarray:
    """Fixed validation sequences (independent of the training stream)."""
    return pr.sample(mix, cfg.n_val, cfg.seq_len, np.random.default_rng([cfg.seed, 2**31 - 1]))


def evaluate(model, val: np.ndarray, bayes: np.ndarray, masks) -> dict[str, np.ndarray]:
    """Per-position log loss and KL(Bayes || model) on the validation set, and the
    mean loss on each name-occurrence mask (Mr. Name)."""
    logq = log_probs(model, val)
    ce = -np.take_along_axis(logq, val[..., None], -1)[..., 0]
    out = {"ce": ce.mean(0), "kl": pr.kl_rows(bayes, logq).mean(0)}
    for name, m in masks.items():
        out[name] = np.array(ce[m].mean() if m.any() else np.nan)
    return out


def train(cfg: TrainConfig, model_out: Path, history_out: Path) -> None:
    """Adam on next-token log loss; batches are fresh samples (seeded by step)."""
    repro_core.seed_everything(cfg.seed)
    cfg.model.vocab = 2 if cfg.source.kind == "coins" else pr.MR_NAME_VOCAB
    cfg.model.max_len = max(cfg.model.max_len, cfg.seq_len)
    mix = make_source(cfg.source)
    device = torch_device(cfg.device)
    model = build_model(cfg.model).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)

    val = validation_set(cfg, mix)
    bayes = pr.predictive(mix, val)
    masks = {}
    if cfg.source.kind == "mr_name":
        masks = dict(zip(("name1", "name2"), pr.name_occurrence_masks(val)))
    bayes_ce = pr.log_loss(bayes, val)
    hist: dict[str, list] = {"step": [], "ce": [], "kl": [], "train_loss": [],
                             **{k: [] for k in masks}}

    ckpt = Path(str(model_out) + ".ckpt")
    start = 0
    if ckpt.exists():
        state = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        start, hist = state["step"], state["history"]
        print(f"resumed from {ckpt} at step {start}", flush=True)

    def save_ckpt(step):
        with atomic_path(ckpt) as tmp:
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "history": hist}, tmp)

    evals = set(eval_steps(cfg))
    bos = cfg.model.vocab
    bar = repro_core.progress(range(start, cfg.steps + 1), desc=f"train {mix.name} {cfg.model.arch}",
                              initial=start, total=cfg.steps + 1)
    for step in bar:
        if step in evals:
            ev = evaluate(model, val, bayes, masks)
            hist["step"].append(step)
            for k, v in ev.items():
                hist[k].append(v)
        if step == cfg.steps:
            break
        batch = torch.as_tensor(pr.sample(mix, cfg.batch, cfg.seq_len,
                                          np.random.default_rng([cfg.seed, step]))).to(device)
        logits = model(with_bos(batch, bos))
        loss = F.cross_entropy(logits.reshape(-1, cfg.model.vocab), batch.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hist["train_loss"].append(loss.item())
        done = step + 1
        if done % cfg.ckpt_every == 0 or done == cfg.stop_after:
            save_ckpt(done)
        if cfg.stop_after and done >= cfg.stop_after:
            print(f"stopping after {done} steps (stop_after); checkpoint {ckpt}", flush=True)
            return

    repro_core.save_torch({"model_config": cfg.model.to_dict(), "source": asdict(cfg.source),
                           "state_dict": {k: v.cpu() for k, v in model.state_dict().items()}}, model_out)
    repro_core.save_npz(history_out, val=val, bayes_ce=bayes_ce.mean(0),
                        **{k: np.asarray(v) for k, v in hist.items()})
    ckpt.unlink(missing_ok=True)


def load_model(path: Path):
    state = repro_core.load_torch(path, map_location="cpu")
    model = build_model(ModelConfig(**state["model_config"]))   # a dict transformer becomes its spec
    model.load_state_dict(state["state_dict"])
    return model.eval()
