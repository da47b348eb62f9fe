"""tqdm progress bars on stderr (which lands in a rule's log)."""

from __future__ import annotations

import sys
from typing import Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def progress(iterable: Iterable[T] | None = None, desc: str = "", total: int | None = None,
             **kwargs) -> tqdm:
    """A tqdm bar on stderr that updates at most every 2 s (readable in log files)."""
    kwargs.setdefault("mininterval", 2.0)
    kwargs.setdefault("dynamic_ncols", True)
    kwargs.setdefault("file", sys.stderr)
    return tqdm(iterable, desc=desc, total=total, **kwargs)
