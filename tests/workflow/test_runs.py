"""End-to-end behaviour of the workflow on CORNN's smoke target: same seed ->
byte-identical claims, kill -9 then resume redoes only unfinished jobs, the
output cache is reused by a second clean checkout, and the report renders."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from repro_core.cli import RESOURCES_TAG
from tests.helpers import REPO, require_tool, run_snakemake, snakemake_cmd

SMOKE = ["cornn", "--config", "scale=smoke"]


def _outputs(workdir: Path) -> dict[str, int]:
    """Every non-log file under results/ with its mtime (ns)."""
    root = workdir / "results"
    return {str(p.relative_to(workdir)): p.stat().st_mtime_ns for p in root.rglob("*")
            if p.is_file() and "logs" not in p.parts}


def _planned_jobs(workdir: Path, args: list[str]) -> int:
    proc = run_snakemake(workdir, ["-n", *args])
    m = re.search(r"^total\s+(\d+)", proc.stdout, re.M)
    return int(m.group(1)) if m else 0


@pytest.fixture(scope="module")
def smoke_run(tmp_path_factory):
    work = tmp_path_factory.mktemp("smoke_a")
    # a stage log an earlier grid left behind: not this workflow's job, so not in cost.csv
    stale = work / "results/cornn/smoke/logs/fit_an_old_grid.log"
    stale.parent.mkdir(parents=True)
    stale.write_text(RESOURCES_TAG + ' {"paper": "cornn", "stage": "fit", "wall_s": 9.0, "cpu_s": 9.0, '
                     '"max_rss_mb": 99.0}\n')
    run_snakemake(work, SMOKE)
    return work


@pytest.mark.slow
def test_same_seed_gives_identical_claims(smoke_run, tmp_path):
    other = tmp_path / "b"
    other.mkdir()
    run_snakemake(other, SMOKE)
    a = (smoke_run / "results/cornn/smoke/claims.json").read_bytes()
    b = (other / "results/cornn/smoke/claims.json").read_bytes()
    assert a == b
    assert b'"status": "error"' not in a
    # and a no-op rerun runs nothing
    proc = run_snakemake(other, SMOKE)
    assert "Nothing to be done" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_device_cuda_without_gpu_fails_before_touching_outputs(smoke_run):
    """device=cuda would rerun every job (device is in the params) and delete good outputs
    before the first job fails: the precheck refuses before any job starts."""
    probe = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                           capture_output=True, text=True)
    if probe.stdout.strip() == "True":
        pytest.skip("this machine has CUDA: device=cuda is a valid choice here")
    before = _outputs(smoke_run)
    proc = run_snakemake(smoke_run, [*SMOKE, "device=cuda"], check=False)
    assert proc.returncode != 0
    assert "config.device='cuda' but this machine has no CUDA device" in proc.stdout + proc.stderr
    assert _outputs(smoke_run) == before  # every result still there, untouched


@pytest.mark.slow
def test_kill_then_resume_redoes_only_unfinished_jobs(tmp_path):
    work = tmp_path / "k"
    work.mkdir()
    total = _planned_jobs(work, SMOKE)
    assert total >= 4
    proc = subprocess.Popen(snakemake_cmd(work, SMOKE, cores=1), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 300
    # kill -9 the whole process group once Snakemake has recorded a finished job
    # (its metadata) and the next one is running
    meta = work / ".snakemake" / "metadata"
    while time.time() < deadline and proc.poll() is None:
        if meta.exists() and any(meta.iterdir()):
            time.sleep(0.5)
            break
        time.sleep(0.1)
    assert proc.poll() is None, "the smoke run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    after_kill = _outputs(work)
    remaining = _planned_jobs(work, SMOKE)
    assert 0 < remaining < total, (remaining, total)
    run_snakemake(work, ["--unlock", *SMOKE])  # what a user does after a kill -9 (README)
    rerun = run_snakemake(work, SMOKE, cores=1)
    m = re.search(r"(\d+) of (\d+) steps \(100%\) done", rerun.stdout + rerun.stderr)
    assert m and int(m.group(2)) == remaining, (rerun.stderr[-2000:])
    final = _outputs(work)
    # every file of a job that had finished before the kill is untouched
    unchanged = [f for f in after_kill if f in final and final[f] == after_kill[f]]
    assert unchanged, "no finished output survived the kill"
    # no temporary file is ever taken as an output, and none is left once the rerun is done
    assert not [f for f in final if ".tmp" in Path(f).name]
    assert (work / "results/cornn/smoke/claims.json").exists()


def _checkout(dest: Path) -> Path:
    """A clean copy of the working tree (tracked + untracked, not ignored)."""
    files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=REPO,
                           capture_output=True, text=True, check=True).stdout.split("\n")
    for f in filter(None, files):
        src = REPO / f
        if src.is_file() and not src.is_symlink():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / f)
        elif src.is_symlink():
            (dest / f).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(os.readlink(src), dest / f)
    return dest


def _cached_rule_target() -> tuple[str, str]:
    """(rule, one output path at smoke) of the first cached rule of cornn."""
    text = (REPO / "workflow/rules/cornn.smk").read_text()
    rules = re.findall(r"^rule (\w+):(.*?)(?=^rule |\Z)", text, re.M | re.S)
    for name, body in rules:
        if 'cache: "omit-software"' in body and "{" not in name:
            return name, body
    raise AssertionError("cornn has no cached rule")


@pytest.mark.slow
def test_second_checkout_reuses_cached_output(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"SNAKEMAKE_OUTPUT_CACHE": str(cache)}
    rule, _ = _cached_rule_target()
    outs = []
    for name in ("one", "two"):
        co = _checkout(tmp_path / name)
        proc = subprocess.run([sys.executable, "-m", "snakemake", "--cores", "2", "--cache", rule,
                               "--until", rule, "--config", "scale=smoke"],
                              cwd=co, capture_output=True, text=True, timeout=300, env={**os.environ, **env})
        assert proc.returncode == 0, proc.stderr[-3000:]
        outs.append((co, proc.stdout + proc.stderr))
    assert any(cache.iterdir()), "nothing was stored in the cache"
    first, second = outs[0][1], outs[1][1]
    assert "Moving output file" in first and "to cache" in first, first[-3000:]
    assert re.search(r"(Symlinking|Copying) output file .* from cache", second), second[-3000:]
    # the second checkout's output is the cached file itself, not a recomputation
    linked = [p for p in (outs[1][0] / "results").rglob("*") if p.is_symlink()]
    assert linked and all(str(p.resolve()).startswith(str(cache.resolve())) for p in linked)


@pytest.mark.slow
@pytest.mark.browser
def test_report_renders_in_headless_chromium(smoke_run, tmp_path):
    chromium = require_tool("chromium", "needed to render the HTML report")
    run_snakemake(smoke_run, ["report", "--config", "scale=smoke", "papers=[cornn]"])
    report = smoke_run / "reports/smoke/report.html"
    run_snakemake(smoke_run, ["--report", str(report), "report", "--config", "scale=smoke", "papers=[cornn]"])
    assert report.stat().st_size > 10_000
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             f"--user-data-dir={tmp_path / 'profile'}", "--virtual-time-budget=15000"]
    shot = tmp_path / "shot.png"
    subprocess.run([chromium, *flags, f"--screenshot={shot}", "--window-size=1400,1000", report.as_uri()],
                   capture_output=True, timeout=120)
    assert shot.exists() and shot.stat().st_size > 5_000
    from matplotlib.image import imread
    img = imread(shot)
    assert img[..., :3].std() > 0.02, "screenshot is blank"
    dom = subprocess.run([chromium, *flags, "--dump-dom", report.as_uri()], capture_output=True,
                         text=True, timeout=120).stdout
    assert "Reproduction scorecard" in dom
    assert "cornn." in dom  # a claim id from the scorecard table on the front page
    assert "Paper claims reproduced at smoke scale" in dom  # the headline counts paper claims only
    # the cost page: one row per job that ran, benchmark numbers where the rule has a benchmark
    # file (cached rules cannot: their stage's own resource line is used)
    assert "Cost of the smoke run" in dom
    import pandas as pd
    cost = pd.read_csv(smoke_run / "reports/smoke/cost.csv")
    logs = {p.stem for p in (smoke_run / "results/cornn/smoke/logs").glob("*.log")}
    assert "fit_an_old_grid" in logs and set(cost["job"]) == logs - {"fit_an_old_grid"}
    benches = {p.stem for p in (smoke_run / "results/cornn/smoke/benchmarks").glob("*.tsv")}
    assert benches and set(cost.loc[cost["source"] == "benchmark", "job"]) == benches
    assert (cost.loc[cost["source"] == "stage", "job"].str.startswith(("simulate", "flipflop_train",
                                                                        "timed_train"))).all()
    assert (cost["cpu_s"] > 0).all() and (cost["max_rss_mb"] > 10).all()
