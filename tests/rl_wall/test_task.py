"""The generator: the plan is recoverable from (p_i, p_{i+1}), transitions follow T, the SFT split
uses the prior Pa and the spurious context Cc while RL/test use uniform actions and context; the
prompt/completion format, the 29-token vocabulary and the reward."""

import numpy as np
import pytest

from rl_wall import task
from rl_wall.task import PAD, VOCAB
from tests.rl_wall.configs import task_config

CFG = task_config()                             # the paper's task


@pytest.fixture(scope="module")
def tables():
    return task.make_tables(CFG, np.random.default_rng(0))


def test_vocabulary():
    assert len(VOCAB) == 29
    assert [VOCAB[t] for t in ("<unk>", "<bos>", "<pad>", ":", "S", "P", "C", "A", "I", "0", "19")] == \
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 28]
    assert task.tokenize("S 3 A 19 <pad> zzz") == [4, 12, 7, 28, 2, 0]


def test_tables(tables):
    assert tables["T"].shape == (20, 20) and tables["T"].min() >= 0 and tables["T"].max() < 20
    np.testing.assert_allclose(tables["Pa"].sum(1), 1)
    np.testing.assert_allclose(tables["Cc"].sum(1), 1)
    for row in tables["Pst"]:                    # injective in the action
        assert len(set(row.tolist())) == CFG.n_actions


@pytest.mark.parametrize("split", task.SPLITS)
def test_plan_recoverable_and_transitions_consistent(tables, split):
    prob = task.sample_problems(tables, CFG, 2000, split, np.random.default_rng(1))
    assert prob["length"].min() == 5 and prob["length"].max() == 10
    rec = task.recover_actions(prob["problem_states"], tables["Pst"])
    np.testing.assert_array_equal(rec, prob["actions"])
    s, a, p = prob["states"], prob["actions"], prob["problem_states"]
    np.testing.assert_array_equal(s[:, 1:], tables["T"][s[:, :-1], a])
    np.testing.assert_array_equal(p[:, 1:], tables["Pst"][p[:, :-1], a])


def test_sft_split_uses_prior_rl_and_test_uniform(tables):
    # one-hot prior and context tables: the SFT split must follow them exactly
    t = dict(tables)
    t["Pa"] = np.eye(20)[(np.arange(20) * 7 + 3) % 20]
    t["Cc"] = np.eye(20)[(np.arange(20) * 3 + 1) % 20]
    rng = np.random.default_rng(2)
    sft = task.sample_problems(t, CFG, 3000, "sft", rng)
    np.testing.assert_array_equal(sft["actions"], t["Pa"][sft["states"][:, :-1]].argmax(-1))
    np.testing.assert_array_equal(sft["contexts"], t["Cc"][sft["actions"]].argmax(-1))
    for split in ("rl", "test"):
        prob = task.sample_problems(t, CFG, 3000, split, rng)
        a, c = prob["actions"].ravel(), prob["contexts"].ravel()
        # uniform: every value appears, none far from 1/20 (30,000 draws: 5 sigma ~ 0.006)
        for x in (a, c):
            freq = np.bincount(x, minlength=20) / x.size
            assert np.abs(freq - 0.05).max() < 0.01
        assert (a == t["Pa"][prob["states"][:, :-1]].argmax(-1).ravel()).mean() < 0.1
        assert (c == t["Cc"][prob["actions"]].argmax(-1).ravel()).mean() < 0.1


def test_sft_split_follows_dirichlet_prior(tables):
    prob = task.sample_problems(tables, CFG, 20000, "sft", np.random.default_rng(3))
    L = prob["length"]
    s = prob["states"][:, :-1][np.arange(10)[None] < L[:, None]]
    a = prob["actions"][np.arange(10)[None] < L[:, None]]
    busiest = np.bincount(s).argmax()
    freq = np.bincount(a[s == busiest], minlength=20) / (s == busiest).sum()
    assert np.abs(freq - tables["Pa"][busiest]).max() < 0.05


def test_encoding_format(tables):
    prob = task.sample_problems(tables, CFG, 50, "test", np.random.default_rng(4))
    enc = task.encode(prob, CFG)
    i = 0
    n = int(prob["length"][i])
    s, p, a, c, irr = (prob[k][i] for k in ("states", "problem_states", "actions", "contexts", "irrelevant"))
    want_prompt = f"S {s[0]} " + " ".join(f"P {p[j]}" + (f" C {c[j]}" if j < n else "") for j in range(n + 1)) \
        + " " + " ".join(f"I {x}" for x in irr) + " :"
    want_completion = " ".join(f"S {s[j]}" + (f" A {a[j]}" if j < n else "") for j in range(n + 1)) + " <pad>"
    pl, sl = enc["prompt_len"][i], enc["seq_len"][i]
    assert task.decode(enc["tokens"][i, :pl]) == want_prompt
    assert task.decode(enc["tokens"][i, pl:sl]) == want_completion
    assert task.tokenize(want_prompt + " " + want_completion) == enc["tokens"][i, :sl].tolist()
    np.testing.assert_array_equal(enc["prompt_len"], task.prompt_len(prob["length"], CFG))
    np.testing.assert_array_equal(enc["seq_len"] - enc["prompt_len"], task.completion_len(prob["length"]))
    assert (enc["tokens"][np.arange(enc["tokens"].shape[1])[None] >= enc["seq_len"][:, None]] == PAD).all()


def test_reward():
    gt = task.tokenize("S 1 A 2 S 3 <pad>")
    assert task.reward(gt, gt) == 1.0
    assert task.reward(gt + [PAD] * 5, gt) == 1.0                       # pads stripped
    assert task.reward(task.tokenize("S 7 A 0 S 1 A 2 S 3 <pad>"), gt) == 1.0   # suffix match
    assert task.reward(task.tokenize("S 1 A 2 S 4 <pad>"), gt) == 0.0
    assert task.reward(task.tokenize("A 2 S 3 <pad>"), gt) == 0.0       # too short
    assert task.reward(task.tokenize("S 1 A 2 S 3 A 5 S 6 <pad>"), gt) == 0.0   # went on
    assert task.reward([PAD, PAD], gt) == 0.0


def test_make_data_splits_and_determinism(tmp_path):
    cfg = task.DataConfig(task=task_config(), n_sft=200, n_rl=16, n_test=32, seed=5)
    task.make_data(cfg, tmp_path / "a.npz")
    task.make_data(cfg, tmp_path / "b.npz")
    a, b = (np.load(tmp_path / f) for f in ("a.npz", "b.npz"))
    assert sorted(a.files) == sorted(b.files)
    for k in a.files:
        np.testing.assert_array_equal(a[k], b[k])
    assert a["sft_tokens"].shape[0] == 200 and a["rl_tokens"].shape[0] == 16 and a["test_tokens"].shape[0] == 32
