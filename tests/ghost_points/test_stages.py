"""Stage-level behaviour: RNN training checkpoints and resumes to the same result."""

from pathlib import Path

import numpy as np
import pytest

from ghost_points import rnn
from ghost_points.stages import rnn_train

from tests.helpers import stage_config
from repro_core import load_npz


def test_rnn_checkpoint_resume(tmp_path, monkeypatch):
    cfg = stage_config("ghost_points", "rnn_train", N=10, T=5, lrs=[0.05], n_seeds=2,
                       conditions=[[1, 10.0], [2, 3.0]], epochs=300, chunk=100, ckpt_every=1, loss_every=1,
                       alpha=0.5, x0=-0.3, acc_min=0.95, remedy_lrs=[])
    rnn_train(cfg, tmp_path / "a.npz", tmp_path / "a.csv")
    orig = rnn.make_trainer

    def flaky(*args, **kwargs):
        tr, calls = orig(*args, **kwargs), {"n": 0}

        def f(*x):
            calls["n"] += 1
            if calls["n"] == 3:
                raise RuntimeError("preempted")
            return tr(*x)
        return f

    monkeypatch.setattr(rnn, "make_trainer", flaky)
    with pytest.raises(RuntimeError):
        rnn_train(cfg, tmp_path / "b.npz", tmp_path / "b.csv")
    ckpt = Path(str(tmp_path / "b.npz") + ".ckpt.npz")
    assert ckpt.exists() and not (tmp_path / "b.npz").exists()
    monkeypatch.undo()
    rnn_train(cfg, tmp_path / "b.npz", tmp_path / "b.csv")
    assert not ckpt.exists()
    a, b = load_npz(tmp_path / "a.npz"), load_npz(tmp_path / "b.npz")
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    assert (tmp_path / "a.csv").read_text() == (tmp_path / "b.csv").read_text()
