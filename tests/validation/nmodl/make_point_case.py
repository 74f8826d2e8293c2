#!/usr/bin/env python
"""NEURON ground truth for imported point processes (NMODL tier C): ``point/dxnm_point_events``.

    python tests/validation/nmodl/make_point_case.py   # needs NEURON and nrnivmodl (test-only)

One HH soma (NEURON's ``hh`` at 6.3 degC, L = diam = 20 um, cm = 1 uF/cm2) with the two
synapse files of ``mod/`` (``DxExpSyn``, ``DxExp2Syn``), driven by events from NetStims
(one per spike time, ``number = 1``, ``noise = 0``) through NetCons with a delay, including two
coincident events. Fixed step (``dt`` below): NEURON delivers an event with delivery time
``t_d`` at the start of the step nearest to it (NETWORK_FORMAT.md, rule 3); no delivery time is
near a tie. The JSON holds the case's parameters (read by ``tests/test_nmodl_point_neuron.py``,
which builds the same model in dendrax); the npz the voltage, both conductances and Exp2Syn's
states at every step, from NEURON 9.0.2 (with ``usetable_hh = 0``). DxExp2Syn's ``g`` is an
ASSIGNED variable of BREAKPOINT: NEURON's record at ``t_{n+1}`` holds the value computed at the
start of the step, from the states at ``t_n``.
"""

from __future__ import annotations

import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
CASE = {
    "name": "dxnm_point_events",
    "soma": {"length_um": 20.0, "diam_um": 20.0, "cm_uF_cm2": 1.0, "Ra_ohm_cm": 100.0},
    "celsius": 6.3,
    "v_init_mV": -65.0,
    "dt_ms": 0.025,
    "tstop_ms": 40.0,
    "expsyn": {"tau": 2.0, "e": 0.0},
    "exp2syn": {"tau1": 0.5, "tau2": 4.0, "e": -10.0},
    # (spike time ms, delay ms, weight uS, target): the first drives a spike
    "events": [
        [1.01, 0.5, 0.02, "expsyn"],
        [8.013, 1.0, 0.004, "expsyn"],
        [8.013, 0.7, 0.006, "exp2syn"],
        [8.013, 0.7, 0.003, "exp2syn"],
        [15.2, 0.3, 0.03, "exp2syn"],
        [27.31, 2.0, 0.003, "expsyn"],
    ],
}


def main() -> None:
    out = HERE / "point" / CASE["name"]
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("dxexpsyn.mod", "dxexp2syn.mod"):
            shutil.copy(HERE / "mod" / name, tmp)
        nrnivmodl = pathlib.Path(sys.executable).parent / "nrnivmodl"
        subprocess.run([str(nrnivmodl)], cwd=tmp, check=True, capture_output=True)
        from neuron import h

        build = pathlib.Path(tmp)
        libs = sorted(build.glob("*/libnrnmech.so")) + sorted(build.glob("*/.libs/libnrnmech.so"))
        h.nrn_load_dll(str(libs[0]))
        h.load_file("stdrun.hoc")
        soma = h.Section(name="soma")
        geo = CASE["soma"]
        soma.L, soma.diam, soma.cm, soma.Ra, soma.nseg = (
            geo["length_um"], geo["diam_um"], geo["cm_uF_cm2"], geo["Ra_ohm_cm"], 1,
        )  # fmt: skip
        soma.insert("hh")
        syns = {"expsyn": h.DxExpSyn(soma(0.5)), "exp2syn": h.DxExp2Syn(soma(0.5))}
        for key, values in (("expsyn", CASE["expsyn"]), ("exp2syn", CASE["exp2syn"])):
            for k, v in values.items():
                setattr(syns[key], k, v)
        keep = []
        for t, delay, weight, target in CASE["events"]:
            ns = h.NetStim()
            ns.start, ns.number, ns.interval, ns.noise = t, 1, 1.0, 0
            nc = h.NetCon(ns, syns[target])
            nc.delay, nc.weight[0] = delay, weight
            keep += [ns, nc]
        h.usetable_hh = 0  # the exact rates (dendrax computes them exactly)
        h.celsius, h.dt = CASE["celsius"], CASE["dt_ms"]
        h.steps_per_ms = 1.0 / CASE["dt_ms"]
        recs = {
            "t": h.Vector().record(h._ref_t),
            "v": h.Vector().record(soma(0.5)._ref_v),
            "g_expsyn": h.Vector().record(syns["expsyn"]._ref_g),
            "g_exp2syn": h.Vector().record(syns["exp2syn"]._ref_g),
            "A_exp2syn": h.Vector().record(syns["exp2syn"]._ref_A),
            "B_exp2syn": h.Vector().record(syns["exp2syn"]._ref_B),
        }
        h.finitialize(CASE["v_init_mV"])
        h.continuerun(CASE["tstop_ms"])
        data = {k: np.asarray(v) for k, v in recs.items()}
    np.savez(out.with_suffix(".npz"), **data)
    meta = {**CASE, "neuron": h.nrnversion(), "max_v_mV": float(data["v"].max())}
    out.with_suffix(".json").write_text(json.dumps(meta, indent=1) + "\n")
    print(f"wrote {out}.json/.npz: {len(data['t'])} samples, max v {data['v'].max():.2f} mV")


if __name__ == "__main__":
    main()
