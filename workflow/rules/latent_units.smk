# latent_units: Dinc et al., latent computing by neural networks (arXiv 2502.14337).
# Thin rules; the science is in packages/latent_units. Attributes: 1 dimensionality,
# 2 redundancy, 3 linear readouts, 4 decoding vs trajectory sizes (scaling), 5 drift.
# The stages are numpy on CPU (memory-bound streaming over neuron chunks): no GPU requested.

LU_FULL = SCALE == "full"
LU_FIGS = ["dimensionality", "decoding", "scaling", "drift"]


# Shell command of one stage (--in/--out named after the rule's input/output keys), and a
# report()-marked figure path. Lambdas: the linter objects to functions mixed with rules.
lu_cmd = lambda name, ins, outs: " ".join(
    [f"python -m latent_units {name} --threads {{threads}} --params {{params.p:q}}"]
    + [f"--in {k}={{input.{k}}}" for k in ins]
    + [f"--out {k}={{output.{k}}}" for k in outs]
    + ["2> {log}"]
)
lu_fig = lambda name: report(
    R("latent_units", "figures", f"{name}.png"),
    category="latent_units",
    caption=f"../report/latent_units/{name}.rst",
)


rule latent_units_networks:
    output:
        data=R("latent_units", "data", "networks.npz"),
    log:
        LOG("latent_units", "networks"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "latent_units_networks",
            mem_mb=32000 if LU_FULL else 4000,
            runtime=600 if LU_FULL else 20,
        ),
    params:
        p=lambda w: params_json("latent_units", "networks"),
        code=code_hash("latent_units"),
    shell:
        lu_cmd("networks", [], ["data"])


rule latent_units_dimensionality:
    input:
        data=rules.latent_units_networks.output.data,
    output:
        dims=R("latent_units", "tables", "dimensionality.csv"),
        spectra=R("latent_units", "tables", "spectra.csv"),
    log:
        LOG("latent_units", "dimensionality"),
    benchmark:
        BENCH("latent_units", "dimensionality")
    threads: 1
    resources:
        mem_mb=16000 if LU_FULL else 3000,
        runtime=240 if LU_FULL else 15,
    params:
        p=lambda w: params_json("latent_units", "dimensionality"),
    shell:
        lu_cmd("dimensionality", ["data"], ["dims", "spectra"])


rule latent_units_redundancy:
    input:
        data=rules.latent_units_networks.output.data,
    output:
        table=R("latent_units", "tables", "redundancy.csv"),
    log:
        LOG("latent_units", "redundancy"),
    benchmark:
        BENCH("latent_units", "redundancy")
    threads: 1
    resources:
        mem_mb=16000 if LU_FULL else 3000,
        runtime=60 if LU_FULL else 10,
    params:
        p=lambda w: params_json("latent_units", "redundancy"),
    shell:
        lu_cmd("redundancy", ["data"], ["table"])


rule latent_units_decoding:
    input:
        data=rules.latent_units_networks.output.data,
    output:
        table=R("latent_units", "tables", "decoding.csv"),
    log:
        LOG("latent_units", "decoding"),
    benchmark:
        BENCH("latent_units", "decoding")
    threads: 1
    resources:
        # full: an upper bound from measured per-unit costs (workflow/calibration.yaml), every
        # MLP fit running all its epochs; the stage cannot be probed here
        **measured(
            "latent_units_decoding",
            mem_mb=16000 if LU_FULL else 3000,
            runtime=2940 if LU_FULL else 15,
        ),
    params:
        p=lambda w: params_json("latent_units", "decoding"),
    shell:
        lu_cmd("decoding", ["data"], ["table"])


rule latent_units_drift:
    input:
        data=rules.latent_units_networks.output.data,
    output:
        table=R("latent_units", "tables", "drift.csv"),
        perturb=R("latent_units", "tables", "perturbation.csv"),
    log:
        LOG("latent_units", "drift"),
    benchmark:
        BENCH("latent_units", "drift")
    threads: 1
    resources:
        mem_mb=32000 if LU_FULL else 3000,
        runtime=480 if LU_FULL else 15,
    params:
        p=lambda w: params_json("latent_units", "drift"),
    shell:
        lu_cmd("drift", ["data"], ["table", "perturb"])


rule latent_units_scaling:
    output:
        trajectories=R("latent_units", "tables", "scaling_trajectories.csv"),
        decoding=R("latent_units", "tables", "scaling_decoding.csv"),
        summary=R("latent_units", "tables", "scaling_summary.json"),
    log:
        LOG("latent_units", "scaling"),
    cache: "omit-software"
    threads: 1
    resources:
        **measured(
            "latent_units_scaling",
            mem_mb=16000 if LU_FULL else 3000,
            runtime=480 if LU_FULL else 15,
        ),
    params:
        p=lambda w: params_json("latent_units", "scaling"),
        code=code_hash("latent_units"),
    shell:
        lu_cmd("scaling", [], ["trajectories", "decoding", "summary"])


rule latent_units_figures:
    input:
        dims=rules.latent_units_dimensionality.output.dims,
        spectra=rules.latent_units_dimensionality.output.spectra,
        redundancy=rules.latent_units_redundancy.output.table,
        decoding=rules.latent_units_decoding.output.table,
        drift=rules.latent_units_drift.output.table,
        perturb=rules.latent_units_drift.output.perturb,
        trajectories=rules.latent_units_scaling.output.trajectories,
        decoding_1d=rules.latent_units_scaling.output.decoding,
        summary=rules.latent_units_scaling.output.summary,
    output:
        fig_dimensionality=lu_fig("dimensionality"),
        fig_decoding=lu_fig("decoding"),
        fig_scaling=lu_fig("scaling"),
        fig_drift=lu_fig("drift"),
    log:
        LOG("latent_units", "figures"),
    benchmark:
        BENCH("latent_units", "figures")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    params:
        p=lambda w: params_json("latent_units", cfg=P("latent_units")),
    shell:
        lu_cmd(
            "figures",
            [
                "dims",
                "spectra",
                "redundancy",
                "decoding",
                "drift",
                "perturb",
                "trajectories",
                "decoding_1d",
                "summary",
            ],
            [f"fig_{f}" for f in LU_FIGS],
        )


rule latent_units_claims:
    input:
        dims=rules.latent_units_dimensionality.output.dims,
        redundancy=rules.latent_units_redundancy.output.table,
        decoding=rules.latent_units_decoding.output.table,
        drift=rules.latent_units_drift.output.table,
        perturb=rules.latent_units_drift.output.perturb,
        summary=rules.latent_units_scaling.output.summary,
    output:
        claims_json=R("latent_units", "claims.json"),
    log:
        LOG("latent_units", "claims"),
    benchmark:
        BENCH("latent_units", "claims")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=5,
    params:
        p=lambda w: params_json("latent_units", scale=SCALE, cfg=P("latent_units")),
        code=code_hash("latent_units", report_only=True),
    shell:
        lu_cmd(
            "claims",
            ["dims", "redundancy", "decoding", "drift", "perturb", "summary"],
            ["claims_json"],
        )


rule latent_units:
    input:
        rules.latent_units_claims.output.claims_json,
        rules.latent_units_figures.output,
