"""Track A: the exact fixed-attention averaging model on every graph (the ``exact`` stage): energy
by layer (infinite context), by context length (finite walks), mode spectra, PCA/Fiedler overlap,
spacing ratio, noise robustness."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.seeding import derive_seed

from . import model


@dataclass(kw_only=True)
class ExactConfig:
    """Values from config/icl_lowfreq.yaml (section exact), described in its schema."""
    graphs: list[str]
    dim: int                       # embedding width d of the random initial token embeddings
    n_layers: int
    eta: float                     # averaging step; eta * lambda_max(L) <= 2 keeps W contracting
    context_factors: list[float]   # T = factor * n
    fit_min_factor: float          # slope fitted for T >= this x n (the theory's regime)
    n_walks: int
    low_modes: int                 # "lowest modes": the lowest nontrivial ones (2 = a 2-D picture)
    noise_levels: list[float]
    noise_draws: int
    snapshot_layers: list[int]
    seed: int = 0


def _context_slope(df: pd.DataFrame, col: str, t_min: float) -> tuple[pd.Series, float]:
    """RMS over walks of ``col`` per context length, and its log-log slope for T >= t_min."""
    rms = df.groupby("T")[col].apply(lambda v: float(np.sqrt(np.mean(v ** 2))))
    fit = rms[rms.index >= t_min]
    slope = float(np.polyfit(np.log(fit.index.values), np.log(fit.values), 1)[0]) \
        if len(fit) >= 2 else float("nan")
    return rms, slope


def exact(cfg: ExactConfig, metrics: Path, layers: Path, context: Path, snapshots: Path) -> None:
    """Run the exact model on every graph: energy by layer (infinite context), by context
    length (finite walks), mode spectra, PCA/Fiedler overlap, spacing ratio, noise robustness."""
    bad = [lay for lay in cfg.snapshot_layers if not 0 <= lay <= cfg.n_layers]
    if bad:
        raise ValueError(f"snapshot_layers {bad} outside 0..n_layers={cfg.n_layers}")
    out_metrics: dict = {"graphs": {}}
    layer_rows, ctx_rows, snaps = [], [], {}
    for gname in cfg.graphs:
        g = model.make_graph(gname)
        lam, U = model.spectrum(g.A)
        L = model.laplacian(g.A)
        rng = np.random.default_rng(derive_seed(cfg.seed, "embed", gname))
        X0 = model.center(rng.standard_normal((g.n, cfg.dim)))
        W = model.averaging_operator(g.A, cfg.eta)
        Xs = model.propagate(W, X0, cfg.n_layers)                 # infinite context
        for layer, X in enumerate(Xs):
            layer_rows.append({"graph": gname, "layer": layer, "context": "inf",
                               **model.representation_summary(g, X, L, U, cfg.low_modes)})
        spec = np.stack([model.mode_fractions(X, U) for X in Xs])  # (layers+1, n)

        # finite contexts: one walk per (seed, walk), prefixes of length T = factor * n
        Ts = sorted({max(2, int(round(f * g.n))) for f in cfg.context_factors})
        ctx_snap = {}
        # diagnostic layers of the convergence rate: powers of two up to the last layer
        diag_layers = sorted({2 ** k for k in range(int(np.log2(cfg.n_layers)) + 1)} | {cfg.n_layers})
        diag = np.empty((2, cfg.n_walks, len(Ts), len(diag_layers)))   # raw / scale-free change
        walks = model.random_walks(g.A, Ts[-1], cfg.n_walks,
                                   np.random.default_rng(derive_seed(cfg.seed, "walk", gname)))
        for w in repro_core.progress(range(cfg.n_walks), desc=f"walks {gname}"):
            walk = walks[w]
            for T in Ts:
                Ahat = model.context_adjacency(walk[:T], g.n, g.n_edges)
                XT = model.propagate(model.averaging_operator(Ahat, cfg.eta), X0, cfg.n_layers)
                rel = [model.relative_change(XT[k], Xs[k]) for k in (1, -1)]
                for j, lay in enumerate(diag_layers):
                    diag[0, w, Ts.index(T), j] = model.relative_change(XT[lay], Xs[lay])
                    diag[1, w, Ts.index(T), j] = model.relative_change(XT[lay], Xs[lay], scale_free=True)
                ctx_rows.append({"graph": gname, "walk": w, "T": T, "T_over_n": T / g.n,
                                 "rel_change_first": rel[0], "rel_change_last": rel[1],
                                 "energy_first": model.dirichlet_energy(XT[1], L),
                                 **model.representation_summary(g, XT[-1], L, U, cfg.low_modes)})
                if w == 0:
                    ctx_snap[T] = XT

        # noise robustness (infinite context): low band = modes 1..low, high = upper half
        nrng = np.random.default_rng(derive_seed(cfg.seed, "noise", gname))
        bands = {"low": np.arange(1, 1 + cfg.low_modes), "high": np.arange(g.n // 2, g.n)}
        WL = np.linalg.matrix_power(W, cfg.n_layers)
        base = WL @ X0
        noise = []
        for level in cfg.noise_levels:
            for band, modes in bands.items():
                changes = []
                for _ in range(cfg.noise_draws):
                    delta = model.band_noise(U, modes, cfg.dim, level * np.linalg.norm(X0), nrng)
                    changes.append(np.linalg.norm(WL @ delta) / np.linalg.norm(base))
                noise.append({"level": level, "band": band, "rel_change": float(np.mean(changes))})

        # slope of the representation change vs context length (log-log, T >= fit_min_factor n)
        df = pd.DataFrame([r for r in ctx_rows if r["graph"] == gname])
        rms, slope = {}, {}
        for which in ("first", "last"):
            rms[which], slope[which] = _context_slope(df, f"rel_change_{which}",
                                                      cfg.fit_min_factor * g.n)
        slope["tail"] = _context_slope(df, "rel_change_last", Ts[-3] if len(Ts) >= 3 else Ts[0])[1]
        # why the last-layer slope differs from the first layer's: slope by depth of the raw and
        # the scale-free change over the same window, and the raw RMS change at its start
        in_fit = np.array(Ts) >= cfg.fit_min_factor * g.n
        rms_diag = np.sqrt(np.mean(diag ** 2, axis=1))                # (2, T, layer)
        by_layer = {str(lay): {"slope": model.loglog_slope(np.array(Ts)[in_fit], rms_diag[0, in_fit, j]),
                               "slope_scale_free": model.loglog_slope(np.array(Ts)[in_fit],
                                                                      rms_diag[1, in_fit, j]),
                               "rms_change_at_fit_start": float(rms_diag[0, in_fit, j][0])
                               if in_fit.any() else float("nan")}
                    for j, lay in enumerate(diag_layers)}
        energies = [r["energy"] for r in layer_rows if r["graph"] == gname]
        out_metrics["graphs"][gname] = {
            "n": g.n, "n_edges": g.n_edges, "eigenvalues": lam.tolist(),
            "lambda2": float(lam[1]), "energy_by_layer": energies,
            "mode_spectrum_first": spec[0].tolist(), "mode_spectrum_last": spec[-1].tolist(),
            "last": {k: v for k, v in layer_rows[-1].items() if k not in ("graph", "layer", "context")},
            "last_at_max_context": {k: float(df[df["T"] == Ts[-1]][k].mean())
                                    for k in ("energy", "low_fraction", "pca_fiedler_overlap")},
            "context_rms_change": {w: {str(int(T)): v for T, v in r.items()} for w, r in rms.items()},
            "context_slope": slope["last"], "context_slope_first_layer": slope["first"],
            "context_slope_tail": slope["tail"],
            "context_slope_by_layer": by_layer,
            "noise": noise,
        }
        snaps[f"{gname}__inf"] = Xs[cfg.snapshot_layers]
        for T, XT in ctx_snap.items():
            snaps[f"{gname}__T{T}"] = XT[cfg.snapshot_layers]
        snaps[f"{gname}__pos"] = g.pos
    out_metrics["snapshot_layers"] = list(cfg.snapshot_layers)
    # with the graphs and their context lengths above: the grids of layers.csv and context.csv
    out_metrics["n_layers"], out_metrics["n_walks"] = cfg.n_layers, cfg.n_walks
    repro_core.save_json(out_metrics, metrics)
    repro_core.save_csv(pd.DataFrame(layer_rows), layers, index=False)
    repro_core.save_csv(pd.DataFrame(ctx_rows), context, index=False)
    repro_core.save_npz(snapshots, **snaps)
