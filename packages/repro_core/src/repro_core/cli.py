"""The stage command line every paper exposes::

    python -m <pkg> <stage> --params '<json>' [--params-file cfg.yaml] \
        [--in name=path ...] [--out name=path ...] [--threads N]

A name a stage lists in ``Stage.many`` takes a list of files: ``--in nets=a --in nets=b`` gives
``nets=[a, b]`` (every file checked to exist; no ``--in nets=...`` at all gives ``[]``); any
other name is given once.

A paper's ``__main__.py`` is two lines::

    from repro_core.cli import main
    from .stages import STAGES
    main(STAGES, prog="<pkg>")

where each :class:`Stage` names a plain function ``fn(cfg, **paths)``, its
config dataclass and the names of its input and output paths.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from .config import ConfigError, from_dict
from .io import CorruptFileError, IncompleteTableError

# Wall clock from (nearly) process start: a paper's __main__ imports this module first.
_T_START = time.perf_counter()
RESOURCES_TAG = "repro_core resources:"


def resources_line(prog: str, stage: str) -> str:
    """One machine-readable line of what this process used (wall and CPU seconds, peak resident
    memory), written at the end of every stage's log. `repro_core cost` reads it for jobs that
    have no Snakemake benchmark file (rules cached between workflows cannot have one)."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime
    rss_mb = max(own.ru_maxrss, kids.ru_maxrss) / 1024  # Linux reports KiB
    return RESOURCES_TAG + " " + json.dumps({
        "paper": prog, "stage": stage, "wall_s": round(time.perf_counter() - _T_START, 3),
        "cpu_s": round(cpu, 3), "max_rss_mb": round(rss_mb, 1)})


@dataclass(frozen=True)
class Stage:
    fn: Callable[..., Any]
    config: type | None = None          # dataclass built from --params (None: a plain dict)
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    help: str = ""
    many: tuple[str, ...] = ()          # inputs that are lists of files (--in name=... repeated)
    section: str = ""                   # the config section it reads (dotted path in the paper's schema)
    # --help for keys the YAML does not give under their own name in `section`:
    renamed: Mapping[str, str] = field(default_factory=dict)    # key -> dotted schema path it is read from
    rule_keys: Mapping[str, str] = field(default_factory=dict)  # key -> what it is: an output wildcard, ...


def _pairs(items: Sequence[str] | None, flag: str) -> dict[str, list[Path]]:
    """name=path items, the paths of a repeated name gathered in order."""
    out: dict[str, list[Path]] = {}
    for item in items or []:
        if "=" not in item:
            raise SystemExit(f"{flag} expects name=path, got {item!r}")
        k, v = item.split("=", 1)
        out.setdefault(k, []).append(Path(v))
    return out


def _collect(stage: Stage, name: str, given: Mapping[str, list[Path]]) -> dict[str, Path | list[Path]]:
    """One path per name, or the list of paths of a name in ``stage.many``."""
    out: dict[str, Path | list[Path]] = {}
    for k, v in given.items():
        if k in stage.many:
            out[k] = list(v)
        elif len(v) > 1:
            raise SystemExit(f"stage {name}: {k} given {len(v)} times; only "
                             f"{', '.join(stage.many) or 'no name'} may be repeated")
        else:
            out[k] = v[0]
    return out


def load_params(params: str | None, params_file: str | None) -> dict:
    data: dict = {}
    if params_file:
        import yaml

        data.update(yaml.safe_load(Path(params_file).read_text()) or {})
    if params:
        data.update(json.loads(params))
    return data


def run_stage(stage: Stage, name: str, params: Mapping[str, Any], paths: Mapping[str, Any]) -> Any:
    """Check the paths (every input present and existing; a ``many`` input a list of files,
    empty when none is given) and call the stage's function with its config built from ``params``."""
    expected = set(stage.inputs) | set(stage.outputs)
    paths = {**{k: [] for k in stage.many}, **paths}      # a list input given no file: empty
    missing, unknown = sorted(expected - set(paths)), sorted(set(paths) - expected)
    if missing or unknown:
        raise SystemExit(f"stage {name}: missing paths {missing}, unknown paths {unknown}; "
                         f"inputs: {list(stage.inputs)}, outputs: {list(stage.outputs)}")
    for k in stage.inputs:
        files = paths[k] if k in stage.many else [paths[k]]
        if isinstance(files, (str, Path)):
            raise SystemExit(f"stage {name}: input {k} takes a list of files")
        for f in files:
            if not Path(f).exists():
                raise SystemExit(f"stage {name}: input {k}={f} does not exist")
    cfg = from_dict(stage.config, params, where=name) if stage.config else dict(params)
    return stage.fn(cfg, **paths)


