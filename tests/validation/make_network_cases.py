#!/usr/bin/env python
"""Write the JSON models of dendrax's own network cases (``networks/dx_net_*.json``).

    python tests/validation/make_network_cases.py              # (re)write every dx_net_* JSON
    python tests/validation/regenerate_network_neuron.py       # then make their NEURON npz

The six ``net_*`` cases are the shared NEURON reference set and are not written here. These add
what that set does not cover: a network of template copies of a branched cell with several
synapse types per cell under Crank-Nicolson; spike-time lists with repeats, delays that round to
different slots, and g and gate recordings; many synapses on one compartment with long delays
(many events in flight); detectors on a dendrite and an axon, inhibitory synapses, autapses,
NetStims that emit nothing or fire faster than dt. The models are deterministic (fixed seeds),
and every number is rounded so that the files stay small and read back exactly.

When NEURON is installed, every model is also simulated (``--no-check`` skips this) and it must
pass, else nothing is written:
- every event delivery time lies at least ``TIE_MARGIN`` = 0.02 dt from a half-step point
  ``(m + 1/2) dt``, at dt and in a rerun at dt/2 (there in units of dt/2), so the slot of every
  event does not depend on round-off (NETWORK_FORMAT.md, "Ties");
- no sample of a detector's voltage lies within ``THRESHOLD_MARGIN`` of its threshold, and no
  crossing first shows at the last sample, so spike counts do not depend on round-off;
- v_init raised by 1e-9 mV changes no spike and moves no voltage by more than 1e-5 mV (the
  case is not chaotic at round-off level).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from make_cases import BE, CN, HH, HH_DEND, PAS, UNITS, Model, dumps  # noqa: E402
from regenerate_network_neuron import FORMAT, NETWORKS_DIR  # noqa: E402

NET_UNITS = {
    **UNITS,
    "weight_uS": "microsiemens (peak conductance of one event)",
    "g (synapse recording)": "microsiemens",
    "tau_ms/tau1_ms/tau2_ms/delay_ms/start_ms/interval_ms/t_ms": "ms",
    "e_mV/threshold_mV": "mV",
}
TIE_MARGIN = 0.02  # in units of dt
THRESHOLD_MARGIN_MV = 1e-3
PERTURB_MV = 1e-9
PERTURB_MAX_DV = 1e-5


def off_tie(delay: float, dt: float = 0.025, margin: float = 0.1) -> float:
    """``delay`` (rounded to 1 us) nudged up in 1 us steps until ``delay/dt`` and
    ``delay/(dt/2)`` lie at least ``margin`` from a half-integer: a spike on the grid then
    delivers well away from a tie, at dt and at dt/2."""
    d = round(delay, 3)
    while any(abs((d / h - 0.5) - round(d / h - 0.5)) < margin for h in (dt, dt / 2)):
        d = round(d + 0.001, 3)
    return d


def branches(build) -> list[dict]:
    """A branch list made with make_cases.Model's ``branch`` (``build(m)`` adds the branches)."""
    m = Model("template", "", tstop=1.0)
    build(m)
    return m.branches


