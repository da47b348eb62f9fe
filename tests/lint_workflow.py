"""Run `snakemake --lint` and fail on every lint except one: the per-rule request
for a conda environment or container (this repo deploys one venv for all rules,
built by `make setup`; Snakemake has no switch to silence that single lint). A paper's
helper functions live in workflow/rules/helpers/<paper>.smk, so rules files hold rules.

Usage: python tests/lint_workflow.py   (exit 0: clean; 1: lints printed)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
IGNORED = ("Specify a conda environment or container for each rule.",)


def serious_lints(output: str) -> list[str]:
    found, header = [], None
    for block in re.split(r"\n(?=\S)", output):
        lines = block.splitlines()
        if not lines:
            continue
        if lines[0].startswith("Lints for"):
            header = lines[0]
        for item in re.split(r"\n\s+\* ", "\n" + "\n".join(lines[1:])):
            item = item.strip()
            if item and not item.startswith(IGNORED):
                found.append(f"{header}: {item.splitlines()[0]}")
    return found


def main() -> int:
    proc = subprocess.run([sys.executable, "-m", "snakemake", "--lint", "--config", "scale=smoke"],
                          cwd=REPO, capture_output=True, text=True)
    lints = serious_lints(proc.stdout + proc.stderr)
    for lint in lints:
        print(lint)
    if proc.returncode not in (0, 1):
        print(proc.stderr[-3000:])
        return 1
    return 1 if lints else 0


if __name__ == "__main__":
    sys.exit(main())