def _summary(stage: Stage) -> str:
    """The stage's help, or the first paragraph of its docstring as one line."""
    doc = (stage.fn.__doc__ or "").strip()
    return stage.help or " ".join(doc.split("\n\n")[0].split())


def schema_file(fn: Callable[..., Any], prog: str) -> Path | None:
    """workflow/schemas/<prog>.schema.yaml of the repository holding the stage's package
    (packages/<prog>/src/<prog>/...), or None outside a checkout."""
    try:
        src = Path(fn.__code__.co_filename).resolve()
    except AttributeError:
        return None
    for parent in src.parents:
        f = parent / "workflow" / "schemas" / f"{prog}.schema.yaml"
        if f.exists():
            return f
    return None


def _resolve(node: Mapping[str, Any] | None, schema: Mapping[str, Any]) -> dict:
    """``node`` with its ``$ref`` (into ``schema``) and ``allOf`` parts merged in."""
    node = dict(node or {})
    while "$ref" in node:
        ref = node.pop("$ref")
        target = schema
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part, {})
        node = {**target, **node}
    for sub in node.pop("allOf", []):
        sub = _resolve(sub, schema)
        node = {**sub, **node, "properties": {**sub.get("properties", {}), **node.get("properties", {})}}
    return node


def section_schema(schema: Mapping[str, Any], section: str) -> dict:
    """The (``$ref``- and ``allOf``-resolved) schema of a dotted ``section`` of a paper's schema;
    {} where the schema has no such section."""
    node = _resolve(schema, schema)
    for part in [p for p in section.split(".") if p]:
        node = _resolve(node.get("properties", {}).get(part, {}), schema)
    return node


def _described_keys(node: Mapping[str, Any], schema: Mapping[str, Any], depth: int = 0):
    """(depth, key, description) of every described key below a resolved schema ``node``: its
    properties, and those of its additionalProperties, patternProperties, items and
    oneOf/anyOf branches, recursively."""
    if depth > 12:
        return
    for key, child in (node.get("properties") or {}).items():
        text = _describe(child, schema)
        if text:
            yield depth, key, text
        yield from _described_keys(_resolve(child, schema), schema, depth + 1)
    subs = [node.get("additionalProperties"), node.get("items"),
            *(node.get("patternProperties") or {}).values(), *node.get("oneOf", []), *node.get("anyOf", [])]
    for sub in subs:
        if isinstance(sub, Mapping):
            yield from _described_keys(_resolve(sub, schema), schema, depth + 1)


def _nearest_description(key: str, schema: Mapping[str, Any], section: str) -> str:
    """The description of ``key`` found nearest the stage's ``section``: within the section
    itself, else within its parent section (the section's siblings), and so on up to the whole
    schema. At the first level where the key is found, the description of its shallowest
    occurrences is taken, or "" where those disagree (ambiguous)."""
    parts = [p for p in section.split(".") if p]
    for n in range(len(parts), -1, -1):
        found = [(d, text) for d, k, text in _described_keys(section_schema(schema, ".".join(parts[:n])), schema)
                 if k == key]
        if found:
            top = min(d for d, _ in found)
            texts = {text for d, text in found if d == top}
            return texts.pop() if len(texts) == 1 else ""
    return ""


def key_descriptions(stage: Stage, prog: str) -> dict[str, str]:
    """key -> its schema description, for every key of the stage's config dataclass (or, for a
    stage without one, of its config section). The rules build a stage's params from its own
    section, other sections of the paper's config and the global config (seed, device, scale), so
    a key is looked up: as a property of the stage's section; then in the global config's schema
    (workflow/schemas/config.schema.yaml: the seed and device every rule passes); then nearest the
    section in the paper's schema (see _nearest_description)."""
    if not prog:
        return {}
    f = schema_file(stage.fn, prog)
    if f is None:
        return {}
    schema = _load_schema(str(f))
    own = section_schema(schema, stage.section).get("properties", {}) if stage.section else {}
    top = f.parent / "config.schema.yaml"
    global_props = {k: v for k, v in (_load_schema(str(top)).get("properties", {}) if top.exists() else {}).items()
                    if v.get("type") != "object"}  # the papers' own sections are not global keys
    if stage.config is not None and dataclasses.is_dataclass(stage.config):
        keys = [fl.name for fl in dataclasses.fields(stage.config)]
    else:
        keys = list(own)
    out = {}
    for key in keys:
        if key in stage.rule_keys:
            out[key] = stage.rule_keys[key]
        elif key in stage.renamed:
            parent, _, leaf = stage.renamed[key].rpartition(".")
            node = section_schema(schema, parent).get("properties", {}).get(leaf)
            if node is None:
                raise KeyError(f"{prog} stage {stage.fn.__name__}: renamed[{key!r}] = {stage.renamed[key]!r} "
                               f"is no key of {f.name}")
            out[key] = _describe(node, schema)
        elif key in own:
            out[key] = _describe(own[key], schema)
        elif key in global_props:
            out[key] = _describe(global_props[key], {})
        else:
            out[key] = _nearest_description(key, schema, stage.section)
    return {k: v for k, v in out.items() if v}


