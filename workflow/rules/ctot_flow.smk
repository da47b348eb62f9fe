# CT-OT Flow (arXiv 2505.17354): partial-OT time labels + kernel smoothing + flow matching,
# against OT-CFM on window midpoints. Science lives in packages/ctot_flow.
import json as _ctot_json

CTOT_MAIN = list(P("ctot_flow", "processes"))
CTOT_SWEEP = [f"noise_{i}" for i in range(len(P("ctot_flow", "sweep", "noise")))]
CTOT_DATASETS = CTOT_MAIN + CTOT_SWEEP
CTOT_FULL = SCALE == "full"
CTOT_SEEDS = list(range(int(P("ctot_flow", "seeds"))))
# --threads sets BLAS/OpenMP threads; repro_core imports no torch for numpy-only stages


wildcard_constraints:
    # only the configured data sets: a typo in a file target is "no rule to produce", not a crash
    ctot_ds="|".join(CTOT_DATASETS),
    ctot_seed="[0-9]+",


include: "helpers/ctot_flow.smk"


rule ctot_flow_simulate:
    output:
        R("ctot_flow", "data", "{ctot_ds}.npz"),
    log:
        LOG("ctot_flow", "simulate_{ctot_ds}"),
    cache: "omit-software"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: _ctot_sim_params(w.ctot_ds),
        code=code_hash("ctot_flow"),
    shell:
        "python -m ctot_flow simulate --threads {threads} --params {params.p:q} "
        "--out data={output} 2> {log}"


rule ctot_flow_labels:
    input:
        rules.ctot_flow_simulate.output,
    output:
        R("ctot_flow", "labels", "{ctot_ds}.npz"),
    log:
        LOG("ctot_flow", "labels_{ctot_ds}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured("ctot_flow_labels", mem_mb=4000, runtime=120 if CTOT_FULL else 20),
    params:
        p=lambda w: params_json("ctot_flow", "labels", dataset=w.ctot_ds),
        code=code_hash("ctot_flow"),
    shell:
        "python -m ctot_flow labels --threads {threads} --params {params.p:q} --in data={input} "
        "--out labels={output} 2> {log}"


CTOT_EVALS = [
    R("ctot_flow", "eval", ds, f"s{s}.json") for ds in CTOT_DATASETS for s in CTOT_SEEDS
]


rule ctot_flow_fit:
    # train CT-OT Flow and the baselines (same MLP, budget), then evaluate all: one job per data
    # set and training seed
    input:
        data=rules.ctot_flow_simulate.output,
        labels=rules.ctot_flow_labels.output,
    output:
        models=R("ctot_flow", "models", "{ctot_ds}", "s{ctot_seed}.pt"),
        metrics=R("ctot_flow", "eval", "{ctot_ds}", "s{ctot_seed}.json"),
        paths=R("ctot_flow", "eval", "{ctot_ds}", "s{ctot_seed}_paths.npz"),
    log:
        LOG("ctot_flow", "fit_{ctot_ds}_s{ctot_seed}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "ctot_flow_fit",
            mem_mb=4000,
            runtime=600 if CTOT_FULL else 40,
            gpu=1 if CTOT_FULL else 0,
        ),
    params:
        p=lambda w: _ctot_fit_params(w.ctot_ds, w.ctot_seed),
        code=code_hash("ctot_flow"),
    shell:
        "python -m ctot_flow fit --threads {threads} --params {params.p:q} --in data={input.data} "
        "--in labels={input.labels} --out models={output.models} "
        "--out metrics={output.metrics} --out paths={output.paths} 2> {log}"


rule ctot_flow_claims:
    input:
        CTOT_EVALS,
    output:
        claims=R("ctot_flow", "claims.json"),
        table=report(
            R("ctot_flow", "tables", "summary.csv"),
            category="ctot_flow",
            caption="../report/ctot_flow/summary.rst",
        ),
        table_html=report(
            R("ctot_flow", "tables", "summary.html"),
            category="ctot_flow",
            caption="../report/ctot_flow/summary.rst",
        ),
    log:
        LOG("ctot_flow", "summarize"),
    benchmark:
        BENCH("ctot_flow", "summarize")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=params_json(
            "ctot_flow",
            datasets=CTOT_MAIN,
            sweep=CTOT_SWEEP,
            seeds=len(CTOT_SEEDS),
            scale=SCALE,
        ),
        code=code_hash("ctot_flow", report_only=True),
        root=lambda w: R("ctot_flow"),
    shell:
        "python -m ctot_flow summarize --threads {threads} --params {params.p:q} "
        "--in root={params.root} --out claims_json={output.claims} --out table={output.table} "
        "--out table_html={output.table_html} 2> {log}"


rule ctot_flow_figures:
    input:
        CTOT_EVALS,
        [R("ctot_flow", "eval", ds, "s0_paths.npz") for ds in CTOT_MAIN],
        [
            R("ctot_flow", sub, f"{ds}.npz")
            for ds in CTOT_MAIN
            for sub in ("data", "labels")
        ],
    output:
        labels=report(
            R("ctot_flow", "figures", "time_labels.png"),
            category="ctot_flow",
            caption="../report/ctot_flow/time_labels.rst",
        ),
        traj=report(
            R("ctot_flow", "figures", "trajectories.png"),
            category="ctot_flow",
            caption="../report/ctot_flow/trajectories.rst",
        ),
        wdist=report(
            R("ctot_flow", "figures", "wdist.png"),
            category="ctot_flow",
            caption="../report/ctot_flow/wdist.rst",
        ),
        noise=report(
            R("ctot_flow", "figures", "noise_sweep.png"),
            category="ctot_flow",
            caption="../report/ctot_flow/noise_sweep.rst",
        ),
    log:
        LOG("ctot_flow", "figures"),
    benchmark:
        BENCH("ctot_flow", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=params_json(
            "ctot_flow", datasets=CTOT_MAIN, sweep=CTOT_SWEEP, seeds=len(CTOT_SEEDS)
        ),
        root=lambda w: R("ctot_flow"),
    shell:
        "python -m ctot_flow figures --threads {threads} --params {params.p:q} "
        "--in root={params.root} --out fig_labels={output.labels} --out fig_traj={output.traj} "
        "--out fig_wdist={output.wdist} --out fig_noise={output.noise} 2> {log}"


rule ctot_flow:
    input:
        rules.ctot_flow_claims.output.claims,
        rules.ctot_flow_claims.output.table_html,
        rules.ctot_flow_figures.output,
