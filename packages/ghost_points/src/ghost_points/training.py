"""The rnn_train stage: every (condition, learning rate, seed) RNN trained at once, with
checkpoints, snapshots and the per-run table. Moved unchanged from stages.py (issue 31)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import repro_core
from repro_core.seeding import derive_seed


@dataclass(kw_only=True)
class RnnConfig:
    N: int  # paper: N = 100
    alpha: float  # dt / tau
    T: int  # delay (trial = 2T steps)
    x0: float
    lrs: list
    n_seeds: int
    # [rank K, confidence a] or [rank K, confidence a, readout]; readout "latent"
    # (default: sigmoid(a (kappa_1 - 1)), the paper's rank-one network) or "linear"
    # (sigmoid(a (w . x + c)), the paper's rank-K network of Fig. 6)
    conditions: list
    # the learning rates of the remedy claims, fixed before any run: the lrs of the
    # sweep above the paper's rank-one critical lr (0.02 fails in ~95% of seeds, Fig. 3)
    remedy_lrs: list
    epochs: int
    chunk: int  # epochs per jit call = interval of parameter snapshots
    ckpt_every: int  # chunks between checkpoints
    loss_every: int  # stored loss resolution
    acc_min: float  # learned: final thresholded output right on >= this fraction
    seed: int = 0


def conditions(cfg) -> list[tuple[int, float, str]]:
    """The configured conditions as (K, a, readout) with the readout checked."""
    from repro_core.config import ConfigError

    from .rnn import READOUTS

    out = []
    for c in cfg.conditions:
        K, a, ro = int(c[0]), float(c[1]), (str(c[2]) if len(c) > 2 else "latent")
        if ro not in READOUTS:
            raise ConfigError(f"config key rnn.conditions: readout {ro!r} is not allowed; "
                              f"allowed values: {', '.join(READOUTS)}")
        out.append((K, a, ro))
    return out


def run_grid(cfg) -> dict:
    """The expected (cond, lr, seed) grid of the run table."""
    return {"cond": list(range(len(cfg.conditions))), "lr": [float(x) for x in cfg.lrs],
            "seed": list(range(cfg.n_seeds))}


def _run_table(cfg: RnnConfig) -> pd.DataFrame:
    rows = [(c, K, a, ro, float(lr), s) for c, (K, a, ro) in enumerate(conditions(cfg))
            for lr in cfg.lrs for s in range(cfg.n_seeds)]
    return pd.DataFrame(rows, columns=["cond", "K", "conf", "readout", "lr", "seed"])


def _accuracy(P: dict, M, C, Lin, cfg: RnnConfig) -> np.ndarray:
    """Fraction of steps at which the thresholded output matches the target, per network."""
    import jax

    from . import rnn

    def one(p, mask, conf, linear):
        q = {**p, "U": p["U"] * mask, "V": p["V"] * mask}
        y = rnn.readout_logit(rnn.run_trial(q, cfg.T, cfg.alpha, cfg.x0), q, linear)
        target = np.arange(1, 2 * cfg.T + 1) > cfg.T
        return (conf * y > 0) == target

    hits = np.asarray(jax.jit(jax.vmap(one))(P, M, C, Lin))  # (runs, 2T) booleans
    return hits.sum(axis=1) / hits.shape[1]                  # exact in float64 (39/40 >= 0.95)


def rnn_train(cfg: RnnConfig, data: Path, runs: Path) -> None:
    """Train every (condition, lr, seed) network at once; checkpoint per chunk."""
    from repro_core.config import ConfigError

    from . import rnn

    if cfg.epochs % cfg.chunk:
        raise ConfigError(f"config key rnn_train.epochs={cfg.epochs} must be a multiple of "
                          f"rnn_train.chunk={cfg.chunk} (snapshots are taken every chunk)")
    missing = [lr for lr in cfg.remedy_lrs if lr not in cfg.lrs]
    if missing:
        raise ConfigError(f"config key rnn.remedy_lrs: {missing} not in rnn.lrs={cfg.lrs}")
    repro_core.seed_everything(cfg.seed)
    table = _run_table(cfg)
    K_max = int(table.K.max())
    # a network's initial weights depend on its seed only: conditions share them
    inits = [rnn.init_params(derive_seed(cfg.seed, "rnn", s), cfg.N, K_max) for s in table.seed]
    P = rnn.stack_params(inits)
    M = np.stack([rnn.rank_mask(K, K_max) for K in table.K])
    C, L = table.conf.to_numpy(np.float32), table.lr.to_numpy(np.float32)
    Lin = (table.readout == "linear").to_numpy(np.float32)
    n_chunks = cfg.epochs // cfg.chunk
    ckpt = Path(str(data) + ".ckpt.npz")
    losses, snaps, start = [], {k: [] for k in P}, 0
    if ckpt.exists():
        z = repro_core.load_npz(ckpt)
        start = int(z["chunk"])
        P = {k: z[f"P_{k}"] for k in P}
        losses = list(z["losses"]) if start else []
        snaps = {k: list(z[f"S_{k}"]) for k in P}
    trainer = rnn.make_trainer(cfg.T, cfg.alpha, cfg.x0, cfg.chunk)
    for c in repro_core.progress(range(start, n_chunks), desc="rnn chunks", initial=start, total=n_chunks):
        if c == 0:
            for k in P:
                snaps[k].append(P[k])
        P_new, l = trainer(P, M, C, L, Lin)
        l = np.asarray(l)
        losses.extend(l.T)
        P = {k: np.asarray(v) for k, v in P_new.items()}
        for k in P:
            snaps[k].append(P[k])
        if (c + 1) % cfg.ckpt_every == 0 and c + 1 < n_chunks:
            repro_core.save_npz(ckpt, chunk=c + 1, losses=np.array(losses),
                                **{f"P_{k}": v for k, v in P.items()},
                                **{f"S_{k}": np.array(v) for k, v in snaps.items()})
    loss = np.array(losses).T                             # (runs, epochs)
    table["acc"] = _accuracy(P, M, C, Lin, cfg)
    table["learned"] = table.acc >= cfg.acc_min
    table["loss0"] = loss[:, 0]
    table["loss_final"] = loss[:, -1]
    table["learned_paper"] = [rnn.learned(l) for l in loss]
    table["drop_epoch"] = [rnn.drop_epoch(l) for l in loss]
    snap_epochs = np.arange(len(snaps["U"])) * cfg.chunk
    repro_core.save_npz(data, loss=loss[:, :: cfg.loss_every].astype(np.float32),
                        loss_epochs=np.arange(0, loss.shape[1], cfg.loss_every),
                        snap_epochs=snap_epochs, mask=M,
                        T=cfg.T, alpha=cfg.alpha, x0=cfg.x0,
                        **{f"snap_{k}": np.array(v).swapaxes(0, 1).astype(np.float32) for k, v in snaps.items()})
    repro_core.save_csv(table, runs)
    ckpt.unlink(missing_ok=True)
