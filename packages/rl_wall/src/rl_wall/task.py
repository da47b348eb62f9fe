"""The synthetic solution-tree task (paper Sec. 4; RL-Wall ``make_data_synthetic_v5``).

A problem is a walk of ``n ~ U{min_len..max_len}`` steps. Each step picks an action ``a``;
the hidden state moves by the transition table ``T[s, a]`` ("execute") and the visible
problem state by ``Pst[p, a]``, a permutation of the actions for every ``p``, so the
action is recoverable from ``(p_i, p_{i+1})`` ("plan"). Every step also shows a context
token ``c ~ Cc[a]``: spuriously correlated with the action in the SFT split
(``Cc[a] ~ Dir(beta_train)``), uniform in the RL and test splits. SFT actions follow a
state-dependent prior ``Pa[s] ~ Dir(alpha_train)``; RL and test actions are uniform.

    prompt     S s0 P p0 C c0 P p1 C c1 ... P pn I i1 ... I i10 :
    completion S s0 A a0 S s1 A a1 ... S sn <pad>

The word-level vocabulary has 29 tokens; ``<pad>`` is also end-of-sequence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

import repro_core

SPECIALS = ["<unk>", "<bos>", "<pad>", ":", "S", "P", "C", "A", "I"]
N_NUM = 20                                   # number tokens 0..19
VOCAB = {t: i for i, t in enumerate(SPECIALS + [str(i) for i in range(N_NUM)])}
ITOS = {i: t for t, i in VOCAB.items()}
PAD, COLON, S, P, C, A, I = (VOCAB[t] for t in ("<pad>", ":", "S", "P", "C", "A", "I"))
NUM0 = len(SPECIALS)
SPLITS = ("sft", "rl", "test")


@dataclass(kw_only=True)
class TaskConfig:
    """The solution-tree task; values from config/rl_wall.yaml (task, and the condition's
    alpha_train / beta_train)."""
    n_states: int
    n_actions: int
    n_problem_states: int
    n_context: int
    n_irrelevant: int
    min_len: int
    max_len: int
    alpha_train: float              # action prior Pa[s] ~ Dir(alpha_train * 1) (SFT split only)
    beta_train: float               # spurious context Cc[a] ~ Dir(beta_train * 1) (SFT split only)


def prompt_len(n, cfg: TaskConfig):
    """Prompt tokens for a walk of n steps (S s0, n+1 P's, n C's, the I's, ':')."""
    return 2 + 2 * (n + 1) + 2 * n + 2 * cfg.n_irrelevant + 1


def completion_len(n):
    """Completion tokens for n steps, the final <pad> (eos) included."""
    return 2 * (n + 1) + 2 * n + 1


def make_tables(cfg: TaskConfig, rng: np.random.Generator) -> dict[str, np.ndarray]:
    if cfg.n_actions > cfg.n_problem_states:
        raise ValueError("task.n_actions must be <= task.n_problem_states (Pst[p] is injective in a)")
    return {
        "T": rng.integers(0, cfg.n_states, size=(cfg.n_states, cfg.n_actions)),
        "Pa": rng.dirichlet(np.full(cfg.n_actions, cfg.alpha_train), size=cfg.n_states),
        "Pst": np.stack([rng.permutation(cfg.n_problem_states)[:cfg.n_actions]
                         for _ in range(cfg.n_problem_states)]),
        "Cc": rng.dirichlet(np.full(cfg.n_context, cfg.beta_train), size=cfg.n_actions),
    }


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1), by inverse CDF."""
    cdf = np.cumsum(probs, axis=1)
    u = rng.random(len(probs))[:, None] * cdf[:, -1:]
    return np.minimum((u >= cdf).sum(axis=1), probs.shape[1] - 1)


def sample_problems(tables: dict, cfg: TaskConfig, n: int, split: str,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n`` walks; arrays padded to ``max_len`` steps (entries past ``length`` are unused)."""
    if split not in SPLITS:
        raise ValueError(f"split={split!r}; allowed: {', '.join(SPLITS)}")
    L = cfg.max_len
    length = rng.integers(cfg.min_len, cfg.max_len + 1, size=n)
    s = np.zeros((n, L + 1), dtype=np.int64)
    p = np.zeros((n, L + 1), dtype=np.int64)
    a = np.zeros((n, L), dtype=np.int64)
    c = np.zeros((n, L), dtype=np.int64)
    s[:, 0] = rng.integers(0, cfg.n_states, size=n)
    p[:, 0] = rng.integers(0, cfg.n_problem_states, size=n)
    for t in range(L):
        if split == "sft":
            a[:, t] = _categorical(rng, tables["Pa"][s[:, t]])
        else:
            a[:, t] = rng.integers(0, cfg.n_actions, size=n)
        s[:, t + 1] = tables["T"][s[:, t], a[:, t]]
        p[:, t + 1] = tables["Pst"][p[:, t], a[:, t]]
        if split == "sft":
            c[:, t] = _categorical(rng, tables["Cc"][a[:, t]])
        else:
            c[:, t] = rng.integers(0, cfg.n_context, size=n)
    irr = rng.integers(0, N_NUM, size=(n, cfg.n_irrelevant))
    return {"length": length, "states": s, "problem_states": p, "actions": a, "contexts": c,
            "irrelevant": irr}


