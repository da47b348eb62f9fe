"""Issue 31: every rule file is snakefmt-formatted (snakefmt and black pinned in requirements.txt).
Formatting a file: `snakefmt <file>`."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = [ROOT / "Snakefile",
         *sorted((ROOT / "workflow" / "rules").glob("*.smk")),
         *sorted((ROOT / "workflow" / "rules" / "helpers").glob("*.smk"))]


def _snakefmt() -> list[str]:
    exe = Path(sys.executable).parent / "snakefmt"
    if exe.exists():
        return [str(exe)]
    if shutil.which("snakefmt"):
        return [shutil.which("snakefmt")]
    pytest.fail("snakefmt is not installed (pip install -r requirements.txt)")


def test_the_checked_files_exist():
    assert len(FILES) >= 12 and all(f.exists() for f in FILES)


def test_rule_files_are_snakefmt_formatted():
    rel = [str(f.relative_to(ROOT)) for f in FILES]
    check = subprocess.run([*_snakefmt(), "--check", *rel], capture_output=True, text=True, timeout=600, cwd=ROOT)
    if check.returncode == 0:
        return
    assert check.returncode == 1, f"snakefmt could not parse a rule file:\n{check.stderr[-4000:]}"
    diff = subprocess.run([*_snakefmt(), "--diff", *rel], capture_output=True, text=True, timeout=600, cwd=ROOT)
    pytest.fail("rule files not snakefmt-formatted (run `snakefmt <file>`); the diff:\n" + diff.stdout[-8000:])
