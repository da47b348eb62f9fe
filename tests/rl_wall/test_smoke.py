"""The smoke target end to end, twice: every claim evaluates and claims.json is byte-identical
between runs with the same seed (SFT, GRPO and evaluation redone)."""

import pytest

from tests.helpers import assert_rerun_identical, run_smoke

FIGS = ["self_ranking", "temperature", "passk", "curves"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "rl_wall")
    assert claims["rl_wall.favourable_coverage"]["status"] == "not evaluated"
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "pass@1" in (out / "note.md").read_text()
    assert_rerun_identical(tmp_workdir, "rl_wall", remove=("models/base_sft.pt",))
