"""The paper's headline claims as checks on our results (summary.json of the analyze stage).
Thresholds are the issue's (correlations >= 0.95 ID / >= 0.9 OOD at quick scale; transition
slope > 1); relative distance 0.5 (half-way between M and G) separates "at M" from "at G".
Several of these are looser than the paper's numbers (shared/reviews/claims_audit.md); each
claim's ``threshold`` says so, and issue 26 replaces them. The ordering of the two Bayes
predictors and the slope of the *fitted model's* N*(D) are checks, not tests of the paper."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import repro_core
from repro_core import Claim, Evidence

ANY = ("smoke", "quick", "full")


def _smallest(ctx):
    return str(min(ctx["n_tasks"]))


def _largest(ctx):
    return str(max(ctx["n_tasks"]))


def _predictors(ctx):
    d = ctx["per_D"][_smallest(ctx)]
    return {"D": int(_smallest(ctx)), "M_id": d["kl_M_id"], "G_id": d["kl_G_id"],
            "M_ood": d["kl_M_ood"], "G_ood": d["kl_G_ood"]}


def _heldout(ctx):
    """Held-out correlations; with fewer than 3 held-out rows (smoke scale) there is nothing to
    correlate: the criterion's "at least 3 rows" fails, reported without the correlations."""
    n = ctx["n_rows"] - ctx["n_fit_rows"]
    if n < 3:
        return {"n_rows": n}
    return {"n_rows": n, "id": ctx["corr_heldout_id"], "ood": ctx["corr_heldout_ood"]}


CLAIMS = [
    Claim(id="icl_rational.predictors",
          statement="At small task diversity the memorizing predictor beats the generalizing one "
                    "in distribution and is far worse out of distribution",
          paper="D=4: KL 0.011 (M) vs 0.079 (G) ID; M's OOD KL 0.53",
          compute=_predictors,
          holds=lambda v: v["M_id"] < v["G_id"] and v["M_ood"] > v["G_ood"],
          criterion="smallest D: KL_M < KL_G in distribution and KL_M > KL_G out of it",
          kind="check", scales=ANY),
    Claim(id="icl_rational.small_D_memorizes",
          statement="Small task diversity ends at the memorizing predictor",
          paper="D=4 ends at M (relative distance -> 1; Fig. 1)",
          compute=lambda ctx: ctx["final_r_id"][_smallest(ctx)],
          holds=lambda v: v > 0.5, criterion="final relative distance at the smallest D > 0.5",
          kind="paper", where="Fig. 1",
          threshold="ours, looser than the paper's: 1/2 (half-way between G and M) where the paper's "
                    "D = 4 run ends at M (relative distance -> 1); issue 26 replaces it (r >= 0.8)",
          evidence=lambda ctx: Evidence(1, "training run (one seed) at the smallest D")),
    Claim(id="icl_rational.large_D_generalizes",
          statement="Large task diversity ends at the generalizing predictor",
          paper="D >= 256 stays at G within 100k steps (Fig. 1)",
          compute=lambda ctx: ctx["final_r_id"][_largest(ctx)],
          holds=lambda v: v < 0.5, criterion="final relative distance at the largest D < 0.5",
          kind="paper", where="Fig. 1",
          threshold="ours, looser than the paper's: 1/2 (half-way between G and M) where the paper's "
                    "large-D runs stay at G (relative distance ~ 0); issue 26 replaces it (r <= 0.2)",
          evidence=lambda ctx: Evidence(1, "training run (one seed) at the largest D")),
    Claim(id="icl_rational.transient_generalization",
          statement="Intermediate task diversity generalizes transiently, then memorizes",
          paper="intermediate D: G first, then M (Fig. 1)",
          compute=lambda ctx: {"D": ctx["transient_D"],
                               "min_r": {d: ctx["min_r_id"][str(d)] for d in ctx["transient_D"]}},
          holds=lambda v: len(v["D"]) > 0,
          criterion="some D strictly between the smallest and largest has relative distance "
                    "< 0.5 at a checkpoint after warm-up and > 0.5 at the end",
          kind="paper", where="Fig. 1",
          threshold="ours, looser than the paper's: any crossing of 1/2 (0.457 -> 0.517 passes) where "
                    "the paper's intermediate-D runs go from G to M; issue 26 replaces it "
                    "(min r <= 0.35, then >= 0.65, in >= 2 of 3 seeds)",
          evidence=lambda ctx: Evidence(1, "training run (one seed) per D")),
    *[Claim(id=f"icl_rational.predicts_{split}",
            statement="The fitted hierarchical Bayesian model predicts the transformer's relative "
                      f"distance across training and D ({where})",
            paper=f"r = {paper_r} (urns, {split.upper()}"
                  + ("; the authors' released correlations file, V = 12)" if split == "ood" else ")"),
            compute=lambda ctx, split=split: ctx[f"corr_all_{split}"],
            holds=lambda v, t=threshold: v is not None and v >= t,
            criterion=f"Pearson r(predicted w_M, observed {split.upper()} relative distance) over "
                      f"all checkpoints x D >= {threshold}",
            kind="paper", where="Sec. 4, the hierarchical Bayesian model's fit (figure/table of the "
                                "correlation not yet located, see issue 26)",
            threshold=f"ours, looser than the paper's {paper_r} ({threshold} set by the issue for quick "
                      "scale); issue 26 replaces it with the paper's number",
            evidence=lambda ctx: Evidence(ctx["n_rows"], "(checkpoint, D) rows of one training seed",
                                          test="Pearson r over all rows"))
      for split, where, paper_r, threshold in (("id", "in distribution", "0.992", 0.95),
                                               ("ood", "out of distribution", "0.973", 0.9))],
    Claim(id="icl_rational.predicts_heldout",
          statement="The fit also predicts the held-out last 20% of checkpoints and D values",
          paper="fit on the first 80% of checkpoints and D (Sec. 4)",
          compute=_heldout,
          holds=lambda v: v["n_rows"] >= 3 and v["id"] >= 0.95 and v["ood"] >= 0.9,
          criterion="held-out rows (at least 3): r >= 0.95 ID and >= 0.9 OOD",
          kind="paper", where="Sec. 4 (fit on the first 80% of checkpoints and D)",
          threshold="ours: the paper reports no held-out-only correlation; 0.95 / 0.9 are the issue's "
                    "quick-scale numbers, looser than the paper's all-row 0.992 ID / 0.973 OOD (issue 26 "
                    "replaces them)",
          evidence=lambda ctx: Evidence(ctx["n_rows"] - ctx["n_fit_rows"],
                                        "held-out (checkpoint, D) rows of one training seed",
                                        test="Pearson r over the held-out rows")),
    Claim(id="icl_rational.superlinear_transition",
          statement="The transition time from G to M grows superlinearly with task diversity",
          paper="log-log slope of N*(D) > 1 (Fig. 4)",
          compute=lambda ctx: ctx["slope_model"],
          holds=lambda v: v > 1.0,
          criterion="least-squares slope of log N*(D) on log D (fitted model, our D values) > 1",
          kind="check"),
]


