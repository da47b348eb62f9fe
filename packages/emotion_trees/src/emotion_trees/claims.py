"""The paper's headline claims, checked on our analysis (verdicts computed, never typed in).

The dense-mode tree is our extension (the paper builds top-100 trees only), so its growth with
size is a check, not a claim of the paper (shared/reviews/claims_audit.md). The orderings below
are bare comparisons without a test yet; issue 30 adds the paired tests."""

from __future__ import annotations

from repro_core import Claim, Evidence

# Authors' reference trees (top-100 mode, t = 0.3; paper Fig. 2 / the authors' reference
# hierarchies): parameters, nodes, edges, total path length, average depth. The authors' script
# labels its GPT-2 as the 1.5B model (GPT-2 XL).
REFERENCE_TREES = {
    "GPT-2 (1.5B)": (1.5e9, 3, 2, 2, 1.00),
    "Llama-3.1-8B": (8e9, 51, 46, 66, 1.20),
    "Llama-3.1-70B": (70e9, 68, 61, 100, 1.37),
    "Llama-3.1-405B": (405e9, 63, 59, 103, 1.40),
}
# Llama-3.1-405B 6-way recognition accuracy by persona (paper Fig. 4).
REFERENCE_PERSONAS = {"neutral": 0.866, "income_high": 0.827, "income_low": 0.770,
                      "education_postgraduate": 0.849, "education_less": 0.742,
                      "lowincome_black_female": 0.739}
PAIRS = (("income_high", "income_low"), ("education_postgraduate", "education_less"))
LOWEST = "lowincome_black_female"


def by_size(a: dict) -> list[tuple[str, dict]]:
    return sorted(a["models"].items(), key=lambda kv: (kv[1]["n_params"], kv[0]))


def tpl_by_size(ctx, mode: str) -> dict:
    return {f"{m} ({r['n_params'] / 1e6:.3g}M)": r["trees"][mode]["total_path_length"]
            for m, r in by_size(ctx["analysis"])}


def strictly_increasing(d: dict) -> bool:
    v = list(d.values())
    return len(v) >= 2 and all(b > a for a, b in zip(v, v[1:]))


def purities(ctx) -> dict:
    out = {}
    for m, r in by_size(ctx["analysis"]):
        for mode, t in r["trees"].items():
            if t["edges"] >= ctx["cfg"].purity_min_edges:
                out[f"{m}/{mode}"] = {"purity": t["purity"], "chance": t["chance"]}
    return out


def largest_persona_acc(ctx) -> dict:
    _, r = by_size(ctx["analysis"])[-1]
    return {p: x["accuracy_primary"] for p, x in r["recognition"].items()}


def evaluated_persona_acc(ctx) -> dict:
    """As :func:`largest_persona_acc`, leaving out personas whose accuracy is undefined (no
    scenario got a label): the intersection claim compares the evaluated personas."""
    return {p: x for p, x in largest_persona_acc(ctx).items() if x is not None}


def _n_scenarios(ctx) -> int:
    _, r = by_size(ctx["analysis"])[-1]
    return min(x["n"] for x in r["recognition"].values())


def gaps(ctx) -> dict:
    acc = largest_persona_acc(ctx)
    return {p: acc[p] for pair in PAIRS for p in pair}


def gaps_hold(d: dict) -> bool:
    return all(d[a] is not None and d[b] is not None and d[a] > d[b] for a, b in PAIRS)


def lowest_holds(d: dict) -> bool:
    v = {p: x for p, x in d.items() if x is not None}
    return LOWEST in v and all(v[LOWEST] < x for p, x in v.items() if p != LOWEST)


_REF_TPL = ", ".join(f"{k} {v[3]}" for k, v in REFERENCE_TREES.items())

CLAIMS = [
    Claim(id="emotion_trees.tpl_grows_topk",
          statement="Emotion-tree complexity (total path length of the top-100 tree) grows with model size",
          paper=f"TPL {_REF_TPL} (Fig. 2)",
          compute=lambda ctx: tpl_by_size(ctx, "topk"), holds=strictly_increasing,
          criterion="top-100 TPL strictly increases with parameter count across our models",
          kind="paper", where="Fig. 2",
          threshold="direction only: a strict increase, as the paper's TPL rises with size within "
                    "one model family; no number to compare",
          evidence=lambda ctx: Evidence(len(ctx["analysis"]["models"]), "models (one tree each)"),
          scales=("full",)),
    Claim(id="emotion_trees.tpl_grows_dense",
          statement="The same growth with size in the dense mode (all single-token labels, not only the top 100)",
          paper=f"TPL {_REF_TPL} (Fig. 2, top-100 mode)",
          compute=lambda ctx: tpl_by_size(ctx, "dense"), holds=strictly_increasing,
          criterion="dense-mode TPL strictly increases with parameter count across our models",
          kind="check", scales=("quick", "full")),
    Claim(id="emotion_trees.purity",
          statement="Children share their parent's primary emotion group in non-trivial trees",
          paper="trees cluster by Shaver primary group (Fig. 2 colours)",
          compute=purities,
          holds=lambda d: len(d) > 0 and all(x["purity"] > x["chance"] for x in d.values()),
          criterion="edge purity > shuffled-group chance in every tree with >= purity_min_edges edges",
          kind="paper", where="Fig. 2 (node colours by primary group)",
          threshold="ours: above the shuffled-group chance level (the paper shows it qualitatively); a "
                    "bare comparison, no permutation test yet (issue 30)",
          evidence=lambda ctx: Evidence(len(purities(ctx)), "trees with >= purity_min_edges edges"),
          scales=("quick", "full")),
    Claim(id="emotion_trees.persona_gap",
          statement="Recognition is more accurate for majority/high-status personas (high income, postgraduate) "
                    "than for low income and less education",
          paper="405B 6-way: income high 0.827 vs low 0.770; education postgraduate 0.849 vs less 0.742 (Fig. 4)",
          compute=gaps, holds=gaps_hold,
          criterion="largest model: acc(income_high) > acc(income_low) and "
                    "acc(education_postgraduate) > acc(education_less), 6-way",
          kind="paper", where="Fig. 4",
          threshold="direction only (the paper's orderings); bare comparisons, no paired test yet "
                    "(issue 30 adds McNemar per pair)",
          evidence=lambda ctx: Evidence(_n_scenarios(ctx), "scenarios per persona (largest model)"),
          scales=("full",)),
    Claim(id="emotion_trees.intersection_lowest",
          statement="The low-income Black woman persona gets the lowest recognition accuracy",
          paper="405B 6-way: 0.739, lowest of all personas (neutral 0.866) (Fig. 4)",
          compute=evaluated_persona_acc, holds=lowest_holds,
          criterion="largest model: lowincome_black_female strictly lowest 6-way accuracy among evaluated personas "
                    "(a persona with no labelled scenario has no accuracy and is left out)",
          kind="paper", where="Fig. 4",
          threshold="direction only (strictly lowest, as in the paper); no test yet (issue 30 adds a "
                    "bootstrap over scenarios); in the authors' own numbers it is only 0.003 below the next",
          evidence=lambda ctx: Evidence(_n_scenarios(ctx), "scenarios per persona (largest model)"),
          scales=("full",)),
]
