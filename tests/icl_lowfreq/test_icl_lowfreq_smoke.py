"""End-to-end: `snakemake icl_lowfreq --config scale=smoke` in a scratch directory."""

from __future__ import annotations

import json

import pytest

from tests.helpers import run_snakemake


@pytest.mark.slow
def test_smoke_end_to_end(tmp_workdir, tmp_path):
    run_snakemake(tmp_workdir, ["icl_lowfreq", "--config", "scale=smoke"])
    base = tmp_workdir / "results/icl_lowfreq/smoke"
    claims = json.loads((base / "claims.json").read_text())["claims"]
    assert len(claims) == 12
    assert all(c["status"] != "error" for c in claims), claims
    by_id = {c["id"]: c for c in claims}
    for cid in ("layer_energy_floor", "low_frequency_fraction", "pca_fiedler_overlap",
                "grid_spacing_ratio", "noise_robustness"):
        assert by_id[f"icl_lowfreq.{cid}"]["holds"], by_id[f"icl_lowfreq.{cid}"]
    for fig in ("pca", "energy", "spectrum", "noise", "trained", "lm_tiny"):
        assert (base / "figures" / f"{fig}.png").stat().st_size > 1000
    # same seed, fresh directory: byte-identical claims
    again = tmp_path / "again"
    again.mkdir()
    run_snakemake(again, ["icl_lowfreq_claims", "--config", "scale=smoke"])
    assert (again / "results/icl_lowfreq/smoke/claims.json").read_bytes() == \
        (base / "claims.json").read_bytes()