class Net:
    """A network case under construction, in the ``neuroref-network/1`` layout."""

    def __init__(self, name, description, *, tstop, dt=0.025, celsius=6.3, v_init=-65.0, method=BE):
        self.data = {
            "format": FORMAT,
            "name": name,
            "description": description,
            "units": NET_UNITS,
            "celsius": celsius,
            "v_init_mV": v_init,
            "dt_ms": dt,
            "tstop_ms": tstop,
            "method": method,
            "templates": {},
            "cells": [],
            "stimuli": [],
            "synapses": [],
            "sources": [],
            "connections": [],
            "recordings": [],
        }

    def _branches(self, cell):
        c = self.data["cells"][cell]
        return c["branches"] if "branches" in c else self.data["templates"][c["template"]]

    def _where(self, cell, branch, x):
        n = self._branches(cell)[branch]["ncomp"]
        comp = min(math.floor(x * n), n - 1)
        return {"branch": branch, "x": round((comp + 0.5) / n, 10), "comp": comp}

    def template(self, name, branch_list):
        self.data["templates"][name] = branch_list
        return name

    def cell(self, name, *, template=None, branch_list=None, detector=None):
        """Add a cell; ``detector`` is ``(branch, x, threshold_mV)`` or None. Returns its id."""
        c = {"name": name}
        if template is not None:
            c["template"] = template
        else:
            c["branches"] = branch_list
        self.data["cells"].append(c)
        k = len(self.data["cells"]) - 1
        if detector is not None:
            b, x, thr = detector
            c["spike_detector"] = {**self._where(k, b, x), "threshold_mV": thr}
        return k

    def iclamp(self, cell, branch, x, delay, dur, amp):
        self.data["stimuli"].append(
            {"type": "iclamp", "cell": cell, **self._where(cell, branch, x), "delay_ms": delay,
             "dur_ms": dur, "amp_nA": amp}
        )  # fmt: skip

    def waveform(self, cell, branch, x, t_ms, i_nA):
        self.data["stimuli"].append(
            {"type": "waveform", "cell": cell, **self._where(cell, branch, x),
             "t_ms": list(t_ms), "i_nA": list(i_nA), "interpolation": "linear"}
        )  # fmt: skip

    def expsyn(self, cell, branch, x, tau, e):
        self.data["synapses"].append(
            {"type": "expsyn", "cell": cell, **self._where(cell, branch, x), "tau_ms": tau,
             "e_mV": e}
        )  # fmt: skip
        return len(self.data["synapses"]) - 1

    def exp2syn(self, cell, branch, x, tau1, tau2, e):
        self.data["synapses"].append(
            {"type": "exp2syn", "cell": cell, **self._where(cell, branch, x), "tau1_ms": tau1,
             "tau2_ms": tau2, "e_mV": e}
        )  # fmt: skip
        return len(self.data["synapses"]) - 1

    def netstim(self, start, interval, number):
        self.data["sources"].append(
            {"type": "netstim", "start_ms": start, "interval_ms": interval, "number": number,
             "noise": 0}
        )  # fmt: skip
        return ("source", len(self.data["sources"]) - 1)

    def spike_times(self, t_ms):
        self.data["sources"].append({"type": "spike_times", "t_ms": [float(t) for t in t_ms]})
        return ("source", len(self.data["sources"]) - 1)

    def connect(self, pre, synapse, delay, weight):
        """``pre``: a cell id, or the ``("source", j)`` returned by netstim/spike_times."""
        p = {"source": pre[1]} if isinstance(pre, tuple) else {"cell": pre}
        self.data["connections"].append(
            {"pre": p, "synapse": synapse, "delay_ms": round(delay, 6), "weight_uS": weight}
        )

    def record(self, key, cell, branch, x, var="v"):
        self.data["recordings"].append(
            {"key": key, "var": var, "cell": cell, **self._where(cell, branch, x)}
        )

    def record_g(self, key, synapse):
        self.data["recordings"].append({"key": key, "var": "g", "synapse": synapse})

    def finish(self):
        d = copy.deepcopy(self.data)
        d["n_cells"] = len(d["cells"])
        d["n_compartments"] = sum(
            b["ncomp"] for k in range(len(d["cells"])) for b in self._branches(k)
        )
        d["n_synapses"] = len(d["synapses"])
        d["n_connections"] = len(d["connections"])
        order = ["format", "name", "description", "units", "celsius", "v_init_mV", "dt_ms",
                 "tstop_ms", "method", "n_cells", "n_compartments", "n_synapses",
                 "n_connections", "templates", "cells", "stimuli", "synapses", "sources",
                 "connections", "recordings"]  # fmt: skip
        if not d["templates"]:
            order.remove("templates")
        return {k: d[k] for k in order}


# ------------------------------------------------------------------------------------------------
# the cases


def _branched_cell(m):
    """Soma, basal and axon on soma x=0, apical trunk on x=1 splitting into two tufts."""
    s = m.branch("soma", -1, 18.0, 1, 18.0, mech={"hh": HH})
    m.branch("basal", s, 110.0, 4, 1.2, parent_x=0.0, mech={"pas": PAS})
    m.branch("axon", s, 120.0, 6, 1.0, parent_x=0.0, mech={"hh": HH})
    tr = m.branch("trunk", s, 150.0, 5, (2.2, 1.6), mech={"hh": HH_DEND})
    m.branch("tuft_a", tr, 90.0, 3, 1.0, mech={"pas": PAS})
    m.branch("tuft_b", tr, 110.0, 4, 0.8, mech={"hh": HH_DEND})


