"""Unit tests of the shared core: config resolution and errors, atomic IO,
seeding, claims and the scorecard."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

from repro_core import Claim, Evidence, evaluate_claims, write_claims
from repro_core.cli import Stage, main
from repro_core.config import ConfigError, explain_schema_errors, from_dict, resolve_scale
from repro_core.io import atomic_path, load_json, load_npz, save_csv, save_figure, save_json, save_npz
from repro_core.scorecard import TITLE, build_scorecard
from repro_core.seeding import derive_seed, seed_everything


def test_resolve_scale_picks_values_and_keeps_constants():
    tree = {"n": {"smoke": 1, "quick": 2, "full": 3}, "alpha": 0.1,
            "nested": {"m": {"smoke": [1], "quick": [1, 2], "full": [1, 2, 3]}}}
    assert resolve_scale(tree, "quick") == {"n": 2, "alpha": 0.1, "nested": {"m": [1, 2]}}
    assert resolve_scale(tree, "full")["nested"]["m"] == [1, 2, 3]


def test_resolve_scale_errors_name_key_and_allowed():
    with pytest.raises(ConfigError, match="allowed values: smoke, quick, full"):
        resolve_scale({}, "huge")
    with pytest.raises(ConfigError, match=r"cornn\.fit\.n .*lacks full"):
        resolve_scale({"fit": {"n": {"smoke": 1, "quick": 2}}}, "smoke", "cornn")


@dataclass
class Inner:
    k: int = 1


@dataclass
class Cfg:
    n: int
    lr: float = 1e-3
    inner: Inner = field(default_factory=Inner)


def test_from_dict_builds_and_rejects_with_names():
    c = from_dict(Cfg, {"n": 3, "lr": 1, "inner": {"k": 5}})
    assert c.n == 3 and c.lr == 1.0 and isinstance(c.lr, float) and c.inner.k == 5
    with pytest.raises(ConfigError, match=r"unknown config key\(s\) fit\.nn; allowed keys: inner, lr, n"):
        from_dict(Cfg, {"nn": 3}, where="fit")
    with pytest.raises(ConfigError, match="n is required"):
        from_dict(Cfg, {})
    with pytest.raises(ConfigError, match=r"n='3' has the wrong type"):
        from_dict(Cfg, {"n": "3"})
    with pytest.raises(ConfigError, match=r"inner\.z"):
        from_dict(Cfg, {"n": 1, "inner": {"z": 1}})


def test_explain_schema_errors_names_key_and_allowed():
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
              "properties": {"scale": {"enum": ["smoke", "quick", "full"]},
                             "fit": {"type": "object", "additionalProperties": False,
                                     "properties": {"n": {"type": "integer", "minimum": 1}}}},
              "additionalProperties": False}
    lines = explain_schema_errors({"scale": "huge", "fit": {"n": -5}, "fitt": 1}, schema)
    text = "\n".join(lines)
    assert "config.scale='huge' is not allowed; allowed values: smoke, quick, full" in text
    assert "config.fit.n=-5 violates minimum 1" in text
    assert "unknown key(s) fitt; allowed keys: fit, scale" in text
    assert explain_schema_errors({"scale": "quick", "fit": {"n": 2}}, schema) == []


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.json"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("partial")
            raise RuntimeError("killed")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
    save_json({"b": 1, "a": float("nan"), "c": np.float32(0.5), "d": np.arange(2)}, target)
    assert target.read_text() == '{\n  "a": null,\n  "b": 1,\n  "c": 0.5,\n  "d": [\n    0,\n    1\n  ]\n}\n'


def test_npz_csv_figure_roundtrip_and_determinism(tmp_path):
    import pandas as pd
    from repro_core.plotting import subplots

    save_npz(tmp_path / "a.npz", x=np.arange(5.0))
    assert np.array_equal(load_npz(tmp_path / "a.npz")["x"], np.arange(5.0))
    save_csv(pd.DataFrame({"a": [1, 2]}), tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text() == "a\n1\n2\n"
    digests = []
    for name in ("f1.png", "f2.png", "f1.svg", "f2.svg"):
        fig, ax = subplots()
        ax[0, 0].plot([0, 1], [1, 0])
        save_figure(fig, tmp_path / name)
        digests.append((tmp_path / name).read_bytes())
    assert digests[0] == digests[1] and digests[2] == digests[3]  # same figure, same bytes


def test_seeding_is_reproducible():
    import torch

    a = seed_everything(3).normal(size=4), torch.randn(3), np.random.rand()
    b = seed_everything(3).normal(size=4), torch.randn(3), np.random.rand()
    assert np.array_equal(a[0], b[0]) and torch.equal(a[1], b[1]) and a[2] == b[2]
    assert derive_seed(3, "x") == derive_seed(3, "x") != derive_seed(3, "y")
    with pytest.raises(ValueError, match="non-negative"):
        seed_everything(-1)


def test_jax_key_reproducible():
    import jax
    from repro_core import jax_key

    x = jax.random.normal(jax_key(1), (3,))
    y = jax.random.normal(jax_key(1), (3,))
    assert np.array_equal(np.asarray(x), np.asarray(y))


def _claims():
    return [
        Claim("p.big", "x is big", "10 (Fig. 1)", compute=lambda ctx: ctx["x"],
              holds=lambda v: v >= 10, criterion="ours >= 10", kind="paper", where="Fig. 1",
              threshold="the paper's 10", evidence=lambda ctx: Evidence(3, "seeds", "mean", ci=(9, 13)),
              note="quick trains 1% of the paper's steps"),
        Claim("p.small", "y is small", "0", compute=lambda ctx: ctx["y"], kind="check",
              holds=lambda v: v < 1, criterion="ours < 1", scales=("smoke", "quick", "full")),
        Claim("p.broken", "z", "?", compute=lambda ctx: ctx["missing"], holds=lambda v: True,
              criterion="-", kind="check"),
        Claim("p.speed", "fast", "100x", compute=lambda ctx: 1 / 0, holds=lambda v: True,
              criterion="-", kind="check", evaluate_at=("quick", "full")),
    ]


def test_claims_verdicts_are_computed(tmp_path):
    recs = {r["id"]: r for r in evaluate_claims(_claims(), {"x": 12.3456789, "y": 3}, "smoke", "p")}
    assert recs["p.big"]["holds"] is True and recs["p.big"]["ours"] == 12.3457
    assert recs["p.big"]["evidence"] == {"n": 3, "unit": "seeds", "test": "mean", "p": None, "ci": [9, 13]}
    assert recs["p.big"]["expected"] is False and recs["p.small"]["expected"] is True
    assert recs["p.small"]["holds"] is False and recs["p.small"]["status"] == "does not hold"
    assert recs["p.broken"]["status"] == "error" and "KeyError" in recs["p.broken"]["error"]
    assert recs["p.broken"]["holds"] is None
    assert recs["p.speed"]["status"] == "not evaluated"  # not computed at smoke at all
    recs = {r["id"]: r for r in evaluate_claims(_claims(), {"x": 1, "y": 0}, "quick", "p")}
    assert recs["p.big"]["holds"] is False and recs["p.small"]["holds"] is True
    assert recs["p.speed"]["status"] == "error"
    with pytest.raises(ValueError, match="duplicate"):
        evaluate_claims(_claims() * 2, {}, "smoke", "p")


@pytest.mark.parametrize("ours, where", [
    (float("nan"), "ours"), (None, "ours"),
    ({"median": float("nan"), "n": 0}, "ours['median']"),
    ({"a": [1.0, None]}, "ours['a'][1]")])
def test_undefined_value_is_an_error_not_a_finding(ours, where):
    """A NaN/None anywhere in ours (a median over zero runs) is status error with the
    reason, never 'does not hold', and holds() is not even asked."""
    asked = []
    c = Claim("p.m", "m", "1", compute=lambda ctx: ours, holds=lambda v: asked.append(v) or False,
              criterion="-", kind="paper", where="Tab. 1", threshold="the paper's 1")
    (rec,) = evaluate_claims([c], {}, "quick", "p")
    assert rec["status"] == "error" and rec["holds"] is None and not asked
    assert where in rec["error"] and "NaN/None" in rec["error"]
    inf = Claim("p.i", "i", "1", compute=lambda ctx: float("inf"), holds=lambda v: v > 1,
                criterion="-", kind="check")
    assert evaluate_claims([inf], {}, "quick", "p")[0]["status"] == "holds"  # inf is a value


def test_claim_declaration_is_validated():
    with pytest.raises(ValueError, match="kind='papr' is not allowed; allowed values: paper, check"):
        Claim("p.x", "x", "1", compute=len, holds=bool, criterion="-", kind="papr")
    with pytest.raises(ValueError, match="'where'.*'threshold'.*required"):
        Claim("p.x", "x", "1", compute=len, holds=bool, criterion="-", kind="paper")
    with pytest.raises(ValueError, match="scale 'medium'"):
        Claim("p.x", "x", "1", compute=len, holds=bool, criterion="-", kind="check", scales=("medium",))


def test_scorecard_counts_paper_claims_only(tmp_path):
    f1, f2, f3 = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    write_claims(evaluate_claims(_claims()[:2], {"x": 11, "y": 5}, "quick", "p"), f1)
    write_claims(evaluate_claims(_claims()[:3], {"x": 1, "y": 0}, "quick", "q"), f2)
    write_claims(evaluate_claims(_claims()[:2], {"x": 1, "y": 0}, "smoke", "p"), f3)
    out = {k: tmp_path / f"s.{k}" for k in ("csv", "md", "html", "rst")}
    df = build_scorecard([f1, f2], "quick", out["csv"], out["md"], out["html"], out["rst"],
                         other_scales=[f3])
    assert list(df["paper"]) == ["p", "p", "q", "q", "q"]
    assert list(df["status"]) == ["holds", "does not hold", "does not hold", "holds", "error"]
    md = out["md"].read_text()
    # 2 paper claims (p.big in p and q): 1 reproduced; 3 checks, 1 holds; nothing counted twice
    assert "Paper claims reproduced at quick scale: 1 of 2. Checks" in md
    assert "1 of 3 hold" in md
    assert "| p | 0/1 | 1/1 | 1/1 | 0/1 |" in md  # smoke and quick columns of the per-paper table
    assert "| q | not run | not run | 0/1 | 1/2 |" in md
    assert "| 3 seeds | mean, CI [9, 13] |" in md
    # the known limit is shown only where the claim does not hold (q's p.big)
    assert md.count("known limit: quick trains 1% of the paper's steps") == 1
    checks = md.split("## Checks")[1]
    assert "p.small" in checks and "p.big" not in checks
    assert "| q | y is small (`p.small`) | 0 | ours < 1 | holds |" in checks
    assert TITLE in out["html"].read_text()
    from docutils.core import publish_string  # the rst must be valid (it becomes the report's front page)
    html = publish_string(out["rst"].read_text(), writer="html",
                          settings_overrides={"report_level": 2, "halt_level": 2}).decode()
    assert "p.big" in html and "1 of 2" in html


def test_scorecard_refuses_stale_claims(tmp_path):
    f = tmp_path / "old.json"
    save_json({"claims": [{"paper": "p", "id": "p.x", "status": "holds", "scale": "quick"}]}, f)
    out = {k: tmp_path / f"s.{k}" for k in ("csv", "md", "html")}
    with pytest.raises(ValueError, match="old.json: claim p.x has no 'kind'.*rerun"):
        build_scorecard([f], "quick", out["csv"], out["md"], out["html"])


@dataclass
class EchoCfg:
    n: int
    seed: int = 0


def _echo(cfg: EchoCfg, src, dst):
    save_json({"n": cfg.n, "seed": cfg.seed, "src": load_json(src)}, dst)


def test_cli_runs_stage_and_reports_config_errors(tmp_path, capsys):
    stages = {"echo": Stage(_echo, EchoCfg, inputs=("src",), outputs=("dst",))}
    save_json([1], tmp_path / "in.json")
    main(stages, ["echo", "--params", json.dumps({"n": 2, "seed": 7}), "--in", f"src={tmp_path/'in.json'}",
                  "--out", f"dst={tmp_path/'out.json'}"], prog="demo")
    assert load_json(tmp_path / "out.json") == {"n": 2, "seed": 7, "src": [1]}
    with pytest.raises(SystemExit) as exc:
        main(stages, ["echo", "--params", '{"n": 2, "nn": 3}', "--in", f"src={tmp_path/'in.json'}",
                      "--out", f"dst={tmp_path/'o2.json'}"], prog="demo")
    assert exc.value.code == 2
    assert "unknown config key(s) echo.nn; allowed keys: n, seed" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="does not exist"):
        main(stages, ["echo", "--params", '{"n": 1}', "--in", f"src={tmp_path/'nope'}",
                      "--out", f"dst={tmp_path/'o3.json'}"], prog="demo")
    (tmp_path / "cut.json").write_text('{"a": [1, 2')  # a corrupt input: one line naming it
    with pytest.raises(SystemExit) as exc:
        main(stages, ["echo", "--params", '{"n": 1}', "--in", f"src={tmp_path/'cut.json'}",
                      "--out", f"dst={tmp_path/'o4.json'}"], prog="demo")
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert f"demo echo: {tmp_path/'cut.json'}: cannot be read" in err and "--forcerun" in err


def _cat(cfg: EchoCfg, srcs, dst):
    save_json([load_json(f) for f in srcs], dst)


def test_repeated_in_gives_a_checked_list(tmp_path):
    """Issue 31: --in name=a --in name=b gives [a, b] in order for a name in Stage.many, each file
    checked to exist; a single one still gives a list; repeating any other name is an error."""
    stages = {"cat": Stage(_cat, EchoCfg, inputs=("srcs",), outputs=("dst",), many=("srcs",)),
              "echo": Stage(_echo, EchoCfg, inputs=("src",), outputs=("dst",))}
    for i in range(3):
        save_json(i, tmp_path / f"{i}.json")
    args = ["--params", '{"n": 1}']
    main(stages, ["cat", *args, "--in", f"srcs={tmp_path/'2.json'}", "--in", f"srcs={tmp_path/'0.json'}",
                  "--out", f"dst={tmp_path/'o.json'}"], prog="demo")
    assert load_json(tmp_path / "o.json") == [2, 0]
    main(stages, ["cat", *args, "--in", f"srcs={tmp_path/'1.json'}", "--out", f"dst={tmp_path/'o1.json'}"],
         prog="demo")
    assert load_json(tmp_path / "o1.json") == [1]
    main(stages, ["cat", *args, "--out", f"dst={tmp_path/'o0.json'}"], prog="demo")
    assert load_json(tmp_path / "o0.json") == []
    with pytest.raises(SystemExit, match="srcs=.*nope.json does not exist"):
        main(stages, ["cat", *args, "--in", f"srcs={tmp_path/'0.json'}", "--in", f"srcs={tmp_path/'nope.json'}",
                      "--out", f"dst={tmp_path/'o2.json'}"], prog="demo")
    with pytest.raises(SystemExit, match="src given 2 times"):
        main(stages, ["echo", *args, "--in", f"src={tmp_path/'0.json'}", "--in", f"src={tmp_path/'1.json'}",
                      "--out", f"dst={tmp_path/'o3.json'}"], prog="demo")
    assert not (tmp_path / "o2.json").exists() and not (tmp_path / "o3.json").exists()


def test_stage_help_lists_parameter_keys(capsys):
    stages = {"echo": Stage(_echo, EchoCfg, inputs=("src",), outputs=("dst",))}
    with pytest.raises(SystemExit):
        main(stages, ["echo", "--help"], prog="demo")
    out = capsys.readouterr().out
    assert "n: int, required" in out and "seed: int, default 0" in out and "inputs: src" in out



_TWO_SECTION_SCHEMA = """
type: object
$defs:
  posint: {type: integer, minimum: 1, description: "A positive integer (the $ref's own description)."}
