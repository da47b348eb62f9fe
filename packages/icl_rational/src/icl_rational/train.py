"""Train one transformer per task-pool size D (all in one batched program) on the urns task,
evaluating at steps evenly spaced in sqrt(step); checkpoints and resumes.

Training target (``labels``): "hard", the authors' (HF ``Trainer`` on ``GPTNeoXForCausalLM``
with ``labels = input_ids``: cross-entropy on the sampled next symbol; their
``labels_key: next_token_distribution`` is used only by the evaluation), or "soft", the task's
true next-symbol distribution, loss H(theta) + KL(theta || model): the same expected gradient and
minimiser (the Bayes posterior predictive) at lower gradient variance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from repro_core import atomic_path, progress, save_npz, seed_everything
from repro_core.device import torch_device
from repro_core.seeding import derive_seed

from .model import BatchedNeoX, sqrt_spaced_steps, warmup_constant
from .urns import sample_pool, sample_sequences


@dataclass(kw_only=True)
class TrainConfig:
    """config/icl_rational.yaml's train section (less group_size / n_seeds, which make the jobs),
    plus n_symbols, the job's D values, config.yaml's device and the job's seed."""
    n_tasks: list                 # pool sizes D trained together (one model each)
    n_symbols: int
    context: int                  # prediction positions per sequence
    hidden: int
    mlp_factor: int
    batch: int
    steps: int
    lr: float
    warmup: int
    weight_decay: float
    grad_clip: float
    parallel_residual: bool       # authors: use_parallel_residual=False (model.py)
    labels: str                   # "hard" (authors: sampled next symbol) or "soft" (theta)
    n_eval: int                   # evaluation sequences, in-distribution and out of it
    n_ood_tasks: int              # fresh tasks for the OOD evaluation
    n_checkpoints: int            # evaluations, evenly spaced in sqrt(step)
    first_eval: int
    ckpt_every: int
    device: str                   # auto: CUDA when present (full scale on a GPU), else CPU
    seed: int = 0


def pools_and_eval(cfg) -> dict:
    """Pools, evaluation sequences and tasks; each D's pool and ID set depend only on (seed, D),
    the OOD set only on the seed, so they are the same whichever D are trained together."""
    out = {}
    rng = np.random.default_rng(derive_seed(cfg.seed, "ood"))
    ood_tasks = sample_pool(rng, cfg.n_ood_tasks, cfg.n_symbols)
    ood_theta = ood_tasks[np.arange(cfg.n_eval) % cfg.n_ood_tasks]
    out["ood_theta"] = ood_theta
    out["ood_tokens"] = sample_sequences(rng, ood_theta, cfg.context)
    for D in cfg.n_tasks:
        rng = np.random.default_rng(derive_seed(cfg.seed, "pool", int(D)))
        pool = sample_pool(rng, int(D), cfg.n_symbols)
        idx = rng.integers(0, int(D), size=cfg.n_eval)
        out[f"pool_{D}"] = pool
        out[f"id_theta_{D}"] = pool[idx]
        out[f"id_tokens_{D}"] = sample_sequences(rng, pool[idx], cfg.context)
    return out


def _with_bos(tokens: torch.Tensor, V: int) -> torch.Tensor:
    bos = torch.full(tokens.shape[:-1] + (1,), V, dtype=torch.long)
    return torch.cat([bos, tokens], dim=-1)


def _clip_per_model(params, max_norm: float) -> None:
    """Gradient-norm clipping separately for every model in the batch."""
    sq = sum(p.grad.pow(2).flatten(1).sum(1) for p in params)
    scale = (max_norm / (sq.sqrt() + 1e-6)).clamp(max=1.0)
    for p in params:
        p.grad.mul_(scale.view(-1, *([1] * (p.dim() - 1))))


def batch_loss(logp: torch.Tensor, theta: torch.Tensor, draws: torch.Tensor,
               labels: str) -> torch.Tensor:
    """Mean cross-entropy per model. ``logp`` [M, B, C, V]: position t has seen t draws;
    ``theta`` [M, B, V] the tasks; ``draws`` [M, B, >= C] the sequences' draws. "hard": the
    target at position t is draw t (the symbol that follows the t seen ones); "soft": theta."""
    if labels == "hard":
        C = logp.shape[2]
        return -torch.gather(logp, -1, draws[..., :C, None]).squeeze(-1).mean((1, 2))
    return -(theta[:, :, None, :] * logp).sum(-1).mean((1, 2))


