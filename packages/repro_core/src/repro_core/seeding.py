"""One integer seeds python, numpy, torch and jax."""

from __future__ import annotations

import os
import random
import sys

import numpy as np


def seed_everything(seed: int, deterministic_torch: bool = True) -> np.random.Generator:
    """Seed python's ``random``, numpy's legacy global state and torch (if the
    caller has imported it) from ``seed``; return a fresh ``numpy.random.Generator``.

    jax has no global state: use :func:`jax_key`.
    """
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    torch = sys.modules.get("torch")  # seeded when the caller uses it; never imported here
    if torch is not None:              # (importing torch costs seconds in numpy-only stages)
        torch.manual_seed(seed)
        if deterministic_torch:
            torch.use_deterministic_algorithms(True, warn_only=True)
    return np.random.default_rng(seed)


def jax_key(seed: int):
    """A ``jax.random`` key from an integer seed."""
    import jax

    return jax.random.key(int(seed))


def derive_seed(seed: int, *names: object) -> int:
    """A stable child seed for a named sub-task (same inputs, same seed)."""
    ss = np.random.SeedSequence([int(seed)] + [abs(hash_str(str(n))) for n in names])
    return int(ss.generate_state(1)[0])


def hash_str(s: str) -> int:
    """Deterministic (unlike ``hash``) 31-bit hash of a string."""
    h = 2166136261
    for ch in s.encode():
        h = ((h ^ ch) * 16777619) & 0xFFFFFFFF
    return h & 0x7FFFFFFF
