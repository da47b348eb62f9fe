"""The score stage: one LM's top-k next tokens and per-label probabilities on every prompt."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from repro_core import load_json, save_npz, seed_everything

from .lm import ModelSpec
from .prompts import all_prompts, taxonomy_of


@dataclass(kw_only=True)
class ScoreConfig:
    model: ModelSpec
    top_k: int
    batch_size: int
    ckpt_every: int              # batches between checkpoints
    device: str                  # auto | cpu | cuda (the workflow's config.yaml device)
    seed: int = 0


def score(cfg: ScoreConfig, prompts: Path, scores: Path) -> None:
    """Run one LM on every prompt; save top-k ids/probabilities/tokens and per-label
    probabilities (.npz)."""
    from repro_core.device import torch_device

    from .lm import (decode_tokens, label_token_ids, load_model, materialise,
                     score_prompts, vocabulary)

    import torch  # noqa: F401  (imported first so that seed_everything seeds it)

    seed_everything(cfg.seed)
    spec = cfg.model
    ps = load_json(prompts)
    tax = taxonomy_of(ps)
    hier, rec = all_prompts(ps)
    device = torch_device(cfg.device)
    with materialise(spec, vocabulary(hier + rec, tax.labels), cfg.seed) as (path, gguf):
        tok, model = load_model(path, gguf, spec.dtype, str(device), spec.device_map)
    label_ids = label_token_ids(tok, tax.labels, model.get_output_embeddings().weight.shape[0])
    ckpt = Path(str(scores) + ".ckpt.npz")
    out = score_prompts(tok, model, hier + rec, label_ids, top_k=cfg.top_k,
                        batch_size=cfg.batch_size, ckpt=ckpt, ckpt_every=cfg.ckpt_every,
                        desc=f"scoring {spec.name}")
    tokens = decode_tokens(tok, out["ids"])
    nh = len(hier)
    meta = {"model": spec.name, "source": spec.source, "path": spec.path, "gguf_file": spec.gguf_file,
            "n_params": int(model.num_parameters()), "top_k": cfg.top_k, "licence": spec.licence,
            "model_class": type(model).__name__, "vocab_size": len(tok),
            "labels_single_token": int(sum(bool(v) for v in label_ids.values()))}
    save_npz(scores, hier_ids=out["ids"][:nh].astype(np.int32), hier_probs=out["probs"][:nh],
             hier_tokens=tokens[:nh], hier_label_probs=out["label_probs"][:nh],
             rec_ids=out["ids"][nh:].astype(np.int32), rec_probs=out["probs"][nh:],
             rec_tokens=tokens[nh:],
             label_token_count=np.array([len(label_ids[lab]) for lab in tax.labels], np.int32),
             metadata=np.array(json.dumps(meta, sort_keys=True)))
    ckpt.unlink(missing_ok=True)
    print(json.dumps(meta))
