"""Issue 31: fixed places in every paper package. Each has figures.py (the figure functions)
and a stages.py; no module imports a private (underscore) name from another module; no paper
imports another paper's package (shared code lives in repro_core)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAPERS = sorted(p.name for p in (ROOT / "packages").iterdir()
                if p.name != "repro_core" and (p / "src" / p.name).is_dir())


def _imports(pkg: str):
    """(file, line, module, level, names) of every import in a package's source."""
    for f in sorted((ROOT / "packages" / pkg / "src" / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ImportFrom):
                yield f, node.lineno, node.module or "", node.level, [a.name for a in node.names]
            elif isinstance(node, ast.Import):
                for a in node.names:
                    yield f, node.lineno, a.name, 0, []


def test_twelve_papers_found():
    assert len(PAPERS) == 12, PAPERS


@pytest.mark.parametrize("paper", PAPERS)
def test_fixed_module_names(paper):
    src = ROOT / "packages" / paper / "src" / paper
    assert (src / "figures.py").exists(), f"{paper}: figures go in figures.py"
    assert (src / "stages.py").exists()
    assert not (src / "plots.py").exists(), f"{paper}: plots.py is figures.py"


@pytest.mark.parametrize("paper", PAPERS)
def test_no_private_or_cross_paper_imports(paper):
    bad = []
    for f, line, mod, level, names in _imports(paper):
        top = mod.split(".")[0]
        ours = level > 0 or top in PAPERS or top == "repro_core"
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        if ours and private:
            bad.append(f"{f.name}:{line} imports private {private} from {mod or '.'}")
        if level == 0 and top in PAPERS and top != paper:
            bad.append(f"{f.name}:{line} imports another paper's package {mod}")
    assert not bad, "\n".join(bad)


def test_adding_a_paper_example_rules_are_real():
    """docs/ADDING_A_PAPER.md shows cornn rules as examples: each is in workflow/rules/cornn.smk
    as written, so the guide cannot drift from the code."""
    import re
    import textwrap

    doc = (ROOT / "docs" / "ADDING_A_PAPER.md").read_text()
    smk = (ROOT / "workflow" / "rules" / "cornn.smk").read_text()
    blocks = re.findall(r"(?ms)^    rule (cornn_\w+):\n(.*?)(?=\n\n|\Z)", doc)
    full = [b for b in blocks if "shell:" in b[1]]
    assert len(full) >= 2, "the guide should show at least two complete cornn rules"
    for name, body in full:
        rule = textwrap.dedent(f"    rule {name}:\n{body}")
        assert rule in smk, f"the guide's rule {name} differs from workflow/rules/cornn.smk"


def test_nothing_cites_files_outside_the_repo():
    """Docs, code and the workflow cite files inside the repository only (no ../shared/..., no
    paths of the machine it was written on)."""
    import re
    import subprocess

    tracked = subprocess.run(["git", "ls-files", "*.md", "*.py", "*.smk", "*.yaml", "*.rst", "Snakefile"],
                             cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    bad = []
    for f in [ROOT / t for t in tracked if t != "tests/workflow/test_layout.py"]:
        for i, line in enumerate(f.read_text().splitlines(), 1):
            if re.search(r"\.\./shared/|(?<![\w/])shared/(notes|reviews|DESIGN)|(?<![\w.])/work/", line):
                bad.append(f"{f.relative_to(ROOT)}:{i}: {line.strip()}")
    assert not bad, "\n".join(bad)
