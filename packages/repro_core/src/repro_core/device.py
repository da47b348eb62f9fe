"""Device choice: CUDA when present and asked for, else CPU (torch and jax)."""

from __future__ import annotations

ALLOWED = ("auto", "cpu", "cuda")


def _check(prefer: str) -> None:
    if prefer not in ALLOWED:
        raise ValueError(f"device must be one of {ALLOWED}, got {prefer!r}")


def torch_device(prefer: str = "auto"):
    """``auto``: CUDA if available else CPU; ``cuda``: CUDA or a clear error; ``cpu``: CPU."""
    import torch

    _check(prefer)
    if prefer == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda")
    if prefer == "cuda":
        raise RuntimeError("device='cuda' was asked for but torch sees no CUDA device")
    return torch.device("cpu")


def jax_device(prefer: str = "auto"):
    """The first jax device of the asked kind (``auto``: GPU if any, else CPU)."""
    import jax

    _check(prefer)
    if prefer != "cpu":
        try:
            gpus = jax.devices("gpu")
        except RuntimeError:
            gpus = []
        if gpus:
            return gpus[0]
        if prefer == "cuda":
            raise RuntimeError("device='cuda' was asked for but jax sees no GPU")
    return jax.devices("cpu")[0]
