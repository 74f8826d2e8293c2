#!/usr/bin/env python
"""Write the JSON models of dendrax's own validation cases (``cases/dx_*.json``).

    python tests/validation/make_cases.py            # (re)write every dx_* JSON
    python tests/validation/regenerate_neuron.py     # then make their NEURON npz references

The ten cases without the ``dx_`` prefix are the shared NEURON reference set and are not written
here. These add what that set does not cover: several children on the root's x=0 end, very short
compartments, many children at one point, children attached at interior points, overlapping and
negative stimuli, sampled waveforms, Crank-Nicolson on a branched tree with gate recordings, a
higher temperature, and a 10,000-compartment cell. The models are deterministic (fixed seeds) and
every number is rounded so that the files stay small and read back exactly.
"""

from __future__ import annotations

import json
import math
import pathlib
import re
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _compare import CASES_DIR  # noqa: E402

UNITS = {
    "length_um": "micrometre",
    "diam_um": "micrometre",
    "Ra_ohm_cm": "ohm*cm",
    "cm_uF_cm2": "uF/cm^2",
    "gnabar/gkbar/gl (hh)": "S/cm^2",
    "g (pas)": "S/cm^2",
    "el/ena/ek/e": "mV",
    "celsius": "degC",
    "t/delay/dur/dt/tstop": "ms",
    "amp_nA/i_nA": "nA (positive = depolarising, injected into the compartment)",
    "v": "mV",
    "m/h/n": "dimensionless",
}
HH = {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3, "ena": 50.0, "ek": -77.0}
HH_DEND = {"gnabar": 0.03, "gkbar": 0.009, "gl": 0.0001, "el": -65.0, "ena": 50.0, "ek": -77.0}
PAS = {"g": 0.0001, "e": -65.0}
BE = {"name": "backward_euler", "neuron_secondorder": 0}
CN = {"name": "crank_nicolson", "neuron_secondorder": 2}


class Model:
    """A case under construction: branches, stimuli and recordings in the JSON layout."""

    def __init__(self, name, description, *, tstop, dt=0.025, celsius=6.3, v_init=-65.0, method=BE):
        self.data = {
            "format": "neuroref-case/1",
            "name": name,
            "description": description,
            "units": UNITS,
            "celsius": celsius,
            "v_init_mV": v_init,
            "dt_ms": dt,
            "tstop_ms": tstop,
            "method": method,
            "branches": [],
            "stimuli": [],
            "recordings": [],
        }

    @property
    def branches(self):
        return self.data["branches"]

    def branch(self, name, parent, length, ncomp, diam, *, parent_x=1.0, mech=None, Ra=100.0):
        """Add a branch; ``diam`` is one value, ``(d0, d1)`` for a linear taper, or a list.

        A taper gives each compartment the mean diameter over its stretch. Returns the index.
        """
        if isinstance(diam, tuple):
            d0, d1 = diam
            diam = [round(d0 + (d1 - d0) * (i + 0.5) / ncomp, 6) for i in range(ncomp)]
        elif not isinstance(diam, list):
            diam = [float(diam)] * ncomp
        self.branches.append(
            {
                "name": name,
                "parent": parent,
                "parent_x": None if parent < 0 else parent_x,
                "length_um": length,
                "ncomp": ncomp,
                "diam_um": diam,
                "Ra_ohm_cm": Ra,
                "cm_uF_cm2": 1.0,
                "mechanisms": {} if mech is None else mech,
            }
        )
        return len(self.branches) - 1

    def _where(self, branch, x):
        n = self.branches[branch]["ncomp"]
        comp = min(math.floor(x * n), n - 1)
        return {"branch": branch, "x": round((comp + 0.5) / n, 10), "comp": comp}

    def iclamp(self, branch, x, delay, dur, amp):
        self.data["stimuli"].append(
            {"type": "iclamp", **self._where(branch, x), "delay_ms": delay, "dur_ms": dur,
             "amp_nA": amp}
        )  # fmt: skip

    def waveform(self, branch, x, t_ms, i_nA):
        self.data["stimuli"].append(
            {"type": "waveform", **self._where(branch, x), "t_ms": list(t_ms), "i_nA": list(i_nA),
             "interpolation": "linear"}
        )  # fmt: skip

    def record(self, key, branch, x, var="v"):
        self.data["recordings"].append({"key": key, "var": var, **self._where(branch, x)})

    def finish(self):
        d = self.data
        d["n_branches"] = len(d["branches"])
        d["n_compartments"] = sum(b["ncomp"] for b in d["branches"])
        order = ["format", "name", "description", "units", "celsius", "v_init_mV", "dt_ms",
                 "tstop_ms", "method", "n_branches", "n_compartments", "branches", "stimuli",
                 "recordings"]  # fmt: skip
        return {k: d[k] for k in order}


