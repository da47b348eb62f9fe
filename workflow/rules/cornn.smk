# CORNN (Dinc et al., NeurIPS 2023): thin rules around `python -m cornn <stage>`.
#   simulate (exp 1 networks) -> fit (CORNN, Adam-CE, Adam-L2, FORCE) -> benchmark
#   simulate (network 0 of exp 1a, 1c) -> solver_bench (solver configurations, CPU time)
#   flipflop_train -> flipflop_fit ;  timed_train -> timed_fit
#   -> figures -> claims
# Data-generating and generator-training rules are cached (`cache: "omit-software"`) with
# the package's code hash in params. Timed rules (fit, benchmark, task fits) take
# config cornn.threads threads; every method of one data set is timed in one process.

CORNN_FULL = SCALE == "full"
CORNN_GPU = 1 if CORNN_FULL else 0
CORNN_THREADS = int(P("cornn", "threads"))


include: "helpers/cornn.smk"


wildcard_constraints:
    # only the configured experiments: a typo in a target is "no rule to produce", not a KeyError
    cornn_exp="|".join(P("cornn", "run_experiments")),
    cornn_rep=r"\d+",
    cornn_n=r"\d+",


rule cornn_simulate:
    output:
        R("cornn", "data", "{cornn_exp}_rep{cornn_rep}.npz"),
    log:
        LOG("cornn", "simulate_{cornn_exp}_rep{cornn_rep}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "cornn_simulate",
            mem_mb=4000 if CORNN_FULL else 2000,
            runtime=30 if CORNN_FULL else 10,
        ),
    params:
        p=lambda w: params_json(
            "cornn", "experiments", w.cornn_exp, exp=w.cornn_exp, rep=int(w.cornn_rep)
        ),
        code=code_hash("cornn"),
    shell:
        "python -m cornn simulate --threads {threads} --params {params.p:q} --out data={output} 2> {log}"


rule cornn_fit:
    input:
        rules.cornn_simulate.output,
    output:
        R("cornn", "fits", "{cornn_exp}_rep{cornn_rep}.csv"),
    log:
        LOG("cornn", "fit_{cornn_exp}_rep{cornn_rep}"),
    benchmark:
        BENCH("cornn", "fit_{cornn_exp}_rep{cornn_rep}")
    threads: CORNN_THREADS
    resources:
        **measured(
            "cornn_fit",
            mem_mb=16000 if CORNN_FULL else 4000,
            runtime=90 if CORNN_FULL else 15,
            gpu=CORNN_GPU,
        ),
    params:
        p=lambda w: params_json(
            "cornn",
            "fit",
            **P("cornn", "fit_per_experiment", w.cornn_exp),
            exp=w.cornn_exp,
            rep=int(w.cornn_rep),
            device=config["device"],
        ),
    shell:
        "python -m cornn fit --threads {threads} --params {params.p:q} --in data={input} --out traces={output} 2> {log}"


rule cornn_benchmark:
    input:
        traces=cornn_traces(),
    output:
        bench=report(
            R("cornn", "tables", "bench.csv"),
            category="cornn",
            caption="../report/cornn/bench.rst",
        ),
        scaling=report(
            R("cornn", "tables", "scaling.csv"),
            category="cornn",
            caption="../report/cornn/scaling_table.rst",
        ),
    log:
        LOG("cornn", "benchmark"),
    benchmark:
        BENCH("cornn", "benchmark")
    threads: CORNN_THREADS
    resources:
        mem_mb=32000 if CORNN_FULL else 4000,
        runtime=60 if CORNN_FULL else 15,
        gpu=CORNN_GPU,
    params:
        p=lambda w: params_json(
            "cornn",
            "benchmark",
            device=config["device"],
            methods=P("cornn", "fit", "methods"),
        ),
        traces=lambda w, input: in_list(traces=input.traces),
    shell:
        "python -m cornn benchmark --threads {threads} --params {params.p:q} {params.traces} --out bench={output.bench} --out scaling={output.scaling} 2> {log}"


rule cornn_solver_bench:
    # issue 29: every CORNN solver configuration (torch / numpy, float64 / float32, Cholesky
    # solve / pre-inverted A / the authors' A^{-1} X^T) and the authors' two CPU solvers as
    # re-implemented, on the same data in one process, one thread, CPU time
    input:
        exp1a=R("cornn", "data", "exp1a_rep0.npz"),
        exp1c=R("cornn", "data", "exp1c_rep0.npz"),
    output:
        report(
            R("cornn", "tables", "solver_bench.csv"),
            category="cornn",
            caption="../report/cornn/solver_bench.rst",
        ),
    log:
        LOG("cornn", "solver_bench"),
    benchmark:
        BENCH("cornn", "solver_bench")
    threads: 1
    resources:
        mem_mb=8000 if CORNN_FULL else 4000,
        runtime=60 if CORNN_FULL else 30,
    params:
        p=lambda w: params_json("cornn", "solver_bench"),
    shell:
        "python -m cornn solver_bench --threads {threads} --params {params.p:q} --in data_exp1a={input.exp1a} --in data_exp1c={input.exp1c} --out table={output} 2> {log}"


