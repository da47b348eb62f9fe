# icl_rational (Wurgaft et al., arXiv 2506.17859): thin rules around `python -m icl_rational <stage>`.
#   train (one job per group of D values, batched in one program; checkpoints + resumes)
#   -> analyze (M/G predictors, relative distances, hierarchical Bayesian fit, N*(D))
#   -> figures, claims
ICLR = "icl_rational"
ICLR_FULL = SCALE == "full"


include: "helpers/icl_rational.smk"


ICLR_GROUPS = _iclr_groups()
ICLR_RUNS = [
    R(ICLR, "runs", f"D{g}_s{k}.npz")
    for k in range(int(P(ICLR, "train", "n_seeds")))
    for g in ICLR_GROUPS
]


wildcard_constraints:
    iclr_group="[0-9_]+",
    iclr_rep="[0-9]+",


rule icl_rational_train:
    output:
        R(ICLR, "runs", "D{iclr_group}_s{iclr_rep}.npz"),
    log:
        LOG(ICLR, "train_D{iclr_group}_s{iclr_rep}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "icl_rational_train",
            mem_mb=16000 if ICLR_FULL else 3000,
            runtime=720 if ICLR_FULL else 30,
            gpu=1 if ICLR_FULL else 0,
        ),
    params:
        p=iclr_train_params,
        code=code_hash(ICLR),
    shell:
        "python -m icl_rational train --threads {threads} --params {params.p:q} --out run={output} 2> {log}"


rule icl_rational_analyze:
    input:
        runs=ICLR_RUNS,
    output:
        summary=R(ICLR, "summary.json"),
        table=R(ICLR, "table.csv"),
        curves=R(ICLR, "curves.npz"),
    log:
        LOG(ICLR, "analyze"),
    benchmark:
        BENCH(ICLR, "analyze")
    threads: 1
    resources:
        mem_mb=32000 if ICLR_FULL else 4000,
        runtime=240 if ICLR_FULL else 20,
    params:
        p=lambda w: params_json(ICLR, "analyze", after_step=P(ICLR, "train", "warmup")),
        runs=lambda w, input: in_list(runs=input.runs),
    shell:
        "python -m icl_rational analyze --threads {threads} --params {params.p:q} {params.runs} "
        "--out summary={output.summary} --out table={output.table} --out curves={output.curves} 2> {log}"


rule icl_rational_figures:
    input:
        summary=rules.icl_rational_analyze.output.summary,
        table=rules.icl_rational_analyze.output.table,
        curves=rules.icl_rational_analyze.output.curves,
    output:
        rel_distance=report(
            R(ICLR, "figures", "rel_distance.png"),
            category=ICLR,
            caption="../report/icl_rational/rel_distance.rst",
        ),
        kl_curves=report(
            R(ICLR, "figures", "kl_curves.png"),
            category=ICLR,
            caption="../report/icl_rational/kl_curves.rst",
        ),
        phase=report(
            R(ICLR, "figures", "phase.png"),
            category=ICLR,
            caption="../report/icl_rational/phase.rst",
        ),
        transition=report(
            R(ICLR, "figures", "transition.png"),
            category=ICLR,
            caption="../report/icl_rational/transition.rst",
        ),
    log:
        LOG(ICLR, "figures"),
    benchmark:
        BENCH(ICLR, "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(ICLR, "figures"),
    shell:
        "python -m icl_rational figures --threads {threads} --params {params.p:q} "
        "--in summary={input.summary} --in table={input.table} --in curves={input.curves} "
        "--out rel_distance={output.rel_distance} --out kl_curves={output.kl_curves} "
        "--out phase={output.phase} --out transition={output.transition} 2> {log}"


rule icl_rational_claims:
    input:
        summary=rules.icl_rational_analyze.output.summary,
    output:
        claims=R(ICLR, "claims.json"),
        note=report(
            R(ICLR, "note.md"),
            category=ICLR,
            caption="../report/icl_rational/note.rst",
        ),
    log:
        LOG(ICLR, "claims"),
    benchmark:
        BENCH(ICLR, "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json(ICLR, scale=SCALE),
        code=code_hash("icl_rational", report_only=True),
    shell:
        "python -m icl_rational claims --threads {threads} --params {params.p:q} "
        "--in summary={input.summary} --out claims_json={output.claims} --out note={output.note} 2> {log}"


rule icl_rational:
    input:
        rules.icl_rational_claims.output,
        rules.icl_rational_figures.output,
