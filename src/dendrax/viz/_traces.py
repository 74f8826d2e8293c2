"""Plots of recorded traces (matplotlib is imported here only, never by the core)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np


def plot_traces(
    t_ms: np.ndarray,
    traces: Mapping[str, np.ndarray],
    path: str | os.PathLike | None = None,
    keys: Sequence[str] | None = None,
    title: str = "",
):
    """Plot traces against time (ms), one line per key; voltages in mV. Saves a PNG if ``path``.

    Returns the matplotlib figure.
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    keys = list(traces) if keys is None else list(keys)
    fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    for key in keys:
        ax.plot(np.asarray(t_ms), np.asarray(traces[key]), lw=1.0, label=key)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("membrane potential (mV)")
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small")
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
