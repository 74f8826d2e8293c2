#!/usr/bin/env python
"""Write the JSON models of dendrax's own channel cases (``cases/dxch_*.json``, neuroref-case/2).

    python tests/validation/channels/make_channel_cases.py                # (re)write every JSON
    python tests/validation/channels/regenerate_channels_neuron.py        # then their NEURON npz

The shared set (../shared/reference/channels) covers the Hay et al. 2011 mechanisms one by one,
one Ca-dynamics compartment, one clamp with rs 0.5 MOhm and one ball-and-stick. These add:
(a) the Pospischil et al. 2008 set (hh2 as Na and as K, im, ical, it + cad, leak) in single
compartments under voltage clamp and current steps, and the paper's four soma-only cell types
(RS, FS, IB, LTS, with ModelDB 123623's values) under current steps. These mechanisms follow
ModelDB's numerics, including gates that start at 0 (closed), not at steady state;
(b) a branched Hay cell at 37 degC with per-compartment densities (Ih gradient, NaTa_t gradient,
two Ca hot zones) and an interior attachment; (c) Ca in nernst mode in several branches with
different gamma/decay (some per compartment), non-default ci0/co0, next to a branch with a fixed
eca; (d) an SEClamp with rs 2 MOhm, three levels, then a free run with current steps. See
README.md for the table. Every number is rounded so that the files stay small and read back
exactly.
"""

from __future__ import annotations

import json
import math
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"

UNITS = {
    "length_um": "micrometre",
    "diam_um": "micrometre",
    "Ra_ohm_cm": "ohm*cm",
    "cm_uF_cm2": "uF/cm^2",
    "g*bar, gnabar/gkbar/gcabar, g (pas)": "S/cm^2",
    "e (pas), vtraub, shift, erev_mV": "mV",
    "ci0_mM/co0_mM, cai, cao, minCai, cainf": "mM",
    "depth (CaDynamics_E2, cad)": "micrometre",
    "decay (CaDynamics_E2), taur (cad), taumax (im), zTau (SK_E2)": "ms",
    "gamma (CaDynamics_E2), q10 (it)": "1",
    "celsius": "degC",
    "t/delay/dur/dt/tstop": "ms",
    "amp_nA/i_nA": "nA (positive = depolarising, injected into the compartment)",
    "seclamp": "rs_MOhm in megohm, amp*_mV in mV, dur*_ms in ms",
    "recordings": "each recording has its own 'unit'",
}
BE = {"name": "backward_euler", "neuron_secondorder": 0}
NA50 = {"mode": "fixed", "erev_mV": 50.0}
K85 = {"mode": "fixed", "erev_mV": -85.0}
K100 = {"mode": "fixed", "erev_mV": -100.0}


def nernst(ci0: float = 5e-5, co0: float = 2.0) -> dict:
    return {"mode": "nernst", "ci0_mM": ci0, "co0_mM": co0, "valence": 2}


def unit_of(var: str) -> str:
    """The unit of a recorded variable (FORMAT_V2 section 5)."""
    name = var.split(".", 1)[-1]
    if var == "v" or name.startswith("e"):
        return "mV"
    if var == "i_seclamp":
        return "nA"
    if name in ("cai", "cao"):
        return "mM"
    if name.startswith("tau"):
        return "ms"
    if name.startswith("i"):
        return "mA/cm2"
    if name.startswith("g"):
        return "S/cm2"
    return "1"


