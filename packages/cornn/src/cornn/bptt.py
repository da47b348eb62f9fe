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
                device="cpu", init: str = "normal") -> dict:
    """Leaf tensors on ``device`` (drawn on the CPU generator, so the same on every device).

    ``init="normal"``: W ~ N(0, g^2/n), W_in ~ N(0, 1/n_in), W_out ~ N(0, 1/n).
    ``init="xavier"``: every matrix ~ U(-b, b), b = g sqrt(6 / (fan_in + fan_out)) (torch's
    ``xavier_uniform_``, the authors' timed-response generator): W has s.d. g/sqrt(n), while
    W_in and W_out have s.d. ~ sqrt(2/n), i.e. a weak input and readout."""
    if init not in ("normal", "xavier"):
        raise ValueError(f"init must be 'normal' or 'xavier', got {init!r}")

    def rnd(*shape, std):
        x = torch.randn(*shape, generator=gen, dtype=torch.float64) * std
        return x.to(device).requires_grad_(True)

    def xavier(*shape, gain=1.0):
        x = torch.empty(*shape, dtype=torch.float64)
        torch.nn.init.xavier_uniform_(x, gain=gain, generator=gen)
        return x.to(device).requires_grad_(True)

    if init == "xavier":
        return {"W": xavier(n, n, gain=g), "W_in": xavier(n, n_in), "W_out": xavier(n_out, n)}
    return {"W": rnd(n, n, std=g / np.sqrt(n)), "W_in": rnd(n, n_in, std=1 / np.sqrt(n_in)),
            "W_out": rnd(n_out, n, std=1 / np.sqrt(n))}


def offdiag(W: torch.Tensor) -> torch.Tensor:
    return W * (1 - torch.eye(W.shape[0], dtype=W.dtype, device=W.device))


def train(params: dict, loss_fn: Callable[[dict, torch.Generator], torch.Tensor], steps: int,
          lr: float, ckpt: Path, seed: int, ckpt_every: int = 100, desc: str = "bptt",
          optimizer: str = "adam", momentum: float = 0.0, weight_decay: float = 0.0,
          clip: float | None = 1.0, after_step: Callable[[dict], None] | None = None) -> list:
    """``optimizer`` ("adam" or "sgd", with ``momentum`` and ``weight_decay``) on
    ``loss_fn(params, batch_generator)``, gradient norm clipped at ``clip`` (None: no
    clipping); ``after_step(params)`` runs under no_grad after each step (a constraint).
    Returns the loss history. Resumes params, optimiser, batch RNG and history from
    ``ckpt`` when it exists."""
    if optimizer == "adam":
        opt = torch.optim.Adam(list(params.values()), lr=lr, weight_decay=weight_decay)
    elif optimizer == "sgd":
        opt = torch.optim.SGD(list(params.values()), lr=lr, momentum=momentum,
                              weight_decay=weight_decay)
    else:
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
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
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(list(params.values()), clip)
        opt.step()
        if after_step is not None:
            with torch.no_grad():
                after_step(params)
        history.append(float(loss.detach()))
        if (step + 1) % ckpt_every == 0 and step + 1 < steps:
            with atomic_path(ckpt, suffix=".pt") as tmp:
                torch.save({"params": {k: v.detach() for k, v in params.items()},
                            "opt": opt.state_dict(), "gen": gen.get_state(),
                            "step": step + 1, "history": history}, tmp)
    return history


def to_numpy(params: dict) -> dict:
    return {k: v.detach().cpu().numpy() for k, v in params.items()}
