#!/usr/bin/env python
"""NEURON reference of Hay et al. (2011)'s L5PC (``L5PCbiophys3``) on the bundled
``l5pc_with_axon.swc``, built in NEURON the way Hay's hoc template does it, with dendrax's own
mod files (``tests/validation/channels/mod``, written from the published equations).

    python tests/validation/hay/hay_neuron.py            # write hay_neuron.npz next to this file
    python tests/validation/hay/hay_neuron.py --check    # rerun, compare with the stored npz
    python tests/validation/hay/hay_neuron.py --time 1000   # time a 1 s run (no stimulus)

The model (Hay E, Hill S, Schürmann F, Markram H, Segev I 2011, PLoS Comput Biol 7:e1002107;
ModelDB 139653, ``L5PCtemplate.hoc`` and ``L5PCbiophys3.hoc``), built independently of dendrax:

- ``Import3d_SWC_read`` + ``Import3d_GUI(...).instantiate(None)`` of the SWC;
- ``nseg = 1 + 2*int(L/40)`` for every section (Hay's ``geom_nseg``);
- the axon deleted (``forsec axonal delete_section()``) and replaced by two 30 µm x 1 µm
  sections with one segment each, ``axon0(0)`` on ``soma(0.5)``, ``axon1(0)`` on ``axon0(1)``;
- ``L5PCbiophys3``: pas everywhere (e_pas -90 mV, Ra 100 Ω·cm; cm 2 µF/cm² in apical and
  basal dendrites), the regional densities, ena 50 mV and ek -85 mV, and the apical
  distributions by Hay's ``distribute_channels``: ``distance()`` from ``apic[0](0)``,
  ``dmax`` from ``getLongestBranch`` (the largest ``distance(1)`` over apical tips), and a loop
  ``for (x)`` over x = 0, every segment centre and x = 1, each value written into the segment
  that contains x (so the last segment of every section keeps the value at x = 1);
- the dendritic site of the BAC protocol as Hay's ``locateSites("apic", 620)``: every apical
  section whose ``distance(0) <= 620 <= distance(1)``, the one of largest ``diam`` there;
- the EPSP of Hay's ``epsp.mod`` played into an IClamp's ``amp`` at the step midpoints
  (the same current; FORMAT_V2.md section 9), and IClamps at ``soma(0.5)``;
- celsius 34 °C, v_init -80 mV, dt 0.025 ms, backward Euler (secondorder 0), fixed step.

None of the mod files has a TABLE, so no rate table is involved (FORMAT_V2.md section 7).

The npz holds, per protocol ``P`` (``PROTOCOLS``), ``P__soma`` and ``P__dend`` (mV, every
sample from ``store_from`` on; the step protocol only ``step__soma``), ``P__spikes__soma``
(upward 0 mV crossings of the whole run, ms), and the model's per-segment values for the
dendrax test: ``seg_area_um2`` (every segment, in the order of ``seg_section``/``seg_x``) and
``seg_gIhbar``, ``seg_gCa_LVAstbar``, ``seg_gCa_HVAbar`` (S/cm², apical segments, in the order
of ``apical_section``/``apical_x``), and ``meta_json``.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys
import time

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "channels"))
from _compare import spike_times  # noqa: E402
from regenerate_channels_neuron import MOD_DIR, git_blob_id, load_mechanisms  # noqa: E402

SWC = ROOT / "src" / "dendrax" / "data" / "l5pc_with_axon.swc"
NPZ = HERE / "hay_neuron.npz"
DT_MS = 0.025
CELSIUS = 34.0
V_INIT_MV = -80.0
SITE_DISTANCE_UM = 620.0

# Protocols. Times in ms, currents in nA. "soma": IClamp steps at soma(0.5) as (delay, dur,
# amp); "epsp": (onset, imax) at the dendritic site; "dend": store the dendritic trace too;
# "store_from": the stored traces start at this time (ms; the samples before it are rest).
# - "step": Hay's 0.793 nA somatic step (Hay: 2 s from 700 ms; here 300 ms from 100 ms);
# - "bac": Hay's BAC protocol (1.9 nA for 5 ms at 295 ms, the 0.5 nA EPSP at 620 µm 5 ms
#   later). On this morphology it evokes one somatic spike and no dendritic Ca spike;
# - "bac_ca", "epsp_ca": the same with a 0.8 nA EPSP, with and without the somatic pulse: the
#   dendritic Ca spike needs both (coincidence detection);
# - "fit_*": short protocols for the fit example (a depolarising step, BAC, a hyperpolarising
#   step), soma and dendrite.
PROTOCOLS: dict[str, dict] = {
    "step": {"tstop": 450.0, "soma": [(100.0, 300.0, 0.793)], "epsp": [], "dend": False},
    "bac": {"tstop": 360.0, "soma": [(295.0, 5.0, 1.9)], "epsp": [(300.0, 0.5)], "dend": True},
    "bac_ca": {"tstop": 360.0, "soma": [(295.0, 5.0, 1.9)], "epsp": [(300.0, 0.8)], "dend": True},
    "epsp_ca": {"tstop": 360.0, "soma": [], "epsp": [(300.0, 0.8)], "dend": True},
    "fit_step": {"tstop": 80.0, "soma": [(20.0, 60.0, 0.793)], "epsp": [], "dend": True},
    "fit_bac": {"tstop": 80.0, "soma": [(20.0, 5.0, 1.9)], "epsp": [(25.0, 0.5)], "dend": True},
    "fit_hyper": {"tstop": 80.0, "soma": [(20.0, 60.0, -0.4)], "epsp": [], "dend": True},
}
for _name, _p in PROTOCOLS.items():
    _p["store_from"] = 280.0 if _name in ("bac", "bac_ca", "epsp_ca") else 0.0

# L5PCbiophys3 (FORMAT_V2.md section 9): uniform values per section list.
SOMATIC = {
    "pas": {"g_pas": 3.38e-5},
    "Ih": {"gIhbar_Ih": 0.0002},
    "NaTa_t": {"gNaTa_tbar_NaTa_t": 2.04},
    "Nap_Et2": {"gNap_Et2bar_Nap_Et2": 0.00172},
    "K_Pst": {"gK_Pstbar_K_Pst": 0.00223},
    "K_Tst": {"gK_Tstbar_K_Tst": 0.0812},
    "SKv3_1": {"gSKv3_1bar_SKv3_1": 0.693},
    "SK_E2": {"gSK_E2bar_SK_E2": 0.0441},
    "Ca_HVA": {"gCa_HVAbar_Ca_HVA": 0.000992},
    "Ca_LVAst": {"gCa_LVAstbar_Ca_LVAst": 0.00343},
    "CaDynamics_E2": {"gamma_CaDynamics_E2": 0.000501, "decay_CaDynamics_E2": 460.0},
}
APICAL = {
    "pas": {"g_pas": 5.89e-5},
    "Ih": {},
    "SK_E2": {"gSK_E2bar_SK_E2": 0.0012},
    "Ca_LVAst": {},
    "Ca_HVA": {},
    "SKv3_1": {"gSKv3_1bar_SKv3_1": 0.000261},
    "NaTa_t": {"gNaTa_tbar_NaTa_t": 0.0213},
    "Im": {"gImbar_Im": 6.75e-5},
    "CaDynamics_E2": {"gamma_CaDynamics_E2": 0.000509, "decay_CaDynamics_E2": 122.0},
}
BASAL = {"pas": {"g_pas": 4.67e-5}, "Ih": {"gIhbar_Ih": 0.0002}}
AXONAL = {"pas": {"g_pas": 3.25e-5}}


def calculate_distribution(kind, dist, a3, a4, a5, a6, a7):
    """Hay's ``calculate_distribution`` (L5PCtemplate.hoc) for the two kinds L5PCbiophys3
    uses: 2 = exponential ``a3 + a6 exp(a4 (dist - a5))`` (dist normalised by dmax),
    3 = step ``a3`` if ``a5 < dist < a6`` else ``a4`` (dist in µm); times ``a7``."""
    if kind == 2:
        value = a3 + a6 * math.exp(a4 * (dist - a5))
    elif kind == 3:
        value = a3 if a5 < dist < a6 else a4
    else:
        raise ValueError(kind)
    return value * a7


def build(h) -> dict:
    """The cell in NEURON (sections alive as long as the returned dict)."""
    h.load_file("stdlib.hoc")
    h.load_file("import3d.hoc")
    h.load_file("stdrun.hoc")
    if any(True for _ in h.allsec()):
        raise RuntimeError("sections of a previous model are still alive")
    reader = h.Import3d_SWC_read()
    reader.input(str(SWC))
    h.Import3d_GUI(reader, False).instantiate(None)
    secs = list(h.allsec())
    for sec in secs:  # geom_nseg
        sec.nseg = 1 + 2 * int(sec.L / 40.0)
    for sec in [s for s in secs if s.name().startswith("axon")]:  # replaceAxon
        h.delete_section(sec=sec)
    soma = [s for s in h.allsec() if s.name().startswith("soma")]
    assert len(soma) == 1, [s.name() for s in soma]
    soma = soma[0]
    axon = [h.Section(name="axon_stub0"), h.Section(name="axon_stub1")]
    for sec in axon:
        sec.L, sec.diam = 30.0, 1.0
        sec.nseg = 1 + 2 * int(sec.L / 40.0)
    axon[0].connect(soma(0.5), 0)
    axon[1].connect(axon[0](1), 0)
    apical = [s for s in h.allsec() if s.name().startswith("apic")]
    basal = [s for s in h.allsec() if s.name().startswith("dend")]
    everything = list(h.allsec())

    for sec in everything:  # forsec all
        sec.insert("pas")
        sec.cm, sec.Ra = 1.0, 100.0
        for seg in sec:
            seg.e_pas = -90.0
    for group, cm in ((apical, 2.0), (basal, 2.0), (axon, 1.0)):
        for sec in group:
            sec.cm = cm
    for group, values in (([soma], SOMATIC), (apical, APICAL), (basal, BASAL), (axon, AXONAL)):
        for sec in group:
            for mech, params in values.items():
                sec.insert(mech)
                for name, value in params.items():
                    for seg in sec:
                        setattr(seg, name, value)
            if hasattr(sec(0.5), "ena"):
                for seg in sec:
                    seg.ena = 50.0
            if hasattr(sec(0.5), "ek"):
                for seg in sec:
                    seg.ek = -85.0

    # distribute_channels("apic", ...): distance() from apic[0](0); dmax = getLongestBranch
    origin = apical[0](0)
    tips = [s for s in apical if h.SectionRef(sec=s).nchild() == 0]
    dmax = max(h.distance(origin, s(1)) for s in tips)
    rules = (
        ("gIhbar_Ih", 2, -0.8696, 3.6161, 0.0, 2.0870, 0.0002),
        ("gCa_LVAstbar_Ca_LVAst", 3, 1.0, 0.01, 685.0, 885.0, 0.0187),
        ("gCa_HVAbar_Ca_HVA", 3, 1.0, 0.1, 685.0, 885.0, 0.000555),
    )
    for name, kind, a3, a4, a5, a6, a7 in rules:
        for sec in apical:
            for x in [0.0] + [seg.x for seg in sec] + [1.0]:  # hoc's for (x)
                d = h.distance(origin, sec(x))
                dist = d if kind == 3 else d / dmax
                setattr(sec(x), name, calculate_distribution(kind, dist, a3, a4, a5, a6, a7))

    # locateSites("apic", 620) and the site of largest diameter
    best = None
    for sec in apical:
        d0, d1 = h.distance(origin, sec(0)), h.distance(origin, sec(1))
        if d0 <= SITE_DISTANCE_UM <= d1:
            x = (SITE_DISTANCE_UM - d0) / sec.L
            if best is None or sec(x).diam > best[0]:
                best = (sec(x).diam, sec, x)
    assert best is not None
    return {
        "soma": soma,
        "apical": apical,
        "basal": basal,
        "axon": axon,
        "site": (best[1], best[2]),
        "dmax": dmax,
        "origin": origin,
    }


def epsp_current(t, onset, imax, tau0=0.5, tau1=5.0):
    """Hay's ``epsp.mod`` current (nA, depolarising) at times ``t`` (ms)."""
    tp = tau0 * tau1 * math.log(tau0 / tau1) / (tau0 - tau1)
    adjust = 1.0 / ((1.0 - math.exp(-tp / tau0)) - (1.0 - math.exp(-tp / tau1)))
    s = np.asarray(t, dtype=np.float64) - onset
    a0 = 1.0 - np.exp(-np.maximum(s, 0.0) / tau0)
    a1 = 1.0 - np.exp(-np.maximum(s, 0.0) / tau1)
    return np.where(s >= 0.0, adjust * imax * (a0 - a1), 0.0)


