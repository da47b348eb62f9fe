"""The benchmark's baseline: the same networks trained one at a time with torch.

Same model, loss, initial weights and learning rate as :mod:`.rnn`;
``torch.optim.SGD(momentum, weight_decay)`` is the same update as the optax
chain used there. Noise is off in the benchmark so both give the same numbers.
"""

from __future__ import annotations

import numpy as np
import torch


def train_torch(params: dict, r0, lr: float, task: dict, epochs: int, momentum: float = 0.9,
                weight_decay: float = 1e-7, leak: float = 0.5, model: str = "paper") -> tuple[dict, np.ndarray]:
    """Train one network (numpy ``params``/``r0``/``task`` as in :func:`rnn.train_batch`,
    without noise, fixed start rates ``r0``); return the final parameters and the per-epoch
    losses. ``model="paper"`` reads the output before each step's update and trains every
    bias; ``"reduced"`` reads it after and keeps ``b_in``/``b_out`` frozen."""
    p = {k: torch.tensor(np.asarray(v), dtype=torch.float32, requires_grad=True) for k, v in params.items()}
    r_init = torch.tensor(np.asarray(r0), dtype=torch.float32)
    u = torch.tensor(np.asarray(task["u"]), dtype=torch.float32)
    y = torch.tensor(np.asarray(task["y"]), dtype=torch.float32)
    w = torch.tensor(np.asarray(task["w"]), dtype=torch.float32)
    T = float(task["length"])
    frozen = ("b_in", "b_out") if model == "reduced" else ()
    for k in frozen:
        p[k].requires_grad_(False)
    opt = torch.optim.SGD([v for k, v in p.items() if k not in frozen], lr=lr, momentum=momentum,
                          weight_decay=weight_decay)
    losses = np.zeros(epochs)
    B, L, _ = u.shape
    for e in range(epochs):
        opt.zero_grad()
        r = r_init.expand(B, -1)
        outs = []
        for t in range(L):
            if model == "paper":
                outs.append(torch.sigmoid(r @ p["W_out"].T + p["b_out"]))
            r = (1 - leak) * r + leak * torch.tanh(r @ p["W"].T + p["b"] + u[:, t] @ p["W_in"].T + p["b_in"])
            if model != "paper":
                outs.append(torch.sigmoid(r @ p["W_out"].T + p["b_out"]))
        out = torch.stack(outs, 1)
        loss = torch.sum(w * ((out - y) ** 2).mean(dim=(0, 2))) / T
        loss.backward()
        opt.step()
        losses[e] = loss.item()
    return {k: v.detach().numpy() for k, v in p.items()}, losses
