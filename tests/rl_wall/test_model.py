"""The decoder is transformers' Qwen2 (same logits, loadable state dict); the shared-prompt
log-probabilities equal a full forward pass; sampling respects eos and is reproducible;
the SFT learning-rate schedule."""

import numpy as np
import pytest
import torch

from rl_wall.model import (build_model, hf_config, n_params, response_logprobs, sample, solve_counts,
                           token_logprobs)
from rl_wall.sft import linear_warmup
from rl_wall.task import PAD
from tests.rl_wall.configs import model_config, task_config

SMALL = model_config(hidden=32, intermediate=64, layers=2, heads=2, kv_heads=2)


def test_paper_size():
    assert n_params(build_model(model_config("full"), 0)) == 1_058_688       # issue: ~1.06 M


def test_matches_transformers_qwen2():
    from transformers import Qwen2ForCausalLM

    ours = build_model(SMALL, 0).eval()
    hf = Qwen2ForCausalLM(hf_config(SMALL)).eval()
    hf.load_state_dict(ours.state_dict(), strict=True)
    x = torch.randint(0, 29, (3, 25), generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        torch.testing.assert_close(ours(x)[0], hf(input_ids=x).logits, atol=1e-5, rtol=1e-4)
        greedy = sample(ours, x, 8, 0.0)
        want = hf.generate(input_ids=x, attention_mask=torch.ones_like(x), do_sample=False,
                           max_new_tokens=8, min_new_tokens=8)[:, 25:]
    # identical before the first eos (min_new_tokens makes transformers suppress eos)
    for g, w in zip(greedy, want):
        n = int((g == PAD).nonzero()[0]) if (g == PAD).any() else len(g)
        assert g[:n].tolist() == w[:n].tolist()


def test_response_logprobs_equal_full_forward():
    m = build_model(SMALL, 1)
    x = torch.randint(9, 29, (2, 12), generator=torch.Generator().manual_seed(1))
    resp = torch.randint(0, 29, (6, 7), generator=torch.Generator().manual_seed(2))
    full = torch.cat([x.repeat_interleave(3, 0), resp], 1)
    want = token_logprobs(m, full)[:, 11:]
    got, ent = response_logprobs(m, x, resp, 3)
    torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    assert (ent > 0).all() and (ent <= np.log(29) + 1e-5).all()
    # gradients agree too
    g1 = torch.autograd.grad(want.sum(), list(m.parameters()))
    g2 = torch.autograd.grad(response_logprobs(m, x, resp, 3)[0].sum(), list(m.parameters()))
    for a, b in zip(g1, g2):
        torch.testing.assert_close(a, b, atol=1e-4, rtol=1e-4)


def test_sampling_eos_and_reproducible():
    m = build_model(SMALL, 2).eval()
    with torch.no_grad():   # make <pad> likely so that sequences end
        m.lm_head.weight[PAD] = 3 * m.lm_head.weight[PAD].sign()
    x = torch.randint(9, 29, (4, 10), generator=torch.Generator().manual_seed(3))
    a = sample(m, x, 30, 1.0, torch.Generator().manual_seed(7), repeats=5)
    b = sample(m, x, 30, 1.0, torch.Generator().manual_seed(7), repeats=5)
    assert a.shape == (20, 30) and torch.equal(a, b)
    for row in a:
        pads = (row == PAD).nonzero()
        if len(pads):
            assert (row[int(pads[0]):] == PAD).all()
    # greedy = repeated argmax continuation of the full sequence
    g = sample(m, x, 5, 0.0)
    seq = x
    for _ in range(5):
        seq = torch.cat([seq, m(seq)[0][:, -1].argmax(-1, keepdim=True)], 1)
    np.testing.assert_array_equal(np.where(np.cumsum(g.numpy() == PAD, 1) > 0, PAD, g.numpy()),
                                  np.where(np.cumsum(seq[:, 10:].numpy() == PAD, 1) > 0, PAD, seq[:, 10:].numpy()))


def test_solve_counts_shape_and_range():
    from rl_wall import task

    cfg = task_config(max_len=6)
    rng = np.random.default_rng(0)
    tables = task.make_tables(cfg, rng)
    split = {**(p := task.sample_problems(tables, cfg, 6, "test", rng)), **task.encode(p, cfg)}
    split = {k: np.asarray(v) for k, v in split.items()}

    m = build_model(SMALL, 0).eval()
    c = solve_counts(m, split, np.arange(6), 3, 1.0, torch.Generator().manual_seed(0))
    assert c.shape == (6,) and c.min() >= 0 and c.max() <= 3


def test_linear_warmup():
    assert linear_warmup(0, 100, 5) == pytest.approx(0.2)
    assert linear_warmup(4, 100, 5) == pytest.approx(1.0)
    assert linear_warmup(5, 100, 5) == pytest.approx(1.0)
    assert linear_warmup(50, 100, 5) == pytest.approx(50 / 95)
    assert linear_warmup(100, 100, 5) == 0.0