# branch indices of _branched_cell
SOMA, BASAL, AXON, TRUNK, TUFT_A, TUFT_B = range(6)


def template_ring12():
    n = 12
    rng = np.random.default_rng(1212)
    m = Net(
        "dx_net_template_ring12_cn",
        "Crank-Nicolson (secondorder 2). Twelve identical copies of one branched template "
        "(soma L = diam = 18 um hh; basal 110 um passive and a 120 um hh axon on soma x=0; a "
        "tapered 150 um reduced-hh apical trunk on x=1 ending in a passive and a reduced-hh "
        "tuft: 6 branches, 23 compartments). Each cell has three synapses: an Exp2Syn "
        "(tau1 0.5, tau2 4, e 0) on tuft_b, an ExpSyn (tau 2, e 0) on the basal dendrite and an "
        "inhibitory ExpSyn (tau 5, e -80) on the soma. Ring k -> k+1 onto the Exp2Syn "
        "(delays 1.2-3.6 ms, not multiples of dt), skip connections k -> k+5 onto the basal "
        "ExpSyn (weaker, delays 2-5 ms), and k -> k+3 onto the somatic inhibition (delay 4-6 "
        "ms); detectors on every soma (threshold 10 mV). A 1 nA, 1 ms kick into cell 0 at 2 ms "
        "and one into cell 6 at 40 ms; one NetStim (start 70, interval 9.3, 4 events) onto "
        "cell 9's basal synapse. The activity circulates about 7 times (7-9 spikes per cell, "
        "92 in all). 150 ms.",
        tstop=150.0,
        method=CN,
    )
    t = m.template("branched_hh", branches(_branched_cell))
    cells = [m.cell(f"C{k}", template=t, detector=(SOMA, 0.5, 10.0)) for k in range(n)]
    ex2 = [m.exp2syn(c, TUFT_B, 0.6, 0.5, 4.0, 0.0) for c in cells]
    bas = [m.expsyn(c, BASAL, 0.4, 2.0, 0.0) for c in cells]
    inh = [m.expsyn(c, SOMA, 0.5, 5.0, -80.0) for c in cells]
    for k in range(n):
        m.connect(cells[k], ex2[(k + 1) % n], off_tie(float(rng.uniform(1.2, 3.6))), 0.03)
        m.connect(cells[k], bas[(k + 5) % n], off_tie(float(rng.uniform(2.0, 5.0))), 0.004)
        m.connect(cells[k], inh[(k + 3) % n], off_tie(float(rng.uniform(4.0, 6.0))), 0.002)
    m.iclamp(cells[0], SOMA, 0.5, 2.0, 1.0, 1.0)
    m.iclamp(cells[6], SOMA, 0.5, 40.0, 1.0, 1.0)
    ns = m.netstim(70.0, 9.3, 4)
    m.connect(ns, bas[9], 0.7, 0.01)
    for k in (0, 1, 5, 9):
        m.record(f"v_C{k}_soma", cells[k], SOMA, 0.5)
    m.record("v_C1_tuft_b", cells[1], TUFT_B, 0.6)
    m.record("v_C5_basal", cells[5], BASAL, 0.4)
    m.record("v_C3_axon_tip", cells[3], AXON, 1.0)
    m.record_g("g_C1_exp2syn", ex2[1])
    m.record_g("g_C5_basal", bas[5])
    m.record_g("g_C3_inh", inh[3])
    m.record("m_C1_soma", cells[1], SOMA, 0.5, var="m")
    return m


