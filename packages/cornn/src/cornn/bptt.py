"""Training task generators by backpropagation through time (torch), with atomic
checkpoints every ``ckpt_every`` steps and resume from ``<output>.ckpt``."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import numpy as np
import torch

from repro_core import progress
from repro_core.io import atomic_path


def init_params(n: int, n_in: int, n_out: int, g: float, gen: torch.Generator,
                device="cpu") -> dict:
    """W ~ N(0, g^2/n), W_in ~ N(0, 1/n_in), W_out ~ N(0, 1/n), as leaf tensors on
    ``device`` (drawn on the CPU generator, so the same on every device)."""
    def rnd(*shape, std):
        x = torch.randn(*shape, generator=gen, dtype=torch.float64) * std
        return x.to(device).requires_grad_(True)
    return {"W": rnd(n, n, std=g / np.sqrt(n)), "W_in": rnd(n, n_in, std=1 / np.sqrt(n_in)),
            "W_out": rnd(n_out, n, std=1 / np.sqrt(n))}


def offdiag(W: torch.Tensor) -> torch.Tensor:
    return W * (1 - torch.eye(W.shape[0], dtype=W.dtype, device=W.device))


def train(params: dict, loss_fn: Callable[[dict, torch.Generator], torch.Tensor], steps: int,
          lr: float, ckpt: Path, seed: int, ckpt_every: int = 100, desc: str = "bptt") -> list:
    """Adam on ``loss_fn(params, batch_generator)``; returns the loss history.
    Resumes params, optimiser, batch RNG and history from ``ckpt`` when it exists."""
    opt = torch.optim.Adam(list(params.values()), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    start, history = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False, map_location=next(iter(params.values())).device)
        with torch.no_grad():
            for k, v in state["params"].items():
                params[k].copy_(v)
        opt.load_state_dict(state["opt"])
        gen.set_state(state["gen"].cpu())
        start, history = state["step"], state["history"]
    for step in progress(range(start, steps), desc=desc, initial=start, total=steps):
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(params, gen)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(list(params.values()), 1.0)
        opt.step()
        history.append(float(loss.detach()))
        if (step + 1) % ckpt_every == 0 and step + 1 < steps:
            with atomic_path(ckpt, suffix=".pt") as tmp:
                torch.save({"params": {k: v.detach() for k, v in params.items()},
                            "opt": opt.state_dict(), "gen": gen.get_state(),
                            "step": step + 1, "history": history}, tmp)
    return history


def to_numpy(params: dict) -> dict:
    return {k: v.detach().cpu().numpy() for k, v in params.items()}
