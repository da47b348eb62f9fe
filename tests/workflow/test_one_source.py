"""Issue 31, one source per value: config/<paper>.yaml is the only place a value is set. For every
stage that reads a YAML section (Stage.section), every key of that section at every scale is a
field of the stage's config dataclass, and such a field has no default (a default there could
only disagree with the YAML, it never applies in the workflow). The paper schemas describe their
keys, and `python -m <paper> <stage> --help` prints those descriptions."""

import dataclasses
import importlib
import subprocess
import sys

import pytest
import yaml

from repro_core.cli import section_schema
from repro_core.config import SCALES
from tests.helpers import REPO, paper_section

PAPERS = sorted(p.stem for p in (REPO / "workflow" / "rules").glob("*.smk") if p.stem not in ("common", "report"))
# Schemas that give every key a description: every paper's; "config" is the top-level config.schema.yaml.
DESCRIBED = set(PAPERS) | {"config"}


def _has_default(f) -> bool:
    return f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING


def _stages(paper):
    return [(name, st) for name, st in importlib.import_module(f"{paper}.stages").STAGES.items()
            if st.section and st.config is not None]


@pytest.mark.parametrize("paper", PAPERS)
def test_stage_sections_exist_and_fit_their_dataclass(paper):
    """Every Stage.section names a section of the YAML and of the schema, and every key the YAML
    sets there (any scale) is a field of the stage's dataclass."""
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / f"{paper}.schema.yaml").read_text())
    for name, st in _stages(paper):
        assert section_schema(schema, st.section), f"{paper} {name}: no schema section {st.section}"
        fields = {f.name for f in dataclasses.fields(st.config)}
        for scale in SCALES:
            keys = set(paper_section(paper, st.section, scale)) - {"seed_offset"}
            assert keys <= fields, f"{paper} {name}: YAML keys {sorted(keys - fields)} are no config field"


@pytest.mark.parametrize("paper", PAPERS)
def test_yaml_keys_have_no_dataclass_default(paper):
    bad = []
    for name, st in _stages(paper):
        fields = {f.name: f for f in dataclasses.fields(st.config)}
        for scale in SCALES:
            for k in paper_section(paper, st.section, scale):
                if k in fields and _has_default(fields[k]):
                    bad.append(f"{st.config.__name__}.{k} (stage {name}, section {st.section})")
    assert not bad, "defaults that could disagree with the YAML:\n" + "\n".join(sorted(set(bad)))


def _undescribed(node, schema, path):
    node = section_schema({**schema, "x_": node}, "x_") if "$ref" in node or "allOf" in node else node
    out = []
    for k, v in node.get("properties", {}).items():
        if "description" not in v:
            out.append(f"{path}{k}")
        out += _undescribed(v, schema, f"{path}{k}.")
    return out


@pytest.mark.parametrize("paper", sorted(DESCRIBED))
def test_schema_describes_every_key(paper):
    schema = yaml.safe_load((REPO / "workflow" / "schemas" / f"{paper}.schema.yaml").read_text())
    missing = _undescribed(schema, schema, "")
    assert not missing, f"{paper}.schema.yaml keys without a description: {missing}"


def test_stage_help_prints_the_schema_descriptions():
    proc = subprocess.run([sys.executable, "-m", "stm_mechanisms", "sweep", "--help"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    out = " ".join(proc.stdout.split())
    assert "n_seeds: int, required" in out
    assert "Networks (initialisations) per delay and learning rate (paper: 100)." in out
    assert "Weight decay (paper: 1e-7)." in out


@pytest.fixture(scope="module")
def smoke_jobs():
    from tests.helpers import stage_jobs
    return stage_jobs("smoke")


def _absent_subspec(f, hint) -> bool:
    """``x: SomeSpec | None = None``: an optional nested section that is absent unless the YAML gives
    it (ModelSpec.tiny exists only for source "tiny"). None is no value that could disagree."""
    import types
    import typing

    args = typing.get_args(hint)
    return (f.default is None and typing.get_origin(hint) in (typing.Union, types.UnionType)
            and type(None) in args and any(dataclasses.is_dataclass(a) for a in args))


def _defaulted_params(cls, params: dict, found: set) -> None:
    import typing

    if cls is None or not dataclasses.is_dataclass(cls):
        return
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.name not in params:
            continue
        if _has_default(f) and f.name not in ("seed", "scale") and not _absent_subspec(f, hints[f.name]):
            found.add(f"{cls.__name__}.{f.name}")
        if isinstance(params[f.name], dict):
            hint = hints[f.name]
            if _absent_subspec(f, hint):      # the optional section's own fields are checked
                hint = next(a for a in typing.get_args(hint) if dataclasses.is_dataclass(a))
            _defaulted_params(hint, params[f.name], found)


@pytest.mark.parametrize("paper", PAPERS)
def test_passed_params_have_no_dataclass_default(paper, smoke_jobs):
    """Whatever a rule passes a stage (from the YAML, the global config or a wildcard), over every
    stage job of the smoke dry run, section-less stages included, the stage's dataclass has no second
    value for it. `seed` and `scale` are exempt: stages also run outside the workflow with those two."""
    found: set = set()
    jobs = [j for j in smoke_jobs if j["paper"] == paper]
    assert jobs, f"no stage job of {paper} in the smoke dry run"
    for j in jobs:
        st = importlib.import_module(f"{paper}.stages").STAGES[j["stage"]]
        _defaulted_params(st.config, j["params"], found)
    assert not found, f"{paper}: dataclass defaults for values the rules pass: {sorted(found)}"


@pytest.mark.parametrize("paper", PAPERS)
def test_every_stage_key_has_a_help_description(paper):
    """`python -m <paper> <stage> --help` describes every key of the stage's dataclass: from the
    schema (its section, a renamed key's path) or the stage's own text for keys a rule sets."""
    from repro_core.cli import key_descriptions

    missing = []
    for name, st in importlib.import_module(f"{paper}.stages").STAGES.items():
        if st.config is None or not dataclasses.is_dataclass(st.config):
            continue
        described = key_descriptions(st, paper)
        missing += [f"{name}.{f.name}" for f in dataclasses.fields(st.config)
                    if f.name not in described and f.name not in ("seed", "scale")]
    assert not missing, (f"{paper}: stage keys without a --help description (map them with "
                         f"Stage.renamed or Stage.rule_keys): {missing}")
