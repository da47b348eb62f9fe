"""Issue 27: the stages that read runs.csv and fixed_points.csv check that the table is complete
(every network of the configured grid, no cut line) and fail naming the file."""

import itertools
import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import repro_core
from repro_core import IncompleteTableError

from abrupt_learning import stages as S
from tests.helpers import paper_section, stage_config

TRAIN = {"tasks": ["addition", "flipflop"], "rules": ["bptt", "rflo"], "n_seeds": 2,
         "gains": [0.5, 2.0], "lams": [0.0, 0.1]}
CELLS = {"lam_ref": 0.1, "plateau_gains": [0.5], "strong_gains": [2.0], "tasks": ["addition", "flipflop"]}


def _runs_frame(train=TRAIN) -> pd.DataFrame:
    """runs.csv as the analyse stage writes it: one row per network, in the train order
    (task, rule, then seed x gain x lambda); empty cells where nothing was detected."""
    rows = []
    for task, rule in itertools.product(train["tasks"], train["rules"]):
        for net, (seed, gain, lam) in enumerate(itertools.product(range(train["n_seeds"]), train["gains"],
                                                                  train["lams"])):
            abrupt = (net + seed) % 2 == 0
            rows.append({"task": task, "rule": rule, "net": net, "seed": seed, "gain": gain, "lam": lam,
                         "n_steps": 400, "final_loss": 0.05, "learned": True,
                         "steps_to_learn": 200.0 - 50 * lam, "drop_start": 100.0 if abrupt else np.nan,
                         "drop_end": 120.0 if abrupt else np.nan, "drop_width": 20.0 if abrupt else np.nan,
                         "search_end": 200.0, "plateau_len": 80.0 if abrupt else np.nan,
                         "plateau_loss": 1.0 if abrupt else np.nan, "abrupt": abrupt,
                         "drop_step": 110.0 if abrupt else np.nan, "gr_step": 90.0 if abrupt else np.nan,
                         "gr_ratio": 5.0 if abrupt else np.nan, "lead": 20.0 if abrupt else np.nan,
                         "n_stable_end": 8.0 if task == "flipflop" else np.nan,
                         "n_memories_end": 8.0 - lam if task == "flipflop" else np.nan})
    return pd.DataFrame(rows)


def _write(df, path):
    repro_core.save_csv(df, path)
    return path


def test_complete_runs_table_is_read_and_judged(tmp_path):
    runs = _write(_runs_frame(), tmp_path / "runs.csv")
    S.claims(stage_config("abrupt_learning", "claims", train=TRAIN, **CELLS), runs, tmp_path / "claims.json")
    claims = json.loads((tmp_path / "claims.json").read_text())["claims"]
    assert len(claims) == 10 and all(c["status"] != "error" for c in claims)


def test_claims_stage_fails_naming_runs_csv_when_the_last_task_is_missing(tmp_path):
    """A table cut at a line break between two tasks: only the configured grid sees it
    (every value left in the table still has all its combinations)."""
    df = _runs_frame()
    runs = _write(df[df.task != "flipflop"], tmp_path / "runs.csv")
    with pytest.raises(IncompleteTableError, match="runs.csv") as err:
        S.claims(stage_config("abrupt_learning", "claims", train=TRAIN, **CELLS), runs, tmp_path / "claims.json")
    assert "flipflop" in str(err.value)
    assert not (tmp_path / "claims.json").exists()


@pytest.mark.parametrize("configured", [True, False])
def test_claims_stage_fails_naming_runs_csv_when_a_network_row_is_missing(tmp_path, configured):
    """One network (here the last: a cut at a line break) missing, with or without the
    configured grid (without: the span of the table's own values)."""
    runs = _write(_runs_frame().iloc[:-1], tmp_path / "runs.csv")
    cfg = stage_config("abrupt_learning", "claims", train=TRAIN if configured else {}, **CELLS)
    with pytest.raises(IncompleteTableError, match="runs.csv"):
        S.claims(cfg, runs, tmp_path / "claims.json")
    assert not (tmp_path / "claims.json").exists()


def test_claims_cli_exits_1_naming_a_runs_csv_cut_mid_line(tmp_path):
    runs = tmp_path / "runs.csv"
    text = _runs_frame().to_csv(index=False)
    runs.write_text(text[:len(text) - 25])           # the last line cut mid-way
    proc = subprocess.run([sys.executable, "-m", "abrupt_learning", "claims", "--params",
                           json.dumps({**paper_section("abrupt_learning", "claims"), "train": TRAIN, **CELLS}), "--in", f"runs={runs}",
                           "--out", f"claims_json={tmp_path / 'claims.json'}"], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    assert str(runs) in proc.stderr and "cut short" in proc.stderr
    assert not (tmp_path / "claims.json").exists()


def _trains(train=TRAIN):
    """What the figures stage reads from the train outputs: task, rule, per-network seed, gain
    (float32) and lambda, and the seed-0 networks whose snapshots were kept."""
    out = []
    for task, rule in itertools.product(train["tasks"], train["rules"]):
        grid = list(itertools.product(range(train["n_seeds"]), train["gains"], train["lams"]))
        seed = np.array([g[0] for g in grid])
        out.append({"task": np.str_(task), "rule": np.str_(rule), "seed": seed,
                    "gain": np.array([g[1] for g in grid], np.float32),
                    "lam": np.array([g[2] for g in grid], np.float32),
                    "snap_idx": np.flatnonzero(seed == 0)})
    return out


def _fixed_frame(trains, steps):
    rows = [{"task": str(z["task"]), "rule": "bptt", "net": int(n), "gain": float(z["gain"][n]),
             "lam": float(z["lam"][n]), "step": s, "n_fixed": 1, "n_stable": 1,
             "traj_to_fp": 0.2 if n % 2 else np.nan}
            for z in trains if str(z["rule"]) == "bptt" for n in z["snap_idx"] for s in steps]
    return pd.DataFrame(rows)


def test_runs_grid_from_the_train_outputs_equals_the_configured_grid():
    assert S.runs_grid_from_trains(_trains()) == [
        {"task": [t], "rule": [r], "seed": [0, 1], "gain": [0.5, 2.0], "lam": [0.0, 0.1]}
        for t, r in itertools.product(TRAIN["tasks"], TRAIN["rules"])]


def test_fixed_points_table_missing_a_snapshot_row_fails_naming_it(tmp_path):
    trains, steps = _trains(), [0, 100, 200, 300]
    points = {"fp_rule": np.str_("bptt"), "fp_steps": np.array(steps)}
    grid = S.fixed_grid(trains, points)
    df = _fixed_frame(trains, steps)
    assert len(S.read_fixed(_write(df, tmp_path / "fixed_points.csv"), grid)) == len(df)   # complete: read
    _write(df.drop(index=5), tmp_path / "fixed_points.csv")
    with pytest.raises(IncompleteTableError, match="fixed_points.csv"):
        S.read_fixed(tmp_path / "fixed_points.csv", grid)
    # the whole last task cut off: only the grid from the train outputs sees it
    _write(df[df.task == "addition"], tmp_path / "fixed_points.csv")
    S.read_fixed(tmp_path / "fixed_points.csv")                       # its own span is complete
    with pytest.raises(IncompleteTableError, match="fixed_points.csv"):
        S.read_fixed(tmp_path / "fixed_points.csv", grid)
