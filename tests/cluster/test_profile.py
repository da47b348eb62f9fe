"""Static checks of the Slurm profile (no cluster needed)."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from tests.helpers import REPO

SLURM = REPO / "workflow" / "profiles" / "slurm" / "config.yaml"
PROFILE = yaml.safe_load(SLURM.read_text())


def test_slurm_symlink_makes_profile_slurm_work_from_the_repo_root():
    assert (REPO / "slurm").is_symlink()
    assert (REPO / "slurm").resolve() == SLURM.parent.resolve()


def test_status_polling_works_without_accounting():
    assert PROFILE["executor"] == "slurm"
    assert PROFILE["slurm-status-command"] == "squeue"
    # the plugin falls back to sacct (no answer without accounting) unless
    # MinJobAge >= 3 x init seconds; the local test cluster's MinJobAge:
    script = (REPO / "workflow" / "scripts" / "local_slurm.sh").read_text()
    min_job_age = int(re.search(r"MIN_JOB_AGE=\$\{LOCAL_SLURM_MIN_JOB_AGE:-(\d+)\}", script).group(1))
    assert 3 * PROFILE["slurm-init-seconds-before-status-checks"] <= min_job_age
    assert "slurm_account" not in PROFILE["default-resources"]  # site-specific
    assert "slurm_partition" not in PROFILE["default-resources"]
    assert not {"gpu", "gpu_model", "gres"} & set(PROFILE["default-resources"])


def test_workflow_profile_does_not_override_the_slurm_profile():
    """Snakemake applies profiles/default (next to the Snakefile) after --profile and lets it
    win key by key; a key set there with another value silently changes every cluster run."""
    default = REPO / "profiles" / "default" / "config.yaml"
    if not default.exists():
        return
    wf = yaml.safe_load(default.read_text()) or {}
    clashes = {k: (PROFILE[k], wf[k]) for k in PROFILE if k in wf and wf[k] != PROFILE[k]}
    assert not clashes, (
        f"profiles/default/config.yaml overrides the slurm profile (slurm value, default value): "
        f"{clashes}; drop these keys from the default profile")


def test_full_scale_dry_run_with_the_slurm_profile(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--profile", "slurm", "-n", "-q",
                           "-d", str(tmp_path), "--config", "scale=full"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
