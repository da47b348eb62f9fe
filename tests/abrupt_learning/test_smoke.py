"""Smoke end-to-end run of `snakemake abrupt_learning` (determinism across runs is checked by
tests/workflow for every paper) and the stage command line."""

import subprocess
import sys

import pytest

from tests.helpers import run_smoke


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "abrupt_learning")
    assert set(claims) == {"abrupt_learning.abrupt", "abrupt_learning.gr_precedes",
                           "abrupt_learning.reg_speedup", "abrupt_learning.strong_coupling"}
    for fig in ("aligned", "phase", "speedup", "gain"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000


def test_config_error_names_the_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "abrupt_learning", "train", "--params", '{"n_seedz": 3}',
                           "--out", f"out={tmp_path}/a.npz"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "train.n_seedz" in proc.stderr and "n_seeds" in proc.stderr
    assert not (tmp_path / "a.npz").exists()


def test_unknown_rule_is_rejected_naming_the_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "abrupt_learning", "train", "--params", '{"rule": "hebb"}',
                           "--out", f"out={tmp_path}/a.npz"], capture_output=True, text=True)
    assert proc.returncode == 2 and "train.rule" in proc.stderr and "rflo" in proc.stderr
