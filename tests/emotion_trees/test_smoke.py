"""The smoke target end to end (tiny random Llamas), and byte-identical claims on a rerun."""

import json

import pytest

from tests.helpers import assert_rerun_identical, run_smoke


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    work = tmp_path_factory.mktemp("et_smoke")
    return work, *run_smoke(work, "emotion_trees")


@pytest.mark.slow
def test_smoke_end_to_end(smoke):
    _, res, claims = smoke
    assert len(claims) == 7
    for f in ("trees", "complexity", "recognition", "confusion"):
        assert (res / "figures" / f"{f}.png").stat().st_size > 1000
    a = json.loads((res / "analysis.json").read_text())
    assert set(a["models"]) == {"tiny-a", "tiny-b"}
    assert len(a["labels"]) == 135


@pytest.mark.slow
def test_smoke_rerun_gives_byte_identical_claims(smoke):
    assert_rerun_identical(smoke[0], "emotion_trees",
                           remove=("scores", "figures", "tables", "analysis.json", "prompts.json"))
