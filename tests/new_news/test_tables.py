"""Issue 27: the figures stage reads accuracy.csv with the grid the analyse stage records in
summary.json (every condition x the modes it was evaluated in x (domain, stratum "all") and
(domain "all", stratum)) and fails naming the file when the table is cut short or misses rows."""

import json
import subprocess
import sys

import pandas as pd
import pytest

import repro_core
from repro_core import IncompleteTableError

from new_news import stages as S

MODES = {"base": ["closed", "icl"], "naive-news-b2": ["closed", "icl"], "selfqa-model-b2": ["closed"]}
DOMAINS = ["coding", "mathematics"]
STRATA = ["all", "extractive", "inferential"]
FIGS = ("protocols_fig", "shadowing_fig", "scaling_fig")


def _table() -> pd.DataFrame:
    """accuracy.csv as the analyse stage writes it: per condition and mode, "all" then each domain,
    then each stratum other than "all"."""
    rows = []
    for c, modes in MODES.items():
        p = S.parse_condition(c)
        for mode in modes:
            for dom, st in [(d, "all") for d in ["all", *DOMAINS]] + [("all", st) for st in STRATA[1:]]:
                rows.append({"condition": c, **p, "mode": mode, "domain": dom, "stratum": st,
                             "accuracy": 0.25 + 0.5 * (mode == "icl"), "exact_match": None,
                             "margin": -0.5 + (mode == "icl"), "gold_logprob": -9.0,
                             "n": 10 if dom == "all" and st == "all" else 5})
    return pd.DataFrame(rows)


def _write(tmp_path, df, summary):
    table, spath = tmp_path / "accuracy.csv", tmp_path / "summary.json"
    repro_core.save_csv(df, table)
    repro_core.save_json(summary, spath)
    return table, spath


def _figures(table, spath, out):
    S.figures(S.FiguresConfig(), spath, table, *(out / f"{k}.png" for k in FIGS))


def test_complete_table_is_read_base_with_an_empty_source(tmp_path):
    df = _table()
    table, _ = _write(tmp_path, df, {})
    got = S.read_accuracy(table, {"domains": DOMAINS, "strata": STRATA, "modes": MODES})
    assert len(got) == len(df) == 5 * 5 and got[got.condition == "base"].source.isna().all()


def test_figures_fail_naming_accuracy_csv_when_a_domain_row_is_missing(tmp_path):
    table, spath = _write(tmp_path, _table().drop(index=6), {"domains": DOMAINS, "strata": STRATA, "modes": MODES})
    with pytest.raises(IncompleteTableError, match="accuracy.csv") as err:
        _figures(table, spath, tmp_path)
    assert "('base', 'icl', 'coding', 'all')" in str(err.value), str(err.value)   # row 6
    print(err.value)


def test_figures_fail_naming_accuracy_csv_when_a_stratum_row_is_missing(tmp_path):
    table, spath = _write(tmp_path, _table().drop(index=9), {"domains": DOMAINS, "strata": STRATA, "modes": MODES})
    with pytest.raises(IncompleteTableError, match="accuracy.csv") as err:
        _figures(table, spath, tmp_path)
    assert "('base', 'icl', 'all', 'inferential')" in str(err.value), str(err.value)   # row 9
    assert not any((tmp_path / f"{k}.png").exists() for k in FIGS)


def test_figures_fail_naming_accuracy_csv_when_the_last_condition_is_lost(tmp_path):
    """Cut at a line break before the last condition: the table's own rows look complete; the
    conditions the summary records do not."""
    df = _table()
    table, spath = _write(tmp_path, df[df.condition != "selfqa-model-b2"], {"domains": DOMAINS, "strata": STRATA, "modes": MODES})
    with pytest.raises(IncompleteTableError, match="accuracy.csv") as err:
        _figures(table, spath, tmp_path)
    assert "selfqa-model-b2" in str(err.value)


def test_a_lost_last_row_is_caught_with_a_summary_without_modes(tmp_path):
    """A summary written before the modes were recorded: the table's own (condition, mode)
    pairs, each over every domain."""
    old = {"domains": DOMAINS}
    table, _ = _write(tmp_path, _table(), old)
    assert len(S.read_accuracy(table, old)) == 25
    table, _ = _write(tmp_path, _table().iloc[:-1], old)
    with pytest.raises(IncompleteTableError, match="accuracy.csv"):
        S.read_accuracy(table, old)


def test_figures_cli_exits_1_naming_an_accuracy_csv_cut_mid_line(tmp_path):
    table, spath = _write(tmp_path, _table(), {"domains": DOMAINS, "strata": STRATA, "modes": MODES})
    table.write_text(table.read_text()[:-6])
    proc = subprocess.run([sys.executable, "-m", "new_news", "figures", "--params", json.dumps({"seed": 0}),
                           "--in", f"summary={spath}", "--in", f"table={table}",
                           *[f"--out={k}={tmp_path / k}.png" for k in FIGS]], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert str(table) in proc.stderr and "cut short" in proc.stderr
