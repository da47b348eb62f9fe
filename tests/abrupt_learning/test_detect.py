"""Plateau / drop / GR detectors on synthetic curves."""

import numpy as np

from abrupt_learning.detect import DetectSpec, analyse_run, fastest_drop

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
