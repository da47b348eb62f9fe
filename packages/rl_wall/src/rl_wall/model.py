"""The tiny Qwen2-style decoder (RL-Wall ``make_models_v5.py``: a ``Qwen2Config`` with hidden 128,
MLP 512, 4 layers, 2 heads, vocabulary 29, ~1.06 M parameters, random init), written as a small
torch module with Qwen2's exact computation and parameter names (RMSNorm eps 1e-6, RoPE theta
1e4, q/k/v biases, SwiGLU MLP, untied head; a test checks it against transformers' Qwen2 and its
state dict loads into ``Qwen2ForCausalLM``). Own module because sampling needs a preallocated KV
cache and a prompt cache shared by all samples of a prompt: transformers' growing cache copies
itself every step, which made CPU evaluation ~5x slower. Plus batched sampling and
per-token log-probabilities."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

import repro_core

from .task import PAD, VOCAB, completion_len


@dataclass(kw_only=True)
class ModelConfig:
    """config/rl_wall.yaml's model section (the paper's values in the schema)."""
    hidden: int
    intermediate: int
    layers: int
    heads: int
    kv_heads: int
    rope_theta: float
    init_std: float                 # Qwen2Config.initializer_range


class RMSNorm(nn.Module):
    def __init__(self, d: int, eps: float = 1e-6):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps))


def _rotate_half(x):
    a, b = x.chunk(2, dim=-1)
    return torch.cat([-b, a], dim=-1)


class Attention(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.h, self.kvh, self.hd = cfg.heads, cfg.kv_heads, cfg.hidden // cfg.heads
        self.q_proj = nn.Linear(cfg.hidden, self.h * self.hd)
        self.k_proj = nn.Linear(cfg.hidden, self.kvh * self.hd)
        self.v_proj = nn.Linear(cfg.hidden, self.kvh * self.hd)
        self.o_proj = nn.Linear(self.h * self.hd, cfg.hidden, bias=False)

    def forward(self, x, cos, sin, past=None, mask=None):
        """``past``: (K, V) [B, kvh, Lpast, hd] of earlier positions, or a ``(KVCache, layer)``
        pair whose buffers receive this call's K/V in place, or None. Returns the output and this
        call's (K, V)."""
        B, L, _ = x.shape
        q = self.q_proj(x).view(B, L, self.h, self.hd).transpose(1, 2)
        k = self.k_proj(x).view(B, L, self.kvh, self.hd).transpose(1, 2)
        v = self.v_proj(x).view(B, L, self.kvh, self.hd).transpose(1, 2)
        q = q * cos + _rotate_half(q) * sin
        k = k * cos + _rotate_half(k) * sin
        new = (k, v)
        if isinstance(past, tuple) and isinstance(past[0], KVCache):
            k, v = past[0].write(past[1], k, v)
        elif past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        if self.kvh != self.h:
            k = k.repeat_interleave(self.h // self.kvh, dim=1)
            v = v.repeat_interleave(self.h // self.kvh, dim=1)
        if mask is None and past is None:
            o = F.scaled_dot_product_attention(q, k, v, is_causal=L > 1)
        else:
            o = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        return self.o_proj(o.transpose(1, 2).reshape(B, L, -1)), new


class MLP(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.up_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=False)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.hidden, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Layer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden)
        self.self_attn = Attention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden)
        self.mlp = MLP(cfg)

    def forward(self, x, cos, sin, past=None, mask=None):
        a, new = self.self_attn(self.input_layernorm(x), cos, sin, past, mask)
        x = x + a
        return x + self.mlp(self.post_attention_layernorm(x)), new