def root_x0_children():
    m = Model(
        "dx_root_x0_children",
        "Three-compartment soma (L 30 um, diam 15 um, standard hh) with four children on its x=0 "
        "end (three passive basal dendrites of different lengths/diameters/ncomp and an hh axon) "
        "and a reduced-hh apical dendrite on its x=1 end that splits in two. One basal dendrite "
        "has a child of its own. Both root ends are zero-area junctions, reached through the "
        "half resistance of soma compartment 0 and 2 respectively. Soma step 0.5 nA 5-30 ms and "
        "a 0.2 nA step into a basal tip 20-35 ms.",
        tstop=40.0,
    )
    s = m.branch("soma", -1, 30.0, 3, 15.0, mech={"hh": HH})
    b0 = m.branch("basal0", s, 120.0, 5, (2.0, 1.0), parent_x=0.0, mech={"pas": PAS})
    b1 = m.branch("basal1", s, 80.0, 3, 1.0, parent_x=0.0, mech={"pas": PAS})
    b2 = m.branch("basal2", s, 200.0, 7, (2.5, 0.8), parent_x=0.0, mech={"pas": PAS})
    ax = m.branch("axon", s, 300.0, 15, 1.0, parent_x=0.0, mech={"hh": HH})
    ap = m.branch("apical", s, 250.0, 9, (3.0, 2.0), mech={"hh": HH_DEND})
    m.branch("apical_a", ap, 150.0, 5, 1.2, mech={"hh": HH_DEND})
    tuft = m.branch("apical_b", ap, 180.0, 6, 0.9, mech={"pas": PAS})
    b0c = m.branch("basal0_child", b0, 60.0, 3, 0.7, mech={"pas": PAS})
    m.iclamp(s, 0.5, 5.0, 25.0, 0.5)
    m.iclamp(b0c, 1.0, 20.0, 15.0, 0.2)
    m.record("v_soma", s, 0.5)
    m.record("v_soma_x0_comp", s, 0.0)
    m.record("v_axon_tip", ax, 1.0)
    m.record("v_basal0_child_tip", b0c, 1.0)
    m.record("v_basal2_mid", b2, 0.5)
    m.record("v_basal1_tip", b1, 1.0)
    m.record("v_tuft_tip", tuft, 1.0)
    return m


def short_compartments():
    m = Model(
        "dx_short_compartments",
        "Very short compartments (0.05-0.5 um) as left by SWC conversion: soma (L = diam = 20 um, "
        "hh) -> hillock of 0.2 um in 4 compartments of 0.05 um (diam 3, hh) -> initial segment "
        "1.5 um in 3 x 0.5 um (diam 1.5, hh) -> hh axon 200 um; on soma x=0 a 0.1 um stub (one "
        "compartment, diam 2) carrying two 0.3 um pieces (2 x 0.15 um), each continued by a "
        "passive dendrite. Huge axial conductances next to tiny capacitances (stiff, "
        "ill-conditioned tree system). v_init -70 mV (drift at start). Soma step 0.3 nA 2-20 ms.",
        tstop=25.0,
        v_init=-70.0,
    )
    s = m.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
    hil = m.branch("hillock", s, 0.2, 4, 3.0, mech={"hh": HH})
    ais = m.branch("ais", hil, 1.5, 3, 1.5, mech={"hh": HH})
    ax = m.branch("axon", ais, 200.0, 20, 1.0, mech={"hh": HH})
    stub = m.branch("dend_stub", s, 0.1, 1, 2.0, parent_x=0.0, mech={"pas": PAS})
    p1 = m.branch("piece1", stub, 0.3, 2, 1.5, mech={"pas": PAS})
    p2 = m.branch("piece2", stub, 0.3, 2, (1.2, 0.9), mech={"hh": HH_DEND})
    m.branch("dend1", p1, 150.0, 5, 1.2, mech={"pas": PAS})
    d2 = m.branch("dend2", p2, 100.0, 4, 0.8, mech={"pas": PAS})
    m.iclamp(s, 0.5, 2.0, 18.0, 0.3)
    m.record("v_soma", s, 0.5)
    m.record("v_hillock", hil, 0.4)
    m.record("v_ais_end", ais, 1.0)
    m.record("v_axon_tip", ax, 1.0)
    m.record("v_piece2", p2, 0.0)
    m.record("v_dend2_tip", d2, 1.0)
    return m


