"""NEURON's Import3d rules for cutting an SWC tree into sections (``Import3d_SWC_read`` followed
by ``Import3d_GUI.instantiate``, NEURON 9.0.2), re-derived from its documented behaviour and
checked section by section against NEURON in tests/test_swc_neuron.py.

Points are taken in tree order (NEURON: ascending id). A section is a run of consecutive points
in that order; point ``k`` ends its section unless it has exactly one child, that child is
``k + 1`` and has the same type. Exceptions:

1. soma points: ``k`` continues into the soma point ``k + 1`` when that is its child, whatever
   else hangs off ``k``, unless ``k`` is not the root and has two or more soma children;
2. NeuroMorpho three-point soma (see :mod:`._soma`): one section with only the centre point;
3. a point that is the first point of a dendrite leaving the soma (or a non-soma root) keeps
   its section running into ``k + 1``; its other children attach at that section's x = 0.

Every non-root section starts with a copy of its parent point, then its own points. Where it
attaches (``parent_x``) and whether the copy is dropped (a "wire": the section starts at its own
first point and is only logically connected) follows these rules:

- parent is a one-point (or three-point) soma: ``x = 0.5``; wire if it has >= 2 own points;
- attached to the root's first point: ``x = 0``; wire for a dendrite when that soma point has
  >= 2 soma children;
- attached to an interior point of a soma section: ``x = 0.5``; wire for a dendrite with >= 2
  own points;
- attached to the last point of a soma section: ``x = 1``; wire for a dendrite with >= 2 own
  points when that point has >= 2 soma children;
- otherwise ``x = 1`` (the parent's end); rule 3's extra children: ``x = 0``.

A dendrite leaving a soma section gets its own first diameter on the copied parent point. A
non-root section whose points (after dropping the copy) are one point, or two points at the same
place (compared in single precision), is removed; its children move to its parent at its
``x``. A root of one point becomes a sphere: three points ``x - d/2, x, x + d/2`` along the x
axis with diameter d (area π d²). Sections are named by type in order: ``soma[i]``,
``axon[i]``, ``dend[i]``, ``apic[i]``, ``dend_<type>[i]`` (``minus_<n>[i]`` for negative types).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from ._swc import SWCPoints

_NAMES = {1: "soma", 2: "axon", 3: "dend", 4: "apic"}


def section_base_name(swc_type: int) -> str:
    if swc_type in _NAMES:
        return _NAMES[swc_type]
    return f"minus_{-swc_type}" if swc_type < 0 else f"dend_{swc_type}"


@dataclasses.dataclass(frozen=True)
class Section:
    """One NEURON section: its pt3d points as point indices (a copy of the parent point first,
    unless it is a wire), the diameter override of that first point, and its attachment."""

    name: str
    swc_type: int
    points: np.ndarray
    first_diam_from: int  # point whose diameter the first pt3d point takes (itself if no override)
    parent: int
    parent_x: float
    sphere: bool = False  # a one-point root, drawn as a 3-point cylinder of length = diam


def _section_ends(
    points: SWCPoints, three_point: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(ends, parent, n_soma_children, to_x0)``: which points end a section, the parent index
    used for sections (NEURON relinks the third point of a three-point soma), the number of soma
    children of every point and rule 3's flag per point."""
    n = points.n_points
    t, parent = points.types, points.parent.copy()
    idx = np.arange(n)
    child, p = idx[1:], parent[1:]
    contiguous = p == child - 1
    grand = np.where(p > 0, parent[np.maximum(p, 0)], -1)
    to_x0 = np.zeros(n, dtype=bool)
    to_x0[1:] = ~contiguous & (
        ((p > 1) & (t[p] != 1) & (t[np.maximum(grand, 0)] == 1)) | ((p == 0) & (t[0] != 1))
    )
    n_children = np.bincount(p, minlength=n)
    last_child = np.full(n, -1, dtype=np.int64)
    np.maximum.at(last_child, p, child)
    ends = np.ones(n, dtype=bool)
    k = idx[:-1]
    ends[:-1] = ~((n_children[k] == 1) & (last_child[k] == k + 1) & (t[k + 1] == t[k]))
    if to_x0.any():  # rule 3: the count restarts at the last such child
        last_x0 = np.full(n, -1, dtype=np.int64)
        np.maximum.at(last_x0, p[to_x0[1:]], child[to_x0[1:]])
        has = np.flatnonzero(last_x0 >= 0)
        ends[has] = ~((last_child[has] == last_x0[has]) & (t[last_x0[has]] == t[has]))
    soma_child = (t[child] == 1) & (t[p] == 1)
    n_soma_children = np.bincount(p[soma_child], minlength=n)
    if three_point:
        parent[2] = 1
    joined = (t[k] == 1) & (t[k + 1] == 1) & (parent[k + 1] == k)
    joined &= ~((k != 0) & (n_soma_children[k] > 1))
    ends[:-1] &= ~joined
    ends[-1] = True
    return ends, parent, n_soma_children, to_x0


