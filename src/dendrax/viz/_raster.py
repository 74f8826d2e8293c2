"""Raster plot of a network's detected spikes (matplotlib is imported here only, never by the
core)."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..model._network import Network, Population
from ..solve._system import System


def population_groups(populations: Any, n_cells: int | None = None) -> list[tuple[str, np.ndarray]]:
    """``[(name, cell ids)]`` from a :class:`dendrax.Network` (its ``add_cells`` blocks), its
    compiled :class:`dendrax.System` (``layout.population_names``/``population_of_cell``) or a
    mapping ``{name: Population or cell ids}``; ``n_cells`` checks a network's size."""
    if isinstance(populations, Network):
        groups = [(b.name, np.arange(b.first, b.first + b.n)) for b in populations.blocks]
        total: int | None = populations.n_cells
    elif isinstance(populations, System):
        layout = populations.layout
        if layout.population_of_cell is None:
            raise ValueError(
                "plot_raster(populations=system): this System was compiled from cells, not a "
                "dendrax.Network, so it has no populations; pass the Network or a mapping "
                "{name: cell ids}."
            )
        of_cell = np.asarray(layout.population_of_cell)
        groups = [(n, np.flatnonzero(of_cell == k)) for k, n in enumerate(layout.population_names)]
        total = int(of_cell.size)
    elif isinstance(populations, Mapping):
        groups = []
        for name, cells in populations.items():
            ids = cells.cells if isinstance(cells, Population) else np.asarray(cells)
            ids = np.atleast_1d(ids)
            if ids.dtype.kind not in "iu":
                raise TypeError(
                    f"plot_raster(populations={{{name!r}: ...}}): give a Population or integer "
                    f"cell ids, got {cells!r}."
                )
            groups.append((str(name), ids.astype(np.int64)))
        total = None
    else:
        raise TypeError(
            f"plot_raster(populations={populations!r}): give the dendrax.Network, its compiled "
            "System, or a mapping {name: Population or cell ids}."
        )
    if total is not None and n_cells is not None and n_cells > total:
        raise ValueError(
            f"plot_raster(populations=...): the result has spikes of cell {n_cells - 1}, but the "
            f"given network has {total} cells; pass the network this result was simulated from."
        )
    return groups


