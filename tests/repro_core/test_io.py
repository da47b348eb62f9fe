

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
