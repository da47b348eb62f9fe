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
    assert s["modes"]["base"] == ["closed", "icl"]
    # per-question metrics with their strata tags, and paired comparisons with intervals
    import pandas as pd
    qt = pd.read_csv(res / "tables" / "questions.csv")
    assert len(qt[(qt.condition == "base") & (qt["mode"] == "icl")]) == 10
    assert set(qt.columns) >= {"extractive", "distractor_in_news", "correct", "margin", "gold_logprob", "exact"}
    assert ((qt.margin > 0) == (qt.correct == 1)).all()
    gap = s["paired"]["comparisons"]["ft_icl_gap"]["correct"]["all"]
    assert gap["n"] == 10 and gap["ci"][0] <= gap["diff"] <= gap["ci"][1]
    assert s["paired"]["budget_slope"]["budgets"] == [1, 2]


@pytest.mark.slow
def test_smoke_figures_refuse_the_accuracy_table_without_a_row(smoke, tmp_path):
    """The figures stage on the smoke table with one row dropped: IncompleteTableError naming it."""
    import pandas as pd
    import repro_core
    from new_news import stages as S

    _, res, _ = smoke
    tab = pd.read_csv(res / "tables" / "accuracy.csv")
    assert len(S.read_accuracy(res / "tables" / "accuracy.csv", json.loads((res / "summary.json").read_text())))
    repro_core.save_csv(tab.drop(index=len(tab) // 2), tmp_path / "accuracy.csv")
    figs = [tmp_path / f"{k}.png" for k in ("protocols", "shadowing", "scaling")]
    with pytest.raises(repro_core.IncompleteTableError, match="accuracy.csv"):
        S.figures(S.FiguresConfig(), res / "summary.json", tmp_path / "accuracy.csv", *figs)
    assert not any(f.exists() for f in figs)


@pytest.mark.slow
def test_smoke_rerun_gives_byte_identical_claims(smoke):
    work, res, _ = smoke
    summary = (res / "summary.json").read_bytes()
    assert_rerun_identical(work, "new_news", remove=("replay", "runs", "figures", "tables", "summary.json"))
    assert (res / "summary.json").read_bytes() == summary
