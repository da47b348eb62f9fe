"""The tables the figures and claims stages read, each through repro_core.read_table with the grid
the config asks for (a table cut short or incomplete fails naming the file), and those stages'
configs. Moved unchanged from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from repro_core import load_json


@dataclass
class FiguresConfig:
    cfg: dict   # the paper's config at this scale: expected grids (the rule passes it)
    seed: int = 0


def read_figure_tables(cfg: FiguresConfig, dims, spectra, redundancy, decoding, drift, perturb,
                       trajectories, decoding_1d, summary) -> dict:
    """The claims' tables (read_results) plus the spectra and the 1-D scaling tables, each checked
    against the grid the config asks for before anything is drawn."""
    from repro_core import read_table

    t = read_results(cfg, dims, redundancy, decoding, drift, perturb, summary)
    c = cfg.cfg
    n, n_seeds = int(c.get("networks", {}).get("n_neurons", 0)), int(c.get("networks", {}).get("n_seeds", 2))
    sizes = [int(x) for x in c.get("dimensionality", {}).get("sizes", []) if int(x) <= n]
    n_eigs = int(c.get("dimensionality", {}).get("n_eigs", 40))
    t["spectra"] = read_table(spectra, columns=["embedding", "n_neurons", "rank", "variance", "net"],
                              grid=[{"embedding": ["nonlinear", "linear"], "net": list(range(n_seeds)),
                                     "n_neurons": [m], "rank": list(range(1, min(n_eigs, m) + 1))}
                                    for m in sizes])
    sc = c.get("scaling", {})
    reps = list(range(int(sc.get("reps", 1))))
    t["trajectories"] = read_table(
        trajectories, columns=["beta", "n_neurons", "rep", "traj_err", "flow_err"],
        grid=[{"beta": [float(b) for b in sc.get("betas", [])], "n_neurons": sc.get("sizes", []), "rep": reps},
              {"beta": [float(sc.get("beta_main", 0.0))], "n_neurons": sc.get("main_sizes", []), "rep": reps}])
    t["decoding_1d"] = read_table(decoding_1d, columns=["n_neurons", "rep", "r2"],
                                  grid={"n_neurons": sc.get("decode_sizes", []),
                                        "rep": list(range(int(sc.get("decode_reps", 1))))})
    return t


@dataclass(kw_only=True)
class ClaimsConfig:
    scale: str = "quick"
    cfg: dict   # the paper's config at this scale: expected grids (the rule passes it)
    seed: int = 0


def _incomplete(path: Path, what: str) -> None:
    from repro_core import IncompleteTableError
    raise IncompleteTableError(f"{path}: {what}")


def read_results(cfg: ClaimsConfig, dims: Path, redundancy: Path, decoding: Path, drift: Path,
                 perturb: Path, summary: Path) -> dict:
    """Every table the claims read, through repro_core.read_table with its expected grid
    (from the config): a truncated or incomplete table fails naming the file."""
    from repro_core import read_table

    c = cfg.cfg
    net, dimc, dec, dr = (c.get(k, {}) for k in ("networks", "dimensionality", "decoding", "drift"))
    n, n_seeds = int(net.get("n_neurons", 0)), int(net.get("n_seeds", 2))
    ctx = {"dims": read_table(dims, columns=["embedding", "n_neurons", "k", "pr", "net"], grid={
               "embedding": ["nonlinear", "linear"], "net": list(range(n_seeds)),
               "n_neurons": [int(x) for x in dimc.get("sizes", []) if int(x) <= n]})}
    red = read_table(redundancy, columns=["net_a", "net_b", "latent_r2", "latent_r2_a_ideal",
                                          "latent_r2_b_ideal", "connectivity_corr", "activity_corr"])
    if len(red) != n_seeds * (n_seeds - 1) // 2:
        _incomplete(redundancy, f"{len(red)} pairs of embeddings, expected {n_seeds * (n_seeds - 1) // 2}")
    ctx["redundancy"] = red
    sizes = [int(x) for x in dec.get("n_recorded", []) if int(x) <= n]
    reps = int(dec.get("reps", 1))
    d = read_table(decoding, columns=["n_recorded", "rep", "target", "decoder", "r2"], grid={
        "n_recorded": sizes, "rep": list(range(reps)), "target": ["latent", "control"],
        "decoder": ["linear (ridge)"]})
    want = 2 * reps * sum(1 for m in sizes if m <= int(dec.get("mlp_max_neurons", 0)))
    if (d.decoder == "non-linear (MLP)").sum() != want:
        _incomplete(decoding, f"{(d.decoder == 'non-linear (MLP)').sum()} MLP rows, expected {want}")
    ctx["decoding"] = d
    days = [int(x) for x in dr.get("days", [])]
    ctx["drift"] = read_table(drift, columns=["model", "draw", "day", "tuning_corr", "readout_r2",
                                              "open_loop_r2", "coding_fraction", "decoder_r2"], grid={
        "model": ["null-space", "tangential", "activity-aligned", "random"], "day": days})
    nr = int(dr.get("random_draws", 3))
    if (ctx["drift"].model == "random").sum() != nr * len(days):
        _incomplete(drift, f"{(ctx['drift'].model == 'random').sum()} random-drift rows, "
                           f"expected {nr} draws x {len(days)} days")
    dt = float(net.get("dt", 0.2))
    steps = int(round(float(dr.get("perturb_horizon", 20.0)) / dt))
    ctx["perturb"] = read_table(perturb, columns=["kind", "draw", "time", "null_norm", "latent_norm"],
                                grid={"kind": ["null-space", "coding"],
                                      "draw": list(range(int(dr.get("perturb_draws", 3)))),
                                      "time": [s * dt for s in range(steps + 1)]})
    ctx["scaling"] = load_json(summary)
    ctx["mlp_max_neurons"] = int(dec.get("mlp_max_neurons", 0))
    return ctx
