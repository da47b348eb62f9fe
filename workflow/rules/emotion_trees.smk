# Emotion trees (Zhao et al., arXiv 2507.10599): thin rules around `python -m emotion_trees <stage>`.
#   prompts -> score (one job per model; top-k artifacts .npz, cached) -> analyse
#   -> figures, claims
# The scoring rule is cached (`cache: "omit-software"`, package code hash in params), so
# trees, tables, figures and claims re-run in seconds from the .npz artifacts.

ET_FULL = SCALE == "full"


ET_MODELS = list(P("emotion_trees", "models"))
ET_SPECS = {
    m: {**spec, "name": m} for m, spec in P("emotion_trees", "model_specs").items()
}
ET_UNKNOWN = [m for m in ET_MODELS if m not in ET_SPECS]
if ET_UNKNOWN:
    raise WorkflowError(
        f"config emotion_trees.models names {', '.join(ET_UNKNOWN)}, not keys of "
        f"emotion_trees.model_specs ({', '.join(ET_SPECS)})"
    )
ET_SCORES = [R("emotion_trees", "scores", f"{m}.npz") for m in ET_MODELS]
ET_INFO_KEYS = ("family", "size_label")  # read by the analysis, not by the loader
ET_INFO = {
    m: {
        "family": ET_SPECS[m].get("family", m),
        "size_label": ET_SPECS[m].get("size_label"),
    }
    for m in ET_MODELS
}


include: "helpers/emotion_trees.smk"


wildcard_constraints:
    et_model="[A-Za-z0-9._-]+",


rule emotion_trees_prompts:
    output:
        R("emotion_trees", "prompts.json"),
    log:
        LOG("emotion_trees", "prompts"),
    benchmark:
        BENCH("emotion_trees", "prompts")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json("emotion_trees", "prompts"),
    shell:
        "python -m emotion_trees prompts --threads {threads} --params {params.p:q} --out prompts={output} 2> {log}"


rule emotion_trees_score:
    input:
        rules.emotion_trees_prompts.output,
    output:
        R("emotion_trees", "scores", "{et_model}.npz"),
    log:
        LOG("emotion_trees", "score_{et_model}"),
    cache: "omit-software"
    threads: 1 if SCALE == "smoke" else 2
    resources:
        mem_mb=lambda w: ET_SPECS[w.et_model].get("mem_mb")
        or (64000 if ET_FULL else 6000),
        runtime=240 if ET_FULL else 30,
        gpu=lambda w: ET_SPECS[w.et_model].get("gpus") or (1 if ET_FULL else 0),
    params:
        p=lambda w: params_json(
            "emotion_trees",
            "score",
            model=et_load_spec(w.et_model),
            device=config["device"],
        ),
        code=code_hash("emotion_trees"),
    shell:
        "python -m emotion_trees score --threads {threads} --params {params.p:q} --in prompts={input} --out scores={output} 2> {log}"


rule emotion_trees_analyse:
    input:
        prompts=rules.emotion_trees_prompts.output,
        scores=ET_SCORES,
    output:
        analysis=R("emotion_trees", "analysis.json"),
        trees=report(
            R("emotion_trees", "tables", "trees.csv"),
            category="emotion_trees",
            caption="../report/emotion_trees/trees_table.rst",
        ),
        recognition=report(
            R("emotion_trees", "tables", "recognition.csv"),
            category="emotion_trees",
            caption="../report/emotion_trees/recognition_table.rst",
        ),
    log:
        LOG("emotion_trees", "analyse"),
    benchmark:
        BENCH("emotion_trees", "analyse")
    threads: 1
    resources:
        mem_mb=4000 if ET_FULL else 2000,
        runtime=20 if ET_FULL else 5,
    params:
        p=lambda w: params_json(
            "emotion_trees", "analyse", models=ET_MODELS, model_info=ET_INFO
        ),
        scores_dir=lambda w, input: str(Path(input.scores[0]).parent),
    shell:
        "python -m emotion_trees analyse --threads {threads} --params {params.p:q} --in prompts={input.prompts} --in scores_dir={params.scores_dir} --out analysis={output.analysis} --out trees_table={output.trees} --out recognition_table={output.recognition} 2> {log}"


rule emotion_trees_figures:
    input:
        rules.emotion_trees_analyse.output.analysis,
    output:
        trees=report(
            R("emotion_trees", "figures", "trees.png"),
            category="emotion_trees",
            caption="../report/emotion_trees/trees.rst",
        ),
        complexity=report(
            R("emotion_trees", "figures", "complexity.png"),
            category="emotion_trees",
            caption="../report/emotion_trees/complexity.rst",
        ),
        recognition=report(
            R("emotion_trees", "figures", "recognition.png"),
            category="emotion_trees",
            caption="../report/emotion_trees/recognition.rst",
        ),
        confusion=report(
            R("emotion_trees", "figures", "confusion.png"),
            category="emotion_trees",
            caption="../report/emotion_trees/confusion.rst",
        ),
    log:
        LOG("emotion_trees", "figures"),
    benchmark:
        BENCH("emotion_trees", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("emotion_trees"),
    shell:
        "python -m emotion_trees figures --threads {threads} --params {params.p:q} --in analysis={input} --out trees_fig={output.trees} --out complexity_fig={output.complexity} --out recognition_fig={output.recognition} --out confusion_fig={output.confusion} 2> {log}"


rule emotion_trees_claims:
    input:
        rules.emotion_trees_analyse.output.analysis,
    output:
        R("emotion_trees", "claims.json"),
    log:
        LOG("emotion_trees", "claims"),
    benchmark:
        BENCH("emotion_trees", "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json("emotion_trees", "claims", scale=SCALE),
        code=code_hash("emotion_trees", report_only=True),
    shell:
        "python -m emotion_trees claims --threads {threads} --params {params.p:q} --in analysis={input} --out claims_json={output} 2> {log}"


rule emotion_trees:
    input:
        rules.emotion_trees_claims.output,
        rules.emotion_trees_figures.output,
        rules.emotion_trees_analyse.output,
