"""Discretised cell geometry: branches of compartments, the input of :class:`dendrax.Cell`.

Units: lengths and diameters in µm, areas in µm², axial factors in 1/µm.

A compartment is described by its length ``L`` and an equivalent-cylinder diameter ``d``. Its
membrane area is ``area_scale · π d L`` and the axial resistance of its left/right half is
``0.01 · Ra · axial_scale · (L/2) / (π d²/4)`` MΩ (Ra in Ω·cm). For plain cylinders all scales
are 1. Geometry imported from 3-D points (NEURON's frusta) stores the exact area and the exact
integral of ``1/(π r²)`` over each half as scales relative to that cylinder, so that ``L`` and
``d`` remain meaningful (and trainable) while the simulated values equal NEURON's.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np

SWC_KINDS = {1: "soma", 2: "axon", 3: "basal", 4: "apical"}


def cylinder_area(length_um: np.ndarray, diam_um: np.ndarray) -> np.ndarray:
    """Lateral area π d L of cylinders (µm²), without end caps."""
    return np.pi * diam_um * length_um


def cylinder_half_axial(length_um: np.ndarray, diam_um: np.ndarray) -> np.ndarray:
    """``(L/2) / (π d²/4)`` in 1/µm: the axial factor of half a cylinder."""
    return (length_um / 2.0) / (np.pi * diam_um**2 / 4.0)


@dataclasses.dataclass(frozen=True)
class BranchGeometry:
    """One unbranched branch (NEURON: a section) split into compartments.

    Attributes:
        length_um: per-compartment length (µm), shape ``(ncomp,)``.
        diam_um: per-compartment equivalent-cylinder diameter (µm).
        parent: index of the parent branch, ``-1`` for the root.
        parent_x: where on the parent this branch's x=0 end is attached, in [0, 1]. 0 and 1 are
            the parent's ends (zero-area junction nodes, as in NEURON); any other x attaches to
            the node of the parent compartment containing x.
        kind: region label: "soma", "axon", "basal", "apical", or any user label.
        name: free text.
        area_scale: membrane area / (π d L) per compartment (1 for cylinders).
        axial_scale_left / axial_scale_right: half-compartment axial factor / cylinder value.
        xyz_um: optional compartment centre coordinates (µm), shape ``(ncomp, 3)``.
    """

    length_um: np.ndarray
    diam_um: np.ndarray
    parent: int = -1
    parent_x: float = 1.0
    kind: str = "undefined"
    name: str = ""
    area_scale: np.ndarray | None = None
    axial_scale_left: np.ndarray | None = None
    axial_scale_right: np.ndarray | None = None
    xyz_um: np.ndarray | None = None

    def __post_init__(self) -> None:
        length = np.atleast_1d(np.asarray(self.length_um, dtype=np.float64))
        diam = np.atleast_1d(np.asarray(self.diam_um, dtype=np.float64))
        where = f"branch {self.name!r}" if self.name else "branch"
        if length.ndim != 1 or length.size == 0:
            raise ValueError(f"{where}: length_um must be a non-empty 1-D array of µm.")
        if diam.shape != length.shape:
            raise ValueError(
                f"{where}: diam_um has {diam.size} values but length_um has {length.size}; "
                "give one diameter per compartment."
            )
        if not np.all(np.isfinite(length)) or np.any(length <= 0):
            raise ValueError(f"{where}: every compartment length must be finite and > 0 µm.")
        if not np.all(np.isfinite(diam)) or np.any(diam <= 0):
            raise ValueError(f"{where}: every compartment diameter must be finite and > 0 µm.")
        if not 0.0 <= float(self.parent_x) <= 1.0:
            raise ValueError(f"{where}: parent_x={self.parent_x} must lie in [0, 1].")
        object.__setattr__(self, "length_um", length)
        object.__setattr__(self, "diam_um", diam)
        object.__setattr__(self, "parent", int(self.parent))
        object.__setattr__(self, "parent_x", float(self.parent_x))
        for field in ("area_scale", "axial_scale_left", "axial_scale_right"):
            val = getattr(self, field)
            val = np.ones_like(length) if val is None else np.asarray(val, dtype=np.float64)
            if val.shape != length.shape or not np.all(np.isfinite(val)) or np.any(val <= 0):
                raise ValueError(f"{where}: {field} must hold {length.size} finite values > 0.")
            object.__setattr__(self, field, val)
        if self.xyz_um is not None:
            xyz = np.asarray(self.xyz_um, dtype=np.float64)
            if xyz.shape != (length.size, 3):
                raise ValueError(f"{where}: xyz_um must have shape ({length.size}, 3).")
            object.__setattr__(self, "xyz_um", xyz)

    @property
    def ncomp(self) -> int:
        return int(self.length_um.size)

    @property
    def total_length_um(self) -> float:
        return float(self.length_um.sum())

    @property
    def area_um2(self) -> np.ndarray:
        """Membrane area of every compartment (µm²)."""
        return self.area_scale * cylinder_area(self.length_um, self.diam_um)

    @classmethod
    def cylinder(
        cls,
        length_um: float,
        diam_um: float | np.ndarray,
        ncomp: int | None = None,
        **kwargs,
    ) -> BranchGeometry:
        """A branch of ``ncomp`` equal-length cylinders (NEURON's ``L``, ``diam``, ``nseg``).

        ``diam_um`` is one value or one per compartment (then ``ncomp`` may be omitted).
        """
        diam = np.atleast_1d(np.asarray(diam_um, dtype=np.float64))
        if ncomp is None:
            ncomp = diam.size
        if int(ncomp) != ncomp or ncomp < 1:
            raise ValueError(f"ncomp={ncomp} must be a positive integer.")
        ncomp = int(ncomp)
        if diam.size == 1:
            diam = np.full(ncomp, diam[0])
        elif diam.size != ncomp:
            raise ValueError(f"diam_um has {diam.size} values, expected 1 or ncomp={ncomp}.")
        if not np.isfinite(length_um) or length_um <= 0:
            raise ValueError(f"length_um={length_um} must be a finite length > 0 µm.")
        return cls(np.full(ncomp, float(length_um) / ncomp), diam, **kwargs)


@dataclasses.dataclass(frozen=True)
class Geometry:
    """A whole cell: branches whose parents come before them (branch 0 is the root)."""

    branches: tuple[BranchGeometry, ...]

    def __post_init__(self) -> None:
        branches = tuple(self.branches)
        if not branches:
            raise ValueError("A geometry needs at least one branch.")
        for k, b in enumerate(branches):
            if not isinstance(b, BranchGeometry):
                raise TypeError(f"branches[{k}] is {type(b).__name__}, expected BranchGeometry.")
            if k == 0 and b.parent != -1:
                raise ValueError("branches[0] is the root and must have parent=-1.")
            if k > 0 and not 0 <= b.parent < k:
                raise ValueError(
                    f"branches[{k}] has parent={b.parent}; every branch except the root must "
                    f"name an earlier branch (0..{k - 1}) as parent. Reorder the branches so "
                    "that parents come first."
                )
        object.__setattr__(self, "branches", branches)

    @property
    def n_branches(self) -> int:
        return len(self.branches)

    @functools.cached_property
    def ncomp(self) -> np.ndarray:
        return np.array([b.ncomp for b in self.branches], dtype=np.int64)

    @property
    def n_compartments(self) -> int:
        return int(self.ncomp.sum())

    @functools.cached_property
    def offsets(self) -> np.ndarray:
        """Index of every branch's first compartment in the flat compartment numbering."""
        return np.concatenate([[0], np.cumsum(self.ncomp)[:-1]]).astype(np.int64)

    def flat(self, field: str) -> np.ndarray:
        """Concatenate a per-compartment field (e.g. ``"length_um"``) over all branches."""
        return np.concatenate([np.asarray(getattr(b, field)) for b in self.branches])

    def branch_of_compartment(self) -> np.ndarray:
        return self._branch_of_compartment.copy()

    @functools.cached_property
    def _branch_of_compartment(self) -> np.ndarray:
        return np.repeat(np.arange(self.n_branches), self.ncomp)

    def kinds(self) -> np.ndarray:
        """Region label of every compartment."""
        return self._kinds.copy()

    @functools.cached_property
    def _kinds(self) -> np.ndarray:
        return np.repeat(np.array([b.kind for b in self.branches], dtype=object), self.ncomp)

    def compartment_index(self, branch: int, x: float) -> int:
        """Flat index of the compartment containing ``x`` on ``branch`` (NEURON's rule).

        ``comp = min(floor(x * ncomp), ncomp - 1)``, so x=0 is the first and x=1 the last.
        """
        if not isinstance(branch, (int, np.integer)) or not 0 <= branch < self.n_branches:
            raise ValueError(
                f"branch={branch!r} does not exist: this cell has branches "
                f"0..{self.n_branches - 1}."
            )
        if not np.isfinite(x) or not 0.0 <= x <= 1.0:
            raise ValueError(f"x={x} is outside [0, 1]; x runs along a branch from 0 to 1.")
        n = self.branches[branch].ncomp
        return int(self.offsets[branch] + min(int(np.floor(x * n)), n - 1))

    def path_distance_um(self) -> np.ndarray:
        """Path distance (µm) from the centre of the root's middle to every compartment centre.

        Measured along the cable from the root compartment containing x=0.5 (the soma centre for
        SWC cells), through attachment points, to each compartment's centre.
        """
        n = self.n_branches
        offsets = self.offsets
        centres = []  # centre position along each branch, µm from its x=0 end
        for b in self.branches:
            cum = np.cumsum(b.length_um)
            centres.append(cum - b.length_um / 2.0)
        root = self.branches[0]
        root_mid = root.total_length_um / 2.0
        dist = np.zeros(self.n_compartments)
        dist[: root.ncomp] = np.abs(centres[0] - root_mid)
        start = np.zeros(n)  # distance at each branch's x=0 end
        for k in range(1, n):
            b = self.branches[k]
            p = self.branches[b.parent]
            pos = b.parent_x * p.total_length_um
            if 0.0 < b.parent_x < 1.0:  # attached to the parent's compartment node
                c = min(int(np.floor(b.parent_x * p.ncomp)), p.ncomp - 1)
                pos = centres[b.parent][c]
            if b.parent == 0:
                start[k] = abs(pos - root_mid)
            else:
                start[k] = start[b.parent] + pos
            dist[offsets[k] : offsets[k] + b.ncomp] = start[k] + centres[k]
        return dist
