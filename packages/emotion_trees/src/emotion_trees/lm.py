"""Language models: next-token scoring (loading is generic, in :mod:`repro_core.lm`).

:func:`score_prompts` keeps, per prompt, the top-k next tokens with their
full-softmax probabilities, and the probability of every single-token emotion
label (the sum over the vocabulary entries that decode, alone and stripped, to
that label).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from repro_core import load_npz, progress, save_npz
from repro_core.lm import (ModelSpec, TinySpec, assemble_chunks, build_tiny_model,  # noqa: F401
                          load_model, materialise, package_dir, sha256_file, vocabulary)


def label_token_ids(tokenizer, labels: Sequence[str], n_logits: int | None = None) -> dict[str, list[int]]:
    """Vocabulary ids (below ``n_logits``, the model's output size) whose token, decoded
    alone and stripped, equals a label."""
    want = set(labels)
    n = len(tokenizer) if n_logits is None else min(len(tokenizer), n_logits)
    decoded = tokenizer.batch_decode([[i] for i in range(n)])
    out: dict[str, list[int]] = {lab: [] for lab in labels}
    for i, s in enumerate(decoded):
        s = s.strip()
        if s in want:
            out[s].append(i)
    return out


def _fingerprint(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def score_prompts(tokenizer, model, prompts: Sequence[str], label_ids: dict[str, list[int]],
                  top_k: int = 100, batch_size: int = 32, ckpt: Path | None = None,
                  ckpt_every: int = 20, desc: str = "scoring") -> dict[str, np.ndarray]:
    """Top-k next tokens (ids, full-softmax probabilities) and per-label probabilities
    after each prompt. Prompts run in batches of similar length (left padding,
    position ids from the attention mask); ``ckpt`` holds finished batches so a
    killed run resumes."""
    import torch

    device = model.get_input_embeddings().weight.device
    tokenizer.padding_side = "left"
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    labels = list(label_ids)
    cols = [i for lab in labels for i in label_ids[lab]]
    owner = torch.tensor([j for j, lab in enumerate(labels) for _ in label_ids[lab]], dtype=torch.long)
    n, k = len(prompts), min(top_k, len(tokenizer))
    lengths = [len(x) for x in tokenizer(list(prompts))["input_ids"]]
    order = np.argsort(lengths, kind="stable")
    batches = [order[i:i + batch_size] for i in range(0, n, batch_size)]
    state = {"ids": np.zeros((n, k), np.int64), "probs": np.zeros((n, k), np.float32),
             "label_probs": np.zeros((n, len(labels)), np.float32), "done": np.zeros(1, np.int64)}
    fp = _fingerprint(list(prompts), k, batch_size, labels, model.config.to_dict().get("_name_or_path", ""),
                      int(model.num_parameters()))
    if ckpt is not None and ckpt.exists():
        saved = load_npz(ckpt)
        if str(saved.get("fingerprint", "")) == fp:
            state = {key: saved[key] for key in state}
    start = int(state["done"][0])
    bar = progress(total=len(batches), desc=desc, initial=start)
    for b in range(start, len(batches)):
        idx = batches[b]
        enc = tokenizer([prompts[i] for i in idx], return_tensors="pt", padding=True)
        mask = enc["attention_mask"].to(device)
        pos = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            # logits_to_keep=1: the output head only at the last position (with Gemma's 262k
            # vocabulary the head over every position costs as much as the rest of the model)
            logits = model(input_ids=enc["input_ids"].to(device), attention_mask=mask,
                           position_ids=pos, logits_to_keep=1).logits[:, -1, :].float()
            p = torch.softmax(logits, dim=-1)
            top_p, top_i = p.topk(k, dim=-1)
            lp = torch.zeros(len(idx), len(labels), dtype=torch.float32)
            if cols:
                lp.index_add_(1, owner, p[:, cols].cpu())
        state["ids"][idx] = top_i.cpu().numpy()
        state["probs"][idx] = top_p.cpu().numpy()
        state["label_probs"][idx] = lp.numpy()
        state["done"][0] = b + 1
        bar.update(1)
        if ckpt is not None and (b + 1) % ckpt_every == 0 and b + 1 < len(batches):
            save_npz(ckpt, fingerprint=np.array(fp), **state)
    bar.close()
    return {"ids": state["ids"], "probs": state["probs"], "label_probs": state["label_probs"]}


def decode_tokens(tokenizer, ids: np.ndarray) -> np.ndarray:
    """Each id decoded alone (unique ids decoded once), as a unicode array of ``ids``' shape."""
    uniq, inv = np.unique(ids, return_inverse=True)
    strings = np.array(tokenizer.batch_decode([[int(i)] for i in uniq]), dtype=np.str_)
    return strings[inv.reshape(ids.shape)]
