"""The reference convention: the cylinder conversion documented for the reference cases
(``reference/FORMAT.md``, "SWC-derived cases").

- The soma (all type-1 points) becomes the root: one cylinder with ``L = diam = sqrt(A/π)``, so
  that its lateral area is the soma area ``A``: ``4πr²`` for a one-point or NeuroMorpho
  three-point soma, else the sum of the lateral frustum areas
  ``π (r_a + r_b) sqrt(h² + (r_a - r_b)²)`` of the soma-soma edges.
- One branch per maximal unbranched run of points. A branch leaving a branch point includes
  that point, so the connecting edge counts towards its length; a branch leaving the soma starts
  at its own first point. (Where the first point of a branch leaving the soma is itself a
  branch point, that point is a branch of its own.)
- Length = path length; the diameter is piecewise linear between points and every compartment's
  diameter is its mean over the compartment's stretch of path. Branches shorter than 0.5 µm
  (zero-length duplicates) are lengthened to 0.5 µm, keeping their mean diameters.
- Children of the soma attach at soma x=1 if apical (type 4), else at x=0; all others at their
  parent's x=1.
- :class:`~dendrax.DLambda` uses the branch's mean diameter: ``λ_f = 1e5 sqrt(d/(4π f Ra cm))``.
- Branches are numbered depth first from the soma, children in file order; branch ``k`` is named
  ``f"{kind}_{k}"`` (the root ``"soma"``). Compartments are plain cylinders (all scales 1).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ._convention import Convention
from ._discretize import Cables, Policy, cylinder_lambda_um
from ._frustum import integrate_frusta, interpolate_points
from ._geometry import BranchGeometry, Geometry
from ._soma import SomaStyle

if TYPE_CHECKING:
    from ._morphology import Morphology

MIN_LENGTH_UM = 0.5


def soma_area_um2(morphology: Morphology) -> float:
    """The soma's membrane area (µm²) by the rules above."""
    pts = morphology.points
    if morphology.soma in (SomaStyle.ONE_POINT, SomaStyle.THREE_POINT):
        return float(4.0 * np.pi * pts.radius_um[0] ** 2)
    k = np.flatnonzero(pts.types == 1)[1:]
    p = pts.parent[k]
    h = np.linalg.norm(pts.xyz_um[k] - pts.xyz_um[p], axis=1)
    ra, rb = pts.radius_um[p], pts.radius_um[k]
    return float(np.sum(np.pi * (ra + rb) * np.sqrt(h * h + (ra - rb) ** 2)))


@dataclasses.dataclass
class _Piece:
    path: np.ndarray  # point indices along the cable (attachment point first where included)
    key: int  # first own point, for ordering children
    kind: str
    swc_type: int
    parent: int = -1  # index into the piece list
    parent_x: float = 1.0


def _pieces(morphology: Morphology) -> list[_Piece]:
    """The soma (piece 0) and one piece per branch run, before ordering."""
    pieces = [_Piece(np.zeros(0, dtype=np.int64), 0, "soma", 1)]
    piece_of: dict[int, int] = {}  # morphology branch -> piece holding its end
    head_of: dict[int, int] = {}  # morphology branch -> piece holding its first point
    branches = morphology.branches
    split = {b.parent for b in branches if b.parent >= 0 and b.parent_point == 0}
    for k, b in enumerate(branches):
        if b.kind == "soma":
            piece_of[k] = head_of[k] = 0
            continue
        on_soma = branches[b.parent].kind == "soma"
        if on_soma:
            x = 1.0 if b.swc_type == 4 else 0.0
            parent = 0
            path = b.points
        else:
            at_head = b.parent_point == 0 and b.parent in split
            parent = head_of[b.parent] if at_head else piece_of[b.parent]
            x = 1.0
            path = np.concatenate([[branches[b.parent].points[b.parent_point]], b.points])
        if k in split and on_soma:  # the first point is a branch point: a piece of its own
            pieces.append(_Piece(path[:1], int(path[0]), b.kind, b.swc_type, parent, x))
            head_of[k] = parent = len(pieces) - 1
            x = 1.0
            if b.points.size == 1:
                piece_of[k] = parent
                continue
        else:
            head_of[k] = len(pieces)
        own = b.points[1:] if k in split and on_soma else b.points
        pieces.append(_Piece(path, int(own[0]), b.kind, b.swc_type, parent, x))
        piece_of[k] = len(pieces) - 1
    return pieces


