"""Plot of a fit: target, initial and fitted traces, and the loss history."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

import numpy as np


def plot_fit(
    t_ms: np.ndarray,
    target: Mapping[str, np.ndarray],
    fitted: Mapping[str, np.ndarray],
    path: str | os.PathLike | None = None,
    *,
    initial: Mapping[str, np.ndarray] | None = None,
    history: Sequence[float] | np.ndarray | None = None,
    keys: Sequence[str] | None = None,
    title: str = "",
):
    """One panel per recording key (target black, initial grey dashed, fitted coloured; mV
    against ms) and, if ``history`` is given, a panel of the loss per step (log scale).

    Saves a PNG if ``path`` is given; returns the matplotlib figure.
    """
    import matplotlib

    if path is not None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    keys = [k for k in (keys or target) if k in fitted]
    n = len(keys) + (history is not None)
    fig, axes = plt.subplots(n, 1, figsize=(8, 2.6 * n), constrained_layout=True, squeeze=False)
    t = np.asarray(t_ms)
    for ax, key in zip(axes[:, 0], keys):
        ax.plot(t, np.asarray(target[key]), color="black", lw=1.6, label="target")
        if initial is not None and key in initial:
            ax.plot(t, np.asarray(initial[key]), color="0.6", lw=1.0, ls="--", label="initial")
        ax.plot(t, np.asarray(fitted[key]), color="tab:red", lw=1.0, label="fitted")
        ax.set_ylabel(f"{key} (mV)")
        ax.set_xlabel("time (ms)")
        ax.legend(frameon=False, fontsize="small", loc="upper right")
    if history is not None:
        ax = axes[-1, 0]
        h = np.asarray(history, dtype=np.float64)
        ax.semilogy(np.arange(h.size), np.maximum(h, np.finfo(float).tiny), color="tab:blue")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
    if title:
        fig.suptitle(title)
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig
