"""GRPO in plain PyTorch (RL-Wall ``rl/scripts/toy-multistep-reasoning-v5/v5_8.yaml``, run with
verl at the commit the authors pin, 607b4935): 32 prompts x 8 rollouts at temperature 1,
group-normalised advantages, clip 0.2, AdamW lr 5e-5 constant, grad-norm clip 0.2, entropy
bonus 1e-3, KL to the frozen SFT model 1e-3 with the k3 ("low_var_kl") estimator, token-mean
loss aggregation; reward 1 if the response (pads stripped) ends with the answer.

What that verl run effectively did (issue 23), our default:

- **one policy update per rollout batch**: the config says ``ppo_epochs: 4`` but the actor's
  ``update_policy`` at that commit has no epoch loop and its mini-batch is the whole batch, so
  every GRPO step is one AdamW step at probability ratio 1 (clipping never acts).
  ``ppo_epochs > 1`` keeps the multi-epoch PPO of later verl as an option.
- **prompts longer than ``max_prompt_length`` (64) tokens are dropped** before training
  (verl's dataset filter; a 10-step walk's prompt is 65 tokens), and the kept prompts are
  served in shuffled batches of 32 with the last partial batch dropped, a fresh shuffle every
  epoch: ~109 of 128 prompts give 3 batches per epoch, 100 epochs = 300 steps.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import repro_core
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from .model import load_model, response_logprobs, sample, save_model, solve_counts
from .task import PAD, decode, load_split, reward, tokenize


@dataclass(kw_only=True)
class GRPOConfig:
    """config/rl_wall.yaml's grpo section (values and the paper's in the schema), plus device."""
    steps: int                      # one per batch (the paper's figures use checkpoint 300)
    snapshot_step: int              # the model evaluated
    n_prompts: int
    n_rollouts: int
    temperature: float
    ppo_epochs: int                 # 1 = what verl 607b4935 ran (ratio 1); > 1: multi-epoch PPO
    max_prompt_length: int          # verl data.max_prompt_length: longer prompts are dropped
    clip: float
    lr: float
    weight_decay: float             # verl's actor optimizer default
    grad_clip: float
    entropy_coef: float
    kl_coef: float
    max_new: int                    # response length limit (verl: 64)
    eval_every: int
    n_eval: int                     # test problems x eval_samples at temperature 1 for the curve
    eval_samples: int
    ckpt_every: int
    device: str                     # "auto", "cpu", "cuda" (config.yaml's device)
    seed: int = 0


def group_advantages(rewards: torch.Tensor, eps: float = 1e-6) -> torch.Tensor:
    """(r - mean) / (std + eps) within each group (row) of ``rewards`` [G, n]; std is the
    unbiased one, as in verl's GRPO outcome advantage."""
    if rewards.shape[1] < 2:
        return torch.zeros_like(rewards)
    return (rewards - rewards.mean(1, keepdim=True)) / (rewards.std(1, keepdim=True) + eps)


def k3_kl(logp: torch.Tensor, ref_logp: torch.Tensor) -> torch.Tensor:
    """Low-variance KL estimate k3 = exp(ref - logp) - (ref - logp) - 1 >= 0 (clamped to 10)."""
    d = ref_logp - logp
    return (torch.exp(d) - d - 1).clamp(-10, 10)


def grpo_token_loss(logp, old_logp, ref_logp, adv, entropy, clip, kl_coef, entropy_coef):
    """Per-token loss: clipped surrogate -min(r A, clip(r) A) + kl_coef * k3 - entropy_coef * H."""
    ratio = torch.exp(logp - old_logp)
    pg = torch.maximum(-adv * ratio, -adv * ratio.clamp(1 - clip, 1 + clip))
    return pg + kl_coef * k3_kl(logp, ref_logp) - entropy_coef * entropy, ratio


def grpo_loss(logp, old_logp, ref_logp, adv, mask, entropy, clip=0.2, kl_coef=1e-3,
              entropy_coef=1e-3):
    """Token-mean of :func:`grpo_token_loss` over ``mask``; ``adv`` is per sequence [B]."""
    tok, ratio = grpo_token_loss(logp, old_logp, ref_logp, adv[:, None], entropy, clip, kl_coef,
                                 entropy_coef)
    return (tok * mask).sum() / mask.sum()


def prompt_tokens_verl(split: dict, i: int) -> int:
    """Length of RL prompt ``i`` as verl's ``max_prompt_length`` filter counts it: the prompt text
    put through the task's word-level tokenizer (no special tokens are added)."""
    return len(tokenize(decode(split["tokens"][i, :split["prompt_len"][i]])))


