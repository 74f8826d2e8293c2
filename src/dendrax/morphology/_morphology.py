"""A reconstructed morphology: continuous branches of 3-D points, before discretisation.

:func:`read_swc` reads an SWC file into a :class:`Morphology`; :meth:`Morphology.to_geometry`
discretises it into compartments (a :class:`~dendrax.Geometry`) under a policy (how many
compartments) and a convention (how points become cables: NEURON's Import3d by default).
Lengths and radii in µm.
"""

from __future__ import annotations

import dataclasses
import os
from typing import TYPE_CHECKING

import numpy as np

from ._branches import split_branches
from ._geometry import Geometry
from ._soma import SomaStyle, check_soma
from ._swc import SWCPoints, parse_swc, type_label

if TYPE_CHECKING:
    from ..model._cell import Cell
    from ._convention import Convention
    from ._discretize import Policy


@dataclasses.dataclass(frozen=True)
class Branch:
    """One unbranched run of SWC points (see :mod:`dendrax.morphology._branches` for the rules).

    Attributes:
        points: indices of the branch's points in :attr:`Morphology.points` (tree order), in
            order along the branch. The attachment point on the parent is not included.
        xyz_um: coordinates of those points (µm), shape ``(n, 3)``.
        radius_um: radii (µm), shape ``(n,)``.
        parent: index of the parent branch, -1 for the root branch.
        parent_point: position (0-based) of the attachment point among the parent's points,
            -1 for the root branch.
        parent_x: where that point lies along the parent, as the fraction of the parent's path
            length (0 = its first point, 1 = its last point).
        kind: region label: "soma", "axon", "basal", "apical" or "type_<id>".
        swc_type: the SWC type id.
    """

    points: np.ndarray
    xyz_um: np.ndarray
    radius_um: np.ndarray
    parent: int
    parent_point: int
    parent_x: float
    kind: str
    swc_type: int

    @property
    def n_points(self) -> int:
        return int(self.points.size)

    @property
    def length_um(self) -> float:
        """Path length through the branch's own points (µm)."""
        return float(np.linalg.norm(np.diff(self.xyz_um, axis=0), axis=1).sum())


def _arc_fraction(xyz: np.ndarray, position: int, is_root: bool) -> float:
    """Fraction of the path length from the first point to point ``position``."""
    if xyz.shape[0] == 1:
        return 0.5 if is_root else 1.0  # a one-point soma is a sphere: children at its centre
    steps = np.linalg.norm(np.diff(xyz, axis=0), axis=1)
    total = steps.sum()
    if total == 0.0:
        return position / (xyz.shape[0] - 1)
    return float(steps[:position].sum() / total)


@dataclasses.dataclass(frozen=True)
class Morphology:
    """A neuron's reconstructed shape: branches of 3-D points, before discretisation.

    Attributes:
        points: the checked SWC points (tree order), see :class:`~dendrax.morphology.SWCPoints`.
        branches: the branches; the root branch (the soma) is first and parents come before
            their children.
        soma: how the file describes the soma (one point, three points, multi point or none).
    """

    points: SWCPoints
    branches: tuple[Branch, ...]
    soma: SomaStyle

    @classmethod
    def from_points(cls, points: SWCPoints, *, require_soma: bool = True) -> Morphology:
        """Split checked SWC points into branches (raises ``SWCError`` for a bad soma)."""
        soma = check_soma(points, require_soma)
        members, parent_branch, parent_point = split_branches(points, soma)
        position = np.empty(points.n_points, dtype=np.int64)
        for idx in members:
            position[idx] = np.arange(idx.size)
        branches: list[Branch] = []
        for b, idx in enumerate(members):
            pb = int(parent_branch[b])
            at = int(position[parent_point[b]]) if pb >= 0 else -1
            swc_type = int(points.types[idx[0]])
            branches.append(
                Branch(
                    points=idx,
                    xyz_um=points.xyz_um[idx],
                    radius_um=points.radius_um[idx],
                    parent=pb,
                    parent_point=at,
                    parent_x=_arc_fraction(branches[pb].xyz_um, at, pb == 0) if pb >= 0 else 1.0,
                    kind=type_label(swc_type),
                    swc_type=swc_type,
                )
            )
        return cls(points=points, branches=tuple(branches), soma=soma)

    @property
    def n_branches(self) -> int:
        return len(self.branches)

    @property
    def regions(self) -> tuple[str, ...]:
        """The region labels present, in order of first appearance."""
        return tuple(dict.fromkeys(b.kind for b in self.branches))

    def to_geometry(
        self, policy: Policy | None = None, *, convention: Convention | None = None
    ) -> Geometry:
        """Discretise into compartments.

        Args:
            policy: how many compartments per branch: :class:`~dendrax.NComp`,
                :class:`~dendrax.MaxLength` or :class:`~dendrax.DLambda` (default
                ``DLambda()``: NEURON's d_lambda = 0.1 at 100 Hz).
            convention: how points become cables: :class:`~dendrax.NeuronImport3d` (default:
                exactly NEURON's Import3d sections and 3-D geometry) or
                :class:`~dendrax.ReferenceConversion` (cylinders, as in the reference cases).

        Returns:
            A :class:`~dendrax.Geometry` whose branches are the convention's sections.
        """
        from ._convention import resolve

        policy, convention = resolve(policy, convention)
        return convention.geometry(self, policy)

    def to_cell(
        self, policy: Policy | None = None, *, convention: Convention | None = None
    ) -> Cell:
        """A :class:`~dendrax.Cell` on :meth:`to_geometry`'s result (NEURON's default cable
        properties, Ra = 35.4 Ω·cm and cm = 1 µF/cm²; change them with ``cell.set_cable``)."""
        from ..model._cell import Cell

        return Cell(self.to_geometry(policy, convention=convention))


def read_swc(path: str | os.PathLike, *, require_soma: bool = True) -> Morphology:
    """Read an SWC file into a :class:`Morphology` (coordinates and radii in µm).

    Args:
        path: the ``.swc`` file (7 columns: id type x y z radius parent; ``#`` comments).
        require_soma: raise if the file has no soma point (type 1). With ``False`` a soma-less
            tree is accepted and its root point starts the first branch.

    Raises:
        SWCError: (a ``ValueError``) for malformed or inconsistent files; the message names the
            file, the line and how to fix it.

    Example::

        morph = dendrax.read_swc("cell.swc")
        cell = morph.to_cell(dendrax.DLambda(d_lambda=0.1))
    """
    return Morphology.from_points(parse_swc(path), require_soma=require_soma)
