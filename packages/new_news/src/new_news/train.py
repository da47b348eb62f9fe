"""Fine-tuning on chat turns (loss on the assistant's reply only), checkpointed, and
log-likelihood multiple-choice evaluation."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from repro_core import progress
from repro_core.io import save_torch

from .lm import pad_batch, continuation_logprobs, encode_pairs, trainable_state


def training_pairs(replay: list[dict], items: list[dict], budget: int, shadow: bool) -> list[tuple[str, str]]:
    """The first ``budget`` replay samples of every item as (user, assistant) turns;
    ``shadow`` prefixes the item's news to the user turn (contextual shadowing)."""
    news = {it["id"]: it["news"] for it in items}
    pairs = []
    for it in items:
        mine = [s for s in replay if s["item"] == it["id"]]
        if len(mine) < budget:
            raise ValueError(f"item {it['id']}: {len(mine)} replay samples, budget {budget}")
        for s in mine[:budget]:
            user = f"{news[it['id']]}\n\n{s['user']}" if shadow else s["user"]
            pairs.append((user, s["assistant"]))
    return pairs


def save_ckpt(path: Path, obj) -> None:
    save_torch(obj, path)


def fit(model, tok, pairs, lr: float, epochs: int, batch_size: int, max_len: int, system: str,
        seed: int, ckpt: Path, ckpt_every: int, desc: str = "fine-tuning") -> list[float]:
    """AdamW on the mean reply-token cross-entropy; resumes from ``ckpt`` when present.
    Returns the loss of every step."""
    import torch

    enc = encode_pairs(tok, pairs, system, end=True, max_len=max_len)
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(len(enc)) for _ in range(epochs)])
    steps = math.ceil(len(order) / batch_size)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1.0 - s / max(1, steps))  # linear decay
    start, losses = 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["trainable"], strict=False)
        opt.load_state_dict(state["optim"])
        sched.load_state_dict(state["sched"])
        start, losses = state["step"], state["losses"]
        print(f"resumed from {ckpt} at step {start}/{steps}")
    model.train()
    bar = progress(total=steps, initial=start, desc=desc)
    for step in range(start, steps):
        idx = order[step * batch_size:(step + 1) * batch_size]
        lp = continuation_logprobs(model, enc, pad_batch(enc, idx, pad))
        loss = -lp.mean()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.item())
        bar.update(1)
        bar.set_postfix(loss=f"{losses[-1]:.3f}")
        if (step + 1) % ckpt_every == 0 or step + 1 == steps:   # the final one marks the run done
            save_ckpt(ckpt, {"trainable": trainable_state(model), "optim": opt.state_dict(),
                              "sched": sched.state_dict(), "step": step + 1, "losses": losses})
            if os.environ.get("NEW_NEWS_STOP_AFTER_CKPT") and step + 1 < steps:   # tests: simulate a killed job
                raise SystemExit(f"stopped after checkpoint at step {step + 1}")
    bar.close()
    model.eval()
    return losses


def mc_prompts(items: list[dict], icl: bool, list_options: bool) -> tuple[list[str], list[list[str]]]:
    """The user turn of every question (news first for ICL) and its options. The options are
    listed in the turn only when ``list_options`` (then every option can be copied from the
    context, so the news adds nothing to copy: issue 24); by default the turn is the question
    alone and each option is scored as a free answer span."""
    users, options = [], []
    for it in items:
        for q in it["questions"]:
            user = q["question"]
            if list_options:
                user += "\nOptions: " + "; ".join(q["options"])
            if icl:
                user = f"{it['news']}\n\n{user}"
            users.append(user)
            options.append(list(q["options"]))
    return users, options


def reply_matches(reply: str, answer: str, distractors) -> bool:
    """Greedy exact match: the first line of the reply states the answer (whole words, as
    :func:`new_news.dataset.stated_in`) and no distractor."""
    from .dataset import stated_in

    line = (reply.strip().splitlines() or [""])[0]
    return stated_in(answer, line) and not any(stated_in(d, line) for d in distractors)


def evaluate_mc(model, tok, items: list[dict], icl: bool, list_options: bool, score: str,
                system: str, batch_size: int, desc: str, greedy_tokens: int = 0) -> dict:
    """Log-likelihood multiple choice: the option with the highest (mean or summed) token
    log-probability given the question is the model's answer (``score`` picks the primary
    score). Per question also the gold answer's summed and mean log-probability, the
    margin of the gold answer's primary score over the best distractor's (> 0 exactly when
    correct, ties aside) and, when ``greedy_tokens`` > 0, a greedy reply of that many
    tokens and whether it matches the answer (:func:`reply_matches`)."""
    from .lm import greedy, prompt_text, score_options

    if score not in ("mean", "sum"):
        raise ValueError(f"evaluate.score={score!r}; allowed: mean, sum")
    users, options = mc_prompts(items, icl, list_options)
    texts = [prompt_text(tok, u, system) for u in users]
    p_ids = [tok(t, add_special_tokens=False)["input_ids"] for t in texts]
    o_ids = [[tok(o, add_special_tokens=False)["input_ids"] for o in opts] for opts in options]
    total, mean = score_options(model, tok, p_ids, o_ids, batch_size=batch_size, desc=desc)
    S = mean if score == "mean" else total
    truth = np.array([q["answer_index"] for it in items for q in it["questions"]])
    rows = np.arange(len(truth))
    pred = S.argmax(axis=1)
    wrong = S.copy()
    wrong[rows, truth] = -np.inf
    out = {"pred": pred.tolist(), "correct": (pred == truth).astype(int).tolist(),
           "scores": S.round(5).tolist(), "accuracy": float((pred == truth).mean()),
           "gold_logprob": total[rows, truth].round(5).tolist(),
           "gold_mean_logprob": mean[rows, truth].round(5).tolist(),
           "margin": (S[rows, truth] - wrong.max(axis=1)).round(5).tolist()}
    if greedy_tokens:
        replies = greedy(model, tok, texts, greedy_tokens, batch_size, desc=f"{desc} greedy")
        match = [reply_matches(r, o[t], [x for k, x in enumerate(o) if k != t])
                 for r, o, t in zip(replies, options, truth)]
        out.update(replies=replies, exact=[int(m) for m in match], exact_match=float(np.mean(match)))
    return out
