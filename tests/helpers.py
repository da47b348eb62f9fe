"""Helpers for tests that run the workflow."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SNAKEFILE = REPO / "Snakefile"


def snakemake_cmd(workdir: Path, args: list[str], cores: int = 2) -> list[str]:
    return [sys.executable, "-m", "snakemake", "-s", str(SNAKEFILE), "-d", str(workdir),
            "--cores", str(cores), *args]


def run_snakemake(workdir: Path, args: list[str], timeout: float = 600, check: bool = True,
                  cores: int = 2, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run Snakemake on the repo's workflow with ``workdir`` as working directory."""
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run(snakemake_cmd(workdir, args, cores), capture_output=True, text=True,
                          timeout=timeout, env=full_env)
    if check and proc.returncode != 0:
        raise AssertionError(f"snakemake {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stdout[-4000:]}\n{proc.stderr[-8000:]}")
    return proc


def require_tool(name: str, reason: str):
    """Skip when a system tool is missing, but fail under CI (CI must have it)."""
    import pytest

    if shutil.which(name):
        return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail(f"{name} missing in CI: {reason} (make sysdeps installs it)")
    pytest.skip(f"{name} not installed: {reason}")
