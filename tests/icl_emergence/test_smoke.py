"""The smoke target end to end, twice: every claim evaluates, the exact Bayes claims
hold, and claims.json is byte-identical between runs with the same seed."""

import json

import pytest

from tests.helpers import run_snakemake

FIGS = ["position_loss", "transition", "power_law", "prior_coupling"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    run_snakemake(tmp_workdir, ["icl_emergence", "--config", "scale=smoke"])
    out = tmp_workdir / "results/icl_emergence/smoke"
    first = (out / "claims.json").read_bytes()
    claims = {c["id"]: c for c in json.loads(first)["claims"]}
    assert all(c["status"] != "error" for c in claims.values()), claims
    for cid in ("mr_name_bayes", "power_law_bayes", "two_coins_exponential"):
        assert claims[f"icl_emergence.{cid}"]["holds"] is True
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "transition" in (out / "note.md").read_text()
    # same seed, same numbers: retrain the Mr. Name transformer and redo everything downstream
    (out / "claims.json").unlink()
    (out / "models/mrname_transformer_s0.pt").unlink()
    run_snakemake(tmp_workdir, ["icl_emergence", "--config", "scale=smoke"])
    assert (out / "claims.json").read_bytes() == first
