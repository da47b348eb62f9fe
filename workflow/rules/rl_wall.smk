# rl_wall: 'Decomposing elements of problem solving: what "math" does RL teach?' (arXiv 2505.22756):
# the synthetic solution-tree task, a tiny Qwen2-style transformer trained from scratch with SFT,
# then GRPO. Thin rules; the science is in packages/rl_wall.
RLW = "rl_wall"
RLW_CONDS = sorted(P(RLW, "conditions"))
RLW_RUNTIME = {"smoke": 5, "quick": 40, "full": 240}[SCALE]


include: "helpers/rl_wall.smk"


RLW_GRPO_SEEDS = [int(s) for s in P(RLW, "grpo_seeds")]


wildcard_constraints:
    rlw_cond="[a-z][a-z0-9]*",
    rlw_stage="sft|grpo_s[0-9]+",
    rlw_gseed="[0-9]+",


rule rl_wall_data:
    output:
        R(RLW, "data", "{rlw_cond}.npz"),
    log:
        LOG(RLW, "data_{rlw_cond}"),
    cache: "omit-software"
    priority: 10  # the longest chain of the default run: start it first
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    params:
        p=rlw_data_params,
        code=code_hash(RLW),
    shell:
        "python -m rl_wall data --threads {threads} --params {params.p:q} --out data={output} 2> {log}"


rule rl_wall_sft:
    input:
        data=rules.rl_wall_data.output,
    output:
        model=R(RLW, "models", "{rlw_cond}_sft.pt"),
        history=R(RLW, "histories", "{rlw_cond}_sft.npz"),
    log:
        LOG(RLW, "sft_{rlw_cond}"),
    cache: "omit-software"
    priority: 10  # the longest chain of the default run: start it first
    # One thread below full: with two, the quick SFT used 1.04 cores (2870 CPU-s in 2768 s wall,
    # alone on 2 cores, 2026-12-07) and held the second core idle for 46 min; with one it starts
    # on the first core that comes free and the other core runs the other papers (issue 28).
    threads: 2 if SCALE == "full" else 1
    resources:
        **measured(
            "rl_wall_sft",
            mem_mb=4000,
            runtime=RLW_RUNTIME,
            gpu=1 if SCALE == "full" else 0,
        ),
    params:
        p=lambda w: params_json(
            RLW, "sft", model=P(RLW, "model"), device=config.get("device", "auto")
        ),
        code=code_hash(RLW),
    shell:
        "python -m rl_wall sft --threads {threads} --params {params.p:q} --in data={input.data} "
        "--out model_out={output.model} --out history_out={output.history} 2> {log}"


rule rl_wall_grpo:
    input:
        data=rules.rl_wall_data.output,
        sft=rules.rl_wall_sft.output.model,
    output:
        model=R(RLW, "models", "{rlw_cond}_grpo_s{rlw_gseed}.pt"),
        history=R(RLW, "histories", "{rlw_cond}_grpo_s{rlw_gseed}.npz"),
    log:
        LOG(RLW, "grpo_{rlw_cond}_s{rlw_gseed}"),
    cache: "omit-software"
    priority: 10  # the longest chain of the default run: start it first
    # One thread: the GRPO seeds run side by side on the 2 cores (1.5 CPU-s a step on 1 thread)
    threads: 1
    resources:
        **measured(
            "rl_wall_grpo",
            mem_mb=6000,
            runtime=RLW_RUNTIME,
            gpu=1 if SCALE == "full" else 0,
        ),
    params:
        p=rlw_grpo_params,
        code=code_hash(RLW),
    shell:
        "python -m rl_wall grpo --threads {threads} --params {params.p:q} --in data={input.data} "
        "--in sft_model={input.sft} --out model_out={output.model} --out history_out={output.history} 2> {log}"


rule rl_wall_evaluate:
    input:
        data=rules.rl_wall_data.output,
        model=R(RLW, "models", "{rlw_cond}_{rlw_stage}.pt"),
    output:
        R(RLW, "eval", "{rlw_cond}_{rlw_stage}.npz"),
    log:
        LOG(RLW, "evaluate_{rlw_cond}_{rlw_stage}"),
    cache: "omit-software"
    priority: 10  # the longest chain of the default run: start it first
    threads: 1
    resources:
        **measured(
            "rl_wall_evaluate",
            mem_mb=6000,
            runtime=RLW_RUNTIME,
            gpu=1 if SCALE == "full" else 0,
        ),
    params:
        p=lambda w: params_json(RLW, "evaluate", device=config.get("device", "auto")),
        code=code_hash(RLW),
    shell:
        "python -m rl_wall evaluate --threads {threads} --params {params.p:q} --in data={input.data} "
        "--in model={input.model} --out counts={output} 2> {log}"


rule rl_wall_analyze:
    input:
        [f for c in RLW_CONDS for f in rlw_inputs(c)],
    output:
        summary=R(RLW, "summary.json"),
        data=R(RLW, "analysis", "data.npz"),
    log:
        LOG(RLW, "analyze"),
    benchmark:
        BENCH(RLW, "analyze")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        p=lambda w: params_json(
            RLW, "analyze", conditions={c: rlw_files(c) for c in RLW_CONDS}
        ),
    shell:
        "python -m rl_wall analyze --threads {threads} --params {params.p:q} "
        "--out summary={output.summary} --out data={output.data} 2> {log}"


rule rl_wall_figures:
    input:
        summary=rules.rl_wall_analyze.output.summary,
        data=rules.rl_wall_analyze.output.data,
    output:
        self_ranking=report(
            R(RLW, "figures", "self_ranking.png"),
            category=RLW,
            caption="../report/rl_wall/self_ranking.rst",
        ),
        temperature=report(
            R(RLW, "figures", "temperature.png"),
            category=RLW,
            caption="../report/rl_wall/temperature.rst",
        ),
        passk=report(
            R(RLW, "figures", "passk.png"),
            category=RLW,
            caption="../report/rl_wall/passk.rst",
        ),
        curves=report(
            R(RLW, "figures", "curves.png"),
            category=RLW,
            caption="../report/rl_wall/curves.rst",
        ),
    log:
        LOG(RLW, "figures"),
    benchmark:
        BENCH(RLW, "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        p=lambda w: params_json(RLW, "figures"),
    shell:
        "python -m rl_wall figures --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--in data={input.data} --out self_ranking={output.self_ranking} --out temperature={output.temperature} "
        "--out passk={output.passk} --out curves={output.curves} 2> {log}"


rule rl_wall_claims:
    input:
        summary=rules.rl_wall_analyze.output.summary,
    output:
        claims=R(RLW, "claims.json"),
        note=report(
            R(RLW, "note.md"), category=RLW, caption="../report/rl_wall/note.rst"
        ),
    log:
        LOG(RLW, "claims"),
    benchmark:
        BENCH(RLW, "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json(RLW, scale=SCALE),
        code=code_hash("rl_wall", report_only=True),
    shell:
        "python -m rl_wall claims --threads {threads} --params {params.p:q} --in summary={input.summary} "
        "--out claims_json={output.claims} --out note={output.note} 2> {log}"


rule rl_wall:
    input:
        rules.rl_wall_claims.output,
        rules.rl_wall_figures.output,
