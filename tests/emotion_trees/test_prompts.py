"""Authored prompt sets, the exact prompt formats, and the authors' file format."""

import json

import pytest

from emotion_trees.prompts import (PromptsConfig, all_prompts, build_prompt_set, hierarchy_prompt,
                                   recognition_prompt)
from emotion_trees.taxonomy import load_taxonomy


def _cfg(**kw) -> PromptsConfig:
    """A prompts config spelt out in full (the dataclass has no defaults: config/emotion_trees.yaml
    is the only source of the workflow's values): all personas, all scenarios, unless ``kw``."""
    base = dict(source="authored", n_sentences=300, scenarios_per_label=2, max_scenarios=0, personas=[],
                files_dir="")
    return PromptsConfig(**{**base, **kw})


def test_prompt_formats_are_the_papers():
    assert hierarchy_prompt("  I won the race. ") == "I won the race. The emotion in this sentence is"
    assert recognition_prompt("Sam lost a bet. ", "As a woman, ") == \
        "Sam lost a bet.\nAs a woman, I think the emotion involved in this situation is"


def test_authored_set_sizes_labels_and_seed():
    cfg = _cfg(n_sentences=300, scenarios_per_label=2, personas=["neutral", "female"], seed=3)
    a, b = build_prompt_set(cfg), build_prompt_set(cfg)
    assert a == b                                     # seeded
    assert len(a["sentences"]) == len(set(a["sentences"])) == 300
    tax = load_taxonomy()
    assert [s["label"] for s in a["scenarios"]] == [lab for lab in tax.labels for _ in range(2)]
    assert all(s["text"].endswith(".") for s in a["scenarios"])
    hier, rec = all_prompts(a)
    assert len(hier) == 300 and len(rec) == 2 * 270
    assert rec[270].startswith(a["scenarios"][0]["text"] + "\nAs a woman, ")   # persona-major
    other = build_prompt_set(_cfg(n_sentences=300, seed=4))
    assert other["sentences"] != a["sentences"]


def test_unknown_persona_is_named():
    with pytest.raises(ValueError, match="prompts.personas.*nobody"):
        build_prompt_set(_cfg(n_sentences=1, personas=["nobody"]))


def test_author_files_are_read(tmp_path):
    (tmp_path / "emotion_taxonomy.json").write_text(json.dumps(
        {"primary_emotions": ["joy", "fear"], "children": {"joy": ["glee"], "fear": ["dread"]}}))
    (tmp_path / "hierarchy_prompts.txt").write_text("I won.\n\nI lost my keys.\nA third one.\n")
    (tmp_path / "recognition_scenarios.jsonl").write_text(
        '{"label": "glee", "text": "Sam laughed. "}\n{"label": "dread", "text": "A letter came."}\n')
    (tmp_path / "personas.json").write_text(json.dumps({"neutral": "", "old": "As an old man, "}))
    ps = build_prompt_set(_cfg(source="files", files_dir=str(tmp_path), n_sentences=2))
    assert ps["sentences"] == ["I won.", "I lost my keys."]
    assert ps["scenarios"][0] == {"label": "glee", "text": "Sam laughed."}
    assert ps["personas"]["old"] == "As an old man, "
    (tmp_path / "personas.json").unlink()
    with pytest.raises(FileNotFoundError, match="personas.json"):
        build_prompt_set(_cfg(source="files", files_dir=str(tmp_path)))
