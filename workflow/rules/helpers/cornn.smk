# Path and parameter helpers of workflow/rules/cornn.smk (functions only: a rules file holds rules).


def cornn_reps(exp):
    return range(int(P("cornn", "reps_large" if exp == "large" else "reps")))


def cornn_traces():
    return [
        R("cornn", "fits", f"{exp}_rep{rep}.csv")
        for exp in P("cornn", "run_experiments")
        for rep in cornn_reps(exp)
    ]


def cornn_flipflop_results():
    return [
        R("cornn", "flipflop", f"fits_n{n}.csv")
        for n in P("cornn", "flipflop", "sizes")
    ]


def cornn_grid():
    """The grid the result tables must cover (figures and claims check them against it)."""
    return dict(
        experiments=P("cornn", "run_experiments"),
        reps={e: len(cornn_reps(e)) for e in P("cornn", "run_experiments")},
        methods=P("cornn", "fit", "methods"),
        scaling_n=P("cornn", "benchmark", "scaling_n"),
        flipflop_trials=P("cornn", "flipflop", "fit", "trials"),
        timed_fractions=P("cornn", "timed", "fit", "fractions"),
        timed_alpha_sd=P("cornn", "timed", "fit", "alpha_sd"),
        timed_reps=P("cornn", "timed", "fit", "subsample_reps"),
    )