def spike_lists():
    m = Net(
        "dx_net_spike_lists",
        "Explicit spike-time lists (NetCon(None, syn).event(t + delay) after finitialize) onto "
        "several synapses of two target cells. Target T: soma (L = diam = 20 um, hh) and a "
        "200 um reduced-hh dendrite (8 compartments); target P: a single hh compartment. "
        "Lists hold repeated times (2, 3 and 4 copies of one time: events add), times off the "
        "dt grid, a list starting at 0 with a sub-dt/2 delay (delivered in the first step), "
        "a cluster of six times 5.0-5.0235 ms that straddles a slot boundary, and an empty "
        "list. Each list reaches several synapses with different delays (0, 0.011, 0.0115 "
        "(< dt/2: same slot), 0.0135 (> dt/2: next slot), 0.0335, 0.9 and 2.2385 ms), so its "
        "events land in different slots. Synapses: ExpSyn (tau 2, e 0) and Exp2Syn (tau1 0.4, "
        "tau2 3, e 0) on the dendrite, an Exp2Syn with tau1 > tau2 (4 and 2: NEURON sets tau1 "
        "to 0.9999 tau2) on the soma, an inhibitory ExpSyn (tau 6, e -80) on the soma, and an "
        "ExpSyn (tau 1.5, e 0) on P. P's detector (10 mV) drives T's dendritic ExpSyn too, so "
        "list events and spike events meet on one synapse. Records g of all five synapses, "
        "m, h, n at T's soma and dendrite, and v. 80 ms, backward Euler.",
        tstop=80.0,
    )

    def ball_stick(mm):
        s = mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
        mm.branch("dend", s, 200.0, 8, 2.0, mech={"hh": HH_DEND})

    def point(mm):
        mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})

    T = m.cell("T", branch_list=branches(ball_stick), detector=(0, 0.5, 10.0))
    P = m.cell("P", branch_list=branches(point), detector=(0, 0.5, 10.0))
    s_e = m.expsyn(T, 1, 0.45, 2.0, 0.0)
    s_e2 = m.exp2syn(T, 1, 0.8, 0.4, 3.0, 0.0)
    s_rev = m.exp2syn(T, 0, 0.5, 4.0, 2.0, 0.0)
    s_inh = m.expsyn(T, 0, 0.5, 6.0, -80.0)
    s_p = m.expsyn(P, 0, 0.5, 1.5, 0.0)
    a = m.spike_times([0.0, 3.0, 3.0, 10.003, 10.003, 10.003, 10.003, 21.2, 30.0171, 30.0171,
                       44.5, 52.0088, 52.0088, 60.0])  # fmt: skip
    b = m.spike_times([12.0, 12.0, 12.0, 12.6, 25.0019, 38.75, 38.75])
    c = m.spike_times([])
    d = m.spike_times([5.0, 5.005, 5.011, 5.016, 5.021, 5.0235, 47.25, 47.25])
    m.connect(a, s_e, 0.0115, 0.004)
    m.connect(a, s_e2, 0.0135, 0.003)
    m.connect(a, s_p, 0.9, 0.02)
    m.connect(b, s_rev, 0.0335, 0.004)
    m.connect(b, s_e, 2.2385, 0.003)
    m.connect(b, s_inh, 0.0, 0.003)
    m.connect(c, s_e2, 1.0, 0.01)
    m.connect(d, s_p, 0.0, 0.006)
    m.connect(d, s_inh, 0.011, 0.002)
    m.connect(P, s_e, 1.3, 0.006)
    m.connect(P, s_e2, 0.0, 0.002)
    m.record("v_T_soma", T, 0, 0.5)
    m.record("v_T_dend", T, 1, 0.45)
    m.record("v_P", P, 0, 0.5)
    m.record_g("g_T_dend_expsyn", s_e)
    m.record_g("g_T_dend_exp2syn", s_e2)
    m.record_g("g_T_soma_exp2syn_tau1_gt_tau2", s_rev)
    m.record_g("g_T_soma_inh", s_inh)
    m.record_g("g_P_expsyn", s_p)
    for g in "mhn":
        m.record(f"{g}_T_soma", T, 0, 0.5, var=g)
    for g in "mhn":
        m.record(f"{g}_T_dend", T, 1, 0.45, var=g)
    return m


