"""Atomic writers: every output is written to a temporary file in the same
directory and renamed into place, so a killed job never leaves a file that
looks finished."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np


def _default_mode(base: int) -> int:
    """``base`` (0o666 files, 0o777 dirs) less the process umask: the mode ``open`` or ``mkdir``
    would give. mkstemp/mkdtemp create 0o600/0o700, which would hide results from the rest of a
    group sharing a project directory on a cluster. Linux reports the umask in /proc without
    changing it; elsewhere it is read by setting and restoring it (not thread-safe)."""
    try:
        with open("/proc/self/status") as f:
            mask = next(int(line.split()[1], 8) for line in f if line.startswith("Umask:"))
    except (OSError, StopIteration):
        mask = os.umask(0)
        os.umask(mask)
    return base & ~mask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success.

    The temporary name keeps the final suffix (libraries such as numpy and
    matplotlib pick the format from it). On any exception the temporary file is
    removed and ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".tmp" + suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp)
    try:
        yield tmp
        os.chmod(tmp, _default_mode(0o666))
        os.replace(tmp, path)
    except Exception as exc:
        _raise_if_disk_full(exc, path)
        raise
    finally:
        if tmp.exists():
            tmp.unlink()


def _raise_if_disk_full(exc: BaseException, path: Path, reserve: int = 1 << 20) -> None:
    """Libraries report a full disk in their own words (torch: "unexpected pos ..."):
    when a write failed and the filesystem is full, say so, naming the place."""
    import errno

    full = isinstance(exc, OSError) and exc.errno == errno.ENOSPC
    try:
        full = full or os.statvfs(path.parent).f_bavail * os.statvfs(path.parent).f_frsize < reserve
    except OSError:
        pass
    if full:
        raise OSError(errno.ENOSPC, f"no space left on the filesystem of {path.parent} while writing "
                                    f"{path.name}; free some space and rerun") from exc


class CorruptFileError(ValueError):
    """An input file cannot be read (cut short by a killed job or a full disk)."""


def _unreadable(path: str | os.PathLike, exc: BaseException) -> CorruptFileError:
    return CorruptFileError(
        f"{path}: cannot be read ({type(exc).__name__}: {exc}); it was probably cut short by a killed "
        "job or a full disk. Delete it and rerun, or rerun the rule that writes it with "
        "`snakemake --forcerun <rule>`")


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary directory next to ``path``; on success it replaces ``path``
    (a saved model, say). On any exception ``path`` is left untouched."""
    import shutil

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        yield tmp
        os.chmod(tmp, _default_mode(0o777))
        if path.exists():
            shutil.rmtree(path)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


def _jsonable(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _jsonable(obj.tolist())
    if isinstance(obj, (np.bool_,)):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return None if math.isnan(x) else (str(x) if math.isinf(x) else x)
    if isinstance(obj, Path):
        return str(obj)
    return obj


def save_json(obj: Any, path: str | os.PathLike) -> Path:
    """Write JSON deterministically (sorted keys, NaN -> null, numpy -> python)."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")
    return Path(path)


def load_json(path: str | os.PathLike) -> Any:
    """Read JSON; a corrupt file raises :class:`CorruptFileError` naming it."""
    try:
        return json.loads(Path(path).read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise _unreadable(path, exc) from exc


def save_text(text: str, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text)
    return Path(path)


def save_npz(path: str | os.PathLike, **arrays: Any) -> Path:
    """Write a compressed ``.npz`` atomically."""
    with atomic_path(path, suffix=".npz") as tmp:
        with open(tmp, "wb") as fh:
            np.savez_compressed(fh, **arrays)
    return Path(path)


def load_npz(path: str | os.PathLike) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz``; a corrupt file raises :class:`CorruptFileError` naming it."""
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, EOFError, OSError, KeyError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise _unreadable(path, exc) from exc


def save_torch(obj: Any, path: str | os.PathLike) -> Path:
    """``torch.save`` atomically and byte-stably: the archive is built in memory, so
    no temporary file name ends up inside it (same object, same bytes)."""
    import io

    import torch

    buf = io.BytesIO()
    torch.save(obj, buf)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buf.getvalue())
    return Path(path)


