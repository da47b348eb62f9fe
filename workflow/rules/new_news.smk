# New News (Park, Zhang, Tanaka; arXiv 2505.01812): thin rules around `python -m new_news <stage>`.
#   dataset -> model (saved once as a local transformers directory)
#   -> replay (one job per source; cached) -> run (train + evaluate groups of conditions, one
#   process per group so the model loads once; train.jobs groups, 0 = one job per condition;
#   cached) -> analyse -> figures, claims
# A condition is `base` or `<protocol>-<source>-b<budget>`; the grammar and the experiment's
# design (which conditions, replay counts, run groups) live in new_news.conditions.
sys.path.insert(0, str(Path(workflow.basedir) / "packages" / "new_news" / "src"))
from new_news import conditions as nn_conditions  # noqa: E402

NN_FULL = SCALE == "full"
NN_SPECS = {m: {**spec, "name": m} for m, spec in P("new_news", "model_specs").items()}
if P("new_news", "model") not in NN_SPECS:
    raise WorkflowError(
        f"config new_news.model={P('new_news', 'model')!r} is not a key of "
        f"new_news.model_specs ({', '.join(NN_SPECS)})"
    )
NN_SPEC = NN_SPECS[P("new_news", "model")]
NN_SOURCES = list(P("new_news", "replay", "sources"))
NN_MAIN = NN_SOURCES[0]
NN_B = int(P("new_news", "train", "budget"))
NN_BUDGETS = sorted(int(b) for b in P("new_news", "train", "budgets"))
NN_DESIGN = nn_conditions.design(
    NN_SOURCES,
    NN_B,
    NN_BUDGETS,
    P("new_news", "replay", "compare_protocols"),
    P("new_news", "evaluate", "icl_after"),
)
NN_ALL = NN_DESIGN["conditions"]  # base first
NN_COUNTS = NN_DESIGN["counts"]  # replay samples per item of each (source, protocol)
NN_MODES = NN_DESIGN["modes"]
NN_TRAIN = {
    k: v
    for k, v in P("new_news", "train").items()
    if k not in ("budget", "budgets", "jobs")
}
NN_EVAL = {k: v for k, v in P("new_news", "evaluate").items() if k != "icl_after"}
NN_SYSTEM = P("new_news", "system")


include: "helpers/new_news.smk"


NN_GROUPS = nn_conditions.groups(NN_ALL, int(P("new_news", "train", "jobs")))


wildcard_constraints:
    nn_source="news|model|template",
    nn_protocol="naive|paraphrase|implication|selfqa",
    nn_group="g[0-9]+",


rule new_news_dataset:
    output:
        R("new_news", "dataset.json"),
    log:
        LOG("new_news", "dataset"),
    benchmark:
        BENCH("new_news", "dataset")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json("new_news", "dataset"),
    shell:
        "python -m new_news dataset --threads {threads} --params {params.p:q} --out dataset={output} 2> {log}"


rule new_news_model:
    input:
        rules.new_news_dataset.output,
    output:
        directory(R("new_news", "model")),
    log:
        LOG("new_news", "model"),
    benchmark:
        BENCH("new_news", "model")
    threads: 1
    resources:
        mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 4000),
        runtime=60 if NN_FULL else 15,
    params:
        # a spec's chat_template (base models whose GGUF has none) goes to the stage beside the spec
        p=lambda w: params_json(
            "new_news",
            model={k: v for k, v in NN_SPEC.items() if k != "chat_template"},
            **(
                {"chat_template": NN_SPEC["chat_template"]}
                if "chat_template" in NN_SPEC
                else {}
            ),
        ),
    shell:
        "python -m new_news model --threads {threads} --params {params.p:q} --in dataset={input} --out model_dir={output} 2> {log}"


rule new_news_replay:
    # one job per (source, protocol): the self-play protocols run in parallel
    input:
        model=rules.new_news_model.output,
        dataset=rules.new_news_dataset.output,
    output:
        R("new_news", "replay", "{nn_source}", "{nn_protocol}.json"),
    log:
        LOG("new_news", "replay_{nn_source}_{nn_protocol}"),
    cache: "omit-software"
    threads: 1
    resources:
        mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 4000),
        runtime=600 if NN_FULL else 40,
        gpu=lambda w: (
            (NN_SPEC.get("gpus") or 1) if NN_FULL and w.nn_source == "model" else 0
        ),
    params:
        p=lambda w: json.dumps(
            {
                "gen": P("new_news", "replay", "gen"),
                "source": w.nn_source,
                "counts": {w.nn_protocol: NN_COUNTS[w.nn_source][w.nn_protocol]},
                "system": NN_SYSTEM,
                "device": config["device"],
                "seed": int(config["seed"]),
            },
            sort_keys=True,
        ),
        out_dir=lambda w, output: str(Path(output[0]).parent),
        code=nn_code("replay.py", "lm.py"),
    shell:
        "python -m new_news replay --threads {threads} --params {params.p:q} --in model_dir={input.model} --in dataset={input.dataset} --out replay_dir={params.out_dir} 2> {log}"


