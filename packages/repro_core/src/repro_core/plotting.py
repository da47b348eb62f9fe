"""One figure style for every paper."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import seaborn as sns  # noqa: E402

PALETTE = "colorblind"


def set_style() -> None:
    """Seaborn 'ticks' style, colour-blind palette, readable font sizes."""
    sns.set_theme(context="notebook", style="ticks", palette=PALETTE, font_scale=0.95)
    plt.rcParams.update({
        "figure.dpi": 110,
        "savefig.dpi": 150,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "legend.frameon": False,
        "svg.hashsalt": "repro",  # deterministic SVG ids
    })


def subplots(nrows: int = 1, ncols: int = 1, width: float = 4.0, height: float = 3.2, **kwargs):
    """``plt.subplots`` with the house style and a per-panel size in inches."""
    set_style()
    kwargs.setdefault("constrained_layout", True)
    kwargs.setdefault("squeeze", False)
    return plt.subplots(nrows, ncols, figsize=(width * ncols, height * nrows), **kwargs)
