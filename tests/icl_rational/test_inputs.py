"""The analyze stage takes the train stage's run files as a checked list input (--in runs=...,
repeated), not in its parameters."""

import dataclasses

import pytest

from icl_rational.stages import STAGES
from repro_core.cli import run_stage


def test_runs_are_a_list_input_not_a_parameter():
    st = STAGES["analyze"]
    assert "runs" in st.inputs and st.many == ("runs",)
    assert "runs" not in {f.name for f in dataclasses.fields(st.config)}


def test_a_missing_run_file_is_named(tmp_path):
    with pytest.raises(SystemExit, match="runs=.*nowhere.npz does not exist"):
        run_stage(STAGES["analyze"], "analyze", {}, {"runs": [tmp_path / "nowhere.npz"],
                                                     "summary": tmp_path / "s.json", "table": tmp_path / "t.csv",
                                                     "curves": tmp_path / "c.npz"})
