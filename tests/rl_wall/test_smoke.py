"""The smoke target end to end, twice: every claim evaluates and claims.json is byte-identical
between runs with the same seed (SFT, GRPO and evaluation redone)."""

import numpy as np
import pytest

from tests.helpers import assert_rerun_identical, run_smoke

FIGS = ["self_ranking", "temperature", "passk", "curves"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    out, claims = run_smoke(tmp_workdir, "rl_wall")
    assert set(claims) == {f"rl_wall.{k}" for k in ("pass1_rises", "coverage_wall",
                                                     "temperature_distillation", "zero_stays_zero")}
    assert all(c["kind"] == "paper" for c in claims.values())
    for s in (0, 1):                          # two GRPO seeds from one SFT model
        assert (out / "models" / f"base_grpo_s{s}.pt").exists()
        h = np.load(out / "histories" / f"base_grpo_s{s}.npz")
        # one update per batch (the default): the ratio never leaves 1, nothing is clipped
        assert len(h["ratio_dev"]) == 2 and (h["ratio_dev"] == 0).all() and (h["clipfrac"] == 0).all()
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "pass@1" in (out / "note.md").read_text()
    assert_rerun_identical(tmp_workdir, "rl_wall", remove=("models/base_sft.pt",))
