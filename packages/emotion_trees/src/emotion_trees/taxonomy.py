"""The Shaver et al. (1987) emotion taxonomy: 6 primary emotions, 129 secondary ones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True)
class Taxonomy:
    primaries: tuple[str, ...]
    labels: tuple[str, ...]            # primaries first, then the children of each in order
    primary_of: dict[str, str]         # label -> its primary group (a primary maps to itself)

    @property
    def index(self) -> dict[str, int]:
        return {lab: i for i, lab in enumerate(self.labels)}

    def group_ids(self) -> list[int]:
        """Index of each label's primary group, aligned with ``labels``."""
        g = {p: i for i, p in enumerate(self.primaries)}
        return [g[self.primary_of[lab]] for lab in self.labels]


def from_mapping(d: dict) -> Taxonomy:
    """Build from ``{"primary_emotions": [...], "children": {primary: [...]}}`` (the
    format of the authors' ``emotion_taxonomy.json`` and of our package copy)."""
    primaries = tuple(d["primary_emotions"])
    children = d["children"]
    unknown = sorted(set(children) - set(primaries))
    if unknown:
        raise ValueError(f"taxonomy children given for unknown primaries: {unknown}")
    labels = list(primaries)
    primary_of = {p: p for p in primaries}
    for p in primaries:
        for c in children.get(p, []):
            if c in primary_of:
                raise ValueError(f"taxonomy label {c!r} appears twice")
            labels.append(c)
            primary_of[c] = p
    return Taxonomy(primaries, tuple(labels), primary_of)


def load_taxonomy(path: str | Path | None = None) -> Taxonomy:
    """The package's Shaver taxonomy (135 labels), or one read from ``path``."""
    if path:
        return from_mapping(json.loads(Path(path).read_text()))
    text = resources.files("emotion_trees").joinpath("data/taxonomy.json").read_text()
    return from_mapping(json.loads(text))
