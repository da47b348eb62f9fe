"""The batched transformer (causal, models independent, normalised) and training's
checkpoint/resume (an interrupted run resumes to exactly the uninterrupted result)."""

import numpy as np
import pytest
import torch

from icl_rational import train as train_mod
from icl_rational.model import BatchedNeoX, sqrt_spaced_steps
from repro_core import load_npz
from repro_core.config import SCALES
from tests.icl_rational.configs import train_config


def test_model_is_causal_normalised_and_models_independent():
    torch.manual_seed(0)
    net = BatchedNeoX(3, 8, hidden=16, mlp_factor=4)
    tok = torch.randint(0, 9, (3, 5, 12))
    out = net(tok)
    assert out.shape == (3, 5, 12, 8)
    torch.testing.assert_close(out.exp().sum(-1), torch.ones(3, 5, 12))
    tok2 = tok.clone()
    tok2[:, :, 7:] = (tok2[:, :, 7:] + 1) % 9            # change the future only
    torch.testing.assert_close(net(tok2)[:, :, :7], out[:, :, :7])
    with torch.no_grad():
        net.fc1_w[1].add_(torch.randn_like(net.fc1_w[1]))   # perturb model 1 only
    out2 = net(tok)
    torch.testing.assert_close(out2[0], out[0])
    torch.testing.assert_close(out2[2], out[2])
    assert not torch.allclose(out2[1], out[1])


def test_sqrt_spaced_steps_match_authors_schedule():
    # authors' save_steps: 20, 58, 115, 193, ..., 98018, 100000 (100 steps even in sqrt(step))
    s = sqrt_spaced_steps(20, 100000, 100)
    assert s[0] == 20 and s[-1] == 100000 and len(s) == 100
    assert np.allclose(s[:4], [20, 58, 115, 193], atol=2) and abs(s[-2] - 98018) <= 2
    gaps = np.diff(np.sqrt(s))
    assert gaps.max() - gaps.min() < 0.05       # rounding to integer steps


def _cfg(**kw):
    return train_config(**{"n_tasks": [2, 5], "n_symbols": 4, "context": 6, "hidden": 8, "batch": 4,
                           "steps": 24, "warmup": 3, "n_eval": 3, "n_ood_tasks": 3, "n_checkpoints": 5,
                           "first_eval": 2, "ckpt_every": 8, "device": "cpu", "seed": 3, **kw})


def test_resume_after_interruption_is_exact(tmp_path, monkeypatch):
    train_mod.train(_cfg(), tmp_path / "a.npz")
    ref = load_npz(tmp_path / "a.npz")
    calls = {"n": 0}
    real = train_mod._clip_per_model

    def crash_at_step_13(params, max_norm):
        calls["n"] += 1
        if calls["n"] == 13:
            raise KeyboardInterrupt("simulated preemption")
        real(params, max_norm)

    monkeypatch.setattr(train_mod, "_clip_per_model", crash_at_step_13)
    with pytest.raises(KeyboardInterrupt):
        train_mod.train(_cfg(), tmp_path / "b.npz")
    assert (tmp_path / "b.ckpt").exists() and not (tmp_path / "b.npz").exists()
    monkeypatch.setattr(train_mod, "_clip_per_model", real)
    train_mod.train(_cfg(), tmp_path / "b.npz")
    out = load_npz(tmp_path / "b.npz")
    assert not (tmp_path / "b.ckpt").exists()
    for k in ("steps", "id_probs", "ood_probs", "train_loss", "pool_5"):
        np.testing.assert_array_equal(out[k], ref[k])
    assert out["id_probs"].shape == (len(ref["steps"]), 2, 3, 6, 4)


