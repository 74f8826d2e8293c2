"""The NEURON convention: the sections and 3-D geometry of NEURON's Import3d (NEURON 9.0.2).

Reproduces ``h.Import3d_SWC_read()`` + ``h.Import3d_GUI(reader, False).instantiate(None)``:

- sections, their order and names, attachment points and the soma rules: see
  :mod:`dendrax.morphology._import3d_sections`;
- the ``pt3d`` points: Import3d reads the SWC numbers in single precision (``sscanf("%f")``),
  writes every coordinate and diameter (2 × radius) with 8 significant digits (``%.8g``) and
  NEURON stores them in single precision; the path length (``arc3d``) adds
  ``sqrt(dx² + dy² + dz²)`` with the differences taken in single precision, in double;
- per compartment: NEURON's frustum area and half-compartment axial resistances
  (:mod:`dendrax.morphology._frustum`), stored as :class:`~dendrax.BranchGeometry` with length
  ``L/nseg``, diameter = NEURON's ``seg.diam`` (the mean diameter) and ``area_scale``,
  ``axial_scale_left/right`` relative to that cylinder, so that areas and axial resistances equal
  NEURON's ``seg.area()`` and ``seg.ri()``;
- :class:`~dendrax.DLambda` uses NEURON's ``fixnseg.hoc`` ``lambda_f``: with
  ``lam = Σ Δarc / sqrt(d_a + d_b)`` over the pt3d intervals,
  ``λ_f = L / (lam · sqrt(2) · 1e-5 · sqrt(4π f Ra cm))`` µm.

Branch ``k`` of the result is the k-th section in Import3d's creation order (parents first); its
``name`` is NEURON's section name (``"soma[0]"``, ``"dend[12]"``, ...), so ``h.allsec()`` maps by
name.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from ._convention import Convention
from ._discretize import Cables, Policy
from ._frustum import integrate_frusta, interpolate_points
from ._geometry import BranchGeometry, Geometry, cylinder_area, cylinder_half_axial
from ._import3d_sections import Section, import3d_sections
from ._soma import SomaStyle
from ._swc import SWCError, type_label

if TYPE_CHECKING:
    from ._morphology import Morphology


def single(values: np.ndarray) -> np.ndarray:
    """Values rounded to single precision (as float64): Import3d reads SWC numbers as floats."""
    return np.asarray(values, dtype=np.float64).astype(np.float32).astype(np.float64)


def hoc_pt3d(values: np.ndarray) -> np.ndarray:
    """``float(f"{v:.8g}")`` rounded to single precision: what ``pt3dadd`` stores."""
    values = np.asarray(values, dtype=np.float64)
    out = values.copy()
    nz = values != 0
    exp = np.floor(np.log10(np.abs(values[nz])))
    scale = 10.0 ** np.abs(7 - exp)  # exact powers of ten for |exponent| <= 22
    up = exp <= 7
    scaled = np.where(up, values[nz] * scale, values[nz] / scale)
    digits = np.round(scaled)
    out[nz] = np.where(up, digits / scale, digits * scale)
    near_tie = np.abs(np.abs(scaled - np.trunc(scaled)) - 0.5) < 1e-6
    for k in np.flatnonzero(nz)[near_tie]:  # let printf decide ties exactly
        out[k] = float(f"{values[k]:.8g}")
    return out.astype(np.float32).astype(np.float64)


@dataclasses.dataclass(frozen=True)
class Pt3d:
    """The pt3d data of all sections, flat: ``xyz_um`` (n, 3), ``diam_um``, ``arc_um`` (path
    position within the section) and ``section`` (index of every point's section)."""

    xyz_um: np.ndarray
    diam_um: np.ndarray
    arc_um: np.ndarray
    section: np.ndarray


def pt3d_points(morphology: Morphology, sections: list[Section]) -> Pt3d:
    """The ``pt3d`` points NEURON holds for every section (values as NEURON stores them)."""
    pts = morphology.points
    raw_xyz, raw_diam = single(pts.xyz_um), 2.0 * single(pts.radius_um)
    xyz_parts, diam_parts = [], []
    for sec in sections:
        xyz = raw_xyz[sec.points]
        diam = raw_diam[sec.points]
        diam[0] = raw_diam[sec.first_diam_from]
        if sec.sphere:  # a one-point soma: a cylinder of length = diameter along x
            xyz = np.repeat(xyz, 3, axis=0)
            xyz[0, 0] -= diam[0] / 2.0
            xyz[2, 0] += diam[0] / 2.0
            diam = np.repeat(diam, 3)
        xyz_parts.append(xyz)
        diam_parts.append(diam)
    section = np.repeat(np.arange(len(sections)), [d.size for d in diam_parts])
    xyz = hoc_pt3d(np.concatenate(xyz_parts).ravel()).reshape(-1, 3)
    diam = hoc_pt3d(np.concatenate(diam_parts))
    d = np.diff(xyz.astype(np.float32), axis=0).astype(np.float64)
    step = np.sqrt(d[:, 0] * d[:, 0] + d[:, 1] * d[:, 1] + d[:, 2] * d[:, 2])
    step[section[1:] != section[:-1]] = 0.0
    starts = np.flatnonzero(np.r_[True, section[1:] != section[:-1]])
    arc = np.zeros(section.size)
    for a, b in zip(starts, np.r_[starts[1:], section.size]):
        arc[a + 1 : b] = np.cumsum(step[a : b - 1])  # sequential sums, as NEURON
    return Pt3d(xyz_um=xyz, diam_um=diam, arc_um=arc, section=section)


def _fixnseg_lambda(p: Pt3d, length: np.ndarray):
    """NEURON's ``lambda_f(freq)`` from pt3d data, as a function of (f, Ra, cm) per section."""
    inside = p.section[1:] == p.section[:-1]
    term = np.diff(p.arc_um) / np.sqrt(p.diam_um[:-1] + p.diam_um[1:])
    lam = np.bincount(p.section[1:][inside], weights=term[inside], minlength=length.size)

    def lambda_um(frequency_hz, Ra_ohm_cm, cm_uF_cm2):
        factor = np.sqrt(2.0) * 1e-5 * np.sqrt(4.0 * np.pi * frequency_hz * Ra_ohm_cm * cm_uF_cm2)
        return length / (lam * factor)

    return lambda_um


@dataclasses.dataclass(frozen=True)
class NeuronImport3d(Convention):
    """NEURON's Import3d (the default): the same sections, attachment points, soma handling and
    per-compartment areas and axial resistances as NEURON 9.0.2 builds from the SWC file.

    See :mod:`dendrax.morphology._import3d` and ``._import3d_sections`` for the rules.
    """

    def sections(self, morphology: Morphology) -> list[Section]:
        """NEURON's sections (pt3d point indices, parents, attachment x, names)."""
        return import3d_sections(morphology.points, morphology.soma is SomaStyle.THREE_POINT)

    def geometry(self, morphology: Morphology, policy: Policy) -> Geometry:
        sections = self.sections(morphology)
        p = pt3d_points(morphology, sections)
        last = np.searchsorted(p.section, np.arange(len(sections)), side="right") - 1
        length = p.arc_um[last]
        kinds = tuple(type_label(s.swc_type) for s in sections)
        flat = np.flatnonzero(length <= 0)
        if flat.size:
            sec = sections[int(flat[0])]
            lines = sorted({int(morphology.points.line[i]) for i in sec.points})
            raise SWCError(
                f"{morphology.points.path}: section {sec.name} (lines {lines[0]}-{lines[-1]}) "
                "has zero length: all its points are at one place. Remove the duplicate points."
            )
        cables = Cables(length_um=length, kind=kinds, lambda_um=_fixnseg_lambda(p, length))
        nseg = np.asarray(policy.ncomp(cables), dtype=np.int64)
        frusta = integrate_frusta(p.arc_um, p.diam_um, p.section, nseg)
        centres = interpolate_points(p.arc_um, p.xyz_um, p.section, nseg)
        seg_len = np.repeat(length / nseg, nseg)
        d = frusta.mean_diam_um
        area_scale = frusta.area_um2 / cylinder_area(seg_len, d)
        half = cylinder_half_axial(seg_len, d)
        left, right = frusta.axial_left / half, frusta.axial_right / half
        bounds = np.concatenate([[0], np.cumsum(nseg)])
        branches = []
        for k, sec in enumerate(sections):
            sl = slice(bounds[k], bounds[k + 1])
            branches.append(
                BranchGeometry(
                    length_um=seg_len[sl],
                    diam_um=d[sl],
                    parent=sec.parent,
                    parent_x=sec.parent_x,
                    kind=kinds[k],
                    name=sec.name,
                    area_scale=area_scale[sl],
                    axial_scale_left=left[sl],
                    axial_scale_right=right[sl],
                    xyz_um=centres[sl],
                )
            )
        return Geometry(tuple(branches))
