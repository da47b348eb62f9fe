"""The smoke target end to end, twice: every claim evaluates, the exact predictor claim holds,
and claims.json is byte-identical between runs with the same seed."""

import pytest

from tests.helpers import assert_rerun_identical, run_smoke

FIGS = ["rel_distance", "kl_curves", "phase", "transition"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "icl_rational")
    assert claims["icl_rational.predictors"]["holds"] is True
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "alpha" in (out / "note.md").read_text()
    # same seed, same numbers: retrain and redo everything downstream
    assert_rerun_identical(tmp_workdir, "icl_rational", remove=("runs/*.npz",))
