"""GRPO pieces on hand-computed cases: group-normalised advantages, the k3 KL estimator, the
clipped surrogate + KL + entropy token loss and its token-mean, the response mask."""

import math

import pytest
import torch

from rl_wall.grpo import grpo_loss, grpo_token_loss, group_advantages, k3_kl, response_mask
from rl_wall.task import PAD


def test_group_advantages():
    r = torch.tensor([[1.0, 0.0, 0.0, 1.0], [1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 1.0]])
    adv = group_advantages(r)
    s = math.sqrt(1 / 3)                      # unbiased std of (1, 0, 0, 1)
    torch.testing.assert_close(adv[0], torch.tensor([0.5, -0.5, -0.5, 0.5]) / (s + 1e-6))
    torch.testing.assert_close(adv[1], torch.zeros(4))          # no signal in a solved group
    s3 = math.sqrt(0.25)                      # unbiased std of (0, 0, 0, 1) = 0.5
    torch.testing.assert_close(adv[2], torch.tensor([-0.25, -0.25, -0.25, 0.75]) / (s3 + 1e-6))
    torch.testing.assert_close(adv.sum(1), torch.zeros(3), atol=1e-6, rtol=0)


def test_k3_kl():
    lp = torch.tensor([-1.0, -2.0, -0.5])
    torch.testing.assert_close(k3_kl(lp, lp), torch.zeros(3))
    ref = lp + math.log(2)                    # d = log 2: 2 - log 2 - 1
    torch.testing.assert_close(k3_kl(lp, ref), torch.full((3,), 1 - math.log(2)))
    assert (k3_kl(lp, lp - 3.0) > 0).all()
    assert float(k3_kl(torch.tensor([-30.0]), torch.tensor([0.0]))) == 10.0     # clamped


def test_clipped_surrogate_hand_cases():
    old = torch.zeros(1, 4)
    logp = torch.log(torch.tensor([[1.5, 1.1, 0.5, 0.9]]))      # ratios 1.5, 1.1, 0.5, 0.9
    adv = torch.tensor([[1.0, 1.0, -1.0, -1.0]]).T.reshape(1, 4)
    zero = torch.zeros(1, 4)
    tok, ratio = grpo_token_loss(logp, old, logp, adv, zero, clip=0.2, kl_coef=0.0, entropy_coef=0.0)
    # A>0: -min(rA, clip(r)A): r=1.5 -> -1.2, r=1.1 -> -1.1; A<0: r=0.5 -> 0.8, r=0.9 -> 0.9
    torch.testing.assert_close(tok, torch.tensor([[-1.2, -1.1, 0.8, 0.9]]))
    torch.testing.assert_close(ratio, torch.tensor([[1.5, 1.1, 0.5, 0.9]]))


def test_loss_token_mean_with_kl_and_entropy():
    logp = torch.log(torch.tensor([[1.0, 1.5, 0.3], [0.5, 1.0, 1.0]])).requires_grad_(True)
    old = torch.zeros(2, 3)
    ref = torch.log(torch.tensor([[2.0, 1.0, 1.0], [1.0, 1.0, 1.0]]))
    ent = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    adv = torch.tensor([1.0, -2.0])
    mask = torch.tensor([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]])
    loss = grpo_loss(logp, old, ref, adv, mask, ent, clip=0.2, kl_coef=0.1, entropy_coef=0.01)
    # surrogate: row 1 (A=1): r=1 -> -1, r=1.5 -> -1.2 ; row 2 (A=-2): r=0.5 -> 1.6, r=1 -> 2, r=1 -> 2
    pg = [-1.0, -1.2, 1.6, 2.0, 2.0]
    # k3 with d = ref - logp: (log2 - 0), (0 - log1.5), (0 - log .5), 0, 0
    def k3(d):
        return math.exp(d) - d - 1
    kl = [k3(math.log(2)), k3(-math.log(1.5)), k3(math.log(2)), 0.0, 0.0]
    H = [1.0, 2.0, 4.0, 5.0, 6.0]
    want = sum(p + 0.1 * k - 0.01 * h for p, k, h in zip(pg, kl, H)) / 5
    assert float(loss) == pytest.approx(want, rel=1e-5)
    loss.backward()
    # the clipped token (ratio 1.5 > 1.2, A > 0) gets no surrogate gradient, only KL's
    g = logp.grad
    d = float(ref[0, 1] - logp[0, 1])
    assert float(g[0, 1]) == pytest.approx(0.1 * (1 - math.exp(d)) / 5, rel=1e-5)
    assert float(g[0, 2]) == 0.0                                  # masked


def test_response_mask():
    resp = torch.tensor([[5, 6, PAD, PAD], [5, 6, 7, 8], [PAD, PAD, PAD, PAD]])
    torch.testing.assert_close(response_mask(resp), torch.tensor(
        [[1.0, 1.0, 1.0, 0.0], [1.0, 1.0, 1.0, 1.0], [1.0, 0.0, 0.0, 0.0]]))


# --- the paper's effective GRPO (verl 607b4935): prompt filter, drop-last batches, one update ---

import copy  # noqa: E402

import numpy as np  # noqa: E402

from rl_wall.grpo import (batch_order, grpo_step, keep_prompts, prompt_tokens_verl,  # noqa: E402
                          rollout)
