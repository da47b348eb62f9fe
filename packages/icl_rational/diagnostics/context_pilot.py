"""Does the quick run's remaining misfit come from its short context? (issue 26)

Quick trains at context 32 (paper 128). The Bayesian model's ID correlation is 0.85-0.97 and
its largest residuals sit at D = 64 (the transient) and D = 1024 (the transformer drifts from
G toward M late in training, r_id 0.07 -> 0.2). At context 32 M and G are only 0.008 nats apart
at D = 1024, so the hypothesis is that a longer context separates them and removes the drift.

Pilot (fixed before its result was seen): the train stage with the quick settings except
context = 128 (the paper's) and D = {64, 1024}, one seed (0), 30k steps; compared with the same
two D values of the quick run (context 32, seed 0). Measured per context:
  1. D = 1024: final r_id and the drift (final minus minimum after warm-up); the quick claim
     "large D ends at G" asks r_id <= 0.2.
  2. D = 64: minimum r_id after warm-up and final r_id (transient, then M).
  3. The same two-D analysis at both contexts: the package's own analysis (interpolation
     filter on, the paper's 80 % split) on D = {64, 1024} only, its ID / OOD correlation, and
     the M-G loss gap L_G - L_M per D.
The hypothesis is supported if at context 128 the D = 1024 drift shrinks below half of
context 32's and the two-D ID correlation rises; refuted if neither.

Run (about 23 CPU-min for the training at context 128 on one core):
  python -m icl_rational train --threads 1 --params-file ctx128.json --out run=pilot.npz
  python packages/icl_rational/diagnostics/context_pilot.py --pilot ctx64.npz ctx128.npz \
      --quick results/icl_rational/quick/runs/D4_16_64_s0.npz \
              results/icl_rational/quick/runs/D128_256_1024_s0.npz --out pilot.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np

from icl_rational import analysis

KEEP = (64, 1024)
PER_D = ("pool_{D}", "id_theta_{D}", "id_tokens_{D}")


def subset(src: Path, keep, dst: Path) -> bool:
    """Write ``src`` with only the D values in ``keep``; False if it has none of them."""
    z = dict(np.load(src))
    Ds = z["n_tasks"].tolist()
    idx = [i for i, D in enumerate(Ds) if D in keep]
    if not idx:
        return False
    out = {k: v for k, v in z.items() if not any(k.startswith(p.split("{")[0]) for p in PER_D)}
    out["n_tasks"] = np.array([Ds[i] for i in idx])
    for k in ("id_probs", "ood_probs", "train_loss"):
        out[k] = z[k][:, idx]
    for i in idx:
        for p in PER_D:
            out[p.format(D=Ds[i])] = z[p.format(D=Ds[i])]
    np.savez(dst, **out)
    return True


def measure(files: list[Path], tmp: Path, tag: str) -> dict:
    runs = []
    for k, f in enumerate(files):
        dst = tmp / f"{tag}_{k}.npz"
        if subset(f, KEEP, dst):
            runs.append(str(dst))
    cfg = analysis.AnalyzeConfig(n_loss=2000, fit_fraction=0.8, crossing=0.5,
                                 after_step=500, interpolation_filter=True,
                                 interpolation_percentile=0.2, n_boot=200, n_boot_noise=20, seed=0)
    out = {k: tmp / f"{tag}_{k}" for k in ("summary.json", "table.csv", "curves.npz")}
    analysis.analyze(cfg, [Path(r) for r in runs], out["summary.json"], out["table.csv"], out["curves.npz"])
    s = json.loads(out["summary.json"].read_text())
    res = {"context": int(next(iter(s["per_D"].values()))["context"])}
    for D in KEEP:
        ps = s["per_seed"][str(s["primary_seed"])][str(D)]
        per = s["per_D"][str(D)]
        res[f"D{D}"] = {"final_r_id": ps["final_r_id"],
                        "min_r_id_after_warmup": ps["min_r_id_after_warmup"],
                        "drift": ps["final_r_id"] - ps["min_r_id_after_warmup"],
                        "L_M": per.get("L_M"), "L_G": per.get("L_G")}
    for k in ("filtered", "all"):
        f = s["fits"][k]
        res[f"corr_{k}"] = {"id": f["corr_id"]["r"], "ood": f["corr_ood"]["r"], "n": f["corr_id"]["n"]}
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pilot", type=Path, nargs="+", required=True,
                    help="train outputs at other contexts (one file each, D = 64 and 1024)")
    ap.add_argument("--quick", type=Path, nargs="+", required=True,
                    help="the quick run's seed-0 files holding D = 64 and D = 1024")
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as t:
        res = {"quick": measure(a.quick, Path(t), "quick")}
        for k, f in enumerate(a.pilot):
            m = measure([f], Path(t), f"pilot{k}")
            res[f"context_{m['context']}"] = m
    a.out.write_text(json.dumps(res, indent=1))
    print(json.dumps(res, indent=1))


if __name__ == "__main__":
    main()
