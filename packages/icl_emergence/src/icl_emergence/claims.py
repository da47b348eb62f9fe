"""The paper's headline claims as checks on our results (summary.json of the
analyze stage).

Paper claims use the paper's numbers (or the issue's reading of its figures)
with thresholds fixed before the results were seen; the claims about trained
models are judged on every seed of the run (``seeds`` in the config). Exact
maths (the Bayes curves) are listed as checks. summary.json is read by key, so
a missing entry raises (status ``error``), never a silent False."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import repro_core
from repro_core import Claim, Evidence, exact
from repro_core.stats import mean_ci

LN2 = math.log(2)
# The exact Bayes numbers for Mr. Name (p=0.4, q=0.25), nats. h_1 = h_mu + ln2/6 = 0.9514008
# exactly (the issue printed 0.95142, 1.9e-5 high; see tests/icl_emergence/test_processes.py).
PAPER_MR_NAME = {"hmu": 0.835876, "h0": 1.44519, "h1": 0.951401, "h5": 0.8846, "h20": 0.8365}
# The authors' induction-head run (issue 5): name-2 loss 1.96 -> 1.06 -> 0.71 nats between steps 20
# and 50, 0.008 nats at step 1000.
PAPER_FALL = 1.96 - 0.71          # nats, over the paper's 30-step window (analysis.sharp_window)
PAPER_FINAL_NAME2 = 0.008         # nats at step 1000
MR_GAP = 0.02                     # nats: the model on the Bayes curve "within ~0.02" (issue 5)
SLOPE_MARGIN = 0.1                # the paper's tolerance on the power-law exponent (-1 +- 0.1)
ANY = ("smoke", "quick", "full")


def _mr_exact(ctx):
    m = ctx["mr_name"]
    h = m["h"]
    return {"hmu": m["hmu_closed_form"], "h0": h["0"], "h1": h["1"], "h5": h["5"], "h20": h["20"],
            "h_last": h[str(max(map(int, h)))]}


def _mr_exact_holds(v):
    # each value to the precision the issue quotes (half a unit of its last digit, at least 5e-5)
    ok = all(abs(v[k] - ref) <= max(5e-5, 0.5 * 10 ** -(len(str(ref).split(".")[1])))
             for k, ref in PAPER_MR_NAME.items())
    return ok and abs(v["h_last"] - v["hmu"]) < 1e-6


def _run(ctx, name):
    return ctx["runs"][name]


def _seeds(ctx, name):
    seeds = _run(ctx, name)["seeds"]
    if not seeds:
        raise KeyError(f"run {name} has no seeds in summary.json")
    return seeds


def _nonempty(d: dict, what: str) -> dict:
    """Missing results are an error (status ``error``), never an empty claim that is False."""
    if not d:
        raise KeyError(f"summary.json has no {what}")
    return d


def _ci(x):
    """95% t-interval of the seed mean (None, i.e. not shown, with fewer than 2 seeds)."""
    return mean_ci(x) if len(x) >= 2 else None


def _powerlaw_bayes(ctx):
    return _nonempty({f"N={n}": {"slope": c["slope"], "l_excess": c["ell_times_excess_at_max_len"],
                                 "at_l": c["max_len"] - 1}
                      for n, c in ctx["coins"].items() if int(n) >= 100}, "coin mixture with N >= 100")


def _powerlaw_bayes_holds(v):
    return bool(v) and all(abs(c["slope"] + 1) <= 0.1 and abs(c["l_excess"] - 0.5) <= 0.05
                           for c in v.values())


def _exponential(ctx):
    c = ctx["coins"]["2"]
    return {"total_excess": c["total_excess"], "ln2": c["ln_n"], "r2_semilog": c["r2_semilog"],
            "r2_loglog": c["r2_loglog"], "slope_loglog": c["slope"]}


def _coin_runs(ctx):
    return _nonempty({r["n_coins"]: r for r in ctx["runs"].values() if "n_coins" in r and r["n_coins"] >= 100},
                     "coin run with N >= 100")


def _powerlaw_model(ctx):
    out = {}
    for n, r in sorted(_coin_runs(ctx).items()):
        bayes = r["bayes_slope"]
        out[f"N={n}"] = {
            "bayes_slope_same_window": bayes, "window": r["model_fit_range"],
            "model_slopes": [x["model_slope"] for x in r["seeds"]],
            "model_ci95": [x["model_slope_ci95"] for x in r["seeds"]],
            "max_abs_diff_ci_vs_bayes": max(max(abs(lo - bayes), abs(hi - bayes))
                                            for lo, hi in (x["model_slope_ci95"] for x in r["seeds"])),
            "model_slope_plus_1": r["model_slope"] + 1}     # the paper's "-1" statement (information)
    return out


def _powerlaw_model_holds(v):
    return bool(v) and all(c["max_abs_diff_ci_vs_bayes"] <= SLOPE_MARGIN for c in v.values())


def _powerlaw_model_evidence(ctx):
    runs = _coin_runs(ctx)
    n_seeds = min(len(r["seeds"]) for r in runs.values())
    return Evidence(n_seeds, "training seeds per N (slope fit over the window's positions)",
                    test="95% interval of the log-log slope from the least-squares standard error, "
                         "per seed; must lie within the Bayes slope +- 0.1 (equivalence)")


def _coupling(ctx):
    c = ctx["coupling"]
    out = {}
    for n, row in zip(c["models"], c["kl"]):
        if n > 10:      # priors with N >= 100 are all close to uniform: not a test of the prior
            continue
        own = row[c["priors"].index(n)]
        others = {f"prior {p}": kl for p, kl in zip(c["priors"], row) if p != n}
        out[f"trained N={n}"] = {"own": own, "closest_other": min(others.values())}
    return _nonempty(out, "coin model trained on N <= 10")


def _coupling_holds(v):
    return bool(v) and all(r["own"] <= 0.5 * r["closest_other"] for r in v.values())


def _mr_model(name):
    def f(ctx):
        r = _run(ctx, name)
        kl = [x["max_kl_l1"] for x in _seeds(ctx, name)]
        return {"max_kl_l1_per_seed": kl, "max_kl_l1_worst": max(kl),
                "icl_reduction": r["icl_reduction"], "icl_reduction_bayes": r["icl_reduction_bayes"]}
    return f


def _mr_model_evidence(name):
    def f(ctx):
        kl = [x["max_kl_l1"] for x in _seeds(ctx, name)]
        return Evidence(len(kl), "training seeds", test="every seed must meet the criterion; "
                        "95% t-interval of the seed mean shown", ci=_ci(kl))
    return f


def _transition(ctx):
    seeds = _seeds(ctx, "mrname_transformer")
    return {"transition_found": [x["transition_found"] for x in seeds],
            "steepest_fall": [x["steepest_fall"]["fall"] for x in seeds],
            "fall_steps": [[x["steepest_fall"]["from_step"], x["steepest_fall"]["to_step"]] for x in seeds],
            "window_steps": seeds[0]["steepest_fall"]["window"],
            "name2_at_20_50": [[x["name2_at"]["20"], x["name2_at"]["50"]] for x in seeds],
            "transition_steps": [x["transition_step"] for x in seeds if x["transition_found"]],
            "name1_final": [x["name1_final"] for x in seeds]}


def _transition_holds(v):
    return (all(v["transition_found"]) and all(f >= PAPER_FALL for f in v["steepest_fall"])
            and all(x >= LN2 - 0.02 for x in v["name1_final"]))


def _transition_evidence(ctx):
    falls = [x["steepest_fall"]["fall"] for x in _seeds(ctx, "mrname_transformer")]
    return Evidence(len(falls), "training seeds",
                    test="every seed must fall >= 1.25 nats within 30 steps (fixed before the run); "
                         "95% t-interval of the seed-mean fall shown", ci=_ci(falls))


def _final(ctx):
    seeds = _seeds(ctx, "mrname_transformer")
    return {"name2_final": [x["name2_final"] for x in seeds], "at_step": [x["final_step"] for x in seeds]}


def _final_evidence(ctx):
    v = _final(ctx)["name2_final"]
    return Evidence(len(v), "training seeds", test="every seed must be <= the paper's 0.008 nats; "
                    "95% t-interval of the seed mean shown", ci=_ci(v))


MR_WHERE = "Mr. Name (induction-head) experiment: loss on the name tokens over training"
CLAIMS = [
    Claim(id="icl_emergence.mr_name_bayes", kind="check",
          statement="Exact Bayes loss of the Mr. Name mixture by context position, falling to the "
                    "entropy rate h_mu = (q ln2 + H(p,q,1-p-q))/(1+2q)",
          paper="h_mu=0.835876; h_0=1.44519, h_1=0.951401, h_5=0.8846, h_20=0.8365 nats",
          compute=_mr_exact, holds=_mr_exact_holds, evidence=exact("closed form and exact recursion"),
          criterion="each value within its quoted precision (>= 5e-5); h_99 = h_mu to 1e-6",
          scales=ANY),
    Claim(id="icl_emergence.mr_name_model_matches_bayes", kind="paper",
          where="Mr. Name experiment: per-position loss of the trained transformer against the Bayes curve",
          statement="The trained transformer's per-position loss approaches the Bayes curve",
          paper="within ~0.02 nats for l >= 1 at the end of training",
          threshold="0.02 nats: the issue's reading of the paper's figure (model on the Bayes curve)",
          compute=_mr_model("mrname_transformer"), holds=lambda v: v["max_kl_l1_worst"] <= MR_GAP,
          evidence=_mr_model_evidence("mrname_transformer"),
          criterion="on every seed: max over l>=1 of c_l - h_l = E[KL(Bayes||model)] <= 0.02 nats"),
    Claim(id="icl_emergence.induction_transition", kind="paper", where=MR_WHERE,
          statement="The loss on the second occurrence of the name falls sharply (induction head), "
                    "while the first occurrence stays at >= ln 2",
          paper="1.96 -> 1.06 -> 0.71 nats between steps 20 and 50 (a 1.25-nat fall in 30 steps); "
                "first occurrence >= ln 2",
          threshold="the paper's fall of 1.25 nats within 30 steps (its steps 20 -> 50); ln 2 is the Bayes "
                    "loss of a 50/50 name, less 0.02 nats for validation noise (ours, a priori)",
          compute=_transition, holds=_transition_holds, evidence=_transition_evidence,
          criterion="on every seed: name-2 loss falls below ln2/2 (copying); its steepest fall between "
                    "logged steps <= 30 apart is >= 1.25 nats; final name-1 loss >= ln2 - 0.02",
          note="not a scale limit: with the authors' model, lr, steps and batch (128 or 512) our falls "
               "over steps 20 -> 50 are 0.80-1.08 nats on 3 seeds vs the paper's single run 1.25 "
               "(README)"),
    Claim(id="icl_emergence.induction_final_loss", kind="paper", where=MR_WHERE,
          statement="After the transition the second name is copied almost perfectly",
          paper="name-2 loss 0.008 nats at step 1000",
          threshold="the paper's 0.008 nats at step 1000 (we train the paper's 1000 steps)",
          compute=_final, holds=lambda v: all(x <= PAPER_FINAL_NAME2 for x in v["name2_final"]),
          evidence=_final_evidence,
          criterion="on every seed: name-2 loss at the last step <= 0.008 nats",
          note="quick trains batch 128 (the paper's 512) for the paper's 1000 steps: a quarter of "
               "its sequences (see the README)"),
    Claim(id="icl_emergence.power_law_bayes", kind="check",
          statement="For N >= 100 coins the Bayes excess loss h_l - h_inf decays as 1/(2l)",
          paper="log-log slope -1 +- 0.1 over l in [8, 100]; l * excess -> 0.5",
          compute=_powerlaw_bayes, holds=_powerlaw_bayes_holds, evidence=exact(),
          criterion="|slope + 1| <= 0.1 and |l * excess - 0.5| <= 0.05 at the longest l computed",
          scales=ANY),
    Claim(id="icl_emergence.two_coins_exponential", kind="check",
          statement="For N = 2 coins the excess decays exponentially and sums to ln 2",
          paper="exponential decay; total excess = ln N",
          compute=_exponential, evidence=exact(),
          holds=lambda v: abs(v["total_excess"] - v["ln2"]) <= 1e-3 and v["r2_semilog"] > v["r2_loglog"],
          criterion="|sum_l excess - ln 2| <= 1e-3 and a straight line in l fits log excess better "
                    "(R^2) than in log l",
          scales=ANY),
    Claim(id="icl_emergence.power_law_model", kind="paper",
          where="N-coin mixtures: log-log excess loss of the trained transformer against the Bayes power law",
          statement="Transformers trained on N >= 100 coins follow the Bayes power law",
          paper="model excess ~ 1/(2l), the Bayes law (slope -1 +- 0.1 over l in [8, 100])",
          threshold="the paper's tolerance 0.1 on the exponent, applied to model vs Bayes on the same "
                    "window (the Bayes slope itself is -0.91 there, so -1 is shown as information)",
          compute=_powerlaw_model, holds=_powerlaw_model_holds, evidence=_powerlaw_model_evidence,
          criterion="for every N >= 100 and seed: the 95% interval of the model's log-log slope over "
                    "l in [8, 99] lies within the Bayes slope on the same window +- 0.1"),
    Claim(id="icl_emergence.prior_coupling", kind="paper",
          where="coupling to the pretraining ensemble: coin models on held-out biases",
          statement="A model trained on N coins predicts held-out biases like the Bayes predictor "
                    "with its training prior, not another prior",
          paper="KL to the training-prior Bayes predictor small; large to other priors",
          threshold="a factor 2 between own and closest other prior (ours, a priori: the paper gives "
                    "no number)",
          compute=_coupling, holds=_coupling_holds,
          evidence=lambda ctx: Evidence(1, "training seed (single seed at quick)",
                                        test=f"KL averaged over {len(ctx['coupling']['kl'][0])} priors x "
                                             "held-out sequences; no interval"),
          criterion="for N_train in {2, 10}: KL to own prior <= half the KL to any other prior"),
    Claim(id="icl_emergence.gru_same_icl", kind="paper",
          where="architecture independence: GRU trained on the Mr. Name mixture",
          statement="A GRU shows the same in-context loss decrease (architecture independence)",
          paper="same in-context loss curve as the transformer",
          threshold="the transformer's 0.02 nats (the issue's reading of the paper's figure)",
          compute=_mr_model("mrname_gru"), holds=lambda v: v["max_kl_l1_worst"] <= MR_GAP,
          evidence=_mr_model_evidence("mrname_gru"),
          criterion="on every seed: max over l>=1 of c_l - h_l <= 0.02 nats (the transformer's criterion)"),
]


@dataclass
class ClaimsConfig:
    scale: str = "quick"
    seed: int = 0


def _fmt(x, spec=".4g"):
    return "n/a" if x is None else format(x, spec)


def note_text(ctx: dict, records: list[dict], scale: str) -> str:
    """A short Markdown note: transition step, fitted exponents, verdicts."""
    lines = [f"# icl_emergence ({scale} scale)", ""]
    for name, r in sorted(ctx["runs"].items()):
        if "transition" in r:
            t = r["transition"]
            lines.append(f"- {name}: induction transition at step {_fmt(t['step'], 'd')} "
                         f"(name-2 loss below ln2/2; 0.9 ln2 -> 0.1 ln2 in {_fmt(t['width'], 'd')} steps), "
                         f"final name-2 loss {_fmt(t['final'])}, name-1 loss {_fmt(r['name1_final'])}; "
                         f"max_l>=1 (c_l - h_l) = {_fmt(r['max_kl_l1'])} nats; per seed: "
                         + "; ".join(f"transition step {_fmt(x['transition_step'], 'd')}, steepest "
                                     f"{x['steepest_fall']['window']}-step fall {_fmt(x['steepest_fall']['fall'])} "
                                     f"nats (steps {x['steepest_fall']['from_step']}->{x['steepest_fall']['to_step']}), "
                                     f"final name-2 {_fmt(x['name2_final'])}" for x in r["seeds"]))
    for n, c in sorted(ctx["coins"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"- coins N={n}: Bayes log-log slope {_fmt(c['slope'])} over l in {c['fit_range']}, "
                     f"l*excess at l={c['max_len'] - 1}: {_fmt(c['ell_times_excess_at_max_len'])}, "
                     f"total excess to l={c['max_len'] - 1}: {_fmt(c['total_excess'])} (ln N = {_fmt(c['ln_n'])})")
    for name, r in sorted(ctx["runs"].items()):
        if "n_coins" in r:
            lines.append(f"- {name}: model log-log slope {_fmt(r['model_slope'])} "
                         f"(95% CI {[round(c, 4) for c in r['model_slope_ci95']]}) vs Bayes "
                         f"{_fmt(r['bayes_slope'])} over l in {r['model_fit_range']}, "
                         f"mean KL to Bayes {_fmt(r['mean_kl'])} nats/token")
    lines += ["", "| claim | kind | ours | verdict |", "|---|---|---|---|"]
    lines += [f"| {r['id']} | {r['kind']} | {r['ours']} | {r['status']} |" for r in records]
    return "\n".join(lines) + "\n"


def claims(cfg: ClaimsConfig, summary: Path, claims_json: Path, note: Path) -> None:
    ctx = repro_core.load_json(summary)
    records = repro_core.evaluate_claims(CLAIMS, ctx, cfg.scale, paper="icl_emergence")
    repro_core.write_claims(records, claims_json)
    repro_core.save_text(note_text(ctx, records, cfg.scale), note)