class Model:
    """A neuroref-case/2 model under construction."""

    def __init__(self, name, description, *, tstop, dt=0.025, celsius=34.0, v_init=-80.0):
        self.data = {
            "format": "neuroref-case/2",
            "name": name,
            "description": description,
            "units": UNITS,
            "celsius": celsius,
            "v_init_mV": v_init,
            "dt_ms": dt,
            "tstop_ms": tstop,
            "method": BE,
            "globals": {},
            "branches": [],
            "stimuli": [],
            "recordings": [],
        }

    @property
    def branches(self):
        return self.data["branches"]

    def branch(self, name, parent, length, ncomp, diam, *, mech, ions, parent_x=1.0, Ra=100.0,
               cm=1.0):  # fmt: skip
        """Add a branch; ``diam`` is one value, ``(d0, d1)`` for a linear taper, or a list."""
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
                "cm_uF_cm2": cm,
                "mechanisms": mech,
                "ions": ions,
            }
        )
        return len(self.branches) - 1

    def glob(self, suffix, name, value):
        self.data["globals"].setdefault(suffix, {})[name] = value

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

    def seclamp(self, branch, x, rs, levels):
        """Three ``(dur_ms, amp_mV)`` levels; the clamp is off after the third."""
        (d1, a1), (d2, a2), (d3, a3) = levels
        self.data["stimuli"].append(
            {"type": "seclamp", **self._where(branch, x), "rs_MOhm": rs, "dur1_ms": d1,
             "amp1_mV": a1, "dur2_ms": d2, "amp2_mV": a2, "dur3_ms": d3, "amp3_mV": a3}
        )  # fmt: skip
        return len(self.data["stimuli"]) - 1

    def record(self, key, var, branch=0, x=0.5, stim=None):
        r = {"key": key, "var": var, "unit": unit_of(var), **self._where(branch, x)}
        if stim is not None:
            r["stim"] = stim
        self.data["recordings"].append(r)

    def finish(self):
        d = self.data
        used = sorted({s for b in d["branches"] for s in b["mechanisms"]})
        d["mechanisms_used"] = used
        d["globals"] = {s: d["globals"][s] for s in sorted(d["globals"])}
        d["n_branches"] = len(d["branches"])
        d["n_compartments"] = sum(b["ncomp"] for b in d["branches"])
        order = ["format", "name", "description", "units", "celsius", "v_init_mV", "dt_ms",
                 "tstop_ms", "method", "globals", "mechanisms_used", "n_branches",
                 "n_compartments", "branches", "stimuli", "recordings"]  # fmt: skip
        return {k: d[k] for k in order}


# ----------------------------------------------------------------------- (a) Pospischil et al. 2008

SOMA30 = {"length": 30.0, "ncomp": 1, "diam": 30.0}  # single-channel cases: area 2827 um^2
CA120 = {"mode": "fixed", "erev_mV": 120.0}
CAD = {"depth": 1.0, "taur": 5.0, "cainf": 2.4e-4, "kt": 0.0, "kd": 0.0}


def hh2(gnabar, gkbar, vtraub=-55.0):
    return {"gnabar": gnabar, "gkbar": gkbar, "vtraub": vtraub}


def pos_na():
    m = Model(
        "dxch_pos_na",
        "Pospischil Na: hh2 with gkbar 0 (only the Traub-Miles Na current, vtraub -55 mV) + pas "
        "(1e-4, -70) in a 30 x 30 um soma, 36 degC; m = h = 0 at t = 0 (ModelDB). SEClamp "
        "(rs 0.1 MOhm) -70/10, -45/10 (activation and inactivation), -60/10 ms, then free with "
        "a 0.15 nA step 40-60 ms (regenerative Na event, then a plateau: no K).",
        tstop=80.0, celsius=36.0, v_init=-70.0,
    )  # fmt: skip
    s = m.branch("soma", -1, **SOMA30, mech={"pas": {"g": 1e-4, "e": -70.0},
                 "hh2": hh2(0.05, 0.0)}, ions={"na": NA50, "k": K100})  # fmt: skip
    c = m.seclamp(s, 0.5, 0.1, [(10.0, -70.0), (10.0, -45.0), (10.0, -60.0)])
    m.iclamp(s, 0.5, 40.0, 20.0, 0.15)
    m.record("v_soma", "v")
    m.record("m", "hh2.m")
    m.record("h", "hh2.h")
    m.record("ina", "ina")
    m.record("i_clamp", "i_seclamp", stim=c)
    return m


def pos_k():
    m = Model(
        "dxch_pos_k",
        "Pospischil K: hh2 with gnabar 0 (only the delayed rectifier, vtraub -55 mV) + pas "
        "(1e-4, -70), 30 degC (tadj = 3^-0.6 = 0.517); n = 0 at t = 0. SEClamp (rs 0.1 "
        "MOhm) -70/10, 0/30, -50/20 ms, then free with a 0.1 nA step 70-100 ms.",
        tstop=120.0, celsius=30.0, v_init=-70.0,
    )  # fmt: skip
    s = m.branch("soma", -1, **SOMA30, mech={"pas": {"g": 1e-4, "e": -70.0},
                 "hh2": hh2(0.0, 0.005)}, ions={"na": NA50, "k": K100})  # fmt: skip
    c = m.seclamp(s, 0.5, 0.1, [(10.0, -70.0), (30.0, 0.0), (20.0, -50.0)])
    m.iclamp(s, 0.5, 70.0, 30.0, 0.1)
    m.record("v_soma", "v")
    m.record("n", "hh2.n")
    m.record("ik", "ik")
    m.record("i_clamp", "i_seclamp", stim=c)
    return m