def run(h, cell: dict, protocol: dict) -> dict[str, np.ndarray]:
    """One protocol: soma (and dendritic site) voltage at every sample."""
    tstop = float(protocol["tstop"])
    nsteps = round(tstop / DT_MS)
    mid = (np.arange(nsteps) + 0.5) * DT_MS
    soma = cell["soma"](0.5)
    sec, x = cell["site"]
    site = sec(x)
    clamps, checks, played = [], [], []
    for delay, dur, amp in protocol["soma"]:
        cl = h.IClamp(soma)
        cl.delay, cl.dur, cl.amp = delay, dur, amp
        want = np.where((mid >= delay) & (mid < delay + dur), amp, 0.0)
        clamps.append(cl)
        checks.append((cl, want))
    for onset, imax in protocol["epsp"]:
        cl = h.IClamp(site)
        cl.delay, cl.dur, cl.amp = 0.0, 1e9, 0.0
        want = epsp_current(mid, onset, imax)
        tv, iv = h.Vector(mid), h.Vector(want)
        iv.play(cl._ref_amp, tv, 1)  # linear interpolation; exact at the samples (midpoints)
        played.append((tv, iv))
        clamps.append(cl)
        checks.append((cl, want))
    recs = []
    for cl, _ in checks:
        r = h.Vector()
        r.record(cl._ref_i)
        recs.append(r)
    v_soma, v_dend = h.Vector(), h.Vector()
    v_soma.record(soma._ref_v)
    v_dend.record(site._ref_v)
    h.CVode().active(0)
    h.celsius = CELSIUS
    h.secondorder = 0
    h.dt = DT_MS
    h.finitialize(V_INIT_MV)
    for _ in range(nsteps):
        h.fadvance()
    for (_, want), r in zip(checks, recs):
        got = np.array(r)[1:]  # sample k+1 holds the current of step k
        if np.max(np.abs(got - want)) > 1e-9:  # linear interpolation: round-off
            raise RuntimeError("a stimulus was not delivered at the step midpoints")
    return {"soma": np.array(v_soma), "dend": np.array(v_dend)}


