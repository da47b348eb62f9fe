"""The paper's headline claims, checked on our summary (verdicts computed, never typed in)."""

from __future__ import annotations

from repro_core import Claim


def _protocol_order(ctx) -> dict:
    s = ctx["s"]
    p = s["protocols"][s["main_source"]]
    return {"naive": s["naive"], **p}


def _order_holds(d: dict) -> bool:
    return d["selfqa"] > max(d["paraphrase"], d["implication"]) and min(d["paraphrase"], d["implication"]) > d["naive"]


def _overexposure(ctx) -> dict:
    s = ctx["s"]
    main = f"selfqa-{s['main_source']}-b{s['budget']}"
    return {"icl_before": s["icl_before"], "icl_after_selfqa_ft": s["icl_after"][main]}


CLAIMS = [
    Claim(id="new_news.ft_icl_gap",
          statement="An FT-ICL gap: with the news in context (ICL) the model answers far better than after "
                    "naive fine-tuning on the news text",
          paper="naive FT far below ICL in every domain (Fig. 1, Qwen2.5 0.5B-32B)",
          compute=lambda ctx: {"icl_minus_naive": ctx["s"]["icl_minus_naive"], "margin": ctx["cfg"].gap_margin},
          holds=lambda d: d["icl_minus_naive"] is not None and d["icl_minus_naive"] >= d["margin"],
          criterion="ICL accuracy - naive-FT accuracy, mean over domains, >= claims.gap_margin "
                    "(0.10: a clear margin)"),
    Claim(id="new_news.protocol_order",
          statement="Self-QA fine-tuning beats paraphrase and implication fine-tuning, which beat naive fine-tuning",
          paper="Self-QA > paraphrase, implication > naive FT (Fig. 3)",
          compute=_protocol_order, holds=_order_holds,
          criterion="selfqa > max(paraphrase, implication) and min(paraphrase, implication) > naive "
                    "(self-play replay, equal samples per item)"),
    Claim(id="new_news.selfqa_closes_gap",
          statement="Self-QA closes most of the FT-ICL gap",
          paper="Self-QA recovers most of the ICL accuracy, best in math and coding (Fig. 3)",
          compute=lambda ctx: ctx["s"]["gap_closed_by_selfqa"],
          holds=lambda v: v is not None and v > 0.5,
          criterion="(selfqa - naive) / (ICL - naive) > 0.5"),
    Claim(id="new_news.contextual_shadowing",
          statement="Contextual shadowing: training on the same replay with the news prefixed learns less "
                    "than training on the replay alone",
          paper="news-prefixed Sys2-FT well below plain Sys2-FT (Fig. 4)",
          compute=lambda ctx: ctx["s"]["shadowing"],
          holds=lambda d: None not in d.values() and d["shadow"] < d["selfqa"],
          criterion="closed-book accuracy after news-prefixed Self-QA FT < after Self-QA FT"),
    Claim(id="new_news.overexposure",
          statement="Fine-tuning on the news lowers later ICL accuracy on the same news",
          paper="ICL accuracy after FT below ICL before FT (Sec. 5)",
          compute=_overexposure,
          holds=lambda d: d["icl_after_selfqa_ft"] < d["icl_before"],
          criterion="ICL accuracy after Self-QA FT < ICL accuracy of the base model"),
    Claim(id="new_news.replay_scaling",
          statement="Accuracy rises with the amount of Sys2-FT replay (compute)",
          paper="accuracy grows with Sys2-FT compute, an emerging scaling law (Fig. 5)",
          compute=lambda ctx: {"slope_per_doubling": ctx["s"]["budget_slope_per_doubling"],
                               "curve": ctx["s"]["budget_curve"]},
          holds=lambda d: d["slope_per_doubling"] is not None and d["slope_per_doubling"] > 0,
          criterion="least-squares slope of Self-QA accuracy vs log2(replay samples per item) > 0"),
]
