"""Claims of CT-OT Flow, each computed from our evaluation results.

Context: {"main": {dataset: [eval result per training seed]}, "sweep": {noise level: [...]}}
(see :func:`ctot_flow.evaluation.evaluate`).

Every comparison is over the training seeds (the data are the same for every seed): per seed the
ratio of CT-OT Flow's error to a baseline's, and the 95% t-interval of the mean log ratio over
seeds (a geometric-mean ratio with its CI). The baselines are the paper's, from the field's
library ``torchcfm``: OT-CFM (``tcfm_ot``) and the flow of [SF]2M (``tcfm_sb``); I-CFM
(``tcfm_i``) and our own OT-CFM (``otcfm``) are in the table. W2 has a sampling floor (what it
reads for a perfect model at the evaluation sample size): a baseline at the floor cannot be
beaten beyond noise, so a W2 comparison on a data set counts only where the baseline's W2 is
above the floor's upper range (``resolved``). Criteria fixed before the seeded results were seen.
"""

from __future__ import annotations

import numpy as np

from repro_core import Claim, Evidence
from repro_core.stats import mean_ci

PAPER_BASELINES = ("tcfm_ot", "tcfm_sb")      # OT-CFM and [SF]2M, as torchcfm implements them
NAMES = {"ctot": "CT-OT Flow", "otcfm": "OT-CFM (ours)", "tcfm_ot": "OT-CFM (torchcfm)",
         "tcfm_i": "I-CFM (torchcfm)", "tcfm_sb": "SB-CFM / [SF]2M flow (torchcfm)"}
EQUIV = (0.8, 1.25)                            # a-priori equivalence margin of two OT-CFMs


def ratio_ci(a: list[float], b: list[float], level: float = 0.95) -> dict:
    """Geometric-mean ratio a/b over paired seeds with the t-interval of the mean log ratio."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.size < 2:
        raise ValueError(f"need >= 2 paired seeds, got {a.size} and {b.size}")
    lr = np.log(a / b)
    lo, hi = mean_ci(lr, level=level)
    return {"ratio": float(np.exp(lr.mean())), "ci": [float(np.exp(lo)), float(np.exp(hi))],
            "seeds": int(a.size)}


def _metric(runs: list[dict], method: str, key: str) -> list:
    return [r["methods"][method][key] for r in runs]


def compare(group: dict, key: str, baselines=PAPER_BASELINES, floor: bool = True) -> dict:
    """{dataset: {baseline: ratio, ci, resolved}} of CT-OT Flow against each baseline."""
    out = {}
    for ds, runs in group.items():
        if runs[0]["methods"]["ctot"][key] is None:
            continue                               # e.g. no true paths for a stochastic process
        row = {}
        for b in baselines:
            if b not in runs[0]["methods"]:
                continue
            c = ratio_ci(_metric(runs, "ctot", key), _metric(runs, b, key))
            c["resolved"] = (min(_metric(runs, b, key)) > runs[0]["w2_floor_hi"]) if floor else True
            row[b] = c
        out[ds] = row
    return out


def comparison_holds(d: dict) -> bool:
    """At least one resolved comparison, and CT-OT's ratio CI below 1 in every resolved one."""
    resolved = [c for row in d.values() for c in row.values() if c["resolved"]]
    return len(resolved) > 0 and all(c["ci"][1] < 1 for c in resolved)


def _worst_upper(d: dict) -> float:
    ups = [c["ci"][1] for row in d.values() for c in row.values() if c["resolved"]]
    return max(ups) if ups else float("inf")


def _seeds(group: dict) -> int:
    return min(len(v) for v in group.values())


def worst_label_ratio(group: dict) -> float:
    return max(runs[0]["labels"]["mae_ratio"] for runs in group.values())


def floors(ctx) -> dict:
    """Sampling floor (mean W2 over held-out times, and its upper range) and each method's W2,
    mean over seeds, per main data set."""
    out = {}
    for ds, runs in ctx["main"].items():
        out[ds] = {"floor": runs[0]["w2_floor_mean"], "floor_hi": runs[0]["w2_floor_hi"],
                   **{m: float(np.mean(_metric(runs, m, "w2_mean"))) for m in runs[0]["methods"]}}
    return out


def ours_vs_torchcfm(ctx) -> dict:
    return {ds: ratio_ci(_metric(runs, "otcfm", "w2_mean"), _metric(runs, "tcfm_ot", "w2_mean"), level=0.90)
            for ds, runs in ctx["main"].items() if "tcfm_ot" in runs[0]["methods"]}


