"""``hay_l5pc``: Hay et al. (2011)'s layer-5b pyramidal cell (ModelDB 139653, template
``L5PCtemplate.hoc`` with ``L5PCbiophys3.hoc``) as a :class:`dendrax.Cell`, and the places its
protocols use (the apical root, a site at a given distance on the apical tree).

Hay E, Hill S, Schürmann F, Markram H, Segev I (2011) PLoS Comput Biol 7:e1002107.
Simulate at ``celsius = 34`` °C from ``v_init = -80`` mV (:data:`COMPILE_OPTIONS`), as Hay's
protocols do. docs/hay_l5pc.md describes the model and its validation against NEURON.
"""

from __future__ import annotations

import os

import numpy as np

from ..model._cell import Cell
from ..model._distributions import path_distances
from ._hay_biophysics import insert_biophys3
from ._hay_geometry import hay_geometry

COMPILE_OPTIONS = {"celsius": 34.0, "v_init_mV": -80.0}
"""Keyword arguments for :func:`dendrax.compile` that Hay's simulations use (°C, mV)."""


def apical_root(cell: Cell) -> int:
    """Index of the apical root branch (NEURON's ``apic[0]``: the first apical section)."""
    for k, b in enumerate(cell.geometry.branches):
        if b.kind == "apical":
            return k
    raise ValueError("apical_root: the cell has no apical branch (SWC type 4).")


def hay_l5pc(swc: str | os.PathLike | None = None, *, stub_diam_um: float = 1.0) -> Cell:
    """Hay's L5PC with ``L5PCbiophys3`` on ``swc`` (default: the bundled
    ``l5pc_with_axon.swc``).

    The geometry is :func:`~dendrax.models.hay_geometry` (NEURON's Import3d sections,
    ``nseg = 1 + 2 int(L/40)``, the axon replaced by two 30 µm × ``stub_diam_um`` pas
    sections at the soma's centre); the biophysics
    :func:`~dendrax.models.insert_biophys3`, with distances measured from the x = 0 end of
    the apical root (``apic[0](0)``) as in Hay's code.

    No stimulus or recording is added. Compile with ``dendrax.compile(cell, dt_ms, t_stop_ms,
    **COMPILE_OPTIONS)``.
    """
    cell = Cell(hay_geometry(swc, stub_diam_um=stub_diam_um))
    insert_biophys3(cell, apical_origin=(apical_root(cell), 0.0))
    return cell


def apical_site(cell: Cell, distance_um: float) -> tuple[int, float]:
    """``(branch, x)`` of the thickest apical branch at ``distance_um`` (µm) from the apical
    root's start, as Hay's BAC protocol places its dendritic EPSP: ``locateSites("apic",
    620)`` lists every apical section with ``distance(0) <= d <= distance(1)``, and the first
    of largest diameter there wins (Hay's ``if (diam > maxdiam)``). Diameters equal to 1e-9
    relative count as equal, so that the choice does not hang on round-off (this cell has
    two 1.83 µm branches at 620 µm). ``x`` is the exact position on the branch; a stimulus
    there lands in the compartment containing it.
    """
    geometry = cell.geometry
    root = apical_root(cell)
    # every branch's x=0 end: its first compartment's centre minus half its length
    centre = path_distances(geometry, (root, 0.0), "centre")
    candidates: list[tuple[float, int, float]] = []
    for k, b in enumerate(geometry.branches):
        if b.kind != "apical":
            continue
        start = float(centre[int(geometry.offsets[k])] - b.length_um[0] / 2.0)
        length = b.total_length_um
        if start <= distance_um <= start + length:
            x = (distance_um - start) / length
            diam = float(b.diam_um[min(int(np.floor(x * b.ncomp)), b.ncomp - 1)])
            candidates.append((diam, k, x))
    if not candidates:
        raise ValueError(
            f"apical_site(distance_um={distance_um}): no apical branch reaches this distance "
            "from the apical root's start."
        )
    widest = max(c[0] for c in candidates)
    _, branch, x = next(c for c in candidates if c[0] >= widest * (1.0 - 1e-9))
    return branch, x
