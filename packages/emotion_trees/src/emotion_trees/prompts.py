"""Prompt sets: our authored sentences and scenarios, or the authors' released files.

Hierarchy prompt (base-model style, no chat template)::

    sentence.strip() + " The emotion in this sentence is"

Recognition prompt::

    scenario.rstrip() + "\\n" + persona_prefix + "I think the emotion involved in this situation is"

The authored set (``source: authored``) is built from one situation per Shaver label
(``data/situations.json``), subjects and time frames by seeded templates. With
``source: files`` the authors' own files are read from ``files_dir``:
``hierarchy_prompts.txt`` (one sentence a line), ``recognition_scenarios.jsonl``
(``{"label", "text"}`` a line), ``personas.json`` (name -> prefix) and
``emotion_taxonomy.json``.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from repro_core import save_json

from .taxonomy import Taxonomy, from_mapping

HIERARCHY_SUFFIX = " The emotion in this sentence is"
RECOGNITION_SUFFIX = "I think the emotion involved in this situation is"


def hierarchy_prompt(sentence: str) -> str:
    return sentence.strip() + HIERARCHY_SUFFIX


def recognition_prompt(scenario: str, persona_prefix: str) -> str:
    return scenario.rstrip() + "\n" + persona_prefix + RECOGNITION_SUFFIX


def _package_json(name: str) -> dict:
    return json.loads(resources.files("emotion_trees").joinpath(f"data/{name}").read_text())


def _lower_first(s: str) -> str:
    return s[:1].lower() + s[1:]


def authored_sentences(situations: dict[str, str], subjects: list[str], frames: list[str],
                       n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct sentences ``<frame><subject> <situation>.`` drawn without replacement
    from all frame x subject x situation combinations (all of them if ``n`` is larger)."""
    combos = list(itertools.product(frames, subjects, sorted(situations)))
    take = rng.permutation(len(combos))[:min(n, len(combos))]
    out = []
    for i in sorted(take):
        frame, subject, label = combos[i]
        subj = _lower_first(subject) if frame else subject
        out.append(f"{frame}{subj} {situations[label]}.")
    return [out[i] for i in rng.permutation(len(out))]


def authored_scenarios(situations: dict[str, str], subjects: list[str], frames: list[str],
                       per_label: int, rng: np.random.Generator) -> list[dict]:
    """``per_label`` labelled scenarios per label, each a distinct (frame, subject) pair."""
    pairs = list(itertools.product(frames, subjects))
    out = []
    for label in situations:  # the taxonomy's order (the json's)
        for j in sorted(rng.permutation(len(pairs))[:min(per_label, len(pairs))]):
            frame, subject = pairs[j]
            out.append({"label": label, "text": f"{frame}{subject} {situations[label]}."})
    return out


@dataclass(kw_only=True)
class PromptsConfig:
    """Values from config/emotion_trees.yaml (section prompts), described in its schema."""
    source: str                       # authored | files
    n_sentences: int                  # hierarchy sentences (files: the first n; 0 = all)
    scenarios_per_label: int          # authored only
    max_scenarios: int                # seeded subsample of the scenarios (0 = all)
    personas: list[str]               # persona names to use ([] = all)
    files_dir: str                    # the authors' data folder (source: files)
    seed: int = 0


def read_author_files(files_dir: str | Path) -> tuple[dict, list[str], list[dict], dict]:
    """The authors' released format; blank lines of ``hierarchy_prompts.txt`` are skipped."""
    d = Path(files_dir)
    need = ["emotion_taxonomy.json", "hierarchy_prompts.txt", "recognition_scenarios.jsonl",
            "personas.json"]
    missing = [n for n in need if not (d / n).exists()]
    if missing:
        raise FileNotFoundError(f"prompts.files_dir={str(d)!r} lacks {', '.join(missing)}")
    taxonomy = json.loads((d / "emotion_taxonomy.json").read_text())
    sentences = [s for s in (d / "hierarchy_prompts.txt").read_text().splitlines() if s.strip()]
    scenarios = [json.loads(line) for line in (d / "recognition_scenarios.jsonl").read_text().splitlines()
                 if line.strip()]
    scenarios = [{"label": r["label"], "text": r["text"].strip()} for r in scenarios]
    personas = json.loads((d / "personas.json").read_text())
    return taxonomy, sentences, scenarios, personas


def build_prompt_set(cfg: PromptsConfig) -> dict:
    """Everything the scoring and analysis stages need, as one JSON-able dict."""
    rng = np.random.default_rng(cfg.seed)
    if cfg.source == "authored":
        taxonomy = _package_json("taxonomy.json")
        data = _package_json("situations.json")
        personas = _package_json("personas.json")["personas"]
        situations = data["situations"]
        tax = from_mapping(taxonomy)
        situations = {lab: situations[lab] for lab in tax.labels}
        sentences = authored_sentences(situations, data["hierarchy_subjects"],
                                       data["hierarchy_frames"], cfg.n_sentences, rng)
        scenarios = authored_scenarios(situations, data["scenario_subjects"],
                                       data["scenario_frames"], cfg.scenarios_per_label, rng)
    elif cfg.source == "files":
        taxonomy, sentences, scenarios, personas = read_author_files(cfg.files_dir)
        tax = from_mapping(taxonomy)
        if cfg.n_sentences:
            sentences = sentences[:cfg.n_sentences]
    else:
        raise ValueError(f"prompts.source={cfg.source!r} is not allowed; allowed: authored, files")
    unknown = sorted({s["label"] for s in scenarios} - set(tax.labels))
    if unknown:
        raise ValueError(f"scenario labels not in the taxonomy: {unknown}")
    if cfg.max_scenarios and cfg.max_scenarios < len(scenarios):
        keep = sorted(rng.permutation(len(scenarios))[:cfg.max_scenarios])
        scenarios = [scenarios[i] for i in keep]
    if cfg.personas:
        missing = [p for p in cfg.personas if p not in personas]
        if missing:
            raise ValueError(f"prompts.personas: unknown persona(s) {missing}; "
                             f"available: {', '.join(personas)}")
        personas = {p: personas[p] for p in cfg.personas}
    return {"taxonomy": taxonomy, "sentences": sentences, "scenarios": scenarios,
            "personas": personas}


def taxonomy_of(prompt_set: dict) -> Taxonomy:
    return from_mapping(prompt_set["taxonomy"])


def all_prompts(prompt_set: dict) -> tuple[list[str], list[str]]:
    """(hierarchy prompts, recognition prompts); recognition rows run persona-major:
    row ``k * n_scenarios + i`` is persona k on scenario i."""
    hier = [hierarchy_prompt(s) for s in prompt_set["sentences"]]
    rec = [recognition_prompt(sc["text"], prefix) for prefix in prompt_set["personas"].values()
           for sc in prompt_set["scenarios"]]
    return hier, rec


def make_prompts(cfg: PromptsConfig, prompts: Path) -> None:
    """Build the hierarchy sentences, recognition scenarios and personas."""
    ps = build_prompt_set(cfg)          # seeded by cfg.seed (its own generator)
    save_json(ps, prompts)
    print(f"{len(ps['sentences'])} sentences, {len(ps['scenarios'])} scenarios, "
          f"{len(ps['personas'])} personas")