def time_run(h, cell: dict, tstop: float, repeats: int = 3) -> dict[str, list[float]]:
    """Wall times (s) of ``finitialize`` + the run to ``tstop`` without stimulus or recording,
    with ``continuerun`` (stdrun's loop, the project's benchmarks/run_neuron.py) and with
    ``ParallelContext.psolve`` (the loop in C)."""
    h.CVode().active(0)
    h.celsius, h.secondorder, h.dt = CELSIUS, 0, DT_MS
    h.steps_per_ms = 1.0 / DT_MS
    pc = h.ParallelContext()
    pc.set_maxstep(10.0)
    out: dict[str, list[float]] = {"continuerun": [], "psolve": []}
    for _ in range(repeats):
        for how in out:
            t0 = time.perf_counter()
            h.finitialize(V_INIT_MV)
            if how == "psolve":
                pc.psolve(tstop)
            else:
                h.continuerun(tstop)
            out[how].append(time.perf_counter() - t0)
            if abs(h.t - tstop) > 1e-6:
                raise RuntimeError(f"{how} ended at t={h.t}, not {tstop}")
    return out


def segment_table(h, cell: dict) -> dict[str, np.ndarray]:
    """Per-segment areas (every section) and the apical distributed densities."""
    names, xs, areas = [], [], []
    for sec in h.allsec():
        for seg in sec:
            names.append(sec.name())
            xs.append(seg.x)
            areas.append(seg.area())
    apical = {"seg_gIhbar": [], "seg_gCa_LVAstbar": [], "seg_gCa_HVAbar": []}
    apical_names, apical_x = [], []
    for sec in cell["apical"]:
        for seg in sec:
            apical_names.append(sec.name())
            apical_x.append(seg.x)
            apical["seg_gIhbar"].append(seg.gIhbar_Ih)
            apical["seg_gCa_LVAstbar"].append(seg.gCa_LVAstbar_Ca_LVAst)
            apical["seg_gCa_HVAbar"].append(seg.gCa_HVAbar_Ca_HVA)
    out = {
        "seg_section": np.array(names),
        "seg_x": np.array(xs),
        "seg_area_um2": np.array(areas),
        "apical_section": np.array(apical_names),
        "apical_x": np.array(apical_x),
    }
    out.update({k: np.array(v) for k, v in apical.items()})
    return out


