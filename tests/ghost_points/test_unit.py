"""Fixed points, saddle-node condition and ghost passage time of the leaky tanh unit."""

import numpy as np
import jax
import jax.numpy as jnp
import pytest

from ghost_points import unit


def test_fixed_points_against_closed_form():
    # b = 0: x = 0 always; for w > 1 also +-x with x = tanh(w x)
    assert unit.fixed_points(0.5, 0.0) == pytest.approx([0.0], abs=1e-12)
    fp = unit.fixed_points(2.0, 0.0)
    assert len(fp) == 3 and fp[1] == pytest.approx(0.0, abs=1e-12)
    assert np.tanh(2.0 * fp[2]) == pytest.approx(fp[2], abs=1e-12) and fp[0] == pytest.approx(-fp[2])
    # a fixed point chosen in advance: b = atanh(x) - w x makes x a fixed point
    for w, x in [(1.5, 0.3), (3.0, -0.6), (0.7, 0.9)]:
        b = np.arctanh(x) - w * x
        assert np.min(np.abs(unit.fixed_points(w, b) - x)) < 1e-10


def test_saddle_node_condition():
    for w in (1.5, 2.0, 4.0):
        s, b_lo, b_hi = unit.saddle_node(w)
        # f = 0 and f' = 0 at the collision point (x = -s, b = b_hi)
        assert unit.flow(-s, w, b_hi) == pytest.approx(0.0, abs=1e-12)
        assert w * (1 - np.tanh(-w * s + b_hi) ** 2) - 1 == pytest.approx(0.0, abs=1e-12)
        assert len(unit.fixed_points(w, b_hi - 1e-3)) == 3
        assert len(unit.fixed_points(w, b_hi + 1e-3)) == 1
        assert len(unit.fixed_points(w, b_lo - 1e-3)) == 1
        assert len(unit.fixed_points(w, 0.5 * (b_lo + b_hi))) == 3
    with pytest.raises(ValueError):
        unit.saddle_node(0.9)


def test_passage_time_scaling():
    w, alpha = 2.0, 0.5
    s, _, b_hi = unit.saddle_node(w)
    eps = np.array([1e-6, 1e-5, 1e-4])
    n = np.asarray(jax.vmap(lambda b: unit.passage_time_sim(b, w, alpha, -s - 0.25, -s + 0.25, 100000))(
        jnp.asarray(b_hi + eps)))
    theory = unit.passage_time_theory(eps, w, alpha)
    assert n / theory == pytest.approx(np.ones(3), rel=0.02)
    assert np.polyfit(np.log(eps), np.log(n), 1)[0] == pytest.approx(-0.5, abs=0.02)


def test_task_gradient_against_finite_differences():
    p = jnp.asarray([2.1, 0.6])
    f = lambda q: unit.task_loss(q, 20, 0.5, -0.9, 10.0)
    g = np.asarray(jax.grad(f)(p))
    for k in range(2):
        e = np.zeros(2)
        e[k] = 1e-6
        fd = (float(f(p + e)) - float(f(p - e))) / 2e-6
        assert g[k] == pytest.approx(fd, rel=1e-4, abs=1e-9)
