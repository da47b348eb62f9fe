"""The paper's headline claims as checks on our results (summary.json of the analyze stage).

Paper claims use the paper's numbers (correlations 0.992 ID / 0.973 OOD, the authors' released
correlations file at V = 12, context 128, MLP x4) or, where the paper states a direction
("ends at M", "superlinear"), a margin fixed before any run (issue 26) and stated in
``threshold``. Noisy quantities are judged over training seeds with the test named in the
claim. The ordering of the two Bayes predictors, the slope of the *fitted model's* N*(D) and the
held-out correlation are checks (properties of the predictors, of our own fitted model, a goal
of ours), not tests of the paper."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core
from repro_core import Claim, Evidence
from repro_core.stats import mean_ci, sign_test

ANY = ("smoke", "quick", "full")
PAPER_R = {"id": 0.992, "ood": 0.973}     # authors' categorical-sequence_bms_correlations.jsonl, V=12, C=128, MLP x4
AT_M, AT_G = 0.8, 0.2                     # issue 26: "ends at M" r >= 0.8, "at G" r <= 0.2
TRANS_LOW, TRANS_HIGH = 0.35, 0.65        # issue 26: transient = min r <= 0.35 after warm-up, then >= 0.65
UNDER = ("quick trains 3e4 steps x batch 32 at context 32 and V = 8 (paper: 1e5 x 64 at context 128, "
         "V = 12). Measured (README, context pilot, D = 64 and 1024, seed 0): at context 64 and 128 "
         "D = 1024 stays at G (final r 0.04 against 0.20 at context 32) and the two-D ID correlation "
         "rises from 0.986 to 0.994 / 0.997; the README's Results say, per claim, what was measured")


def _smallest(ctx):
    return str(min(ctx["n_tasks"]))


def _largest(ctx):
    return str(max(ctx["n_tasks"]))


def _predictors(ctx):
    d = ctx["per_D"][_smallest(ctx)]
    return {"D": int(_smallest(ctx)), "M_id": d["kl_M_id"], "G_id": d["kl_G_id"],
            "M_ood": d["kl_M_ood"], "G_ood": d["kl_G_ood"]}


def _final(ctx, D):
    """Final ID relative distance at D in every seed, their mean and 95% t-interval (with one
    seed the interval is undefined: the claim says so by its n)."""
    v = [ctx["per_seed"][str(s)][D]["final_r_id"] for s in ctx["seeds"] if D in ctx["per_seed"][str(s)]]
    out = {"D": int(D), "mean": float(np.mean(v)), "per_seed": v}
    if len(v) >= 2:
        out["ci"] = list(mean_ci(v))
    return out


def _final_ev(ctx, D):
    v = _final(ctx, D)
    return Evidence(len(v["per_seed"]), f"training seeds at D = {D}", test="mean over seeds, 95% t-interval",
                    ci=tuple(v["ci"]) if "ci" in v else None)


def transient_seeds(ctx) -> dict:
    """Per seed, the intermediate D (strictly between the smallest and largest) whose ID relative
    distance falls to <= 0.35 after warm-up and ends >= 0.65."""
    out = {}
    for s in ctx["seeds"]:
        ps = ctx["per_seed"][str(s)]
        out[str(s)] = [int(D) for D in ctx["inner_D"] if str(D) in ps
                       and ps[str(D)]["min_r_id_after_warmup"] <= TRANS_LOW
                       and ps[str(D)]["final_r_id"] >= TRANS_HIGH]
    return out


def _transient(ctx):
    per = transient_seeds(ctx)
    k = sum(1 for v in per.values() if v)
    return {"seeds_with_transient": k, "n_seeds": len(per), "D_per_seed": per,
            "min_r_inner": {str(s): {str(D): ctx["per_seed"][str(s)][str(D)]["min_r_id_after_warmup"]
                                     for D in ctx["inner_D"]} for s in ctx["seeds"]},
            "final_r_inner": {str(s): {str(D): ctx["per_seed"][str(s)][str(D)]["final_r_id"]
                                       for D in ctx["inner_D"]} for s in ctx["seeds"]}}


def _corr(ctx, split, which=None, heldout=False):
    """The correlation on the headline rows (the authors' filtered rows unless the filter is
    off), with its Fisher-z interval, the all-row value beside it and the per-seed values."""
    f = ctx["fits"][which or ctx["headline"]]
    c = f[f"heldout_{split}" if heldout else f"corr_{split}"]
    if c["n"] < 4:
        return {"n_rows": c["n"]}
    out = {"r": c["r"], "ci": c["ci"], "n_rows": c["n"]}
    if not heldout:
        other = "all" if ctx["headline"] == "filtered" else "filtered"
        o = ctx["fits"][other][f"corr_{split}"]
        if o["n"] >= 4:
            out[f"{other}_rows"] = {"r": o["r"], "ci": o["ci"], "n_rows": o["n"]}
        out["per_seed_r"] = [ctx["seed_fits"][str(s)][f"corr_{split}"]["r"] for s in ctx["seeds"]
                             if ctx["seed_fits"][str(s)][f"corr_{split}"]["n"] >= 4]
    return out


def _reaches(v, target):
    """Not below the paper's r: our Fisher-z 95% interval reaches it (or we exceed it)."""
    return "ci" in v and v["ci"][1] >= target


