"""The batched transformer (causal, models independent, normalised) and training's
checkpoint/resume (an interrupted run resumes to exactly the uninterrupted result)."""

import numpy as np
import pytest
import torch

from icl_rational import train as train_mod
from icl_rational.model import BatchedNeoX, sqrt_spaced_steps
from repro_core import load_npz


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
    return train_mod.TrainConfig(n_tasks=[2, 5], n_symbols=4, context=6, hidden=8, batch=4,
                                 steps=24, warmup=3, n_eval=3, n_ood_tasks=3, n_checkpoints=5,
                                 first_eval=2, ckpt_every=8, device="cpu", seed=3, **kw)


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
