"""Issue 27: the figures and claims stages read networks_index.csv and benchmark.csv with their
expected grid (every delay x lr x seed network; both benchmark methods) and fail naming the file
when a table is cut short or misses rows."""

import itertools
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import repro_core
from repro_core import IncompleteTableError

from stm_mechanisms import analysis as A
from stm_mechanisms import claims as C

from tests.helpers import paper_section, stage_config

# quick-scale learning rates: float32 in the index, so the grid must compare them as written
SWEEP = {"delays": [2, 4, 8], "lrs": [0.0178, 0.1, 0.562, 17.8], "n_seeds": 3}


def _index_frame(sweep=SWEEP) -> pd.DataFrame:
    """networks_index.csv as the analyse stage writes it (delay-major, then lr, then seed)."""
    grid = list(itertools.product(sweep["delays"], sweep["lrs"], range(sweep["n_seeds"])))
    d = np.array([g[0] for g in grid], np.int32)
    lr = np.array([g[1] for g in grid], np.float32)
    learned = lr < 1.0
    n = len(grid)
    return pd.DataFrame({
        "file": "chunk0.npz", "row": np.arange(n), "delay": d, "lr": lr,
        "seed": np.array([g[2] for g in grid], np.int32), "n_epochs": 1000, "learned": learned, "lost": False,
        "accuracy": np.where(learned, 1.0, 0.5).astype(np.float32),
        "reliability": np.where(learned, 1.0, 0.0).astype(np.float32),
        "final_loss": np.where(lr > 10, np.nan, 0.01).astype(np.float32), "diverged": lr > 10,
        "fft_central": np.where(learned, 0.7, np.nan),
        "mechanism": np.where(learned, np.where(d > 4, "limit_cycle", "slow_point"), "none"),
        "lc_detected": learned & (d > 4), "lc_period": np.where(learned & (d > 4), 12, 0),
        "slow_frac": np.where(learned, 0.5, np.nan), "min_q": np.where(learned, 1e-7, np.nan),
        "tiling": np.where(learned & (d >= 4), 0.6, np.nan), "delay_ms": d * 10.0})


def _bench_frame() -> pd.DataFrame:
    return pd.DataFrame({"method": ["jax vmap", "torch loop"], "n_networks": [256, 8], "epochs": 100,
                         "seconds": [2.0, 4.0], "compile_seconds": [1.0, 0.0],
                         "networks_per_second": [128.0, 2.0], "n_hidden": 24, "n_trials": 2, "delay": 16,
                         "speedup": 64.0, "speedup_incl_compile": 42.7, "max_rel_loss_diff": 1e-6})


def _write(df, path):
    repro_core.save_csv(df, path)
    return path


REDUCED = {"task": {"dt_ms": 10.0, "cue": 3, "resp": 5, "post": 0, "off_weight": 5.0},
           "delays": [2, 4, 8], "lrs": [0.562, 1.78, 5.62], "n_seeds": 2}


def _reduced(path, drop=0):
    """nets/reduced.npz as the reduced sweep writes it (delay, lr, seed, learned; the rest unused)."""
    g = list(itertools.product(REDUCED["delays"], REDUCED["lrs"], range(REDUCED["n_seeds"])))[drop:]
    d = np.array([x[0] for x in g], np.int32)
    lr = np.array([x[1] for x in g], np.float32)
    repro_core.save_npz(path, delay=d, lr=lr, seed=np.array([x[2] for x in g], np.int32),
                        learned=lr * d < 10)
    return path


def test_complete_index_is_read_with_its_float32_learning_rates(tmp_path):
    df = _index_frame()
    path = _write(df, tmp_path / "networks_index.csv")
    got = A.read_index(path, A.index_grid(SWEEP))
    assert len(got) == len(df) == 3 * 4 * 3
    assert sorted(got.lr.unique()) == SWEEP["lrs"]
    bench = _write(_bench_frame(), tmp_path / "benchmark.csv")
    assert len(A.read_bench(bench)) == 2
    red = _reduced(tmp_path / "reduced.npz")
    C.claims(stage_config("stm_mechanisms", "claims", sweep=SWEEP, reduced=REDUCED), path, bench, red, tmp_path / "claims.json")
    assert json.loads((tmp_path / "claims.json").read_text())["claims"]        # judged, not refused
    with pytest.raises(IncompleteTableError, match="reduced.npz"):            # a network lost: refused
        C.claims(stage_config("stm_mechanisms", "claims", sweep=SWEEP, reduced=REDUCED), path, bench, _reduced(red, drop=1),
                 tmp_path / "claims2.json")
    assert json.loads((tmp_path / "claims.json").read_text())["claims"]


def test_claims_stage_fails_naming_the_index_when_a_network_row_is_missing(tmp_path):
    index = _write(_index_frame().drop(index=7), tmp_path / "networks_index.csv")
    bench = _write(_bench_frame(), tmp_path / "benchmark.csv")
    with pytest.raises(IncompleteTableError, match="networks_index.csv") as err:
        C.claims(stage_config("stm_mechanisms", "claims", sweep=SWEEP, reduced={}), index, bench, _reduced(tmp_path / "r.npz"), tmp_path / "claims.json")
    assert "1 of 36" in str(err.value)
    assert not (tmp_path / "claims.json").exists()


@pytest.mark.parametrize("configured", [True, False])
def test_claims_stage_fails_when_the_index_is_cut_at_a_line_break(tmp_path, configured):
    """The last rows lost (a copy cut at a line break): the last (delay, lr) misses seeds, which
    both the configured grid and the span of the table's own values see."""
    index = _write(_index_frame().iloc[:-2], tmp_path / "networks_index.csv")
    bench = _write(_bench_frame(), tmp_path / "benchmark.csv")
    with pytest.raises(IncompleteTableError, match="networks_index.csv"):
        C.claims(stage_config("stm_mechanisms", "claims", sweep=SWEEP if configured else {}, reduced={}), index, bench, _reduced(tmp_path / "r.npz"),
                 tmp_path / "claims.json")


def test_only_the_configured_grid_sees_a_lost_last_delay(tmp_path):
    df = _index_frame()
    index = _write(df[df.delay != 8], tmp_path / "networks_index.csv")
    A.read_index(index)                                    # its own span is complete
    with pytest.raises(IncompleteTableError, match="networks_index.csv"):
        A.read_index(index, A.index_grid(SWEEP))


def test_claims_cli_exits_1_naming_a_benchmark_without_its_torch_row(tmp_path):
    index = _write(_index_frame(), tmp_path / "networks_index.csv")
    bench = _write(_bench_frame().iloc[:1], tmp_path / "benchmark.csv")
    proc = subprocess.run([sys.executable, "-m", "stm_mechanisms", "claims", "--params",
                           json.dumps({**paper_section("stm_mechanisms", "claims"), "sweep": SWEEP, "reduced": {},
                                       "task": paper_section("stm_mechanisms", "task")}),
                           "--in", f"index={index}", "--in", f"bench={bench}",
                           "--in", f"reduced={_reduced(tmp_path / 'r.npz')}",
                           "--out", f"claims_json={tmp_path / 'claims.json'}"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert str(bench) in proc.stderr and "torch loop" in proc.stderr
    assert not (tmp_path / "claims.json").exists()


def test_benchmark_cut_mid_line_fails_naming_it(tmp_path):
    path = tmp_path / "benchmark.csv"
    text = _bench_frame().to_csv(index=False)
    path.write_text(text[:-10])
    with pytest.raises(IncompleteTableError, match="benchmark.csv"):
        A.read_bench(path)
