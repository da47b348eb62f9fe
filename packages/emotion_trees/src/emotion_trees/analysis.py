"""The analyse stage: trees (top-k and dense modes), tree metrics and recognition accuracies of
every scored model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from repro_core import load_json, load_npz, save_csv, save_json

from . import recognition as rec_mod
from . import trees as trees_mod
from .prompts import taxonomy_of

MODES = ("topk", "topk_alt", "dense")   # topk_alt: the top-k tree with the other node keys


@dataclass(kw_only=True)
class AnalyseConfig:
    models: list[str]             # keys of model_specs, in the YAML's order (config: models)
    threshold: float              # paper: t = 0.3
    rank_limit: int               # top-k ranks that count (paper: 100)
    renormalise_dense: bool       # dense mode: divide each row of Y by its sum
    tree_keys: str                # token_id (the authors': a node per vocabulary id) | label (merged)
    # per model: {"family": ..., "size_label": parameters as the authors label the model, or None}
    model_info: dict
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
