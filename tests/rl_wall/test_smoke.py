"""The smoke target end to end, twice: every claim evaluates and claims.json is byte-identical
between runs with the same seed (SFT, GRPO and evaluation redone)."""

import json

import pytest

from tests.helpers import run_snakemake

FIGS = ["self_ranking", "temperature", "passk", "curves"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    run_snakemake(tmp_workdir, ["rl_wall", "--config", "scale=smoke"])
    out = tmp_workdir / "results/rl_wall/smoke"
    first = (out / "claims.json").read_bytes()
    claims = {c["id"]: c for c in json.loads(first)["claims"]}
    assert all(c["status"] != "error" for c in claims.values()), claims
    assert claims["rl_wall.favourable_coverage"]["status"] == "not evaluated"
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "pass@1" in (out / "note.md").read_text()
    (out / "claims.json").unlink()
    (out / "models/base_sft.pt").unlink()
    run_snakemake(tmp_workdir, ["rl_wall", "--config", "scale=smoke"])
    assert (out / "claims.json").read_bytes() == first
