"""Issue 27: the figures stage reads layers.csv and context.csv with the grid the exact stage
records in metrics.json (graph x layer; graph x walk x context length) and fails naming the
file when a table is cut short or misses rows."""

from __future__ import annotations

import subprocess
import sys

import pandas as pd
import pytest

import repro_core
from repro_core import IncompleteTableError

from icl_lowfreq import stages as S
from tests.helpers import stage_config

FIGS = ("fig_pca", "fig_energy", "fig_spectrum", "fig_noise")


@pytest.fixture(scope="module")
def exact(tmp_path_factory):
    """A small run of the exact stage: two graphs, 3 walks, 3 context lengths, 6 layers."""
    d = tmp_path_factory.mktemp("exact")
    cfg = stage_config("icl_lowfreq", "exact", graphs=["grid4x4", "ring10"], dim=8, n_layers=6,
                       context_factors=[1, 10, 30], n_walks=3, noise_levels=[0.01], noise_draws=2,
                       snapshot_layers=[0, 1, 6])
    paths = {k: d / f"{k}.{ext}" for k, ext in
             (("metrics", "json"), ("layers", "csv"), ("context", "csv"), ("snapshots", "npz"))}
    S.exact(cfg, **paths)
    return paths


def _figures(paths, out):
    figs = {k: out / f"{k}.png" for k in FIGS}
    S.figures(stage_config("icl_lowfreq", "figures", pca_graph="grid4x4"), paths["metrics"], paths["layers"], paths["context"],
              paths["snapshots"], **figs)
    return figs


def _with(exact, tmp_path, name, df=None, text=None):
    """The exact outputs with ``name`` replaced by ``df`` (or raw ``text``)."""
    paths = dict(exact)
    paths[name] = tmp_path / f"{name}.csv"
    if df is not None:
        repro_core.save_csv(df, paths[name])
    else:
        paths[name].write_text(text)
    return paths


def test_metrics_record_the_grid_and_complete_tables_are_drawn(exact, tmp_path):
    m = repro_core.load_json(exact["metrics"])
    assert m["n_layers"] == 6 and m["n_walks"] == 3
    assert S.context_grid(m) == [{"graph": ["grid4x4"], "walk": [0, 1, 2], "T": [16, 160, 480]},
                                 {"graph": ["ring10"], "walk": [0, 1, 2], "T": [10, 100, 300]}]
    assert len(S.read_layers(exact["layers"], m)) == 2 * 7
    assert len(S.read_context(exact["context"], m)) == 2 * 3 * 3
    figs = _figures(exact, tmp_path)
    assert all(f.stat().st_size > 1000 for f in figs.values())


def test_figures_fail_naming_context_csv_when_a_walk_row_is_missing(exact, tmp_path):
    df = pd.read_csv(exact["context"])
    paths = _with(exact, tmp_path, "context", df=df.drop(index=4))
    with pytest.raises(IncompleteTableError, match="context.csv") as err:
        _figures(paths, tmp_path)
    assert "1 of 9" in str(err.value) and "grid4x4" in str(err.value)   # 3 walks x 3 T per graph
    assert not any((tmp_path / f"{k}.png").exists() for k in FIGS)      # refused before drawing


def test_figures_fail_naming_layers_csv_when_the_last_graph_is_lost(exact, tmp_path):
    """Cut at a line break between graphs: the table's own values look complete, the grid from
    metrics.json does not."""
    df = pd.read_csv(exact["layers"])
    paths = _with(exact, tmp_path, "layers", df=df[df.graph == "grid4x4"])
    with pytest.raises(IncompleteTableError, match="layers.csv") as err:
        _figures(paths, tmp_path)
    assert "ring10" in str(err.value)


def test_a_context_table_without_its_last_walk_is_caught_with_older_metrics(exact, tmp_path):
    """metrics.json written before n_walks was recorded: the walks come from the table, so a
    lost row of the last walk is still found (every other walk has it)."""
    m = repro_core.load_json(exact["metrics"])
    del m["n_walks"]
    df = pd.read_csv(exact["context"])
    paths = _with(exact, tmp_path, "context", df=df.iloc[:-1])
    assert len(S.read_context(exact["context"], m)) == len(df)
    with pytest.raises(IncompleteTableError, match="context.csv"):
        S.read_context(paths["context"], m)


def test_figures_cli_exits_1_naming_a_layers_csv_cut_mid_line(exact, tmp_path):
    text = exact["layers"].read_text()
    paths = _with(exact, tmp_path, "layers", text=text[:-7])
    args = [f"--in={k}={paths[k]}" for k in ("metrics", "layers", "context", "snapshots")]
    args += [f"--out={k}={tmp_path / k}.png" for k in FIGS]
    proc = subprocess.run([sys.executable, "-m", "icl_lowfreq", "figures", "--params", '{"pca_graph": "grid4x4"}', *args],
                          capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert str(paths["layers"]) in proc.stderr and "cut short" in proc.stderr
    assert not any((tmp_path / f"{k}.png").exists() for k in FIGS)
