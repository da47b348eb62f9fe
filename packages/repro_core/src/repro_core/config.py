"""Per-scale parameters and config validation with errors that name the key.

Paper configs (``config/<paper>.yaml``) write a value that differs between
scales as a mapping with exactly the keys ``smoke``, ``quick`` and ``full``::

    n_neurons: {smoke: 50, quick: 200, full: 5000}   # full: paper Sec. 4.1
    alpha: 0.1                                         # the same at every scale

:func:`resolve_scale` replaces each such mapping by the value of one scale.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Mapping

SCALES = ("smoke", "quick", "full")


class ConfigError(ValueError):
    """A config value or key is wrong; the message names the key and what is allowed."""


def is_scale_dict(value: Any) -> bool:
    return isinstance(value, Mapping) and len(value) > 0 and set(value) <= set(SCALES) \
        and set(value) & set(SCALES) == set(value)


def resolve_scale(tree: Any, scale: str, _path: str = "") -> Any:
    """Return ``tree`` with every ``{smoke:, quick:, full:}`` mapping replaced by
    the value at ``scale``. A partial scale mapping is an error naming its key."""
    if scale not in SCALES:
        raise ConfigError(f"scale={scale!r} is not allowed; allowed values: {', '.join(SCALES)}")
    if isinstance(tree, Mapping):
        if is_scale_dict(tree):
            missing = [s for s in SCALES if s not in tree]
            if missing:
                raise ConfigError(
                    f"config key {_path or '<root>'} gives per-scale values but lacks "
                    f"{', '.join(missing)}; a per-scale value needs all of {', '.join(SCALES)}")
            return resolve_scale(tree[scale], scale, _path)
        return {k: resolve_scale(v, scale, f"{_path}.{k}" if _path else str(k)) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve_scale(v, scale, f"{_path}[{i}]") for i, v in enumerate(tree)]
    return tree


def _type_ok(value: Any, tp: Any) -> bool:
    origin = typing.get_origin(tp)
    if tp is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(_type_ok(value, a) for a in typing.get_args(tp))
    if tp is type(None):
        return value is None
    if tp is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if tp is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if origin in (list, tuple):
        return isinstance(value, (list, tuple))
    if origin is dict:
        return isinstance(value, Mapping)
    if isinstance(tp, type):
        if dataclasses.is_dataclass(tp):
            return isinstance(value, (Mapping, tp))
        return isinstance(value, tp)
    return True


def from_dict(cls: type, data: Mapping[str, Any] | None, where: str = "") -> Any:
    """Build dataclass ``cls`` from a mapping; unknown keys, missing required keys
    and wrongly typed values raise :class:`ConfigError` naming the key, the
    allowed keys or the expected type. Nested dataclass fields are built too."""
    data = dict(data or {})
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    prefix = f"{where}." if where else ""
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(prefix + u for u in unknown)}; "
                          f"allowed keys: {', '.join(sorted(fields))}")
    kwargs = {}
    for name, f in fields.items():
        if name not in data:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ConfigError(f"config key {prefix}{name} is required")
            continue
        value, tp = data[name], hints[name]
        if not _type_ok(value, tp):
            raise ConfigError(f"config key {prefix}{name}={value!r} has the wrong type; expected {tp}")
        if isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(value, Mapping):
            value = from_dict(tp, value, prefix + name)
        elif tp is float and isinstance(value, int):
            value = float(value)
        kwargs[name] = value
    return cls(**kwargs)


def check_yaml_file(path) -> Any:
    """Parse a YAML config file; a syntax error raises :class:`ConfigError` naming the
    file, line and column, the problem and the offending line (Snakemake's own
    message for a broken config file is empty)."""
    import yaml
    from pathlib import Path

    path = Path(path)
    text = path.read_text()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        if mark is None:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        lines = text.splitlines()
        ctx, ctx_mark = getattr(exc, "context", None), getattr(exc, "context_mark", None)
        if ctx and ctx_mark is not None:  # e.g. "while parsing a flow sequence" opened here
            ctx = f"{ctx} opened at line {ctx_mark.line + 1}, column {ctx_mark.column + 1}:"
        at = mark if mark.line < len(lines) and lines[mark.line].strip() else (ctx_mark or mark)
        shown = lines[at.line] if at.line < len(lines) else ""
        what = " ".join(x for x in (ctx, getattr(exc, "problem", None)) if x)
        raise ConfigError(f"{path}, line {mark.line + 1}, column {mark.column + 1}: {what}\n"
                          f"    {shown}\n    {' ' * at.column}^") from None


def explain_schema_errors(instance: Any, schema: Mapping[str, Any], root: str = "config") -> list[str]:
    """Validate ``instance`` against a JSON schema and return one readable line
    per error: the dotted key, the offending value and what is allowed."""
    import jsonschema

    cls = jsonschema.validators.validator_for(schema)
    validator = cls(schema)
    lines = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.absolute_path))):
        key = ".".join([root] + [str(p) for p in err.absolute_path])
        sub = err.schema if isinstance(err.schema, Mapping) else {}
        if err.validator == "additionalProperties":
            allowed = sorted(sub.get("properties", {}))
            extra = sorted(set(err.instance) - set(allowed)) if isinstance(err.instance, Mapping) else []
            lines.append(f"{key}: unknown key(s) {', '.join(extra)}; allowed keys: {', '.join(allowed)}")
        elif err.validator == "enum":
            lines.append(f"{key}={err.instance!r} is not allowed; allowed values: "
                         f"{', '.join(map(str, err.validator_value))}")
        elif err.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
            lines.append(f"{key}={err.instance!r} violates {err.validator} {err.validator_value}")
        elif err.validator == "required":
            lines.append(f"{key}: {err.message}")
        elif err.validator == "type":
            lines.append(f"{key}={err.instance!r} has the wrong type; expected {err.validator_value}")
        else:
            lines.append(f"{key}: {err.message}")
    return lines
