"""Small next-token models in torch: a decoder-only transformer (RMSNorm, RoPE,
causal multi-head attention, GELU MLP) and a GRU control. Both read
``[BOS, x_0, ..., x_{L-2}]`` and return logits for ``x_0, ..., x_{L-1}``."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class ModelConfig:
    arch: str = "transformer"   # transformer | gru
    vocab: int = 5              # data tokens; BOS = vocab is an extra input token
    d_model: int = 16           # transformer width, or GRU hidden size
    n_layers: int = 2
    n_heads: int = 4
    d_mlp: int = 16
    max_len: int = 128

    def to_dict(self) -> dict:
        return asdict(self)


def rope_tables(max_len: int, head_dim: int, base: float = 10000.0):
    inv = base ** (-torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim)
    ang = torch.arange(max_len, dtype=torch.float32)[:, None] * inv[None, :]
    return ang.cos(), ang.sin()


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """Rotate pairs (x[2i], x[2i+1]) of each head by position-dependent angles.
    x: (B, H, T, Dh); cos/sin: (T, Dh/2)."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    out = torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1)
    return out.flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, self.h = cfg.d_model, cfg.n_heads
        if d % self.h or (d // self.h) % 2:
            raise ValueError(f"d_model={d} must split into n_heads={self.h} heads of even size")
        self.norm1, self.norm2 = nn.RMSNorm(d), nn.RMSNorm(d)
        self.qkv = nn.Linear(d, 3 * d, bias=False)
        self.proj = nn.Linear(d, d, bias=False)
        self.mlp = nn.Sequential(nn.Linear(d, cfg.d_mlp), nn.GELU(), nn.Linear(cfg.d_mlp, d))

    def forward(self, x, cos, sin):
        B, T, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, 3, self.h, D // self.h).permute(2, 0, 3, 1, 4)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, D))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab + 1, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        cos, sin = rope_tables(cfg.max_len, cfg.d_model // cfg.n_heads)
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        x = self.embed(tokens)
        for blk in self.blocks:
            x = blk(x, self.cos[:T], self.sin[:T])
        return self.head(self.norm(x))


class GRULM(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab + 1, cfg.d_model)
        self.rnn = nn.GRU(cfg.d_model, cfg.d_model, cfg.n_layers, batch_first=True)
        self.head = nn.Linear(cfg.d_model, cfg.vocab)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.head(self.rnn(self.embed(tokens))[0])


def build_model(cfg: ModelConfig) -> nn.Module:
    if cfg.arch == "transformer":
        return Transformer(cfg)
    if cfg.arch == "gru":
        return GRULM(cfg)
    raise ValueError(f"arch={cfg.arch!r} is not allowed; allowed values: transformer, gru")


def with_bos(seqs: torch.Tensor, bos: int) -> torch.Tensor:
    """[BOS, x_0 .. x_{L-2}]: the model input that predicts x_0 .. x_{L-1}."""
    return torch.cat([torch.full_like(seqs[:, :1], bos), seqs[:, :-1]], dim=1)


@torch.no_grad()
def log_probs(model: nn.Module, seqs, batch: int = 1024):
    """Model log-predictive (n, L, V) as a numpy array."""
    import numpy as np

    model.eval()
    seqs = torch.as_tensor(seqs)
    out = [F.log_softmax(model(with_bos(seqs[i:i + batch], model.cfg.vocab)), -1).double()
           for i in range(0, len(seqs), batch)]
    model.train()
    return np.concatenate([o.numpy() for o in out])
