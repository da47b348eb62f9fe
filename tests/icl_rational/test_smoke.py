"""The smoke target end to end, twice: every claim evaluates, the exact predictor claim holds,
and claims.json is byte-identical between runs with the same seed."""

import json

import pytest

from tests.helpers import run_snakemake

FIGS = ["rel_distance", "kl_curves", "phase", "transition"]


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir):
    run_snakemake(tmp_workdir, ["icl_rational", "--config", "scale=smoke"])
    out = tmp_workdir / "results/icl_rational/smoke"
    first = (out / "claims.json").read_bytes()
    claims = {c["id"]: c for c in json.loads(first)["claims"]}
    assert all(c["status"] != "error" for c in claims.values()), claims
    assert claims["icl_rational.predictors"]["holds"] is True
    for f in FIGS:
        assert (out / "figures" / f"{f}.png").stat().st_size > 10_000
    assert "alpha" in (out / "note.md").read_text()
    # same seed, same numbers: retrain and redo everything downstream
    (out / "claims.json").unlink()
    for run in (out / "runs").glob("*.npz"):
        run.unlink()
    run_snakemake(tmp_workdir, ["icl_rational", "--config", "scale=smoke"])
    assert (out / "claims.json").read_bytes() == first
