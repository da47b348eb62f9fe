"""Small next-token models in torch: a decoder-only transformer (RMSNorm, RoPE,
causal multi-head attention, GELU MLP) and a GRU control. Both read
``[BOS, x_0, ..., x_{L-2}]`` and return logits for ``x_0, ..., x_{L-1}``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

from repro_core.config import ConfigError, from_dict


@dataclass(kw_only=True)
class TransformerSpec:
    """The transformer's own settings (``models.transformer.transformer`` in
    config/icl_emergence.yaml; the GRU has none). The authors' penzai "llamalike" transformer
    (Astera-org/simplexity, predictive_model/transformer.yaml): per-head projection 16 (not
    d_model / n_heads), 2 key/value heads shared by 4 query heads, gated GELU MLP without biases,
    input embedding tied to the logit layer (scaled by sqrt(d_model)), and penzai's initialisation
    (Xavier-uniform linear layers, embeddings N(0, 1/d_model)). head_dim 0, n_kv_heads 0, mlp gelu,
    untied, init torch is the earlier plain model."""
    n_heads: int
    d_mlp: int
    head_dim: int               # 0: d_model // n_heads
    n_kv_heads: int             # 0: n_heads (ordinary multi-head attention)
    mlp: str                    # gelu (Linear-GELU-Linear) | geglu (gated, tanh GELU, no biases)
    tie_embeddings: bool
    init: str                   # torch (PyTorch defaults) | xavier (penzai's)


@dataclass(kw_only=True)
class ModelConfig:
    arch: str                   # transformer | gru
    d_model: int                # transformer width, or GRU hidden size
    n_layers: int
    transformer: TransformerSpec | None = None   # arch transformer only (required there)
    vocab: int = 5              # data tokens (set by train from the source); BOS = vocab is an extra input token
    max_len: int = 128          # RoPE table length (train raises it to seq_len)

    def __post_init__(self):
        if isinstance(self.transformer, Mapping):
            self.transformer = from_dict(TransformerSpec, self.transformer, "model.transformer")
        if self.arch == "transformer" and self.transformer is None:
            raise ConfigError("config key model.transformer is required for arch transformer")
        if self.arch != "transformer" and self.transformer is not None:
            raise ConfigError(f"config key model.transformer is for arch transformer only, not {self.arch!r}")

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


class GatedMLP(nn.Module):
    def __init__(self, d: int, m: int):
        super().__init__()
        self.gate, self.value = nn.Linear(d, m, bias=False), nn.Linear(d, m, bias=False)
        self.out = nn.Linear(m, d, bias=False)

    def forward(self, x):
        return self.out(F.gelu(self.gate(x), approximate="tanh") * self.value(x))


def _heads(cfg: ModelConfig) -> tuple[int, int, int]:
    """(query heads, key/value heads, head size)."""
    t = cfg.transformer
    h = t.n_heads
    kv = t.n_kv_heads or h
    hd = t.head_dim or cfg.d_model // h
    if not t.head_dim and cfg.d_model % h:
        raise ValueError(f"d_model={cfg.d_model} must split into n_heads={h} heads (or set head_dim)")
    if hd % 2 or h % kv:
        raise ValueError(f"head size {hd} must be even and n_heads={h} a multiple of n_kv_heads={kv}")
    return h, kv, hd


class Block(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, t = cfg.d_model, cfg.transformer
        self.h, self.kv, self.hd = _heads(cfg)
        if t.mlp not in ("gelu", "geglu"):
            raise ValueError(f"mlp={t.mlp!r} is not allowed; allowed values: gelu, geglu")
        self.norm1, self.norm2 = nn.RMSNorm(d), nn.RMSNorm(d)
        self.qkv = nn.Linear(d, (self.h + 2 * self.kv) * self.hd, bias=False)
        self.proj = nn.Linear(self.h * self.hd, d, bias=False)
        self.mlp = (nn.Sequential(nn.Linear(d, t.d_mlp), nn.GELU(), nn.Linear(t.d_mlp, d))
                    if t.mlp == "gelu" else GatedMLP(d, t.d_mlp))

    def forward(self, x, cos, sin):
        B, T, D = x.shape
        h, kv, hd = self.h, self.kv, self.hd
        q, k, v = self.qkv(self.norm1(x)).split([h * hd, kv * hd, kv * hd], dim=-1)
        q = q.view(B, T, h, hd).transpose(1, 2)
        k, v = (t.view(B, T, kv, hd).transpose(1, 2).repeat_interleave(h // kv, dim=1) for t in (k, v))
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        a = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        x = x + self.proj(a.transpose(1, 2).reshape(B, T, h * hd))
        return x + self.mlp(self.norm2(x))


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        t = cfg.transformer
        if t.init not in ("torch", "xavier"):
            raise ValueError(f"init={t.init!r} is not allowed; allowed values: torch, xavier")
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab + 1, cfg.d_model)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = nn.RMSNorm(cfg.d_model)
        self.head = None if t.tie_embeddings else nn.Linear(cfg.d_model, cfg.vocab, bias=False)
        cos, sin = rope_tables(cfg.max_len, _heads(cfg)[2])
        self.register_buffer("cos", cos, persistent=False)
        self.register_buffer("sin", sin, persistent=False)
        if t.init == "xavier":
            nn.init.normal_(self.embed.weight, std=cfg.d_model ** -0.5)
            for m in self.modules():
                if isinstance(m, nn.Linear):
                    nn.init.xavier_uniform_(m.weight)
                    if m.bias is not None:
                        nn.init.zeros_(m.bias)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        T = tokens.shape[1]
        x = self.embed(tokens)
        if self.head is None:
            x = x * self.cfg.d_model ** 0.5
        for blk in self.blocks:
            x = blk(x, self.cos[:T], self.sin[:T])
        x = self.norm(x)
        return self.head(x) if self.head is not None else x @ self.embed.weight[: self.cfg.vocab].T


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