def many_children():
    m = Model(
        "dx_many_children",
        "Star branch points: ten children on the soma's x=1 end (soma L = diam = 18 um, hh) with "
        "lengths 40-300 um, diameters 0.4-3 um, ncomp 1-9 and a mix of passive, reduced-hh and "
        "mechanism-free (pure capacitor) membranes; one of them (hub) carries eight children on "
        "its x=1 end. Soma step 0.6 nA 2-22 ms, a 0.15 nA step into one grandchild 10-28 ms.",
        tstop=30.0,
    )
    s = m.branch("soma", -1, 18.0, 1, 18.0, mech={"hh": HH})
    lengths = [40.0, 300.0, 120.0, 75.0, 200.0, 150.0, 60.0, 90.0, 250.0]
    diams = [0.4, 3.0, 1.0, (1.5, 0.6), 2.0, 0.8, 0.5, 1.2, (2.2, 1.0)]
    ncomps = [1, 9, 3, 2, 7, 5, 1, 3, 9]
    mechs = [{"pas": PAS}, {"hh": HH_DEND}, {}, {"pas": PAS}, {"hh": HH_DEND}, {"pas": PAS},
             {}, {"hh": HH_DEND}, {"pas": PAS}]  # fmt: skip
    star = [
        m.branch(f"star{i}", s, L, n, d, mech=me)
        for i, (L, n, d, me) in enumerate(zip(lengths, ncomps, diams, mechs))
    ]
    hub = m.branch("hub", s, 100.0, 5, (2.5, 2.0), mech={"hh": HH_DEND})
    kids = []
    for j in range(8):
        kids.append(
            m.branch(
                f"hub_child{j}",
                hub,
                30.0 + 25.0 * j,
                1 + (j * 3) % 7,
                round(0.5 + 0.2 * ((j * 5) % 8), 3),
                mech=[{"pas": PAS}, {"hh": HH_DEND}, {}][j % 3],
            )
        )
    m.iclamp(s, 0.5, 2.0, 20.0, 0.6)
    m.iclamp(kids[4], 1.0, 10.0, 18.0, 0.15)
    m.record("v_soma", s, 0.5)
    m.record("v_hub_end", hub, 1.0)
    m.record("v_star1_tip", star[1], 1.0)
    m.record("v_star2_capacitor", star[2], 1.0)
    m.record("v_hub_child4_tip", kids[4], 1.0)
    m.record("v_hub_child2_tip", kids[2], 1.0)
    return m


