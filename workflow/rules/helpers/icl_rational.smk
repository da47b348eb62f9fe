# Path and parameter helpers of workflow/rules/icl_rational.smk (functions only: a rules file holds rules).


def _iclr_groups():
    """group name ("4_16_64") -> its D values, chunks of train.group_size."""
    Ds = [int(d) for d in P(ICLR, "n_tasks")]
    k = int(P(ICLR, "train", "group_size"))
    return {
        "_".join(map(str, Ds[i : i + k])): Ds[i : i + k] for i in range(0, len(Ds), k)
    }


def iclr_train_params(w):
    d = dict(P(ICLR, "train"))
    d.pop("group_size")
    d.pop("n_seeds")
    d.update(
        n_tasks=ICLR_GROUPS[w.iclr_group],
        n_symbols=P(ICLR, "n_symbols"),
        device=config.get("device", "auto"),
        seed=int(config["seed"]) + int(w.iclr_rep),
    )
    return json.dumps(d, sort_keys=True)
