# Path and parameter helpers of workflow/rules/icl_emergence.smk (functions only: a rules file holds rules).


def _iclem_runs():
    """run name -> (source kind, architecture, number of coins)."""
    runs = {
        "mrname_transformer": ("mr_name", "transformer", None),
        "mrname_gru": ("mr_name", "gru", None),
    }
    for n in P(ICLEM, "n_coins"):
        runs[f"coins{n}_transformer"] = ("coins", "transformer", int(n))
    return runs


def iclem_reps(run):
    """Seed offsets of a run: the Mr. Name runs and the coin runs have their own lists."""
    key = "seeds" if ICLEM_RUNS[run][0] == "mr_name" else "coin_seeds"
    return [int(s) for s in P(ICLEM, key)]


def iclem_train_params(w):
    kind, arch, n = ICLEM_RUNS[w.iclem_run]
    source = (
        {"kind": kind, "mr_name": dict(P(ICLEM, "mr_name"))}
        if kind == "mr_name"
        else {"kind": kind, "coins": {"n_coins": n}}
    )
    model = dict(P(ICLEM, "models", arch))
    d = {
        "source": source,
        "model": model,
        "seq_len": P(ICLEM, "seq_len"),
        **P(ICLEM, "train", kind),
        "device": config.get("device", "auto"),
        "seed": int(config["seed"]) + int(w.iclem_rep),
    }
    if "steps" in model:  # a per-architecture number of training steps
        d["steps"] = model.pop("steps")
    return json.dumps(d, sort_keys=True)


def iclem_out(kind, run, rep):
    return (
        R(ICLEM, "models", f"{run}_s{rep}.pt")
        if kind == "model"
        else R(ICLEM, "histories", f"{run}_s{rep}.npz")
    )


def iclem_outs(kind):
    """Every train output of ``kind`` (history or model), in the order the analyze stage reads
    them (icl_emergence.analysis.run_files): runs by name, each run's seeds in iclem_reps order.
    """
    return [
        iclem_out(kind, run, r) for run in sorted(ICLEM_RUNS) for r in iclem_reps(run)
    ]


def iclem_runs_param():
    return {
        run: {"kind": k, "arch": a, "n_coins": n, "seeds": iclem_reps(run)}
        for run, (k, a, n) in ICLEM_RUNS.items()
    }