def pos_im():
    m = Model(
        "dxch_pos_im",
        "Pospischil Km: im (gkbar 5e-4, taumax 1000 ms) + pas (1e-4, -70), 32 degC "
        "(tadj = 2.3^-0.4 = 0.717), dt 0.05 ms; m = 0 at t = 0. SEClamp (rs 0.1 MOhm) "
        "-70/20, -20/300 (slow activation), -50/150 ms, then free with a 0.05 nA step "
        "550-700 ms.",
        tstop=800.0, dt=0.05, celsius=32.0, v_init=-70.0,
    )  # fmt: skip
    s = m.branch("soma", -1, **SOMA30, mech={"pas": {"g": 1e-4, "e": -70.0},
                 "im": {"gkbar": 5e-4, "taumax": 1000.0}}, ions={"k": K100})  # fmt: skip
    c = m.seclamp(s, 0.5, 0.1, [(20.0, -70.0), (300.0, -20.0), (150.0, -50.0)])
    m.iclamp(s, 0.5, 550.0, 150.0, 0.05)
    m.record("v_soma", "v")
    m.record("m", "im.m")
    m.record("ik", "ik")
    m.record("i_clamp", "i_seclamp", stim=c)
    return m


def pos_ical():
    m = Model(
        "dxch_pos_ical",
        "Pospischil CaL: ical (gcabar 1e-3) + pas (1e-4, -70), 36 degC; m = h = 0 at t = 0. "
        "ical's reversal potential carev comes from its own GLOBALs cai_ical = 2.4e-4 mM, "
        "cao_ical = 2 mM (120.26 mV); the ion's eca (fixed, 120 mV) is read but not used. "
        "SEClamp (rs 0.1 MOhm) -80/10, -10/60, -40/30 ms, then free with a 0.03 nA step "
        "120-170 ms.",
        tstop=200.0, celsius=36.0, v_init=-80.0,
    )  # fmt: skip
    s = m.branch("soma", -1, **SOMA30, mech={"pas": {"g": 1e-4, "e": -70.0},
                 "ical": {"gcabar": 1e-3}}, ions={"ca": CA120})  # fmt: skip
    m.glob("ical", "cai", 2.4e-4)
    m.glob("ical", "cao", 2.0)
    c = m.seclamp(s, 0.5, 0.1, [(10.0, -80.0), (60.0, -10.0), (30.0, -40.0)])
    m.iclamp(s, 0.5, 120.0, 50.0, 0.03)
    m.record("v_soma", "v")
    m.record("m", "ical.m")
    m.record("h", "ical.h")
    m.record("ica", "ica")
    m.record("carev", "ical.carev")
    m.record("i_clamp", "i_seclamp", stim=c)
    return m


def pos_it():
    m = Model(
        "dxch_pos_it",
        "Pospischil CaT: it (gcabar 2e-3, shift 2 mV, GLOBAL q10 3 -> phi_h = 3^1.2 at 36 degC; "
        "h = m_inf = 0 at t = 0) + cad (depth 1 um, taur 5 ms, cainf 2.4e-4 mM, F = 96489, "
        "derivimplicit) + pas (1e-4, -70). ca in nernst mode with cai0 = 2.4e-4 mM, cao0 = 2 "
        "mM; it computes Nernst(cai, cao) itself (120.26 mV at rest). SEClamp (rs 0.1 MOhm) "
        "-100/100 (de-inactivation), -50/60 (T current), -80/40 ms, then free: -0.08 nA "
        "250-400 ms and a rebound low-threshold spike after it.",
        tstop=550.0, celsius=36.0, v_init=-70.0,
    )  # fmt: skip
    s = m.branch("soma", -1, **SOMA30, mech={"pas": {"g": 1e-4, "e": -70.0},
                 "it": {"gcabar": 2e-3, "shift": 2.0},
                 "cad": CAD}, ions={"ca": nernst(2.4e-4, 2.0)})  # fmt: skip
    m.glob("it", "q10", 3.0)
    c = m.seclamp(s, 0.5, 0.1, [(100.0, -100.0), (60.0, -50.0), (40.0, -80.0)])
    m.iclamp(s, 0.5, 250.0, 150.0, -0.08)
    m.record("v_soma", "v")
    m.record("h", "it.h")
    m.record("m_inf", "it.m_inf")
    m.record("ica", "ica")
    m.record("cai", "cai")
    m.record("eca", "eca")
    m.record("i_clamp", "i_seclamp", stim=c)
    return m