def results_table(groups: dict):
    """One row per dataset and method: label errors, the floor, and mean (sd) over training seeds
    of W1/W2/trajectory error."""
    import pandas as pd

    rows = []
    for ds, runs in groups.items():
        r0 = runs[0]
        for m in r0["methods"]:
            row = {"dataset": ds, "process": r0["process"], "time_noise": r0["time_noise"],
                   "method": NAMES.get(m, m), "seeds": len(runs),
                   "label_mae_midpoint": r0["labels"]["mae_midpoint"],
                   "label_mae_refined": r0["labels"]["mae_refined"],
                   "w2_floor": r0["w2_floor_mean"], "w2_floor_hi": r0["w2_floor_hi"]}
            for key in ("w1_mean", "w2_mean", "w2_true_start_mean", "traj_mean"):
                v = _metric(runs, m, key)
                if v[0] is None:
                    row[key], row[key + "_sd"] = np.nan, np.nan
                else:
                    row[key], row[key + "_sd"] = float(np.mean(v)), float(np.std(v, ddof=1)) if len(v) > 1 else 0.0
            rows.append(row)
    return pd.DataFrame(rows)


def _beats(name, statement, paper, group, key, criterion, where, unit, floor=True) -> Claim:
    base = " and ".join(NAMES[b] for b in PAPER_BASELINES)
    return Claim(id=f"ctot_flow.{name}", statement=statement, paper=paper,
                 compute=lambda ctx: compare(ctx[group], key, floor=floor), holds=comparison_holds,
                 criterion=criterion, kind="paper", where=where,
                 threshold=f"direction (the paper's 'lower than' {base}), resolved by the 95% CI of the "
                           "geometric-mean ratio over training seeds lying below 1 (fixed a priori)"
                           + ("; W2 comparisons only where the baseline is above the sampling floor "
                              "(mean + 2 sd of independent true samples of the evaluation size)" if floor else ""),
                 evidence=lambda ctx: Evidence(_seeds(ctx[group]), f"training seeds per {unit}",
                                               test="95% t-interval of the mean log ratio over seeds; "
                                                    "ci = the worst (largest) resolved upper bound's interval",
                                               ci=_worst_ci(compare(ctx[group], key, floor=floor))))


def _worst_ci(d: dict):
    cs = [c for row in d.values() for c in row.values() if c["resolved"]]
    return tuple(max(cs, key=lambda c: c["ci"][1])["ci"]) if cs else None


CLAIMS = [
    Claim(id="ctot_flow.label_error",
          statement="Partial-OT time labels beat window midpoints: mean absolute time-label error "
                    "ratio (refined / midpoint) < 0.5, on every synthetic process",
          paper="the paper infers high-resolution time labels by partial OT (abstract, method) and judges "
                "them through downstream errors; it gives no time-label error number",
          compute=lambda ctx: worst_label_ratio(ctx["main"]),
          holds=lambda v: v < 0.5,
          criterion="max over processes of MAE(refined)/MAE(midpoint) < 0.5",
          kind="paper", where="abstract; time-label inference by partial OT (method)",
          threshold="ours (the issue's 0.5, a halving of the midpoint error fixed a priori), not the "
                    "paper's: the paper gives no label-error number",
          evidence=lambda ctx: Evidence(len(ctx["main"]), "synthetic processes (labels do not depend on "
                                                          "the training seed)"),
          scales=("smoke", "quick", "full")),
    _beats("wdist", "CT-OT Flow has a lower W2 distance at held-out times than OT-CFM and [SF]2M "
                    "(torchcfm, window midpoints), on every synthetic process where W2 can tell them apart",
           "lower W-distance than OT-CFM, [SF]2M, TrajectoryNet, MFM, ENOT (synthetic + real)", "main", "w2_mean",
           "every process and paper baseline (OT-CFM, SB-CFM of torchcfm) whose W2 is above the sampling "
           "floor: 95% CI of W2(CT-OT)/W2(baseline) over training seeds below 1",
           "abstract; synthetic-benchmark results", "process"),
    _beats("trajectory", "CT-OT Flow has a lower trajectory error than OT-CFM and [SF]2M (torchcfm) on "
                         "every process with true deterministic paths",
           "lower trajectory error than all baselines (synthetic data)", "main", "traj_mean",
           "every deterministic process and paper baseline: 95% CI of traj-err(CT-OT)/traj-err(baseline) "
           "over training seeds below 1",
           "abstract; synthetic-benchmark results", "deterministic process", floor=False),
    _beats("noise_robust", "The advantage of CT-OT Flow over OT-CFM and [SF]2M (torchcfm) persists as "
                           "timestamp noise grows",
           "robust to timestamp noise (noise sweep)", "sweep", "w2_mean",
           "every timestamp-noise level and paper baseline above the floor: 95% CI of W2 ratio below 1",
           "timestamp-noise experiment", "noise level"),
    Claim(id="ctot_flow.otcfm_matches_torchcfm",
          statement="Our OT-CFM and torchcfm's OT-CFM reach the same W2 on the same data",
          paper="(ours) torchcfm's ExactOptimalTransportConditionalFlowMatcher",
          compute=ours_vs_torchcfm,
          holds=lambda d: len(d) > 0 and all(EQUIV[0] < c["ci"][0] and c["ci"][1] < EQUIV[1] for c in d.values()),
          criterion=f"on every main process the 90% CI of W2(ours)/W2(torchcfm) over training seeds lies "
                    f"within {EQUIV} (two one-sided tests at 5%)",
          kind="check", scales=("quick", "full")),
]
