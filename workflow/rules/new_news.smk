# New News (Park, Zhang, Tanaka; arXiv 2505.01812): thin rules around `python -m new_news <stage>`.
#   dataset -> model (saved once as a local transformers directory)
#   -> replay (one job per source; cached) -> run (train + evaluate groups of conditions, one
#   process per group so the model loads once; train.jobs groups, 0 = one job per condition;
#   cached) -> analyse -> figures, claims
# A condition is `base` or `<protocol>-<source>-b<budget>` (see new_news.stages).

NN_FULL = SCALE == "full"
NN_SPECS = {m: {**spec, "name": m} for m, spec in P("new_news", "model_specs").items()}
if P("new_news", "model") not in NN_SPECS:
    raise WorkflowError(f"config new_news.model={P('new_news', 'model')!r} is not a key of "
                        f"new_news.model_specs ({', '.join(NN_SPECS)})")
NN_SPEC = NN_SPECS[P("new_news", "model")]
NN_SOURCES = list(P("new_news", "replay", "sources"))
NN_MAIN = NN_SOURCES[0]
NN_B = int(P("new_news", "train", "budget"))
NN_BUDGETS = sorted(int(b) for b in P("new_news", "train", "budgets"))
NN_PROTOCOLS = ["paraphrase", "implication", "selfqa"]
NN_COMPARE = list(P("new_news", "replay", "compare_protocols"))   # trained from the other sources too
NN_CONDS = ([f"naive-news-b{NN_B}"] + [f"{p}-{NN_MAIN}-b{NN_B}" for p in NN_PROTOCOLS]
            + [f"{p}-{s}-b{NN_B}" for s in NN_SOURCES[1:] for p in NN_COMPARE]
            + [f"selfqa-{NN_MAIN}-b{b}" for b in NN_BUDGETS if b != NN_B] + [f"shadow-{NN_MAIN}-b{NN_B}"])
NN_ALL = ["base"] + NN_CONDS
# replay samples per item of each (source, protocol)
NN_COUNTS = {"news": {"naive": NN_B}}
for _s in NN_SOURCES:
    NN_COUNTS[_s] = {p: (max([NN_B] + NN_BUDGETS) if (_s == NN_MAIN and p == "selfqa") else NN_B)
                     for p in (NN_PROTOCOLS if _s == NN_MAIN else NN_COMPARE)}
NN_ICL_AFTER = {f"{p}-{'news' if p == 'naive' else NN_MAIN}-b{NN_B}" for p in P("new_news", "evaluate", "icl_after")}
NN_MODES = {c: ["closed", "icl"] for c in NN_ALL if c == "base" or c in NN_ICL_AFTER}
NN_TRAIN = {k: v for k, v in P("new_news", "train").items() if k not in ("budget", "budgets", "jobs")}
NN_EVAL = {k: v for k, v in P("new_news", "evaluate").items() if k != "icl_after"}
NN_SYSTEM = P("new_news", "system")


def nn_cost(cond):
    """Rough training cost of a condition (replay turns x relative length), for load balancing."""
    if cond == "base":
        return 0
    protocol, _, b = cond.split("-")
    return int(b[1:]) * {"naive": 1.5, "shadow": 2.5}.get(protocol, 1.0)


def nn_groups(conds, jobs):
    """Conditions split into `jobs` run jobs (0: one per condition), longest first onto the
    least loaded job; each job trains its conditions in one process."""
    n = len(conds) if jobs == 0 else min(jobs, len(conds))
    groups, load = [[] for _ in range(n)], [0.0] * n
    for c in sorted(conds, key=lambda c: (-nn_cost(c), conds.index(c))):
        i = load.index(min(load))
        groups[i].append(c)
        load[i] += nn_cost(c) + 1
    return {f"g{i}": sorted(g, key=conds.index) for i, g in enumerate(groups)}


NN_GROUPS = nn_groups(NN_ALL, int(P("new_news", "train", "jobs")))


