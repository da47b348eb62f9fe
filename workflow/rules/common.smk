# Helpers shared by every paper's rules: scale lookup, per-stage params, paths,
# config validation, code hashes for the output cache. No science here.
import csv
import hashlib
import json
import os
import sys

import yaml
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

from repro_core.config import SCALES, ConfigError, explain_schema_errors, resolve_scale

PY = sys.executable  # the interpreter running Snakemake (the project's venv)
# Shell commands call plain `python`: make it this interpreter, also when
# snakemake was started as .venv/bin/snakemake without activating the venv.
os.environ["PATH"] = str(Path(PY).parent) + os.pathsep + os.environ.get("PATH", "")
SCALE = config.get("scale", "quick")
SCHEMAS = Path(workflow.basedir) / "workflow" / "schemas"


def _fail(lines):
    raise WorkflowError("invalid config:\n  " + "\n  ".join(lines))


def validate_all_config():
    """Validate the merged config before any job runs; errors name the key and
    what is allowed."""
    top = yaml.safe_load((SCHEMAS / "config.schema.yaml").read_text())
    try:
        validate(config, str(SCHEMAS / "config.schema.yaml"), set_default=False)
    except WorkflowError:
        _fail(
            explain_schema_errors(config, top)
            or ["config does not match config.schema.yaml"]
        )
    unknown = [p for p in selected_papers() if p not in AVAILABLE]
    if unknown:
        _fail(
            [
                f"config.papers: unknown paper(s) {', '.join(unknown)}; available: "
                f"all, {', '.join(AVAILABLE)}"
            ]
        )
    for paper in AVAILABLE:
        schema_file = SCHEMAS / f"{paper}.schema.yaml"
        if paper not in config:
            _fail(
                [
                    f"config.{paper} missing (config/{paper}.yaml must define a top-level '{paper}:' key)"
                ]
            )
        schema = yaml.safe_load(schema_file.read_text())
        for scale in SCALES:  # every scale, so a bad full value fails a smoke run too
            try:
                resolved = resolve_scale(config[paper], scale, paper)
            except ConfigError as exc:
                _fail([str(exc)])
            errors = explain_schema_errors(resolved, schema, root=paper)
            if errors:
                _fail([f"{e} (at scale {scale})" for e in errors])


def check_device():
    """device=cuda on a machine without CUDA fails before any job starts: otherwise every
    job whose params carry the device reruns, Snakemake deletes its good outputs, and only
    then does the first job fail. Local runs only; under Slurm the job itself checks (the
    submitting host need not have a GPU)."""
    if config.get("device") != "cuda" or not workflow.local_exec:
        return
    import subprocess

    probe = subprocess.run(
        [
            PY,
            "-c",
            "import torch; raise SystemExit(0 if torch.cuda.is_available() else 1)",
        ],
        capture_output=True,
    )
    if probe.returncode != 0:
        _fail(
            [
                "config.device='cuda' but this machine has no CUDA device torch can use; "
                "use device=auto (CUDA when present, else CPU) or device=cpu. Nothing was run "
                "and no output was touched."
            ]
        )


def selected_papers():
    """config papers: "all", "cornn", "cornn,ghost_points" or a list of names."""
    papers = config.get("papers", "all")
    if isinstance(papers, str):
        papers = [p.strip() for p in papers.split(",") if p.strip()]
        if papers == ["all"]:
            return list(AVAILABLE)
    return list(papers)


PAPERS = []  # filled after validation


def P(paper, *keys):
    """The paper's config at the current scale, optionally a nested section."""
    node = resolve_scale(config[paper], SCALE, paper)
    for k in keys:
        node = node[k]
    return node


def params_json(paper, *keys, seed=True, **extra):
    """A stage's params as a JSON string for ``--params {params.p:q}``.

    Adds the global ``seed`` (plus the section's own ``seed_offset`` if any) and
    ``extra``; changes in any of them rerun the job (params rerun trigger)."""
    d = dict(P(paper, *keys)) if keys else {}
    if seed:
        d["seed"] = int(config["seed"]) + int(d.pop("seed_offset", 0))
    d.update(extra)
    return json.dumps(d, sort_keys=True)


