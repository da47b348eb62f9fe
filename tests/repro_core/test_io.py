

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
