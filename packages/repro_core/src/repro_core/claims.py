"""The claims API: each headline claim of a paper as a check on our results.

A paper's ``claims.py`` declares a list of :class:`Claim`. Every verdict is
computed from results by ``holds(ours)``; nothing is typed in.

``scales`` are the scales at which the paper's claim is *expected* to hold in
our reproduction (a claim is still computed and reported elsewhere, flagged as
not expected there). ``evaluate_at`` limits where it is computed at all: use
it for wall-clock claims, which mean nothing at smoke sizes and would make
``claims.json`` differ between identical runs.
"""

from __future__ import annotations

import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .config import SCALES
from .io import save_json


@dataclass(frozen=True)
class Claim:
    id: str                       # "<paper>.<name>"
    statement: str                # the paper's claim in one sentence
    paper: str                    # the paper's own figure, as text ("~100x (Fig. 2)")
    compute: Callable[[Any], Any]  # ours, from the results context
    holds: Callable[[Any], bool]  # the comparison, applied to ours
    criterion: str                # the comparison in words ("ours >= 10")
    scales: tuple[str, ...] = ("quick", "full")
    evaluate_at: tuple[str, ...] = SCALES


def _round(x: Any, digits: int = 6) -> Any:
    if isinstance(x, float):
        return float(f"{x:.{digits}g}")
    if isinstance(x, dict):
        return {k: _round(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v, digits) for v in x]
    try:
        import numpy as np
        if isinstance(x, np.generic):
            return _round(x.item(), digits)
    except ImportError:  # pragma: no cover
        pass
    return x


def evaluate_claims(claims: Sequence[Claim], context: Any, scale: str, paper: str) -> list[dict]:
    """Evaluate every claim on ``context``; return one record per claim."""
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {paper}: {ids}")
    records = []
    for c in claims:
        rec = {"paper": paper, "id": c.id, "statement": c.statement, "paper_value": c.paper,
               "criterion": c.criterion, "scale": scale, "expected": scale in c.scales,
               "ours": None, "holds": None, "error": None}
        if scale not in c.evaluate_at:
            rec["status"] = "not evaluated"
            rec["error"] = f"not evaluated at {scale} scale (only at {', '.join(c.evaluate_at)})"
        else:
            try:
                ours = _round(c.compute(context))
                rec["ours"] = ours
                rec["holds"] = bool(c.holds(ours))
                rec["status"] = "holds" if rec["holds"] else "does not hold"
            except Exception as exc:  # a broken claim is reported, never silently passed
                traceback.print_exc(file=sys.stderr)
                rec["status"] = "error"
                rec["error"] = f"{type(exc).__name__}: {exc}"
        records.append(rec)
    return records


def write_claims(records: list[dict], path: str | Path) -> Path:
    return save_json({"claims": records}, path)
