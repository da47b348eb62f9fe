"""Language-model side: chat formatting, log-likelihood scoring, sampling, LoRA.

Loading and materialising models is generic (:mod:`repro_core.lm`); the model stage
saves the (dequantised) model once as a local directory that every later stage loads.

Only the output head's positions that are needed are computed: scoring and training
run the decoder body over the whole sequence, then the head only on the continuation
(answer) positions, which saves the vocabulary projection everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from repro_core import progress

# A minimal chat template for the tiny word-level smoke models (real models bring their own).
TINY_CHAT_TEMPLATE = ("{% for m in messages %}[BOS] {{ m['role'] }} : {{ m['content'] }} [EOS] {% endfor %}"
                      "{% if add_generation_prompt %}[BOS] assistant : {% endif %}")
TINY_WORDS = ("system", "user", "assistant", ":")


def load(model_dir, device: str = "cpu"):
    """Tokenizer and model from the model stage's local directory (pad token = end of text
    where the tokenizer has none)."""
    from repro_core.device import torch_device
    from repro_core.lm import load_model

    tok, model = load_model(model_dir, device=str(torch_device(device)))
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok, model


def messages(user: str, system: str = "") -> list[dict]:
    return ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": user}]


def prompt_text(tok, user: str, system: str = "") -> str:
    """The chat prompt up to the start of the assistant's reply."""
    return tok.apply_chat_template(messages(user, system), tokenize=False, add_generation_prompt=True)