def _slope(ctx):
    s = ctx["slope_empirical"]
    if s["n_D"] < 2:
        return {"n_D": s["n_D"], "n_runs": s["n_points"]}
    out = {"slope": s["slope"], "n_D": s["n_D"], "n_runs": s["n_points"],
           "D_seed_step": ctx["transition_points"]}
    if s["n_boot_used"] >= 2:
        out["ci"] = s["ci"]
    return out


def _alpha(ctx):
    a = [ctx["seed_fits"][str(s)]["params"]["alpha"] for s in ctx["seeds"]]
    a = [x for x in a if x is not None and math.isfinite(x)]
    out = {"alpha_primary_seed": ctx["params"]["alpha"], "per_seed": a, "n_seeds": len(a)}
    if len(a) >= 2:
        out["mean"], out["ci"] = float(np.mean(a)), list(mean_ci(a))
    return out


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
          compute=lambda ctx: _final(ctx, _smallest(ctx)),
          holds=lambda v: v["mean"] >= AT_M,
          criterion=f"final ID relative distance at the smallest D, mean over seeds >= {AT_M}",
          kind="paper", where="Fig. 1 (relative distance over training, small D)",
          threshold=f"a-priori margin (issue 26): {AT_M}, within 0.2 of M (1) where the paper's D = 4 "
                    "run ends at M; the paper gives no number",
          evidence=lambda ctx: _final_ev(ctx, _smallest(ctx))),
    Claim(id="icl_rational.large_D_generalizes",
          statement="Large task diversity ends at the generalizing predictor",
          paper="D >= 256 stays at G within 100k steps (Fig. 1)",
          compute=lambda ctx: _final(ctx, _largest(ctx)),
          holds=lambda v: v["mean"] <= AT_G,
          criterion=f"final ID relative distance at the largest D, mean over seeds <= {AT_G}",
          kind="paper", where="Fig. 1 (relative distance over training, large D)",
          threshold=f"a-priori margin (issue 26): {AT_G}, within 0.2 of G (0) where the paper's large-D "
                    "runs stay at G; the paper gives no number",
          evidence=lambda ctx: _final_ev(ctx, _largest(ctx)),
          note=UNDER),
    Claim(id="icl_rational.transient_generalization",
          statement="Intermediate task diversity generalizes transiently, then memorizes",
          paper="intermediate D: G first, then M (Fig. 1)",
          compute=_transient,
          holds=lambda v: v["n_seeds"] >= 3 and 3 * v["seeds_with_transient"] >= 2 * v["n_seeds"],
          criterion=f"in >= 2 of 3 seeds (>= 2/3 of >= 3 seeds), some D strictly between the smallest "
                    f"and largest has ID relative distance <= {TRANS_LOW} at a checkpoint after warm-up "
                    f"and >= {TRANS_HIGH} at the end",
          kind="paper", where="Fig. 1 (transient generalization at intermediate D)",
          threshold=f"a-priori margins (issue 26): {TRANS_LOW} / {TRANS_HIGH}, 0.15 either side of "
                    "half-way, so a run hovering at 1/2 does not count; the paper gives no number",
          evidence=lambda ctx: Evidence(len(ctx["seeds"]), "training seeds",
                                        test="count of seeds (one-sided sign test p, descriptive: "
                                             "3 seeds cannot reach p < 0.05)",
                                        p=sign_test(_transient(ctx)["seeds_with_transient"],
                                                    len(ctx["seeds"]))),
          note=UNDER),
    *[Claim(id=f"icl_rational.predicts_{split}",
            statement="The fitted hierarchical Bayesian model predicts the transformer's relative "
                      f"distance across training and D ({where})",
            paper=f"r = {PAPER_R[split]} ({split.upper()}; the authors' released correlations file, "
                  "V = 12, context 128, MLP x4" + (", paper text 0.97)" if split == "ood" else ")"),
            compute=lambda ctx, split=split: _corr(ctx, split),
            holds=lambda v, split=split: _reaches(v, PAPER_R[split]),
            criterion=f"Pearson r(predicted w_M, observed {split.upper()} relative distance) over the "
                      "(checkpoint, D) rows at or after the authors' interpolation threshold (first "
                      "seed, as the paper fits one run): the upper end of its Fisher-z 95% interval "
                      f">= {PAPER_R[split]}, i.e. not significantly below the paper's r "
                      "(all-row r reported beside it)",
            kind="paper", where="Sec. 4 (hierarchical Bayesian model's fit; authors' "
                                "results/categorical-sequence_bms_correlations.jsonl)",
            threshold=f"the paper's number, {PAPER_R[split]}",
            evidence=lambda ctx, split=split: Evidence(
                _corr(ctx, split)["n_rows"], "(checkpoint, D) rows of one training seed",
                test="Pearson r, Fisher-z 95% interval (nominal: rows along a run are not independent)",
                ci=tuple(_corr(ctx, split)["ci"]) if "ci" in _corr(ctx, split) else None),
            note=UNDER)
      for split, where in (("id", "in distribution"), ("ood", "out of distribution"))],
    Claim(id="icl_rational.predicts_heldout",
          statement="The fit also predicts the held-out last 20% of checkpoints and D values",
          paper="fit on the first 80% of checkpoints and D (Sec. 4); no held-out-only number",
          compute=lambda ctx: {"id": _corr(ctx, "id", heldout=True), "ood": _corr(ctx, "ood", heldout=True)},
          holds=lambda v: _reaches(v["id"], PAPER_R["id"]) and _reaches(v["ood"], PAPER_R["ood"]),
          criterion="held-out rows (at least 4): Fisher-z 95% interval reaches 0.992 ID and 0.973 OOD",
          kind="check"),
    Claim(id="icl_rational.superlinear_transition",
          statement="The transformer's own G -> M transition time grows superlinearly with task diversity",
          paper="superlinear N*(D) (Fig. 4; abstract)",
          compute=_slope,
          holds=lambda v: v["n_D"] >= 3 and "ci" in v and v["ci"][0] > 1.0,
          criterion="least-squares slope of log N on log D over every (D, seed) run with an observed "
                    "transition (the checkpoint from which its ID relative distance stays > 0.5, having "
                    "been below): >= 3 distinct D and the 95% bootstrap interval (runs resampled) above 1",
          kind="paper", where="Fig. 4 / abstract (superlinear transition time in D)",
          threshold="the paper's: slope 1 separates superlinear from (sub)linear",
          evidence=lambda ctx: Evidence(ctx["slope_empirical"]["n_points"], "(D, seed) training runs with a transition",
                                        test="percentile bootstrap of the log-log slope, runs resampled",
                                        ci=tuple(_slope(ctx)["ci"]) if "ci" in _slope(ctx) else None),
          note=UNDER),
    Claim(id="icl_rational.superlinear_transition_model",
          statement="The fitted model's transition time N*(D) grows superlinearly with D",
          paper="log-log slope of N*(D) > 1 (Fig. 4)",
          compute=lambda ctx: ctx["slope_model"],
          holds=lambda v: v > 1.0,
          criterion="least-squares slope of log N*(D) on log D (fitted model, our D values) > 1",
          kind="check"),
    Claim(id="icl_rational.sublinear_sample_efficiency",
          statement="Evidence for a strategy accumulates sub-linearly in training steps (N^(1-alpha), "
                    "0 < alpha < 1)",
          paper="alpha ~ 0.778 (Sec. 4, canonical fit)",
          compute=_alpha,
          holds=lambda v: "ci" in v and v["ci"][1] < 1.0 and v["ci"][0] > 0.0,
          criterion="alpha fitted on each training seed: 95% t-interval over seeds inside (0, 1) "
                    "(alpha > 0 holds by the fit's log-parameterisation; alpha < 1 is what is tested)",
          kind="paper", where="Sec. 4 (the model's sub-linear sample efficiency, alpha ~ 0.78)",
          threshold="the paper's: 1 (linear accumulation) and 0",
          evidence=lambda ctx: Evidence(_alpha(ctx)["n_seeds"], "training seeds (one fit each)",
                                        test="mean over seeds, 95% t-interval",
                                        ci=tuple(_alpha(ctx)["ci"]) if "ci" in _alpha(ctx) else None)),
]


