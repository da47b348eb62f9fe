"""The claims API: each headline claim of a paper as a check on our results.

A paper's ``claims.py`` declares a list of :class:`Claim`. Every verdict is
computed from results by ``holds(ours)``; nothing is typed in.

Two kinds of claim, never counted together:

* ``paper``: a claim the paper makes, judged with the paper's own number and
  threshold (``where`` says where it stands in the paper, ``threshold`` where
  the criterion's number comes from: the paper's figure, or a margin fixed a
  priori with its reason). ``evidence(ctx)`` says how many seeds or samples the
  value rests on and, for a noisy quantity, the test or interval behind the
  verdict. These make the scorecard's headline.
* ``check``: exact maths, internal consistency, a comparison with our own
  model, or a goal of ours (a speed-up): listed apart, never in the headline.

A claim whose value is undefined (a NaN or None anywhere in ``ours``, e.g. a
median over zero runs) gets status ``error`` with the reason: missing data is
an error, never a scientific negative. A claim that wants to say "not found"
must say it with a value (``False``, a count of 0), not with None.

``scales`` are the scales at which the claim is *expected* to hold in our
reproduction: information shown beside the verdict, never a filter (a claim
is computed and counted at every scale). ``evaluate_at`` limits where it is
computed at all: only for wall-clock claims, which mean nothing at smoke sizes
and would make ``claims.json`` differ between identical runs. ``note`` is the
known reason a claim cannot reproduce at a reduced scale (the measurement
that shows it lives in the paper's README); it is shown only when the claim
does not hold.
"""

from __future__ import annotations

import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

from .config import SCALES
from .io import save_json

KINDS = ("paper", "check")
STATUSES = ("holds", "does not hold", "error", "not evaluated")


@dataclass(frozen=True)
class Evidence:
    """What a value rests on: ``n`` seeds / samples of ``unit``, and for a noisy
    quantity the ``test`` (named before the result was seen) with its p-value
    and/or confidence interval ``ci``."""
    n: int
    unit: str                      # "seeds", "networks", "test problems", "exact computation"
    test: str | None = None        # "one-sided sign test", "95% bootstrap CI of the median", ...
    p: float | None = None
    ci: tuple[float, float] | None = None

    def as_dict(self) -> dict:
        return {"n": int(self.n), "unit": self.unit, "test": self.test,
                "p": None if self.p is None else float(self.p),
                "ci": None if self.ci is None else [float(self.ci[0]), float(self.ci[1])]}


def exact(what: str = "exact computation") -> Callable[[Any], Evidence]:
    """Evidence of a deterministic quantity (a closed form, a fixed-seed grid)."""
    return lambda ctx: Evidence(1, what)


@dataclass(frozen=True)
class Claim:
    id: str                       # "<paper>.<name>"
    statement: str                # the claim in one sentence
    paper: str                    # the paper's own figure, as text ("r = 0.980")
    compute: Callable[[Any], Any]  # ours, from the results context
    holds: Callable[[Any], bool]  # the comparison, applied to ours
    criterion: str                # the comparison in words ("ours >= 10")
    kind: str                     # "paper" or "check" (see the module doc)
    where: str = ""               # section / figure / table of the paper
    threshold: str = ""           # where the criterion's number comes from
    evidence: Callable[[Any], Evidence] | None = None  # seeds/samples and statistic
    note: str = ""                # known reason it cannot hold at a reduced scale
    scales: tuple[str, ...] = ("quick", "full")
    evaluate_at: tuple[str, ...] = SCALES

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"claim {self.id}: kind={self.kind!r} is not allowed; "
                             f"allowed values: {', '.join(KINDS)}")
        if self.kind == "paper" and not (self.where and self.threshold):
            raise ValueError(f"paper claim {self.id}: 'where' (section/figure of the paper) and "
                             "'threshold' (where the criterion's number comes from) are required")
        for s in (*self.scales, *self.evaluate_at):
            if s not in SCALES:
                raise ValueError(f"claim {self.id}: scale {s!r} is not allowed; "
                                 f"allowed values: {', '.join(SCALES)}")


def _round(x: Any, digits: int = 6) -> Any:
    if isinstance(x, float):
        return x if not math.isfinite(x) else float(f"{x:.{digits}g}")
    if isinstance(x, dict):
        return {k: _round(v, digits) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_round(v, digits) for v in x]
    try:
        import numpy as np
        if isinstance(x, np.generic):
            return _round(x.item(), digits)
        if isinstance(x, np.ndarray):
            return _round(x.tolist(), digits)
    except ImportError:  # pragma: no cover
        pass
    return x


def undefined(x: Any, path: str = "ours") -> list[str]:
    """Paths of every None / NaN inside ``x`` (nested dicts and lists)."""
    if x is None:
        return [path]
    if isinstance(x, float):
        return [path] if math.isnan(x) else []
    if isinstance(x, dict):
        return [p for k, v in x.items() for p in undefined(v, f"{path}[{k!r}]")]
    if isinstance(x, (list, tuple)):
        return [p for i, v in enumerate(x) for p in undefined(v, f"{path}[{i}]")]
    return []


def _evaluate(c: Claim, context: Any, rec: dict) -> None:
    try:
        ours = _round(c.compute(context))
    except Exception as exc:  # a broken claim is reported, never silently passed
        traceback.print_exc(file=sys.stderr)
        rec.update(status="error", error=f"{type(exc).__name__}: {exc}")
        return
    rec["ours"] = ours
    missing = undefined(ours)
    if missing:
        rec.update(status="error",
                   error="undefined value (missing data, not a finding): " + ", ".join(missing) + " is NaN/None")
        return
    try:
        rec["holds"] = bool(c.holds(ours))
    except Exception as exc:
        traceback.print_exc(file=sys.stderr)
        rec.update(status="error", error=f"{type(exc).__name__}: {exc}")
        return
    rec["status"] = "holds" if rec["holds"] else "does not hold"
    if c.evidence is not None:
        try:
            ev = c.evidence(context)
            rec["evidence"] = _round(ev.as_dict())
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            rec.update(status="error", holds=None, error=f"evidence: {type(exc).__name__}: {exc}")


def evaluate_claims(claims: Sequence[Claim], context: Any, scale: str, paper: str) -> list[dict]:
    """Evaluate every claim on ``context``; return one record per claim."""
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ValueError(f"duplicate claim ids in {paper}: {ids}")
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r} is not allowed; allowed values: {', '.join(SCALES)}")
    records = []
    for c in claims:
        rec = {"paper": paper, "id": c.id, "kind": c.kind, "statement": c.statement,
               "where": c.where, "paper_value": c.paper, "criterion": c.criterion,
               "threshold": c.threshold, "scale": scale, "expected": scale in c.scales,
               "ours": None, "holds": None, "status": None, "evidence": None, "note": c.note,
               "error": None}
        if scale not in c.evaluate_at:
            rec["status"] = "not evaluated"
            rec["error"] = f"not evaluated at {scale} scale (only at {', '.join(c.evaluate_at)})"
        else:
            _evaluate(c, context, rec)
        records.append(rec)
    return records


def write_claims(records: list[dict], path: str | Path) -> Path:
    return save_json({"claims": records}, path)
