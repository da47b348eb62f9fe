"""The experiment's conditions: their grammar and the design the workflow runs.

A condition is ``base`` (no fine-tuning) or ``<protocol>-<source>-b<budget>``: a replay protocol
(naive, paraphrase, implication, selfqa, shadow), the source of the replay text (news, model,
template) and the replay budget per item. The workflow (workflow/rules/new_news.smk) asks
:func:`design` which conditions to train, how many replay samples each (source, protocol) needs,
and how to split them over run jobs (:func:`groups`)."""

from __future__ import annotations

import re

PROTOCOLS = ("paraphrase", "implication", "selfqa")     # the protocols trained from the main source
COND_RE = re.compile(r"^(naive|paraphrase|implication|selfqa|shadow)-(news|model|template)-b(\d+)$")


def parse_condition(cond: str) -> dict:
    """``{'protocol', 'source', 'budget'}`` of a condition name (``base``: no fine-tuning)."""
    if cond == "base":
        return {"protocol": "base", "source": "", "budget": 0}
    m = COND_RE.match(cond)
    if not m:
        raise ValueError(f"condition {cond!r} is not base or <protocol>-<source>-b<budget>")
    return {"protocol": m.group(1), "source": m.group(2), "budget": int(m.group(3))}


def design(sources, budget: int, budgets, compare, icl_after) -> dict:
    """The conditions of one run of the experiment.

    ``sources``: replay sources, the first the main one; ``budget``: the replay budget of the
    main comparison; ``budgets``: the Self-QA budget sweep; ``compare``: protocols also trained
    from the other sources; ``icl_after``: protocols also evaluated with the news in context.
    Returns ``conditions`` (``base`` first), ``counts`` (replay samples per item of each source
    and protocol), ``modes`` (evaluation modes of the conditions evaluated in context too) and
    ``main`` (the main source)."""
    sources, budgets, compare = list(sources), sorted(int(b) for b in budgets), list(compare)
    main, b = sources[0], int(budget)
    conds = ([f"naive-news-b{b}"] + [f"{p}-{main}-b{b}" for p in PROTOCOLS]
             + [f"{p}-{s}-b{b}" for s in sources[1:] for p in compare]
             + [f"selfqa-{main}-b{x}" for x in budgets if x != b] + [f"shadow-{main}-b{b}"])
    everything = ["base"] + conds
    counts = {"news": {"naive": b}}
    for s in sources:
        counts[s] = {p: (max([b] + budgets) if (s == main and p == "selfqa") else b)
                     for p in (PROTOCOLS if s == main else compare)}
    in_context = {f"{p}-{'news' if p == 'naive' else main}-b{b}" for p in icl_after}
    modes = {c: ["closed", "icl"] for c in everything if c == "base" or c in in_context}
    return {"conditions": everything, "counts": counts, "modes": modes, "main": main}


def cost(cond: str) -> float:
    """Rough training cost of a condition (replay turns x relative length), for load balancing."""
    if cond == "base":
        return 0
    protocol, _, b = cond.split("-")
    return int(b[1:]) * {"naive": 1.5, "shadow": 2.5}.get(protocol, 1.0)


def groups(conds: list[str], jobs: int) -> dict[str, list[str]]:
    """Conditions split into ``jobs`` run jobs (0: one per condition), longest first onto the
    least loaded job; each job trains its conditions in one process."""
    n = len(conds) if jobs == 0 else min(jobs, len(conds))
    out, load = [[] for _ in range(n)], [0.0] * n
    for c in sorted(conds, key=lambda c: (-cost(c), conds.index(c))):
        i = load.index(min(load))
        out[i].append(c)
        load[i] += cost(c) + 1
    return {f"g{i}": sorted(g, key=conds.index) for i, g in enumerate(out)}


def replay_file_name(cond: str) -> tuple[str, str]:
    """(source, protocol file stem) of the replay a condition trains on (shadow reuses selfqa)."""
    c = parse_condition(cond)
    return c["source"], "selfqa" if c["protocol"] == "shadow" else c["protocol"]
