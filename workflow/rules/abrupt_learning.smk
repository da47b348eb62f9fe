# abrupt_learning (Haputhanthri et al., arXiv 2502.07256): thin rules around `python -m abrupt_learning <stage>`.
#   train (one job per task x learning rule; vmapped seeds x gains x lambdas) -> analyse -> figures, claims
# Trained grids are cached (`cache: "omit-software"`) with the package's code hash in params.

AL_FULL = SCALE == "full"


include: "helpers/abrupt_learning.smk"


rule abrupt_learning_train:
    output:
        R("abrupt_learning", "train", "{al_task}_{al_rule}.npz"),
    log:
        LOG("abrupt_learning", "train_{al_task}_{al_rule}"),
    wildcard_constraints:
        al_task="addition|evidence|flipflop",
        al_rule="bptt|rflo",
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "abrupt_learning_train",
            mem_mb=16000 if AL_FULL else 3000,
            runtime=1440 if AL_FULL else 20,
            gpu=1 if AL_FULL else 0,
        ),
    params:
        p=lambda w: params_json(
            "abrupt_learning", "train", task=w.al_task, rule=w.al_rule
        ),
        code=code_hash("abrupt_learning"),
    shell:
        "python -m abrupt_learning train --threads {threads} --params {params.p:q} --out out={output} 2> {log}"


rule abrupt_learning_analyse:
    input:
        trains=al_trains,
    output:
        runs=R("abrupt_learning", "runs.csv"),
        fixed=R("abrupt_learning", "fixed_points.csv"),
        points=R("abrupt_learning", "fixed_points.npz"),
    log:
        LOG("abrupt_learning", "analyse"),
    benchmark:
        BENCH("abrupt_learning", "analyse")
    threads: 1
    resources:
        mem_mb=8000 if AL_FULL else 3000,
        runtime=240 if AL_FULL else 20,
    params:
        p=lambda w: params_json("abrupt_learning", "analyse"),
        trains=lambda w, input: in_list(trains=input.trains),
    shell:
        "python -m abrupt_learning analyse --threads {threads} --params {params.p:q} {params.trains} --out runs={output.runs} --out fixed={output.fixed} --out points={output.points} 2> {log}"


rule abrupt_learning_figures:
    input:
        trains=al_trains,
        runs=rules.abrupt_learning_analyse.output.runs,
        fixed=rules.abrupt_learning_analyse.output.fixed,
        points=rules.abrupt_learning_analyse.output.points,
    output:
        aligned=report(
            R("abrupt_learning", "figures", "aligned.png"),
            category="abrupt_learning",
            caption="../report/abrupt_learning/aligned.rst",
        ),
        phase=report(
            R("abrupt_learning", "figures", "phase.png"),
            category="abrupt_learning",
            caption="../report/abrupt_learning/phase.rst",
        ),
        speedup=report(
            R("abrupt_learning", "figures", "speedup.png"),
            category="abrupt_learning",
            caption="../report/abrupt_learning/speedup.rst",
        ),
        gain=report(
            R("abrupt_learning", "figures", "gain.png"),
            category="abrupt_learning",
            caption="../report/abrupt_learning/gain.rst",
        ),
    log:
        LOG("abrupt_learning", "figures"),
    benchmark:
        BENCH("abrupt_learning", "figures")
    threads: 1
    resources:
        mem_mb=8000 if AL_FULL else 3000,
        runtime=30 if AL_FULL else 10,
    params:
        p=lambda w: params_json("abrupt_learning", "claims"),
        trains=lambda w, input: in_list(trains=input.trains),
    shell:
        "python -m abrupt_learning figures --threads {threads} --params {params.p:q}"
        " {params.trains} --in runs={input.runs} --in fixed={input.fixed} --in points={input.points}"
        " --out fig_aligned={output.aligned} --out fig_phase={output.phase}"
        " --out fig_speedup={output.speedup} --out fig_gain={output.gain} 2> {log}"


rule abrupt_learning_claims:
    input:
        runs=rules.abrupt_learning_analyse.output.runs,
    output:
        R("abrupt_learning", "claims.json"),
    log:
        LOG("abrupt_learning", "claims"),
    benchmark:
        BENCH("abrupt_learning", "claims")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json(
            "abrupt_learning",
            "claims",
            scale=SCALE,
            train=P("abrupt_learning", "train"),
        ),
        code=code_hash("abrupt_learning", report_only=True),
    shell:
        "python -m abrupt_learning claims --threads {threads} --params {params.p:q} --in runs={input.runs} --out claims_json={output} 2> {log}"


rule abrupt_learning:
    input:
        rules.abrupt_learning_claims.output,
        rules.abrupt_learning_figures.output,
