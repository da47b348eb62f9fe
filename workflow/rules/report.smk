# Scorecard of every selected paper's claims, and the report target.
# `snakemake report` builds the scorecard; the Makefile's `report` target then
# runs `snakemake --report` to bundle every report()-marked figure and table.


rule scorecard:
    input:
        claims=[R(p, "claims.json") for p in PAPERS],
    output:
        csv=report(
            f"reports/{SCALE}/scorecard.csv",
            category="Scorecard",
            caption="../report/scorecard.rst",
        ),
        md=f"reports/{SCALE}/scorecard.md",
        html=report(
            f"reports/{SCALE}/scorecard.html",
            category="Scorecard",
            caption="../report/scorecard.rst",
        ),
        rst=f"reports/{SCALE}/scorecard.rst",
    log:
        f"reports/{SCALE}/logs/scorecard.log",
    localrule: True
    params:
        scale=SCALE,
        # claims of the other scales that exist now: the per-paper table shows every scale run
        other=lambda w: " ".join(str(p) for p in other_scale_claims(PAPERS)),
    shell:
        "python -m repro_core scorecard --scale {params.scale} --csv {output.csv} "
        "--md {output.md} --html {output.html} --rst {output.rst} --other {params.other} "
        "-- {input.claims} 2> {log}"


rule cost:
    # Runs after every paper's targets; reads their benchmark files and stage logs.
    input:
        [paper_targets(p) for p in PAPERS],
    output:
        csv=report(
            f"reports/{SCALE}/cost.csv", category="Cost", caption="../report/cost.rst"
        ),
        rst=report(
            f"reports/{SCALE}/cost.rst", category="Cost", caption="../report/cost.rst"
        ),
    log:
        f"reports/{SCALE}/logs/cost.log",
    localrule: True
    params:
        scale=SCALE,
        papers=" ".join(PAPERS),
        dag_logs=DAG_LOGS,  # written by the Snakefile's onstart: this workflow's jobs only
    shell:
        "python -m repro_core cost --scale {params.scale} --csv {output.csv} --rst {output.rst} "
        "--logs {params.dag_logs} {params.papers} > {log} 2>&1"


rule report:
    input:
        [paper_targets(p) for p in PAPERS],
        rules.scorecard.output,
        rules.cost.output,
