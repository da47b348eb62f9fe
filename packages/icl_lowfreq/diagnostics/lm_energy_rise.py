"""Diagnostic of issue 30 (README, Track C): does a positional component carry the LM energy's rise
with context? Gemma-3-270M (offline wheels, as the lm stage loads it), the quick run's walks and
word assignments (same seeds), layers 0, 9, 14 (readout), 18. Run from the repository root:

    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python packages/icl_lowfreq/diagnostics/lm_energy_rise.py dump 4
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python packages/icl_lowfreq/diagnostics/lm_energy_rise.py analyse ring10 grid4x4
    OMP_NUM_THREADS=1 nice -n 19 .venv/bin/python packages/icl_lowfreq/diagnostics/lm_energy_rise.py prevtok ring10 grid4x4

``dump`` writes the hidden states to /tmp/icl_pos/<graph>.npz (~70 CPU-s for 4 walks per graph,
most of it the GGUF load). Not part of the workflow; the numbers are quoted in the README.
"""
import sys

def dump(argv):
    """Dump Gemma-3-270M hidden states (selected layers) for the quick run's lm walks (same seeds)."""
    import time
    import numpy as np, yaml, torch

    from repro_core.lm import ModelSpec, load_model, materialise, vocabulary
    from repro_core.seeding import derive_seed
    from icl_lowfreq import model, lm as LM

    torch.set_num_threads(1)
    cfg = yaml.safe_load(open("config/icl_lowfreq.yaml"))["icl_lowfreq"]["lm"]
    spec = ModelSpec(name="gemma3-270m", **{k: v for k, v in cfg["model_specs"]["gemma3-270m"].items()})
    n_walks, factors, seed = int(argv[0]), cfg["context_factors"]["quick"], 0
    t0 = time.process_time()
    with materialise(spec, vocabulary([], LM.WORDS), seed) as (path, gguf):
        tok, net = load_model(path, gguf)
        vocab = LM.single_token_words(tok); prefix = LM.special_prefix(tok)
        nl = len(net.model.layers); readout = int(round(0.8 * nl))
        layers = sorted({0, nl // 2, readout, nl})
        print("layers", nl, "readout", readout, "keep", layers, "load cpu s", time.process_time() - t0, flush=True)
        for gname in ["ring10", "grid4x4"]:
            g = model.make_graph(gname)
            Ts = sorted({int(round(f * g.n)) for f in factors})
            rng = np.random.default_rng(derive_seed(seed, "lm", spec.name, gname))
            walks = model.random_walks(g.A, Ts[-1], 8, rng)
            words_all = sorted(vocab)
            Hs = []
            for w in range(n_walks):
                words = [words_all[i] for i in rng.choice(len(words_all), size=g.n, replace=False)]
                ids = prefix + [vocab[words[v]] for v in walks[w]]
                H = LM.hidden_states(net, ids)[:, len(prefix):]
                Hs.append(H[layers].astype(np.float32))
                print(gname, w, "cpu s", time.process_time() - t0, flush=True)
            np.savez(f"/tmp/icl_pos/{gname}.npz", H=np.stack(Hs), walks=walks[:n_walks], Ts=Ts,
                     layers=layers, readout=readout)

def analyse(argv):
    """Energy / random vs T for the dumped Gemma hidden states: raw, position-regressed, mean-direction removed."""
    import json
    import numpy as np
    from icl_lowfreq import model, lm as LM
    from repro_core.stats import mean_ci

    VARIANTS = {"raw": {}, "poly0": {"detrend": 0}, "poly1": {"detrend": 1}, "poly3": {"detrend": 3},
                "poly8": {"detrend": 8}, "cos4": {"detrend": 4, "basis": "cos"}, "cos16": {"detrend": 16, "basis": "cos"},
                "meandir": {"mean_direction": True},
                "adj1": {"adjusted": 1}, "adj3": {"adjusted": 3}, "adj8": {"adjusted": 8},
                "adjcos16": {"adjusted": 16, "basis": "cos"},
                "surr_poly3": {"surrogate": True, "detrend": 3}, "surr_adj3": {"surrogate": True, "adjusted": 3}}

    def means(H1, walk, n, T, kw):
        kw = dict(kw)
        if kw.pop("surrogate", False):        # position-free control: each token = its node's T_max mean
            ref = LM.node_means(H1, walk, n, len(walk))
            H1 = ref[:, walk]
        if "adjusted" in kw:
            return LM.node_means_adjusted(H1, walk, n, T, kw["adjusted"], kw.get("basis", "poly"))
        return LM.node_means(H1, walk, n, T, **kw)
    out = {}
    for gname in argv:
        z = np.load(f"/tmp/icl_pos/{gname}.npz")
        H, walks, Ts, layers = z["H"], z["walks"], [int(t) for t in z["Ts"]], [int(l) for l in z["layers"]]
        g = model.make_graph(gname); L = model.laplacian(g.A); rnd = LM.baselines(g, 2)["random_energy"]
        res = {}
        for li, lay in enumerate(layers):
            for name, kw in VARIANTS.items():
                rows = []
                for w in range(len(H)):
                    r = []
                    for T in Ts:
                        X = means(H[w][li:li + 1], walks[w], g.n, T, kw)[0]
                        r.append(np.nan if np.isnan(X).any() else model.dirichlet_energy(X, L) / rnd)
                    rows.append(r)
                res[(lay, name)] = np.array(rows)
            # the positional part alone (fitted values, poly3) and its share of the node-mean variance
            share, epos = [], []
            for w in range(len(H)):
                s_, e_ = [], []
                for T in Ts:
                    Xr = LM.node_means(H[w][li:li + 1], walks[w], g.n, T)[0]
                    Xd = LM.node_means(H[w][li:li + 1], walks[w], g.n, T, detrend=3)[0]
                    if np.isnan(Xr).any():
                        s_.append(np.nan); e_.append(np.nan); continue
                    P = model.center(Xr - Xd); R = model.center(Xr)
                    s_.append(np.sum(P * P) / np.sum(R * R)); e_.append(model.dirichlet_energy(P, L) / rnd)
                share.append(s_); epos.append(e_)
            res[(lay, "pos_share_poly3")] = np.array(share); res[(lay, "pos_energy_poly3")] = np.array(epos)
        print(f"\n== {gname}  (n_walks={len(H)}, random energy {rnd:.3f}); mean over walks [min, max]; Ts/n =",
              [t // g.n for t in Ts])
        for (lay, name), a in res.items():
            m = np.nanmean(a, 0)
            print(f"layer {lay:2d} {name:16s}", " ".join(f"{v:6.3f}" for v in m))
        out[gname] = {f"{lay}:{name}": np.nanmean(a, 0).tolist() for (lay, name), a in res.items()}
        # per-walk rise T_first -> T_max for raw vs poly3 at each layer (T_first: first complete)
        for lay in layers:
            for name in ["raw", "poly1", "poly3", "cos4", "meandir", "adj1", "adj3", "adj8", "adjcos16", "surr_poly3", "surr_adj3"]:
                a = res[(lay, name)]
                d = [1 - row[-1] / row[~np.isnan(row)][0] for row in a]
                lo, hi = mean_ci(d)
                print(f"  layer {lay:2d} {name:8s} 1 - E(Tmax)/E(Tfirst): mean {np.mean(d):+.3f} 95% CI [{lo:+.3f}, {hi:+.3f}] "
                      f"range [{np.min(d):+.3f}, {np.max(d):+.3f}]  n={len(d)}")
    json.dump(out, open("/tmp/icl_pos/result.json", "w"), indent=1)

def prevtok(argv):
    """Own-node coefficients of a joint fit on [own-node indicators, previous-node indicators] (neighbour mixing control)."""
    import numpy as np
    from icl_lowfreq import model, lm as LM
    from repro_core.stats import mean_ci
    for gname in argv:
        z = np.load(f"/tmp/icl_pos/{gname}.npz")
        H, walks, Ts, layers = z["H"], z["walks"], [int(t) for t in z["Ts"]], [int(l) for l in z["layers"]]
        g = model.make_graph(gname); L = model.laplacian(g.A); rnd = LM.baselines(g, 2)["random_energy"]
        print(f"== {gname}: own-node coefficients after a joint fit with the previous node, energy / random; Ts/n",
              [t // g.n for t in Ts])
        for li, lay in enumerate(layers):
            if lay not in (9, 14):
                continue
            E, Eprev = [], []
            for w in range(len(H)):
                e, ep = [], []
                for T in Ts:
                    lo = T // 2; cur = walks[w][lo:T]; prev = walks[w][lo - 1:T - 1]
                    if len(np.unique(cur)) < g.n:
                        e.append(np.nan); ep.append(np.nan); continue
                    D = np.hstack([(cur[:, None] == np.arange(g.n)).astype(float), (prev[:, None] == np.arange(g.n)).astype(float)])
                    c = np.linalg.lstsq(D, H[w][li, lo:T], rcond=None)[0]
                    e.append(model.dirichlet_energy(c[:g.n], L) / rnd); ep.append(model.dirichlet_energy(c[g.n:], L) / rnd)
                E.append(e); Eprev.append(ep)
            E, Eprev = np.array(E), np.array(Eprev)
            print(f"layer {lay:2d} own-node  ", " ".join(f"{v:6.3f}" for v in np.nanmean(E, 0)))
            print(f"layer {lay:2d} prev-node ", " ".join(f"{v:6.3f}" for v in np.nanmean(Eprev, 0)))
            d = [1 - r[-1] / r[~np.isnan(r)][0] for r in E]
            print(f"   own-node 1 - E(Tmax)/E(Tfirst): {np.mean(d):+.3f} CI [{mean_ci(d)[0]:+.3f}, {mean_ci(d)[1]:+.3f}] n={len(d)}")

if __name__ == "__main__":
    {"dump": dump, "analyse": analyse, "prevtok": prevtok}[sys.argv[1]](sys.argv[2:])