def _reference_forward(net, m, tok):
    """One model of the batch, written out plainly as HF GPT-NeoX computes it (one head, rotary
    on the first rot_dim dims, LayerNorm eps 1e-5), with the block layout the model declares."""
    p = {k: v[m] for k, v in net.state_dict().items()} | {"qkv_b": net.qkv_b[m], "out_b": net.out_b[m]}
    H, r = net.hidden, net.rot_dim
    ln = torch.nn.functional.layer_norm
    x = p["embed"][tok]                                            # [B, T, H]
    qkv = ln(x, (H,)) * p["ln1_w"] + p["ln1_b"]
    qkv = qkv @ p["qkv_w"] + p["qkv_b"]
    q, k, v = qkv[..., :H], qkv[..., H:2 * H], qkv[..., 2 * H:]
    T = tok.shape[-1]
    inv = 1.0 / 10000 ** (torch.arange(0, r, 2).float() / r)
    ang = torch.arange(T).float()[:, None] * inv
    cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)

    def rope(a):
        a1, a2 = a[..., :r // 2], a[..., r // 2:r]
        return torch.cat([a[..., :r] * cos + torch.cat([-a2, a1], -1) * sin, a[..., r:]], -1)

    s = rope(q) @ rope(k).transpose(-1, -2) / H ** 0.5
    s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool), 1), float("-inf"))
    att = torch.softmax(s, -1) @ v @ p["out_w"] + p["out_b"]

    def mlp(h):
        h = ln(h, (H,)) * p["ln2_w"] + p["ln2_b"]
        return torch.nn.functional.gelu(h @ p["fc1_w"] + p["fc1_b"]) @ p["fc2_w"] + p["fc2_b"]

    if net.parallel_residual:
        x = x + att + mlp(x)
    else:
        x = x + att
        x = x + mlp(x)
    return torch.log_softmax((ln(x, (H,)) * p["lnf_w"] + p["lnf_b"]) @ p["unembed"], -1)


@pytest.mark.parametrize("parallel", [False, True])
def test_block_matches_plain_gpt_neox_layout(parallel):
    torch.manual_seed(1)
    net = BatchedNeoX(2, 5, hidden=16, mlp_factor=4, init_std=0.3, parallel_residual=parallel)
    tok = torch.randint(0, 6, (2, 3, 9))
    out = net(tok)
    for m in range(2):
        torch.testing.assert_close(out[m], _reference_forward(net, m, tok[m]), atol=1e-5, rtol=1e-5)
    names = {n for n, _ in net.named_parameters()}
    # authors' GPTNeoXConfig(use_parallel_residual=False, attention_bias=False): no attention biases
    assert ({"qkv_b", "out_b"} <= names) is parallel


def test_defaults_are_the_authors_block_and_labels():
    # authors: GPTNeoXConfig(use_parallel_residual=False, attention_bias=False), HF causal-LM
    # loss on the sampled next symbol (labels = input_ids); the config runs them at every scale
    assert BatchedNeoX(1, 3, hidden=8).parallel_residual is False
    for scale in SCALES:
        cfg = train_config(scale)
        assert cfg.parallel_residual is False and cfg.labels == "hard"


def test_hard_and_soft_labels_have_the_same_expected_loss():
    torch.manual_seed(4)
    M, B, C, V = 2, 3, 5, 4
    logp = torch.log_softmax(torch.randn(M, B, C, V), -1)
    theta = torch.softmax(torch.randn(M, B, V), -1)
    soft = train_mod.batch_loss(logp, theta, None, "soft")
    n = 200_000
    draws = torch.multinomial(theta.reshape(-1, V), n * C, replacement=True).reshape(M, B, n, C)
    # E over the draw at position t of -log p_t(draw) = cross-entropy against theta at t
    hard = -torch.gather(logp[:, :, None].expand(M, B, n, C, V), -1, draws[..., None]).mean((1, 2, 3)).squeeze(-1)
    torch.testing.assert_close(hard, soft, atol=5e-3, rtol=0)
    # the hard target at position t is draw t (t draws seen), the extra last draw is unused
    d = torch.randint(0, V, (M, B, C + 1))
    want = -torch.stack([logp[m, b, t, d[m, b, t]] for m in range(M) for b in range(B)
                         for t in range(C)]).reshape(M, B * C).mean(1)
    torch.testing.assert_close(train_mod.batch_loss(logp, theta, d, "hard"), want)
