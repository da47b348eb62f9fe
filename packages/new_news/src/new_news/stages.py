"""Stages: dataset -> model -> replay (per source) -> run (train + evaluate a group of
conditions) -> analyse -> figures, claims.

A condition is ``base`` (no fine-tuning) or ``<protocol>-<source>-b<budget>``:
protocol naive (the news text itself, source ``news``), paraphrase, implication,
selfqa, or shadow (the selfqa replay with the news prefixed to each user turn);
source model (self-play) or template; budget = replay samples per news item.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repro_core import atomic_dir, load_json, read_table, save_csv, save_json, seed_everything
from repro_core.cli import Stage
from repro_core.lm import ModelSpec, drop_quantization_marks

from .conditions import parse_condition
from .dataset import DatasetConfig, build_dataset
from .lm import LoraSpec


def make_dataset(cfg: DatasetConfig, dataset: Path) -> None:
    """Authored + templated news items with shuffled, position-balanced options."""
    ds = build_dataset(cfg)
    save_json(ds, dataset)
    n_q = sum(len(it["questions"]) for it in ds["items"])
    print(f"{len(ds['items'])} items, {n_q} questions")


# ----------------------------------------------------------------------------- model
@dataclass
class ModelStageConfig:
    model: ModelSpec
    chat_template: str = ""     # Jinja chat template for a model whose GGUF has none (a base model)
    seed: int = 0


from .lm import load as _load  # noqa: E402


def make_model(cfg: ModelStageConfig, dataset: Path, model_dir: Path) -> None:
    """Materialise the model once (GGUF dequantised to float32, or a tiny random Llama)
    and save it as a local transformers directory for the later stages."""
    import torch  # noqa: F401

    from repro_core.lm import load_model, materialise, vocabulary

    from .lm import TINY_CHAT_TEMPLATE, TINY_WORDS
    from .replay import GEN_PROMPT, NAIVE_USER, USER_TURN, IMPL_FRAMES, PARA_FRAMES, QA_FRAMES

    seed_everything(cfg.seed)
    ds = load_json(dataset)
    texts = [NAIVE_USER, *USER_TURN.values(), *GEN_PROMPT.values(), *PARA_FRAMES, *IMPL_FRAMES,
             *[a + " " + b for a, b in QA_FRAMES], "Options"]
    for it in ds["items"]:
        texts += [it["news"], it["title"], *it["implications"]]
        texts += [q["question"] + " " + " ".join(q["options"]) for q in it["questions"]]
    with materialise(cfg.model, vocabulary(texts, TINY_WORDS), cfg.seed) as (path, gguf):
        tok, model = load_model(path, gguf, cfg.model.dtype)
    if cfg.chat_template:
        tok.chat_template = cfg.chat_template
    elif not tok.chat_template:
        tok.chat_template = TINY_CHAT_TEMPLATE
    drop_quantization_marks(model)
    with atomic_dir(model_dir) as tmp:
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        save_json({"name": cfg.model.name, "source": cfg.model.source, "path": cfg.model.path,
                   "gguf_file": cfg.model.gguf_file, "licence": cfg.model.licence,
                   "n_params": int(model.num_parameters()), "layers": model.config.num_hidden_layers},
                  tmp / "repro_meta.json")
    print(f"saved {cfg.model.name} ({model.num_parameters() / 1e6:.1f}M parameters) to {model_dir}")


# ----------------------------------------------------------------------------- replay
# GenConfig, ReplayConfig and make_replay live in new_news.replay (the replay rule's code
# hash covers replay.py and lm.py only, so editing the evaluation keeps the cached replay).
from .replay import GenConfig, ReplayConfig, make_replay  # noqa: E402,F401


# ----------------------------------------------------------------------------- train + evaluate
@dataclass(kw_only=True)
class TrainSpec:
    """Fine-tuning (config: train, less jobs/budget/budgets)."""
    adapter: LoraSpec
    lr: float
    epochs: int
    batch_size: int
    max_len: int                # tokens per training turn
    ckpt_every: int             # optimiser steps between checkpoints


@dataclass(kw_only=True)
class EvalSpec:
    """Multiple-choice evaluation (config: evaluate, less icl_after)."""
    list_options: bool          # options listed in the prompt (copyable: issue 24)
    score: str                  # primary score: mean | sum token log-probability of the answer span
    greedy_tokens: int          # > 0: greedy reply of this many tokens, exact match (secondary)
    batch_size: int


@dataclass(kw_only=True)
class RunConfig:
    conditions: list[str]       # trained (and evaluated) in this job, in order
    modes: dict                 # condition -> [closed] or [closed, icl] (new_news.conditions.design)
    train: TrainSpec
    evaluate: EvalSpec
    system: str                 # system message of every chat turn (config: system)
    device: str                 # auto | cpu | cuda (the workflow's config.yaml device)
    ckpt_dir: str               # training checkpoints (outside the job's outputs); "" = adapters_dir
    seed: int = 0


def replay_file(replay_dir: Path, cond: str) -> Path:
    c = parse_condition(cond)
    protocol = "selfqa" if c["protocol"] == "shadow" else c["protocol"]
    return Path(replay_dir) / c["source"] / f"{protocol}.json"


def finetune_condition(cfg: RunConfig, cond: str, base_model, tok, items, replay_dir: Path, adapter: Path,
                       ckpt: Path):
    """Fine-tune a copy of the base model on one condition's replay (all items together);
    save the trained weights (LoRA adapters or all weights) with the loss curve."""
    import copy

    import torch

    from .lm import adapt, trainable_state
    from .train import save_ckpt, fit, training_pairs

    c = parse_condition(cond)
    replay = load_json(replay_file(replay_dir, cond))["samples"]
    pairs = training_pairs(replay, items, c["budget"], shadow=c["protocol"] == "shadow")
    torch.manual_seed(cfg.seed)
    model = adapt(copy.deepcopy(base_model), cfg.train.adapter)
    n_train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    print(f"{cond}: {len(pairs)} training turns, {n_train} trainable parameters")
    t = cfg.train
    losses = fit(model, tok, pairs, t.lr, t.epochs, t.batch_size, t.max_len, cfg.system, cfg.seed,
                 ckpt, t.ckpt_every, desc=cond)
    state = {"trainable": trainable_state(model), "losses": losses, "condition": cond, "n_pairs": len(pairs)}
    save_ckpt(adapter, state)
    print(f"{cond}: loss first {losses[0]:.3f} last {losses[-1]:.3f}")
    return model, losses


def evaluate_condition(cfg: RunConfig, cond: str, model, tok, items, losses=None) -> dict:
    """Multiple-choice accuracy of one model, closed book and/or with the news in context."""
    from .train import evaluate_mc

    e = cfg.evaluate
    modes = cfg.modes.get(cond, ["closed"])
    bad = [m for m in modes if m not in ("closed", "icl")]
    if bad or e.score not in ("mean", "sum"):
        raise ValueError(f"modes {bad} / evaluate.score {e.score!r}: allowed closed, icl / mean, sum")
    model.eval()
    out = {"condition": cond, **parse_condition(cond), "score": e.score, "losses": losses or [],
           "items": [it["id"] for it in items for _ in it["questions"]],
           "domains": [it["domain"] for it in items for _ in it["questions"]], "modes": {}}
    for mode in modes:
        out["modes"][mode] = evaluate_mc(model, tok, items, icl=mode == "icl", list_options=e.list_options,
                                         score=e.score, system=cfg.system, batch_size=e.batch_size,
                                         desc=f"{cond} {mode}", greedy_tokens=e.greedy_tokens)
        print(f"{cond} {mode}: accuracy {out['modes'][mode]['accuracy']:.3f}")
    return out


def run(cfg: RunConfig, model_dir: Path, dataset: Path, replay_dir: Path, adapters_dir: Path,
        evals_dir: Path) -> None:
    """Train and evaluate a group of conditions in one process (the model is loaded once):
    ``adapters_dir/<cond>.pt`` and ``evals_dir/<cond>.json`` (``base``: evaluation only).
    A condition whose training finished keeps its final checkpoint until the whole
    group is done, so a killed job resumes where it stopped."""
    seed_everything(cfg.seed)
    items = load_json(dataset)["items"]
    ckpt_dir = Path(cfg.ckpt_dir or adapters_dir)
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    tok, base_model = _load(model_dir, cfg.device)
    for p in base_model.parameters():
        p.requires_grad_(False)
    for cond in cfg.conditions:
        if cond == "base":
            model, losses = base_model, []
        else:
            adapter = Path(adapters_dir) / f"{cond}.pt"
            model, losses = finetune_condition(cfg, cond, base_model, tok, items, replay_dir, adapter,
                                               ckpt_dir / f"{cond}.ckpt.pt")
        save_json(evaluate_condition(cfg, cond, model, tok, items, losses), Path(evals_dir) / f"{cond}.json")
        del model
    for cond in cfg.conditions:
        (ckpt_dir / f"{cond}.ckpt.pt").unlink(missing_ok=True)


@dataclass(kw_only=True)
class AnalyseConfig:
    conditions: list[str]       # every condition, base first (new_news.conditions.design)
    main_source: str            # the first of replay.sources
    budget: int                 # train.budget: replay samples per item of the main comparison
    budgets: list[int]          # train.budgets: the budget curve
    groups: list[str]           # run jobs under runs_dir ([] = every folder there)
    level: float                # paired bootstrap intervals (config: claims.level)
    seed: int = 0


def analyse(cfg: AnalyseConfig, runs_dir: Path, dataset: Path, summary: Path, table: Path) -> None:
    """Per-question metrics of every condition and mode (``questions.csv`` beside ``table``);
    mean metrics per condition x mode x domain and x stratum (``table``); the accuracies the
    figures show and the paired comparisons with bootstrap intervals the claims use (``summary``)."""
    from .analysis import accuracy_table, paired_comparisons, question_table, summarise

    ds = load_json(dataset)
    groups = cfg.groups or sorted(d.name for d in Path(runs_dir).iterdir() if d.is_dir())
    found = {f.stem: f for g in groups for f in (Path(runs_dir) / g / "evals").glob("*.json")}
    missing = [c for c in cfg.conditions if c not in found]
    if missing:
        raise FileNotFoundError(f"no evaluation of {missing} under {runs_dir}/*/evals")
    evals = {c: load_json(found[c]) for c in cfg.conditions}
    qt = question_table(evals, ds["items"])
    tab = accuracy_table(qt)
    save_csv(qt, Path(table).parent / "questions.csv")
    save_csv(tab, table)
    s = summarise(tab, cfg.main_source, cfg.budget, cfg.budgets, ds["chance"])
    s["n_items"], s["n_questions"] = len(ds["items"]), int(sum(len(it["questions"]) for it in ds["items"]))
    # the modes each condition was evaluated in: with the domains and strata, the grid the table covers
    s["modes"] = {c: sorted(e["modes"]) for c, e in evals.items()}
    s["score"] = sorted({e["score"] for e in evals.values()})
    s["paired"] = paired_comparisons(qt, cfg.main_source, cfg.budget, cfg.budgets, cfg.level, cfg.seed)
    save_json(s, summary)
    show = tab[(tab.domain == "all")][["condition", "mode", "stratum", "accuracy", "exact_match", "margin",
                                       "gold_logprob", "n"]]
    print(show.to_string())


# accuracy.csv: columns never empty (source is empty for the base model; exact_match without greedy replies)
TABLE_COLUMNS = ["condition", "protocol", "budget", "mode", "domain", "stratum", "accuracy", "margin",
                 "gold_logprob", "n"]
TABLE_NULLABLE = ["source", "exact_match"]


def table_grid(s: dict, table: Path | None = None) -> list[dict]:
    """The rows accuracy.csv holds, from the analyse stage's summary: every condition x the modes
    it was evaluated in x (domain "all" and each domain, stratum "all"; domain "all", each stratum).
    A summary written before the modes (or strata) were recorded: the (condition, mode) pairs
    (strata) of the table itself, each over every domain."""
    domains = ["all", *s["domains"]]
    own = None if "modes" in s and "strata" in s else read_table(table, TABLE_COLUMNS)
    strata = list(s["strata"]) if "strata" in s else ["all", *sorted(set(own.stratum) - {"all"})]
    if "modes" in s:
        pairs = [(c, m) for c, ms in s["modes"].items() for m in ms]
    else:
        pairs = list(own[["condition", "mode"]].drop_duplicates().itertuples(index=False))
    grid = []
    for c, m in pairs:
        grid.append({"condition": [c], "mode": [m], "domain": domains, "stratum": ["all"]})
        if len(strata) > 1:
            grid.append({"condition": [c], "mode": [m], "domain": ["all"], "stratum": strata})
    return grid


def read_accuracy(table: Path, s: dict):
    """accuracy.csv through repro_core.read_table with its grid; IncompleteTableError names the file."""
    return read_table(table, TABLE_COLUMNS, grid=table_grid(s, table), nullable=TABLE_NULLABLE)


@dataclass
class FiguresConfig:
    seed: int = 0


def figures(cfg: FiguresConfig, summary: Path, table: Path, protocols_fig: Path, shadowing_fig: Path,
            scaling_fig: Path) -> None:
    """Accuracy by protocol and domain; shadowing and overexposure; accuracy vs replay budget."""
    from . import figures as figs

    s = load_json(summary)
    tab = read_accuracy(table, s)
    figs.protocols_figure(s, tab, protocols_fig)
    figs.shadowing_figure(s, shadowing_fig)
    figs.scaling_figure(s, scaling_fig)


@dataclass(kw_only=True)
class ClaimsConfig:
    scale: str = "quick"
    gap_margin: float            # "a clear margin": ICL beats naive FT by >= 10 points (YAML: claims)
    level: float                 # of the paired bootstrap intervals (computed by the analyse stage)
    seed: int = 0


def claims(cfg: ClaimsConfig, summary: Path, claims_json: Path) -> None:
    """Evaluate the paper's claims on our summary."""
    from repro_core import evaluate_claims, write_claims

    from .claims import CLAIMS, apply_conditions

    s = load_json(summary)
    if s["paired"]["level"] != cfg.level:
        raise ValueError(f"summary intervals at level {s['paired']['level']}, claims.level {cfg.level}")
    records = apply_conditions(evaluate_claims(CLAIMS, {"s": s, "cfg": cfg}, cfg.scale, paper="new_news"))
    write_claims(records, claims_json)
    for r in records:
        print(f"{r['id']}: {r['status']} (ours {r['ours']})")


