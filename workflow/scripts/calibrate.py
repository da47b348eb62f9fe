"""Measure what the costly rules need at full scale, by probing them (issue 28).

    .venv/bin/python workflow/scripts/calibrate.py [--rules cornn_fit ...] [--safety 2]

For each rule in workflow/calibration.yaml this takes one full-scale job exactly as Snakemake
would run it (`snakemake -n -p --forceall --config scale=full`), cuts the loop counts named by
`knobs` to two small fractions of their full values, runs the stage in a scratch working
directory, and reads the stage's resource line (wall, CPU, peak memory; repro_core.cli). CPU
seconds and peak memory are fitted as a + b * fraction and extrapolated to fraction 1. CPU time,
not wall time, is the measurement: it does not grow when other jobs share the cores (a probe may
run niced beside other work). The runtime request is the extrapolated CPU time (an upper bound on
the wall time on idle cores at any thread count) times the safety factor; mem_mb likewise. Results are merged into
workflow/calibration/full_probes.csv (one row per rule; rules not probed this time keep their
row) and the table in docs/CLUSTER.md is regenerated from it.

The probe runs on this machine's CPU with at most its core count in threads: for rules that ask
for a GPU at full scale the request is then an upper bound.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "workflow" / "calibration.yaml"
TABLE = REPO / "workflow" / "calibration" / "full_probes.csv"
DOC = REPO / "docs" / "CLUSTER.md"
TAG = "repro_core resources:"
COLUMNS = ["rule", "paper", "jobs", "job", "knobs", "fractions", "probe_wall_s", "probe_cpu_s",
           "probe_rss_mb", "threads_asked", "threads_probe", "full_cpu_s",
           "full_rss_mb", "safety",
           "runtime_min", "mem_mb", "gpu", "requested_runtime_min", "requested_mem_mb", "status",
           "measured_on", "date"]


# ----------------------------------------------------------------------------- the full DAG
def full_jobs(targets: list[str], scale: str = "full") -> list[dict]:
    """Every job of a forced dry run at ``scale`` (full: what this script probes): rule, inputs,
    outputs, resources, shell."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "-p", "--forceall", "--config", f"scale={scale}", "--", *targets]
    # the rules' own hand-set requests, not the table this script writes (common.smk `measured`)
    env = {**os.environ, "REPRO_HAND_RESOURCES": "1"}
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(f"the dry run failed ({' '.join(cmd[1:])}):\n"
                         + "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:]))
    out = proc.stdout
    jobs = []
    for m in re.finditer(r"^(?:local)?rule (\S+):\n(.*?)^Shell command: ([^\n]*)$", out, re.M | re.S):
        body = m.group(2)

        def field(name):
            f = re.search(rf"^\s+{name}: ([^\n]*)$", body, re.M)
            return f.group(1) if f else ""

        res = dict(kv.split("=", 1) for kv in field("resources").split(", ") if "=" in kv)
        jobs.append({"rule": m.group(1), "shell": m.group(3),
                     "input": [p for p in field("input").split(", ") if p],
                     "output": [p for p in field("output").split(", ") if p],
                     "threads": int(field("threads") or 1), "resources": res})
    return jobs


def stage_params(shell: str) -> tuple[list[str], dict]:
    toks = shlex.split(shell.split(" 2> ")[0])
    return toks, json.loads(toks[toks.index("--params") + 1]) if "--params" in toks else {}


def _get(d: dict, key: str):
    for k in key.split("."):
        d = d[k]
    return d


def _set(d: dict, key: str, value) -> None:
    *head, last = key.split(".")
    for k in head:
        d = d[k]
    d[last] = value


def select_job(jobs: list[dict], select: dict | None) -> dict:
    if not select:
        return jobs[0]
    key, want = next(iter(select.items()))
    vals = [_get(stage_params(j["shell"])[1], key) for j in jobs]
    if want == "max":
        return jobs[max(range(len(jobs)), key=lambda i: (max(vals[i]) if isinstance(vals[i], list) else vals[i]))]
    return next(j for j, v in zip(jobs, vals) if v == want)


# ----------------------------------------------------------------------------- probes
class Prober:
    def __init__(self, jobs, spec, workdir: Path, timeout: float):
        self.jobs, self.spec, self.work, self.timeout = jobs, spec, workdir, timeout
        self.producer = {o: j for j in jobs for o in j["output"]}
        self.threads = os.cpu_count() or 1

    def command(self, job: dict, fraction: float | None) -> tuple[list[str], float | None]:
        toks, params = stage_params(job["shell"])
        spec = self.spec.get(job["rule"], {})
        x = None
        if fraction is not None and spec.get("knobs"):
            xs = []
            for k in spec["knobs"]:
                full = spec.get("full", {}).get(k, _get(params, k))
                if not full:
                    raise SystemExit(f"{job['rule']}: knob {k} is {full!r} at full; give its "
                                     f"value under `full:` in {SPEC.name}")
                v = full * fraction
                v = max(1, round(v)) if isinstance(full, int) else v
                _set(params, k, v)
                xs.append(v / full)
            x = sum(xs) / len(xs)
            if max(xs) - min(xs) > 0.25 * x:
                raise SystemExit(f"{job['rule']}: knobs {spec['knobs']} round to unequal fractions "
                                 f"{xs} at {fraction}; pick fractions in {SPEC.name} they can reach")
        toks[toks.index("--params") + 1] = json.dumps(params)
        if "--threads" in toks:
            i = toks.index("--threads") + 1
            toks[i] = str(min(int(toks[i]), self.threads))
        toks[0] = sys.executable if toks[0] == "python" else toks[0]
        return toks, x

    def ensure_inputs(self, job: dict) -> None:
        """Make the job's inputs in the scratch directory: each producer runs at its smallest
        probe fraction, or whole when the consumer's spec says ``inputs_at_full: true`` (its
        cost depends on the size of the data, e.g. a fit whose time caps scale with the
        solver's time on that data)."""
        full_inputs = bool(self.spec.get(job["rule"], {}).get("inputs_at_full"))
        for path in job["input"]:
            if (self.work / path).exists():
                continue
            prod = self.producer.get(path)
            if prod is None:
                if (REPO / path).exists():      # a committed input (e.g. authored data)
                    (self.work / path).parent.mkdir(parents=True, exist_ok=True)
                    (self.work / path).symlink_to(REPO / path)
                    continue
                raise RuntimeError(f"no job makes {path}")
            spec = self.spec.get(prod["rule"], {})
            frac = min(spec["fractions"]) if spec.get("knobs") and not full_inputs else None
            self.run(prod, frac)

    def run(self, job: dict, fraction: float | None) -> dict:
        self.ensure_inputs(job)
        toks, x = self.command(job, fraction)
        for o in job["output"]:
            (self.work / o).parent.mkdir(parents=True, exist_ok=True)
        log = self.work / "logs" / f"{job['rule']}_{fraction}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
        t0 = time.time()
        with open(log, "w") as err:
            proc = subprocess.run(toks, cwd=self.work, stdout=err, stderr=err, env=env,
                                  timeout=self.timeout)
        if proc.returncode != 0:
            raise RuntimeError(f"{job['rule']} probe failed (exit {proc.returncode}); see {log}")
        res = [json.loads(line[len(TAG):]) for line in log.read_text().splitlines()
               if line.startswith(TAG)]
        if not res:
            raise RuntimeError(f"{job['rule']}: no resource line in {log}")
        r = res[-1]
        print(f"  {job['rule']} at fraction {fraction}: {r['cpu_s']:.1f} CPU-s, {r['wall_s']:.1f} s wall, "
              f"{r['max_rss_mb']:.0f} MB "
              f"({time.time() - t0:.0f} s with start-up)", flush=True)
        return {"x": x, "wall_s": r["wall_s"], "cpu_s": r["cpu_s"], "rss_mb": r["max_rss_mb"]}


def _line(p1: dict, p2: dict, key: str) -> float:
    """``key`` at fraction 1 from two probes: a + b x through both, never below the larger probe
    (a decrease is timer noise or memory that does not grow)."""
    y1, y2 = p1[key], p2[key]
    if p1["x"] is None or p2["x"] is None or p2["x"] == p1["x"]:
        raise ValueError("two probes at two different fractions are needed")
    b = (y2 - y1) / (p2["x"] - p1["x"])
    return max(y1, y2) if b <= 0 else max(y2, y1 + b * (1 - p1["x"]))


def extrapolate(p1: dict, p2: dict, memory: str = "linear") -> dict:
    """A full job from two probes: CPU seconds and peak memory. Its wall time on idle cores is
    taken as its CPU time, an upper bound at any thread count (a job with t threads that
    parallelise well needs about 1/t of it); waiting on I/O is not modelled. Memory is
    extrapolated like CPU time (``memory: linear``, for knobs that size the data held at once)
    or taken as the larger probe's (``memory: steady``, for loop counts such as training steps,
    where a straight line through two noisy peaks would multiply the allocator's jitter by
    1 / fraction)."""
    if memory not in ("linear", "steady"):
        raise SystemExit(f"memory: {memory!r} in {SPEC.name}; allowed: linear, steady")
    cpu = _line(p1, p2, "cpu_s")
    rss = _line(p1, p2, "rss_mb") if memory == "linear" else max(p1["rss_mb"], p2["rss_mb"])
    return {"cpu_s": cpu, "rss_mb": rss, "wall_s": cpu}


def refit(table: pd.DataFrame, spec: dict, safety: float) -> pd.DataFrame:
    """Recompute every probed row's extrapolation and request from its stored probe columns
    (after a change of `memory:` or of the safety factor), without probing again."""
    table = table.copy()
    for i, r in table[table["status"] == "probed"].iterrows():
        xs, cpus, rss = (list(map(float, str(r[c]).split())) for c in ("fractions", "probe_cpu_s", "probe_rss_mb"))
        p1, p2 = ({"x": xs[k], "cpu_s": cpus[k], "rss_mb": rss[k]} for k in (0, 1))
        full = extrapolate(p1, p2, spec.get(r["rule"], {}).get("memory", "linear"))
        runtime, mem = request(full["wall_s"], full["rss_mb"], safety)
        table.loc[i, ["full_cpu_s", "full_rss_mb", "runtime_min", "mem_mb", "safety"]] = [
            round(full["cpu_s"], 1), round(full["rss_mb"]), runtime, mem, safety]
    for c in ("full_rss_mb", "runtime_min", "mem_mb"):
        table[c] = pd.to_numeric(table[c]).round().astype("Int64")   # integers, empty where not probed
    return table


def request(wall_s: float, rss_mb: float, safety: float) -> tuple[int, int]:
    """Slurm runtime (minutes, at least 10) and mem_mb (rounded up to 1000, at least 2000)."""
    return (max(10, math.ceil(safety * wall_s / 60)),
            max(2000, int(math.ceil(safety * rss_mb / 1000) * 1000)))


# ----------------------------------------------------------------------------- the doc table
def cost_table_md(df: pd.DataFrame) -> str:
    """Per paper (probed rules only: jobs x the probed job's CPU time, an upper bound where the
    probed job is the rule's largest) and per rule: measured vs requested."""
    ok = df[df["status"] == "probed"].copy()
    ok["cpu_h"] = ok["jobs"] * ok["full_cpu_s"] / 3600
    rows = ["| paper | probed rules (jobs) | CPU-hours, probed rules | largest job (CPU) | "
            "peak memory of a job | rules that ask for a GPU | not probed |",
            "|---|---|---|---|---|---|---|"]
    for paper, g in df.groupby("paper"):
        o = ok[ok["paper"] == paper]
        gpu = ", ".join(g.loc[g["gpu"] > 0, "rule"]) or "none"
        skipped = ", ".join(g.loc[g["status"] != "probed", "rule"]) or "-"
        if o.empty:
            rows.append(f"| {paper} | 0 | | | | {gpu} | {skipped} |")
            continue
        rows.append(f"| {paper} | {len(o)} ({int(o['jobs'].sum())}) | {o['cpu_h'].sum():.1f} | "
                    f"{o['full_cpu_s'].max() / 3600:.2f} h | {o['full_rss_mb'].max() / 1000:.1f} GB | "
                    f"{gpu} | {skipped} |")
    rows += ["", "| paper | rule | jobs | probed job | CPU per job (extrapolated) | peak memory | "
             "requested at full (from the probe) | hand-set before | GPU |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in df.sort_values(["paper", "rule"]).itertuples():
        gpu = "yes" if r.gpu else "no"
        before = f"{r.requested_runtime_min} min, {r.requested_mem_mb} MB"
        if r.status != "probed":
            rows.append(f"| {r.paper} | {r.rule} | {r.jobs} | not probed: {r.status} | | | | {before} | {gpu} |")
            continue
        rows.append(f"| {r.paper} | {r.rule} | {r.jobs} | `{r.job}` | {r.full_cpu_s / 60:.1f} min | "
                    f"{r.full_rss_mb:.0f} MB | {r.runtime_min} min, {r.mem_mb} MB | {before} | {gpu} |")
    return "\n".join(rows)


def update_doc(df: pd.DataFrame) -> None:
    start, end = "<!-- calibration table: start -->", "<!-- calibration table: end -->"
    text = DOC.read_text()
    if start not in text:
        return
    head, rest = text.split(start, 1)
    _, tail = rest.split(end, 1)
    DOC.write_text(f"{head}{start}\n{cost_table_md(df)}\n{end}{tail}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", nargs="*", help="rules to probe (default: every rule in the spec)")
    ap.add_argument("--safety", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=900, help="seconds per probe run")
    ap.add_argument("--workdir", default="/tmp/calibrate")
    ap.add_argument("--targets", nargs="*", default=["all"], help="snakemake targets to plan")
    ap.add_argument("--refit", action="store_true",
                    help="recompute the committed table's requests from its stored probes; probe nothing")
    a = ap.parse_args(argv)
    spec = yaml.safe_load(SPEC.read_text())
    if a.refit:
        table = refit(pd.read_csv(TABLE), spec, a.safety).sort_values(["paper", "rule"], ignore_index=True)
        table.to_csv(TABLE, index=False)
        update_doc(table)
        print(f"refitted {TABLE.relative_to(REPO)} ({int((table['status'] == 'probed').sum())} probed rules)")
        return
    unknown = [r for r in a.rules or [] if r not in spec]
    if unknown:
        raise SystemExit(f"not in {SPEC.name}: {unknown}; available: {sorted(spec)}")
    jobs = full_jobs(a.targets)
    by_rule: dict[str, list] = {}
    for j in jobs:
        by_rule.setdefault(j["rule"], []).append(j)
    work = Path(a.workdir)
    work.mkdir(parents=True, exist_ok=True)
    prober = Prober(jobs, spec, work, a.timeout)
    table = pd.read_csv(TABLE) if TABLE.exists() else pd.DataFrame(columns=COLUMNS)
    chosen = {}
    for rule in a.rules or list(spec):
        s, js = spec[rule], by_rule.get(rule, [])
        if not js:
            print(f"{rule}: no job at full scale for targets {a.targets}")
            continue
        chosen[rule] = job = select_job(js, s.get("select"))
        if not s.get("skip"):          # a knob the fractions cannot reach fails now, before any probe
            for f in s["fractions"]:
                prober.command(job, f)
    for rule, job in chosen.items():
        s, js = spec[rule], by_rule[rule]
        res = job["resources"]
        base = {"rule": rule, "paper": next(p for p in PAPERS if rule.startswith(p + "_")),
                "jobs": len(js), "job": Path(job["output"][0]).name, "knobs": " ".join(s.get("knobs", [])),
                "threads_asked": job["threads"], "threads_probe": min(job["threads"], prober.threads),
                "gpu": int(res.get("gpu", 0)), "safety": a.safety,
                "requested_runtime_min": int(res.get("runtime", 0)),
                "requested_mem_mb": int(res.get("mem_mb", 0)),
                "measured_on": f"{os.cpu_count()} CPU cores, no GPU", "date": time.strftime("%Y-%m-%d")}
        if s.get("skip"):
            table = save_row(table, base | {"status": s["skip"]})
            continue
        print(f"{rule}: probing {base['job']} ({len(js)} jobs) at fractions {s['fractions']}", flush=True)
        try:
            p1, p2 = (prober.run(job, f) for f in sorted(s["fractions"]))
        except subprocess.TimeoutExpired as exc:
            print(f"  {exc}", flush=True)
            table = save_row(table, base | {"status": f"probe timed out ({exc.timeout:.0f} s wall; --timeout)"})
            continue
        except RuntimeError as exc:
            print(f"  {exc}", flush=True)
            table = save_row(table, base | {"status": f"probe failed: {str(exc)[:120]}"})
            continue
        full = extrapolate(p1, p2, s.get("memory", "linear"))
        wall, rss = full["wall_s"], full["rss_mb"]
        runtime, mem = request(wall, rss, a.safety)
        table = save_row(table, base | {"fractions": f"{p1['x']:.4g} {p2['x']:.4g}",
                            "probe_wall_s": f"{p1['wall_s']:.1f} {p2['wall_s']:.1f}",
                            "probe_cpu_s": f"{p1['cpu_s']:.1f} {p2['cpu_s']:.1f}",
                            "probe_rss_mb": f"{p1['rss_mb']:.0f} {p2['rss_mb']:.0f}",
                            "full_cpu_s": round(full["cpu_s"], 1),
                            "full_rss_mb": round(rss),
                            "runtime_min": runtime, "mem_mb": mem, "status": "probed"})
        print(f"  -> full job ~{full['cpu_s'] / 60:.1f} CPU-min, ~{wall / 60:.1f} min on idle cores, "
              f"{rss:.0f} MB; request {runtime} min, {mem} MB "
              f"(now {base['requested_runtime_min']} min, {base['requested_mem_mb']} MB)", flush=True)
    print(f"wrote {TABLE.relative_to(REPO)} ({len(table)} rules)")


def save_row(table: pd.DataFrame, row: dict) -> pd.DataFrame:
    """Merge one rule's row into the table and write it (and docs/CLUSTER.md) at once, so a
    calibration that is stopped keeps every probe it finished."""
    new = pd.DataFrame([row], columns=COLUMNS)
    table = pd.concat([table[table["rule"] != row["rule"]], new], ignore_index=True)
    table = table.sort_values(["paper", "rule"], ignore_index=True)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(TABLE, index=False)
    update_doc(table)
    return table


PAPERS = sorted((p.stem for p in (REPO / "workflow" / "rules").glob("*.smk")
                 if p.stem not in ("common", "report")), key=len, reverse=True)

if __name__ == "__main__":
    main()
