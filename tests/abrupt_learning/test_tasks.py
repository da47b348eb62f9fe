"""Task generators: targets follow from the inputs exactly."""

import jax
import numpy as np
import pytest

from abrupt_learning import tasks
from tests.helpers import paper_section

SPEC = tasks.TaskSpec(**{**paper_section("abrupt_learning", "train.task_spec"), "T": 40, "p_flip": 0.1})


def _sample(name, B=64, seed=0):
    return [np.asarray(a) for a in tasks.sample(name, SPEC, jax.random.key(seed), B)]


def test_addition_target_is_the_sum_of_the_two_pulses():
    u, y, mask, hold = _sample("addition")
    go = int(SPEC.go_frac * SPEC.T)
    assert np.all(u[:, :, 1].sum(1) == 1) and np.all(u[:, go, 1] == 1)
    assert np.all((u[:, :, 0] != 0).sum(1) == 2)                       # two pulses
    assert np.all(np.flatnonzero(u[0, :, 0])[-1] < SPEC.stim_frac * SPEC.T)
    total = u[:, :, 0].sum(1)
    np.testing.assert_allclose(y[:, go:, 0], np.repeat(total[:, None], SPEC.T - go, 1), atol=1e-6)
    assert np.all(y[:, :go] == 0)
    assert np.all(mask[:, go:] == 1) and np.all(mask[:, :go] == 0)
    # hold: no input, after the first pulse
    first = np.argmax(u[:, :, 0] != 0, axis=1)
    for b in range(4):
        quiet = np.all(u[b] == 0, axis=-1)
        np.testing.assert_array_equal(hold[b], (quiet & (np.arange(SPEC.T) > first[b])).astype(float))


def test_evidence_target_is_the_sign_of_the_accumulated_input():
    u, y, mask, hold = _sample("evidence")
    S, go = int(SPEC.stim_frac * SPEC.T), int(SPEC.go_frac * SPEC.T)
    assert np.all(u[:, S:, 0] == 0)
    sign = np.where(u[:, :, 0].sum(1) >= 0, 1.0, -1.0)
    np.testing.assert_array_equal(y[:, go:, 0], np.repeat(sign[:, None], SPEC.T - go, 1))
    assert np.all(y[:, :go] == 0) and mask[:, go:].all()
    assert hold[:, S:go].all() and not hold[:, :S].any()


def test_flipflop_target_holds_the_last_pulse():
    u, y, mask, hold = _sample("flipflop", B=16)
    assert np.all(u[:, 0] != 0) and set(np.unique(u)) <= {-1.0, 0.0, 1.0}
    for b in range(16):
        for k in range(3):
            last = 0.0
            for t in range(SPEC.T):
                if u[b, t, k] != 0:
                    last = u[b, t, k]
                assert y[b, t, k] == last
    assert mask.all()
    np.testing.assert_array_equal(hold, np.all(u == 0, axis=-1).astype(float))


def test_unknown_task_is_rejected():
    with pytest.raises(ValueError, match="allowed"):
        tasks.sample("xor", SPEC, jax.random.key(0), 2)
