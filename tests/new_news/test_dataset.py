"""The New News data: authored items and templated rule news are valid multiple-choice sets."""

import re
from collections import Counter

import numpy as np
import pytest

from new_news.dataset import (DOMAINS, N_OPTIONS, DatasetConfig, balanced_positions, build_dataset,
                              facts, load_authored, rule_item, validate_item)
from tests.helpers import stage_config


def dataset_config(**kw) -> DatasetConfig:
    """config/new_news.yaml's dataset section at full scale (all five domains, all authored items)
    with the test's changes."""
    return stage_config("new_news", "dataset", "full", **kw)


def test_authored_items_valid_and_cover_domains():
    items = load_authored()
    assert len(items) >= 25
    assert Counter(it["domain"] for it in items) == {d: 5 for d in DOMAINS}
    assert len({it["id"] for it in items}) == len(items)
    for it in items:
        assert validate_item(it) == [], validate_item(it)
        assert len(it["questions"]) == 5


@pytest.mark.parametrize("domain", DOMAINS)
def test_rule_items_valid_over_many_seeds(domain):
    for seed in range(3):
        for k in range(15):
            it = rule_item(domain, k, seed)
            assert validate_item(it) == [], validate_item(it)
            assert it["implications"]


def test_rule_math_answers_are_computed_from_the_definition():
    for k in range(20):
        it = rule_item("mathematics", k, seed=1)
        p, q = map(int, re.search(r"defined as (\d+) times a plus (\d+) times b", it["news"]).groups())
        n_eval = 0
        for qu in it["questions"]:
            m = re.match(r"What is (\d+) \S (\d+)\?", qu["question"])
            if m:
                a, b = map(int, m.groups())
                assert qu["answer"] == str(p * a + q * b)
                assert str(p * a + q * b) not in qu["distractors"]
                n_eval += 1
        assert n_eval == 3


def test_rule_leaderboard_answers_follow_the_order():
    it = rule_item("leaderboards", 0, seed=5)
    names = re.findall(r"puts (.+?) first", it["news"])
    assert it["questions"][0]["answer"] == names[0]


def test_built_dataset_one_correct_option_no_duplicates_balanced_positions():
    cfg = dataset_config(rule_per_domain=4, seed=3)
    ds = build_dataset(cfg)
    authored = {it["id"]: it for it in load_authored()}
    positions = []
    for it in ds["items"]:
        assert it["facts"] and " ".join(it["facts"]) == " ".join(it["news"].split())
        for j, q in enumerate(it["questions"]):
            assert len(q["options"]) == N_OPTIONS
            assert len(set(q["options"])) == N_OPTIONS
            positions.append(q["answer_index"])
            if it["id"] in authored:
                src = authored[it["id"]]["questions"][j]
                assert q["options"][q["answer_index"]] == src["answer"]
                assert sorted(q["options"]) == sorted([src["answer"], *src["distractors"]])
    counts = np.bincount(positions, minlength=N_OPTIONS)
    assert counts.max() - counts.min() <= 1
    assert ds["chance"] == 1 / N_OPTIONS
    assert len(ds["items"]) == 5 * 5 + 5 * 4


def test_dataset_is_deterministic_and_seed_dependent():
    a = build_dataset(dataset_config(rule_per_domain=2, seed=0))
    assert a == build_dataset(dataset_config(rule_per_domain=2, seed=0))
    assert a != build_dataset(dataset_config(rule_per_domain=2, seed=1))


def test_balanced_positions():
    rng = np.random.default_rng(0)
    for n in (1, 5, 7, 125):
        c = np.bincount(balanced_positions(n, rng), minlength=4)
        assert c.sum() == n and c.max() - c.min() <= 1


def test_invalid_items_are_reported():
    it = {**load_authored()[0]}
    it["questions"] = [dict(q) for q in it["questions"]]
    it["questions"][0] = {**it["questions"][0], "distractors": [it["questions"][0]["answer"], "x", "y"]}
    assert any("duplicate" in e for e in validate_item(it))
    with pytest.raises(ValueError, match="authored_per_domain"):
        build_dataset(dataset_config(authored_per_domain=6))


def test_facts_split_sentences():
    assert facts("A is new. It is 3.5 m long. Done!") == ["A is new.", "It is 3.5 m long.", "Done!"]


# ----------------------------------------------------------------------------- strata tags
VEYRA = ("Astronomers discovered Veyra, a planet orbiting the star Tau Ceti every 41 days. "
         "Veyra has three moons and its surface is covered by methane lakes.")


@pytest.mark.parametrize("answer, distractors, extractive, distractor", [
    ("Tau Ceti", ["Proxima", "Vega", "Sirius"], True, False),          # stated verbatim, case aside
    ("Three", ["Two", "Four", "Five"], True, False),                    # a number word, capitalised
    ("It is covered by methane lakes", ["It is made of ice", "It glows", "It is dry"], True, False),
    ("41 days", ["14 days", "410 days", "4 days"], True, False),
    ("82 days", ["41 days", "20 days", "1 day"], False, True),          # computed; a distractor is stated
    ("Tau", ["Ceti", "Vega", "Rigel"], True, True),                     # whole words: both are in it
    ("1 day", ["41 days", "2 days", "3 days"], False, True),            # '1 day' is not inside '41 days'
])
def test_tag_question_on_hand_cases(answer, distractors, extractive, distractor):
    from new_news.dataset import tag_question

    assert tag_question(VEYRA, answer, distractors) == {"extractive": extractive,
                                                         "distractor_in_news": distractor}


def test_stated_in_respects_numbers_and_word_boundaries():
    from new_news.dataset import stated_in

    news = "Python 3.15 renames len() to size(). The 2030 Summit has 24 teams."
    assert stated_in("3.15", news) and stated_in("size()", news) and stated_in("24", news)
    assert not stated_in("3", news)            # '3' is part of the number 3.15
    assert not stated_in("15", news)
    assert not stated_in("203", news) and not stated_in("4", news)
    assert not stated_in("summits", news) and stated_in("The 2030 Summit", news)


def test_dataset_questions_carry_tags_matching_the_news():
    ds = build_dataset(DatasetConfig(domains=["mathematics", "leaderboards"], authored_per_domain=1,
                                     rule_per_domain=1))
    by_id = {it["id"]: it for it in ds["items"]}
    for it in ds["items"]:
        for q in it["questions"]:
            assert isinstance(q["extractive"], bool) and isinstance(q["distractor_in_news"], bool)
    # a computed value of the rule operator is inferential; the leaderboard leader is stated,
    # with the other names (distractors) in the news too
    math = by_id["rule_math_000"]["questions"]
    assert not math[0]["extractive"] and math[4]["extractive"]          # 'What is a (op) b?' / its name
    lead = by_id["rule_lead_000"]["questions"][0]
    assert lead["extractive"] and lead["distractor_in_news"]