properties:
  task:
    type: object
    properties:
      n_inputs: {$ref: "#/$defs/posint", description: "Inputs of the task (the task section's key)."}
  fit:
    type: object
    properties:
      lr: {type: number, description: "Learning rate of the fit (the fit section's key)."}
      steps: {$ref: "#/$defs/posint"}
  sweep:
    type: object
    properties:
      lr: {type: number, description: "Learning rate of the sweep."}
  other:
    type: object
    properties:
      lr: {type: number, description: "Learning rate of another section."}
"""
_TWO_SECTION_STAGES = """
from dataclasses import dataclass

from repro_core.cli import Stage


@dataclass
class FitCfg:
    lr: float
    steps: int
    n_inputs: int
    seed: int


@dataclass
class FreeCfg:
    lr: float
    seed: int


def fit(cfg, out):
    pass


@dataclass
class MappedCfg:
    lr: float
    arm: str
    seed: int


STAGES = {"fit": Stage(fit, FitCfg, outputs=("out",), section="fit"),
          "free": Stage(fit, FreeCfg, outputs=("out",)),
          "mapped": Stage(fit, MappedCfg, outputs=("out",), renamed={"lr": "sweep.lr"},
                          rule_keys={"arm": "Arm, from the output's {arm} wildcard."}),
          "typo": Stage(fit, FreeCfg, outputs=("out",), renamed={"lr": "sweep.rate"})}
