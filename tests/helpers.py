"""Helpers for tests that run the workflow."""

from __future__ import annotations

import json
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


def run_smoke(workdir: Path, paper: str, scale: str = "smoke") -> tuple[Path, dict]:
    """``snakemake <paper>`` at ``scale`` in ``workdir``. Returns the paper's results directory and
    its claims by id, after asserting that every claim evaluated (none has status "error")."""
    run_snakemake(workdir, [paper, "--config", f"scale={scale}"])
    out = workdir / "results" / paper / scale
    claims = {c["id"]: c for c in json.loads((out / "claims.json").read_text())["claims"]}
    errors = [c for c in claims.values() if c["status"] == "error"]
    assert not errors, errors
    return out, claims


def assert_rerun_identical(workdir: Path, paper: str, remove: tuple[str, ...] = (),
                           scale: str = "smoke") -> Path:
    """Same seed, same numbers: delete claims.json and whatever matches the globs ``remove``
    (relative to the results directory; directories go whole), rerun the target, and assert
    that claims.json comes back byte for byte. Returns the results directory."""
    out = workdir / "results" / paper / scale
    before = (out / "claims.json").read_bytes()
    for pattern in ("claims.json", *remove):
        hits = list(out.glob(pattern))
        assert hits, f"{pattern} matched nothing in {out}"
        for path in hits:
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    run_snakemake(workdir, [paper, "--config", f"scale={scale}"])
    assert (out / "claims.json").read_bytes() == before
    return out


def require_tool(name: str, reason: str):
    """Skip when a system tool is missing, but fail under CI (CI must have it)."""
    import pytest

    if shutil.which(name):
        return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail(f"{name} missing in CI: {reason} (make sysdeps installs it)")
    pytest.skip(f"{name} not installed: {reason}")


def paper_section(paper: str, section: str, scale: str = "smoke") -> dict:
    """A section (dotted path) of config/<paper>.yaml resolved at ``scale`` ("" : the whole paper)."""
    import yaml

    from repro_core.config import resolve_scale

    node = resolve_scale(yaml.safe_load((REPO / "config" / f"{paper}.yaml").read_text())[paper], scale, paper)
    for part in [p for p in section.split(".") if p]:
        node = node[part]
    return dict(node)


def stage_config(paper: str, stage: str, scale: str = "smoke", **extra):
    """The config dataclass of ``python -m <paper> <stage>`` built as the workflow builds it: the
    stage's YAML section (Stage.section) at ``scale``, plus any required field the paper's YAML
    has as a top-level section (e.g. stm_mechanisms' task), plus ``extra``. The YAML is the only
    source of the values, so tests use it instead of dataclass defaults."""
    import dataclasses
    import importlib

    from repro_core.config import from_dict

    st = importlib.import_module(f"{paper}.stages").STAGES[stage]
    data = paper_section(paper, st.section, scale) if st.section else {}
    data.pop("seed_offset", None)
    top = paper_section(paper, "", scale)
    for f in dataclasses.fields(st.config):
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if required and f.name not in data and f.name not in extra and f.name in top:
            data[f.name] = top[f.name]
    return from_dict(st.config, {**data, **extra}, where=stage)



def stage_jobs(scale: str = "smoke") -> list[dict]:
    """Every stage job of a forced dry run of `all` at ``scale``: ``paper``, ``stage`` and the
    ``params`` the rule passes (``--params``), parsed by workflow/scripts/calibrate.py."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("calibrate", REPO / "workflow" / "scripts" / "calibrate.py")
    calibrate = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(calibrate)
    jobs = []
    for job in calibrate.full_jobs(["all"], scale):
        toks, params = calibrate.stage_params(job["shell"])
        if "-m" in toks and "--params" in toks:
            i = toks.index("-m")
            jobs.append({"paper": toks[i + 1], "stage": toks[i + 2], "params": params})
    return jobs