def interior_attach():
    m = Model(
        "dx_interior_attach",
        "Children attached at interior points (they join the node of the parent compartment "
        "containing parent_x; no zero-area junction): an axon at soma x=0.5 (soma: 3 "
        "compartments, L 25 um, diam 12 um, hh), obliques on a 7-compartment apical trunk at "
        "x=0.5 (a compartment centre) and x=0.3 (inside compartment 2, centre 0.357), a child "
        "at x=0.3 of a 5-compartment oblique (centre of compartment 1), plus a tuft at the trunk "
        "end. Soma step 0.4 nA 3-25 ms, a 0.1 nA step into an oblique tip 15-30 ms.",
        tstop=35.0,
    )
    s = m.branch("soma", -1, 25.0, 3, 12.0, mech={"hh": HH})
    ax = m.branch("axon_mid_soma", s, 250.0, 11, 1.0, parent_x=0.5, mech={"hh": HH})
    tr = m.branch("trunk", s, 350.0, 7, (3.0, 1.6), mech={"hh": HH_DEND})
    o5 = m.branch("oblique_x0.5", tr, 120.0, 5, 0.9, parent_x=0.5, mech={"pas": PAS})
    o3 = m.branch("oblique_x0.3", tr, 90.0, 4, 0.7, parent_x=0.3, mech={"hh": HH_DEND})
    oc = m.branch("oblique_child_x0.3", o5, 70.0, 3, 0.5, parent_x=0.3, mech={"pas": PAS})
    tuft = m.branch("tuft", tr, 100.0, 4, 1.0, mech={"pas": PAS})
    m.iclamp(s, 0.5, 3.0, 22.0, 0.4)
    m.iclamp(o3, 1.0, 15.0, 15.0, 0.1)
    m.record("v_soma_mid", s, 0.5)
    m.record("v_soma_x1_comp", s, 1.0)
    m.record("v_axon_tip", ax, 1.0)
    m.record("v_trunk_mid", tr, 0.5)
    m.record("v_oblique_x0.3_tip", o3, 1.0)
    m.record("v_oblique_child_tip", oc, 1.0)
    m.record("v_tuft_tip", tuft, 1.0)
    return m


def overlapping_stimuli():
    m = Model(
        "dx_overlapping_stimuli",
        "Ball (L = diam = 20 um, hh) and stick (300 um, diam 2, 9 compartments, reduced hh) with "
        "a basal stub on soma x=0. Overlapping stimuli that add up: at the soma a 0.35 nA step "
        "5-40 ms, a -0.8 nA (hyperpolarising) step 15-20 ms on top of it, and a piecewise-linear "
        "waveform (0 -> 0.25 nA ramp, negative dip to -0.3 nA, back to 0); at the dendrite tip "
        "two identical 0.05 nA steps 25-35 ms plus a waveform ramp. Anode-break after the "
        "negative pulse.",
        tstop=45.0,
    )
    s = m.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
    d = m.branch("dend", s, 300.0, 9, 2.0, mech={"hh": HH_DEND})
    b = m.branch("basal", s, 80.0, 3, 1.0, parent_x=0.0, mech={"pas": PAS})
    m.iclamp(s, 0.5, 5.0, 35.0, 0.35)
    m.iclamp(s, 0.5, 15.0, 5.0, -0.8)
    m.waveform(s, 0.5, [0.0, 10.0, 22.0, 24.5, 27.0, 45.0], [0.0, 0.25, 0.25, -0.3, 0.0, 0.0])
    m.iclamp(d, 1.0, 25.0, 10.0, 0.05)
    m.iclamp(d, 1.0, 25.0, 10.0, 0.05)
    m.waveform(d, 1.0, [0.0, 30.0, 45.0], [0.0, 0.0, 0.12])
    m.record("v_soma", s, 0.5)
    m.record("v_dend_tip", d, 1.0)
    m.record("v_dend_mid", d, 0.5)
    m.record("v_basal_tip", b, 1.0)
    return m


