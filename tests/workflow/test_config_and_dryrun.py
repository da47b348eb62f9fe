"""The Snakefile validates config before any job runs, and every target dry-runs
at every scale."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

from repro_core.config import SCALES, is_scale_dict, resolve_scale
from tests.helpers import REPO, run_snakemake

AVAILABLE = sorted(p.stem for p in (REPO / "workflow" / "rules").glob("*.smk")
                   if p.stem not in ("common", "report"))


def _dry(workdir, *args):
    proc = run_snakemake(workdir, ["-n", *args], check=False, timeout=120)
    proc.out = proc.stdout + proc.stderr  # Snakemake prints errors on stdout
    return proc


def test_every_paper_has_its_files():
    assert "cornn" in AVAILABLE
    for p in AVAILABLE:
        for f in (f"config/{p}.yaml", f"workflow/schemas/{p}.schema.yaml", f"packages/{p}/pyproject.toml",
                  f"packages/{p}/src/{p}/claims.py", f"packages/{p}/src/{p}/__main__.py"):
            assert (REPO / f).exists(), f"{p}: missing {f}"
        assert (REPO / "tests" / p).is_dir(), f"{p}: no tests/{p}"


def test_unknown_scale_is_rejected_naming_the_key(tmp_workdir):
    proc = _dry(tmp_workdir, "--config", "scale=huge")
    assert proc.returncode != 0
    assert "config.scale='huge' is not allowed; allowed values: smoke, quick, full" in proc.out


def test_misspelled_top_level_key_is_rejected(tmp_workdir):
    proc = _dry(tmp_workdir, "--config", "sede=3")
    assert proc.returncode != 0
    assert "unknown key(s) sede; allowed keys:" in proc.out and "seed" in proc.out


def test_unknown_paper_is_rejected(tmp_workdir):
    proc = _dry(tmp_workdir, "--config", "papers=[cornn,nope]")
    assert proc.returncode != 0
    assert "config.papers" in proc.out and "nope" in proc.out


@pytest.mark.parametrize("papers, expect", [("cornn", ["cornn"]), ("cornn,ghost_points", ["cornn", "ghost_points"])])
def test_papers_as_a_plain_string(tmp_workdir, papers, expect):
    """What people type: papers=cornn, or names separated by commas."""
    proc = _dry(tmp_workdir, "--config", f"papers={papers}", "scale=smoke")
    assert proc.returncode == 0, proc.out[-3000:]
    planned = set(re.findall(r"^rule (\w+)_claims:", proc.out, re.M))
    assert planned == set(expect)


def test_unknown_paper_names_the_available_ones(tmp_workdir):
    proc = _dry(tmp_workdir, "--config", "papers=nope")
    assert proc.returncode != 0
    assert "config.papers: unknown paper(s) nope; available: all, " in proc.out and "cornn" in proc.out


def test_yaml_error_in_a_config_file_names_file_line_column(tmp_path):
    """A syntax error in config/<paper>.yaml: file, line, column and the offending text
    (Snakemake alone prints an empty WorkflowError)."""
    import shutil

    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copy(REPO / "Snakefile", copy)
    for d in ("workflow", "config"):
        shutil.copytree(REPO / d, copy / d, symlinks=True)
    (copy / "packages").symlink_to(REPO / "packages")
    with open(copy / "config" / "cornn.yaml", "a") as f:
        f.write("\n  broken: [1, 2\n")
    n = len((REPO / "config" / "cornn.yaml").read_text().splitlines())
    proc = subprocess.run([sys.executable, "-m", "snakemake", "-n", "--cores", "1"], cwd=copy,
                          capture_output=True, text=True, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert (f"config/cornn.yaml, line {n + 3}, column 1: while parsing a flow sequence opened at "
            f"line {n + 2}, column 11") in out, out[-2000:]
    assert "broken: [1, 2" in out


@pytest.mark.parametrize("good, typo", [
    ("results/ctot_flow/smoke/data/ou.npz", "results/ctot_flow/smoke/data/spiral.npz"),
    ("results/cornn/smoke/data/exp1a_rep0.npz", "results/cornn/smoke/data/exp1b_rep0.npz")])
def test_typo_in_a_file_target_is_no_rule_not_a_crash(tmp_workdir, good, typo):
    ok = _dry(tmp_workdir, good, "--config", "scale=smoke")
    assert ok.returncode == 0, ok.out[-2000:]
    proc = _dry(tmp_workdir, typo, "--config", "scale=smoke")
    assert proc.returncode != 0
    assert f"No rule to produce {typo}" in proc.out
    assert "IndexError" not in proc.out and "KeyError" not in proc.out


def _int_leaves(tree, path=()):
    """(path, value) for every integer leaf of a paper config (scale dicts: the quick value)."""
    if is_scale_dict(tree):
        tree = tree["quick"]
        if isinstance(tree, int) and not isinstance(tree, bool):
            yield path, tree
        return
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _int_leaves(v, path + (k,))
    elif isinstance(tree, int) and not isinstance(tree, bool):
        yield path, tree


def _set(tree, path, value):
    node = tree
    for k in path[:-1]:
        node = node.setdefault(k, {})
    node[path[-1]] = value
    return tree


@pytest.mark.parametrize("paper", AVAILABLE)
def test_paper_schema_rejects_negative_size_and_misspelled_key(paper, tmp_workdir):
    cfg = yaml.safe_load((REPO / "config" / f"{paper}.yaml").read_text())[paper]
    sizes = [(p, v) for p, v in _int_leaves(cfg) if v > 0 and p[-1] not in ("seed", "seed_offset")]
    assert sizes, f"{paper}: no positive integer parameter found"
    path, _ = sizes[0]
    bad = tmp_workdir / "bad.yaml"
    bad.write_text(yaml.safe_dump({paper: _set({}, path, -5)}))
    proc = _dry(tmp_workdir, "--configfile", str(bad), "--config", "scale=smoke")
    assert proc.returncode != 0
    key = ".".join((paper,) + path)
    assert f"{key}=-5" in proc.out, proc.out[-2000:]
    # a misspelled key inside the paper's first section
    section = next(k for k, v in cfg.items() if isinstance(v, dict) and not is_scale_dict(v))
    bad.write_text(yaml.safe_dump({paper: {section: {"definitely_not_a_key": 1}}}))
    proc = _dry(tmp_workdir, "--configfile", str(bad), "--config", "scale=smoke")
    assert proc.returncode != 0
    assert f"{paper}.{section}: unknown key(s) definitely_not_a_key; allowed keys:" in proc.out


@pytest.mark.parametrize("paper", AVAILABLE)
def test_paper_config_resolves_at_every_scale(paper):
    cfg = yaml.safe_load((REPO / "config" / f"{paper}.yaml").read_text())
    assert list(cfg) == [paper]
    for scale in SCALES:
        resolve_scale(cfg[paper], scale, paper)


@pytest.mark.parametrize("scale", SCALES)
def test_dry_run_every_target(scale, tmp_workdir):
    targets = ["all", "report", *AVAILABLE]
    proc = _dry(tmp_workdir, *targets, "--config", f"scale={scale}")
    assert proc.returncode == 0, proc.out[-3000:]
    for p in AVAILABLE:
        assert re.search(rf"^{p}_claims\s+\d+", proc.stdout, re.M), f"{p}_claims not scheduled at {scale}"


def test_lint_reports_nothing_serious():
    proc = subprocess.run([sys.executable, str(REPO / "tests" / "lint_workflow.py")],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_rule_has_a_log_and_a_benchmark_unless_cached():
    """`repro_core cost` reads each job's benchmark file (or, for cached rules, which Snakemake
    allows none, the stage's resource line in its log): a rule without them is missing from cost.csv."""
    missing = []
    for smk in (REPO / "workflow" / "rules").glob("*.smk"):
        if smk.stem in ("common", "report"):
            continue
        for block in re.split(r"(?m)^(?=rule )", smk.read_text())[1:]:
            name = block.split(":")[0].split()[1]
            if "shell:" not in block:
                continue  # a target rule
            log = re.search(r'log:\s*LOG\(([^)]*)\)', block)
            bench = re.search(r'benchmark:\s*BENCH\(([^)]*)\)', block)
            cached = re.search(r'cache:\s*"omit-software"', block)
            if log is None or (not cached and (bench is None or bench.group(1) != log.group(1))):
                missing.append(name)
    assert not missing, f"rules without LOG(...) or a matching BENCH(...): {missing}"