def in_flight():
    rng = np.random.default_rng(4015)
    m = Net(
        "dx_net_in_flight",
        "Many events in flight on many synapses of ONE compartment. Two single-compartment hh "
        "drivers D0, D1 (steps 0.5 nA 1-111 ms and 0.45 nA 3-83 ms, regular firing) and a fast "
        "NetStim (interval 0.35 ms, 120 events) project with long delays (15-40 ms) onto six "
        "synapses that all sit in compartment 2 of the dendrite of a ball-and-stick target T "
        "(soma L = diam = 20 um hh; dendrite 150 um, 5 compartments, reduced hh): ExpSyn tau 2 "
        "and tau 1 (e 0), Exp2Syn 0.3/2.5 and 1/10 (e 0), inhibitory ExpSyn tau 8 and Exp2Syn "
        "2/15 (e -80). Each driver has 10 connections with delays between 15 and 40 ms (one "
        "exactly 15 ms, one 15.01 ms: same slot as 15 for a grid spike), so up to 167 events "
        "are pending at once. T's detector (10 mV) feeds back onto D0 through an inhibitory "
        "ExpSyn with delay 15 ms. 120 ms, backward Euler.",
        tstop=120.0,
    )

    def ball_stick(mm):
        s = mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
        mm.branch("dend", s, 150.0, 5, 2.0, mech={"hh": HH_DEND})

    def point(mm):
        mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})

    m.template("ball_and_stick", branches(ball_stick))
    m.template("point", branches(point))
    T = m.cell("T", template="ball_and_stick", detector=(0, 0.5, 10.0))
    D0 = m.cell("D0", template="point", detector=(0, 0.5, 10.0))
    D1 = m.cell("D1", template="point", detector=(0, 0.5, 10.0))
    x = 0.5  # dendrite compartment 2 of 5
    syn = [
        m.expsyn(T, 1, x, 2.0, 0.0),
        m.expsyn(T, 1, x, 1.0, 0.0),
        m.exp2syn(T, 1, x, 0.3, 2.5, 0.0),
        m.exp2syn(T, 1, x, 1.0, 10.0, 0.0),
        m.expsyn(T, 1, x, 8.0, -80.0),
        m.exp2syn(T, 1, x, 2.0, 15.0, -80.0),
    ]
    fb = m.expsyn(D0, 0, 0.5, 4.0, -80.0)
    m.iclamp(D0, 0, 0.5, 1.0, 110.0, 0.5)
    m.iclamp(D1, 0, 0.5, 3.0, 80.0, 0.45)
    w_exc, w_inh = 0.0012, 0.0015
    fixed = [(D0, 0, 15.0), (D0, 2, 15.01)]
    for pre, s, d in fixed:
        m.connect(pre, syn[s], d, w_exc)
    for pre, k in ((D0, 8), (D1, 10)):
        for _ in range(k):
            s = int(rng.integers(0, 6))
            d = off_tie(float(rng.uniform(15.0, 40.0)))
            m.connect(pre, syn[s], d, w_inh if s >= 4 else w_exc)
    ns = m.netstim(2.0, 0.35, 120)
    m.connect(ns, syn[1], 15.0, 0.0008)
    m.connect(ns, syn[3], 22.3, 0.0004)
    m.connect(T, fb, 15.0, 0.01)
    m.record("v_T_soma", T, 0, 0.5)
    m.record("v_T_syn", T, 1, x)
    m.record("v_D0", D0, 0, 0.5)
    m.record("v_D1", D1, 0, 0.5)
    for j, s in enumerate(syn):
        m.record_g(f"g_T_syn{j}", s)
    m.record_g("g_D0_feedback", fb)
    return m