@functools.lru_cache(maxsize=None)
def _load_schema(path: str) -> dict:
    import yaml

    return yaml.safe_load(Path(path).read_text())


def _describe(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "description" in node:
        return str(node["description"])
    ref = node.get("$ref")
    if ref:
        target = schema
        for part in ref.lstrip("#/").split("/"):
            target = target.get(part, {})
        return _describe(target, schema)
    return ""


def param_keys(config: type | None, descriptions: Mapping[str, str] | None = None) -> str:
    """The --params keys of a config dataclass: name, type and default, one per line, each
    followed by its description from the paper's schema where it has one."""
    import dataclasses
    import textwrap
    import typing

    if config is None:
        return "parameters: free-form JSON object"
    descriptions = descriptions or {}
    hints = typing.get_type_hints(config)
    lines = ["parameter keys (--params JSON; values from config/<paper>.yaml, described in its schema):"]
    for f in dataclasses.fields(config):
        h = hints[f.name]
        tp = h.__name__ if isinstance(h, type) else str(h).replace("typing.", "")
        if f.default is not dataclasses.MISSING:
            default = f"default {f.default!r}"
        elif f.default_factory is not dataclasses.MISSING:
            default = f"default {f.default_factory()!r}"
        else:
            default = "required"
        lines.append(f"  {f.name}: {tp}, {default}")
        if descriptions.get(f.name):
            lines += textwrap.wrap(descriptions[f.name], 96, initial_indent="      ", subsequent_indent="      ")
    return "\n".join(lines)


def main(stages: Mapping[str, Stage], argv: Sequence[str] | None = None, prog: str = "") -> None:
    parser = argparse.ArgumentParser(prog=prog, description=f"Stages of {prog}")
    sub = parser.add_subparsers(dest="stage", required=True)
    for name, st in stages.items():
        p = sub.add_parser(name, help=_summary(st), description=_summary(st),
                           epilog=param_keys(st.config, key_descriptions(st, prog)),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.add_argument("--params", help="stage parameters as a JSON object")
        p.add_argument("--params-file", help="stage parameters as a YAML/JSON file")
        lists = f" ({', '.join(st.many)}: repeat for a list)" if st.many else ""
        p.add_argument("--in", dest="inputs", action="append", metavar="NAME=PATH",
                       help=f"inputs: {', '.join(st.inputs) or 'none'}{lists}")
        p.add_argument("--out", dest="outputs", action="append", metavar="NAME=PATH",
                       help=f"outputs: {', '.join(st.outputs) or 'none'}")
        p.add_argument("--threads", type=int, default=None, help="CPU threads for torch/BLAS")
    args = parser.parse_args(argv)
    if args.threads:
        # Threads for BLAS/OpenMP libraries imported later; torch only if the stage
        # module already imported it (numpy-only stages do not pay for importing torch).
        for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
            os.environ[var] = str(args.threads)
        if "torch" in sys.modules:
            sys.modules["torch"].set_num_threads(args.threads)
    stage = stages[args.stage]
    paths = {**_collect(stage, args.stage, _pairs(args.inputs, "--in")),
             **_collect(Stage(stage.fn), args.stage, _pairs(args.outputs, "--out"))}
    t0 = time.perf_counter()
    try:
        run_stage(stage, args.stage, load_params(args.params, args.params_file), paths)
    except ConfigError as exc:
        print(f"{prog} {args.stage}: config error: {exc}", file=sys.stderr)
        raise SystemExit(2)
    except (CorruptFileError, IncompleteTableError) as exc:  # names the file and the fix
        print(f"{prog} {args.stage}: {exc}", file=sys.stderr)
        raise SystemExit(1)
    print(f"{prog} {args.stage}: done in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    print(resources_line(prog, args.stage), file=sys.stderr)
