"""Membrane area and axial resistance of cables given by 3-D points (frusta), as NEURON computes
them from ``pt3d`` data.

A cable is a polyline of points with diameters, parametrised by the path length (arc) ``s``
from its first point; the diameter ``d(s)`` is linear between points. For ``nseg`` compartments of
length ``Δ = L / nseg`` NEURON integrates, separately over each half compartment ``[s0, s1]``:

- membrane area: the lateral area of the frusta,
  ``Σ π (d_a + d_b)/2 · sqrt(ds² + ((d_a - d_b)/2)²)`` over the pieces ``[s_a, s_b]`` of the
  polyline inside the half (diameters interpolated at the cuts). A diameter step between two
  points at the same position (zero length) adds the annulus ``π |d_a² - d_b²| / 4`` to the
  half that ends at that position (to the first half if the step is at s = 0), as NEURON does;
- axial resistance: ``∫ ds / (π d(s)² / 4) = Σ 4 ds / (π d_a d_b)`` (exact for linear d), in
  1/µm; times ``0.01 · Ra`` (Ra in Ω·cm) it is in MΩ;
- NEURON's ``seg.diam``: the mean diameter ``∫ d ds / Δ``.

These rules were checked against NEURON 9.0.2 (``seg.area()``, ``seg.ri()``, ``seg.diam``) to
round-off on all bundled morphologies (tests/test_swc_neuron.py).
"""

from __future__ import annotations

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Frusta:
    """Per-compartment integrals, flat over all cables (cable by cable).

    Attributes:
        area_um2: membrane area of every compartment (µm²).
        axial_left / axial_right: ``∫ ds / (π d²/4)`` over the compartment's left/right half
            (1/µm).
        mean_diam_um: mean diameter over the compartment (µm).
    """

    area_um2: np.ndarray
    axial_left: np.ndarray
    axial_right: np.ndarray
    mean_diam_um: np.ndarray


def integrate_frusta(
    arc_um: np.ndarray, diam_um: np.ndarray, cable: np.ndarray, nseg: np.ndarray
) -> Frusta:
    """Integrate piecewise-linear cables over their half compartments.

    Args:
        arc_um: path position of every point along its cable (µm), flat over all cables; each
            cable starts at 0 and is non-decreasing.
        diam_um: diameter at every point (µm, > 0).
        cable: the cable index of every point (sorted, 0..n_cables-1, each with >= 2 points).
        nseg: compartments per cable.
    """
    nseg = np.asarray(nseg, dtype=np.int64)
    n_cables = nseg.size
    last = np.searchsorted(cable, np.arange(n_cables), side="right") - 1
    length = arc_um[last]
    n_half = 2 * nseg
    half_len = length / n_half
    half_offset = np.concatenate([[0], np.cumsum(n_half)[:-1]])
    total_halves = int(n_half.sum())

    inside = cable[1:] == cable[:-1]  # consecutive points of one cable form an interval
    a0, a1 = arc_um[:-1][inside], arc_um[1:][inside]
    d0, d1 = diam_um[:-1][inside], diam_um[1:][inside]
    c = cable[:-1][inside]
    h, nh, L = half_len[c], n_half[c], length[c]

    # --- intervals of positive length, cut at the half-compartment boundaries ------------
    pos = a1 > a0
    a0p, a1p, d0p, d1p, cp, hp, nhp, Lp = (v[pos] for v in (a0, a1, d0, d1, c, h, nh, L))
    j_lo = np.clip(np.floor(a0p / hp), 0, nhp - 1).astype(np.int64)
    j_hi = np.clip(np.ceil(a1p / hp) - 1, 0, nhp - 1).astype(np.int64)
    j_hi = np.maximum(j_hi, j_lo)
    count = j_hi - j_lo + 1
    piece_of = np.repeat(np.arange(count.size), count)
    j = j_lo[piece_of] + (np.arange(piece_of.size) - np.repeat(np.cumsum(count) - count, count))
    hq, nhq = hp[piece_of], nhp[piece_of]
    lower = np.where(j == 0, 0.0, j * hq)
    upper = np.where(j + 1 == nhq, Lp[piece_of], (j + 1) * hq)
    ia0, ia1 = a0p[piece_of], a1p[piece_of]
    s0 = np.maximum(ia0, lower)
    s1 = np.minimum(ia1, upper)
    ds = np.maximum(s1 - s0, 0.0)
    slope = (d1p - d0p)[piece_of] / (ia1 - ia0)
    da = d0p[piece_of] + slope * (s0 - ia0)
    db = d0p[piece_of] + slope * (s1 - ia0)
    half = half_offset[cp[piece_of]] + j

    area = np.pi * (da + db) / 2.0 * np.sqrt(ds * ds + (da - db) ** 2 / 4.0)
    axial = 4.0 * ds / (np.pi * da * db)
    diam_ds = (da + db) / 2.0 * ds

    # --- diameter steps at one position (zero-length intervals): annulus area -------------
    step = ~pos & (d0 != d1)
    j_step = np.clip(np.ceil(a0[step] / h[step]) - 1, 0, nh[step] - 1).astype(np.int64)
    half_step = half_offset[c[step]] + j_step
    annulus = np.pi * np.abs(d0[step] ** 2 - d1[step] ** 2) / 4.0

    def per_half(index, weights):
        return np.bincount(index, weights=weights, minlength=total_halves)

    area_h = per_half(half, area) + per_half(half_step, annulus)
    axial_h = per_half(half, axial)
    diam_h = per_half(half, diam_ds)
    seg_len = np.repeat(length / nseg, nseg)
    return Frusta(
        area_um2=area_h[0::2] + area_h[1::2],
        axial_left=axial_h[0::2],
        axial_right=axial_h[1::2],
        mean_diam_um=(diam_h[0::2] + diam_h[1::2]) / seg_len,
    )


def interpolate_points(
    arc_um: np.ndarray, xyz_um: np.ndarray, cable: np.ndarray, nseg: np.ndarray
) -> np.ndarray:
    """Coordinates (µm) of every compartment centre, shape ``(sum(nseg), 3)``."""
    nseg = np.asarray(nseg, dtype=np.int64)
    n_cables = nseg.size
    last = np.searchsorted(cable, np.arange(n_cables), side="right") - 1
    length = arc_um[last]
    shift = np.concatenate([[0.0], np.cumsum(length + 1.0)[:-1]])  # cables apart on one line
    where = arc_um + shift[cable]
    seg_cable = np.repeat(np.arange(n_cables), nseg)
    rank = np.arange(seg_cable.size) - np.repeat(np.cumsum(nseg) - nseg, nseg)
    centre = shift[seg_cable] + (rank + 0.5) * (length / nseg)[seg_cable]
    return np.stack([np.interp(centre, where, xyz_um[:, k]) for k in range(3)], axis=1)
