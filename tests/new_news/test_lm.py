"""Scoring, LoRA adapters, fine-tuning and checkpoint resume on a tiny random Llama."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from repro_core.lm import TinySpec, build_tiny_model, load_model, vocabulary  # noqa: E402

from new_news.lm import (TINY_CHAT_TEMPLATE, TINY_WORDS, LoraSpec, adapt, encode_pairs,  # noqa: E402
                         load_trainable, prompt_text, score_pairs, trainable_state)
from new_news.train import evaluate_mc, fit, mc_prompts, reply_matches, training_pairs  # noqa: E402

TEXTS = ["the new operator is defined as three times a plus b", "What is 3 plus 2 ? 11 5 8 9",
         "Tell me about a recent piece of news .", "Options ; You are a helpful assistant ."]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    build_tiny_model(d, vocabulary(TEXTS, TINY_WORDS), TinySpec(hidden=16, layers=2, heads=2, init_std=0.5), seed=0)
    tok, model = load_model(d)
    tok.chat_template = TINY_CHAT_TEMPLATE
    return tok, model


def test_score_pairs_equals_full_forward_and_is_batch_invariant(tiny):
    tok, model = tiny
    enc = encode_pairs(tok, [("What is 3 plus 2 ?", "11"), ("Tell me about a recent piece of news .",
                                                             "the new operator is defined as b"),
                             ("What is 3 plus 2 ?", "5 8")], system="You are a helpful assistant .")
    total, mean = score_pairs(model, tok, enc, batch_size=3)
    for (p, c), t, m in zip(enc, total, mean):
        ids = torch.tensor([p + c])
        with torch.no_grad():
            lp = torch.log_softmax(model(input_ids=ids).logits[0].double(), -1)
        ref = sum(float(lp[len(p) + j - 1, tok_id]) for j, tok_id in enumerate(c))
        assert t == pytest.approx(ref, abs=1e-4)
        assert m == pytest.approx(ref / len(c), abs=1e-4)
    total1, _ = score_pairs(model, tok, enc, batch_size=1)
    np.testing.assert_allclose(total, total1, atol=1e-4)


def test_prompt_has_system_and_user_turns(tiny):
    tok, _ = tiny
    s = prompt_text(tok, "What is 3 plus 2 ?", "You are a helpful assistant .")
    assert s.startswith("[BOS] system") and s.rstrip().endswith("assistant :")


def test_mc_pairs_and_accuracy_with_known_answers(tiny):
    tok, model = tiny
    items = [{"id": "x", "domain": "mathematics", "news": "the new operator is defined as three times a plus b",
              "questions": [{"question": "What is 3 plus 2 ?", "options": ["5", "8", "11", "9"], "answer_index": 2}]}]
    users, options = mc_prompts(items, icl=True, list_options=True)
    assert options == [["5", "8", "11", "9"]]
    assert users[0].startswith(items[0]["news"]) and users[0].endswith("Options: 5; 8; 11; 9")
    r = evaluate_mc(model, tok, items, icl=False, list_options=False, score="mean", system="", batch_size=4,
                    desc="t")
    assert r["correct"] == [int(r["pred"][0] == 2)]
    assert r["pred"][0] == int(np.argmax(r["scores"][0]))


def test_lora_trains_only_adapters_and_round_trips(tiny):
    tok, base = tiny
    import copy

    torch.manual_seed(0)
    m = adapt(copy.deepcopy(base), LoraSpec(method="lora", r=4, alpha=8, targets=["q_proj", "v_proj"], top_layers=0.5))
    names = [k for k, p in m.named_parameters() if p.requires_grad]
    assert names and all("lora_" in k and ".layers.1." in k for k in names)   # top half of 2 layers
    for p in m.parameters():
        if p.requires_grad:
            p.data.normal_(0, 0.1)
    state = trainable_state(m)
    m2 = adapt(copy.deepcopy(base), LoraSpec(method="lora", r=4, alpha=8, targets=["q_proj", "v_proj"], top_layers=0.5))
    load_trainable(m2, state)
    ids = torch.tensor([[5, 6, 7, 8]])
    with torch.no_grad():
        assert torch.allclose(m(input_ids=ids).logits, m2(input_ids=ids).logits)


PAIRS = [("What is 3 plus 2 ?", "11"), ("Tell me about a recent piece of news .", "three times a plus b")] * 4


def _train(tiny, ckpt):
    import copy

    tok, base = tiny
    torch.manual_seed(0)
    m = adapt(copy.deepcopy(base), LoraSpec(method="lora", r=4, alpha=8, targets=["q_proj", "v_proj", "down_proj"],
                                             top_layers=1.0))
    losses = fit(m, tok, PAIRS, lr=1e-2, epochs=3, batch_size=4, max_len=64, system="", seed=0,
                 ckpt=ckpt, ckpt_every=2, desc="t")
    return m, losses


def test_fit_lowers_the_loss(tiny, tmp_path):
    _, losses = _train(tiny, tmp_path / "c.pt")
    assert len(losses) == 6
    assert np.mean(losses[-2:]) < np.mean(losses[:2]) - 0.5


def test_fit_resumes_from_checkpoint_exactly(tiny, tmp_path, monkeypatch):
    ref, ref_losses = _train(tiny, tmp_path / "ref.pt")
    monkeypatch.setenv("NEW_NEWS_STOP_AFTER_CKPT", "1")
    with pytest.raises(SystemExit):
        _train(tiny, tmp_path / "c.pt")
    monkeypatch.delenv("NEW_NEWS_STOP_AFTER_CKPT")
    assert (tmp_path / "c.pt").exists()
    m, losses = _train(tiny, tmp_path / "c.pt")
    assert losses == pytest.approx(ref_losses, abs=1e-5)
    for (k, a), b in zip(trainable_state(ref).items(), trainable_state(m).values()):
        assert torch.allclose(a, b, atol=1e-6), k


def test_training_pairs_budget_and_shadowing():
    items = [{"id": "a", "news": "NEWS A"}, {"id": "b", "news": "NEWS B"}]
    replay = [{"item": i, "user": f"q{i}{k}", "assistant": f"r{i}{k}"} for i in "ab" for k in range(4)]
    plain = training_pairs(replay, items, 2, shadow=False)
    assert plain == [("qa0", "ra0"), ("qa1", "ra1"), ("qb0", "rb0"), ("qb1", "rb1")]
    shadow = training_pairs(replay, items, 2, shadow=True)
    assert [u for u, _ in shadow] == ["NEWS A\n\nqa0", "NEWS A\n\nqa1", "NEWS B\n\nqb0", "NEWS B\n\nqb1"]
    assert [r for _, r in shadow] == [r for _, r in plain]
    with pytest.raises(ValueError, match="budget"):
        training_pairs(replay, items, 5, shadow=False)


def test_score_options_with_shared_prefix_equals_pairwise_scoring(tiny):
    tok, model = tiny
    users = ["What is 3 plus 2 ?", "Tell me about a recent piece of news . Options 11 ; 5",
             "the new operator"]
    opts = [["11", "5 8", "9", "three times a plus b"], ["8", "9 9 9", "a", "b"], ["is", "defined", "as", "3"]]
    from new_news.lm import score_options

    p_ids = [tok(prompt_text(tok, u), add_special_tokens=False)["input_ids"] for u in users]
    o_ids = [[tok(o, add_special_tokens=False)["input_ids"] for o in os_] for os_ in opts]
    total, mean = score_options(model, tok, p_ids, o_ids, batch_size=2)
    pairs = [(p, c) for p, os_ in zip(p_ids, o_ids) for c in os_]
    ref_total, ref_mean = score_pairs(model, tok, pairs, batch_size=5)
    np.testing.assert_allclose(total.ravel(), ref_total, atol=1e-4)
    np.testing.assert_allclose(mean.ravel(), ref_mean, atol=1e-4)


def _two_items():
    news = "the new operator is defined as three times a plus b"
    return [{"id": "x", "domain": "mathematics", "news": news,
             "questions": [{"question": "What is 3 plus 2 ?", "options": ["5", "8", "11", "9"], "answer_index": 2},
                           {"question": "What is 3 plus 2 ?", "options": ["11", "5 8", "9", "8"],
                            "answer_index": 0}]}]


def test_option_free_prompt_holds_no_option_text(tiny):
    """The default prompt is the question alone (closed book) or the news then the question
    (ICL): none of the options, so nothing but the news can be copied."""
    items = _two_items()
    for icl in (False, True):
        users, options = mc_prompts(items, icl=icl, list_options=False)
        for u, q, opts in zip(users, items[0]["questions"], options):
            assert u == (f"{items[0]['news']}\n\n" if icl else "") + q["question"]
            assert "Options" not in u and not any(f" {o} " in f" {u} " for o in ("5", "8", "9", "11"))
            assert opts == q["options"]
    # and the workflow's evaluation (the YAML's evaluate section as the run rule passes it) lists none
    from repro_core.config import SCALES, from_dict

    from new_news.stages import EvalSpec
    from tests.helpers import paper_section
    for scale in SCALES:
        ev = {k: v for k, v in paper_section("new_news", "evaluate", scale).items() if k != "icl_after"}
        assert from_dict(EvalSpec, ev).list_options is False


def test_evaluate_mc_margin_gold_logprob_and_greedy_match(tiny):
    tok, model = tiny
    items = _two_items()
    r = evaluate_mc(model, tok, items, icl=True, list_options=False, score="mean", system="", batch_size=2,
                    desc="t", greedy_tokens=3)
    S = np.array(r["scores"])
    for i, q in enumerate(items[0]["questions"]):
        t = q["answer_index"]
        assert r["margin"][i] == pytest.approx(S[i, t] - np.delete(S[i], t).max(), abs=1e-4)
        assert r["correct"][i] == int(r["margin"][i] > 0)
    # the gold log-probability is the summed score of the gold span, scored on its own
    from new_news.lm import encode_pairs
    users, _ = mc_prompts(items, icl=True, list_options=False)
    enc = encode_pairs(tok, [(users[1], "11")])
    total, _ = score_pairs(model, tok, enc)
    assert r["gold_logprob"][1] == pytest.approx(total[0], abs=1e-4)
    gold = [q["options"][q["answer_index"]] for q in items[0]["questions"]]
    wrong = [[o for k, o in enumerate(q["options"]) if k != q["answer_index"]] for q in items[0]["questions"]]
    assert len(r["replies"]) == 2
    assert r["exact"] == [int(reply_matches(*x)) for x in zip(r["replies"], gold, wrong)]


@pytest.mark.parametrize("reply, match", [("11", True), ("The answer is 11.", True), ("11 or 5", False),
                                          ("111", False), ("5\n11", False), ("", False)])
def test_reply_matches_on_hand_cases(reply, match):
    assert reply_matches(reply, "11", ["5", "8", "9"]) is match


def test_model_stage_sets_a_spec_chat_template(tmp_path):
    """A base model whose GGUF has no chat template gets the spec's (Gemma's turn format),
    not the tiny models' fallback."""
    from repro_core import save_json
    from repro_core.lm import ModelSpec

    from new_news.lm import load
    from new_news.stages import ModelStageConfig, make_model
    from tests.helpers import paper_section

    ds = {"items": [{"news": "the new operator", "title": "op", "implications": [],
                     "questions": [{"question": "What is 3 ?", "options": ["5", "8", "11", "9"]}]}]}
    save_json(ds, tmp_path / "ds.json")
    tpl = "{% for m in messages %}<t>{{ m['content'] }}{% endfor %}{% if add_generation_prompt %}<a>{% endif %}"
    spec = ModelSpec(name="tiny", **paper_section("new_news", "model_specs")["tiny"])   # the smoke YAML's tiny Llama
    make_model(ModelStageConfig(model=spec, chat_template=tpl), tmp_path / "ds.json", tmp_path / "m1")
    make_model(ModelStageConfig(model=spec), tmp_path / "ds.json", tmp_path / "m2")
    assert prompt_text(load(tmp_path / "m1")[0], "hi") == "<t>hi<a>"
    assert load(tmp_path / "m2")[0].chat_template == TINY_CHAT_TEMPLATE
