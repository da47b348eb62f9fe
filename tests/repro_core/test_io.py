import os

import numpy as np
import pytest



def test_atomic_dir_replaces_on_success_and_keeps_old_on_failure(tmp_path):
    from repro_core import atomic_dir

    target = tmp_path / "model"
    with atomic_dir(target) as d:
        (d / "w.txt").write_text("one")
    assert (target / "w.txt").read_text() == "one"
    try:
        with atomic_dir(target) as d:
            (d / "w.txt").write_text("two")
            raise RuntimeError("killed mid-save")
    except RuntimeError:
        pass
    assert (target / "w.txt").read_text() == "one"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]   # no temporary left behind


def test_atomic_outputs_get_the_umask_mode_not_the_temp_files_0600(tmp_path):
    import os
    import stat

    import numpy as np

    from repro_core import atomic_dir, save_json, save_npz

    old = os.umask(0o022)
    try:
        save_json({"a": 1}, tmp_path / "x.json")
        save_npz(tmp_path / "x.npz", a=np.zeros(2))
        with atomic_dir(tmp_path / "model") as d:
            (d / "w.bin").write_bytes(b"0")
        os.umask(0o027)
        save_json({"a": 2}, tmp_path / "y.json")
    finally:
        os.umask(old)
    mode = lambda p: stat.S_IMODE((tmp_path / p).stat().st_mode)
    assert mode("x.json") == 0o644 and mode("x.npz") == 0o644
    assert mode("model") == 0o755
    assert mode("y.json") == 0o640


def _table(tmp_path):
    import pandas as pd

    from repro_core.io import save_csv

    df = pd.DataFrame({"alpha_sd": [0.0, 0.0, 0.03, 0.03], "fraction": [0.5, 1.0, 0.5, 1.0],
                       "r2": [0.8, 0.9, 0.7, 0.75]})
    return save_csv(df, tmp_path / "results.csv")


def test_read_table_accepts_a_complete_grid(tmp_path):
    from repro_core.io import read_table

    df = read_table(_table(tmp_path), columns=["r2"],
                    grid={"alpha_sd": [0.0, 0.03], "fraction": [0.5, 1.0]})
    assert len(df) == 4


@pytest.mark.parametrize("cut, message", [
    (lambda t: t[: t.rindex(b"\n", 0, len(t) - 1) + 1], r"1 of 4 expected rows .* missing"),  # at a line break
    (lambda t: t[:-3], "cut short"),                                           # mid-line
    (lambda t: t.replace(b"0.7", b""), r"empty cells in \['r2'\] on line\(s\) \[4\]"),
    (lambda t: b"", "empty table"),
])
def test_read_table_names_the_file_of_an_incomplete_table(tmp_path, cut, message):
    from repro_core.io import IncompleteTableError, read_table

    path = _table(tmp_path)
    path.write_bytes(cut(path.read_bytes()))
    with pytest.raises(IncompleteTableError, match=message) as err:
        read_table(path, columns=["r2"], grid={"alpha_sd": [0.0, 0.03], "fraction": [0.5, 1.0]})
    assert str(path) in str(err.value)


@pytest.mark.parametrize("kind", ["json", "npz", "pt"])
def test_corrupt_input_names_the_file_and_the_fix(tmp_path, kind):
    from repro_core.io import (CorruptFileError, load_json, load_npz, load_torch, save_json, save_npz,
                               save_torch)

    path = tmp_path / f"x.{kind}"
    save, load = {"json": (lambda p: save_json({"a": list(range(50))}, p), load_json),
                  "npz": (lambda p: save_npz(p, a=np.arange(1000.0)), load_npz),
                  "pt": (lambda p: save_torch({"a": list(range(50))}, p), load_torch)}[kind]
    save(path)
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])  # cut short
    with pytest.raises(CorruptFileError) as err:
        load(path)
    assert str(path) in str(err.value) and "--forcerun" in str(err.value)


def test_save_torch_is_byte_stable(tmp_path):
    import torch

    from repro_core.io import load_torch, save_torch

    state = {"w": torch.arange(6.0).reshape(2, 3), "step": 3}
    a, b = save_torch(state, tmp_path / "a.pt"), save_torch(state, tmp_path / "sub" / "b.pt")
    assert a.read_bytes() == b.read_bytes()  # no file name inside the archive
    assert torch.equal(load_torch(a)["w"], state["w"])


def test_full_disk_is_named(tmp_path, monkeypatch):
    import errno

    from repro_core.io import save_text

    real = os.statvfs

    class Full:
        f_bavail, f_frsize = 0, 4096

    monkeypatch.setattr(os, "statvfs", lambda p: Full() if str(p) == str(tmp_path) else real(p))
    with pytest.raises(OSError, match=f"no space left on the filesystem of {tmp_path}") as err:
        with __import__("repro_core").atomic_path(tmp_path / "out.txt") as tmp:
            raise RuntimeError("[enforce fail at inline_container.cc:672] . unexpected pos 64")
    assert err.value.errno == errno.ENOSPC and not list(tmp_path.iterdir())
    save_text("fine", tmp_path / "ok.txt")  # a successful write is not second-guessed


def test_read_table_union_of_grids_and_nullable_columns(tmp_path):
    """A table that is a union of grids (rows of two experiments with their own keys),
    with a column that may hold NaN but must exist."""
    import pandas as pd

    from repro_core.io import IncompleteTableError, read_table, save_csv

    df = pd.DataFrame({"experiment": ["sub", "sub", "mis", "mis"], "fraction": [0.1, 1.0, 1.0, 1.0],
                       "alpha_sd": [0.0, 0.0, 0.01, 0.05], "speedup": [1.0, None, 2.0, 3.0]})
    path = save_csv(df, tmp_path / "t.csv")
    grids = [{"experiment": ["sub"], "fraction": [0.1, 1.0]}, {"experiment": ["mis"], "alpha_sd": [0.01, 0.05]}]
    assert len(read_table(path, nullable=["speedup"], grid=grids)) == 4
    with pytest.raises(IncompleteTableError, match=r"1 of 2 expected rows of \['experiment', 'alpha_sd'\]"):
        read_table(path, grid=grids + [{"experiment": ["mis"], "alpha_sd": [0.01, 0.1]}])
    with pytest.raises(IncompleteTableError, match=r"missing column\(s\) \['gain'\]"):
        read_table(path, nullable=["gain"])
    with pytest.raises(IncompleteTableError, match="empty cells"):
        read_table(path, columns=["speedup"])