def pos_leak():
    m = Model(
        "dxch_pos_leak",
        "Pospischil leak: pas only (g 1e-4, e -70) in the RS soma (L = diam = 96 um, area "
        "28953 um^2), 36 degC, v_init -60 (relaxes to -70). Steps -0.2 nA 50-150 ms and "
        "+0.1 nA 200-300 ms.",
        tstop=350.0, celsius=36.0, v_init=-60.0,
    )  # fmt: skip
    s = m.branch("soma", -1, 96.0, 1, 96.0, mech={"pas": {"g": 1e-4, "e": -70.0}}, ions={})
    m.iclamp(s, 0.5, 50.0, 100.0, -0.2)
    m.iclamp(s, 0.5, 200.0, 100.0, 0.1)
    m.record("v_soma", "v")
    m.record("i_pas", "pas.i")
    return m


def pos_cell(kind):
    """The four soma-only cell types, with the parameters of ModelDB 123623's templates and
    demos (Pospischil et al. 2008): RS = sPY (demo_PY_RS), FS = sIN (demo_IN_FS), IB = sPYb with
    demo_PY_IB's values, LTS = sPYr with demo_PY_LTS's values. All: ena 50, ek -100 mV, vtraub
    -55 mV, 36 degC, Ra 100, cm 1. Gates start at 0 (ModelDB)."""
    ions = {"na": NA50, "k": K100}
    if kind == "RS":
        L, mech, v_init = 96.0, {"pas": {"g": 1e-4, "e": -70.0}, "hh2": hh2(0.05, 0.005),
                                 "im": {"gkbar": 7e-5, "taumax": 1000.0}}, -70.0  # fmt: skip
        steps, tstop, dt = [(50.0, 400.0, 0.75)], 500.0, 0.025
        text = ("RS (regular spiking, adapting): L = diam = 96 um, pas 1e-4/-70, hh2 gnabar "
                "0.05, gkbar 0.005, im 7e-5 (taumax 1000 ms). 0.75 nA 50-450 ms.")  # fmt: skip
        recs = [("m_im", "im.m"), ("ik", "ik")]
    elif kind == "FS":
        L, mech, v_init = 67.0, {"pas": {"g": 1.5e-4, "e": -70.0}, "hh2": hh2(0.05, 0.01)}, -70.0
        steps, tstop, dt = [(20.0, 200.0, 0.5), (260.0, 60.0, 1.0)], 350.0, 0.025
        text = ("FS (fast spiking, no adaptation): L = diam = 67 um, pas 1.5e-4/-70, hh2 gnabar "
                "0.05, gkbar 0.01. 0.5 nA 20-220 ms and 1 nA 260-320 ms.")  # fmt: skip
        recs = [("ina", "ina"), ("n", "hh2.n")]
    elif kind == "IB":
        L, v_init = 96.0, -84.0
        mech = {"pas": {"g": 1e-5, "e": -85.0}, "hh2": hh2(0.05, 0.005),
                "im": {"gkbar": 3e-5, "taumax": 1000.0}, "ical": {"gcabar": 2e-4}}  # fmt: skip
        ions = {**ions, "ca": CA120}
        steps, tstop, dt = [(500.0, 1000.0, 0.15)], 1600.0, 0.05
        text = ("IB (intrinsically bursting): L = diam = 96 um, pas 1e-5/-85, hh2 0.05/0.005, "
                "im 3e-5, ical 2e-4 (demo_PY_IB's value for 'two bursts, then RS'; its carev "
                "comes from its own GLOBALs cai_ical 2.4e-4, cao_ical 2 mM: 120.26 mV, so the "
                "template's cad affects nothing and is left out; the ion's eca, read but "
                "unused, is fixed at 120). v_init -84, dt 0.05 ms (ModelDB: 0.1). 0.15 nA "
                "500-1500 ms: slow rise (tau_m 100 ms; ical's h starts at 0 and recovers with "
                "tau 0.4 s), a burst of 5 spikes at 618-663 ms, then single spikes.")  # fmt: skip
        recs = [("m_im", "im.m"), ("m_ical", "ical.m"), ("ica", "ica")]
    elif kind == "LTS":
        L, v_init = 96.0, -84.0
        mech = {"pas": {"g": 1e-5, "e": -85.0}, "hh2": hh2(0.05, 0.005),
                "im": {"gkbar": 3e-5, "taumax": 1000.0}, "it": {"gcabar": 4e-4, "shift": 2.0},
                "cad": CAD}  # fmt: skip
        ions = {**ions, "ca": nernst(2.4e-4, 2.0)}
        steps, tstop, dt = [(400.0, 400.0, 0.15)], 1000.0, 0.05
        text = ("LTS (low-threshold spiking): L = diam = 96 um, pas 1e-5/-85, hh2 0.05/0.005, "
                "im 3e-5, it 4e-4 (shift 2, q10 3; carev = Nernst of the ion's cai, cao), cad "
                "(depth 1 um, taur 5 ms, cainf 2.4e-4 mM, kt = kd = 0), ca nernst with cai0 "
                "2.4e-4, cao0 2 mM (cai to 1.6e-3 mM, eca 120 -> 95 mV in the burst). v_init "
                "-84, dt 0.05 ms (ModelDB: 0.1). 0.15 nA 400-800 ms (demo_PY_LTS): a T-current "
                "burst of 2 spikes at 432-445 ms, then 2 single spikes.")  # fmt: skip
        recs = [("h_it", "it.h"), ("cai", "cai"), ("eca", "eca"), ("ica", "ica")]
    else:
        raise ValueError(kind)
    m = Model(f"dxch_pos_{kind}", f"Pospischil et al. 2008 {text} 36 degC.", tstop=tstop,
              dt=dt, celsius=36.0, v_init=v_init)  # fmt: skip
    if kind == "LTS":
        m.glob("it", "q10", 3.0)
    if kind == "IB":
        m.glob("ical", "cai", 2.4e-4)
        m.glob("ical", "cao", 2.0)
    s = m.branch("soma", -1, L, 1, L, mech=mech, ions=ions)
    for delay, dur, amp in steps:
        m.iclamp(s, 0.5, delay, dur, amp)
    m.record("v_soma", "v")
    for key, var in recs:
        m.record(key, var)
    return m


