"""The smoke target end to end, twice: every claim evaluates, the exact Bayes claims
hold, and claims.json is byte-identical between runs with the same seed."""

import pytest

from tests.helpers import assert_rerun_identical, run_smoke

FIGS = ["position_loss", "transition", "power_law", "prior_coupling"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "icl_emergence")
    for cid in ("mr_name_bayes", "power_law_bayes", "two_coins_exponential"):
        assert claims[f"icl_emergence.{cid}"]["holds"] is True
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "transition" in (out / "note.md").read_text()
    # same seed, same numbers: retrain the Mr. Name transformer and redo everything downstream
    assert_rerun_identical(tmp_workdir, "icl_emergence", remove=("models/mrname_transformer_s0.pt",))
