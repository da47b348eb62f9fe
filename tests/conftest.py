import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture
def tmp_workdir(tmp_path):
    """An empty working directory for a workflow run (results/ land here)."""
    d = tmp_path / "work"
    d.mkdir()
    return d
