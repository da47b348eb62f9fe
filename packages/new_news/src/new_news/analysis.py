"""The comparisons behind the claims and figures.

Two levels, both from the run stage's per-question evaluations:

- the accuracy table (one row per condition x mode x domain, and x stratum): :func:`summarise`
  keeps the accuracies the figures show;
- paired per-question comparisons (:func:`paired_comparisons`): for two settings evaluated on the
  same questions, the mean per-question difference of a metric with a percentile bootstrap
  interval over questions (:func:`repro_core.stats.bootstrap_ci`), per stratum.

Metrics per question: ``correct`` (log-likelihood choice, the primary score), ``margin`` (the gold
answer's primary score minus the best distractor's; > 0 exactly when correct), ``gold_logprob``
(summed log-probability of the gold answer, nats) and ``exact`` (greedy reply matches, secondary).

Strata (tags from :func:`new_news.dataset.tag_question`): ``all``; ``extractive`` (the answer is
stated in the news); ``extractive_clean`` (stated, and no distractor in the news);
``inferential`` (the answer is not stated: computed or combined).
"""

from __future__ import annotations

import numpy as np

from repro_core.stats import bootstrap_ci

PROTOCOLS = ("paraphrase", "implication", "selfqa")
METRICS = ("correct", "margin", "gold_logprob", "exact")
STRATA = ("all", "extractive", "extractive_clean", "inferential")


def stratum_masks(extractive, distractor_in_news) -> dict[str, np.ndarray]:
    e = np.asarray(extractive, bool)
    d = np.asarray(distractor_in_news, bool)
    return {"all": np.ones(len(e), bool), "extractive": e, "extractive_clean": e & ~d, "inferential": ~e}


