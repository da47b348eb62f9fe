# Path and parameter helpers of workflow/rules/icl_lowfreq.smk (functions only: a rules file holds rules).


def icl_lowfreq_trained():
    return [
        R("icl_lowfreq", "trained", f"{g}.json")
        for g in P("icl_lowfreq", "trained", "graphs")
    ]


def icl_lowfreq_lm(ext="json"):
    return [R("icl_lowfreq", "lm", f"{m}.{ext}") for m in ICL_LOWFREQ_LM_MODELS]


def icl_lowfreq_lm_params(w):
    d = {
        k: v
        for k, v in P("icl_lowfreq", "lm").items()
        if k not in ("models", "model_specs")
    }
    return params_json(
        "icl_lowfreq", model=ICL_LOWFREQ_LM_SPECS[w.icl_lowfreq_model], **d
    )