def nn_replay_files(group):
    """The replay files a run job trains on: replay/<source>/<protocol>.json per condition."""
    out = set()
    for c in NN_GROUPS[group]:
        if c != "base":
            protocol, source, _ = c.split("-")
            out.add(R("new_news", "replay", source, f"{'selfqa' if protocol == 'shadow' else protocol}.json"))
    return sorted(out)


def nn_code(*modules):
    """Hash of repro_core and the named new_news modules: the code a job runs. Narrower than
    code_hash("new_news") so that editing the analysis, figures or claims keeps the cached
    self-play replay and fine-tuning runs (they never import those modules)."""
    h = hashlib.sha256()
    root = Path(workflow.basedir, "packages")
    files = sorted((root / "repro_core" / "src").rglob("*.py"))
    files += [root / "new_news" / "src" / "new_news" / f for f in modules]
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


wildcard_constraints:
    nn_source="news|model|template",
    nn_protocol="naive|paraphrase|implication|selfqa",
    nn_group="g[0-9]+",


rule new_news_dataset:
    output: R("new_news", "dataset.json")
    params:
        p=lambda w: params_json("new_news", "dataset"),
        fail=maybe_fail("new_news_dataset"),
    log: LOG("new_news", "dataset")
    benchmark: BENCH("new_news", "dataset")
    threads: 1
    resources: mem_mb=1000, runtime=5
    shell: "{params.fail}python -m new_news dataset --threads {threads} --params {params.p:q} --out dataset={output} 2> {log}"


rule new_news_model:
    input: R("new_news", "dataset.json")
    output: directory(R("new_news", "model"))
    params:
        # a spec's chat_template (base models whose GGUF has none) goes to the stage beside the spec
        p=lambda w: params_json("new_news", model={k: v for k, v in NN_SPEC.items() if k != "chat_template"},
                                **({"chat_template": NN_SPEC["chat_template"]} if "chat_template" in NN_SPEC else {})),
        fail=maybe_fail("new_news_model"),
    log: LOG("new_news", "model")
    benchmark: BENCH("new_news", "model")
    threads: 1
    resources: mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 4000), runtime=60 if NN_FULL else 15
    shell: "{params.fail}python -m new_news model --threads {threads} --params {params.p:q} --in dataset={input} --out model_dir={output} 2> {log}"


rule new_news_replay:
    # one job per (source, protocol): the self-play protocols run in parallel
    input:
        model=R("new_news", "model"),
        dataset=R("new_news", "dataset.json"),
    output: R("new_news", "replay", "{nn_source}", "{nn_protocol}.json")
    params:
        p=lambda w: json.dumps({"gen": P("new_news", "replay", "gen"), "source": w.nn_source,
                                "counts": {w.nn_protocol: NN_COUNTS[w.nn_source][w.nn_protocol]},
                                "system": NN_SYSTEM, "device": config["device"], "seed": int(config["seed"])},
                               sort_keys=True),
        out_dir=lambda w, output: str(Path(output[0]).parent),
        code=nn_code("replay.py", "lm.py"),
        fail=maybe_fail("new_news_replay"),
    log: LOG("new_news", "replay_{nn_source}_{nn_protocol}")
    threads: 1
    resources:
        mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 4000),
        runtime=600 if NN_FULL else 40,
        gpu=lambda w: (NN_SPEC.get("gpus") or 1) if NN_FULL and w.nn_source == "model" else 0,
    cache: "omit-software"
    shell: "{params.fail}python -m new_news replay --threads {threads} --params {params.p:q} --in model_dir={input.model} --in dataset={input.dataset} --out replay_dir={params.out_dir} 2> {log}"