def R(paper, *parts):
    """results/<paper>/<scale>/<parts...>"""
    return str(Path("results", paper, SCALE, *parts))


def in_list(**named_files):
    """``--in name=f`` once per file of each named list, e.g. ``in_list(nets=input.nets)``: the
    list inputs of a stage (repro_core.cli Stage.many)."""
    import shlex

    return " ".join(
        f"--in {name}={shlex.quote(str(f))}"
        for name, files in named_files.items()
        for f in files
    )


def LOG(paper, name):
    return str(Path("results", paper, SCALE, "logs", f"{name}.log"))


def BENCH(paper, name):
    """Snakemake benchmark file of a job (wall, CPU time, peak memory): results/<paper>/<scale>/
    benchmarks/<name>.tsv, beside its log; `python -m repro_core cost` sums them."""
    return str(Path("results", paper, SCALE, "benchmarks", f"{name}.tsv"))


def _full_probes():
    """Full-scale requests measured by workflow/scripts/calibrate.py (issue 28): rule -> (runtime
    minutes, mem_mb). Empty below full scale, and when REPRO_HAND_RESOURCES is set (calibrate.py
    sets it to read the rules' own hand-set values); REPRO_FULL_PROBES names another table.
    """
    table = Path(
        os.environ.get("REPRO_FULL_PROBES")
        or Path(workflow.basedir, "workflow", "calibration", "full_probes.csv")
    )
    if SCALE != "full" or os.environ.get("REPRO_HAND_RESOURCES") or not table.exists():
        return {}
    with open(table, newline="") as f:
        return {
            r["rule"]: (int(float(r["runtime_min"])), int(float(r["mem_mb"])))
            for r in csv.DictReader(f)
            if r["status"] == "probed"
        }


FULL_PROBES = _full_probes()


def measured(rule_name, **resources):
    """A rule's resources: at full scale, runtime and mem_mb from its measured probe (the committed
    table workflow/calibration/full_probes.csv, regenerated by calibrate.py) where the rule was
    probed; otherwise the values given here. GPU requests and other keys pass through.
    """
    if rule_name in FULL_PROBES:
        resources["runtime"], resources["mem_mb"] = FULL_PROBES[rule_name]
    return resources


# Modules that only judge and report results: they cannot change a data set or a
# model, so editing them must not rerun the cached trainings (the claims rules carry
# the full hash and rerun; they are cheap). A paper's claims.py is one of them.
REPORT_ONLY = {
    "repro_core/claims.py",
    "repro_core/scorecard.py",
    "repro_core/stats.py",
    "repro_core/cost.py",
}


def code_hash(paper, report_only=False):
    """Hash of a package's source (and repro_core's): part of the params of
    cached rules, because Snakemake's output cache does not see package code.
    ``report_only=True`` (claims rules) also covers the judging modules."""
    h = hashlib.sha256()
    skip = set() if report_only else REPORT_ONLY | {f"{paper}/claims.py"}
    for pkg in ("repro_core", paper):
        root = Path(workflow.basedir, "packages", pkg, "src")
        for f in sorted(root.rglob("*.py")):
            if str(f.relative_to(root)) in skip:
                continue
            h.update(str(f.relative_to(root)).encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def other_scale_claims(papers):
    """claims.json of the selected papers at the other scales, where they exist."""
    return [
        f
        for s in SCALES
        if s != SCALE
        for p in papers
        if (f := Path("results", p, s, "claims.json")).exists()
    ]


def paper_targets(paper):
    """Everything ``snakemake <paper>`` builds (the input of that paper's rule)."""
    return list(getattr(rules, paper).input)


DAG_LOGS = f"reports/{SCALE}/logs/dag_logs.txt"


def write_dag_logs(dag, path=DAG_LOGS):
    """The log file of every job in this invocation's DAG, run or reused, one absolute path per
    line: the cost rule counts these jobs only, not the stale logs of an earlier grid.
    """
    logs = sorted({os.path.abspath(str(f)) for job in dag.jobs for f in job.log})
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as fh:
        fh.writelines(f + "\n" for f in logs)
