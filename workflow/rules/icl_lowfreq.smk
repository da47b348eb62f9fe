# icl_lowfreq (Yang, Tanaka, Hu; arXiv 2507.13540): thin rules around `python -m icl_lowfreq <stage>`.
#   exact (Track A: fixed-attention averaging model on every graph) -> figures -> claims
#   train (Track B: small transformer per graph, cached) -> analyse -> figure_trained, claims
#   lm (Track C: one pretrained LM on in-context random walks, per model) -> figure_lm, claims

ICL_LOWFREQ_FULL = SCALE == "full"
ICL_LOWFREQ_THREADS = int(P("icl_lowfreq", "trained", "threads"))


include: "helpers/icl_lowfreq.smk"


ICL_LOWFREQ_LM_MODELS = list(P("icl_lowfreq", "lm", "models"))
ICL_LOWFREQ_LM_SPECS = {
    m: {**spec, "name": m} for m, spec in P("icl_lowfreq", "lm", "model_specs").items()
}
ICL_LOWFREQ_LM_UNKNOWN = [
    m for m in ICL_LOWFREQ_LM_MODELS if m not in ICL_LOWFREQ_LM_SPECS
]
if ICL_LOWFREQ_LM_UNKNOWN:
    raise WorkflowError(
        f"config icl_lowfreq.lm.models names {', '.join(ICL_LOWFREQ_LM_UNKNOWN)}, not keys "
        f"of icl_lowfreq.lm.model_specs ({', '.join(ICL_LOWFREQ_LM_SPECS)})"
    )


wildcard_constraints:
    icl_lowfreq_graph="[a-z0-9]+",
    icl_lowfreq_model="[A-Za-z0-9._-]+",


rule icl_lowfreq_lm:
    output:
        metrics=R("icl_lowfreq", "lm", "{icl_lowfreq_model}.json"),
        table=R("icl_lowfreq", "lm", "{icl_lowfreq_model}.csv"),
    log:
        LOG("icl_lowfreq", "lm_{icl_lowfreq_model}"),
    benchmark:
        BENCH("icl_lowfreq", "lm_{icl_lowfreq_model}")
    threads: 1
    resources:
        mem_mb=6000,
        runtime=60 if ICL_LOWFREQ_FULL else 30,
    params:
        p=icl_lowfreq_lm_params,
    shell:
        "python -m icl_lowfreq lm --threads {threads} --params {params.p:q}"
        " --out metrics={output.metrics} --out table={output.table} 2> {log}"


