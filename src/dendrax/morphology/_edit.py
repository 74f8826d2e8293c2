"""Editing a discretised :class:`~dendrax.Geometry`: removing regions (e.g. a reconstructed
axon that a model replaces by a stub, as Hay et al. 2011 do).

NEURON's ``forsec axonal { delete_section() }`` deletes sections and leaves the rest of the tree
as it was; :func:`remove_regions` does the same on a Geometry: the remaining branches keep
their order, geometry and attachment points, and their parent indices are renumbered.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from ._geometry import BranchGeometry, Geometry


def remove_regions(geometry: Geometry, kinds: str | Iterable[str]) -> Geometry:
    """The geometry without every branch whose ``kind`` is in ``kinds``, nor any branch below
    one (a child of a removed branch goes with it, whatever its kind).

    Args:
        geometry: the cell's geometry.
        kinds: a region label ("axon") or several.

    Returns:
        A new Geometry; the remaining branches keep their relative order, and
        ``parent`` indices point into the new branch list.

    Raises:
        ValueError: if the root branch would be removed (nothing would be left to attach to)
            or no branch has one of the ``kinds``.
    """
    kinds = {kinds} if isinstance(kinds, str) else set(kinds)
    branches = geometry.branches
    if branches[0].kind in kinds:
        raise ValueError(
            f"remove_regions(kinds={sorted(kinds)}): the root branch (kind "
            f"{branches[0].kind!r}) would be removed; keep the root's region."
        )
    removed = [False] * len(branches)
    for k, b in enumerate(branches):
        removed[k] = b.kind in kinds or (b.parent >= 0 and removed[b.parent])
    if not any(removed):
        present = sorted({b.kind for b in branches})
        raise ValueError(
            f"remove_regions(kinds={sorted(kinds)}): no branch has such a kind; this geometry's "
            f"kinds are {present}."
        )
    new_index: dict[int, int] = {}
    kept: list[BranchGeometry] = []
    for k, b in enumerate(branches):
        if removed[k]:
            continue
        new_index[k] = len(kept)
        parent = -1 if b.parent < 0 else new_index[b.parent]
        kept.append(dataclasses.replace(b, parent=parent))
    return Geometry(tuple(kept))