@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def _f(x, spec=".4g"):
    return "n/a" if x is None else format(x, spec)


def note_text(ctx: dict, records: list[dict], scale: str) -> str:
    p = ctx["params"]
    lines = [f"# icl_rational ({scale} scale)", "",
             f"Fitted hierarchical Bayesian model: alpha = {_f(p['alpha'])}, beta = {_f(p['beta'])}, "
             f"gamma = {_f(p['gamma'])} (paper's canonical fit: alpha ~ 0.778); fit loss "
             f"{_f(p['loss'])} nats on {p['n_rows']} (checkpoint, D) rows.", "",
             f"Correlation predicted vs observed relative distance: all rows ID {_f(ctx['corr_all_id'])}, "
             f"OOD {_f(ctx['corr_all_ood'])}; held-out rows ID {_f(ctx['corr_heldout_id'])}, "
             f"OOD {_f(ctx['corr_heldout_ood'])}; fit rows ID {_f(ctx['corr_fit_id'])}.", "",
             f"Transition time N*(D) log-log slope: model {_f(ctx['slope_model'])}, "
             f"empirical (last crossing of 0.5) {_f(ctx['slope_empirical'])}.", "",
             "| D | K_M (bits) | K_G (bits) | L_M | L_G | KL_M ID | KL_G ID | KL_M OOD | KL_G OOD | "
             "final r ID | final r OOD | N* model | N* observed |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for D in ctx["n_tasks"]:
        d, s = ctx["per_D"][str(D)], str(D)
        lines.append(f"| {D} | {d['K_M']} | {d['K_G']} | {_f(d['L_M'])} | {_f(d['L_G'])} | "
                     f"{_f(d['kl_M_id'])} | {_f(d['kl_G_id'])} | {_f(d['kl_M_ood'])} | {_f(d['kl_G_ood'])} | "
                     f"{_f(ctx['final_r_id'][s], '.3f')} | {_f(ctx['final_r_ood'][s], '.3f')} | "
                     f"{_f(ctx['transition_model'][s])} | {_f(ctx['transition_empirical'][s])} |")
    lines += ["", "| claim | ours | verdict |", "|---|---|---|"]
    lines += [f"| {r['id']} | {r['ours']} | {r['status']} |" for r in records]
    return "\n".join(lines) + "\n"


def claims(cfg: ClaimsConfig, summary: Path, claims_json: Path, note: Path) -> None:
    ctx = repro_core.load_json(summary)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="icl_rational")
    repro_core.write_claims(records, claims_json)
    repro_core.save_text(note_text(ctx, records, cfg.scale), note)
