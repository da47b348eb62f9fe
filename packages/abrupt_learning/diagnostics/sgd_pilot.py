"""Issue 25 pilot: does full-batch SGD, the optimiser of the authors' group's public RNN code,
give the plateau-then-drop regime ("abrupt learning in most runs") where our Adam runs escape
the silent plateau fast?  Not part of the pipeline; run by hand:

    nice -n 10 env OMP_NUM_THREADS=1 \
        XLA_FLAGS="--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1" \
        python packages/abrupt_learning/diagnostics/sgd_pilot.py --out results/abrupt_learning/sgd_pilot

It uses the package's own task (delayed addition, the paper's task, at the quick size T = 60),
network (leaky tanh RNN, alpha = 0.5, N = 32, the quick size; the paper's leaky firing-rate RNN),
BPTT, temporal-consistency regulariser, training loop (``train.train_grid``, vmapped over
networks), detector (``stages.run_table`` -> ``detect.analyse_run``) and claim statistics
(``claims._abrupt``, ``_gr``, ``_speed``).  Each setting trains 8 seeds x 2 gains x 2 lambdas
(32 networks); the settings share their initial networks net by net.  Run at 388d649, before 2214cff
fixed the package's init: the lambda = 3 copies were then other draws than the lambda = 0 ones (and
``sgd_long``'s smaller grid drew other networks); a rerun now gives other numbers.

Fixed BEFORE the run (2026-12-07 ~17:10 UTC), everything below:

* Settings
  - ``sgd``: full batch (one fixed training set of 64 delayed-addition trials, the whole set at
    every epoch, as in the authors' code: ghost-mechanism trains on a fixed data set, one step per
    epoch, torch SGD), SGD with heavy-ball momentum 0.9 (issue 25: "full-batch SGD(+momentum)"),
    lr 0.03, global-norm clip 1 (the package's clip), 12000 epochs.  lr and clip come from a
    1500-epoch loss-only scan on OTHER seeds (100-107, g 0.6/0.7, lambda 0; nothing detected):
    momentum 0.9 without clipping, lr 0.01 and 0.03: no net below loss 0.85 at epoch 1500 (most at
    the silent plateau's 0.993); with clip 1 at lr 0.03, 7 of 16 below 0.6; lr 0.1 (clip 1) spiked
    (max loss up to 2.0) and left 14 of 16 above 0.9; plain SGD (no momentum, no clip) at
    lr 0.1 gave NaN in 1 of 16 within 110 epochs.  The authors' lr range (1e-3-2e-2 on torch's
    mean MSE) is ~6x smaller on our normalised loss (addition: loss = 6 x mean MSE), too slow here.
  - ``adam``: the package's current quick setting (fresh batch of 16 every step, Adam lr 2e-3,
    clip 1, 6000 steps).
  - ``adam_full``: Adam lr 2e-3, clip 1, on the same fixed 64-trial set as ``sgd`` (full batch),
    6000 epochs: separates the optimiser from full-batch training.
* Grid: seeds 110-117 (never the quick seeds 0-7 nor the scan's 100-107), gains 0.6 and 0.7 (the
  plateau regime of issue 25 and of the quick config), lambda 0 and 3 (quick's lam_ref), BPTT.
* Probe every 10 steps (the GR measure and the probe loss); 10-step resolution of the lead.
* Detector: the quick config's thresholds (drop >= 5x within <= 10% of training, the first such
  fall; plateau at least as long as the drop; plateau_tol 0.15 decades; learned < 0.1; GR peak
  >= 3x its median), smoothing 5 probe intervals = 50 steps (quick: 25 intervals of 2 = 50 steps).
* "Abrupt in most runs" for a setting = the quick claim's test: lambda = 0, both gains pooled
  (16 runs), 95% Clopper-Pearson lower end > 1/2, i.e. at least 13 of 16 abrupt.  Per cell a
  simple majority (>= 5 of 8) is also reported.  GR precedes: abrupt runs of all lambdas, lead > 0
  in more than half and one-sided sign test p < 0.05.  Regulariser: paired (seed, gain) log
  steps-to-learn, lambda 3 vs 0, median ratio < 1 and one-sided Wilcoxon p < 0.05.

Follow-up, added at 17:50 UTC AFTER seeing the three settings above (exploratory, for sizing a full-scale
run, not a test): ``sgd_long`` = ``sgd`` at lambda 0 only, 30000 epochs (full-batch training is
deterministic, so its first 12000 epochs are the ``sgd`` runs'), to see how many more runs leave the plateau
and whether they still do so abruptly.  Same detector (its drop window, 10% of training, becomes 3000
epochs) and the same count of 13 of 16 for "most runs".
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEEDS = tuple(range(110, 118))
GAINS = (0.6, 0.7)
LAMS = (0.0, 3.0)
LAM_REF = 3.0
N, ALPHA, T = 32, 0.5, 60
TRAIN_TRIALS = 64
EVAL_EVERY = 10
MOST = 13             # of 16: 95% Clopper-Pearson lower end > 1/2
SETTINGS = {
    "sgd": dict(optimizer="sgd", momentum=0.9, lr=0.03, clip=1.0, train_trials=TRAIN_TRIALS, batch=TRAIN_TRIALS,
                n_steps=12000),
    "adam": dict(optimizer="adam", momentum=0.9, lr=2e-3, clip=1.0, train_trials=0, batch=16, n_steps=6000),
    "sgd_long": dict(optimizer="sgd", momentum=0.9, lr=0.03, clip=1.0, train_trials=TRAIN_TRIALS,
                     batch=TRAIN_TRIALS, n_steps=30000, lams=(0.0,)),
    "adam_full": dict(optimizer="adam", momentum=0.9, lr=2e-3, clip=1.0, train_trials=TRAIN_TRIALS,
                      batch=TRAIN_TRIALS, n_steps=6000),
}


def detect_spec():
    from abrupt_learning.detect import DetectSpec

    return DetectSpec(smooth=5, drop_factor=5.0, drop_frac=0.1, plateau_tol=0.15, learn_thresh=0.1,
                      gr_factor=3.0)


def analyse_config():
    """The detector of the pilots; no end-of-training fixed points (fp_end_tasks empty), so the fp_*
    values are not used."""
    from abrupt_learning.stages import AnalyseConfig

    return AnalyseConfig(detect=detect_spec(), fp_end_tasks=[], fp_rule="bptt", fp_starts=64, fp_steps=1000,
                         fp_lr=0.01, q_tol=1e-6, fp_tol=0.05, fp_every=1)


def task_spec():
    """The pilot's task parameters (addition: p_flip is unused), as the pilot ran them."""
    from abrupt_learning import tasks

    return tasks.TaskSpec(T=T, stim_frac=0.25, go_frac=0.75, mu=0.25, sigma=1.0, p_flip=0.05)