# --help for keys the rules derive from the design (conditions.design of the train and replay
# sections) or from an output wildcard (repro_core.cli.Stage)
DESIGN_KEYS = {
    "counts": "Replay samples per item of this job's protocol, {protocol: count}, from the design.",
    "conditions": "Conditions (the run stage: this job's group, from the output's {nn_group} wildcard; the analyse "
                  "stage: every condition of the design, base first).",
    "modes": "Training modes of the design.",
    "ckpt_dir": "Folder of this group's checkpoints (results/new_news/<scale>/checkpoints/<group>): a killed run "
                "resumes from it.",
    "main_source": "Replay source of the main claims: the first of replay.sources.",
    "groups": "The run groups (one output folder each) to read.",
}

STAGES = {
    "dataset": Stage(make_dataset, DatasetConfig, inputs=(), outputs=("dataset",), section="dataset"),
    "model": Stage(make_model, ModelStageConfig, inputs=("dataset",), outputs=("model_dir",)),
    "replay": Stage(make_replay, ReplayConfig, inputs=("model_dir", "dataset"), outputs=("replay_dir",),
                    rule_keys=DESIGN_KEYS),
    "run": Stage(run, RunConfig, inputs=("model_dir", "dataset", "replay_dir"),
                 outputs=("adapters_dir", "evals_dir"), rule_keys=DESIGN_KEYS),
    "analyse": Stage(analyse, AnalyseConfig, inputs=("runs_dir", "dataset"), outputs=("summary", "table"),
                     rule_keys=DESIGN_KEYS),
    "figures": Stage(figures, FiguresConfig, inputs=("summary", "table"),
                     outputs=("protocols_fig", "shadowing_fig", "scaling_fig")),
    "claims": Stage(claims, ClaimsConfig, inputs=("summary",), outputs=("claims_json",), section="claims"),
}