def _depth_first(pieces: list[_Piece]) -> list[int]:
    children: list[list[int]] = [[] for _ in pieces]
    for i, p in enumerate(pieces[1:], start=1):
        children[p.parent].append(i)
    order, stack = [], [0]
    while stack:
        i = stack.pop()
        order.append(i)
        stack.extend(sorted(children[i], key=lambda c: pieces[c].key, reverse=True))
    return order


@dataclasses.dataclass(frozen=True)
class ReferenceConversion(Convention):
    """The reference cases' cylinder conversion (see :mod:`dendrax.morphology._reference`)."""

    def geometry(self, morphology: Morphology, policy: Policy) -> Geometry:
        if morphology.soma is SomaStyle.NONE:
            raise ValueError(
                "ReferenceConversion needs a soma (type-1 points) as the root; use "
                "NeuronImport3d() for a tree without a soma."
            )
        pts = morphology.points
        pieces = _pieces(morphology)
        order = _depth_first(pieces)
        new_index = np.empty(len(pieces), dtype=np.int64)
        new_index[order] = np.arange(len(order))
        soma_len = np.sqrt(soma_area_um2(morphology) / np.pi)
        soma_xyz = pts.xyz_um[pts.types == 1].mean(axis=0)
        arcs, diams, xyzs = [np.array([0.0, soma_len])], [np.full(2, soma_len)], [soma_xyz[None]]
        for i in order[1:]:
            path = pieces[i].path
            if path.size == 1:
                path = np.repeat(path, 2)
            xyz = pts.xyz_um[path]
            arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(xyz, axis=0), axis=1))])
            if arc[-1] < MIN_LENGTH_UM:
                if arc[-1] > 0:
                    arc = arc * (MIN_LENGTH_UM / arc[-1])
                else:
                    arc = np.linspace(0.0, MIN_LENGTH_UM, arc.size)
            arcs.append(arc)
            diams.append(2.0 * pts.radius_um[path])
            xyzs.append(xyz)
        cable = np.repeat(np.arange(len(order)), [a.size for a in arcs])
        arc, diam = np.concatenate(arcs), np.concatenate(diams)
        length = np.array([a[-1] for a in arcs])
        mean_diam = integrate_frusta(arc, diam, cable, np.ones(len(order))).mean_diam_um
        kinds = tuple(pieces[i].kind for i in order)

        def lambda_um(frequency_hz, Ra_ohm_cm, cm_uF_cm2):
            return cylinder_lambda_um(mean_diam, frequency_hz, Ra_ohm_cm, cm_uF_cm2)

        nseg = np.asarray(policy.ncomp(Cables(length, kinds, lambda_um)), dtype=np.int64)
        comp_diam = integrate_frusta(arc, diam, cable, nseg).mean_diam_um
        xyz_flat = np.concatenate([np.repeat(xyzs[0], 2, axis=0), *xyzs[1:]])
        centres = interpolate_points(arc, xyz_flat, cable, nseg)
        bounds = np.concatenate([[0], np.cumsum(nseg)])
        branches = []
        for k, i in enumerate(order):
            sl = slice(bounds[k], bounds[k + 1])
            piece = pieces[i]
            branches.append(
                BranchGeometry(
                    length_um=np.full(nseg[k], length[k] / nseg[k]),
                    diam_um=comp_diam[sl],
                    parent=int(new_index[piece.parent]) if k > 0 else -1,
                    parent_x=piece.parent_x,
                    kind=piece.kind,
                    name="soma" if k == 0 else f"{piece.kind}_{k}",
                    xyz_um=centres[sl],
                )
            )
        return Geometry(tuple(branches))