def dend_detector():
    m = Net(
        "dx_net_dendritic_detector",
        "Detectors away from the soma, inhibition and degenerate sources, at 16 C with dt = "
        "0.02 ms and v_init -70 mV (cells drift at first). Cell A: soma (L = diam = 20 um, hh) "
        "with a fully active 300 um hh dendrite (12 compartments), driven by a piecewise-linear"
        " current ramp at the soma (0 -> 1.2 nA over 10-60 ms, back to 0 at 70 ms); its "
        "detector sits on dendrite compartment 10 with threshold -20 mV (back-propagating "
        "spikes). Cell B: soma (hh) with a 200 um hh axon on soma x=0 (8 compartments) and a "
        "passive dendrite; its detector is at the axon tip (threshold 0 mV); a 0.6 nA, 2 ms "
        "pulse into its soma at 75 ms. Cell C: a single hh compartment whose detector never "
        "fires (empty spike list); B drives it weakly, and the two silent NetStims below target"
        " it with a large weight. Cell E (hh soma, passive dendrite) has no detector: a target "
        "only. A -> B via an Exp2Syn (tau1 0.8, tau2 3) on B's dendrite and an inhibitory "
        "Exp2Syn (tau1 1, tau2 8, e -80) on B's soma; A -> itself (autapse) via an inhibitory "
        "ExpSyn (tau 5, e -80), delay 3 ms; B -> E via an Exp2Syn with tau1 = 0 (NEURON sets "
        "tau1 to 1e-9 tau2: instantaneous rise). NetStims: interval 0.0085 ms < dt (7 events, "
        "several per slot) onto A's soma, one with number 0 and one with start -1 (both emit "
        "nothing; their netcon_spikes arrays are empty). 100 ms, backward Euler.",
        tstop=100.0,
        dt=0.02,
        celsius=16.0,
        v_init=-70.0,
    )

    def cell_a(mm):
        s = mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
        mm.branch("dend_active", s, 300.0, 12, 1.5, mech={"hh": HH})

    def cell_b(mm):
        s = mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})
        mm.branch("axon", s, 200.0, 8, 1.0, parent_x=0.0, mech={"hh": HH})
        mm.branch("dend", s, 150.0, 5, 1.5, mech={"pas": PAS})

    def cell_c(mm):
        mm.branch("soma", -1, 20.0, 1, 20.0, mech={"hh": HH})

    def cell_e(mm):
        s = mm.branch("soma", -1, 15.0, 1, 15.0, mech={"hh": HH})
        mm.branch("dend", s, 100.0, 4, 1.0, mech={"pas": PAS})

    A = m.cell("A", branch_list=branches(cell_a), detector=(1, 0.875, -20.0))
    B = m.cell("B", branch_list=branches(cell_b), detector=(1, 1.0, 0.0))
    C = m.cell("C", branch_list=branches(cell_c), detector=(0, 0.5, 10.0))
    E = m.cell("E", branch_list=branches(cell_e))
    ab = m.exp2syn(B, 2, 0.5, 0.8, 3.0, 0.0)
    ab_inh = m.exp2syn(B, 0, 0.5, 1.0, 8.0, -80.0)
    aa = m.expsyn(A, 0, 0.5, 5.0, -80.0)
    a_fast = m.expsyn(A, 0, 0.5, 1.0, 0.0)
    be = m.exp2syn(E, 1, 0.9, 0.0, 4.0, 0.0)
    c_syn = m.expsyn(C, 0, 0.5, 2.0, 0.0)
    m.waveform(A, 0, 0.5, [0.0, 10.0, 60.0, 70.0, 100.0], [0.0, 0.0, 1.2, 0.0, 0.0])
    m.iclamp(B, 0, 0.5, 75.0, 2.0, 0.6)
    m.connect(A, ab, 1.7, 0.02)
    m.connect(A, ab_inh, 4.3, 0.004)
    m.connect(A, aa, 3.0, 0.004)
    m.connect(B, be, 0.5, 0.01)
    m.connect(B, c_syn, 2.0, 0.0004)
    burst = m.netstim(4.0, 0.0085, 7)
    m.connect(burst, a_fast, 0.0, 0.004)
    none0 = m.netstim(6.0, 1.0, 0)
    m.connect(none0, c_syn, 0.0, 0.5)
    neg = m.netstim(-1.0, 2.0, 5)
    m.connect(neg, c_syn, 0.0, 0.5)
    m.record("v_A_soma", A, 0, 0.5)
    m.record("v_A_dend_detector", A, 1, 0.875)
    m.record("v_B_soma", B, 0, 0.5)
    m.record("v_B_axon_tip", B, 1, 1.0)
    m.record("v_C", C, 0, 0.5)
    m.record("v_E_soma", E, 0, 0.5)
    m.record_g("g_B_exp2syn", ab)
    m.record_g("g_B_inh", ab_inh)
    m.record_g("g_A_autapse", aa)
    m.record_g("g_A_burst", a_fast)
    m.record_g("g_E_tau1_zero", be)
    m.record("n_A_dend_detector", A, 1, 0.875, var="n")
    return m


CASES = [template_ring12, spike_lists, in_flight, dend_detector]


# ------------------------------------------------------------------------------------------------
# checks (need NEURON)