rule cornn_flipflop_train:
    output:
        R("cornn", "models", "flipflop_n{cornn_n}.npz"),
    log:
        LOG("cornn", "flipflop_train_n{cornn_n}"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "cornn_flipflop_train",
            mem_mb=8000 if CORNN_FULL else 2000,
            runtime=240 if CORNN_FULL else 15,
            gpu=CORNN_GPU,
        ),
    params:
        p=lambda w: params_json(
            "cornn",
            "flipflop",
            "train",
            **P("cornn", "flipflop", "task"),
            n=int(w.cornn_n),
            device=config["device"],
        ),
        code=code_hash("cornn"),
    shell:
        "python -m cornn flipflop_train --threads {threads} --params {params.p:q} --out generator={output} 2> {log}"


rule cornn_flipflop_fit:
    input:
        rules.cornn_flipflop_train.output,
    output:
        R("cornn", "flipflop", "fits_n{cornn_n}.csv"),
    log:
        LOG("cornn", "flipflop_fit_n{cornn_n}"),
    benchmark:
        BENCH("cornn", "flipflop_fit_n{cornn_n}")
    threads: CORNN_THREADS
    resources:
        **measured(
            "cornn_flipflop_fit",
            mem_mb=32000 if CORNN_FULL else 4000,
            runtime=120 if CORNN_FULL else 15,
            gpu=CORNN_GPU,
        ),
    params:
        p=lambda w: params_json(
            "cornn",
            "flipflop",
            "fit",
            **P("cornn", "flipflop", "task"),
            n=int(w.cornn_n),
            device=config["device"],
        ),
    shell:
        "python -m cornn flipflop_fit --threads {threads} --params {params.p:q} --in generator={input} --out results={output} 2> {log}"


rule cornn_timed_train:
    output:
        R("cornn", "models", "timed.npz"),
    log:
        LOG("cornn", "timed_train"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "cornn_timed_train",
            mem_mb=16000 if CORNN_FULL else 2000,
            runtime=480 if CORNN_FULL else 15,
            gpu=CORNN_GPU,
        ),
    params:
        p=lambda w: params_json(
            "cornn",
            "timed",
            "train",
            device=config["device"],
            **{k: v for k, v in P("cornn", "timed", "task").items() if k != "steps"},
        ),
        # steps: length of the fitted trials
        code=code_hash("cornn"),
    shell:
        "python -m cornn timed_train --threads {threads} --params {params.p:q} --out generator={output} 2> {log}"


rule cornn_timed_fit:
    input:
        rules.cornn_timed_train.output,
    output:
        R("cornn", "timed", "results.csv"),
    log:
        LOG("cornn", "timed_fit"),
    benchmark:
        BENCH("cornn", "timed_fit")
    threads: CORNN_THREADS
    resources:
        **measured(
            "cornn_timed_fit",
            mem_mb=32000 if CORNN_FULL else 4000,
            runtime=120 if CORNN_FULL else 15,
            gpu=CORNN_GPU,
        ),
    params:
        p=lambda w: params_json(
            "cornn",
            "timed",
            "fit",
            **P("cornn", "timed", "task"),
            device=config["device"],
        ),
    shell:
        "python -m cornn timed_fit --threads {threads} --params {params.p:q} --in generator={input} --out results={output} 2> {log}"


rule cornn_figures:
    input:
        traces=cornn_traces(),
        scaling=rules.cornn_benchmark.output.scaling,
        timed=rules.cornn_timed_fit.output,
        flipflop=cornn_flipflop_results(),
    output:
        accuracy=report(
            R("cornn", "figures", "accuracy_time.png"),
            category="cornn",
            caption="../report/cornn/accuracy_time.rst",
        ),
        scaling=report(
            R("cornn", "figures", "scaling.png"),
            category="cornn",
            caption="../report/cornn/scaling.rst",
        ),
        flipflop=report(
            R("cornn", "figures", "flipflop.png"),
            category="cornn",
            caption="../report/cornn/flipflop.rst",
        ),
        timed=report(
            R("cornn", "figures", "timed.png"),
            category="cornn",
            caption="../report/cornn/timed.rst",
        ),
    log:
        LOG("cornn", "figures"),
    benchmark:
        BENCH("cornn", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("cornn", **cornn_grid()),
        lists=lambda w, input: in_list(traces=input.traces, flipflop=input.flipflop),
    shell:
        "python -m cornn figures --threads {threads} --params {params.p:q}"
        " --in scaling={input.scaling} --in timed_results={input.timed} {params.lists}"
        " --out fig_accuracy={output.accuracy} --out fig_scaling={output.scaling}"
        " --out fig_flipflop={output.flipflop} --out fig_timed={output.timed} 2> {log}"


rule cornn_claims:
    input:
        bench=rules.cornn_benchmark.output.bench,
        scaling=rules.cornn_benchmark.output.scaling,
        timed=rules.cornn_timed_fit.output,
        flipflop=cornn_flipflop_results(),
    output:
        R("cornn", "claims.json"),
    log:
        LOG("cornn", "claims"),
    benchmark:
        BENCH("cornn", "claims")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        p=lambda w: params_json("cornn", scale=SCALE, **cornn_grid()),
        flipflop=lambda w, input: in_list(flipflop=input.flipflop),
        code=code_hash("cornn", report_only=True),
    shell:
        "python -m cornn claims --threads {threads} --params {params.p:q}"
        " --in bench={input.bench} --in scaling={input.scaling} --in timed_results={input.timed}"
        " {params.flipflop} --out claims_json={output} 2> {log}"


rule cornn:
    input:
        rules.cornn_claims.output,
        rules.cornn_benchmark.output.bench,
        rules.cornn_solver_bench.output,
        rules.cornn_benchmark.output.scaling,
        rules.cornn_figures.output,
