"""The smoke target end to end (tiny random Llamas), and byte-identical claims on a rerun."""

import json
import shutil

import pytest

from tests.helpers import run_snakemake

SMOKE = ["emotion_trees", "--config", "scale=smoke"]


@pytest.fixture(scope="module")
def smoke_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("et_smoke")
    run_snakemake(work, SMOKE)
    return work


@pytest.mark.slow
def test_smoke_end_to_end(smoke_dir):
    res = smoke_dir / "results/emotion_trees/smoke"
    claims = json.loads((res / "claims.json").read_text())
    assert len(claims["claims"]) == 5
    assert all(c["status"] != "error" for c in claims["claims"]), claims
    for f in ("trees", "complexity", "recognition", "confusion"):
        assert (res / "figures" / f"{f}.png").stat().st_size > 1000
    a = json.loads((res / "analysis.json").read_text())
    assert set(a["models"]) == {"tiny-a", "tiny-b"}
    assert len(a["labels"]) == 135


@pytest.mark.slow
def test_smoke_rerun_gives_byte_identical_claims(smoke_dir):
    res = smoke_dir / "results/emotion_trees/smoke"
    before = (res / "claims.json").read_bytes()
    for d in ("scores", "figures", "tables"):
        shutil.rmtree(res / d)
    for f in ("analysis.json", "claims.json", "prompts.json"):
        (res / f).unlink()
    run_snakemake(smoke_dir, SMOKE)
    assert (res / "claims.json").read_bytes() == before