def max_in_flight(model: dict, arrays: dict) -> int:
    """Largest number of events pending at once (created, not yet delivered) at a slot."""
    sources = model.get("sources", [])
    dt = float(model["dt_ms"])
    sent, due = [], []
    for con in model.get("connections", []):
        pre, d = con["pre"], float(con["delay_ms"])
        if "cell" in pre:
            ts = np.asarray(arrays[f"netcon_spikes__cell{pre['cell']}"])
        else:
            src = sources[pre["source"]]
            if src["type"] == "spike_times":
                t_list = np.asarray(src["t_ms"], dtype=np.float64)
                sent.extend(np.zeros_like(t_list))  # all queued right after finitialize
                due.extend(t_list + d)
                continue
            ts = np.asarray(arrays[f"netcon_spikes__source{pre['source']}"])
        sent.extend(ts)
        due.extend(ts + d)
    if not sent:
        return 0
    slots = np.arange(round(float(model["tstop_ms"]) / dt) + 1) * dt
    pending = np.searchsorted(np.sort(sent), slots, side="right") - np.searchsorted(
        np.sort(due), slots + dt / 2, side="right"
    )
    return int(max(0, pending.max()))


def check(model: dict) -> list[str]:
    """Simulate in NEURON and return the problems (empty: fine); prints a summary line."""
    from regenerate_network_neuron import run_network

    problems = []
    dt = float(model["dt_ms"])
    try:
        arrays, diag = run_network(model, diagnostics=True)
        _, diag2 = run_network(model, dt=dt / 2, diagnostics=True)
    except RuntimeError as err:
        return [str(err)]
    counts = [arrays[f"netcon_spikes__cell{k}"].size for k in sorted(diag["detector_v"])]
    if diag["min_tie_distance_dt"] < TIE_MARGIN:
        problems.append(f"delivery {diag['min_tie_distance_dt']:.4f} dt from a half-step tie")
    thr_margin = np.inf
    for k, (thr, v) in diag["detector_v"].items():
        thr_margin = min(thr_margin, float(np.min(np.abs(v - thr))))
        if v[-1] > thr >= v[-2]:
            problems.append(f"cell {k}: a crossing first shows at the last sample")
    if thr_margin < THRESHOLD_MARGIN_MV:
        problems.append(f"a detector sample lies {thr_margin:.3g} mV from its threshold")
    if diag2["min_tie_distance_dt"] < TIE_MARGIN:
        problems.append(f"at dt/2: a delivery {diag2['min_tie_distance_dt']:.4f} dt/2 from a tie")
    pert = run_network(model, v_init_offset=PERTURB_MV)
    dv = max(
        float(np.max(np.abs(pert[r["key"]] - arrays[r["key"]])))
        for r in model["recordings"]
        if r["var"] == "v"
    )
    for k in diag["detector_v"]:
        a, b = arrays[f"netcon_spikes__cell{k}"], pert[f"netcon_spikes__cell{k}"]
        if a.shape != b.shape or (a.size and np.max(np.abs(a - b)) > 1e-9):
            problems.append(f"v_init + {PERTURB_MV} mV changes the spikes of cell {k}")
    if dv > PERTURB_MAX_DV:
        problems.append(f"v_init + {PERTURB_MV} mV moves v by {dv:.3g} mV")
    print(
        f"  {model['name']}: spikes per detector cell {counts} (total {sum(counts)}); "
        f"{diag['n_events']} deliveries, min tie distance {diag['min_tie_distance_dt']:.3f} dt "
        f"(dt/2 run: {diag2['min_tie_distance_dt']:.3f}); detector margin {thr_margin:.3g} mV; "
        f"max in flight {max_in_flight(model, arrays)}; v_init+1e-9: max|dV| {dv:.2g} mV"
    )
    return problems


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-check", action="store_true", help="do not simulate in NEURON")
    ap.add_argument("--out", type=pathlib.Path, default=NETWORKS_DIR)
    args = ap.parse_args(argv)
    models = [make().finish() for make in CASES]
    do_check = not args.no_check
    if do_check:
        try:
            import neuron  # noqa: F401
        except ImportError:
            print("NEURON is not installed: writing the models without the checks")
            do_check = False
    bad = False
    for model in models:
        if do_check:
            problems = check(model)
            for p in problems:
                print(f"  {model['name']}: PROBLEM {p}")
            bad |= bool(problems)
    if bad:
        print("not written")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    for model in models:
        path = args.out / f"{model['name']}.json"
        text = dumps(model)
        assert json.loads(text) == model
        path.write_text(text + "\n")
        print(f"{path.name}: {model['n_cells']} cells, {model['n_compartments']} compartments, "
              f"{model['n_synapses']} synapses, {model['n_connections']} connections, "
              f"{len(text) // 1024} KiB")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
