"""Delayed cue discrimination (the paper's task, dt = 5 ms per step).

A trial: a two-channel one-hot cue for ``cue`` steps, a silent delay of
``delay`` steps, a response window of ``resp`` steps in which the output
channel of the cue must be on (1) and the other off (0), then an optional
silent ``post`` period. Outside the response window both outputs must be 0.

Loss weights (paper): ``1 - c/T`` on the response window and ``c/T`` elsewhere,
with ``T`` the trial length in steps and ``c = off_weight`` (10 in the paper).

Trials of different delays are padded at the end to a common length with zero
input, zero target and zero weight, so one vmapped program trains networks of
every delay; the padding never changes the loss or its gradient (the padded
steps come after every weighted step).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

N_CUES = 2


@dataclass(frozen=True)
class TaskSpec:
    cue: int = 6        # 30 ms
    delay: int = 20     # 100 ms
    resp: int = 10      # 50 ms
    post: int = 0
    off_weight: float = 10.0

    @property
    def length(self) -> int:
        return self.cue + self.delay + self.resp + self.post

    @property
    def resp_start(self) -> int:
        return self.cue + self.delay


def trial(spec: TaskSpec, cue_id: int, length: int | None = None):
    """Input ``u [L, 2]``, target ``y [L, 2]`` and weight ``w [L]`` of one trial,
    padded with zeros to ``length`` (default: the trial's own length)."""
    T = spec.length
    L = T if length is None else int(length)
    if L < T:
        raise ValueError(f"padding length {L} is shorter than the trial ({T} steps)")
    if not 0 <= cue_id < N_CUES:
        raise ValueError(f"cue_id must be 0 or 1, got {cue_id}")
    u = np.zeros((L, N_CUES), np.float32)
    y = np.zeros((L, N_CUES), np.float32)
    w = np.zeros(L, np.float32)
    u[:spec.cue, cue_id] = 1.0
    r0, r1 = spec.resp_start, spec.resp_start + spec.resp
    y[r0:r1, cue_id] = 1.0
    w[:T] = spec.off_weight / T
    w[r0:r1] = 1.0 - spec.off_weight / T
    return u, y, w


def batch(spec: TaskSpec, n_trials: int, length: int | None = None):
    """A balanced batch: trial ``k`` carries cue ``k % 2``. Returns
    ``u [B, L, 2]``, ``y [B, L, 2]``, ``w [L]``, ``cues [B]`` and the
    response mask ``m [L]`` (1 on the response window)."""
    if n_trials < N_CUES or n_trials % N_CUES:
        raise ValueError(f"n_trials must be a positive multiple of {N_CUES}, got {n_trials}")
    cues = np.arange(n_trials) % N_CUES
    us, ys = zip(*[trial(spec, int(c), length)[:2] for c in cues])
    _, _, w = trial(spec, 0, length)
    m = np.zeros_like(w)
    m[spec.resp_start:spec.resp_start + spec.resp] = 1.0
    return np.stack(us), np.stack(ys), w, cues, m


def stacked(specs: list[TaskSpec], n_trials: int):
    """Batches of several delays padded to one length: arrays with a leading
    task axis plus ``pre [K]`` (response onset), ``resp [K]`` and ``length [K]``."""
    L = max(s.length for s in specs)
    parts = [batch(s, n_trials, L) for s in specs]
    u, y, w, cues, m = (np.stack(a) for a in zip(*parts))
    return dict(u=u, y=y, w=w, cues=cues, m=m,
                pre=np.array([s.resp_start for s in specs], np.int32),
                resp=np.array([s.resp for s in specs], np.int32),
                length=np.array([s.length for s in specs], np.int32))


@dataclass(kw_only=True)
class TaskConfig:
    """The task section of config/stm_mechanisms.yaml (described in its schema)."""
    dt_ms: float
    cue: int
    resp: int
    post: int
    off_weight: float

    def spec(self, delay: int) -> TaskSpec:
        return TaskSpec(cue=self.cue, delay=int(delay), resp=self.resp, post=self.post,
                        off_weight=self.off_weight)