rule new_news_run:
    input:
        model=rules.new_news_model.output,
        dataset=rules.new_news_dataset.output,
        replay=lambda w: nn_replay_files(w.nn_group),
    output:
        directory(R("new_news", "runs", "{nn_group}")),
    log:
        LOG("new_news", "run_{nn_group}"),
    cache: "omit-software"
    threads: 1
    resources:
        mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 6000),
        runtime=480 if NN_FULL else 40,
        gpu=(NN_SPEC.get("gpus") or 1) if NN_FULL else 0,
    params:
        p=lambda w: json.dumps(
            {
                "conditions": NN_GROUPS[w.nn_group],
                "modes": NN_MODES,
                "train": NN_TRAIN,
                "evaluate": NN_EVAL,
                "system": NN_SYSTEM,
                "device": config["device"],
                "ckpt_dir": R("new_news", "checkpoints", w.nn_group),
                "seed": int(config["seed"]),
            },
            sort_keys=True,
        ),
        replay_root=R("new_news", "replay"),
        code=nn_code(
            "__init__.py",
            "__main__.py",
            "conditions.py",
            "dataset.py",
            "lm.py",
            "replay.py",
            "stages.py",
            "train.py",
        ),
    # a group of base-only conditions has no replay input, and its job may run before any replay
    # job made the folder: --in replay_dir must still name an existing folder
    shell:
        "mkdir -p {params.replay_root} && python -m new_news run --threads {threads} --params {params.p:q} --in model_dir={input.model} --in dataset={input.dataset} --in replay_dir={params.replay_root} --out adapters_dir={output}/adapters --out evals_dir={output}/evals 2> {log}"


rule new_news_analyse:
    input:
        runs=expand(R("new_news", "runs", "{g}"), g=sorted(NN_GROUPS)),
        dataset=rules.new_news_dataset.output,
    output:
        summary=R("new_news", "summary.json"),
        table=report(
            R("new_news", "tables", "accuracy.csv"),
            category="new_news",
            caption="../report/new_news/accuracy_table.rst",
        ),
        questions=report(
            R("new_news", "tables", "questions.csv"),
            category="new_news",
            caption="../report/new_news/questions_table.rst",
        ),
    log:
        LOG("new_news", "analyse"),
    benchmark:
        BENCH("new_news", "analyse")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: json.dumps(
            {
                "conditions": NN_ALL,
                "main_source": NN_MAIN,
                "budget": NN_B,
                "budgets": NN_BUDGETS,
                "groups": sorted(NN_GROUPS),
                "level": float(P("new_news", "claims", "level")),
                "seed": int(config["seed"]),
            },
            sort_keys=True,
        ),
        runs_dir=lambda w, input: str(Path(input.runs[0]).parent),
    shell:
        "python -m new_news analyse --threads {threads} --params {params.p:q} --in runs_dir={params.runs_dir} --in dataset={input.dataset} --out summary={output.summary} --out table={output.table} 2> {log}"


rule new_news_figures:
    input:
        summary=rules.new_news_analyse.output.summary,
        table=rules.new_news_analyse.output.table,
    output:
        protocols=report(
            R("new_news", "figures", "protocols.png"),
            category="new_news",
            caption="../report/new_news/protocols.rst",
        ),
        shadowing=report(
            R("new_news", "figures", "shadowing.png"),
            category="new_news",
            caption="../report/new_news/shadowing.rst",
        ),
        scaling=report(
            R("new_news", "figures", "scaling.png"),
            category="new_news",
            caption="../report/new_news/scaling.rst",
        ),
    log:
        LOG("new_news", "figures"),
    benchmark:
        BENCH("new_news", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        p=lambda w: json.dumps({"seed": int(config["seed"])}),
    shell:
        "python -m new_news figures --threads {threads} --params {params.p:q} --in summary={input.summary} --in table={input.table} --out protocols_fig={output.protocols} --out shadowing_fig={output.shadowing} --out scaling_fig={output.scaling} 2> {log}"


rule new_news_claims:
    input:
        rules.new_news_analyse.output.summary,
    output:
        R("new_news", "claims.json"),
    log:
        LOG("new_news", "claims"),
    benchmark:
        BENCH("new_news", "claims")
    threads: 1
    resources:
        mem_mb=1000,
        runtime=5,
    params:
        p=lambda w: params_json("new_news", "claims", scale=SCALE),
        code=code_hash("new_news", report_only=True),
    shell:
        "python -m new_news claims --threads {threads} --params {params.p:q} --in summary={input} --out claims_json={output} 2> {log}"


rule new_news:
    input:
        rules.new_news_claims.output,
        rules.new_news_figures.output,
        rules.new_news_analyse.output,
