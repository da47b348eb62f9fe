"""The analyze stage's list inputs (histories, models: one file per run and seed) are matched to
the config's runs in one documented order: runs by name, seeds in each run's order."""

import pytest

from icl_emergence.analysis import run_files
from icl_emergence.stages import STAGES


RUNS = {"mrname_transformer": {"kind": "mr_name", "seeds": [0, 1]},
        "coins10_transformer": {"kind": "coins", "n_coins": 10, "seeds": [0]}}


def test_files_go_to_runs_by_name_then_seed():
    hist = ["c10_s0.npz", "mr_s0.npz", "mr_s1.npz"]          # coins10_... sorts before mrname_...
    files = run_files(RUNS, hist, [h.replace("npz", "pt") for h in hist])
    assert files["coins10_transformer"] == {"history": ["c10_s0.npz"], "model": ["c10_s0.pt"]}
    assert files["mrname_transformer"]["history"] == ["mr_s0.npz", "mr_s1.npz"]


@pytest.mark.parametrize("n_hist, n_models", [(2, 3), (3, 2), (4, 4)])
def test_a_file_count_that_does_not_match_the_runs_is_an_error(n_hist, n_models):
    with pytest.raises(ValueError, match="expected 3 each"):
        run_files(RUNS, [f"h{i}" for i in range(n_hist)], [f"m{i}" for i in range(n_models)])


def test_histories_and_models_are_checked_list_inputs():
    st = STAGES["analyze"]
    assert {"histories", "models"} <= set(st.inputs) and set(st.many) == {"histories", "models"}