def encode_one(prob: dict, i: int) -> tuple[list[int], list[int]]:
    """(prompt, completion) token ids of problem ``i``."""
    n = int(prob["length"][i])
    s, p, a, c = (prob[k][i] for k in ("states", "problem_states", "actions", "contexts"))
    prompt = [S, NUM0 + s[0]]
    for j in range(n + 1):
        prompt += [P, NUM0 + p[j]]
        if j < n:
            prompt += [C, NUM0 + c[j]]
    for x in prob["irrelevant"][i]:
        prompt += [I, NUM0 + x]
    prompt.append(COLON)
    completion = []
    for j in range(n + 1):
        completion += [S, NUM0 + s[j]]
        if j < n:
            completion += [A, NUM0 + a[j]]
    completion.append(PAD)
    return [int(t) for t in prompt], [int(t) for t in completion]


def encode(prob: dict, cfg: TaskConfig) -> dict[str, np.ndarray]:
    """Token matrix (prompt + completion, right-padded with <pad>) and lengths."""
    n = len(prob["length"])
    width = prompt_len(cfg.max_len, cfg) + completion_len(cfg.max_len)
    tokens = np.full((n, width), PAD, dtype=np.int64)
    plen = np.zeros(n, dtype=np.int64)
    slen = np.zeros(n, dtype=np.int64)
    for i in range(n):
        pr, co = encode_one(prob, i)
        tokens[i, :len(pr) + len(co)] = pr + co
        plen[i], slen[i] = len(pr), len(pr) + len(co)
    return {"tokens": tokens, "prompt_len": plen, "seq_len": slen}


def decode(ids) -> str:
    return " ".join(ITOS[int(t)] for t in ids)


def tokenize(text: str) -> list[int]:
    """Word-level tokenizer: whitespace-separated words, unknown words -> <unk>."""
    return [VOCAB.get(w, VOCAB["<unk>"]) for w in text.split()]


def strip_pad(ids) -> list[int]:
    return [int(t) for t in ids if int(t) != PAD]


def reward(response, ground_truth) -> float:
    """1 if the response (pads stripped) ends with the ground-truth completion
    (pads stripped), else 0 -- the paper's verl reward."""
    r, g = strip_pad(response), strip_pad(ground_truth)
    return float(len(g) > 0 and len(r) >= len(g) and r[-len(g):] == g)


def recover_actions(problem_states: np.ndarray, Pst: np.ndarray) -> np.ndarray:
    """The plan: the unique action a with Pst[p_i, a] = p_{i+1}, for every step."""
    inv = np.full((Pst.shape[0], Pst.max() + 1), -1, dtype=np.int64)
    for p in range(Pst.shape[0]):
        inv[p, Pst[p]] = np.arange(Pst.shape[1])
    return inv[problem_states[..., :-1], problem_states[..., 1:]]


@dataclass(kw_only=True)
class DataConfig:
    task: TaskConfig
    n_sft: int
    n_rl: int                       # the condition's RL prompts
    n_test: int
    seed: int = 0


def make_data(cfg: DataConfig, data: Path) -> None:
    """Tables and the three splits (SFT uses Pa and Cc; RL and test uniform actions and context)."""
    rng = repro_core.seed_everything(cfg.seed)
    tables = make_tables(cfg.task, rng)
    out = {f"table_{k}": v for k, v in tables.items()}
    for split, n in zip(SPLITS, (cfg.n_sft, cfg.n_rl, cfg.n_test)):
        prob = sample_problems(tables, cfg.task, n, split, rng)
        enc = encode(prob, cfg.task)
        for k, v in {**prob, **enc}.items():
            out[f"{split}_{k}"] = v.astype(np.int16 if k == "tokens" else np.int64)
    repro_core.save_npz(data, **out)


def load_split(data: dict, split: str) -> dict[str, np.ndarray]:
    pre = f"{split}_"
    return {k[len(pre):]: np.asarray(v).astype(np.int64) for k, v in data.items() if k.startswith(pre)}