def encode_pairs(tok, pairs: Sequence[tuple[str, str]], system: str = "", end: bool = False,
                 max_len: int = 0) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, continuation ids) for (user, assistant) pairs; ``end`` appends the
    end-of-turn token to the continuation (training), ``max_len`` truncates the prompt
    from the left and the continuation from the right."""
    out = []
    for user, reply in pairs:
        p = tok(prompt_text(tok, user, system), add_special_tokens=False)["input_ids"]
        c = tok(reply, add_special_tokens=False)["input_ids"]
        if end and tok.eos_token_id is not None:
            c = c + [tok.eos_token_id]
        if max_len:
            c = c[:max(1, max_len // 2)] if len(p) + len(c) > max_len else c
            p = p[-(max_len - len(c)):] if len(p) + len(c) > max_len else p
        out.append((p, c))
    return out


def _body_and_head(model):
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return base.model, base.lm_head


def pad_batch(pairs, idx, pad_id):
    import torch

    L = max(len(pairs[i][0]) + len(pairs[i][1]) for i in idx)
    ids = torch.full((len(idx), L), pad_id, dtype=torch.long)
    mask = torch.zeros((len(idx), L), dtype=torch.long)
    rows, cols, targets = [], [], []
    for r, i in enumerate(idx):
        p, c = pairs[i]
        seq = p + c
        ids[r, :len(seq)] = torch.tensor(seq)
        mask[r, :len(seq)] = 1
        for j, t in enumerate(c):   # the token at len(p)+j is predicted at position len(p)+j-1
            rows.append(r)
            cols.append(len(p) + j - 1)
            targets.append(t)
    return ids, mask, torch.tensor(rows), torch.tensor(cols), torch.tensor(targets)


def continuation_logprobs(model, pairs, rows_cols_targets):
    """Per-token log-probabilities of the continuation tokens (1-D tensor)."""
    import torch

    body, head = _body_and_head(model)
    dev = head.weight.device
    ids, mask, rows, cols, targets = (t.to(dev) for t in rows_cols_targets)
    h = body(input_ids=ids, attention_mask=mask).last_hidden_state
    logits = head(h[rows, cols]).float()
    return torch.log_softmax(logits, dim=-1).gather(1, targets[:, None])[:, 0]


def score_pairs(model, tok, pairs: Sequence[tuple[list[int], list[int]]], batch_size: int = 16,
                desc: str = "scoring") -> tuple[np.ndarray, np.ndarray]:
    """Sum and mean log-probability of each continuation given its prompt."""
    import torch

    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    order = np.argsort([len(p) + len(c) for p, c in pairs], kind="stable")
    total = np.zeros(len(pairs))
    for s in progress(range(0, len(pairs), batch_size), desc=desc):
        idx = order[s:s + batch_size]
        batch = pad_batch(pairs, idx, pad)
        with torch.inference_mode():
            lp = continuation_logprobs(model, pairs, batch).double()
        sums = torch.zeros(len(idx), dtype=torch.float64).index_add_(0, batch[2], lp.cpu())
        total[idx] = sums.numpy()
    n = np.array([len(c) for _, c in pairs], dtype=float)
    return total, total / n


def score_options(model, tok, prompts: Sequence[list[int]], options: Sequence[Sequence[list[int]]],
                  batch_size: int = 8, desc: str = "scoring") -> tuple[np.ndarray, np.ndarray]:
    """Sum and mean log-probability of every option continuation of every prompt,
    ``(n_prompts, n_options)`` each. Each prompt runs once (left-padded batch, its
    key/value cache repeated for the options), then all options of the batch run on
    that cache; equal to scoring every (prompt, option) pair on its own."""
    import torch

    n_opt = len(options[0])
    if any(len(o) != n_opt for o in options) or any(len(c) == 0 for o in options for c in o):
        raise ValueError("every prompt needs the same number of non-empty options")
    pad = tok.pad_token_id if tok.pad_token_id is not None else (tok.eos_token_id or 0)
    body, head = _body_and_head(model)
    dev = head.weight.device
    order = np.argsort([len(p) for p in prompts], kind="stable")
    total = np.zeros((len(prompts), n_opt))
    for s in progress(range(0, len(prompts), batch_size), desc=desc):
        idx = order[s:s + batch_size]
        Lp = max(len(prompts[i]) for i in idx)
        ids = torch.full((len(idx), Lp), pad, dtype=torch.long)
        mask = torch.zeros((len(idx), Lp), dtype=torch.long)
        for r, i in enumerate(idx):                      # left padding: the prompt ends at Lp - 1
            ids[r, Lp - len(prompts[i]):] = torch.tensor(prompts[i])
            mask[r, Lp - len(prompts[i]):] = 1
        conts = [options[i][k] for i in idx for k in range(n_opt)]
        Lo = max(len(c) for c in conts)
        oids = torch.full((len(conts), Lo), pad, dtype=torch.long)
        omask = torch.zeros((len(conts), Lo), dtype=torch.long)
        for r, c in enumerate(conts):
            oids[r, :len(c)] = torch.tensor(c)
            omask[r, :len(c)] = 1
        plen = mask.sum(1)
        with torch.inference_mode():
            out = body(input_ids=ids.to(dev), attention_mask=mask.to(dev),
                       position_ids=(mask.cumsum(-1) - 1).clamp(min=0).to(dev), use_cache=True)
            cache = out.past_key_values
            cache.batch_repeat_interleave(n_opt)
            full_mask = torch.cat([mask.repeat_interleave(n_opt, 0), omask], 1)
            pos = plen.repeat_interleave(n_opt)[:, None] + torch.arange(Lo)[None, :]
            h_opt = body(input_ids=oids.to(dev), attention_mask=full_mask.to(dev), position_ids=pos.to(dev),
                         past_key_values=cache, use_cache=True).last_hidden_state
            # hidden state predicting option token j: the prompt's last (j = 0), else option token j - 1
            h = torch.cat([out.last_hidden_state[:, -1:].repeat_interleave(n_opt, 0), h_opt[:, :-1]], 1)
            lp = torch.log_softmax(head(h[omask.bool().to(dev)]).float(), -1)
            tgt = oids[omask.bool()].to(dev)
            tok_lp = lp.gather(1, tgt[:, None])[:, 0].double().cpu()
        rows = torch.arange(len(conts)).repeat_interleave(omask.sum(1))
        sums = torch.zeros(len(conts), dtype=torch.float64).index_add_(0, rows, tok_lp)
        total[idx] = sums.numpy().reshape(len(idx), n_opt)
    n = np.array([[len(c) for c in o] for o in options], dtype=float)
    return total, total / n


def generate(model, tok, prompts: Sequence[str], max_new_tokens: int, temperature: float,
             top_p: float, batch_size: int, seed: int, desc: str = "generating") -> list[str]:
    """Sampled completions of chat prompts (strings ending with the assistant header)."""
    import torch

    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    out = []
    for s in progress(range(0, len(prompts), batch_size), desc=desc):
        torch.manual_seed(seed + s)   # each batch its own seed: outputs do not depend on earlier batches
        enc = tok(list(prompts[s:s + batch_size]), return_tensors="pt", padding=True,
                  add_special_tokens=False).to(model.device)
        with torch.inference_mode():
            g = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=True,
                               temperature=temperature, top_p=top_p, top_k=0,
                               pad_token_id=tok.pad_token_id)
        out += tok.batch_decode(g[:, enc["input_ids"].shape[1]:].cpu(), skip_special_tokens=True)
    return [o.strip() for o in out]


def greedy(model, tok, prompts: Sequence[str], max_new_tokens: int, batch_size: int,
           desc: str = "greedy") -> list[str]:
    """Greedy completions of chat prompts (strings ending with the assistant header)."""
    import torch

    tok.padding_side = "left"
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    out = []
    for s in progress(range(0, len(prompts), batch_size), desc=desc):
        enc = tok(list(prompts[s:s + batch_size]), return_tensors="pt", padding=True,
                  add_special_tokens=False).to(model.device)
        with torch.inference_mode():
            g = model.generate(**enc, max_new_tokens=max_new_tokens, do_sample=False,
                               pad_token_id=tok.pad_token_id)
        out += tok.batch_decode(g[:, enc["input_ids"].shape[1]:].cpu(), skip_special_tokens=True)
    return [o.strip() for o in out]


@dataclass(kw_only=True)
class LoraSpec:
    """The trained weights (config: train.adapter)."""
    method: str                     # lora | full
    r: int                          # LoRA rank
    alpha: int                      # LoRA scaling numerator (scale alpha / r)
    targets: list[str]              # module names that get adapters
    top_layers: float               # fraction of decoder layers (from the top) that get adapters


def adapt(model, spec: LoraSpec):
    """The model made trainable: LoRA adapters (peft) on the top layers, or all weights."""
    if spec.method == "full":
        for p in model.parameters():
            p.requires_grad_(True)
        return model
    if spec.method != "lora":
        raise ValueError(f"train.adapter.method={spec.method!r}; allowed: lora, full")
    from peft import LoraConfig, get_peft_model

    n = model.config.num_hidden_layers
    first = min(n - 1, int(round(n * (1 - spec.top_layers))))
    cfg = LoraConfig(r=spec.r, lora_alpha=spec.alpha, lora_dropout=0.0, target_modules=list(spec.targets),
                     layers_to_transform=list(range(first, n)), bias="none")
    return get_peft_model(model, cfg)


def trainable_state(model) -> dict:
    return {k: p.detach().clone() for k, p in model.named_parameters() if p.requires_grad}


def load_trainable(model, state: dict) -> None:
    missing = set(state) - {k for k, _ in model.named_parameters()}
    if missing:
        raise ValueError(f"adapter keys not in the model: {sorted(missing)[:3]}...")
    model.load_state_dict(state, strict=False)
