"""First-match recognition, confusion matrices and accuracies."""

import numpy as np
import pytest

from emotion_trees import recognition as R
from emotion_trees.taxonomy import load_taxonomy

LABELS = ["joy", "fear", "worry", "happiness"]


def test_first_label_in_rank_order():
    want = set(LABELS)
    assert R.first_label([" the", " so", " fear", " joy"], want) == "fear"
    assert R.first_label([" very", "worry!", " joy"], want) == "worry"   # words inside a token
    assert R.first_label([" joyful", " Joy", " a"], want) is None        # whole words, case-sensitive
    assert R.first_label([], want) is None


def test_confusion_leaves_out_unmatched_rows_and_accuracy_is_trace_over_sum():
    truth = ["joy", "joy", "fear", "worry", "fear"]
    pred = ["joy", "happiness", "fear", None, None]
    m = R.confusion(truth, pred, LABELS)
    assert m.sum() == 3
    assert m[0, 0] == 1 and m[0, 3] == 1 and m[1, 1] == 1
    assert R.accuracy(m) == pytest.approx(2 / 3)
    assert R.accuracy(np.zeros((4, 4), int)) is None


def test_evaluate_maps_to_primary_groups():
    tax = load_taxonomy()
    tokens = np.array([[" so", " happiness"], [" worry", " a"], [" the", " a"]])
    truth = ["joy", "fear", "anger"]
    r = R.evaluate(tokens, truth, tax.labels, tax.primaries, tax.primary_of)
    assert r["predictions"] == ["happiness", "worry", None]
    assert r["accuracy_fine"] == 0.0                 # neither exact label right
    assert r["accuracy_primary"] == 1.0              # happiness -> joy, worry -> fear
    assert r["coverage"] == pytest.approx(2 / 3)
    assert r["confusion_primary"].sum() == 2


def test_shaver_taxonomy_has_135_labels_in_6_groups():
    tax = load_taxonomy()
    assert len(tax.labels) == 135 and len(set(tax.labels)) == 135
    assert tax.primaries == ("love", "joy", "surprise", "anger", "sadness", "fear")
    assert tax.primary_of["melancholy"] == "sadness" and tax.primary_of["fear"] == "fear"
    assert np.bincount(tax.group_ids()).tolist() == [16, 33, 3, 29, 37, 17]
