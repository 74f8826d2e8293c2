"""Plots of recorded traces (matplotlib is imported here only, never by the core)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..model._cell import Cell
from ..model._stimuli import IClamp, Waveform


def stimulus_windows(stimuli: Any) -> list[tuple[float, float]]:
    """The distinct ``(start_ms, stop_ms)`` windows of current clamps, in order of appearance.

    Args:
        stimuli: a :class:`dendrax.Cell` (its ``IClamp`` stimuli; ``Waveform`` stimuli have no
            window and are skipped), one :class:`dendrax.IClamp`, or a sequence of them.
            Clamps with ``dur_ms = 0`` (never on) are skipped.
    """
    if isinstance(stimuli, Cell):
        clamps = [p.stimulus for p in stimuli.placements if isinstance(p.stimulus, IClamp)]
    elif isinstance(stimuli, IClamp):
        clamps = [stimuli]
    elif isinstance(stimuli, Sequence) and not isinstance(stimuli, str):
        clamps = list(stimuli)
        for i, s in enumerate(clamps):
            if not isinstance(s, IClamp):
                hint = (
                    " A Waveform has no on/off window; leave it out."
                    if isinstance(s, Waveform)
                    else ""
                )
                raise TypeError(
                    f"plot_traces(stimuli=...): item {i} is a {type(s).__name__}; give "
                    f"dendrax.IClamp objects or the Cell they stimulate.{hint}"
                )
    else:
        raise TypeError(
            f"plot_traces(stimuli={stimuli!r}): give the Cell, an IClamp or a list of IClamps."
        )
    windows: list[tuple[float, float]] = []
    for c in clamps:
        w = (float(c.delay_ms), float(c.delay_ms + c.dur_ms))
        if c.dur_ms > 0 and w not in windows:
            windows.append(w)
    return windows


def cell_keys(
    traces: Mapping[str, Any], cells: Sequence[str], keys: Sequence[str] | None
) -> list[str]:
    """The full keys ``"<cell>.<key>"`` of ``cells`` (all of each cell's keys if ``keys`` is
    None), cell by cell; errors name the cells or keys that do not exist."""
    out: list[str] = []
    for cell in cells:
        prefix = f"{cell}."
        mine = [k for k in traces if k.startswith(prefix)]
        if not mine:
            names = sorted({k.split(".", 1)[0] for k in traces if "." in k})
            raise KeyError(
                f"plot_traces(cells=...): no traces of cell {cell!r}; cells with traces: "
                f"{names[:20]}{' ...' if len(names) > 20 else ''} (record them on the template "
                "with cell.record(..., key=...), or with network.record)."
            )
        if keys is None:
            out.extend(mine)
            continue
        for key in keys:
            if prefix + key not in traces:
                raise KeyError(
                    f"plot_traces(keys=...): cell {cell!r} has no trace {key!r}; its traces "
                    f"are {sorted(k[len(prefix) :] for k in mine)}."
                )
            out.append(prefix + key)
    return out


def plot_traces(
    t_ms: Any,
    traces: Mapping[str, np.ndarray] | None = None,
    path: str | os.PathLike | None = None,
    keys: Sequence[str] | None = None,
    title: str = "",
    *,
    stimuli: Any = None,
    ax: Any = None,
    ylabel: str = "membrane potential (mV)",
    cells: str | Sequence[str] | None = None,
):
    """Plot recorded traces against time (ms), one line per key, and shade the stimuli.

    Call it as ``plot_traces(result)`` with a :class:`dendrax.Result`, or as
    ``plot_traces(t_ms, traces)`` with the times (ms) and a mapping ``key -> trace``.

    Args:
        t_ms: a ``Result``, or the sample times (ms).
        traces: ``{key: trace}`` (voltages in mV) when ``t_ms`` is an array; omit it for a
            ``Result``.
        path: save the figure there (PNG) if given.
        keys: the keys to plot (default: all, in order); with ``cells``, the per-cell keys
            (the template's record keys, e.g. ``["v_soma"]``).
        title: axes title.
        stimuli: shade the on-windows ``delay_ms <= t < delay_ms + dur_ms`` of current
            clamps: the :class:`dendrax.Cell` (all its ``IClamp`` stimuli), one
            :class:`dendrax.IClamp` or a list of them. ``Waveform`` stimuli are not shaded.
        ax: a matplotlib Axes to draw into; a new figure if None.
        ylabel: the y-axis label.
        cells: for a network result, whose keys are ``"<cell name>.<key>"`` (e.g.
            ``"E3.v_soma"``): the cell name(s) to plot (``network.cell_names()``), each with
            the traces ``keys`` (default: every trace of the cell), in the order given.

    Returns:
        The matplotlib Figure. Each trace is one line (``ax.lines``) and each distinct
        stimulus window one shaded patch (``ax.patches``).
    """
    import matplotlib

    if path is not None and ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if traces is None:
        if not (hasattr(t_ms, "t") and hasattr(t_ms, "traces")):
            raise TypeError(
                "plot_traces(t_ms, traces): give a dendrax.Result (plot_traces(result)) or the "
                "times and a mapping of traces (plot_traces(result.t, {'v': trace}))."
            )
        t_ms, traces = t_ms.t, t_ms.traces
    traces = dict(traces or {})
    t = np.asarray(t_ms)
    if cells is not None:
        keys = cell_keys(traces, [cells] if isinstance(cells, str) else list(cells), keys)
    keys = list(traces) if keys is None else list(keys)
    missing = [k for k in keys if k not in traces]
    if missing:
        raise KeyError(
            f"plot_traces(keys=...): no trace(s) {missing}; the traces are {sorted(traces)}."
        )
    windows = [] if stimuli is None else stimulus_windows(stimuli)
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    fig = ax.figure
    for i, (start, stop) in enumerate(windows):
        ax.axvspan(start, stop, color="0.9", zorder=0, label="IClamp on" if i == 0 else None)
    for key in keys:
        y = np.asarray(traces[key])
        if y.shape[-1:] != t.shape:
            raise ValueError(
                f"plot_traces: trace {key!r} has shape {y.shape}, but there are {t.size} "
                "times; give one value per time (time on the last axis)."
            )
        ax.plot(t, y.T, lw=1.0, label=key)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(frameon=False, fontsize="small")
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
