# Test-only: one rule that always fails, for the cluster test of retries and of the error report
# (tests/cluster/test_slurm.py). The Snakefile includes this file only when config inject_failure
# is set (`--config inject_failure=<why>`); no paper rule carries a failure switch.


rule failure_probe:
    output:
        R("probe", "failure_probe.txt"),
    params:
        why=lambda w: f"injected failure in rule failure_probe (config inject_failure={config['inject_failure']})",
    log:
        LOG("probe", "failure_probe"),
    benchmark:
        BENCH("probe", "failure_probe")
    threads: 1
    resources:
        mem_mb=100,
        runtime=2,
    shell:
        "echo {params.why:q} | tee {log} >&2; exit 3"
