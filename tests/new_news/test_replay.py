"""Template replay and the parsing of self-play output."""

import numpy as np
import pytest

from new_news.dataset import build_dataset
from new_news.replay import PROTOCOLS, USER_TURN, first_question, template_samples
from tests.helpers import stage_config


@pytest.fixture(scope="module")
def items():
    return build_dataset(stage_config("new_news", "dataset", "full", authored_per_domain=1, rule_per_domain=1))["items"]


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_template_samples_are_grounded_in_the_news(items, protocol):
    rng = np.random.default_rng(0)
    for it in items:
        out = template_samples(it, protocol, 6, rng)
        assert len(out) == 6 and all(s["item"] == it["id"] and s["protocol"] == protocol for s in out)
        pool = it["facts"] + it["implications"]
        for s in out:
            assert any(f[1:] in s["assistant"] for f in pool), s   # frames may lower-case the first letter
            if protocol != "selfqa":
                assert s["user"] == USER_TURN[protocol]
            assert it["news"] not in s["user"]          # the news is never in the training turn


def test_template_paraphrase_keeps_every_fact(items):
    it = items[0]
    for s in template_samples(it, "paraphrase", 5, np.random.default_rng(1)):
        assert all(f in s["assistant"] for f in it["facts"])


def test_first_question():
    assert first_question("Question: What is 3 ⊞ 2? It is 11.") == "What is 3 ⊞ 2?"
    assert first_question("No question here\nsecond line") == "No question here"
    assert first_question("") == "What is the news?"
