"""Drawing of a cell's morphology, coloured by a per-compartment quantity.

matplotlib is imported inside the plotting function only; the layout helpers are pure NumPy.
Lengths in µm.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import numpy as np

from ..model._cell import Cell
from ..morphology._geometry import Geometry
from ..morphology._morphology import Morphology

if TYPE_CHECKING:
    from collections.abc import Sequence

_AXES = {"x": 0, "y": 1, "z": 2}
_LAYOUTS = ("auto", "xyz", "dendrogram")


def _plane_axes(plane: str) -> tuple[int, int]:
    if (
        not isinstance(plane, str)
        or len(plane) != 2
        or plane[0] not in _AXES
        or plane[1] not in _AXES
        or plane[0] == plane[1]
    ):
        raise ValueError(
            f"plot_morphology(plane={plane!r}): give two different axes out of x, y, z, "
            "e.g. plane='xy' (default), 'xz' or 'zy'."
        )
    return _AXES[plane[0]], _AXES[plane[1]]


def has_coordinates(geometry: Geometry) -> bool:
    """Whether every branch carries compartment centre coordinates (``xyz_um``)."""
    return all(b.xyz_um is not None for b in geometry.branches)


def xyz_polylines(geometry: Geometry, plane: str = "xy") -> list[np.ndarray]:
    """One 2-D polyline (µm) per compartment, projected onto ``plane``.

    Each compartment runs from the boundary with its predecessor (the attachment point on the
    parent for a branch's first compartment) through its centre to the boundary with its
    successor; boundaries are midway between neighbouring centres, and a branch's far end lies
    as far beyond its last centre as the last boundary lies before it. A one-compartment root
    (e.g. a soma) is drawn along the plane's first axis with its length.
    """
    if not has_coordinates(geometry):
        missing = [k for k, b in enumerate(geometry.branches) if b.xyz_um is None]
        raise ValueError(
            f"plot_morphology(layout='xyz'): branches {missing[:10]} have no coordinates "
            "(xyz_um); a Cell read from SWC has them. Use layout='dendrogram' (or 'auto')."
        )
    a, b = _plane_axes(plane)
    centres = [np.asarray(br.xyz_um)[:, [a, b]] for br in geometry.branches]
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    lines: list[np.ndarray] = []
    for k, br in enumerate(geometry.branches):
        p = centres[k]
        n = br.ncomp
        if k == 0:
            if n > 1:
                start = p[0] - (p[1] - p[0]) / 2.0
            else:
                start = p[0] - np.array([br.total_length_um / 2.0, 0.0])
        elif br.parent_x == 1.0:
            start = ends[br.parent]
        elif br.parent_x == 0.0:
            start = starts[br.parent]
        else:  # attached to the node (centre) of the parent compartment containing x
            pn = geometry.branches[br.parent].ncomp
            start = centres[br.parent][min(int(np.floor(br.parent_x * pn)), pn - 1)]
        bounds = np.empty((n + 1, 2))
        bounds[0] = start
        bounds[1:n] = (p[:-1] + p[1:]) / 2.0
        bounds[n] = 2.0 * p[-1] - bounds[n - 1]
        starts.append(bounds[0])
        ends.append(bounds[n])
        lines.extend(np.stack([bounds[i], p[i], bounds[i + 1]]) for i in range(n))
    return lines


def dendrogram_layout(geometry: Geometry) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """A 2-D drawing for cells without coordinates: ``(compartment_lines, connectors)``.

    Every branch is a horizontal line at its own height; x is the position along the cable
    (µm), measured from the root's x=0 end. Branches attached at the root's x=0 end grow to the
    left (negative x), all others to the right. Leaves sit at heights 0, 1, 2, ... in tree
    order and every other branch midway between its children; vertical connectors join each
    branch to its attachment point on the parent.
    """
    branches = geometry.branches
    nb = len(branches)
    children: list[list[int]] = [[] for _ in range(nb)]
    for k, br in enumerate(branches[1:], start=1):
        children[br.parent].append(k)
    height = np.zeros(nb)
    leaf = 0.0
    stack = [(0, False)]  # depth first (children in their order), without recursion
    while stack:
        k, done = stack.pop()
        if not done:
            stack.append((k, True))
            stack.extend((c, False) for c in reversed(children[k]))
        elif children[k]:
            height[k] = float(np.mean(height[children[k]]))
        else:
            height[k] = leaf
            leaf += 1.0
    start = np.zeros(nb)  # x at each branch's x=0 end
    sign = np.ones(nb)
    cum = [np.concatenate([[0.0], np.cumsum(br.length_um)]) for br in branches]
    lines: list[np.ndarray] = []
    connectors: list[np.ndarray] = []
    for k, br in enumerate(branches):
        if k > 0:
            p, x = br.parent, br.parent_x
            pb = branches[p]
            if x in (0.0, 1.0):
                along = x * pb.total_length_um
            else:
                c = min(int(np.floor(x * pb.ncomp)), pb.ncomp - 1)
                along = (cum[p][c] + cum[p][c + 1]) / 2.0
            start[k] = start[p] + sign[p] * along
            sign[k] = -1.0 if (p == 0 and x == 0.0) else sign[p]
            connectors.append(np.array([[start[k], height[p]], [start[k], height[k]]]))
        xs = start[k] + sign[k] * cum[k]
        lines.extend(
            np.array([[xs[i], height[k]], [xs[i + 1], height[k]]]) for i in range(br.ncomp)
        )
    return lines, connectors


def _swc_segments(morphology: Morphology, plane: str) -> tuple[list[np.ndarray], np.ndarray]:
    a, b = _plane_axes(plane)
    pts = morphology.points
    idx = np.flatnonzero(pts.parent >= 0)
    xy = pts.xyz_um[:, [a, b]]
    segs = [np.stack([xy[pts.parent[i]], xy[i]]) for i in idx]
    return segs, 2.0 * pts.radius_um[idx]


def plot_morphology(
    cell: Cell | Geometry | Morphology,
    values: Sequence[float] | np.ndarray | None = None,
    ax: Any = None,
    *,
    plane: str = "xy",
    layout: str = "auto",
    label: str = "",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
    diameter_widths: bool = False,
    linewidth: float = 1.0,
    color: str = "black",
    title: str = "",
    path: str | os.PathLike | None = None,
):
    """Draw a cell as lines, one per compartment, optionally coloured by ``values``.

    Args:
        cell: a :class:`dendrax.Cell` (or its :class:`dendrax.Geometry`), or a
            :class:`dendrax.Morphology` from :func:`dendrax.read_swc` (drawn point to point,
            without compartments: ``values`` needs a Cell).
        values: one number per compartment (length ``cell.n_compartments``), e.g. voltages
            at one time in mV (``result.final_state.v[: cell.n_compartments]``) or a channel
            density in S/cm²; drawn with ``cmap`` and a colorbar labelled ``label``.
            ``None`` draws every compartment in ``color``.
        ax: a matplotlib Axes to draw into; a new figure if None.
        plane: the projection of the 3-D coordinates: two of x, y, z (default ``"xy"``; the
            first is the horizontal axis).
        layout: ``"xyz"`` (the compartment centres ``xyz_um`` that cells from SWC files
            carry, projected onto ``plane``), ``"dendrogram"`` (the layout for cells without
            coordinates, e.g. built by hand from ``BranchGeometry.cylinder``: each branch a
            horizontal line whose length is its length in µm, branches stacked vertically and
            joined to their parents by thin grey lines; see ``dendrogram_layout``), or
            ``"auto"`` (default: ``"xyz"`` when every branch has coordinates, else
            ``"dendrogram"``).
        label: colorbar label, e.g. ``"v (mV)"``.
        cmap, vmin, vmax: colour map and its range (default: the range of ``values``).
        diameter_widths: draw each compartment ``linewidth`` points wide per µm of diameter
            (at least 0.25 points) instead of ``linewidth`` points.
        linewidth: line width in points (per µm of diameter with ``diameter_widths``).
        color: line colour without ``values``.
        title: axes title.
        path: save the figure there (PNG) if given.

    Returns:
        The matplotlib Figure. The compartments are one ``LineCollection`` (in order of the
        flat compartment index; its ``get_array()`` holds ``values``).

    Raises:
        ValueError: ``values`` does not have one entry per compartment, or a bad
            ``plane``/``layout``.
        TypeError: ``cell`` is of another type.
    """
    import matplotlib

    if path is not None and ax is None:
        matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize

    if layout not in _LAYOUTS:
        raise ValueError(f"plot_morphology(layout={layout!r}): use one of {list(_LAYOUTS)}.")
    _plane_axes(plane)
    if isinstance(cell, Morphology):
        if values is not None:
            raise ValueError(
                "plot_morphology(values=...): a Morphology has points, not compartments; make "
                "a cell first (cell = morph.to_cell(policy)) and pass one value per compartment."
            )
        segs, diam = _swc_segments(cell, plane)
        connectors: list[np.ndarray] = []
        use_xyz = True
    else:
        if isinstance(cell, Cell):
            geometry = cell.geometry
        elif isinstance(cell, Geometry):
            geometry = cell
        else:
            raise TypeError(
                f"plot_morphology(cell=...) takes a dendrax.Cell, Geometry or Morphology, got "
                f"{type(cell).__name__}."
            )
        use_xyz = layout == "xyz" or (layout == "auto" and has_coordinates(geometry))
        if use_xyz:
            segs, connectors = xyz_polylines(geometry, plane), []
        else:
            segs, connectors = dendrogram_layout(geometry)
        diam = geometry.flat("diam_um")
    if values is not None:
        vals = np.asarray(values, dtype=np.float64)
        if vals.shape != (len(segs),):
            raise ValueError(
                f"plot_morphology(values=...): got shape {vals.shape}, need one value per "
                f"compartment, shape ({len(segs)},) (cell.n_compartments); for voltages at the "
                f"end of a simulation use result.final_state.v[:{len(segs)}]."
            )
    widths = np.maximum(linewidth * diam, 0.25) if diameter_widths else linewidth
    if ax is None:
        fig, ax = plt.subplots(figsize=(6, 6), constrained_layout=True)
    fig = ax.figure
    if connectors:
        ax.add_collection(LineCollection(connectors, colors="0.7", linewidths=0.5, zorder=1))
    lc = LineCollection(segs, linewidths=widths, capstyle="round", zorder=2)
    if values is not None:
        lo = np.nanmin(vals) if vmin is None else vmin
        hi = np.nanmax(vals) if vmax is None else vmax
        lc.set_array(vals)
        lc.set_cmap(cmap)
        lc.set_norm(Normalize(vmin=lo, vmax=hi))
    else:
        lc.set_color(color)
    ax.add_collection(lc)
    ax.autoscale_view()
    if use_xyz:
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_xlabel(f"{plane[0]} (µm)")
        ax.set_ylabel(f"{plane[1]} (µm)")
    else:
        ax.set_xlabel("position along the cable from the root's x=0 end (µm)")
        ax.set_yticks([])
    if values is not None:
        fig.colorbar(lc, ax=ax, label=label)
    if title:
        ax.set_title(title)
    if path is not None:
        fig.savefig(path, dpi=120)
        plt.close(fig)
    return fig
