# Path and parameter helpers of workflow/rules/rl_wall.smk (functions only: a rules file holds rules).


def rlw_data_params(w):
    c = P(RLW, "conditions", w.rlw_cond)
    task = {
        **P(RLW, "task"),
        "alpha_train": c["alpha_train"],
        "beta_train": c["beta_train"],
    }
    return json.dumps(
        {
            "task": task,
            **P(RLW, "data"),
            "n_rl": c["n_rl"],
            "seed": int(config["seed"]),
        },
        sort_keys=True,
    )


def rlw_files(cond):
    """Inputs of the analysis of one condition: the SFT model's evaluation and history, and
    those of every GRPO seed run from that one SFT model."""
    return {
        "sft_eval": R(RLW, "eval", f"{cond}_sft.npz"),
        "sft_hist": R(RLW, "histories", f"{cond}_sft.npz"),
        "grpo_seeds": RLW_GRPO_SEEDS,
        "grpo_evals": [R(RLW, "eval", f"{cond}_grpo_s{s}.npz") for s in RLW_GRPO_SEEDS],
        "grpo_hists": [
            R(RLW, "histories", f"{cond}_grpo_s{s}.npz") for s in RLW_GRPO_SEEDS
        ],
    }


def rlw_inputs(cond):
    f = rlw_files(cond)
    return [f["sft_eval"], f["sft_hist"], *f["grpo_evals"], *f["grpo_hists"]]


def rlw_grpo_params(w):
    """The grpo section with the run's seed: the global seed + the GRPO seed index."""
    d = json.loads(params_json(RLW, "grpo", device=config.get("device", "auto")))
    d["seed"] += int(w.rlw_gseed)
    return json.dumps(d, sort_keys=True)
