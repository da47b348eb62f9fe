"""A batch of independent GPT-NeoX-style transformers, one per task-pool size, run as one
program (every weight has a leading model axis), so all D values train in the same step.

Per model (paper / authors' config: GPT-NeoX, 1 layer, 1 head, hidden 64, MLP x4): token
embedding (V symbols + BOS), one block, causal single-head attention with rotary position
embedding on the first quarter of the head dimensions (HF GPT-NeoX default rotary_pct=0.25),
GELU MLP, final LayerNorm and an untied read-out to V logits. Weights ~ N(0, 0.02^2), biases 0.

The block is the authors' (``models.init_transformer``: ``GPTNeoXConfig(use_parallel_residual=
False, attention_bias=False)``): *sequential* residual, h = x + Attn(LN1(x)), out = h +
MLP(LN2(h)), so the MLP reads what attention gathered from the context (in one layer this is the
only non-linear processing of the context: the memorizing predictor, a softmax over the pool of
the counts' log-likelihoods, needs it), and no biases in the attention's projections.
``parallel_residual=True`` is HF GPT-NeoX's default x + Attn(LN1(x)) + MLP(LN2(x)) (with
attention biases), where the MLP sees only the current token.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def _rotary(T: int, dim: int, base: float = 10000.0):
    inv = 1.0 / base ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim)
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]    # [T, dim/2]
    ang = torch.cat([ang, ang], dim=-1)
    return ang.cos(), ang.sin()


def _rotate(x, cos, sin):
    half = x.shape[-1] // 2
    rot = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rot * sin


class BatchedNeoX(nn.Module):
    def __init__(self, n_models: int, n_symbols: int, hidden: int = 64, mlp_factor: int = 4,
                 rotary_pct: float = 0.25, init_std: float = 0.02,
                 parallel_residual: bool = False):
        super().__init__()
        M, H, V = n_models, hidden, n_symbols
        F_ = mlp_factor * H

        def w(*shape):
            return nn.Parameter(torch.randn(M, *shape) * init_std)

        def z(*shape):
            return nn.Parameter(torch.zeros(M, *shape))

        def o(*shape):
            return nn.Parameter(torch.ones(M, *shape))

        self.n_symbols, self.hidden, self.parallel_residual = V, H, bool(parallel_residual)
        self.embed = w(V + 1, H)                 # index V is BOS
        self.ln1_w, self.ln1_b, self.ln2_w, self.ln2_b = o(1, H), z(1, H), o(1, H), z(1, H)
        self.qkv_w, self.out_w = w(H, 3 * H), w(H, H)
        if self.parallel_residual:               # HF default attention_bias=True
            self.qkv_b, self.out_b = z(1, 3 * H), z(1, H)
        else:                                    # authors: attention_bias=False
            self.register_buffer("qkv_b", torch.zeros(M, 1, 3 * H), persistent=False)
            self.register_buffer("out_b", torch.zeros(M, 1, H), persistent=False)
        self.fc1_w, self.fc1_b = w(H, F_), z(1, F_)
        self.fc2_w, self.fc2_b = w(F_, H), z(1, H)
        self.lnf_w, self.lnf_b = o(1, H), z(1, H)
        self.unembed = w(H, V)
        self.rot_dim = max(2, int(H * rotary_pct) // 2 * 2)

    @staticmethod
    def _ln(x, w, b):
        return F.layer_norm(x, x.shape[-1:]) * w + b

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens [M, B, T] in 0..V (V = BOS) -> log-probabilities [M, B, T, V]."""
        M, B, T = tokens.shape
        H = self.hidden
        x = torch.gather(self.embed, 1, tokens.reshape(M, B * T, 1).expand(M, B * T, H))
        x = x.reshape(M, B * T, H)
        h1 = self._ln(x, self.ln1_w, self.ln1_b)
        qkv = torch.baddbmm(self.qkv_b, h1, self.qkv_w).reshape(M, B, T, 3, H)
        q, k, v = qkv.unbind(3)
        cos, sin = (a.to(x.device) for a in _rotary(T, self.rot_dim))
        r = self.rot_dim
        q = torch.cat([_rotate(q[..., :r], cos, sin), q[..., r:]], dim=-1)
        k = torch.cat([_rotate(k[..., :r], cos, sin), k[..., r:]], dim=-1)
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)   # [M, B, T, H]
        att = torch.baddbmm(self.out_b, att.reshape(M, B * T, H), self.out_w)
        if not self.parallel_residual:
            x = x + att                          # the MLP reads the attention's output
        h2 = self._ln(x, self.ln2_w, self.ln2_b)
        mlp = torch.baddbmm(self.fc2_b, F.gelu(torch.baddbmm(self.fc1_b, h2, self.fc1_w)), self.fc2_w)
        x = x + mlp + (att if self.parallel_residual else 0.0)
        logits = torch.bmm(self._ln(x, self.lnf_w, self.lnf_b), self.unembed)
        return torch.log_softmax(logits, dim=-1).reshape(M, B, T, self.n_symbols)


def n_params_per_model(model: BatchedNeoX) -> int:
    return sum(p[0].numel() for p in model.parameters())


def warmup_constant(step: int, warmup: int) -> float:
    """Learning-rate factor: linear warm-up then constant (authors' constant_with_warmup)."""
    return min(1.0, (step + 1) / max(1, warmup))


def sqrt_spaced_steps(first: int, last: int, n: int) -> list[int]:
    """Evaluation steps evenly spaced in sqrt(step) (the authors' save_steps: 20 .. 100000)."""
    s = [int(round(x * x)) for x in torch.linspace(math.sqrt(first), math.sqrt(last), n).tolist()]
    return sorted(set(max(1, min(last, v)) for v in s))
