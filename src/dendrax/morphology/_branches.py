"""Splitting a tree of SWC points into branches: maximal unbranched runs of points.

Rules (vectorised over all points):

- a run continues from a point into its child when that child is its only child and has the same
  type; a type change (soma -> dendrite, dendrite -> axon, ...) always starts a new branch;
- the soma is split only where the soma itself branches: a soma point continues into its single
  soma child, and non-soma children leaving interior soma points do not cut the soma (NEURON's
  Import3d treats the soma the same way);
- the root continues into its first child (lowest index) of its own type even when it has
  several; the other children start branches attached at the root's first point. The first
  point of a branch leaving the soma may likewise carry further children (Import3d attaches
  them to that branch's x=0 end);
- a NeuroMorpho three-point soma is one branch ordered ``[+r end, centre, -r end]``, i.e. a
  cylinder of length ``2r`` whose centre carries the children.

Branches are numbered by their first point in tree order, so parents come before children.
"""

from __future__ import annotations

import numpy as np

from ._soma import SomaStyle
from ._swc import SWCPoints


def _continuation(points: SWCPoints) -> np.ndarray:
    """``cont[k]``: the child that continues point k's branch, or -1 where the branch ends."""
    n = points.n_points
    parent, types = points.parent, points.types
    cont = np.full(n, -1, dtype=np.int64)
    if n == 1:
        return cont
    child = np.arange(1, n)
    par = parent[1:]
    same = types[child] == types[par]
    n_children = np.bincount(par, minlength=n)
    n_same = np.bincount(par[same], minlength=n)
    first_same = np.full(n, -1, dtype=np.int64)
    # children are in increasing index order: the first occurrence is the lowest index
    uniq, at = np.unique(par[same], return_index=True)
    first_same[uniq] = child[same][at]
    soma = types == 1
    is_root = parent < 0
    parent_is_soma = np.zeros(n, dtype=bool)
    parent_is_soma[1:] = soma[par]
    single = np.where(soma, n_same == 1, (n_children == 1) & (n_same == 1))
    # the root, and the first point of a branch leaving the soma, keep their first same-type
    # child as continuation even when they branch
    head = is_root | (~soma & parent_is_soma)
    keep_first = head & (n_same >= 1)
    go = single | keep_first
    cont[go] = first_same[go]
    return cont


def split_branches(
    points: SWCPoints, soma: SomaStyle
) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Branches of the point tree.

    Returns:
        ``(members, parent_branch, parent_point)``: the point indices of every branch in order
        along it, the parent branch of every branch (-1 for the root branch) and the index of
        the point (in tree order) it is attached to (-1 for the root branch).
    """
    n = points.n_points
    parent = points.parent
    cont = _continuation(points)
    if soma is SomaStyle.THREE_POINT:
        cont[0] = -1  # points 1 and 2 are joined to the root below
    continues = np.zeros(n, dtype=bool)
    continues[1:] = cont[parent[1:]] == np.arange(1, n)
    if soma is SomaStyle.THREE_POINT:
        continues[1:3] = True
    # label every point with the first point of its branch (pointer jumping)
    label = np.where(continues, np.maximum(parent, 0), np.arange(n))
    while True:
        nxt = label[label]
        if np.array_equal(nxt, label):
            break
        label = nxt
    starts = np.flatnonzero(~continues)
    branch_of_start = np.full(n, -1, dtype=np.int64)
    branch_of_start[starts] = np.arange(starts.size)
    branch = branch_of_start[label]
    order = np.argsort(branch, kind="stable")  # tree order within a branch = order along it
    bounds = np.searchsorted(branch[order], np.arange(starts.size + 1))
    members = [order[bounds[b] : bounds[b + 1]] for b in range(starts.size)]
    if soma is SomaStyle.THREE_POINT:
        members[0] = np.array([1, 0, 2], dtype=np.int64)
    parent_point = np.where(parent[starts] >= 0, parent[starts], -1)
    parent_branch = np.where(parent_point >= 0, branch[np.maximum(parent_point, 0)], -1)
    return members, parent_branch, parent_point