"""


def test_stage_help_describes_keys_of_every_section_it_reads(tmp_path, capsys):
    """Issue 31: `python -m <paper> <stage> --help` prints the schema description of every key the
    stage's dataclass takes: its own section's keys, keys the rule adds from another section of the
    paper's config (here n_inputs from task), and the global config's seed; a key whose nearest
    occurrences disagree (lr in three sections, for a stage without a section) gets none."""
    import importlib.util

    (tmp_path / "workflow" / "schemas").mkdir(parents=True)
    (tmp_path / "workflow" / "schemas" / "twosec.schema.yaml").write_text(_TWO_SECTION_SCHEMA)
    (tmp_path / "workflow" / "schemas" / "config.schema.yaml").write_text(
        "type: object\nproperties:\n  seed: {type: integer, description: \"Global seed of the run.\"}\n"
        "  twosec: {type: object, description: \"This paper's section.\"}\n")
    src = tmp_path / "packages" / "twosec" / "src" / "twosec"
    src.mkdir(parents=True)
    (src / "stages.py").write_text(_TWO_SECTION_STAGES)
    spec = importlib.util.spec_from_file_location("twosec_stages", src / "stages.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    typo = module.STAGES.pop("typo")   # a broken map fails every stage's --help: kept apart

    with pytest.raises(SystemExit):
        main(module.STAGES, ["fit", "--help"], prog="twosec")
    out = " ".join(capsys.readouterr().out.split())
    assert "lr: float, required Learning rate of the fit (the fit section's key)." in out
    assert "steps: int, required A positive integer (the $ref's own description)." in out
    assert "n_inputs: int, required Inputs of the task (the task section's key)." in out
    assert "seed: int, required Global seed of the run." in out
    assert "Learning rate of the sweep" not in out

    with pytest.raises(SystemExit):
        main(module.STAGES, ["free", "--help"], prog="twosec")
    out = " ".join(capsys.readouterr().out.split())
    assert "lr: float, required seed: int, required Global seed of the run." in out
    assert "Learning rate" not in out

    # explicit maps: a key read from another section (renamed), a key the rule sets (rule_keys)
    with pytest.raises(SystemExit):
        main(module.STAGES, ["mapped", "--help"], prog="twosec")
    out = " ".join(capsys.readouterr().out.split())
    assert "lr: float, required Learning rate of the sweep." in out
    assert "arm: str, required Arm, from the output's {arm} wildcard." in out
    with pytest.raises(KeyError, match="sweep.rate"):
        main({"typo": typo}, ["typo", "--help"], prog="twosec")

def test_check_config_names_file_line_and_column(tmp_path, capsys):
    from repro_core.__main__ import main as core_main

    bad = tmp_path / "bad.yaml"
    bad.write_text("scale: quick\npapers: all\n  seed: 0\n")
    with pytest.raises(SystemExit) as exc:
        core_main(["check-config", str(bad)])
    assert exc.value.code == 1
    assert f"{bad}, line 3, column 7: mapping values are not allowed here" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        core_main(["scorecard", "--scale", "huge", "--csv", "a", "--md", "b", "--html", "c"])
    assert "invalid choice: 'huge'" in capsys.readouterr().err


def test_device_choice():
    from repro_core.device import jax_device, torch_device
    import torch

    assert torch_device("cpu").type == "cpu"
    assert torch_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    with pytest.raises(ValueError, match="allowed|one of"):
        torch_device("tpu")
    assert jax_device("cpu").platform == "cpu"
