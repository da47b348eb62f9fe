"""Stages: prompts -> score (per model, cached top-k artifacts) -> analyse -> figures, claims."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from repro_core import load_json, load_npz, save_csv, save_json, save_npz, seed_everything
from repro_core.cli import Stage

from . import recognition as rec_mod
from . import trees as trees_mod
from .lm import ModelSpec
from .prompts import PromptsConfig, all_prompts, build_prompt_set, taxonomy_of

MODES = ("topk", "topk_alt", "dense")   # topk_alt: the top-k tree with the other node keys


def make_prompts(cfg: PromptsConfig, prompts: Path) -> None:
    """Build the hierarchy sentences, recognition scenarios and personas."""
    ps = build_prompt_set(cfg)          # seeded by cfg.seed (its own generator)
    save_json(ps, prompts)
    print(f"{len(ps['sentences'])} sentences, {len(ps['scenarios'])} scenarios, "
          f"{len(ps['personas'])} personas")


@dataclass(kw_only=True)
class ScoreConfig:
    model: ModelSpec
    top_k: int
    batch_size: int
    ckpt_every: int              # batches between checkpoints
    device: str = "auto"         # auto | cpu | cuda
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


@dataclass(kw_only=True)
class AnalyseConfig:
    models: list[str] = field(default_factory=list)
    threshold: float              # paper: t = 0.3
    rank_limit: int               # top-k ranks that count (paper: 100)
    renormalise_dense: bool       # dense mode: divide each row of Y by its sum
    tree_keys: str                # token_id (the authors': a node per vocabulary id) | label (merged)
    # per model: {"family": ..., "size_label": parameters as the authors label the model, or None}
    model_info: dict = field(default_factory=dict)
    seed: int = 0


def analyse_model(s: dict, ps: dict, cfg: AnalyseConfig, info: dict | None = None) -> dict:
    """Both trees and the recognition results of one model's scores."""
    if cfg.tree_keys not in trees_mod.KEYS:
        raise ValueError(f"tree_keys={cfg.tree_keys!r} is not allowed; allowed: {', '.join(trees_mod.KEYS)}")
    info = info or {}
    tax = taxonomy_of(ps)
    labels, group = list(tax.labels), tax.group_ids()
    group_of = dict(zip(labels, group))
    k = cfg.rank_limit
    other = next(x for x in trees_mod.KEYS if x != cfg.tree_keys)
    Yk, _ = trees_mod.topk_label_matrix(s["hier_tokens"][:, :k], s["hier_probs"][:, :k], labels)
    Yd = s["hier_label_probs"].astype(np.float64)
    if cfg.renormalise_dense:
        tot = Yd.sum(axis=1, keepdims=True)
        Yd = np.divide(Yd, tot, out=np.zeros_like(Yd), where=tot > 0)
    meta = json.loads(str(s["metadata"]))
    top = (s["hier_ids"][:, :k], s["hier_tokens"][:, :k], s["hier_probs"][:, :k], labels, group_of,
           cfg.threshold)
    dense = trees_mod.describe(trees_mod.emotion_tree(Yd, trees_mod.dense_ranks(Yd), cfg.threshold),
                               labels, group)
    dense.update(keys="label", self_label_edges=0, label_nodes=dense["nodes"])
    size_label = info.get("size_label")
    result = {"n_params": meta["n_params"], "family": info.get("family", meta["model"]),
              "size": float(size_label) if size_label else float(meta["n_params"]),
              "labels_single_token": meta["labels_single_token"],
              "prompts_with_label_in_topk": float((Yk.sum(axis=1) > 0).mean()) if len(Yk) else 0.0,
              "trees": {"topk": trees_mod.topk_tree(*top, keys=cfg.tree_keys),
                        "topk_alt": trees_mod.topk_tree(*top, keys=other),
                        "dense": dense},
              "recognition": {}}
    truth = [sc["label"] for sc in ps["scenarios"]]
    truth_primary = [tax.primary_of[t] for t in truth]
    ns = len(truth)
    for j, persona in enumerate(ps["personas"]):
        r = rec_mod.evaluate(s["rec_tokens"][j * ns:(j + 1) * ns, :k], truth, labels,
                             tax.primaries, tax.primary_of)
        correct = rec_mod.correct_per_scenario(rec_mod.to_primary(r["predictions"], tax.primary_of),
                                               truth_primary)
        result["recognition"][persona] = {
            "accuracy_primary": r["accuracy_primary"], "accuracy_fine": r["accuracy_fine"],
            "accuracy_all": float(np.mean(correct)) if ns else 0.0,
            "coverage": r["coverage"], "n": r["n"], "confusion_primary": r["confusion_primary"],
            "correct_primary": correct,
            **({"confusion_fine": r["confusion_fine"]} if persona == "neutral" else {})}
    return result