# ----------------------------------------------------------------------- (b)-(d) Hay et al. 2011

SOMATIC = {
    "NaTa_t": {"gNaTa_tbar": 2.04}, "Nap_Et2": {"gNap_Et2bar": 0.00172},
    "K_Pst": {"gK_Pstbar": 0.00223}, "K_Tst": {"gK_Tstbar": 0.0812},
    "SKv3_1": {"gSKv3_1bar": 0.693}, "SK_E2": {"gSK_E2bar": 0.0441},
    "Ca_HVA": {"gCa_HVAbar": 0.000992}, "Ca_LVAst": {"gCa_LVAstbar": 0.00343},
    "Ih": {"gIhbar": 0.0002}, "pas": {"g": 3.38e-5, "e": -90.0},
    "CaDynamics_E2": {"gamma": 0.000501, "decay": 460.0, "depth": 0.1, "minCai": 1e-4},
}  # fmt: skip
HAY_IONS = {"na": NA50, "k": K85, "ca": nernst()}


def epsp(t0, imax, tstop, dt=0.025, tau0=0.5, tau1=5.0):
    """EPSP-shaped current sampled at NEURON's step midpoints (FORMAT_V2 section 9)."""
    tp = tau0 * tau1 * math.log(tau0 / tau1) / (tau0 - tau1)
    a = 1.0 / (math.exp(-tp / tau1) - math.exp(-tp / tau0))
    t, i = [0.0, t0], [0.0, 0.0]
    k = 0
    while True:
        s = (k + 0.5) * dt
        if t0 + s > t0 + 40.0:
            break
        t.append(round(t0 + s, 6))
        i.append(round(imax * a * (math.exp(-s / tau1) - math.exp(-s / tau0)), 12))
        k += 1
    t += [round(t0 + 40.0 + dt, 6), tstop]
    i += [0.0, 0.0]
    return t, i


