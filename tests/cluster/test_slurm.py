"""`snakemake --profile slurm` end to end on a real one-node Slurm cluster on localhost.

The cluster is started by workflow/scripts/local_slurm.sh (Debian's slurm-wlm + munge, root).
Where it cannot be started the tests skip with the reason; under CI=true they fail instead,
so CI cannot silently lose the cluster path.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import REPO, SNAKEFILE, run_snakemake

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

PAPER = "cornn"  # the reference paper; its smoke target is small and runs every stage
SCRIPT = REPO / "workflow" / "scripts" / "local_slurm.sh"
PROFILE = yaml.safe_load((REPO / "workflow" / "profiles" / "slurm" / "config.yaml").read_text())
STATE_DIR = Path(os.environ.get("LOCAL_SLURM_DIR", "/tmp/local_slurm"))

SUBMITTED = re.compile(r"Job (\d+) has been submitted with SLURM jobid (\d+) \(log: (.+?)\)\.$",
                       re.M)
JOB_HEADER = re.compile(r"^\[.*?\]\n(local)?rule (\w+):\n(?:    .*\n)*?    jobid: (\d+)$", re.M)


def _unavailable(reason: str):
    if os.environ.get("CI"):  # as tests.helpers.require_tool: CI must have the cluster
        pytest.fail(f"CI must run the Slurm cluster test, but: {reason} (make sysdeps installs "
                    "slurm-wlm and munge)")
    pytest.skip(f"no local Slurm cluster: {reason}")


def _script(cmd: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), cmd], capture_output=True, text=True, timeout=180)


@pytest.fixture(scope="module")
def slurm_cluster():
    """A running local cluster. Started here if needed and stopped afterwards unless another
    test session (holding the shared lock) still uses it."""
    if sys.platform != "linux" or os.geteuid() != 0:
        _unavailable("the local cluster needs Linux and root (slurmd, munged)")
    try:
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        lock = open(STATE_DIR / "users.lock", "a+")
    except OSError as exc:
        _unavailable(f"cannot use {STATE_DIR}: {exc}")
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        started = _script("status").returncode != 0
        if started:
            proc = _script("start")
            if proc.returncode != 0:
                fcntl.flock(lock, fcntl.LOCK_UN)
                _unavailable(f"{SCRIPT.name} start exited {proc.returncode}: "
                             f"{proc.stderr.strip()[-2000:]}")
        fcntl.flock(lock, fcntl.LOCK_SH)  # others may share the cluster; nobody stops it
        try:
            yield
        finally:
            if started:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    pass  # another session still uses it; it stays up
                else:
                    _script("stop")
            fcntl.flock(lock, fcntl.LOCK_UN)


def snakemake_slurm(workdir: Path, args: list[str], timeout: float = 900):
    """The literal user command, `snakemake --profile slurm ...`, run from the repo root."""
    cmd = [sys.executable, "-m", "snakemake", "--profile", "slurm", "-s", str(SNAKEFILE),
           "-d", str(workdir), *args]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=timeout)
    return proc, proc.stdout + proc.stderr


def slurm_states(job_ids) -> dict[str, str]:
    """State of each Slurm job as squeue reports it (finished jobs stay for MinJobAge)."""
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%T|%j",
                          "--jobs=" + ",".join(job_ids)], capture_output=True, text=True,
                         check=True).stdout
    return {line.split("|")[0]: line.split("|")[1] for line in out.splitlines() if line}


def test_smoke_run_through_slurm_equals_local_run(slurm_cluster, tmp_path):
    local, cluster = tmp_path / "local", tmp_path / "slurm"
    run_snakemake(local, [PAPER, "--config", "scale=smoke"])

    proc, log = snakemake_slurm(cluster, [PAPER, "--config", "scale=smoke"])
    assert proc.returncode == 0, f"snakemake --profile slurm failed:\n{log[-10000:]}"

    jobs = {int(jobid): (rule, bool(local_)) for local_, rule, jobid in JOB_HEADER.findall(log)}
    submitted = {int(job): (slurm_id, Path(path)) for job, slurm_id, path in SUBMITTED.findall(log)}
    remote = {j for j, (_, is_local) in jobs.items() if not is_local}
    assert remote, f"no job went to Slurm:\n{log[-5000:]}"
    # every job except declared local rules (the paper's target) was submitted through sbatch
    assert set(submitted) == remote, (jobs, submitted)
    for job, (slurm_id, path) in submitted.items():
        rule = jobs[job][0]
        assert path.is_file(), f"no Slurm log for rule {rule}: {path}"
        assert path.relative_to(cluster / ".snakemake" / "slurm_logs").parts[0] == f"rule_{rule}"
        assert path.name == f"{slurm_id}.log"
        assert f"rule {rule}:" in path.read_text(), path
    # Slurm itself ran them to completion
    slurm_ids = [s for s, _ in submitted.values()]
    states = slurm_states(slurm_ids)
    assert states == {s: "COMPLETED" for s in slurm_ids}, states

    claims = f"results/{PAPER}/smoke/claims.json"
    assert (cluster / claims).read_bytes() == (local / claims).read_bytes()


def _failing_rule() -> str:
    """The test-only rule that always fails (workflow/rules/testing/failure_probe.smk, included
    when config inject_failure is set)."""
    probe = (REPO / "workflow" / "rules" / "testing" / "failure_probe.smk").read_text()
    assert "rule failure_probe:" in probe
    return "failure_probe"


def test_failing_rule_is_retried_and_reported_with_its_slurm_log(slurm_cluster, tmp_path):
    rule = _failing_rule()
    retries = int(PROFILE["retries"])
    assert retries >= 1, "the slurm profile should retry failed jobs"
    proc, log = snakemake_slurm(tmp_path, [rule, "--config", "scale=smoke", "inject_failure=cluster-test"])
    assert proc.returncode != 0, log[-5000:]

    submitted = SUBMITTED.findall(log)
    attempts: dict[str, list[tuple[str, str]]] = {}
    for job, slurm_id, path in submitted:
        attempts.setdefault(job, []).append((slurm_id, path))
    jobs = {jobid: rule_ for _, rule_, jobid in JOB_HEADER.findall(log)}
    failing = {job: a for job, a in attempts.items() if jobs.get(job) == rule}
    assert failing, f"rule {rule} was never submitted:\n{log[-5000:]}"
    for job, tries in failing.items():
        # the profile's retries: one submission plus `retries` resubmissions, each a Slurm job
        assert len(tries) == retries + 1, (job, tries)
        assert len({slurm_id for slurm_id, _ in tries}) == retries + 1
    assert log.count("Trying to restart job") >= retries

    # the final error names the rule, the Slurm job and the Slurm log path
    # (the failed job's own Snakemake output, echoed from its Slurm log, has an error block too,
    # without a Slurm job id: the submitting process's block is the last one that names one)
    blocks = ["Error in rule " + b for b in log.split("Error in rule ")[1:] if "external_jobid" in b]
    assert blocks, log[-5000:]
    block = blocks[-1]
    assert block.startswith(f"Error in rule {rule}:"), block[:2000]
    slurm_id = re.search(r"external_jobid: (\d+)", block).group(1)
    job, path = next((j, t[-1][1]) for j, t in failing.items() if t[-1][0] == slurm_id)
    assert f"SLURM-job '{slurm_id}' failed" in block, block[:2000]
    log_line = next(line for line in block.splitlines() if line.strip().startswith("log:"))
    assert path in log_line, (path, log_line)
    assert f".snakemake/slurm_logs/rule_{rule}/" in path
    assert f"injected failure in rule {rule}" in Path(path).read_text()
    assert slurm_states([slurm_id]) == {slurm_id: "FAILED"}
