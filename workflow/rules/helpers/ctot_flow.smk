# Path and parameter helpers of workflow/rules/ctot_flow.smk (functions only: a rules file holds rules).


def _ctot_process(ds):
    """(process, timestamp noise) of a dataset: a main process or a noise-sweep level."""
    if ds in CTOT_MAIN:
        return ds, P("ctot_flow", "data", "time_noise")
    return (
        P("ctot_flow", "sweep", "process"),
        P("ctot_flow", "sweep", "noise")[int(ds.split("_")[1])],
    )


def _ctot_sim_params(ds):
    d = _ctot_json.loads(params_json("ctot_flow", "data"))
    ou_dim = d.pop("ou_dim")
    process, noise = _ctot_process(ds)
    d.update(
        dataset=ds,
        process=process,
        time_noise=noise,
        dim=ou_dim if process == "ou" else 2,
    )
    return _ctot_json.dumps(d, sort_keys=True)


def _ctot_fit_params(ds, seed):
    process, noise = _ctot_process(ds)
    methods = P("ctot_flow", "methods", "main" if ds in CTOT_MAIN else "sweep")
    return _ctot_json.dumps(
        {
            "train": _ctot_json.loads(
                params_json(
                    "ctot_flow",
                    "train",
                    dataset=ds,
                    methods=list(methods),
                    train_seed=int(seed),
                    device=config.get("device", "auto"),
                )
            ),
            "evaluate": _ctot_json.loads(
                params_json(
                    "ctot_flow",
                    "evaluate",
                    dataset=ds,
                    process=process,
                    time_noise=noise,
                    train_seed=int(seed),
                    h=P("ctot_flow", "train", "h"),
                )
            ),
        },
        sort_keys=True,
    )