def sampled_waveform():
    rng = np.random.default_rng(20240611)
    t, ts = [0.0], 0.0
    while ts < 60.0:  # irregular sample spacing 0.013-0.9 ms, off and on the dt grid
        ts = round(ts + float(rng.uniform(0.013, 0.9)), 4)
        t.append(min(ts, 60.0))
    t = sorted(set(t) | {3.0125, 5.0})  # 3.0125 is a step midpoint, 5.0 a grid point
    noise = np.cumsum(rng.normal(0.0, 0.06, len(t)))
    noise -= np.linspace(0.0, noise[-1], len(t))  # a bridge: mean-reverting, ends near 0
    base = np.interp(t, [0.0, 4.0, 8.0, 50.0, 54.0, 60.0], [0.0, 0.0, 0.35, 0.35, 0.0, 0.0])
    i = [round(float(x), 4) for x in base + noise]
    i[0] = 0.0
    # a burst narrower than dt: five samples inside the step 30.000-30.025 (midpoint 30.0125)
    burst_t = [30.004, 30.009, 30.0125, 30.017, 30.0205]
    burst_i = np.interp(burst_t, t, i) + np.array([0.0, 0.6, 0.3, -0.5, 0.0])
    keep = [j for j, tj in enumerate(t) if not burst_t[0] <= tj <= burst_t[-1]]
    pairs = sorted([(t[j], i[j]) for j in keep] + list(zip(burst_t, burst_i)))
    t = [p[0] for p in pairs]
    i = [round(float(p[1]), 4) for p in pairs]
    gaps = np.diff(t)
    m = Model(
        "dx_sampled_waveform",
        "Soma (L = diam = 20 um, hh) and a 200 um reduced-hh dendrite (5 compartments) driven by "
        "a sampled current: a 0.35 nA plateau (4-54 ms) plus a random-walk bridge, given at "
        f"{len(t)} irregularly spaced samples ({gaps.min():.4g}-{gaps.max():.3g} ms apart, most "
        "off the dt grid, one on a step midpoint, one on a grid point, and a burst of five "
        "samples inside the single step 30-30.025 ms, of which only the midpoint value counts), "
        "linearly interpolated. NEURON plays it into an IClamp's amp with continuous "
        "(interpolating) Vector.play; the step n current is the interpolated value at "
        "t_n + dt/2.",
        tstop=60.0,
    )
    s = m.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
    d = m.branch("dend", s, 200.0, 5, 1.5, mech={"hh": HH_DEND})
    m.waveform(s, 0.5, t, i)
    m.record("v_soma", s, 0.5)
    m.record("v_dend_tip", d, 1.0)
    return m


def cn_branched_gates():
    m = Model(
        "dx_cn_branched_gates",
        "Crank-Nicolson (NEURON secondorder=2) on a branched tree with hh everywhere: soma "
        "(L = diam = 16 um) with two basal dendrites on x=0, an apical trunk on x=1 ending in "
        "four children (one of which splits again), an axon attached at soma x=0. Records "
        "hh gates m, h, n in the soma and in a dendrite (gates are the exponential-Euler update "
        "at the new, extrapolated voltage). Soma step 0.4 nA 2-25 ms.",
        tstop=30.0,
        method=CN,
    )
    s = m.branch("soma", -1, 16.0, 1, 16.0, mech={"hh": HH})
    m.branch("basal0", s, 100.0, 4, 1.2, parent_x=0.0, mech={"hh": HH_DEND})
    m.branch("basal1", s, 140.0, 5, (1.6, 0.8), parent_x=0.0, mech={"hh": HH_DEND})
    ax = m.branch("axon", s, 200.0, 10, 1.0, parent_x=0.0, mech={"hh": HH})
    tr = m.branch("trunk", s, 200.0, 7, (2.5, 1.8), mech={"hh": HH_DEND})
    tips = [
        m.branch(f"tuft{j}", tr, 80.0 + 30 * j, 3 + j, 0.6 + 0.2 * j, mech={"hh": HH_DEND})
        for j in range(4)
    ]
    m.branch("tuft0_a", tips[0], 60.0, 3, 0.5, mech={"hh": HH_DEND})
    tb = m.branch("tuft0_b", tips[0], 50.0, 2, 0.5, mech={"hh": HH_DEND})
    m.iclamp(s, 0.5, 2.0, 23.0, 0.4)
    m.record("v_soma", s, 0.5)
    for g in "mhn":
        m.record(f"{g}_soma", s, 0.5, var=g)
    m.record("v_trunk_mid", tr, 0.5)
    for g in "mhn":
        m.record(f"{g}_trunk_mid", tr, 0.5, var=g)
    m.record("v_axon_tip", ax, 1.0)
    m.record("v_tuft0_b_tip", tb, 1.0)
    return m