def train(cfg: TrainConfig, run: Path) -> None:
    """Train the models for ``cfg.n_tasks`` and write their evaluations to ``run`` (npz)."""
    Ds = [int(d) for d in cfg.n_tasks]
    seed_everything(cfg.seed)
    V, C, M = cfg.n_symbols, cfg.context, len(Ds)
    dev = torch_device(cfg.device)
    data = pools_and_eval(cfg)
    pools = torch.tensor(np.stack([np.pad(data[f"pool_{D}"], ((0, max(Ds) - D), (0, 0)))
                                   for D in Ds]), dtype=torch.float32)          # [M, Dmax, V]
    sizes = torch.tensor(Ds)
    id_in = _with_bos(torch.tensor(np.stack([data[f"id_tokens_{D}"] for D in Ds])), V).to(dev)
    ood_in = _with_bos(torch.tensor(data["ood_tokens"]), V)[None].expand(M, -1, -1).to(dev)

    torch.manual_seed(derive_seed(cfg.seed, "init", *Ds))
    if cfg.labels not in ("hard", "soft"):
        raise ValueError(f"labels must be 'hard' or 'soft', not {cfg.labels!r}")
    model = BatchedNeoX(M, V, cfg.hidden, cfg.mlp_factor,
                        parallel_residual=cfg.parallel_residual).to(dev)
    params = list(model.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, betas=(0.9, 0.999), weight_decay=cfg.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: warmup_constant(s, cfg.warmup))
    gen = torch.Generator().manual_seed(derive_seed(cfg.seed, "batches", *Ds))
    evals = sqrt_spaced_steps(cfg.first_eval, cfg.steps, cfg.n_checkpoints)
    rec = {"id": [], "ood": [], "loss": [], "step": []}
    ckpt = Path(run).with_suffix(".ckpt")
    step, loss_sum, loss_n = 0, torch.zeros(M, device=dev), 0
    if ckpt.exists():
        st = torch.load(ckpt, weights_only=False, map_location=dev)
        model.load_state_dict(st["model"]); opt.load_state_dict(st["opt"])
        sched.load_state_dict(st["sched"]); gen.set_state(st["gen"].cpu())
        step, rec, loss_sum, loss_n = st["step"], st["rec"], st["loss_sum"], st["loss_n"]
        print(f"resumed from {ckpt} at step {step}", flush=True)

    bar = progress(total=cfg.steps, desc=f"train D={Ds}", initial=step)
    while step < cfg.steps:
        idx = (torch.rand(M, cfg.batch, generator=gen) * sizes[:, None]).long()
        theta = torch.gather(pools, 1, idx[..., None].expand(-1, -1, V))      # [M, B, V]
        hard = cfg.labels == "hard"     # hard: also draw the symbol after the last input
        toks = torch.multinomial(theta.reshape(M * cfg.batch, V), C - 1 + hard, replacement=True,
                                 generator=gen).reshape(M, cfg.batch, C - 1 + hard)
        theta = theta.to(dev)     # batches drawn on the CPU generator: same data on any device
        logp = model(_with_bos(toks[..., :C - 1], V).to(dev))                  # [M, B, C, V]
        per_model = batch_loss(logp, theta, toks.to(dev), cfg.labels)         # [M]
        opt.zero_grad(set_to_none=False)
        per_model.sum().backward()
        _clip_per_model(params, cfg.grad_clip)
        opt.step(); sched.step()
        step += 1
        loss_sum += per_model.detach(); loss_n += 1
        bar.update(1)
        if step in evals:
            with torch.no_grad():
                rec["id"].append(model(id_in).exp().cpu().numpy().astype(np.float32))
                rec["ood"].append(model(ood_in).exp().cpu().numpy().astype(np.float32))
            rec["loss"].append((loss_sum / loss_n).cpu().numpy()); rec["step"].append(step)
            loss_sum, loss_n = torch.zeros(M, device=dev), 0
        if step % cfg.ckpt_every == 0 and step < cfg.steps:
            with atomic_path(ckpt) as tmp:
                torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                            "sched": sched.state_dict(), "gen": gen.get_state(), "step": step,
                            "rec": rec, "loss_sum": loss_sum, "loss_n": loss_n}, tmp)
    bar.close()
    # id/ood probabilities: [checkpoint, model, sequence, position, symbol]
    save_npz(run, n_tasks=np.array(Ds), seed=np.array(cfg.seed), steps=np.array(rec["step"]),
             id_probs=np.stack(rec["id"]), ood_probs=np.stack(rec["ood"]),
             train_loss=np.stack(rec["loss"]), **data)
    ckpt.unlink(missing_ok=True)
