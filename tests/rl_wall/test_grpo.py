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