rule icl_lowfreq_figure_lm:
    input:
        metrics=rules.icl_lowfreq_lm.output.metrics,
        table=rules.icl_lowfreq_lm.output.table,
    output:
        report(
            R("icl_lowfreq", "figures", "lm_{icl_lowfreq_model}.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/lm.rst",
        ),
    log:
        LOG("icl_lowfreq", "figure_lm_{icl_lowfreq_model}"),
    benchmark:
        BENCH("icl_lowfreq", "figure_lm_{icl_lowfreq_model}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("icl_lowfreq"),
    shell:
        "python -m icl_lowfreq figure_lm --threads {threads} --params {params.p:q}"
        " --in metrics={input.metrics} --in table={input.table} --out fig_lm={output} 2> {log}"


rule icl_lowfreq_train:
    output:
        R("icl_lowfreq", "models", "{icl_lowfreq_graph}.pt"),
    log:
        LOG("icl_lowfreq", "train_{icl_lowfreq_graph}"),
    cache: "omit-software"
    threads: ICL_LOWFREQ_THREADS
    resources:
        **measured(
            "icl_lowfreq_train",
            mem_mb=16000 if ICL_LOWFREQ_FULL else 2000,
            runtime=240 if ICL_LOWFREQ_FULL else 15,
            gpu=1 if ICL_LOWFREQ_FULL else 0,
        ),
    params:
        p=lambda w: params_json(
            "icl_lowfreq",
            "trained",
            "train",
            **P("icl_lowfreq", "trained", "model"),
            graph=w.icl_lowfreq_graph,
            threads=ICL_LOWFREQ_THREADS,
        ),
        code=code_hash("icl_lowfreq"),
    shell:
        "python -m icl_lowfreq train --threads {threads} --params {params.p:q} --out model_out={output} 2> {log}"


rule icl_lowfreq_analyse:
    input:
        rules.icl_lowfreq_train.output,
    output:
        R("icl_lowfreq", "trained", "{icl_lowfreq_graph}.json"),
    log:
        LOG("icl_lowfreq", "analyse_{icl_lowfreq_graph}"),
    benchmark:
        BENCH("icl_lowfreq", "analyse_{icl_lowfreq_graph}")
    threads: ICL_LOWFREQ_THREADS
    resources:
        mem_mb=8000 if ICL_LOWFREQ_FULL else 2000,
        runtime=30 if ICL_LOWFREQ_FULL else 10,
    params:
        p=lambda w: params_json(
            "icl_lowfreq",
            "trained",
            "analyse",
            **P("icl_lowfreq", "trained", "model"),
            graph=w.icl_lowfreq_graph,
            threads=ICL_LOWFREQ_THREADS,
        ),
    shell:
        "python -m icl_lowfreq analyse --threads {threads} --params {params.p:q} --in model_in={input} --out metrics={output} 2> {log}"


rule icl_lowfreq_figure_trained:
    input:
        trained=icl_lowfreq_trained(),
    output:
        report(
            R("icl_lowfreq", "figures", "trained.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/trained.rst",
        ),
    log:
        LOG("icl_lowfreq", "figure_trained"),
    benchmark:
        BENCH("icl_lowfreq", "figure_trained")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("icl_lowfreq"),
        trained=lambda w, input: in_list(trained=input.trained),
    shell:
        "python -m icl_lowfreq figure_trained --threads {threads} --params {params.p:q} {params.trained} --out fig_trained={output} 2> {log}"


rule icl_lowfreq_exact:
    output:
        metrics=R("icl_lowfreq", "exact", "metrics.json"),
        layers=R("icl_lowfreq", "exact", "layers.csv"),
        context=R("icl_lowfreq", "exact", "context.csv"),
        snapshots=R("icl_lowfreq", "exact", "snapshots.npz"),
    log:
        LOG("icl_lowfreq", "exact"),
    benchmark:
        BENCH("icl_lowfreq", "exact")
    threads: 1
    resources:
        mem_mb=8000 if ICL_LOWFREQ_FULL else 2000,
        runtime=60 if ICL_LOWFREQ_FULL else 10,
    params:
        p=lambda w: params_json("icl_lowfreq", "exact"),
    shell:
        "python -m icl_lowfreq exact --threads {threads} --params {params.p:q}"
        " --out metrics={output.metrics} --out layers={output.layers}"
        " --out context={output.context} --out snapshots={output.snapshots} 2> {log}"


rule icl_lowfreq_figures:
    input:
        metrics=rules.icl_lowfreq_exact.output.metrics,
        layers=rules.icl_lowfreq_exact.output.layers,
        context=rules.icl_lowfreq_exact.output.context,
        snapshots=rules.icl_lowfreq_exact.output.snapshots,
    output:
        pca=report(
            R("icl_lowfreq", "figures", "pca.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/pca.rst",
        ),
        energy=report(
            R("icl_lowfreq", "figures", "energy.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/energy.rst",
        ),
        spectrum=report(
            R("icl_lowfreq", "figures", "spectrum.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/spectrum.rst",
        ),
        noise=report(
            R("icl_lowfreq", "figures", "noise.png"),
            category="icl_lowfreq",
            caption="../report/icl_lowfreq/noise.rst",
        ),
    log:
        LOG("icl_lowfreq", "figures"),
    benchmark:
        BENCH("icl_lowfreq", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("icl_lowfreq", "figures"),
    shell:
        "python -m icl_lowfreq figures --threads {threads} --params {params.p:q}"
        " --in metrics={input.metrics} --in layers={input.layers} --in context={input.context}"
        " --in snapshots={input.snapshots} --out fig_pca={output.pca} --out fig_energy={output.energy}"
        " --out fig_spectrum={output.spectrum} --out fig_noise={output.noise} 2> {log}"


rule icl_lowfreq_claims:
    input:
        metrics=rules.icl_lowfreq_exact.output.metrics,
        trained=icl_lowfreq_trained(),
        lm=icl_lowfreq_lm(),
    output:
        R("icl_lowfreq", "claims.json"),
    log:
        LOG("icl_lowfreq", "claims"),
    benchmark:
        BENCH("icl_lowfreq", "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json("icl_lowfreq", scale=SCALE),
        lists=lambda w, input: in_list(trained=input.trained, lm=input.lm),
        code=code_hash("icl_lowfreq", report_only=True),
    shell:
        "python -m icl_lowfreq claims --threads {threads} --params {params.p:q}"
        " --in metrics={input.metrics} {params.lists} --out claims_json={output} 2> {log}"


rule icl_lowfreq:
    input:
        rules.icl_lowfreq_claims.output,
        rules.icl_lowfreq_figures.output,
        rules.icl_lowfreq_figure_trained.output,
        expand(
            rules.icl_lowfreq_figure_lm.output[0],
            icl_lowfreq_model=ICL_LOWFREQ_LM_MODELS,
        ),
