"""Issue 25 pilot: do quick's 16 trials per batch (the paper: 128) cause the failures at long
delays and small learning rates that flatten our no-solution boundary?  Run by hand:

    python packages/stm_mechanisms/diagnostics/batch_pilot.py \
        --index results/stm_mechanisms/quick/tables/networks_index.csv --out /tmp/stm_batch

Why this measurement (``estimator_pilot.py``, 2026-12-07): the paper's estimator at 6 seeds per cell
returns -2.60 [-3.52, -2.01] (central 95% of 1,000 simulated sweeps) when the failed fraction
follows the paper's law, so seed noise does not explain our -1.01; a joint binomial fit to all our
cells gives an exponent 1.55 [1.3, 1.9] (the paper: 2.72).  Our small rates fail at long delays
where the paper's law has no failures: at lr 0.01 and delays >= 160 ms, 27 of 78 networks fail,
20 of them *lost* (learned, then lost the criterion), which gradient noise could do.  The trials of
a batch differ by their start rates and noise, so 16 trials per batch is a noisier gradient than
the paper's 128.

Fixed BEFORE the run (2026-12-07 19:50 UTC): lr 0.01 (3000 epochs, the quick rule), delays 200,
280, 340 and 400 ms, seeds 0-5 (the quick run's seeds: same initial networks), everything as the
quick config except ``n_trials`` = 128: 24 networks, against the same 24 (delay, seed) cells of the
quick run (batch 16).  Batch explains those failures if fewer fail at 128 than at 16, one-sided
Fisher exact test p < 0.05; the lost counts are reported beside.  One factor only (N stays 64).

Added 2026-12-07 19:40 UTC, after the batch result (17 of 24 failed at 128): ``--variant n100``, the
same 24 cells with N = 100 (the paper's) and quick's 16 trials per batch, fixed before its run: N
explains those failures if fewer fail at N 100 than in the quick run, one-sided Fisher p < 0.05.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

ROOT = Path(__file__).resolve().parents[3]
DELAY_STEPS = [40, 56, 68, 80]          # 200, 280, 340, 400 ms at dt 5 ms
LR = 0.01


VARIANTS = {"batch128": dict(n_trials=128), "n100": dict(n_hidden=100)}


def config(**over):
    import yaml

    from repro_core.config import from_dict, resolve_scale
    from stm_mechanisms.sweep import SweepConfig
    from stm_mechanisms.task import TaskConfig

    y = resolve_scale(yaml.safe_load((ROOT / "config" / "stm_mechanisms.yaml").read_text())["stm_mechanisms"],
                      "quick")
    sw = dict(y["sweep"], delays=DELAY_STEPS, lrs=[LR], n_chunks=1, chunk=0,
              task=from_dict(TaskConfig, y["task"]))
    sw.update(over)
    return from_dict(SweepConfig, sw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--variant", choices=list(VARIANTS), default="batch128")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    import repro_core
    from stm_mechanisms.sweep import sweep

    f = args.out / f"{args.variant}.npz"
    t0 = time.process_time()
    if not f.exists():
        sweep(config(**VARIANTS[args.variant]), f)
    cpu = time.process_time() - t0
    z = repro_core.load_npz(f)
    new = pd.DataFrame({"delay_ms": z["delay"] * 5.0, "seed": z["seed"], "learned": z["learned"].astype(bool),
                        "lost": z["lost"].astype(bool), "accuracy": z["accuracy"], "reliability": z["reliability"]})
    q = pd.read_csv(args.index)
    old = q[np.isclose(q.lr, LR) & q.delay_ms.isin(new.delay_ms.unique()) & (q.seed < 6)]
    assert len(old) == len(new) == 24, (len(old), len(new))
    f128, f16 = int((~new.learned).sum()), int((~old.learned.astype(bool)).sum())
    p = stats.fisher_exact([[f128, 24 - f128], [f16, 24 - f16]], alternative="less").pvalue
    res = dict(variant=args.variant, failed_variant=f128, failed_quick=f16, lost_variant=int(new.lost.sum()),
               lost_quick=int(old.lost.astype(bool).sum()), n=24, fisher_p_fewer_in_variant=float(p),
               variant_explains=bool(p < 0.05), cpu_s=cpu,
               per_delay=new.groupby("delay_ms").agg(failed=("learned", lambda s: int((~s).sum())),
                                                     lost=("lost", "sum")).reset_index().to_dict("records"),
               per_delay_quick=old.assign(failed=~old.learned.astype(bool)).groupby("delay_ms")
               [["failed", "lost"]].sum().reset_index().to_dict("records"))
    (args.out / f"summary_{args.variant}.json").write_text(json.dumps(res, indent=1, default=float))
    print(json.dumps(res, indent=1, default=float))


if __name__ == "__main__":
    main()
