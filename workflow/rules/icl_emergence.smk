# icl_emergence: "Next-token pretraining implies in-context learning" (arXiv 2505.18373).
# Thin rules; the science is in packages/icl_emergence.
ICLEM = "icl_emergence"


include: "helpers/icl_emergence.smk"


ICLEM_RUNS = _iclem_runs()


wildcard_constraints:
    iclem_run="[a-z]+[0-9]*_[a-z]+",
    iclem_rep="[0-9]+",


rule icl_emergence_bayes:
    output:
        R(ICLEM, "bayes", "curves.npz"),
    log:
        LOG(ICLEM, "bayes"),
    cache: "omit-software"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(
            ICLEM,
            "bayes",
            seq_len=P(ICLEM, "seq_len"),
            n_coins=P(ICLEM, "n_coins"),
            **P(ICLEM, "mr_name"),
        ),
        code=code_hash(ICLEM),
    shell:
        "python -m icl_emergence bayes --threads {threads} --params {params.p:q} --out curves={output} 2> {log}"


rule icl_emergence_train:
    output:
        model=R(ICLEM, "models", "{iclem_run}_s{iclem_rep}.pt"),
        history=R(ICLEM, "histories", "{iclem_run}_s{iclem_rep}.npz"),
    log:
        LOG(ICLEM, "train_{iclem_run}_s{iclem_rep}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "icl_emergence_train",
            mem_mb=4000,
            runtime={"smoke": 5, "quick": 30, "full": 240}[SCALE],
            gpu=1 if SCALE == "full" else 0,
        ),
    params:
        p=iclem_train_params,
        code=code_hash(ICLEM),
    shell:
        "python -m icl_emergence train --threads {threads} --params {params.p:q} "
        "--out model_out={output.model} --out history_out={output.history} 2> {log}"


rule icl_emergence_analyze:
    input:
        curves=rules.icl_emergence_bayes.output,
        histories=iclem_outs("history"),
        models=iclem_outs("model"),
    output:
        summary=R(ICLEM, "summary.json"),
        data=R(ICLEM, "analysis", "data.npz"),
    log:
        LOG(ICLEM, "analyze"),
    benchmark:
        BENCH(ICLEM, "analyze")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    params:
        p=lambda w: params_json(
            ICLEM, "analysis", seq_len=P(ICLEM, "seq_len"), runs=iclem_runs_param()
        ),
        lists=lambda w, input: in_list(histories=input.histories, models=input.models),
    shell:
        "python -m icl_emergence analyze --threads {threads} --params {params.p:q} --in curves={input.curves} "
        "{params.lists} --out summary={output.summary} --out data={output.data} 2> {log}"


rule icl_emergence_figures:
    input:
        summary=rules.icl_emergence_analyze.output.summary,
        data=rules.icl_emergence_analyze.output.data,
    output:
        position_loss=report(
            R(ICLEM, "figures", "position_loss.png"),
            category=ICLEM,
            caption="../report/icl_emergence/position_loss.rst",
        ),
        transition=report(
            R(ICLEM, "figures", "transition.png"),
            category=ICLEM,
            caption="../report/icl_emergence/transition.rst",
        ),
        power_law=report(
            R(ICLEM, "figures", "power_law.png"),
            category=ICLEM,
            caption="../report/icl_emergence/power_law.rst",
        ),
        coupling=report(
            R(ICLEM, "figures", "prior_coupling.png"),
            category=ICLEM,
            caption="../report/icl_emergence/prior_coupling.rst",
        ),
    log:
        LOG(ICLEM, "figures"),
    benchmark:
        BENCH(ICLEM, "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(ICLEM, "figures"),
    shell:
        "python -m icl_emergence figures --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--in data={input.data} --out position_loss={output.position_loss} "
        "--out transition={output.transition} --out power_law={output.power_law} "
        "--out coupling={output.coupling} 2> {log}"


rule icl_emergence_claims:
    input:
        summary=rules.icl_emergence_analyze.output.summary,
    output:
        claims=R(ICLEM, "claims.json"),
        note=report(
            R(ICLEM, "note.md"),
            category=ICLEM,
            caption="../report/icl_emergence/note.rst",
        ),
    log:
        LOG(ICLEM, "claims"),
    benchmark:
        BENCH(ICLEM, "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json(ICLEM, scale=SCALE),
        code=code_hash("icl_emergence", report_only=True),
    shell:
        "python -m icl_emergence claims --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--out claims_json={output.claims} --out note={output.note} 2> {log}"


rule icl_emergence:
    input:
        rules.icl_emergence_claims.output,
        rules.icl_emergence_figures.output,