def hay_tree37():
    m = Model(
        "dxch_hay_tree37",
        "Branched Hay L5PC-type cell at 37 degC (Nernst eca differs from 34 degC). Soma L = diam "
        "= 18 um (somatic L5PCbiophys3 set); apical trunk 450 um (diam 3.2 -> 1.8, 23 "
        "compartments) with an oblique (150 um) attached at trunk x = 0.4 (interior point) and "
        "two tufts (300 and 350 um) at its end; two basal dendrites (180, 120 um: Ih + pas) and "
        "a passive 2 x 30 um axon at soma x = 0. Apical set with per-compartment gIhbar "
        "(0.0002 (-0.8696 + 2.087 exp(3.6161 d/1000)), d = distance from the trunk start), "
        "per-compartment gNaTa_tbar (0.03 -> 0.01 along the trunk) and two Ca hot zones "
        "(gCa_LVAstbar 0.0187 / gCa_HVAbar 0.000555, else 1 % of that): trunk 300-400 um and "
        "tuft_b 600-700 um. CaDynamics_E2 gamma 0.000509, decay 122 apically. Soma 0.5 nA 20-70 "
        "ms; EPSP-shaped waveform (tau 0.5/5 ms, peak 0.8 nA) on tuft_a at 150 ms.",
        tstop=250.0, celsius=37.0, v_init=-78.0,
    )  # fmt: skip
    soma = m.branch("soma", -1, 18.0, 1, 18.0, mech=SOMATIC, ions=HAY_IONS)

    def apical(name, parent, length, ncomp, diam, d0, parent_x=1.0, nat=None):
        d = [d0 + length * (i + 0.5) / ncomp for i in range(ncomp)]
        ih = [round(0.0002 * (-0.8696 + 2.087 * math.exp(3.6161 * x / 1000.0)), 12) for x in d]
        hot = [(300.0 < x < 400.0) or (600.0 < x < 700.0) for x in d]
        mech = {
            "pas": {"g": 5.89e-5, "e": -90.0},
            "Ih": {"gIhbar": ih},
            "NaTa_t": {"gNaTa_tbar": nat if nat is not None else 0.0213},
            "SKv3_1": {"gSKv3_1bar": 0.000261},
            "SK_E2": {"gSK_E2bar": 0.0012},
            "Im": {"gImbar": 6.75e-5},
            "Ca_LVAst": {"gCa_LVAstbar": [0.0187 if z else 0.000187 for z in hot]},
            "Ca_HVA": {"gCa_HVAbar": [0.000555 if z else 0.0000555 for z in hot]},
            "CaDynamics_E2": {"gamma": 0.000509, "decay": 122.0, "depth": 0.1, "minCai": 1e-4},
        }
        return m.branch(name, parent, length, ncomp, diam, mech=mech, ions=HAY_IONS,
                        parent_x=parent_x, cm=2.0)  # fmt: skip

    nat = [round(0.03 - 0.02 * (i + 0.5) / 23, 8) for i in range(23)]
    trunk = apical("apic_trunk", soma, 450.0, 23, (3.2, 1.8), 0.0, nat=nat)
    # the oblique joins the node of trunk compartment 9 (x = 0.4 lies in it): d0 = its centre
    obl = apical("apic_oblique", trunk, 150.0, 7, (1.0, 0.7), 450.0 * 9.5 / 23, parent_x=0.4)
    tuft_a = apical("apic_tuft_a", trunk, 300.0, 15, (1.3, 0.6), 450.0)
    tuft_b = apical("apic_tuft_b", trunk, 350.0, 17, (1.1, 0.5), 450.0)
    basal_mech = {"pas": {"g": 4.67e-5, "e": -90.0}, "Ih": {"gIhbar": 0.0002}}
    b1 = m.branch("basal_1", soma, 180.0, 9, (1.5, 0.8), mech=basal_mech, ions={}, parent_x=0.0,
                  cm=2.0)  # fmt: skip
    m.branch("basal_2", soma, 120.0, 7, 1.2, mech=basal_mech, ions={}, parent_x=0.0, cm=2.0)
    ax_mech = {"pas": {"g": 3.25e-5, "e": -90.0}}
    ax0 = m.branch("axon0", soma, 30.0, 1, 1.0, mech=ax_mech, ions={}, parent_x=0.0)
    ax1 = m.branch("axon1", ax0, 30.0, 1, 1.0, mech=ax_mech, ions={})
    m.glob("Ih", "ehcn", -45.0)
    m.glob("SK_E2", "zTau", 1.0)
    m.iclamp(soma, 0.5, 20.0, 50.0, 0.5)
    t, i = epsp(150.0, 0.8, 250.0)
    m.waveform(tuft_a, 0.7, t, i)
    m.record("v_soma", "v", soma)
    m.record("v_trunk_hot", "v", trunk, 350.0 / 450.0)
    m.record("v_tuft_b_hot", "v", tuft_b, 200.0 / 350.0)
    m.record("v_tuft_a_tip", "v", tuft_a, 1.0)
    m.record("v_oblique_tip", "v", obl, 1.0)
    m.record("v_basal_tip", "v", b1, 1.0)
    m.record("v_axon_end", "v", ax1, 0.5)
    m.record("cai_trunk_hot", "cai", trunk, 350.0 / 450.0)
    m.record("eca_tuft_b_hot", "eca", tuft_b, 200.0 / 350.0)
    m.record("ica_soma", "ica", soma)
    m.record("sk_z_trunk_hot", "SK_E2.z", trunk, 350.0 / 450.0)
    m.record("ih_m_tuft_a", "Ih.m", tuft_a, 0.7)
    m.record("ina_soma", "ina", soma)
    return m


