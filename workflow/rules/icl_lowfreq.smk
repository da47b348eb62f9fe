# icl_lowfreq (Yang, Tanaka, Hu; arXiv 2507.13540): thin rules around `python -m icl_lowfreq <stage>`.
#   exact (Track A: fixed-attention averaging model on every graph) -> figures -> claims
# Track B (trained transformer) and Track C (pretrained LM) are not implemented yet.

ICL_LOWFREQ_FULL = SCALE == "full"


rule icl_lowfreq_exact:
    output:
        metrics=R("icl_lowfreq", "exact", "metrics.json"),
        layers=R("icl_lowfreq", "exact", "layers.csv"),
        context=R("icl_lowfreq", "exact", "context.csv"),
        snapshots=R("icl_lowfreq", "exact", "snapshots.npz"),
    params:
        p=lambda w: params_json("icl_lowfreq", "exact"),
        fail=maybe_fail("icl_lowfreq_exact"),
    log: LOG("icl_lowfreq", "exact")
    threads: 1
    resources: mem_mb=8000 if ICL_LOWFREQ_FULL else 2000, runtime=60 if ICL_LOWFREQ_FULL else 10
    shell:
        "{params.fail}" + stage("icl_lowfreq", "exact") + " --params {params.p:q}"
        " --out metrics={output.metrics} --out layers={output.layers}"
        " --out context={output.context} --out snapshots={output.snapshots} 2> {log}"


rule icl_lowfreq_figures:
    input:
        metrics=R("icl_lowfreq", "exact", "metrics.json"),
        layers=R("icl_lowfreq", "exact", "layers.csv"),
        context=R("icl_lowfreq", "exact", "context.csv"),
        snapshots=R("icl_lowfreq", "exact", "snapshots.npz"),
    output:
        pca=report(R("icl_lowfreq", "figures", "pca.png"), category="icl_lowfreq",
                   caption="../report/icl_lowfreq/pca.rst"),
        energy=report(R("icl_lowfreq", "figures", "energy.png"), category="icl_lowfreq",
                      caption="../report/icl_lowfreq/energy.rst"),
        spectrum=report(R("icl_lowfreq", "figures", "spectrum.png"), category="icl_lowfreq",
                        caption="../report/icl_lowfreq/spectrum.rst"),
        noise=report(R("icl_lowfreq", "figures", "noise.png"), category="icl_lowfreq",
                     caption="../report/icl_lowfreq/noise.rst"),
    params:
        p=lambda w: params_json("icl_lowfreq", "figures"),
        fail=maybe_fail("icl_lowfreq_figures"),
    log: LOG("icl_lowfreq", "figures")
    threads: 1
    resources: mem_mb=2000, runtime=10
    shell:
        "{params.fail}" + stage("icl_lowfreq", "figures") + " --params {params.p:q}"
        " --in metrics={input.metrics} --in layers={input.layers} --in context={input.context}"
        " --in snapshots={input.snapshots} --out fig_pca={output.pca} --out fig_energy={output.energy}"
        " --out fig_spectrum={output.spectrum} --out fig_noise={output.noise} 2> {log}"


rule icl_lowfreq_claims:
    input: metrics=R("icl_lowfreq", "exact", "metrics.json")
    output: R("icl_lowfreq", "claims.json")
    params:
        p=lambda w: params_json("icl_lowfreq", scale=SCALE),
        fail=maybe_fail("icl_lowfreq_claims"),
    log: LOG("icl_lowfreq", "claims")
    threads: 1
    resources: mem_mb=1000, runtime=5
    shell:
        "{params.fail}" + stage("icl_lowfreq", "claims") + " --params {params.p:q}"
        " --in metrics={input.metrics} --out claims_json={output} 2> {log}"


rule icl_lowfreq:
    input:
        R("icl_lowfreq", "claims.json"),
        rules.icl_lowfreq_figures.output,
