"""The three ways SWC files describe a soma, and the checks that a soma is usable.

- **one point**: a single type-1 point, the root: a sphere of the point's radius.
- **three points** (NeuroMorpho.org's standard, Ascoli et al.; "soma format" at
  neuromorpho.org/SomaFormat.html): the root and two children at ``±r`` along one axis, all
  with radius ``r``: a cylinder of length and diameter ``2r`` whose lateral area equals the
  sphere's, ``4πr²``. The test is NEURON's Import3d one: exactly three soma points, points 2 and 3
  are childless children of the root, the three diameters are equal and the two distances from
  the root add up to the diameter within 1 % (all in single precision, as Import3d reads them).
- **multi point**: any other soma: a stack of frusta along a centre line (a "cylinder stack") or
  the points of a contour traced around the soma. Both are read as frusta between consecutive
  soma points, as NEURON's Import3d does for SWC files.
"""

from __future__ import annotations

import enum

import numpy as np

from ._swc import SWCError, SWCPoints, type_label


class SomaStyle(enum.Enum):
    """How the file describes the soma (see the module docstring)."""

    NONE = "none"
    ONE_POINT = "one_point"
    THREE_POINT = "three_point"
    MULTI_POINT = "multi_point"


def _is_neuromorpho_three_point(points: SWCPoints, soma: np.ndarray) -> bool:
    if soma.size != 3 or points.n_points < 3 or not np.array_equal(soma, [0, 1, 2]):
        return False
    parent = points.parent
    if parent[1] != 0 or parent[2] != 0:
        return False
    if np.any(parent[3:] == 1) or np.any(parent[3:] == 2):
        return False
    # compared in single precision, as NEURON's Import3d reads the file
    diam = 2.0 * points.radius_um[:3].astype(np.float32).astype(np.float64)
    if not diam[1] == diam[0] == diam[2]:
        return False
    xyz = points.xyz_um[:3].astype(np.float32).astype(np.float64)
    length = np.linalg.norm(xyz[1] - xyz[0]) + np.linalg.norm(xyz[2] - xyz[0])
    return bool(abs(length / diam[0] - 1.0) < 0.01)


def check_soma(points: SWCPoints, require_soma: bool = True) -> SomaStyle:
    """Classify the soma and check that it is the root of the tree and in one piece.

    Raises:
        SWCError: no soma (when ``require_soma``), a root that is not a soma point while the
            file has soma points, or soma points separated from the root soma by other points.
    """
    types = points.types
    soma = np.flatnonzero(types == 1)
    if soma.size == 0:
        if require_soma:
            raise SWCError(
                f"{points.path}: no soma: no point has type 1. Mark the soma points with type 1, "
                "or pass require_soma=False to read a tree without a soma (its root point then "
                "starts the first branch)."
            )
        return SomaStyle.NONE
    if types[0] != 1:
        raise SWCError(
            f"{points.where(0)}: the root point has type {types[0]} "
            f"({type_label(types[0])}) but the file has soma points (type 1, first at line "
            f"{points.line[soma[0]]}). Make a soma point the root (parent id -1)."
        )
    loose = soma[1:][types[points.parent[soma[1:]]] != 1]
    if loose.size:
        k = int(loose[0])
        p = int(points.parent[k])
        raise SWCError(
            f"{points.where(k)}: this soma point hangs off a {type_label(types[p])} point "
            f"(line {points.line[p]}); all soma points must connect to the root through soma "
            "points. Fix the type or the parent id."
        )
    if soma.size == 1:
        return SomaStyle.ONE_POINT
    if _is_neuromorpho_three_point(points, soma):
        return SomaStyle.THREE_POINT
    return SomaStyle.MULTI_POINT