def nernst_variants():
    ci0, co0 = 8e-5, 1.5
    m = Model(
        "dxch_nernst_variants",
        "Ca in nernst mode in three branches with different CaDynamics_E2 (soma: gamma 0.01, "
        "decay 80; dend_a: per-compartment gamma 0.002-0.05, decay 200; dend_b: gamma 0.02, "
        "per-compartment decay 30-300 ms, depth 0.2, minCai 5e-5) and SK_E2 everywhere; "
        "non-default cai0 = 8e-5 mM and cao0 = 1.5 mM (NEURON GLOBALs cai0_ca_ion/cao0_ca_ion); "
        "a fourth branch (dend_c) has Ca_HVA without a concentration mechanism, i.e. eca fixed "
        "at 115 mV. 30 degC. Channels: Ca_HVA, Ca_LVAst, SK_E2, K_Pst (soma), pas. Soma 0.04 nA "
        "30-180 ms, 0.08 nA 250-300 ms; dend_b tip 0.02 nA 100-200 ms.",
        tstop=400.0, celsius=30.0, v_init=-75.0,
    )  # fmt: skip
    ions = {"k": K85, "ca": nernst(ci0, co0)}

    def mech(gamma, decay, depth=0.1, min_cai=1e-4, hva=0.002, lva=0.008, sk=0.004):
        return {
            "pas": {"g": 1e-4, "e": -80.0},
            "Ca_HVA": {"gCa_HVAbar": hva},
            "Ca_LVAst": {"gCa_LVAstbar": lva},
            "SK_E2": {"gSK_E2bar": sk},
            "CaDynamics_E2": {"gamma": gamma, "decay": decay, "depth": depth, "minCai": min_cai},
        }

    soma_mech = {**mech(0.01, 80.0), "K_Pst": {"gK_Pstbar": 0.002}}
    soma = m.branch("soma", -1, 20.0, 1, 20.0, mech=soma_mech, ions=ions)
    ga = [round(0.002 + 0.048 * i / 5, 6) for i in range(6)]
    da = m.branch("dend_a", soma, 150.0, 6, (2.0, 1.0), mech=mech(ga, 200.0, lva=0.004),
                  ions=ions)  # fmt: skip
    dec = [30.0, 60.0, 120.0, 200.0, 300.0]
    db = m.branch("dend_b", soma, 100.0, 5, 1.5, parent_x=0.0,
                  mech=mech(0.02, dec, depth=0.2, min_cai=5e-5, hva=0.004), ions=ions)  # fmt: skip
    ca115 = {"mode": "fixed", "erev_mV": 115.0}
    dc_mech = {"pas": {"g": 1e-4, "e": -80.0}, "Ca_HVA": {"gCa_HVAbar": 0.003}}
    dc = m.branch("dend_c", da, 80.0, 3, 0.8, ions={"ca": ca115}, mech=dc_mech)
    m.glob("SK_E2", "zTau", 1.0)
    m.iclamp(soma, 0.5, 30.0, 150.0, 0.04)
    m.iclamp(soma, 0.5, 250.0, 50.0, 0.08)
    m.iclamp(db, 1.0, 100.0, 100.0, 0.02)
    m.record("v_soma", "v", soma)
    m.record("v_dend_b_tip", "v", db, 1.0)
    m.record("v_dend_c", "v", dc, 0.5)
    m.record("cai_soma", "cai", soma)
    m.record("cai_dend_a0", "cai", da, 0.0)
    m.record("cai_dend_a5", "cai", da, 1.0)
    m.record("cai_dend_b_tip", "cai", db, 1.0)
    m.record("eca_soma", "eca", soma)
    m.record("eca_dend_b_tip", "eca", db, 1.0)
    m.record("eca_dend_c", "eca", dc, 0.5)
    m.record("cao_soma", "cao", soma)
    m.record("ica_dend_a5", "ica", da, 1.0)
    m.record("sk_z_dend_b_tip", "SK_E2.z", db, 1.0)
    m.record("sk_ik_soma", "SK_E2.ik", soma)
    return m


