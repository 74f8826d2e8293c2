#!/usr/bin/env python
"""Write the JSON models of the NMODL import cases (``cases/dxnm_*.json``, neuroref-case/2).

    python tests/validation/nmodl/make_nmodl_cases.py
    python tests/validation/channels/regenerate_channels_neuron.py \\
        --cases-dir tests/validation/nmodl/cases --mod-dir tests/validation/nmodl/mod

The mod files in ``mod/`` exercise what the channel set (tests/validation/channels/mod) does
not: a GHK current (not linear in v) with a TABLE, a nonlinear derivimplicit pool, an
explicit PROCEDURE state update with dt, METHOD euler, several nonspecific currents and an
if / else if chain. NEURON runs them with every usetable = 0 (the generator's setting).
"""

from __future__ import annotations

import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
CASES_DIR = HERE / "cases"
UNITS = {
    "length_um": "micrometre",
    "diam_um": "micrometre",
    "Ra_ohm_cm": "ohm*cm",
    "cm_uF_cm2": "uF/cm^2",
    "gnabar, gkbar, gl, gx, g (pas)": "S/cm^2",
    "pbar (cagk)": "cm/s",
    "el, e (pas), erev_mV": "mV",
    "ci0_mM/co0_mM, cainf, km": "mM",
    "depth (capump, cabuf)": "micrometre",
    "Btot, B, CaB (cabuf)": "mM",
    "kon (cabuf)": "1/(mM*ms)",
    "koff (cabuf)": "1/ms",
    "taur (capump, cabuf)": "ms",
    "vmax (capump)": "mM/ms",
    "celsius": "degC",
    "t/delay/dur/dt/tstop": "ms",
    "amp_nA": "nA (positive = depolarising, injected into the compartment)",
    "seclamp": "rs_MOhm in megohm, amp*_mV in mV, dur*_ms in ms",
    "recordings": "each recording has its own 'unit'",
}
CA = {"mode": "nernst", "ci0_mM": 1e-4, "co0_mM": 2.0, "valence": 2}
NA = {"mode": "fixed", "erev_mV": 50.0}
K = {"mode": "fixed", "erev_mV": -77.0}
CAGK = {"pbar": 5e-5}
CAPUMP = {"depth": 0.5, "taur": 50.0, "cainf": 1e-4, "vmax": 2e-4, "km": 5e-4}


def _rec(key: str, var: str, unit: str) -> dict:
    return {"key": key, "var": var, "unit": unit, "branch": 0, "x": 0.5, "comp": 0}


def _case(name, description, mechanisms, ions, stimuli, recordings, tstop, v_init) -> dict:
    return {
        "format": "neuroref-case/2",
        "name": name,
        "description": description,
        "units": UNITS,
        "celsius": 30.0,
        "v_init_mV": v_init,
        "dt_ms": 0.025,
        "tstop_ms": tstop,
        "method": {"name": "backward_euler", "neuron_secondorder": 0},
        "globals": {"cagk": {"q10": 3.0}} if "cagk" in mechanisms else {},
        "mechanisms_used": sorted(mechanisms),
        "n_branches": 1,
        "n_compartments": 1,
        "branches": [
            {
                "name": "soma",
                "parent": -1,
                "parent_x": None,
                "length_um": 20.0,
                "ncomp": 1,
                "diam_um": [20.0],
                "Ra_ohm_cm": 100.0,
                "cm_uF_cm2": 1.0,
                "mechanisms": mechanisms,
                "ions": ions,
                "swc_type": 1,
            }
        ],
        "stimuli": stimuli,
        "recordings": recordings,
    }


