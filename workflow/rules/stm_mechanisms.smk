# Short-term memory mechanisms in RNNs (Kurtkaya, Dinc et al., ICML 2025): thin rules around
# `python -m stm_mechanisms <stage>`.
#   sweep (one job per delay chunk: vmapped jax training of seeds x lrs x delays of the paper's
#   network; cached) -> analyse (index of every network + mechanism, slow points, limit cycles, tiling)
#   reduced (a small sweep of our earlier reduced network, for the reduced-model check)
#   benchmark (vmapped jax vs per-network torch loop)  -> figures -> claims
# At full scale the sweep is a Slurm array (one job per delay chunk) and asks for a GPU.

STM_FULL = SCALE == "full"
STM_GPU = 1 if STM_FULL else 0


STM_CHUNKS = [
    R("stm_mechanisms", "nets", f"chunk{c}.npz")
    for c in range(int(P("stm_mechanisms", "sweep", "n_chunks")))
]
STM_TASK = P("stm_mechanisms", "task")


wildcard_constraints:
    stm_chunk=r"\d+",


rule stm_mechanisms_sweep:
    output:
        R("stm_mechanisms", "nets", "chunk{stm_chunk}.npz"),
    log:
        LOG("stm_mechanisms", "sweep_chunk{stm_chunk}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "stm_mechanisms_sweep",
            # measured (issue 28): a vmapped batch holds 0.4 GB + 25 MB per network, 15.4 GB at
            # full's vmap_size 600; twice that, as for probed rules
            mem_mb=32000 if STM_FULL else 3000,
            runtime=600 if STM_FULL else 30,
            gpu=STM_GPU,
        ),
    params:
        p=lambda w: params_json(
            "stm_mechanisms", "sweep", task=STM_TASK, chunk=int(w.stm_chunk)
        ),
        code=code_hash("stm_mechanisms"),
    shell:
        "python -m stm_mechanisms sweep --threads {threads} --params {params.p:q} --out nets={output} 2> {log}"


rule stm_mechanisms_reduced:
    output:
        R("stm_mechanisms", "nets", "reduced.npz"),
    log:
        LOG("stm_mechanisms", "reduced"),
    benchmark:
        BENCH("stm_mechanisms", "reduced")
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    params:
        p=lambda w: params_json("stm_mechanisms", "reduced", chunk=0),
        code=code_hash("stm_mechanisms"),
    shell:
        "python -m stm_mechanisms sweep --threads {threads} --params {params.p:q} --out nets={output} 2> {log}"


rule stm_mechanisms_analyse:
    input:
        nets=STM_CHUNKS,
    output:
        index=report(
            R("stm_mechanisms", "tables", "networks_index.csv"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/index.rst",
        ),
        rasters=R("stm_mechanisms", "tables", "rasters.npz"),
    log:
        LOG("stm_mechanisms", "analyse"),
    benchmark:
        BENCH("stm_mechanisms", "analyse")
    threads: 2
    resources:
        mem_mb=16000 if STM_FULL else 3000,
        runtime=240 if STM_FULL else 20,
        gpu=STM_GPU,
    params:
        p=lambda w: params_json("stm_mechanisms", "analyse", task=STM_TASK),
        nets=lambda w, input: in_list(nets=input.nets),
    shell:
        "python -m stm_mechanisms analyse --threads {threads} --params {params.p:q} {params.nets} --out index={output.index} --out rasters={output.rasters} 2> {log}"


rule stm_mechanisms_benchmark:
    output:
        bench=report(
            R("stm_mechanisms", "tables", "benchmark.csv"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/benchmark_table.rst",
        ),
    log:
        LOG("stm_mechanisms", "benchmark"),
    benchmark:
        BENCH("stm_mechanisms", "benchmark")
    threads: 2
    resources:
        **measured(
            "stm_mechanisms_benchmark",
            mem_mb=8000 if STM_FULL else 3000,
            runtime=60 if STM_FULL else 15,
            gpu=STM_GPU,
        ),
    params:
        p=lambda w: params_json("stm_mechanisms", "benchmark", task=STM_TASK),
    shell:
        "python -m stm_mechanisms benchmark --threads {threads} --params {params.p:q} --out bench={output.bench} 2> {log}"


rule stm_mechanisms_figures:
    input:
        index=rules.stm_mechanisms_analyse.output.index,
        rasters=rules.stm_mechanisms_analyse.output.rasters,
        bench=rules.stm_mechanisms_benchmark.output.bench,
    output:
        phase=report(
            R("stm_mechanisms", "figures", "phase_diagram.png"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/phase_diagram.rst",
        ),
        mechanism=report(
            R("stm_mechanisms", "figures", "mechanism_vs_delay.png"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/mechanism_vs_delay.rst",
        ),
        rasters=report(
            R("stm_mechanisms", "figures", "rasters.png"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/rasters.rst",
        ),
        bench=report(
            R("stm_mechanisms", "figures", "benchmark.png"),
            category="stm_mechanisms",
            caption="../report/stm_mechanisms/benchmark.rst",
        ),
    log:
        LOG("stm_mechanisms", "figures"),
    benchmark:
        BENCH("stm_mechanisms", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(
            "stm_mechanisms",
            "figures",
            task=STM_TASK,
            sweep=P("stm_mechanisms", "sweep"),
        ),
    shell:
        "python -m stm_mechanisms figures --threads {threads} --params {params.p:q} --in index={input.index} --in rasters={input.rasters} --in bench={input.bench} --out fig_phase={output.phase} --out fig_mechanism={output.mechanism} --out fig_rasters={output.rasters} --out fig_bench={output.bench} 2> {log}"


rule stm_mechanisms_claims:
    input:
        index=rules.stm_mechanisms_analyse.output.index,
        bench=rules.stm_mechanisms_benchmark.output.bench,
        reduced=rules.stm_mechanisms_reduced.output,
    output:
        R("stm_mechanisms", "claims.json"),
    log:
        LOG("stm_mechanisms", "claims"),
    benchmark:
        BENCH("stm_mechanisms", "claims")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(
            "stm_mechanisms",
            "claims",
            task=STM_TASK,
            scale=SCALE,
            sweep=P("stm_mechanisms", "sweep"),
            reduced=P("stm_mechanisms", "reduced"),
        ),
        code=code_hash("stm_mechanisms", report_only=True),
    shell:
        "python -m stm_mechanisms claims --threads {threads} --params {params.p:q} --in index={input.index} --in bench={input.bench} --in reduced={input.reduced} --out claims_json={output} 2> {log}"


rule stm_mechanisms:
    input:
        rules.stm_mechanisms_claims.output,
        rules.stm_mechanisms_figures.output,
        rules.stm_mechanisms_benchmark.output.bench,
