"""Supervised fine-tuning from scratch (RL-Wall ``configs/v5_8.yaml``: batch 64, AdamW lr 1e-3,
linear schedule with 5 % warm-up, one epoch, loss on every token of prompt + completion)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import repro_core
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from .model import ModelConfig, build_model, n_params, save_model, solve_counts, token_logprobs
from .task import load_split


@dataclass(kw_only=True)
class SFTConfig:
    model: ModelConfig
    batch: int
    lr: float
    warmup_frac: float
    weight_decay: float  # transformers Trainer default
    grad_clip: float  # transformers Trainer default
    steps: int  # 0: one epoch over the SFT split
    eval_every: int
    n_eval: int  # test problems for the greedy accuracy curve
    ckpt_every: int
    device: str  # "auto", "cpu", "cuda" (config.yaml's device)
    seed: int = 0


def linear_warmup(step: int, total: int, warmup: int) -> float:
    """LR multiplier: linear warm-up to 1 over ``warmup`` steps, then linear decay to 0."""
    if step < warmup:
        return (step + 1) / max(1, warmup)
    return max(0.0, (total - step) / max(1, total - warmup))


def batch_loss(model, tokens: np.ndarray, seq_len: np.ndarray, device) -> torch.Tensor:
    """Mean next-token cross-entropy over every real token (pads after the eos masked)."""
    L = int(seq_len.max())
    x = torch.as_tensor(tokens[:, :L], device=device)
    logp = token_logprobs(model, x)
    mask = torch.arange(1, L, device=device)[None] < torch.as_tensor(seq_len, device=device)[:, None]
    return -(logp * mask).sum() / mask.sum()


@torch.no_grad()
def greedy_accuracy(model, split: dict, n: int, seed: int, device) -> float:
    model.eval()
    idx = np.arange(min(n, len(split["length"])))
    g = torch.Generator(device=device).manual_seed(seed)
    acc = solve_counts(model, split, idx, 1, 0.0, g, device=device).mean()
    model.train()
    return float(acc)


def sft(cfg: SFTConfig, data: Path, model_out: Path, history_out: Path) -> None:
    device = torch_device(cfg.device)
    rng = repro_core.seed_everything(cfg.seed)
    d = repro_core.load_npz(data)
    train, test, rl = load_split(d, "sft"), load_split(d, "test"), load_split(d, "rl")
    n = len(train["length"])
    per_epoch = n // cfg.batch
    total = cfg.steps or per_epoch
    order = np.concatenate([rng.permutation(n) for _ in range(math.ceil(total / per_epoch))])
    model = build_model(cfg.model, derive_seed(cfg.seed, "init")).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    warm = int(round(cfg.warmup_frac * total))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: linear_warmup(s, total, warm))
    hist = {"step": [], "train_loss": [], "test_acc": [], "rl_acc": []}
    step, ckpt = 0, Path(str(model_out) + ".ckpt")
    if ckpt.exists():
        blob = torch.load(ckpt, map_location=device, weights_only=False)
        model.load_state_dict(blob["state_dict"])
        opt.load_state_dict(blob["opt"])
        sched.load_state_dict(blob["sched"])
        step, hist = blob["step"], blob["hist"]
        print(f"resumed SFT at step {step}", flush=True)
    print(f"SFT: {n_params(model)} parameters, {total} steps of {cfg.batch}", flush=True)
    model.train()
    running = []
    bar = repro_core.progress(total=total, initial=step, desc="sft")
    while step < total:
        idx = order[step * cfg.batch:(step + 1) * cfg.batch]
        loss = batch_loss(model, train["tokens"][idx], train["seq_len"][idx], device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip)
        opt.step()
        sched.step()
        step += 1
        running.append(float(loss))
        bar.update(1)
        if step % cfg.eval_every == 0 or step == total:
            hist["step"].append(step)
            hist["train_loss"].append(float(np.mean(running)))
            hist["test_acc"].append(greedy_accuracy(model, test, cfg.n_eval, cfg.seed, device))
            hist["rl_acc"].append(greedy_accuracy(model, rl, cfg.n_eval, cfg.seed, device))
            running = []
            bar.set_postfix(loss=hist["train_loss"][-1], test=hist["test_acc"][-1])
        if step % cfg.ckpt_every == 0 and step < total:
            with repro_core.atomic_path(ckpt) as tmp:
                torch.save({"state_dict": model.state_dict(), "opt": opt.state_dict(),
                            "sched": sched.state_dict(), "step": step, "hist": hist}, tmp)
    bar.close()
    save_model(model.cpu(), cfg.model, model_out, steps=total)
    repro_core.save_npz(history_out, **{k: np.asarray(v) for k, v in hist.items()})
    ckpt.unlink(missing_ok=True)
