"""The imported synapse files (NMODL tier C) against NEURON 9.0.2: the case
``tests/validation/nmodl/point/dxnm_point_events`` (written by
``tests/validation/nmodl/make_point_case.py`` with nrnivmodl-compiled copies of the same
files) rebuilt in dendrax with ``dx.load_mod`` of the files, events from spike-time sources
through connections with NEURON's delays and weights."""

from __future__ import annotations

import json
import pathlib

import numpy as np

import dendrax as dx

HERE = pathlib.Path(__file__).parent / "validation" / "nmodl"


def _simulate(case: dict, exp_syn, exp2_syn):
    geo = case["soma"]
    soma = dx.Cell(
        [
            dx.BranchGeometry.cylinder(
                length_um=geo["length_um"], diam_um=geo["diam_um"], ncomp=1, kind="soma"
            )
        ]
    )
    soma.insert(dx.HH())
    net = dx.Network()
    cell = net.add_cells(soma, 1, name="c")
    syns = {
        "expsyn": net.place(exp_syn(**case["expsyn"]), cell[0], at=(0, 0.5), name="s1"),
        "exp2syn": net.place(exp2_syn(**case["exp2syn"]), cell[0], at=(0, 0.5), name="s2"),
    }
    for k, (t, delay, weight, target) in enumerate(case["events"]):
        src = net.add_source(dx.SpikeTimes([t]), name=f"src{k}")
        net.connect(src, syns[target], weight_uS=weight, delay_ms=delay)
    net.record("v", cell, at=(0, 0.5), key="v")
    net.record_synapse(syns["expsyn"], "g", key="g_expsyn")
    net.record_synapse(syns["exp2syn"], "g", key="g_exp2syn")
    net.record_synapse(syns["exp2syn"], "A", key="A_exp2syn")
    net.record_synapse(syns["exp2syn"], "B", key="B_exp2syn")
    system = dx.compile(
        net,
        dt_ms=case["dt_ms"],
        t_stop_ms=case["tstop_ms"],
        v_init_mV=case["v_init_mV"],
        celsius=case["celsius"],
    )
    return dx.simulate(system)


def test_imported_synapses_reproduce_neuron():
    case = json.loads((HERE / "point" / "dxnm_point_events.json").read_text())
    ref = np.load(HERE / "point" / "dxnm_point_events.npz")
    exp_syn = dx.load_mod(HERE / "mod" / "dxexpsyn.mod")
    exp2_syn = dx.load_mod(HERE / "mod" / "dxexp2syn.mod")
    got = _simulate(case, exp_syn, exp2_syn)
    v = np.asarray(got["v"])
    assert v.shape == ref["v"].shape and ref["v"].max() > 0.0  # the case spikes
    dv = np.max(np.abs(v - ref["v"]))
    print(f"max |dV| vs NEURON: {dv:.3g} mV")
    assert dv < 1e-8
    # STATEs are recorded at t_n by both; DxExp2Syn's g is an ASSIGNED of BREAKPOINT, which
    # NEURON records at t_{n+1} from the states at t_n (dendrax's derived g: at t_n)
    shifted = {"g_exp2syn": (np.asarray(got["g_exp2syn"])[:-1], ref["g_exp2syn"][1:])}
    for key in ("g_expsyn", "A_exp2syn", "B_exp2syn", "g_exp2syn"):
        mine, theirs = shifted.get(key, (np.asarray(got[key]), ref[key]))
        assert theirs.max() > 1e-3
        dg = np.max(np.abs(mine - theirs))
        print(f"max |d{key}| vs NEURON: {dg:.3g} uS (peak {ref[key].max():.3g})")
        assert dg < 1e-12
