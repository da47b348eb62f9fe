"""The comparisons behind the claims and figures, from the per-condition accuracy table."""

from __future__ import annotations

import numpy as np

PROTOCOLS = ("paraphrase", "implication", "selfqa")


def _acc(tab, cond: str, mode: str = "closed", domain: str = "all"):
    r = tab[(tab.condition == cond) & (tab["mode"] == mode) & (tab.domain == domain)]
    return float(r.accuracy.iloc[0]) if len(r) else None


def summarise(tab, main_source: str, budget: int, budgets: list[int], chance: float) -> dict:
    domains = sorted(d for d in tab.domain.unique() if d != "all")
    naive = f"naive-news-b{budget}"
    main = f"selfqa-{main_source}-b{budget}"
    sources = sorted({s for s in tab.source.unique() if s in ("model", "template")},
                     key=lambda x: (x != main_source, x))
    s = {"chance": chance, "budget": budget, "main_source": main_source, "domains": domains,
         "closed_base": _acc(tab, "base"), "icl_before": _acc(tab, "base", "icl"),
         "naive": _acc(tab, naive),
         "protocols": {src: {p: _acc(tab, f"{p}-{src}-b{budget}") for p in PROTOCOLS} for src in sources},
         "shadowing": {"selfqa": _acc(tab, main), "shadow": _acc(tab, f"shadow-{main_source}-b{budget}")},
         "icl_after": {c: _acc(tab, c, "icl") for c in tab[(tab["mode"] == "icl")].condition.unique()
                       if c != "base"},
         "budget_curve": {str(b): _acc(tab, f"selfqa-{main_source}-b{b}") for b in budgets}}
    # per-domain accuracy of every setting shown in the protocol figure
    settings = {"no news (base)": ("base", "closed"), "ICL (news in context)": ("base", "icl"),
                "naive FT": (naive, "closed")}
    for src in sources:
        for p in PROTOCOLS:
            settings[f"{p} FT ({src})"] = (f"{p}-{src}-b{budget}", "closed")
    s["settings"] = [name for name, (c, m) in settings.items() if _acc(tab, c, m) is not None]
    s["by_domain"] = {name: {d: _acc(tab, c, m, d) for d in ["all", *domains]}
                      for name, (c, m) in settings.items() if _acc(tab, c, m) is not None}
    gaps = [_acc(tab, "base", "icl", d) - _acc(tab, naive, "closed", d) for d in domains
            if _acc(tab, naive, "closed", d) is not None and _acc(tab, "base", "icl", d) is not None]
    s["icl_minus_naive"] = float(np.mean(gaps)) if gaps else None
    sq = _acc(tab, main)
    icl, nv = s["icl_before"], s["naive"]
    s["gap_closed_by_selfqa"] = ((sq - nv) / (icl - nv)
                                 if None not in (sq, icl, nv) and icl - nv > 0 else None)
    xs = [(np.log2(b), s["budget_curve"][str(b)]) for b in budgets if s["budget_curve"][str(b)] is not None]
    # rounded: equal accuracies must give a slope of exactly 0, not floating-point noise
    s["budget_slope_per_doubling"] = (round(float(np.polyfit(*zip(*xs), 1)[0]), 9) if len(xs) >= 2 else None)
    return s