@dataclasses.dataclass
class _Draft:
    points: np.ndarray
    diam_from: int
    parent: int
    parent_x: float
    swc_type: int


def import3d_sections(points: SWCPoints, three_point: bool) -> list[Section]:
    """NEURON's sections for an SWC tree (see the module docstring), parents first."""
    ends, parent, n_soma_children, to_x0 = _section_ends(points, three_point)
    t = points.types
    last = np.flatnonzero(ends)
    first = np.concatenate([[0], last[:-1] + 1])
    section_of = np.repeat(np.arange(last.size), last - first + 1)
    root_points = np.arange(1) if three_point else np.arange(last[0] + 1)
    drafts = [_Draft(root_points, 0, -1, 1.0, int(t[0]))]
    for s in range(1, last.size):
        f, own = int(first[s]), np.arange(first[s], last[s] + 1)
        pp = int(parent[f])
        ps = int(section_of[pp])
        ps_soma = bool(t[first[ps]] == 1)
        dendrite_on_soma = ps_soma and t[f] != 1
        x, wire, handled = 1.0, False, False
        if ps == 0:
            handled = True
            if dendrite_on_soma and root_points.size == 1:
                x, wire = 0.5, own.size > 1
            elif pp == 0:
                x, wire = 0.0, t[f] != 1 and n_soma_children[pp] > 1
            else:
                handled = False
        if not handled and ps_soma:
            ps_last = root_points[-1] if ps == 0 else last[ps]
            if pp < ps_last:
                x, wire = 0.5, dendrite_on_soma and own.size > 1
            elif own.size > 1 and n_soma_children[pp] > 1:
                wire = t[f] != 1
        if to_x0[f]:
            x = 0.0
        pts = own if wire else np.concatenate([[pp], own])
        diam_from = f if (dendrite_on_soma and not wire) else int(pts[0])
        drafts.append(_Draft(pts, diam_from, ps, x, int(t[f])))
    keep = _drop_empty(drafts, points.xyz_um.astype(np.float32))
    return _named(drafts, keep)


def _drop_empty(drafts: list[_Draft], xyz32: np.ndarray) -> np.ndarray:
    """Remove one-point and zero-length two-point sections (last first, comparing the points in
    single precision as Import3d reads them); their children move to their parent and x."""
    keep = np.ones(len(drafts), dtype=bool)
    for s in range(len(drafts) - 1, 0, -1):
        pts = drafts[s].points
        if pts.size <= 1 or (pts.size == 2 and np.array_equal(xyz32[pts[0]], xyz32[pts[1]])):
            keep[s] = False
            for child in drafts[s + 1 :]:
                if child.parent == s:
                    child.parent, child.parent_x = drafts[s].parent, drafts[s].parent_x
    return keep


def _named(drafts: list[_Draft], keep: np.ndarray) -> list[Section]:
    new_index = np.cumsum(keep) - 1
    counts: dict[int, int] = {}
    sections = []
    for s in np.flatnonzero(keep):
        d = drafts[s]
        k = counts.get(d.swc_type, 0)
        counts[d.swc_type] = k + 1
        sections.append(
            Section(
                name=f"{section_base_name(d.swc_type)}[{k}]",
                swc_type=d.swc_type,
                points=d.points,
                first_diam_from=d.diam_from,
                parent=int(new_index[d.parent]) if s > 0 else -1,
                parent_x=d.parent_x,
                sphere=bool(s == 0 and d.points.size == 1),
            )
        )
    return sections
