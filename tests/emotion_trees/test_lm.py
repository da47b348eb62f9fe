"""Generic model loading and scoring, on a tiny random-weight Llama built here (no downloads)."""

import hashlib
import sys

import numpy as np
import pytest
import torch

from emotion_trees import lm

LABELS = ["joy", "fear", "worry", "sadness"]
PROMPTS = ["I won the race . The emotion in this sentence is",
           "A dog barked at night and I could not sleep . The emotion in this sentence is",
           "Rain . The emotion in this sentence is",
           "My friend moved away and I sat alone by the window . The emotion in this sentence is",
           "The test went well . The emotion in this sentence is"]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny")
    words = lm.vocabulary(PROMPTS, LABELS)
    lm.build_tiny_model(d, words, lm.TinySpec(hidden=16, layers=2, heads=2, init_std=0.5), seed=0)
    tok, model = lm.load_model(d)                   # the generic path: a local directory
    return d, tok, model


def test_generic_loader_gives_a_llama_with_the_word_vocabulary(tiny):
    d, tok, model = tiny
    assert type(model).__name__ == "LlamaForCausalLM"
    assert len(tok) == model.config.vocab_size
    ids = lm.label_token_ids(tok, LABELS)
    assert all(len(v) == 1 for v in ids.values())
    assert tok.decode(ids["fear"]).strip() == "fear"


def test_scores_match_an_unpadded_forward_pass(tiny):
    _, tok, model = tiny
    ids = lm.label_token_ids(tok, LABELS)
    out = lm.score_prompts(tok, model, PROMPTS, ids, top_k=10, batch_size=2)
    for i, prompt in enumerate(PROMPTS):
        enc = tok(prompt, return_tensors="pt")
        with torch.inference_mode():
            p = torch.softmax(model(**enc).logits[0, -1].float(), -1)
        top = p.topk(10)
        np.testing.assert_array_equal(out["ids"][i], top.indices.numpy())
        np.testing.assert_allclose(out["probs"][i], top.values.numpy(), rtol=1e-4, atol=1e-6)
        np.testing.assert_allclose(out["label_probs"][i], [float(p[ids[lab][0]]) for lab in LABELS],
                                   rtol=1e-4, atol=1e-7)
    assert np.all(np.diff(out["probs"], axis=1) <= 0)
    tokens = lm.decode_tokens(tok, out["ids"])
    assert tokens.shape == (5, 10) and tokens.dtype.kind == "U"


def test_killed_scoring_resumes_from_its_checkpoint(tiny, tmp_path, monkeypatch):
    _, tok, model = tiny
    ids = lm.label_token_ids(tok, LABELS)
    full = lm.score_prompts(tok, model, PROMPTS, ids, top_k=5, batch_size=1)
    ckpt = tmp_path / "s.npz.ckpt.npz"
    calls = {"n": 0}
    forward = model.forward

    def dying(*a, **k):
        calls["n"] += 1
        if calls["n"] > 3:
            raise KeyboardInterrupt
        return forward(*a, **k)

    monkeypatch.setattr(model, "forward", dying)
    with pytest.raises(KeyboardInterrupt):
        lm.score_prompts(tok, model, PROMPTS, ids, top_k=5, batch_size=1, ckpt=ckpt, ckpt_every=1)
    monkeypatch.setattr(model, "forward", forward)
    assert ckpt.exists()
    calls["n"] = 0
    counting = model.forward

    def count(*a, **k):
        calls["n"] += 1
        return counting(*a, **k)

    monkeypatch.setattr(model, "forward", count)
    resumed = lm.score_prompts(tok, model, PROMPTS, ids, top_k=5, batch_size=1, ckpt=ckpt, ckpt_every=1)
    assert calls["n"] == 2                     # only the two unfinished batches ran
    for k in full:
        np.testing.assert_array_equal(full[k], resumed[k])


def test_chunks_are_joined_and_checked(tmp_path, monkeypatch):
    pkg = tmp_path / "site" / "fake_model_part1"
    (pkg / "data").mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise ImportError('never imported')\n")
    (pkg / "data" / "m.part0").write_bytes(b"GGUF" + b"a" * 10)
    (pkg / "data" / "m.part1").write_bytes(b"b" * 7)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    sys.modules.pop("fake_model_part1", None)
    chunks = ["fake_model_part1/data/m.part0", "fake_model_part1/data/m.part1"]
    good = hashlib.sha256(b"GGUF" + b"a" * 10 + b"b" * 7).hexdigest()
    out = lm.assemble_chunks(chunks, tmp_path / "m.gguf", good)
    assert out.read_bytes() == b"GGUF" + b"a" * 10 + b"b" * 7
    with pytest.raises(ValueError, match="sha256"):
        lm.assemble_chunks(chunks, tmp_path / "n.gguf", "0" * 64)
    with pytest.raises(FileNotFoundError, match="not installed"):
        lm.package_dir("no_such_model_package_xyz")


def test_materialise_builds_a_tiny_model_and_cleans_up():
    spec = lm.ModelSpec(name="t", source="tiny", tiny=lm.TinySpec(hidden=8, layers=1, heads=2, init_std=0.5))
    with lm.materialise(spec, lm.vocabulary(PROMPTS, LABELS), seed=1) as (path, gguf):
        tok, model = lm.load_model(path, gguf)
        kept = path
    assert gguf == "" and model.num_parameters() > 0
    assert not __import__("pathlib").Path(kept).exists()
    with pytest.raises(ValueError, match="model.source"):
        with lm.materialise(lm.ModelSpec(name="x", source="ftp"), [], 0):
            pass
