# Path and parameter helpers of workflow/rules/emotion_trees.smk (functions only: a rules file holds rules).


def et_load_spec(m):
    return {k: v for k, v in ET_SPECS[m].items() if k not in ET_INFO_KEYS}
