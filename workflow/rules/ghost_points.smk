# ghost_points (Dinc et al., arXiv 2501.02378): thin rules around `python -m ghost_points <stage>`.
#   onedim (normal form + tanh unit: scaling, landscape, lr sweeps)   \
#   rnn_train (low-rank RNNs, BPTT) -> slowpoints (q-minimisation)     -> figures, claims
# Trained RNNs are cached (`cache: "omit-software"`) with the package's code hash in params.

GP_FULL = SCALE == "full"


rule ghost_points_onedim:
    output:
        data=R("ghost_points", "onedim.npz"),
        summary=R("ghost_points", "onedim_summary.json"),
    log:
        LOG("ghost_points", "onedim"),
    benchmark:
        BENCH("ghost_points", "onedim")
    threads: 1
    resources:
        **measured(
            "ghost_points_onedim",
            mem_mb=16000 if GP_FULL else 3000,
            runtime=240 if GP_FULL else 20,
            gpu=1 if GP_FULL else 0,
        ),
    params:
        p=lambda w: params_json("ghost_points", "onedim"),
    shell:
        "python -m ghost_points onedim --threads {threads} --params {params.p:q} --out data={output.data} --out summary={output.summary} 2> {log}"


rule ghost_points_rnn_train:
    output:
        data=R("ghost_points", "rnn.npz"),
        runs=R("ghost_points", "rnn_runs.csv"),
    log:
        LOG("ghost_points", "rnn_train"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "ghost_points_rnn_train",
            mem_mb=32000 if GP_FULL else 3000,
            runtime=2880 if GP_FULL else 30,
            gpu=1 if GP_FULL else 0,
        ),
    params:
        p=lambda w: params_json("ghost_points", "rnn"),
        code=code_hash("ghost_points"),
    shell:
        "python -m ghost_points rnn_train --threads {threads} --params {params.p:q} --out data={output.data} --out runs={output.runs} 2> {log}"


rule ghost_points_slowpoints:
    input:
        data=rules.ghost_points_rnn_train.output.data,
        runs=rules.ghost_points_rnn_train.output.runs,
    output:
        table=R("ghost_points", "slowpoints.csv"),
        epochs=R("ghost_points", "latent_epochs.csv"),
    log:
        LOG("ghost_points", "slowpoints"),
    benchmark:
        BENCH("ghost_points", "slowpoints")
    threads: 1
    resources:
        mem_mb=32000 if GP_FULL else 3000,
        runtime=600 if GP_FULL else 20,
    params:
        p=lambda w: params_json("ghost_points", "slowpoints"),
    shell:
        "python -m ghost_points slowpoints --threads {threads} --params {params.p:q} --in data={input.data} --in runs={input.runs} --out table={output.table} --out epochs={output.epochs} 2> {log}"


rule ghost_points_figures:
    input:
        data=rules.ghost_points_onedim.output.data,
        summary=rules.ghost_points_onedim.output.summary,
        rnn=rules.ghost_points_rnn_train.output.data,
        runs=rules.ghost_points_rnn_train.output.runs,
        slowtab=rules.ghost_points_slowpoints.output.table,
        epochs=rules.ghost_points_slowpoints.output.epochs,
    output:
        phase=report(
            R("ghost_points", "figures", "phase.png"),
            category="ghost_points",
            caption="../report/ghost_points/phase.rst",
        ),
        landscape=report(
            R("ghost_points", "figures", "landscape.png"),
            category="ghost_points",
            caption="../report/ghost_points/landscape.rst",
        ),
        lr=report(
            R("ghost_points", "figures", "lr_sweep.png"),
            category="ghost_points",
            caption="../report/ghost_points/lr_sweep.rst",
        ),
        rnn=report(
            R("ghost_points", "figures", "rnn.png"),
            category="ghost_points",
            caption="../report/ghost_points/rnn.rst",
        ),
    log:
        LOG("ghost_points", "figures"),
    benchmark:
        BENCH("ghost_points", "figures")
    threads: 1
    resources:
        mem_mb=16000 if GP_FULL else 3000,
        runtime=30 if GP_FULL else 10,
    params:
        p=lambda w: params_json("ghost_points"),
    shell:
        "python -m ghost_points figures --threads {threads} --params {params.p:q}"
        " --in data={input.data} --in summary={input.summary} --in rnn={input.rnn} --in runs={input.runs}"
        " --in slowtab={input.slowtab} --in epochs={input.epochs} --out fig_phase={output.phase} --out fig_landscape={output.landscape}"
        " --out fig_lr={output.lr} --out fig_rnn={output.rnn} 2> {log}"


rule ghost_points_claims:
    input:
        summary=rules.ghost_points_onedim.output.summary,
        runs=rules.ghost_points_rnn_train.output.runs,
        slowtab=rules.ghost_points_slowpoints.output.table,
        epochs=rules.ghost_points_slowpoints.output.epochs,
    output:
        R("ghost_points", "claims.json"),
    log:
        LOG("ghost_points", "claims"),
    benchmark:
        BENCH("ghost_points", "claims")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("ghost_points", "rnn", scale=SCALE),
        code=code_hash("ghost_points", report_only=True),
    shell:
        "python -m ghost_points claims --threads {threads} --params {params.p:q} --in summary={input.summary} --in runs={input.runs} --in slowtab={input.slowtab} --in epochs={input.epochs} --out claims_json={output} 2> {log}"


rule ghost_points:
    input:
        rules.ghost_points_claims.output,
        rules.ghost_points_figures.output.phase,
        rules.ghost_points_figures.output.landscape,
        rules.ghost_points_figures.output.lr,
        rules.ghost_points_figures.output.rnn,