def keep_prompts(split: dict, max_prompt_length: int) -> np.ndarray:
    """Indices of the prompts that verl keeps (``<= max_prompt_length`` tokens)."""
    n = len(split["length"])
    return np.asarray([i for i in range(n) if prompt_tokens_verl(split, i) <= max_prompt_length],
                      dtype=np.int64)


def batch_order(kept: np.ndarray, batch: int, steps: int, rng: np.random.Generator) -> np.ndarray:
    """Prompt indices of ``steps`` batches [steps, batch]: every epoch a fresh shuffle of
    ``kept`` cut into batches with the last partial batch dropped (a torch DataLoader with
    ``drop_last=True``, as verl's)."""
    per_epoch = len(kept) // batch
    if per_epoch == 0:
        raise ValueError(f"{len(kept)} RL prompts kept, fewer than one batch of {batch}")
    epochs = -(-steps // per_epoch)
    order = np.concatenate([rng.permutation(kept)[:per_epoch * batch] for _ in range(epochs)])
    return order[:steps * batch].reshape(steps, batch)


def response_mask(resp: torch.Tensor) -> torch.Tensor:
    """Tokens up to and including the first <pad> (eos)."""
    is_pad = (resp == PAD).long()
    before = torch.cumsum(is_pad, dim=1) - is_pad        # pads strictly before t
    return (before == 0).float()


def rollout(policy, split: dict, prompts: np.ndarray, cfg: GRPOConfig, gen: torch.Generator,
            device) -> dict:
    """``n_rollouts`` samples per prompt, grouped by prompt length (no padding needed)."""
    policy.eval()
    groups, rewards = [], []
    by_len: dict[int, list[int]] = {}
    for i in prompts:
        by_len.setdefault(int(split["prompt_len"][i]), []).append(int(i))
    for plen, members in sorted(by_len.items()):
        tok = torch.as_tensor(split["tokens"][members], device=device)
        resp = sample(policy, tok[:, :plen], cfg.max_new, cfg.temperature, gen, repeats=cfg.n_rollouts)
        r = []
        for j, i in enumerate(members):
            gt = split["tokens"][i, plen:split["seq_len"][i]]
            r.append([reward(resp[j * cfg.n_rollouts + m].tolist(), gt) for m in range(cfg.n_rollouts)])
        r = torch.tensor(r, dtype=torch.float32, device=device)
        # trim the response matrix to its longest real response
        mask = response_mask(resp)
        width = int(mask.sum(1).max())
        groups.append({"prompts": tok[:, :plen], "resp": resp[:, :width], "mask": mask[:, :width],
                       "adv": group_advantages(r).reshape(-1), "reward": r.reshape(-1)})
        rewards.append(r)
    policy.train()
    return {"groups": groups, "reward": torch.cat([x.reshape(-1) for x in rewards])}


def grpo_step(policy, ref, opt, batch: dict, cfg: GRPOConfig) -> dict:
    """``ppo_epochs`` policy updates on one rollout batch (each one AdamW step on the whole
    batch, the paper's mini-batch); returns statistics, ``ratio_dev`` = the largest
    |ratio - 1| over response tokens and epochs.

    With one epoch the behaviour policy is the current policy: its log-probabilities are this
    forward pass's, detached, so the ratio is exactly 1 and the update is the plain policy
    gradient (verl at the authors' commit). With more epochs they come from a separate pass
    before the first update, as in PPO."""
    groups = batch["groups"]
    with torch.no_grad():
        for g in groups:
            if cfg.ppo_epochs > 1:
                g["old"] = response_logprobs(policy, g["prompts"], g["resp"], cfg.n_rollouts,
                                             cfg.temperature)[0]
            g["ref"] = response_logprobs(ref, g["prompts"], g["resp"], cfg.n_rollouts,
                                         cfg.temperature)[0]
    n_tok = sum(float(g["mask"].sum()) for g in groups)
    stats = {"loss": 0.0, "kl": 0.0, "entropy": 0.0, "clipfrac": 0.0, "ratio_dev": 0.0}
    w = 1.0 / (n_tok * cfg.ppo_epochs)
    for _ in range(cfg.ppo_epochs):   # one mini-batch = the whole batch (the paper's setting)
        opt.zero_grad(set_to_none=True)
        for g in groups:              # token-mean over the batch, accumulated group by group
            logp, ent = response_logprobs(policy, g["prompts"], g["resp"], cfg.n_rollouts,
                                          cfg.temperature)
            old = g["old"] if cfg.ppo_epochs > 1 else logp.detach()
            tok, ratio = grpo_token_loss(logp, old, g["ref"], g["adv"][:, None], ent,
                                         cfg.clip, cfg.kl_coef, cfg.entropy_coef)
            m = g["mask"]
            ((tok * m).sum() / n_tok).backward()
            with torch.no_grad():
                stats["loss"] += float((tok * m).sum()) * w
                stats["kl"] += float((k3_kl(logp, g["ref"]) * m).sum()) * w
                stats["entropy"] += float((ent * m).sum()) * w
                stats["clipfrac"] += float((((ratio - 1).abs() > cfg.clip).float() * m).sum()) * w
                dev = float(((ratio - 1).abs() * m).max())
                stats["ratio_dev"] = max(stats["ratio_dev"], dev)
        torch.nn.utils.clip_grad_norm_(policy.parameters(), cfg.grad_clip)
        opt.step()
    return stats


def grpo(cfg: GRPOConfig, data: Path, sft_model: Path, model_out: Path, history_out: Path) -> None:
    device = torch_device(cfg.device)
    rng = repro_core.seed_everything(cfg.seed)
    d = repro_core.load_npz(data)
    rl, test = load_split(d, "rl"), load_split(d, "test")
    policy, mcfg = load_model(sft_model, device)
    ref = copy.deepcopy(policy).eval()
    for p in ref.parameters():
        p.requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    kept = keep_prompts(rl, cfg.max_prompt_length)
    print(f"GRPO: {len(kept)} of {len(rl['length'])} RL prompts have <= {cfg.max_prompt_length} "
          f"tokens; {len(kept) // cfg.n_prompts} batches of {cfg.n_prompts} per epoch, "
          f"{cfg.steps} steps, {cfg.ppo_epochs} update(s) per step", flush=True)
    order = batch_order(kept, cfg.n_prompts, cfg.steps, rng)
    snap = min(cfg.snapshot_step, cfg.steps)
    hist = {k: [] for k in ("step", "reward", "kl", "entropy", "clipfrac", "ratio_dev", "loss")}
    curve = {"eval_step": [], "test_pass1": [], "rl_pass1": []}
    step, ckpt, snapshot = 0, Path(str(model_out) + ".ckpt"), None
    if ckpt.exists():
        blob = torch.load(ckpt, map_location=device, weights_only=False)
        policy.load_state_dict(blob["state_dict"])
        opt.load_state_dict(blob["opt"])
        step, hist, curve, snapshot = blob["step"], blob["hist"], blob["curve"], blob["snapshot"]
        print(f"resumed GRPO at step {step}", flush=True)

    def evaluate(s):
        policy.eval()
        g = torch.Generator(device=device).manual_seed(derive_seed(cfg.seed, "eval", s))
        out = []
        for split, all_idx in ((test, np.arange(len(test["length"]))), (rl, kept)):
            idx = all_idx[:cfg.n_eval]
            out.append(float(solve_counts(policy, split, idx, cfg.eval_samples, 1.0, g,
                                          device=device).mean() / cfg.eval_samples))
        policy.train()
        curve["eval_step"].append(s)
        curve["test_pass1"].append(out[0])
        curve["rl_pass1"].append(out[1])

    if step == 0:
        evaluate(0)
    bar = repro_core.progress(total=cfg.steps, initial=step, desc="grpo")
    while step < cfg.steps:
        gen = torch.Generator(device=device).manual_seed(derive_seed(cfg.seed, "rollout", step))
        prompts = order[step]
        batch = rollout(policy, rl, prompts, cfg, gen, device)
        stats = grpo_step(policy, ref, opt, batch, cfg)
        step += 1
        hist["step"].append(step)
        hist["reward"].append(float(batch["reward"].mean()))
        for k, v in stats.items():
            hist[k].append(v)
        bar.update(1)
        bar.set_postfix(reward=hist["reward"][-1], kl=stats["kl"])
        if step % cfg.eval_every == 0 or step == cfg.steps:
            evaluate(step)
        if step == snap:
            snapshot = {k: v.detach().cpu().clone() for k, v in policy.state_dict().items()}
        if step % cfg.ckpt_every == 0 and step < cfg.steps:
            with repro_core.atomic_path(ckpt) as tmp:
                torch.save({"state_dict": policy.state_dict(), "opt": opt.state_dict(), "step": step,
                            "hist": hist, "curve": curve, "snapshot": snapshot}, tmp)
    bar.close()
    policy.cpu().load_state_dict(snapshot)
    save_model(policy, mcfg, model_out, steps=snap)
    repro_core.save_npz(history_out, n_rl_kept=np.asarray(len(kept)),
                        **{k: np.asarray(v) for k, v in {**hist, **curve}.items()})
    ckpt.unlink(missing_ok=True)