def seclamp_rs2():
    m = Model(
        "dxch_seclamp_rs2",
        "SEClamp with rs = 2 MOhm (clamp time constant 2 MOhm x 12.6 pF = 25 us, so the "
        "command is reached within a step but with a visible error) at the soma of a "
        "ball-and-stick (soma L = diam = 20 um, Hay somatic Na/K set: NaTs2_t 0.8, Nap_Et2, "
        "K_Pst, K_Tst, SKv3_1, Im, pas; dendrite 300 um, diam 2, 11 compartments, NaTa_t 0.02, "
        "SKv3_1, Ih, pas). Levels -70/20, -35/15, -95/25 ms (the soma escapes the -35 mV "
        "command with one spike at 20.3 ms), then free: 0.3 nA into the soma 90-130 ms and "
        "0.4 nA into the dendrite tip 80-120 ms. 34 degC, v_init -75.",
        tstop=160.0, celsius=34.0, v_init=-75.0,
    )  # fmt: skip
    soma_mech = {
        "pas": {"g": 3.38e-5, "e": -90.0}, "NaTs2_t": {"gNaTs2_tbar": 0.8},
        "Nap_Et2": {"gNap_Et2bar": 0.00172}, "K_Pst": {"gK_Pstbar": 0.00223},
        "K_Tst": {"gK_Tstbar": 0.0812}, "SKv3_1": {"gSKv3_1bar": 0.693}, "Im": {"gImbar": 0.0001},
    }  # fmt: skip
    dend_mech = {
        "pas": {"g": 5.89e-5, "e": -90.0}, "NaTa_t": {"gNaTa_tbar": 0.02},
        "SKv3_1": {"gSKv3_1bar": 0.002}, "Ih": {"gIhbar": 0.0003},
    }  # fmt: skip
    soma = m.branch("soma", -1, 20.0, 1, 20.0, mech=soma_mech, ions={"na": NA50, "k": K85})
    dend = m.branch("dend", soma, 300.0, 11, 2.0, mech=dend_mech, ions={"na": NA50, "k": K85})
    m.glob("Ih", "ehcn", -45.0)
    c = m.seclamp(soma, 0.5, 2.0, [(20.0, -70.0), (15.0, -35.0), (25.0, -95.0)])
    m.iclamp(soma, 0.5, 90.0, 40.0, 0.3)
    m.iclamp(dend, 1.0, 80.0, 40.0, 0.4)
    m.record("i_clamp", "i_seclamp", soma, stim=c)
    m.record("v_soma", "v", soma)
    m.record("v_dend_mid", "v", dend, 0.5)
    m.record("v_dend_tip", "v", dend, 1.0)
    m.record("m_nats2", "NaTs2_t.m", soma)
    m.record("g_nats2", "NaTs2_t.gNaTs2_t", soma)
    m.record("h_ktst", "K_Tst.h", soma)
    m.record("ik_skv31", "SKv3_1.ik", soma)
    m.record("ina_soma", "ina", soma)
    m.record("ik_soma", "ik", soma)
    m.record("ihcn_dend_mid", "Ih.ihcn", dend, 0.5)
    return m


CASES = [pos_na, pos_k, pos_im, pos_ical, pos_it, pos_leak,
         lambda: pos_cell("RS"), lambda: pos_cell("FS"), lambda: pos_cell("IB"),
         lambda: pos_cell("LTS"), hay_tree37, nernst_variants, seclamp_rs2]  # fmt: skip


def main() -> None:
    CASES_DIR.mkdir(parents=True, exist_ok=True)
    for make in CASES:
        data = make().finish()
        path = CASES_DIR / f"{data['name']}.json"
        text = json.dumps(data, indent=1) + "\n"
        if path.exists() and path.read_text() == text:
            print(f"{data['name']}: unchanged")
            continue
        path.write_text(text)
        print(f"{data['name']}: wrote {path} ({len(text) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
