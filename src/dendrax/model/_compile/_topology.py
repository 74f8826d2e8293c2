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
    (compartments of all cells first, cell by cell, then their junction nodes). Cells that
    share one Geometry object share its topology, computed once and tiled with offsets."""
    cache: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    local = []
    for g in geometries:
        if id(g) not in cache:
            cache[id(g)] = build_topology(g)
        local.append((g.n_compartments, *cache[id(g)]))
    n_comp_total = sum(nc for nc, _, _ in local)
    comp_off = 0
    junc_off = n_comp_total
    parents, halves_all = [], []
    for nc, parent, halves in local:
        n_local = parent.size

        def to_global(i, nc=nc, comp_off=comp_off, junc_off=junc_off):
            return np.where(i < 0, -1, np.where(i < nc, i + comp_off, i - nc + junc_off))

        # junction nodes of this cell follow its compartments in the local numbering
        order = np.concatenate([np.arange(nc), np.arange(nc, n_local)])
        parents.append((order, to_global(parent)))
        h = halves.copy()
        h[:, 0] = np.where(h[:, 0] >= 0, h[:, 0] + comp_off, -1)
        h[:, 2] = np.where(h[:, 2] >= 0, h[:, 2] + comp_off, -1)
        halves_all.append((nc, h))
        comp_off += nc
        junc_off += n_local - nc
    n_nodes = junc_off
    parent_out = np.full(n_nodes, -1, dtype=np.int64)
    halves_out = np.tile(np.array([-1, 0, -1, 0], dtype=np.int64), (n_nodes, 1))
    comp_off, junc_off = 0, n_comp_total
    for (order, gparent), (nc, h) in zip(parents, halves_all):
        n_local = order.size
        dest = np.concatenate([np.arange(nc) + comp_off, np.arange(n_local - nc) + junc_off])
        parent_out[dest] = gparent
        halves_out[dest] = h
        comp_off += nc
        junc_off += n_local - nc
    return parent_out, halves_out