class Body(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.embed_tokens = nn.Embedding(len(VOCAB), cfg.hidden)
        self.layers = nn.ModuleList([Layer(cfg) for _ in range(cfg.layers)])
        self.norm = RMSNorm(cfg.hidden)


class Decoder(nn.Module):
    """Qwen2ForCausalLM's computation; ``forward(ids, past, pos0, mask)`` returns the logits and
    the per-layer (K, V) of ``ids`` (positions ``pos0 ..``)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.model = Body(cfg)
        self.lm_head = nn.Linear(cfg.hidden, len(VOCAB), bias=False)
        hd = cfg.hidden // cfg.heads
        self.register_buffer("inv_freq", 1.0 / cfg.rope_theta ** (torch.arange(0, hd, 2).float() / hd),
                             persistent=False)

    def rope(self, pos0: int, L: int, device):
        t = torch.arange(pos0, pos0 + L, device=device, dtype=torch.float32)
        f = torch.outer(t, self.inv_freq)
        emb = torch.cat([f, f], dim=-1)
        return emb.cos(), emb.sin()

    def forward(self, ids, past=None, pos0: int = 0, mask=None):
        """``past``: per-layer (K, V) of positions < pos0, or a :class:`KVCache` (written in
        place and advanced; ``pos0`` is then its length)."""
        x = self.model.embed_tokens(ids)
        if isinstance(past, KVCache):
            pos0 = past.len
        cos, sin = self.rope(pos0, ids.shape[1], ids.device)
        new = []
        for i, layer in enumerate(self.model.layers):
            p = None if past is None else (past, i) if isinstance(past, KVCache) else past[i]
            x, kv = layer(x, cos, sin, p, mask)
            new.append(kv)
        if isinstance(past, KVCache):
            past.len += ids.shape[1]
        return self.lm_head(self.model.norm(x)), new


def build_model(cfg: ModelConfig, seed: int) -> Decoder:
    """Random init as transformers does for Qwen2: N(0, init_std) weights, zero biases."""
    torch.manual_seed(seed)
    model = Decoder(cfg)
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, cfg.init_std)
            if getattr(m, "bias", None) is not None:
                nn.init.zeros_(m.bias)
    return model


def hf_config(cfg: ModelConfig):
    """The equivalent transformers ``Qwen2Config`` (for loading our weights into Qwen2ForCausalLM)."""
    from transformers import Qwen2Config

    return Qwen2Config(vocab_size=len(VOCAB), hidden_size=cfg.hidden, intermediate_size=cfg.intermediate,
                       num_hidden_layers=cfg.layers, num_attention_heads=cfg.heads,
                       num_key_value_heads=cfg.kv_heads, rope_theta=cfg.rope_theta,
                       pad_token_id=PAD, eos_token_id=PAD, bos_token_id=VOCAB["<bos>"],
                       tie_word_embeddings=False)


def save_model(model, cfg: ModelConfig, path: Path, **extra) -> None:
    repro_core.save_torch({"config": asdict(cfg), "state_dict": model.state_dict(), **extra}, path)


def load_model(path: Path, device="cpu"):
    blob = repro_core.load_torch(path, map_location="cpu")
    cfg = repro_core.from_dict(ModelConfig, blob["config"], "model")
    model = build_model(cfg, 0)
    model.load_state_dict(blob["state_dict"])
    return model.to(device), cfg


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


class KVCache:
    """Preallocated per-layer K/V [B, kvh, max_len, hd]; ``extend`` writes in place."""

    def __init__(self, prompt_kv: list, repeats: int, max_len: int):
        self.k, self.v = [], []
        for k, v in prompt_kv:
            B, h, L, d = k.shape
            K = k.new_zeros(B * repeats, h, max_len, d)
            V = v.new_zeros(B * repeats, h, max_len, d)
            K[:, :, :L] = k.repeat_interleave(repeats, dim=0)
            V[:, :, :L] = v.repeat_interleave(repeats, dim=0)
            self.k.append(K)
            self.v.append(V)
        self.len = prompt_kv[0][0].shape[2]

    def write(self, layer: int, k, v):
        """Store K/V of the positions from ``len`` on; return the K/V of every position so far
        (``len`` advances once all layers are written, in ``Decoder.forward``)."""
        n = k.shape[2]
        self.k[layer][:, :, self.len:self.len + n] = k
        self.v[layer][:, :, self.len:self.len + n] = v
        return self.k[layer][:, :, :self.len + n], self.v[layer][:, :, :self.len + n]


@torch.no_grad()
def sample(model, prompts: torch.Tensor, max_new: int, temperature: float,
           generator: torch.Generator | None = None, repeats: int = 1) -> torch.Tensor:
    """Continue equal-length ``prompts`` [G, Lp], each ``repeats`` times, by up to ``max_new``
    tokens with a KV cache (the prompt is encoded once and its cache repeated); temperature 0 is
    greedy. After a sequence emits <pad> (eos) it is padded; the result is [G*repeats, max_new],
    the samples of one prompt adjacent."""
    Lp = prompts.shape[1]
    logits, kv = model(prompts)
    logits = logits[:, -1].repeat_interleave(repeats, dim=0)
    cache = KVCache(kv, repeats, Lp + max_new)
    B = logits.shape[0]
    done = torch.zeros(B, dtype=torch.bool, device=prompts.device)
    result = torch.full((B, max_new), PAD, dtype=torch.long, device=prompts.device)
    for t in range(max_new):
        if temperature > 0:
            probs = F.softmax(logits.float() / temperature, dim=-1)
            nxt = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        else:
            nxt = logits.argmax(-1)
        nxt = torch.where(done, torch.full_like(nxt, PAD), nxt)
        result[:, t] = nxt
        done |= nxt == PAD
        if bool(done.all()) or t == max_new - 1:
            break
        logits = model(nxt[:, None], past=cache)[0][:, -1]
    return result


def _logp_entropy(logits: torch.Tensor, targets: torch.Tensor, temperature: float = 1.0):
    logp_all = F.log_softmax(logits.float() / temperature, dim=-1)
    logp = logp_all.gather(-1, targets[..., None]).squeeze(-1)
    return logp, -(logp_all.exp() * logp_all).sum(-1)


def token_logprobs(model, seqs: torch.Tensor) -> torch.Tensor:
    """log p(seqs[:, t] | seqs[:, :t]) for t >= 1, shape [B, L-1]. Right padding needs no
    attention mask in a causal model (real tokens never attend to later pads)."""
    return _logp_entropy(model(seqs)[0][:, :-1], seqs[:, 1:])[0]


def response_logprobs(model, prompts: torch.Tensor, responses: torch.Tensor, repeats: int,
                      temperature: float = 1.0):
    """log-probabilities and entropies [G*repeats, Lr] of ``responses`` (rows of one prompt
    adjacent) given equal-length ``prompts`` [G, Lp]; the prompt is encoded once and its K/V
    repeated (same numbers as a forward pass over prompt + response, gradients included)."""
    Lp, Lr = prompts.shape[1], responses.shape[1]
    logits, kv = model(prompts)
    past = [(k.repeat_interleave(repeats, 0), v.repeat_interleave(repeats, 0)) for k, v in kv]
    first = logits[:, -1:].repeat_interleave(repeats, dim=0)
    n = Lr - 1
    i = torch.arange(n, device=prompts.device)[:, None]
    j = torch.arange(Lp + n, device=prompts.device)[None]
    mask = (j < Lp) | (j - Lp <= i)
    rest = model(responses[:, :-1], past=past, pos0=Lp, mask=mask)[0] if n > 0 else first[:, :0]
    return _logp_entropy(torch.cat([first, rest], dim=1), responses, temperature)


def groups_by_length(lengths: np.ndarray) -> dict[int, np.ndarray]:
    """Problem indices grouped by walk length (equal prompt lengths batch without padding)."""
    return {int(n): np.flatnonzero(lengths == n) for n in np.unique(lengths)}


@torch.no_grad()
def solve_counts(model, split: dict, idx: np.ndarray, k: int, temperature: float,
                 generator: torch.Generator, max_rows: int = 4096, device="cpu") -> np.ndarray:
    """Exact-match count (out of ``k`` samples) of the whole completion, per problem in ``idx``."""
    counts = np.zeros(len(idx), dtype=np.int64)
    lengths = split["length"][idx]
    for n, members in groups_by_length(lengths).items():
        clen = completion_len(n)
        per_chunk = max(1, max_rows // k)
        for lo in range(0, len(members), per_chunk):
            rows = members[lo:lo + per_chunk]
            probs = idx[rows]
            pl = split["prompt_len"][probs]
            assert (pl == pl[0]).all()
            tok = torch.as_tensor(split["tokens"][probs], device=device)
            target = tok[:, pl[0]:pl[0] + clen].repeat_interleave(k, dim=0)
            gen = sample(model, tok[:, :pl[0]], clen, temperature, generator, repeats=k)
            ok = (gen == target).all(dim=1).view(len(rows), k)
            counts[rows] = ok.sum(1).cpu().numpy()
    return counts