def load_torch(path: str | os.PathLike, **kwargs: Any) -> Any:
    """``torch.load`` (``weights_only=False`` unless given); a corrupt file raises
    :class:`CorruptFileError` naming it."""
    import torch

    kwargs.setdefault("weights_only", False)
    try:
        return torch.load(path, **kwargs)
    except FileNotFoundError:
        raise
    except (RuntimeError, EOFError, ValueError, OSError) as exc:
        raise _unreadable(path, exc) from exc


def save_csv(df, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write a pandas DataFrame as CSV atomically (no index unless asked)."""
    kwargs.setdefault("index", False)
    with atomic_path(path) as tmp:
        df.to_csv(tmp, **kwargs)
    return Path(path)


class IncompleteTableError(ValueError):
    """A result table is cut short or misses rows of its expected grid."""


def read_table(path: str | os.PathLike, columns: Sequence[str] = (),
               grid: Mapping[str, Iterable] | Sequence[Mapping[str, Iterable]] | None = None,
               nullable: Sequence[str] = ()):
    """Read a result CSV and fail, naming the file, when it is incomplete.

    Missing data is an error, never a finding: a file cut mid-line (no final
    newline, or empty cells in ``columns``), a missing column (of ``columns``,
    ``nullable`` -- present but allowed empty -- or the grid), or a missing
    combination of the expected ``grid`` raises :class:`IncompleteTableError`.
    ``grid`` is {column: expected values} (every combination must have a row; a
    file cut at a line break loses whole rows) or a list of such mappings, for a
    table that is a union of grids (each checked on its own keys).
    """
    import itertools

    import pandas as pd

    path = Path(path)
    raw = path.read_bytes()
    if not raw.strip():
        raise IncompleteTableError(f"{path}: empty table")
    if not raw.endswith(b"\n"):
        raise IncompleteTableError(f"{path}: cut short (the last line has no newline)")
    try:
        df = pd.read_csv(path)
    except Exception as exc:
        raise IncompleteTableError(f"{path}: unreadable CSV ({exc})") from exc
    grids = [] if grid is None else [grid] if isinstance(grid, Mapping) else list(grid)
    need = dict.fromkeys([*columns, *nullable, *(k for g in grids for k in g)])
    missing = [c for c in need if c not in df.columns]
    if missing:
        raise IncompleteTableError(f"{path}: missing column(s) {missing}; has {list(df.columns)}")
    empty = df[list(columns)].isna().any(axis=1) if columns else None
    if empty is not None and empty.any():
        rows = [int(i) + 2 for i in df.index[empty][:5]]  # file line numbers (header = 1)
        raise IncompleteTableError(f"{path}: empty cells in {list(columns)} on line(s) {rows}")
    for g in grids:
        keys = list(g)
        casts = [float if _numeric(v) else str for v in g.values()]
        have = {tuple(f(x) for f, x in zip(casts, row)) for row in df[keys].itertuples(index=False)}
        want = [tuple(f(x) for f, x in zip(casts, combo))
                for combo in itertools.product(*(list(v) for v in g.values()))]
        lost = [w for w in want if w not in have]
        if lost:
            raise IncompleteTableError(f"{path}: {len(lost)} of {len(want)} expected rows of "
                                       f"{keys} missing, e.g. {lost[:3]}")
    return df


def _numeric(values: Iterable) -> bool:
    return all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
               for v in values)


def save_figure(fig, path: str | os.PathLike, dpi: int = 150, close: bool = True) -> Path:
    """Save a matplotlib figure (format from the suffix) atomically.

    PNG metadata that carries the software version and creation date is
    stripped, so the same figure gives the same bytes.
    """
    import matplotlib.pyplot as plt

    path = Path(path)
    fmt = path.suffix.lstrip(".") or "png"
    metadata = {"Software": None} if fmt == "png" else ({"Date": None} if fmt in ("svg", "pdf") else None)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=fmt, dpi=dpi, bbox_inches="tight", metadata=metadata)
    if close:
        plt.close(fig)
    return path