def paired_diff(a, b, level: float = 0.95, n_resamples: int = 10_000, seed: int = 0) -> dict:
    """Mean of ``a - b`` over paired questions with its percentile bootstrap interval
    (questions resampled with their pairing kept). Fewer than 2 questions: no interval
    (``ci`` None: an undefined value, never a finding)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples of different shapes {a.shape} and {b.shape}")
    d = a - b
    ci = bootstrap_ci(d, np.mean, level=level, n_resamples=n_resamples, seed=seed) if len(d) >= 2 else None
    return {"a": float(a.mean()) if len(a) else None, "b": float(b.mean()) if len(b) else None,
            "diff": float(d.mean()) if len(d) else None, "ci": None if ci is None else [ci[0], ci[1]],
            "n": int(len(d))}


def slope_weights(budgets) -> np.ndarray:
    """Least-squares weights w with slope = sum_k w_k y_k for y against log2(budget): the slope
    is linear in y, so the slope of the mean curve is the mean of the per-question slopes."""
    x = np.log2(np.asarray(budgets, float))
    return (x - x.mean()) / ((x - x.mean()) ** 2).sum()


def question_table(evals: dict, items: list[dict]):
    """One row per condition x mode x question: the tags and the metrics."""
    import pandas as pd

    qs = [(it["id"], j, it["domain"], q) for it in items for j, q in enumerate(it["questions"])]
    base = pd.DataFrame({"item": [i for i, *_ in qs], "q": [j for _, j, *_ in qs],
                         "domain": [d for *_, d, _ in qs],
                         "extractive": [bool(q["extractive"]) for *_, q in qs],
                         "distractor_in_news": [bool(q["distractor_in_news"]) for *_, q in qs]})
    frames = []
    for c, e in evals.items():
        if e["items"] != list(base["item"]):
            raise ValueError(f"evaluation of {c} is not on the data set's questions in order")
        for mode, r in e["modes"].items():
            f = base.copy()
            f.insert(0, "mode", mode)
            f.insert(0, "budget", e["budget"])
            f.insert(0, "source", e["source"])
            f.insert(0, "protocol", e["protocol"])
            f.insert(0, "condition", c)
            for m in METRICS:
                f[m] = r[m] if m in r else np.nan
            frames.append(f)
    return pd.concat(frames, ignore_index=True)


def accuracy_table(qt):
    """Mean metrics per condition x mode: per domain (stratum all) and per stratum (domain all)."""
    import pandas as pd

    rows = []
    for (c, mode), g in qt.groupby(["condition", "mode"], sort=False):
        head = {"condition": c, "protocol": g.protocol.iloc[0], "source": g.source.iloc[0],
                "budget": int(g.budget.iloc[0]), "mode": mode}
        masks = stratum_masks(g.extractive, g.distractor_in_news)
        parts = [("all", "all", g)] + [(d, "all", gd) for d, gd in g.groupby("domain")]
        parts += [("all", s, g[masks[s]]) for s in STRATA[1:] if masks[s].any()]
        for dom, st, gg in parts:
            rows.append({**head, "domain": dom, "stratum": st, "accuracy": float(gg.correct.mean()),
                         "exact_match": float(gg.exact.mean()) if gg.exact.notna().all() else np.nan,
                         "margin": float(gg.margin.mean()), "gold_logprob": float(gg.gold_logprob.mean()),
                         "n": int(len(gg))})
    return pd.DataFrame(rows)


def _acc(tab, cond: str, mode: str = "closed", domain: str = "all"):
    r = tab[(tab.condition == cond) & (tab["mode"] == mode) & (tab.domain == domain) & (tab.stratum == "all")]
    return float(r.accuracy.iloc[0]) if len(r) else None


def summarise(tab, main_source: str, budget: int, budgets: list[int], chance: float) -> dict:
    """The accuracies the figures show (stratum all), from the accuracy table."""
    if "stratum" not in tab:
        tab = tab.assign(stratum="all")
    domains = sorted(d for d in tab.domain.unique() if d != "all")
    naive = f"naive-news-b{budget}"
    main = f"selfqa-{main_source}-b{budget}"
    sources = sorted({s for s in tab.source.unique() if s in ("model", "template")},
                     key=lambda x: (x != main_source, x))
    s = {"chance": chance, "budget": budget, "main_source": main_source, "domains": domains,
         "strata": [st for st in STRATA if st in set(tab.stratum)],
         "closed_base": _acc(tab, "base"), "icl_before": _acc(tab, "base", "icl"),
         "naive": _acc(tab, naive),
         "protocols": {src: {p: _acc(tab, f"{p}-{src}-b{budget}") for p in PROTOCOLS} for src in sources},
         "shadowing": {"selfqa": _acc(tab, main), "shadow": _acc(tab, f"shadow-{main_source}-b{budget}")},
         "icl_after": {c: _acc(tab, c, "icl") for c in tab[(tab["mode"] == "icl")].condition.unique()
                       if c != "base"},
         "budget_curve": {str(b): _acc(tab, f"selfqa-{main_source}-b{b}") for b in budgets}}
    settings = {"no news (base)": ("base", "closed"), "ICL (news in context)": ("base", "icl"),
                "naive FT": (naive, "closed")}
    for src in sources:
        for p in PROTOCOLS:
            settings[f"{p} FT ({src})"] = (f"{p}-{src}-b{budget}", "closed")
    s["settings"] = [name for name, (c, m) in settings.items() if _acc(tab, c, m) is not None]
    s["setting_conditions"] = {name: [c, m] for name, (c, m) in settings.items() if _acc(tab, c, m) is not None}
    s["by_domain"] = {name: {d: _acc(tab, c, m, d) for d in ["all", *domains]}
                      for name, (c, m) in settings.items() if _acc(tab, c, m) is not None}
    return s


def comparisons(main_source: str, budget: int, sources=("model", "template")) -> dict:
    """name -> (setting a, setting b), each (condition, mode): the paired differences a - b."""
    B, m = budget, main_source
    naive, icl, closed = (f"naive-news-b{B}", "closed"), ("base", "icl"), ("base", "closed")
    p = {k: (f"{k}-{m}-b{B}", "closed") for k in PROTOCOLS}
    out = {"icl_gain": (icl, closed), "ft_icl_gap": (icl, naive), "naive_gain": (naive, closed),
           "selfqa_vs_paraphrase": (p["selfqa"], p["paraphrase"]),
           "selfqa_vs_implication": (p["selfqa"], p["implication"]),
           "paraphrase_vs_naive": (p["paraphrase"], naive), "implication_vs_naive": (p["implication"], naive),
           "selfqa_vs_naive": (p["selfqa"], naive), "icl_vs_selfqa": (icl, p["selfqa"]),
           "shadowing": (p["selfqa"], (f"shadow-{m}-b{B}", "closed")),
           "overexposure_selfqa": (icl, (p["selfqa"][0], "icl")), "overexposure_naive": (icl, (naive[0], "icl"))}
    for s in sources:
        if s != m:
            out[f"selfqa_{m}_vs_{s}"] = (p["selfqa"], (f"selfqa-{s}-b{B}", "closed"))
            out[f"selfqa_{s}_vs_naive"] = ((f"selfqa-{s}-b{B}", "closed"), naive)
    return out


def paired_comparisons(qt, main_source: str, budget: int, budgets: list[int], level: float = 0.95,
                       seed: int = 0) -> dict:
    """Every comparison of :func:`comparisons` whose settings were run, per stratum and metric;
    the Self-QA gap closure ``selfqa - (naive + ICL) / 2`` (> 0 exactly when Self-QA closes more
    than half of the ICL - naive gap, a linear statistic, so the bootstrap needs no ratio); the
    slope of each metric against log2(replay samples per item) over the Self-QA budget curve."""
    def values(cond, mode, metric):
        g = qt[(qt.condition == cond) & (qt["mode"] == mode)]
        return None if g.empty else g[metric].to_numpy(float)

    first = qt[qt.condition == qt.condition.iloc[0]]
    first = first[first["mode"] == first["mode"].iloc[0]]
    masks = stratum_masks(first.extractive, first.distractor_in_news)
    strata = [s for s in STRATA if masks[s].sum() >= 2]
    metrics = [mm for mm in METRICS if not qt[mm].isna().any()]
    out = {"strata": {s: int(masks[s].sum()) for s in strata}, "metrics": metrics, "level": level,
           "comparisons": {}}
    for name, (a, b) in comparisons(main_source, budget, tuple(sorted(set(qt.source) - {"", "news"}))).items():
        if values(*a, "correct") is None or values(*b, "correct") is None:
            continue
        out["comparisons"][name] = {
            "a": list(a), "b": list(b),
            **{mm: {s: paired_diff(values(*a, mm)[masks[s]], values(*b, mm)[masks[s]], level, seed=seed)
                    for s in strata} for mm in metrics}}
    sq, nv, ic = (f"selfqa-{main_source}-b{budget}", "closed"), (f"naive-news-b{budget}", "closed"), ("base", "icl")
    if all(values(*x, "correct") is not None for x in (sq, nv, ic)):
        out["gap_closure"] = {mm: {s: paired_diff(values(*sq, mm)[masks[s]],
                                                  ((values(*nv, mm) + values(*ic, mm)) / 2)[masks[s]], level, seed=seed)
                                   for s in strata} for mm in metrics}
    curve = [b for b in budgets if values(f"selfqa-{main_source}-b{b}", "closed", "correct") is not None]
    if len(curve) >= 2:
        w = slope_weights(curve)
        out["budget_slope"] = {"budgets": curve}
        for mm in metrics:
            Y = np.stack([values(f"selfqa-{main_source}-b{b}", "closed", mm) for b in curve])   # budgets x questions
            per_q = w @ Y
            out["budget_slope"][mm] = {}
            for s in strata:
                r = paired_diff(per_q[masks[s]], np.zeros(int(masks[s].sum())), level, seed=seed)
                out["budget_slope"][mm][s] = {"slope": r["diff"], "ci": r["ci"], "n": r["n"],
                                              "curve": [float(y) for y in Y[:, masks[s]].mean(1)]}
    return out
