"""Track B: a small causal transformer trained on shuffled-token graph random walks (torch).

Each training sequence is a random walk on the graph whose node -> token map is a
fresh random permutation, so only the context reveals the structure. After
training, node representations are read out per layer as the mean hidden state
over the occurrences of each node's token in the second half of a held-out
context, and analysed like the exact model.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

import repro_core

from . import model


class WalkTransformer(nn.Module):
    def __init__(self, vocab: int, d: int, n_layers: int, n_heads: int, seq_len: int):
        super().__init__()
        self.embed = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(seq_len, d)
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d, n_heads, dim_feedforward=4 * d, dropout=0.0,
                                       batch_first=True, norm_first=True)
            for _ in range(n_layers))
        self.norm = nn.LayerNorm(d)
        self.head = nn.Linear(d, vocab)

    def forward(self, tokens: torch.Tensor, return_hidden: bool = False):
        T = tokens.shape[1]
        mask = nn.Transformer.generate_square_subsequent_mask(T, device=tokens.device)
        h = self.embed(tokens) + self.pos(torch.arange(T, device=tokens.device))
        hidden = [h]
        for layer in self.layers:
            h = layer(h, src_mask=mask, is_causal=True)
            hidden.append(h)
        logits = self.head(self.norm(h))
        return (logits, hidden) if return_hidden else logits


def sample_batch(A: np.ndarray, batch: int, seq_len: int, rng: np.random.Generator):
    """Walks (node ids) and their tokens under a per-sequence random node -> token permutation."""
    walks = model.random_walks(A, seq_len, batch, rng)
    perms = np.stack([rng.permutation(len(A)) for _ in range(batch)])
    tokens = np.take_along_axis(perms, walks, axis=1)
    return walks, tokens, perms


def train(A: np.ndarray, *, d: int, n_layers: int, n_heads: int, seq_len: int, batch: int,
          steps: int, lr: float, seed: int, ckpt: Path, ckpt_every: int = 200) -> tuple[WalkTransformer, list]:
    """Next-token training with AdamW; checkpoints to ``ckpt`` and resumes from it."""
    torch.manual_seed(seed)
    net = WalkTransformer(len(A), d, n_layers, n_heads, seq_len)
    opt = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=0.01)
    rng = np.random.default_rng(seed)
    start, losses = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        net.load_state_dict(state["net"]), opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        start, losses = state["step"], state["losses"]
    for step in repro_core.progress(range(start, steps), desc="train", initial=start, total=steps):
        _, tokens, _ = sample_batch(A, batch, seq_len, rng)
        x = torch.as_tensor(tokens)
        logits = net(x[:, :-1])
        loss = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), x[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss))
        if (step + 1) % ckpt_every == 0 and step + 1 < steps:
            with repro_core.atomic_path(ckpt) as tmp:
                torch.save({"net": net.state_dict(), "opt": opt.state_dict(), "step": step + 1,
                            "losses": losses, "rng": rng.bit_generator.state}, tmp)
    return net, losses


@torch.no_grad()
def node_representations(net: WalkTransformer, A: np.ndarray, n_seqs: int, seq_len: int,
                         rng: np.random.Generator) -> np.ndarray:
    """Per-layer node representations (layers+1, n_seqs, n, d): mean hidden state over each
    node's occurrences in the second half of a held-out context (nan if it never occurs)."""
    walks, tokens, _ = sample_batch(A, n_seqs, seq_len, rng)
    _, hidden = net(torch.as_tensor(tokens), return_hidden=True)
    H = torch.stack(hidden).numpy()                          # (layers+1, seqs, T, d)
    n, half = len(A), seq_len // 2
    out = np.full((H.shape[0], n_seqs, n, H.shape[-1]), np.nan)
    for s in range(n_seqs):
        w = walks[s, half:]
        for i in range(n):
            idx = half + np.flatnonzero(w == i)
            if len(idx):
                out[:, s, i] = H[:, s, idx].mean(axis=1)
    return out


def chance_accuracy(A: np.ndarray) -> float:
    """Accuracy of predicting a uniformly random neighbour when the graph is known."""
    deg = A.sum(1)
    return float(np.sum(deg / deg.sum() / deg))
