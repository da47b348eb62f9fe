# Path and parameter helpers of workflow/rules/abrupt_learning.smk (functions only: a rules file holds rules).


def al_trains(wildcards=None):
    t = P("abrupt_learning", "train")
    return [
        R("abrupt_learning", "train", f"{task}_{rule}.npz")
        for task in t["tasks"]
        for rule in t["rules"]
    ]
