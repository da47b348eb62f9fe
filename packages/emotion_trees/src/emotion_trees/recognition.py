"""Emotion recognition from next-token predictions (the paper's Sec. 4).

The prediction for a scenario is the first emotion label found in the decoded
top-k token strings, read in rank order (each string split into ``\\w+`` words).
The authors' script first concatenates the strings, which can glue a label to the
next sub-word piece (" joy" + "ful") or build one from pieces; reading each string
alone avoids that artefact and also works for tokenizers whose tokens carry no
leading space. Accuracy is the trace of the
confusion matrix over its sum, so scenarios with no label in the top-k are left out.
"""

from __future__ import annotations

import re
from typing import Sequence

import numpy as np

WORD = re.compile(r"\w+")


def first_label(tokens: Sequence[str], labels: set[str]) -> str | None:
    for t in tokens:
        for word in WORD.findall(str(t)):
            if word in labels:
                return word
    return None


def predict(tokens: np.ndarray, labels: Sequence[str]) -> list[str | None]:
    want = set(labels)
    return [first_label(row, want) for row in tokens]


def confusion(truth: Sequence[str], pred: Sequence[str | None], labels: Sequence[str]) -> np.ndarray:
    """Counts[true, predicted]; rows with no prediction are not counted."""
    index = {lab: i for i, lab in enumerate(labels)}
    m = np.zeros((len(labels), len(labels)), np.int64)
    for t, p in zip(truth, pred, strict=True):
        if p is not None:
            m[index[t], index[p]] += 1
    return m


def accuracy(m: np.ndarray) -> float | None:
    total = int(m.sum())
    return float(np.trace(m) / total) if total else None


def to_primary(values: Sequence[str | None], primary_of: dict[str, str]) -> list[str | None]:
    return [None if v is None else primary_of[v] for v in values]


def correct_per_scenario(pred_primary: Sequence[str | None], truth_primary: Sequence[str]) -> list[int]:
    """1 where the predicted primary group is the true one, 0 where it is wrong or no label was
    found: the outcome on every scenario, as the authors' all-examples accuracy counts it, so
    that two personas are compared on the same scenarios (McNemar, bootstrap)."""
    return [int(p is not None and p == t) for p, t in zip(pred_primary, truth_primary, strict=True)]


def evaluate(tokens: np.ndarray, truth: Sequence[str], labels: Sequence[str],
             primaries: Sequence[str], primary_of: dict[str, str]) -> dict:
    """Predictions, 135-way and 6-way confusion matrices and accuracies for one persona."""
    pred = predict(tokens, labels)
    fine = confusion(truth, pred, labels)
    coarse = confusion(to_primary(truth, primary_of), to_primary(pred, primary_of), primaries)
    return {"predictions": pred, "confusion_fine": fine, "confusion_primary": coarse,
            "accuracy_fine": accuracy(fine), "accuracy_primary": accuracy(coarse),
            "coverage": float(np.mean([p is not None for p in pred])) if pred else 0.0,
            "n": len(pred)}
