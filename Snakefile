# Entry point of the reproduction monorepo (see README.md and docs/ADDING_A_PAPER.md).
#   snakemake                 every selected paper at the configured scale + scorecard
#   snakemake <paper>         one paper (cornn, ghost_points, ...)
#   snakemake report          scorecard + Snakemake HTML report
#   --config scale=smoke|quick|full
import sys
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.utils import min_version

min_version("9.0")

sys.path.insert(0, str(Path(workflow.basedir) / "packages" / "repro_core" / "src"))


include: "workflow/rules/helpers/config.smk"  # checked(): parse a config file, naming line and column


configfile: checked(Path(workflow.basedir, "config", "config.yaml"))


ALL_PAPERS = [
    "icl_emergence",
    "icl_lowfreq",
    "icl_rational",
    "latent_units",
    "abrupt_learning",
    "ghost_points",
    "stm_mechanisms",
    "cornn",
    "emotion_trees",
    "new_news",
    "rl_wall",
    "ctot_flow",
]
# A paper exists once its rules, config and package exist.
AVAILABLE = [
    p
    for p in ALL_PAPERS
    if Path(workflow.basedir, "workflow", "rules", f"{p}.smk").exists()
    and Path(workflow.basedir, "config", f"{p}.yaml").exists()
]

for _paper in AVAILABLE:

    configfile: checked(Path(workflow.basedir, "config", f"{_paper}.yaml"))


envvars:
    "PATH",


include: "workflow/rules/common.smk"


validate_all_config()
check_device()
PAPERS = selected_papers()


report: "workflow/report/workflow.rst"


# the jobs of this DAG for the cost rule (workflow.dag is Snakemake's own object, not a documented
# API: snakemake is pinned in requirements.txt and tests/workflow/test_runs.py checks the result)
onstart:
    write_dag_logs(workflow.dag)


for _paper in AVAILABLE:

    include: f"workflow/rules/{_paper}.smk"


include: "workflow/rules/report.smk"


if config.get("inject_failure"):  # test-only: the cluster test's failing rule

    include: "workflow/rules/testing/failure_probe.smk"


rule all:
    default_target: True
    input:
        [paper_targets(p) for p in PAPERS],
        rules.scorecard.output,
