"""Smoke end-to-end run of `snakemake ghost_points` and the stage command line."""

import subprocess
import sys

import pytest

from tests.helpers import run_smoke


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "ghost_points")
    assert "ghost_points.critical_lr" in claims and "ghost_points.rnn_ghost_before_drop" in claims
    # the closed-form checks hold at every scale
    assert claims["ghost_points.delay_scaling"]["holds"]
    for fig in ("phase", "landscape", "lr_sweep", "rnn"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000


def test_config_error_names_the_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "ghost_points", "onedim", "--params", '{"n_lrr": 3}',
                           "--out", f"data={tmp_path}/a.npz", "--out", f"summary={tmp_path}/b.json"],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "onedim.n_lrr" in proc.stderr and "n_lr" in proc.stderr
    assert not (tmp_path / "a.npz").exists()
