# icl_emergence: "Next-token pretraining implies in-context learning" (arXiv 2505.18373).
# Thin rules; the science is in packages/icl_emergence.
ICLEM = "icl_emergence"


def _iclem_runs():
    """run name -> (source kind, architecture, number of coins)."""
    runs = {"mrname_transformer": ("mr_name", "transformer", None),
            "mrname_gru": ("mr_name", "gru", None)}
    for n in P(ICLEM, "n_coins"):
        runs[f"coins{n}_transformer"] = ("coins", "transformer", int(n))
    return runs


ICLEM_RUNS = _iclem_runs()


def iclem_reps(run):
    """Seed offsets of a run: the Mr. Name runs and the coin runs have their own lists."""
    key = "seeds" if ICLEM_RUNS[run][0] == "mr_name" else "coin_seeds"
    return [int(s) for s in P(ICLEM, key)]


def iclem_train_params(w):
    kind, arch, n = ICLEM_RUNS[w.run]
    source = {"kind": kind, **P(ICLEM, "mr_name")} if kind == "mr_name" else {"kind": kind, "n_coins": n}
    model = dict(P(ICLEM, "models", arch))
    d = {"source": source, "model": model, "seq_len": P(ICLEM, "seq_len"),
         **P(ICLEM, "train", kind), "device": config.get("device", "auto"),
         "seed": int(config["seed"]) + int(w.rep)}
    if "steps" in model:          # a per-architecture number of training steps
        d["steps"] = model.pop("steps")
    return json.dumps(d, sort_keys=True)


def iclem_out(kind, run, rep):
    return R(ICLEM, "models", f"{run}_s{rep}.pt") if kind == "model" \
        else R(ICLEM, "histories", f"{run}_s{rep}.npz")


def iclem_runs_param():
    return {run: {"kind": k, "arch": a, "n_coins": n,
                  "history": [iclem_out("history", run, r) for r in iclem_reps(run)],
                  "model": [iclem_out("model", run, r) for r in iclem_reps(run)]}
            for run, (k, a, n) in ICLEM_RUNS.items()}


wildcard_constraints:
    run="[a-z]+[0-9]*_[a-z]+",
    rep="[0-9]+",


rule icl_emergence_bayes:
    output: R(ICLEM, "bayes", "curves.npz")
    params:
        p=lambda w: params_json(ICLEM, "bayes", seq_len=P(ICLEM, "seq_len"),
                                n_coins=P(ICLEM, "n_coins"), **P(ICLEM, "mr_name")),
        code=code_hash(ICLEM),
        fail=maybe_fail("icl_emergence_bayes"),
    log: LOG(ICLEM, "bayes")
    threads: 1
    resources: mem_mb=2000, runtime=10
    cache: "omit-software"
    shell: "{params.fail}python -m icl_emergence bayes --threads {threads} --params {params.p:q} --out curves={output} 2> {log}"


rule icl_emergence_train:
    output:
        model=R(ICLEM, "models", "{run}_s{rep}.pt"),
        history=R(ICLEM, "histories", "{run}_s{rep}.npz"),
    params:
        p=iclem_train_params,
        code=code_hash(ICLEM),
        fail=maybe_fail("icl_emergence_train"),
    log: LOG(ICLEM, "train_{run}_s{rep}")
    threads: 1
    resources:
        **measured("icl_emergence_train", mem_mb=4000, runtime={"smoke": 5, "quick": 30, "full": 240}[SCALE], gpu=1 if SCALE == "full" else 0),
    cache: "omit-software"
    shell:
        "{params.fail}python -m icl_emergence train --threads {threads} --params {params.p:q} "
        "--out model_out={output.model} --out history_out={output.history} 2> {log}"


rule icl_emergence_analyze:
    input:
        curves=rules.icl_emergence_bayes.output,
        histories=[iclem_out("history", run, r) for run in ICLEM_RUNS for r in iclem_reps(run)],
        models=[iclem_out("model", run, r) for run in ICLEM_RUNS for r in iclem_reps(run)],
    output:
        summary=R(ICLEM, "summary.json"),
        data=R(ICLEM, "analysis", "data.npz"),
    params:
        p=lambda w: params_json(ICLEM, "analysis", seq_len=P(ICLEM, "seq_len"), runs=iclem_runs_param()),
        fail=maybe_fail("icl_emergence_analyze"),
    log: LOG(ICLEM, "analyze")
    benchmark: BENCH(ICLEM, "analyze")
    threads: 1
    resources: mem_mb=4000, runtime=20
    shell:
        "{params.fail}python -m icl_emergence analyze --threads {threads} --params {params.p:q} --in curves={input.curves} "
        "--out summary={output.summary} --out data={output.data} 2> {log}"


rule icl_emergence_figures:
    input:
        summary=rules.icl_emergence_analyze.output.summary,
        data=rules.icl_emergence_analyze.output.data,
    output:
        position_loss=report(R(ICLEM, "figures", "position_loss.png"), category=ICLEM,
                             caption="../report/icl_emergence/position_loss.rst"),
        transition=report(R(ICLEM, "figures", "transition.png"), category=ICLEM,
                          caption="../report/icl_emergence/transition.rst"),
        power_law=report(R(ICLEM, "figures", "power_law.png"), category=ICLEM,
                         caption="../report/icl_emergence/power_law.rst"),
        coupling=report(R(ICLEM, "figures", "prior_coupling.png"), category=ICLEM,
                        caption="../report/icl_emergence/prior_coupling.rst"),
    params:
        p=lambda w: params_json(ICLEM, "figures"),
        fail=maybe_fail("icl_emergence_figures"),
    log: LOG(ICLEM, "figures")
    benchmark: BENCH(ICLEM, "figures")
    threads: 1
    resources: mem_mb=2000, runtime=10
    shell:
        "{params.fail}python -m icl_emergence figures --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--in data={input.data} --out position_loss={output.position_loss} "
        "--out transition={output.transition} --out power_law={output.power_law} "
        "--out coupling={output.coupling} 2> {log}"


rule icl_emergence_claims:
    input: summary=rules.icl_emergence_analyze.output.summary
    output:
        claims=R(ICLEM, "claims.json"),
        note=report(R(ICLEM, "note.md"), category=ICLEM, caption="../report/icl_emergence/note.rst"),
    params:
        p=lambda w: params_json(ICLEM, scale=SCALE),
        code=code_hash("icl_emergence", report_only=True),
        fail=maybe_fail("icl_emergence_claims"),
    log: LOG(ICLEM, "claims")
    benchmark: BENCH(ICLEM, "claims")
    threads: 1
    resources: mem_mb=1000, runtime=5
    shell:
        "{params.fail}python -m icl_emergence claims --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--out claims_json={output.claims} --out note={output.note} 2> {log}"


rule icl_emergence:
    input:
        rules.icl_emergence_claims.output,
        rules.icl_emergence_figures.output,