rule new_news_run:
    input:
        model=R("new_news", "model"),
        dataset=R("new_news", "dataset.json"),
        replay=lambda w: nn_replay_files(w.nn_group),
    output: directory(R("new_news", "runs", "{nn_group}"))
    params:
        p=lambda w: json.dumps({"conditions": NN_GROUPS[w.nn_group], "modes": NN_MODES, "train": NN_TRAIN,
                                "evaluate": NN_EVAL, "system": NN_SYSTEM, "device": config["device"],
                                "ckpt_dir": R("new_news", "checkpoints", w.nn_group),
                                "seed": int(config["seed"])}, sort_keys=True),
        replay_root=R("new_news", "replay"),
        code=nn_code("__init__.py", "__main__.py", "dataset.py", "lm.py", "replay.py", "stages.py", "train.py"),
        fail=maybe_fail("new_news_run"),
    log: LOG("new_news", "run_{nn_group}")
    threads: 1
    resources:
        mem_mb=NN_SPEC.get("mem_mb") or (32000 if NN_FULL else 6000),
        runtime=480 if NN_FULL else 40,
        gpu=(NN_SPEC.get("gpus") or 1) if NN_FULL else 0,
    cache: "omit-software"
    shell: "{params.fail}python -m new_news run --threads {threads} --params {params.p:q} --in model_dir={input.model} --in dataset={input.dataset} --in replay_dir={params.replay_root} --out adapters_dir={output}/adapters --out evals_dir={output}/evals 2> {log}"


rule new_news_analyse:
    input:
        runs=expand(R("new_news", "runs", "{g}"), g=sorted(NN_GROUPS)),
        dataset=R("new_news", "dataset.json"),
    output:
        summary=R("new_news", "summary.json"),
        table=report(R("new_news", "tables", "accuracy.csv"), category="new_news",
                     caption="../report/new_news/accuracy_table.rst"),
        questions=report(R("new_news", "tables", "questions.csv"), category="new_news",
                         caption="../report/new_news/questions_table.rst"),
    params:
        p=lambda w: json.dumps({"conditions": NN_ALL, "main_source": NN_MAIN, "budget": NN_B,
                                "budgets": NN_BUDGETS, "groups": sorted(NN_GROUPS),
                                "level": float(P("new_news", "claims", "level")),
                                "seed": int(config["seed"])}, sort_keys=True),
        runs_dir=lambda w, input: str(Path(input.runs[0]).parent),
        fail=maybe_fail("new_news_analyse"),
    log: LOG("new_news", "analyse")
    benchmark: BENCH("new_news", "analyse")
    threads: 1
    resources: mem_mb=1000, runtime=5
    shell: "{params.fail}python -m new_news analyse --threads {threads} --params {params.p:q} --in runs_dir={params.runs_dir} --in dataset={input.dataset} --out summary={output.summary} --out table={output.table} 2> {log}"


rule new_news_figures:
    input:
        summary=R("new_news", "summary.json"),
        table=R("new_news", "tables", "accuracy.csv"),
    output:
        protocols=report(R("new_news", "figures", "protocols.png"), category="new_news",
                         caption="../report/new_news/protocols.rst"),
        shadowing=report(R("new_news", "figures", "shadowing.png"), category="new_news",
                         caption="../report/new_news/shadowing.rst"),
        scaling=report(R("new_news", "figures", "scaling.png"), category="new_news",
                       caption="../report/new_news/scaling.rst"),
    params:
        p=lambda w: json.dumps({"seed": int(config["seed"])}),
        fail=maybe_fail("new_news_figures"),
    log: LOG("new_news", "figures")
    benchmark: BENCH("new_news", "figures")
    threads: 1
    resources: mem_mb=2000, runtime=5
    shell: "{params.fail}python -m new_news figures --threads {threads} --params {params.p:q} --in summary={input.summary} --in table={input.table} --out protocols_fig={output.protocols} --out shadowing_fig={output.shadowing} --out scaling_fig={output.scaling} 2> {log}"


rule new_news_claims:
    input: R("new_news", "summary.json")
    output: R("new_news", "claims.json")
    params:
        p=lambda w: params_json("new_news", "claims", scale=SCALE),
        code=code_hash("new_news", report_only=True),
        fail=maybe_fail("new_news_claims"),
    log: LOG("new_news", "claims")
    benchmark: BENCH("new_news", "claims")
    threads: 1
    resources: mem_mb=1000, runtime=5
    shell: "{params.fail}python -m new_news claims --threads {threads} --params {params.p:q} --in summary={input} --out claims_json={output} 2> {log}"


rule new_news:
    input:
        R("new_news", "claims.json"),
        rules.new_news_figures.output,
        rules.new_news_analyse.output,