def _spikes(result: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(times_ms, cells, t)`` of an unbatched result, with the errors of plot_raster."""
    if not (hasattr(result, "raster") and hasattr(result, "spikes")):
        raise TypeError(
            f"plot_raster(result): give the dendrax.Result of dx.simulate, got "
            f"{type(result).__name__}."
        )
    if result.spikes is None or result.spike_cells is None:
        raise ValueError(
            "plot_raster(result): this simulation has no spike detectors; add them with "
            "network.detect(cells, at=..., threshold_mV=...) before dx.compile."
        )
    shape = np.shape(result.spikes)
    if len(shape) != 2:
        raise ValueError(
            f"plot_raster(result): this result is batched (spikes of shape {shape}, batch axes "
            "first); plot one simulation of the batch, e.g. "
            "jax.tree_util.tree_map(lambda a: a[0], result)."
        )
    times, cells = result.raster()
    return np.asarray(times), np.asarray(cells), np.asarray(result.t)


def plot_raster(
    result: Any,
    ax: Any = None,
    populations: Any = None,
    *,
    path: str | os.PathLike | None = None,
    window_ms: tuple[float, float] | None = None,
    stimuli: Any = None,
    colors: Mapping[str, Any] | Sequence[Any] | None = None,
    marker_size: float = 4.0,
    title: str = "",
):
    """Raster of every detected spike of a network simulation: one dot per spike at (spike
    time in ms, cell id), coloured by population.

    Args:
        result: the :class:`dendrax.Result` of one simulation of a network with spike
            detectors (``network.detect``); its spikes are ``result.raster()``. A batched result
            (from ``jax.vmap``) is refused: index one member first.
        ax: a matplotlib Axes to draw into; a new figure if None.
        populations: colour by population: the :class:`dendrax.Network`, its compiled
            :class:`dendrax.System` (``layout.population_names``), or a mapping
            ``{name: Population or cell ids}``. Each population is one scatter (legend label:
            its name; colours ``C0, C1, ...`` in order). None: every spike in one colour.
        path: save the figure there (PNG) if given.
        window_ms: ``(start_ms, stop_ms)``: plot only the spikes with ``start <= t <= stop``,
            and limit the time axis to it (default: the whole run, ``0 .. t_stop``).
        stimuli: shade the on-windows of current clamps, as in :func:`dendrax.plot_traces`:
            a Network (the IClamps of ``network.stimulate`` and of its cell templates), a Cell,
            one IClamp or a list of them.
        colors: a colour per population, as ``{name: colour}`` or a sequence in population
            order (default: matplotlib's colour cycle).
        marker_size: dot size (points², matplotlib's ``s``).
        title: axes title.

    Returns:
        The matplotlib Figure. Its Axes (``fig.axes[0]``, or ``ax``) holds one scatter
        (``ax.collections``) per population, in order, even for a population without spikes;
        the x axis is time (ms), the y axis the cell id.
    """
    import matplotlib

    if path is not None and ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    from ._traces import stimulus_windows

    times, cells, t = _spikes(result)
    n_cells = int(np.asarray(result.spike_cells).max()) + 1 if np.size(result.spike_cells) else 0
    if populations is None:
        groups = [("spikes", np.unique(np.asarray(result.spike_cells)))]
    else:
        groups = population_groups(populations, n_cells)
    if window_ms is None:
        lo, hi = 0.0, float(t[-1]) if t.size else 0.0
    else:
        if len(window_ms) != 2 or not window_ms[0] < window_ms[1]:
            raise ValueError(
                f"plot_raster(window_ms={window_ms!r}): give (start_ms, stop_ms) with start < stop."
            )
        lo, hi = float(window_ms[0]), float(window_ms[1])
        keep = (times >= lo) & (times <= hi)
        times, cells = times[keep], cells[keep]
    if isinstance(colors, Mapping):
        unknown = sorted(set(colors) - {name for name, _ in groups})
        if unknown:
            raise KeyError(
                f"plot_raster(colors=...): no population(s) {unknown}; the populations are "
                f"{[name for name, _ in groups]}."
            )
    windows = [] if stimuli is None else stimulus_windows(_clamps(stimuli))
    if ax is None:
        fig, ax = plt.subplots(figsize=(8, 4), constrained_layout=True)
    fig = ax.figure
    for i, (start, stop) in enumerate(windows):
        ax.axvspan(start, stop, color="0.9", zorder=0, label="IClamp on" if i == 0 else None)
    for k, (name, ids) in enumerate(groups):
        if isinstance(colors, Mapping):
            color = colors.get(name, f"C{k}")
        elif colors is not None:
            color = list(colors)[k]
        else:
            color = f"C{k}"
        mine = np.isin(cells, ids)
        ax.scatter(
            times[mine],
            cells[mine],
            s=marker_size,
            color=color,
            marker="o",
            linewidths=0,
            label=f"{name} ({int(mine.sum())} spikes)",
        )
    ax.set_xlim(lo, hi)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("cell (id)")
    ax.set_title(title)
    if populations is not None or windows:
        ax.legend(frameon=False, fontsize="small", loc="upper right", markerscale=2.0)
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig


def _clamps(stimuli: Any) -> Any:
    """A Network's current clamps (``network.stimulate`` and its cell templates' own), or
    ``stimuli`` unchanged."""
    if not isinstance(stimuli, Network):
        return stimuli
    from ..model._stimuli import IClamp

    placed = [p.stimulus for _, p in stimuli.stimuli]
    placed += [p.stimulus for b in stimuli.blocks for p in b.template.placements]
    return [s for s in placed if isinstance(s, IClamp)]
