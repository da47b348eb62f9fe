"""Track B: shuffled-token batches, checkpoint/resume, read-out shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from icl_lowfreq import model, trained


@pytest.fixture(autouse=True)
def _one_thread():
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


def test_batches_are_shuffled_walks():
    g = model.make_graph("ring10")
    walks, tokens, perms = trained.sample_batch(g.A, 6, 50, np.random.default_rng(0))
    assert np.all(g.A[walks[:, :-1], walks[:, 1:]] == 1)
    np.testing.assert_array_equal(np.take_along_axis(perms, walks, 1), tokens)
    assert len({tuple(p) for p in perms}) == 6                 # a fresh permutation per sequence


def test_resume_from_checkpoint_reproduces_training(tmp_path):
    g = model.make_graph("ring10")
    kw = dict(d=8, n_layers=1, n_heads=2, seq_len=16, batch=4, steps=4, lr=1e-3, seed=3,
              ckpt_every=2)
    ckpt = tmp_path / "m.ckpt"
    _, full = trained.train(g.A, ckpt=ckpt, **kw)           # leaves the step-2 checkpoint
    assert ckpt.exists()
    _, resumed = trained.train(g.A, ckpt=ckpt, **kw)        # resumes at step 2
    np.testing.assert_allclose(resumed, full, rtol=1e-6)


def test_node_representations_shape():
    g = model.make_graph("ring10")
    net = trained.WalkTransformer(g.n, 8, 2, 2, 64)
    reps = trained.node_representations(net, g.A, 3, 64, np.random.default_rng(0))
    assert reps.shape == (3, 3, g.n, 8)
    assert trained.chance_accuracy(g.A) == pytest.approx(0.5)
