"""The cable graph of a cell (NumPy), and of many cells as a forest with index offsets."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...morphology._geometry import Geometry
from ...solve._tree import reroot_at_center


def build_topology(geometry: Geometry) -> tuple[np.ndarray, np.ndarray]:
    """Parent of every node and the two compartment halves of every edge.

    Returns ``parent`` (n_nodes,) and ``halves`` (n_nodes, 4): comp_a, side_a, comp_b, side_b.
    Junction nodes (zero area) are created at branch ends (x=0 of the root, x=1 of any branch)
    that carry children; other attachment points are compartment nodes.
    """
    offsets = geometry.offsets
    ncomp = geometry.ncomp
    n_comp = geometry.n_compartments
    branches = geometry.branches
    junction: dict[tuple[int, int], int] = {}
    for b in branches[1:]:
        if b.parent_x == 1.0:
            junction.setdefault((b.parent, 1), -1)
        elif b.parent_x == 0.0 and b.parent == 0:
            junction.setdefault((0, 0), -1)
    for i, key in enumerate(sorted(junction)):
        junction[key] = n_comp + i
    n_nodes = n_comp + len(junction)
    parent = np.full(n_nodes, -1, dtype=np.int64)
    halves = np.full((n_nodes, 4), -1, dtype=np.int64)
    halves[:, 1] = 0
    halves[:, 3] = 0

    def attachment(branch: int, x: float) -> int:
        if x == 1.0 or (x == 0.0 and branch == 0):
            return junction[(branch, int(x))]
        if x == 0.0:  # the x=0 end of a non-root branch is its own attachment node
            b = branches[branch]
            return attachment(b.parent, b.parent_x)
        return int(offsets[branch] + min(int(np.floor(x * ncomp[branch])), ncomp[branch] - 1))

    for k, b in enumerate(branches):
        first = offsets[k]
        for c in range(1, b.ncomp):  # inside the branch: right half of c-1 + left half of c
            parent[first + c] = first + c - 1
            halves[first + c] = (first + c, 0, first + c - 1, 1)
        if k > 0:
            parent[first] = attachment(b.parent, b.parent_x)
            halves[first] = (first, 0, -1, 0)
    for (k, end), node in junction.items():
        edge_comp = offsets[k] + (ncomp[k] - 1 if end == 1 else 0)
        parent[node] = edge_comp
        halves[node] = (edge_comp, end, -1, 0)
    # Root the tree at its centre: the same matrix, but chains are eliminated from both ends
    # towards the middle, which halves the rows of the level-scheduled solver on cables.
    parent, owner = reroot_at_center(parent)
    halves = np.where((owner >= 0)[:, None], halves[np.maximum(owner, 0)], [-1, 0, -1, 0])
    return parent, halves


def build_forest(geometries: Sequence[Geometry]) -> tuple[np.ndarray, np.ndarray]:
    """The forest of every cell's tree: ``parent`` and ``halves`` in the global numbering
    (compartments of all cells first, cell by cell, then their junction nodes, cell by cell).
    Cells that share one Geometry object share its topology, computed once and tiled with
    offsets."""
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    local = []
    for g in geometries:
        if id(g) not in cache:
            cache[id(g)] = build_topology(g)
        local.append((g.n_compartments, *cache[id(g)]))
    n_comp = sum(nc for nc, _, _ in local)
    n_nodes = sum(parent.size for _, parent, _ in local)
    parent_out = np.full(n_nodes, -1, dtype=np.int64)
    halves_out = np.empty((n_nodes, 4), dtype=np.int64)
    comp_off, junc_off = 0, n_comp
    for nc, parent, halves in local:
        n_junc = parent.size - nc
        # local node i -> global: compartments shift by comp_off, junctions to junc_off + (i - nc)
        to_global = np.concatenate([np.arange(nc) + comp_off, np.arange(n_junc) + junc_off])
        parent_out[to_global] = np.where(parent < 0, -1, to_global[np.maximum(parent, 0)])
        h = halves.copy()
        for col in (0, 2):  # compartment columns; -1 means "no half"
            h[:, col] = np.where(h[:, col] >= 0, h[:, col] + comp_off, -1)
        halves_out[to_global] = h
        comp_off += nc
        junc_off += n_junc
    return parent_out, halves_out
