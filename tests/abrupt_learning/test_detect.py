"""Plateau / drop / GR detectors on synthetic curves."""

import numpy as np

from abrupt_learning.detect import DetectSpec, analyse_run, fastest_drop, first_fast_drop
from tests.helpers import paper_section

SPEC = DetectSpec(smooth=3, drop_factor=10.0, drop_frac=0.2, plateau_tol=0.15, learn_thresh=0.1, gr_factor=3.0)
K = 200
STEPS = 10 * np.arange(1, K + 1)


def _abrupt_curve():
    k = np.arange(K)
    search = 3.0 * np.exp(-k / 5.0)                          # fast search phase
    return (1.0 + search) * (1 - 0.99 / (1 + np.exp(-(k - 120) / 2.0)))


def test_fastest_drop_on_a_step():
    s = np.r_[np.zeros(10), -np.ones(10) * 2]
    assert fastest_drop(s, 1.0) == (9, 10)
    assert fastest_drop(np.zeros(5), 1.0) is None


def test_plateau_then_drop_is_abrupt_and_gr_lead_is_measured():
    loss = _abrupt_curve()
    geo = np.full(K, 0.01)
    geo[110] = 0.2                                           # restructuring 10 intervals before the drop
    probe = np.r_[loss[0], loss]
    r = analyse_run(loss, geo, probe, STEPS, SPEC, int(STEPS[-1]))
    assert r["abrupt"] and r["learned"]
    assert 1150 <= r["drop_start"] <= 1250 and r["drop_width"] <= 0.2 * STEPS[-1]
    assert r["plateau_len"] >= r["drop_width"]
    k_drop = int(np.argmax(np.log10(probe[:-1]) - np.log10(probe[1:])))   # fastest log-loss decrease
    assert 118 <= k_drop <= 130
    assert r["drop_step"] == STEPS[k_drop] and r["gr_step"] == STEPS[110]
    assert r["lead"] == STEPS[k_drop] - STEPS[110] > 0
    assert r["steps_to_learn"] == STEPS[np.flatnonzero(loss <= 0.1)[0]]


def test_slow_exponential_decay_is_not_abrupt():
    loss = np.exp(-np.arange(K) / 40.0)                      # 10x per 92 intervals
    r = analyse_run(loss, np.full(K, 0.01), np.r_[1.0, loss], STEPS, SPEC, int(STEPS[-1]))
    assert r["learned"] and not r["abrupt"]


def test_no_significant_geometry_peak_gives_no_gr():
    loss = _abrupt_curve()
    r = analyse_run(loss, np.full(K, 0.01), np.r_[loss[0], loss], STEPS, SPEC, int(STEPS[-1]))
    assert r["abrupt"] and np.isnan(r["gr_step"]) and np.isnan(r["lead"])


def test_never_learning_run():
    r = analyse_run(np.ones(K), np.ones(K), np.ones(K + 1), STEPS, SPEC, int(STEPS[-1]))
    assert not r["learned"] and not r["abrupt"] and np.isnan(r["steps_to_learn"])


def test_first_fast_drop_is_the_escape_not_a_later_recovery():
    """A plateau, a 10x drop at interval 100, then at 150 a spike of 100x that recovers within
    one interval: the narrowest fall is the recovery, the first fast fall is the escape."""
    s = np.r_[np.zeros(100), np.linspace(0, -1, 11)[1:], -np.ones(40), [1.0], -np.ones(49)]
    steps = 10 * np.arange(1, len(s) + 1)
    assert fastest_drop(s, 1.0) == (150, 151)
    assert first_fast_drop(s, steps, 1.0, 200) == (99, 109)
    assert first_fast_drop(s, steps, 1.0, 50) == (150, 151)      # the escape is wider than 50 steps
    assert first_fast_drop(np.zeros(20), steps[:20], 0.5, 1000) is None


def test_learned_run_with_a_late_spike_keeps_its_plateau_and_drop():
    spec = DetectSpec(**{**paper_section("abrupt_learning", "analyse.detect"), "smooth": 1, "drop_factor": 5.0,
                         "drop_frac": 0.1, "plateau_tol": 0.15, "learn_thresh": 0.1})
    loss = np.r_[np.ones(100), np.geomspace(1, 0.02, 10), np.full(40, 0.02), [2.0], np.full(49, 0.02)]
    r = analyse_run(loss, np.full(len(loss), 0.01), np.r_[1.0, loss], STEPS, spec, int(STEPS[-1]))
    assert r["abrupt"] and r["drop_start"] <= STEPS[100] and r["drop_end"] <= STEPS[110]
    assert r["plateau_len"] >= 900


def test_drop_wider_than_the_allowed_fraction_is_not_abrupt():
    spec = DetectSpec(**{**paper_section("abrupt_learning", "analyse.detect"), "smooth": 1, "drop_factor": 5.0,
                         "drop_frac": 0.1, "plateau_tol": 0.15, "learn_thresh": 0.1})
    loss = np.r_[np.ones(100), np.geomspace(1, 0.05, 60), np.full(40, 0.05)]     # 5x takes ~32 intervals > 20
    r = analyse_run(loss, np.full(K, 0.01), np.r_[1.0, loss], STEPS, spec, int(STEPS[-1]))
    assert r["learned"] and not r["abrupt"]