def reference() -> dict[str, np.ndarray]:
    import neuron

    h = load_mechanisms()
    cell = build(h)
    out = segment_table(h, cell)
    spikes = {}
    for name, protocol in PROTOCOLS.items():
        traces = run(h, cell, protocol)
        first = round(protocol["store_from"] / DT_MS)
        out[f"{name}__soma"] = traces["soma"][first:]
        if protocol["dend"]:
            out[f"{name}__dend"] = traces["dend"][first:]
        t = np.arange(traces["soma"].size) * DT_MS
        out[f"{name}__spikes__soma"] = spike_times(t, traces["soma"])
        spikes[name] = out[f"{name}__spikes__soma"].tolist()
    sec, x = cell["site"]
    meta = {
        "neuron_version": neuron.__version__,
        "dt_ms": DT_MS,
        "celsius": CELSIUS,
        "v_init_mV": V_INIT_MV,
        "protocols": PROTOCOLS,
        "site": {"section": sec.name(), "x": x, "distance_um": SITE_DISTANCE_UM},
        "dmax_um": cell["dmax"],
        "n_segments": int(sum(s.nseg for s in h.allsec())),
        "mod_blobs": {f.name: git_blob_id(f) for f in sorted(MOD_DIR.glob("*.mod"))},
        "swc_blob": git_blob_id(SWC),
        "generator": "dendrax tests/validation/hay/hay_neuron.py",
    }
    out["meta_json"] = np.array(json.dumps(meta))
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored npz only")
    ap.add_argument("--out", type=pathlib.Path, default=NPZ)
    ap.add_argument("--time", type=float, metavar="TSTOP", help="time a run of TSTOP ms")
    args = ap.parse_args(argv)
    if args.time:
        h = load_mechanisms()
        cell = build(h)
        times = time_run(h, cell, args.time)
        print(json.dumps({"tstop_ms": args.time, "seconds": times}))
        return 0
    out = reference()
    if args.check:
        with np.load(NPZ) as z:
            worst = max(
                float(np.max(np.abs(out[k] - z[k])))
                for k in out
                if out[k].dtype.kind == "f" and out[k].size
            )
        print(f"max |new - stored| = {worst:.3g}")
        return 0 if worst <= 1e-9 else 1
    np.savez_compressed(args.out, **out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KiB)")
    print(json.dumps(json.loads(str(out["meta_json"]))["site"]))
    for name in PROTOCOLS:
        print(name, np.round(out[f"{name}__spikes__soma"], 3).tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main())