from rl_wall.model import build_model, response_logprobs  # noqa: E402
from rl_wall.task import encode, make_tables, prompt_len, sample_problems  # noqa: E402
from tests.rl_wall.configs import grpo_config, model_config, task_config  # noqa: E402

TINY = model_config(hidden=32, intermediate=64, layers=2, heads=2, kv_heads=2)


def _split(task, n, seed=0, split="rl"):
    rng = np.random.default_rng(seed)
    prob = sample_problems(make_tables(task, rng), task, n, split, rng)
    return {**prob, **encode(prob, task)}


def test_prompt_length_filter_hand_case():
    # the paper's task: a walk of n steps has 4n + 25 prompt tokens; the issue counts 65 for a
    # 10-step walk, so verl's max_prompt_length 64 drops exactly the 10-step walks
    task = task_config(min_len=8, max_len=10)
    assert [prompt_len(n, task) for n in (8, 9, 10)] == [57, 61, 65]
    sp = _split(task, 60)
    counts = [prompt_tokens_verl(sp, i) for i in range(60)]
    assert counts == [4 * int(n) + 25 for n in sp["length"]]     # word tokenizer round trip
    kept = keep_prompts(sp, 64)
    assert set(sp["length"][kept]) == {8, 9}
    np.testing.assert_array_equal(kept, np.flatnonzero(sp["length"] <= 9))
    assert 0 < len(kept) < 60
    assert len(keep_prompts(sp, 65)) == 60 and len(keep_prompts(sp, 56)) == 0


def test_batch_order_drops_the_last_partial_batch():
    kept = np.arange(1000, 1109)                 # 109 kept prompts, the paper's case
    order = batch_order(kept, 32, 7, np.random.default_rng(0))
    assert order.shape == (7, 32)
    assert set(order.ravel()) <= set(kept)
    for e in range(2):                           # 3 batches an epoch: 96 distinct, 13 left out
        epoch = order[3 * e:3 * e + 3].ravel()
        assert len(set(epoch)) == 96
    assert not np.array_equal(order[0:3], order[3:6])       # a fresh shuffle every epoch
    with pytest.raises(ValueError):
        batch_order(np.arange(20), 32, 1, np.random.default_rng(0))


def _setup(seed=0):
    task = task_config(min_len=3, max_len=4)
    sp = _split(task, 8, seed)
    policy = build_model(TINY, seed)
    ref = copy.deepcopy(policy).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    return sp, policy, ref


def _batch(sp, policy, cfg, seed=0):
    batch = rollout(policy, sp, np.arange(8), cfg, torch.Generator().manual_seed(seed), "cpu")
    g = torch.Generator().manual_seed(seed + 1)
    for grp in batch["groups"]:              # random advantages: the surrogate term must act
        grp["adv"] = torch.randn(grp["adv"].shape, generator=g)
    return batch


def test_one_epoch_ratio_exactly_one_no_clipping():
    sp, policy, ref = _setup()
    cfg = grpo_config(ppo_epochs=1, n_rollouts=4, max_new=20, lr=0.05, grad_clip=1e9)
    before = [p.detach().clone() for p in policy.parameters()]
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    stats = grpo_step(policy, ref, opt, _batch(sp, policy, cfg), cfg)
    assert stats["ratio_dev"] == 0.0 and stats["clipfrac"] == 0.0
    assert any(not torch.equal(a, b) for a, b in zip(before, policy.parameters()))   # one step

    # the same large steps as 4 PPO epochs move the ratio past the clip range
    sp, policy, ref = _setup()
    cfg4 = grpo_config(ppo_epochs=4, n_rollouts=4, max_new=20, lr=0.05, grad_clip=1e9)
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg4.lr)
    stats4 = grpo_step(policy, ref, opt, _batch(sp, policy, cfg4), cfg4)
    assert stats4["ratio_dev"] > cfg4.clip and stats4["clipfrac"] > 0


def test_one_epoch_gradient_is_the_plain_policy_gradient():
    """One epoch: the update direction is that of token-mean(-A log p + kl k3 - ent H)."""
    sp, policy, ref = _setup(1)
    cfg = grpo_config(ppo_epochs=1, n_rollouts=4, max_new=20, grad_clip=1e9)
    batch = _batch(sp, policy, cfg, 3)
    opt = torch.optim.SGD(policy.parameters(), lr=0.0)          # keep the weights, read grads
    grpo_step(policy, ref, opt, batch, cfg)
    got = [p.grad.clone() for p in policy.parameters()]
    policy.zero_grad()
    n_tok = sum(float(g["mask"].sum()) for g in batch["groups"])
    total = 0.0
    for g in batch["groups"]:
        logp, ent = response_logprobs(policy, g["prompts"], g["resp"], cfg.n_rollouts)
        refp = response_logprobs(ref, g["prompts"], g["resp"], cfg.n_rollouts)[0]
        tok = -g["adv"][:, None] * logp + cfg.kl_coef * k3_kl(logp, refp) - cfg.entropy_coef * ent
        total = total + (tok * g["mask"]).sum() / n_tok
    total.backward()
    for a, p in zip(got, policy.parameters()):
        torch.testing.assert_close(a, p.grad, atol=1e-6, rtol=1e-4)