def hot_28C():
    m = Model(
        "dx_hh_28C_gates",
        "Temperature 28 C (hh q10 = 3^2.17, rates x 10.8) with dt = 0.01 ms: soma (L = diam = "
        "20 um, hh), a 150 um hh axon at soma x=0 and a 200 um reduced-hh dendrite at x=1. A "
        "train of brief 2 nA pulses (1 ms every 4 ms, 2-19 ms) into the soma: one spike each "
        "(a steady step only gives one spike this hot). Records m, h, n at the soma and the "
        "axon tip.",
        tstop=20.0,
        dt=0.01,
        celsius=28.0,
    )
    s = m.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
    ax = m.branch("axon", s, 150.0, 9, 1.0, parent_x=0.0, mech={"hh": HH})
    d = m.branch("dend", s, 200.0, 7, 1.5, mech={"hh": HH_DEND})
    for k in range(5):
        m.iclamp(s, 0.5, 2.0 + 4.0 * k, 1.0, 2.0)
    m.record("v_soma", s, 0.5)
    for g in "mhn":
        m.record(f"{g}_soma", s, 0.5, var=g)
    m.record("v_axon_tip", ax, 1.0)
    for g in "mhn":
        m.record(f"{g}_axon_tip", ax, 1.0, var=g)
    m.record("v_dend_tip", d, 1.0)
    return m


def tree_10k():
    m = Model(
        "dx_tree_10k",
        "10,000 compartments: soma (L = diam = 20 um, hh), a 2 mm hh axon (1000 x 2 um) and two "
        "basal dendrites at soma x=0, an apical trunk (600 um, 300 compartments) at x=1 ending "
        "in a 6-level binary tree (126 branches, reduced hh, diameters halving every two "
        "levels, 66-72 compartments each). Soma step 1 nA 1-8 ms; 10 ms.",
        tstop=10.0,
    )
    s = m.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
    ax = m.branch("axon", s, 2000.0, 1000, 1.0, parent_x=0.0, mech={"hh": HH})
    m.branch("basal0", s, 300.0, 150, 1.5, parent_x=0.0, mech={"pas": PAS})
    m.branch("basal1", s, 250.0, 125, 1.2, parent_x=0.0, mech={"pas": PAS})
    tr = m.branch("trunk", s, 600.0, 300, 3.0, mech={"hh": HH_DEND})
    used = sum(b["ncomp"] for b in m.branches)
    n_tree = 126
    per, extra = divmod(10_000 - used, n_tree)
    level, k, tip = [tr], 0, tr
    diam = {1: 2.0, 2: 1.4, 3: 1.0, 4: 0.7, 5: 0.5, 6: 0.35}
    for depth in range(1, 7):
        nxt = []
        for p in level:
            for _ in range(2):
                n = per + (1 if k < extra else 0)
                k += 1
                b = m.branch(f"tree_L{depth}_{k}", p, 2.0 * n, n, diam[depth],
                             mech={"hh": HH_DEND})  # fmt: skip
                nxt.append(b)
        level = nxt
    tip = level[-1]
    m.iclamp(s, 0.5, 1.0, 7.0, 1.0)
    m.record("v_soma", s, 0.5)
    m.record("v_axon_end", ax, 1.0)
    m.record("v_trunk_end", tr, 1.0)
    m.record("v_tree_tip", tip, 1.0)
    assert sum(b["ncomp"] for b in m.branches) == 10_000
    return m


CASES = [
    root_x0_children,
    short_compartments,
    many_children,
    interior_attach,
    overlapping_stimuli,
    sampled_waveform,
    cn_branched_gates,
    hot_28C,
    tree_10k,
]


def dumps(model: dict) -> str:
    """JSON with one field per line but every list of numbers on a single line."""
    text = json.dumps(model, indent=1)
    return re.sub(
        r"\[\s*([-+0-9.eE]+(?:,\s*[-+0-9.eE]+)*)\s*\]",
        lambda mt: "[" + ", ".join(x.strip() for x in mt.group(1).split(",")) + "]",
        text,
    )


def main() -> None:
    for make in CASES:
        model = make().finish()
        path = CASES_DIR / f"{model['name']}.json"
        text = dumps(model)
        assert json.loads(text) == model
        path.write_text(text + "\n")
        print(f"{path.name}: {model['n_compartments']} compartments, {len(text) // 1024} KiB")


if __name__ == "__main__":
    main()