@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def _f(x, spec=".4g"):
    if x is None:
        return "n/a"
    if isinstance(x, str):
        return x
    return format(x, spec)


def note_text(ctx: dict, records: list[dict], scale: str) -> str:
    p = ctx["params"]
    fl, al = ctx["fits"]["filtered"], ctx["fits"]["all"]

    def c(f, k):
        v = f[k]
        return f"{_f(v['r'], '.3f')} [{_f(v['ci'][0], '.3f')}, {_f(v['ci'][1], '.3f')}] (n = {v['n']})"

    se = ctx["slope_empirical"]
    lines = [f"# icl_rational ({scale} scale)", "",
             f"Seeds {ctx['seeds']}; the paper's fit and correlations are on seed {ctx['primary_seed']}. "
             f"Headline rows: {ctx['headline']} (authors' interpolation threshold at step "
             f"{_f(ctx['interpolation_threshold_step'][str(ctx['primary_seed'])])}).", "",
             f"Fitted hierarchical Bayesian model ({ctx['headline']} rows): alpha = {_f(p['alpha'])}, "
             f"beta = {_f(p['beta'])}, gamma = {_f(p['gamma'])} (paper's canonical fit: alpha ~ 0.778); "
             f"fit loss {_f(p['loss'])} nats on {p['n_rows']} (checkpoint, D) rows.", "",
             "| rows | r ID [Fisher-z 95%] | r OOD | held-out r ID | held-out r OOD | alpha |",
             "|---|---|---|---|---|---|",
             *[f"| {name} | {c(f, 'corr_id')} | {c(f, 'corr_ood')} | {c(f, 'heldout_id')} | "
               f"{c(f, 'heldout_ood')} | {_f(f['params']['alpha'])} |"
               for name, f in (("after the interpolation threshold (authors')", fl), ("all", al))],
             "", "Paper (authors' released file, V = 12): 0.992 ID / 0.973 OOD.", "",
             *_noise_lines(ctx.get("eval_noise")),
             f"Transformer's own transition times (D, seed, step): {ctx['transition_points']}; log-log "
             f"slope {_f(se['slope'])}, 95% bootstrap [{_f(se['ci'][0])}, {_f(se['ci'][1])}] "
             f"({se['n_points']} runs, {se['n_D']} D). Fitted model's N*(D) slope {_f(ctx['slope_model'])}.", "",
             "| D | K_M (bits) | K_G (bits) | L_M | L_G | KL_M ID | KL_G ID | KL_M OOD | KL_G OOD | "
             "final r ID per seed | min r after warm-up per seed | N* model |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for D in ctx["n_tasks"]:
        d, s = ctx["per_D"][str(D)], str(D)
        fin = ", ".join(_f(ctx["per_seed"][str(k)][s]["final_r_id"], ".3f") for k in ctx["seeds"])
        mn = ", ".join(_f(ctx["per_seed"][str(k)][s]["min_r_id_after_warmup"], ".3f") for k in ctx["seeds"])
        lines.append(f"| {D} | {d['K_M']} | {d['K_G']} | {_f(d['L_M'])} | {_f(d['L_G'])} | "
                     f"{_f(d['kl_M_id'])} | {_f(d['kl_G_id'])} | {_f(d['kl_M_ood'])} | {_f(d['kl_G_ood'])} | "
                     f"{fin} | {mn} | {_f(ctx['transition_model'][s])} |")
    lines += ["", "| claim | kind | ours | verdict |", "|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['kind']} | {r['ours']} | {r['status']} |" for r in records]
    return "\n".join(lines) + "\n"


def _noise_lines(noise) -> list:
    """How much of the ID correlation's shortfall evaluation noise can explain."""
    if not noise:
        return []
    sd = ", ".join(f"{D}: {_f(v, '.3f')}" for D, v in sorted(noise["sd_by_D"].items(), key=lambda kv: int(kv[0])))
    rows = "; ".join(f"{k}: reliability {_f(noise[k]['reliability'], '.4f')}, ceiling "
                     f"{_f(noise[k]['ceiling'], '.4f')}, disattenuated r {_f(noise[k]['disattenuated'], '.4f')}"
                     for k in ("filtered", "all"))
    return [f"Evaluation noise ({noise['n_eval']} sequences, bootstrap over them, primary seed): sd of r ID "
            f"per D {{{sd}}}; {rows}. A disattenuated r below the paper's is a misfit of the model, "
            "not evaluation noise.", ""]


def claims(cfg: ClaimsConfig, summary: Path, claims_json: Path, note: Path) -> None:
    ctx = repro_core.load_json(summary)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="icl_rational")
    repro_core.write_claims(records, claims_json)
    repro_core.save_text(note_text(ctx, records, cfg.scale), note)
