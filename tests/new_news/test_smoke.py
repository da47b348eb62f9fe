"""The smoke target end to end (tiny random Llama), and byte-identical claims on a rerun."""

import json
import shutil

import pytest

from tests.helpers import run_snakemake

SMOKE = ["new_news", "--config", "scale=smoke"]


@pytest.fixture(scope="module")
def smoke_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("nn_smoke")
    run_snakemake(work, SMOKE)
    return work


@pytest.mark.slow
def test_smoke_end_to_end(smoke_dir):
    res = smoke_dir / "results/new_news/smoke"
    claims = json.loads((res / "claims.json").read_text())
    assert len(claims["claims"]) == 6
    assert all(c["status"] != "error" for c in claims["claims"]), claims
    for f in ("protocols", "shadowing", "scaling"):
        assert (res / "figures" / f"{f}.png").stat().st_size > 1000
    s = json.loads((res / "summary.json").read_text())
    assert s["n_items"] == 2 and s["chance"] == 0.25
    assert set(s["budget_curve"]) == {"1", "2"}
    assert not list((res / "checkpoints").rglob("*.pt"))     # removed once the run job finished


@pytest.mark.slow
def test_smoke_rerun_gives_byte_identical_claims(smoke_dir):
    res = smoke_dir / "results/new_news/smoke"
    before = (res / "claims.json").read_bytes()
    summary = (res / "summary.json").read_bytes()
    for d in ("replay", "runs", "figures", "tables"):
        shutil.rmtree(res / d)
    for f in ("summary.json", "claims.json"):
        (res / f).unlink()
    run_snakemake(smoke_dir, SMOKE)
    assert (res / "claims.json").read_bytes() == before
    assert (res / "summary.json").read_bytes() == summary