def spec_of(name: str):
    from abrupt_learning import train

    s = SETTINGS[name]
    return train.GridSpec(task="addition", rule="bptt", N=N, alpha=ALPHA, batch=s["batch"], probe_batch=16,
                          n_steps=s["n_steps"], eval_every=EVAL_EVERY, lr=s["lr"], clip=s["clip"], seeds=SEEDS,
                          gains=GAINS, lams=s.get("lams", LAMS), task_spec=task_spec(), snap_every=10 ** 9,
                          ckpt_every=200, optimizer=s["optimizer"], momentum=s["momentum"],
                          train_trials=s["train_trials"])


def run_setting(name: str, out: Path) -> float:
    """Train one setting (resumes from its checkpoint); CPU seconds spent in this call."""
    from abrupt_learning.train import train_grid

    t0 = time.process_time()
    train_grid(spec_of(name), out / f"{name}.npz", desc=name)
    return time.process_time() - t0


def summarise(name: str, z: dict) -> tuple[pd.DataFrame, dict]:
    from abrupt_learning import claims
    from abrupt_learning.stages import run_table

    rt = run_table(z, analyse_config())
    rt.insert(0, "setting", name)
    rt["final_probe_loss"] = np.asarray(z["probe_loss"])[rt.net.to_numpy(), -1]   # held-out trials
    has_ref = bool(np.isclose(rt.lam, LAM_REF).any())
    ctx = claims.build_context(rt, LAM_REF if has_ref else 0.0, list(GAINS), [GAINS[0]])
    r = ctx["runs"]
    cells = {}
    for (g, lam), c in r.groupby(["gain", "lam"]):
        ab = c[c.abrupt]
        cells[f"g{g}_lam{lam:g}"] = {
            "learned": int(c.learned.sum()), "abrupt": int(c.abrupt.sum()), "n": int(len(c)),
            "majority_abrupt": bool(c.abrupt.sum() >= (len(c) // 2 + 1)),
            "plateau_len_abrupt": sorted(ab.plateau_len.astype(int).tolist()),
            "drop_width_abrupt": sorted(ab.drop_width.astype(int).tolist()),
            "steps_to_learn": sorted(c.steps_to_learn.dropna().astype(int).tolist()),
            "final_probe_loss_median": float(np.median(c.final_probe_loss))}
    a = claims._abrupt(ctx, "bptt")
    out = {"abrupt": a, "most_runs_abrupt": bool(a["n_abrupt"] >= MOST and a["ci_low"] > 0.5),
           "gr_precedes": claims._gr(ctx, "bptt"),
           "reg_speedup": claims._speed(ctx, "bptt") if has_ref else {}, "cells": cells}
    return rt, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--settings", nargs="+", default=["sgd", "adam", "adam_full"], choices=list(SETTINGS))
    args = ap.parse_args()
    import repro_core

    args.out.mkdir(parents=True, exist_ok=True)
    summ_path = args.out / "summary.json"
    summary = json.loads(summ_path.read_text()) if summ_path.exists() else {}
    tables = []
    for name in args.settings:
        f = args.out / f"{name}.npz"
        cpu = None
        if not f.exists():
            cpu = run_setting(name, args.out)
        rt, s = summarise(name, repro_core.load_npz(f))
        s["train_cpu_s"] = cpu if cpu is not None else summary.get(name, {}).get("train_cpu_s")
        s["setting"] = SETTINGS[name]
        summary[name] = s
        tables.append(rt)
        summ_path.write_text(json.dumps(summary, indent=1, default=float))
        print(name, json.dumps({k: s[k] for k in ("abrupt", "most_runs_abrupt", "gr_precedes", "reg_speedup",
                                                    "train_cpu_s")}, default=float), flush=True)
        for k, c in s["cells"].items():
            print("  ", k, c, flush=True)
    old = args.out / "runs.csv"
    prev = pd.read_csv(old) if old.exists() else pd.DataFrame()
    if len(prev):
        prev = prev[~prev.setting.isin(args.settings)]
    pd.concat([prev, *tables], ignore_index=True).to_csv(old, index=False)


if __name__ == "__main__":
    main()
