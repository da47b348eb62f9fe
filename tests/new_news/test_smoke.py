"""The smoke target end to end (tiny random Llama), and byte-identical claims on a rerun."""

import json

import pytest

from tests.helpers import assert_rerun_identical, run_smoke


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    work = tmp_path_factory.mktemp("nn_smoke")
    return work, *run_smoke(work, "new_news")


@pytest.mark.slow
def test_smoke_end_to_end(smoke):
    _, res, claims = smoke
    assert len(claims) == 6
    for f in ("protocols", "shadowing", "scaling"):
        assert (res / "figures" / f"{f}.png").stat().st_size > 1000
    s = json.loads((res / "summary.json").read_text())
    assert s["n_items"] == 2 and s["chance"] == 0.25
    assert set(s["budget_curve"]) == {"1", "2"}
    assert not list((res / "checkpoints").rglob("*.pt"))     # removed once the run job finished


@pytest.mark.slow
def test_smoke_rerun_gives_byte_identical_claims(smoke):
    work, res, _ = smoke
    summary = (res / "summary.json").read_bytes()
    assert_rerun_identical(work, "new_news", remove=("replay", "runs", "figures", "tables", "summary.json"))
    assert (res / "summary.json").read_bytes() == summary