def analyse(cfg: AnalyseConfig, prompts: Path, scores_dir: Path, analysis: Path,
            trees_table: Path, recognition_table: Path) -> None:
    """Trees (top-k and dense modes), tree metrics and recognition accuracies for every model."""
    ps = load_json(prompts)
    tax = taxonomy_of(ps)
    models = {m: analyse_model(load_npz(Path(scores_dir) / f"{m}.npz"), ps, cfg, cfg.model_info.get(m))
              for m in cfg.models}
    save_json({"labels": list(tax.labels), "primaries": list(tax.primaries),
               "group": tax.group_ids(), "threshold": cfg.threshold, "models": models}, analysis)
    rows = [{"model": m, "family": r["family"], "n_params": r["n_params"], "size": r["size"], "mode": mode,
             **{k: v for k, v in r["trees"][mode].items() if k != "edge_list"}}
            for m, r in models.items() for mode in MODES]
    save_csv(pd.DataFrame(rows), trees_table)
    print(pd.DataFrame(rows).to_string())
    rows = [{"model": m, "persona": p, **{k: v for k, v in x.items() if not k.startswith(("confusion", "correct"))}}
            for m, r in models.items() for p, x in r["recognition"].items()]
    save_csv(pd.DataFrame(rows), recognition_table)
    print(pd.DataFrame(rows).to_string())


@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, analysis: Path, trees_fig: Path, complexity_fig: Path,
            recognition_fig: Path, confusion_fig: Path) -> None:
    """Tree drawings, complexity vs model size, persona accuracies, confusion heatmaps."""
    from . import figures as figs

    a = load_json(analysis)
    figs.trees_figure(a, trees_fig)
    figs.complexity_figure(a, complexity_fig)
    figs.recognition_figure(a, recognition_fig)
    figs.confusion_figure(a, confusion_fig)


@dataclass(kw_only=True)
class ClaimsConfig:
    scale: str = "quick"
    purity_min_edges: int         # a tree counts as non-trivial from this many edges
    seed: int = 0


def claims(cfg: ClaimsConfig, analysis: Path, claims_json: Path) -> None:
    """Evaluate the paper's claims on our analysis."""
    from repro_core import evaluate_claims, write_claims

    from .claims import CLAIMS

    ctx = {"analysis": load_json(analysis), "cfg": cfg}
    records = evaluate_claims(CLAIMS, ctx, cfg.scale, paper="emotion_trees")
    write_claims(records, claims_json)
    for r in records:
        print(f"{r['id']}: {r['status']} (ours {r['ours']})")


STAGES = {
    "prompts": Stage(make_prompts, PromptsConfig, inputs=(), outputs=("prompts",), section="prompts"),
    "score": Stage(score, ScoreConfig, inputs=("prompts",), outputs=("scores",), section="score"),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("prompts", "scores_dir"),
                     outputs=("analysis", "trees_table", "recognition_table"), section="analyse"),
    "figures": Stage(figures, FiguresConfig, inputs=("analysis",),
                     outputs=("trees_fig", "complexity_fig", "recognition_fig", "confusion_fig")),
    "claims": Stage(claims, ClaimsConfig, inputs=("analysis",), outputs=("claims_json",), section="claims"),
}