def cases() -> list[dict]:
    spikes = _case(
        "dxnm_spikes",
        "Single compartment (L = diam = 20 um) with nae (Na by euler, leak il, if-chain ix), "
        "kdrold (explicit PROCEDURE update), cagk (GHK Ca current, TABLE) and capump "
        "(saturating pump, nonlinear derivimplicit); ca in nernst mode. 0.15 nA 10-70 ms: a "
        "spike train that loads the pump past km.",
        {
            "nae": {"gnabar": 0.12, "gl": 3e-4, "el": -54.3, "gx": 1e-4},
            "kdrold": {"gkbar": 0.036},
            "cagk": CAGK,
            "capump": CAPUMP,
        },  # fmt: skip
        {"na": NA, "k": K, "ca": CA},
        [
            {
                "type": "iclamp",
                "branch": 0,
                "x": 0.5,
                "comp": 0,
                "delay_ms": 10.0,
                "dur_ms": 60.0,
                "amp_nA": 0.15,
            }
        ],  # fmt: skip
        [
            _rec("v_soma", "v", "mV"),
            _rec("cai", "cai", "mM"),
            _rec("eca", "eca", "mV"),
            _rec("ica", "ica", "mA/cm2"),
            _rec("ina", "ina", "mA/cm2"),
            _rec("ik", "ik", "mA/cm2"),
            _rec("m_cagk", "cagk.m", "1"),
            _rec("n_kdrold", "kdrold.n", "1"),
            _rec("m_nae", "nae.m", "1"),
            _rec("h_nae", "nae.h", "1"),
            _rec("il_nae", "nae.il", "mA/cm2"),
            _rec("ix_nae", "nae.ix", "mA/cm2"),
        ],
        100.0,
        -65.0,
    )
    clamp = _case(
        "dxnm_ghk_clamp",
        "Single compartment with cagk (GHK) and capump under SEClamp (rs 0.5 MOhm) -80 mV 20 "
        "ms, +20 mV 40 ms, -30 mV 30 ms, then free: the clamp current of a current that is "
        "not linear in v, whose conductance NEURON takes as a 0.001 mV difference quotient.",
        {"pas": {"g": 1e-4, "e": -70.0}, "cagk": CAGK, "capump": CAPUMP},
        {"ca": CA},
        [
            {
                "type": "seclamp",
                "branch": 0,
                "x": 0.5,
                "comp": 0,
                "rs_MOhm": 0.5,
                "dur1_ms": 20.0,
                "amp1_mV": -80.0,
                "dur2_ms": 40.0,
                "amp2_mV": 20.0,
                "dur3_ms": 30.0,
                "amp3_mV": -30.0,
            }
        ],  # fmt: skip
        [
            _rec("v_soma", "v", "mV"),
            {**_rec("i_clamp", "i_seclamp", "nA"), "stim": 0},
            _rec("cai", "cai", "mM"),
            _rec("ica_cagk", "cagk.ica", "mA/cm2"),
            _rec("m_cagk", "cagk.m", "1"),
        ],
        120.0,
        -70.0,
    )
    kinetic = _case(
        "dxnm_kinetic_spikes",
        "Single compartment with nakin (HH Na as an 8-state Markov scheme, METHOD sparse, "
        "CONSERVE, STEADYSTATE sparse in INITIAL), kdrold, a leak, cagk (GHK Ca current) and "
        "cabuf (calcium shell with a buffer: COMPARTMENT, cai + B <-> CaB, '<<' influx and "
        "extrusion, CONSERVE; nonlinear, so sparse iterates), at 6.3 degC (HH's temperature). "
        "0.15 nA 10-70 ms: a spike train that loads the buffer.",
        {
            "pas": {"g": 3e-4, "e": -54.3},
            "nakin": {"gnabar": 0.12},
            "kdrold": {"gkbar": 0.036},
            "cagk": {"pbar": 1e-5},
            "cabuf": {
                "depth": 0.2,
                "Btot": 0.05,
                "kon": 100.0,
                "koff": 0.1,
                "taur": 20.0,
                "cainf": 5e-5,
            },
        },  # fmt: skip
        {"na": NA, "k": K, "ca": CA},
        [
            {
                "type": "iclamp",
                "branch": 0,
                "x": 0.5,
                "comp": 0,
                "delay_ms": 10.0,
                "dur_ms": 60.0,
                "amp_nA": 0.15,
            }
        ],  # fmt: skip
        [
            _rec("v_soma", "v", "mV"),
            _rec("cai", "cai", "mM"),
            _rec("ica", "ica", "mA/cm2"),
            _rec("ina", "ina", "mA/cm2"),
            _rec("o_nakin", "nakin.m3h1", "1"),
            _rec("c_nakin", "nakin.m0h0", "1"),
            _rec("i_nakin", "nakin.m3h0", "1"),
            _rec("b_cabuf", "cabuf.B", "mM"),
            _rec("cab_cabuf", "cabuf.CaB", "mM"),
        ],
        100.0,
        -65.0,
    )
    kinetic["celsius"] = 6.3
    kinetic_clamp = _case(
        "dxnm_kinetic_clamp",
        "Single compartment with nakin and a leak under SEClamp (rs 0.5 MOhm) -90 mV 10 ms, "
        "-20 mV 10 ms, -50 mV 20 ms, then free: the Markov scheme's activation, inactivation "
        "and recovery in the clamp current.",
        {"pas": {"g": 1e-4, "e": -65.0}, "nakin": {"gnabar": 0.05}},
        {"na": NA},
        [
            {
                "type": "seclamp",
                "branch": 0,
                "x": 0.5,
                "comp": 0,
                "rs_MOhm": 0.5,
                "dur1_ms": 10.0,
                "amp1_mV": -90.0,
                "dur2_ms": 10.0,
                "amp2_mV": -20.0,
                "dur3_ms": 20.0,
                "amp3_mV": -50.0,
            }
        ],  # fmt: skip
        [
            _rec("v_soma", "v", "mV"),
            {**_rec("i_clamp", "i_seclamp", "nA"), "stim": 0},
            _rec("ina", "ina", "mA/cm2"),
            _rec("o_nakin", "nakin.m3h1", "1"),
            _rec("m1h1_nakin", "nakin.m1h1", "1"),
        ],
        60.0,
        -65.0,
    )
    shells = _case(
        "dxnm_kinetic_shells",
        "Single compartment with cagk (GHK Ca current) and cashell (radial diffusion between "
        "four shells with a buffer in each: arrays, FROM loops, COMPARTMENT i, vrat[i], a "
        "nonlinear scheme) and a leak under SEClamp (rs 0.5 MOhm) -70 mV 10 ms, +10 mV 30 ms, "
        "-70 mV 40 ms: calcium loading and its diffusion inwards.",
        {
            "pas": {"g": 1e-4, "e": -70.0},
            "cagk": {"pbar": 2e-5},
            "cashell": {
                "rad": 5.0,
                "dr": 0.5,
                "DCa": 0.6,
                "kon": 100.0,
                "koff": 0.1,
                "Btot": 0.03,
                "taur": 50.0,
                "cainf": 5e-5,
            },
        },  # fmt: skip
        {"ca": CA},
        [
            {
                "type": "seclamp",
                "branch": 0,
                "x": 0.5,
                "comp": 0,
                "rs_MOhm": 0.5,
                "dur1_ms": 10.0,
                "amp1_mV": -70.0,
                "dur2_ms": 30.0,
                "amp2_mV": 10.0,
                "dur3_ms": 40.0,
                "amp3_mV": -70.0,
            }
        ],  # fmt: skip
        [
            _rec("v_soma", "v", "mV"),
            {**_rec("i_clamp", "i_seclamp", "nA"), "stim": 0},
            _rec("cai", "cai", "mM"),
            _rec("ica", "ica", "mA/cm2"),
            _rec("m_cagk", "cagk.m", "1"),
        ],
        100.0,
        -70.0,
    )
    return [spikes, clamp, kinetic, kinetic_clamp, shells]


def main() -> None:
    CASES_DIR.mkdir(exist_ok=True)
    for case in cases():
        path = CASES_DIR / f"{case['name']}.json"
        path.write_text(json.dumps(case, indent=1) + "\n")
        print("wrote", path)


if __name__ == "__main__":
    main()
