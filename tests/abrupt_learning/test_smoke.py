"""Smoke end-to-end run of `snakemake abrupt_learning` (determinism across runs is checked by
tests/workflow for every paper) and the stage command line."""

import json
import subprocess
import sys

import pytest

from tests.helpers import paper_section, run_smoke, stage_config


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "abrupt_learning")
    assert set(claims) == {f"abrupt_learning.{c}_{rule}" for c in ("abrupt", "gr_precedes", "reg_speedup",
                                                                    "strong_coupling", "attractors")
                           for rule in ("bptt", "rflo")}
    for fig in ("aligned", "phase", "speedup", "gain"):
        assert (out / "figures" / f"{fig}.png").stat().st_size > 10_000
    _figures_reject_incomplete_tables(out, tmp_workdir / "cut")


def _figures_reject_incomplete_tables(out, cut):
    """The figures stage on the smoke outputs, with one network row (runs.csv) or one snapshot
    row (fixed_points.csv) dropped: IncompleteTableError naming the file, no figure written."""
    import shutil

    import pandas as pd
    import repro_core
    from abrupt_learning import stages as S

    trains = sorted(str(p) for p in (out / "train").glob("*.npz"))
    pts = repro_core.load_npz(out / "fixed_points.npz")
    assert str(pts["fp_rule"]) == "bptt" and len(pts["fp_steps"]) > 1
    for name in ("runs.csv", "fixed_points.csv"):
        cut.mkdir(exist_ok=True)
        for f in ("runs.csv", "fixed_points.csv", "fixed_points.npz"):
            shutil.copy(out / f, cut / f)
        df = pd.read_csv(cut / name)
        repro_core.save_csv(df.drop(index=len(df) // 2), cut / name)
        figs = {k: cut / f"{k}.png" for k in ("fig_aligned", "fig_phase", "fig_speedup", "fig_gain")}
        with pytest.raises(repro_core.IncompleteTableError, match=name):
            S.figures(stage_config("abrupt_learning", "figures"), trains, cut / "runs.csv", cut / "fixed_points.csv",
                      cut / "fixed_points.npz", **figs)
        assert not any(f.exists() for f in figs.values())


def test_config_error_names_the_key(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "abrupt_learning", "train", "--params", '{"n_seedz": 3}',
                           "--out", f"out={tmp_path}/a.npz"], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "train.n_seedz" in proc.stderr and "n_seeds" in proc.stderr
    assert not (tmp_path / "a.npz").exists()


def test_unknown_rule_is_rejected_naming_the_key(tmp_path):
    params = json.dumps({**paper_section("abrupt_learning", "train"), "task": "addition", "rule": "hebb"})
    proc = subprocess.run([sys.executable, "-m", "abrupt_learning", "train", "--params", params,
                           "--out", f"out={tmp_path}/a.npz"], capture_output=True, text=True)
    assert proc.returncode == 2 and "train.rule" in proc.stderr and "rflo" in proc.stderr
