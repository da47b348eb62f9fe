"""Shared core of the reproduction monorepo.

Everything every paper needs lives here exactly once: seeding (:mod:`.seeding`),
atomic writers (:mod:`.io`), device choice (:mod:`.device`), figure style
(:mod:`.plotting`), progress bars (:mod:`.progress`), the stage command line
(:mod:`.cli`), per-scale config resolution and validation (:mod:`.config`),
the claims API (:mod:`.claims`), tests for noisy claims (:mod:`.stats`)
and the scorecard (:mod:`.scorecard`).

Paper packages never import snakemake; the workflow calls their command lines.
"""

from .claims import Claim, Evidence, evaluate_claims, exact, write_claims
from .config import resolve_scale, from_dict
from .io import (CorruptFileError, IncompleteTableError, atomic_path, atomic_dir, save_json, load_json,
                 save_npz, load_npz, save_torch, load_torch, save_csv, read_table, save_figure, save_text)
from .seeding import seed_everything, jax_key
from .progress import progress

__all__ = [
    "Claim", "Evidence", "evaluate_claims", "exact", "write_claims",
    "resolve_scale", "from_dict",
    "CorruptFileError", "IncompleteTableError", "read_table", "save_torch", "load_torch", "atomic_path", "atomic_dir", "save_json", "load_json", "save_npz", "load_npz", "save_csv",
    "save_figure", "save_text",
    "seed_everything", "jax_key", "progress",
]
