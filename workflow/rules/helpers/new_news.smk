# Path and parameter helpers of workflow/rules/new_news.smk (functions only: a rules file holds rules).


def nn_replay_files(group):
    """The replay files a run job trains on: replay/<source>/<protocol>.json per condition."""
    files = (nn_conditions.replay_file_name(c) for c in NN_GROUPS[group] if c != "base")
    return sorted(
        {R("new_news", "replay", source, f"{stem}.json") for source, stem in files}
    )


def nn_code(*modules):
    """Hash of repro_core and the named new_news modules: the code a job runs. Narrower than
    code_hash("new_news") so that editing the analysis, figures or claims keeps the cached
    self-play replay and fine-tuning runs (they never import those modules)."""
    h = hashlib.sha256()
    root = Path(workflow.basedir, "packages")
    files = sorted((root / "repro_core" / "src").rglob("*.py"))
    files += [root / "new_news" / "src" / "new_news" / f for f in modules]
    for f in files:
        h.update(str(f.relative_to(root)).encode())
        h.update(f.read_bytes())
    return h.hexdigest()[:16]
