#!/usr/bin/env python
"""Regenerate the NEURON reference traces (``cases/<name>.npz``) from the case JSON files.

    pip install neuron==9.0.2
    python tests/validation/regenerate_neuron.py                 # every case in cases/
    python tests/validation/regenerate_neuron.py NAME [NAME...]  # some cases
    python tests/validation/regenerate_neuron.py --check         # compare only, write nothing

Each model is built in NEURON from its JSON alone (format ``neuroref-case/1``, see
/work/shared/reference/FORMAT.md): one section per branch (L, nseg, one diam per segment, Ra, cm),
``hh`` and/or ``pas`` with the given values, child(0) connected to parent(parent_x), IClamps, and
sampled waveforms played into an IClamp's ``amp`` with continuous (linear) interpolation. Then
``usetable_hh = 0``, ``celsius``, ``secondorder``, fixed ``dt``, ``finitialize(v_init)`` and
``fadvance()`` until ``tstop``. Voltages and hh gates are recorded at compartment centres after
every step (gates there are the ones updated with the new voltage, as in FORMAT.md).

The script checks its own stimulus timing: the current every IClamp delivered during step
``t_n -> t_n + dt`` must equal the JSON stimulus evaluated at ``t_n + dt/2`` (step currents on
for exactly the steps inside ``[delay, delay + dur)``; waveforms interpolated linearly).

An existing npz is never replaced by one that agrees with it within 1e-9 (the file is kept
byte-for-byte); a differing one is only replaced with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _compare import CASES_DIR, spike_times  # noqa: E402

SAME_ATOL = 1e-9
METHOD_SECONDORDER = {"backward_euler": 0, "crank_nicolson": 2}
GATES = ("m", "h", "n")


def compartment(ncomp: int, x: float) -> int:
    """The compartment that contains ``x`` (FORMAT.md): ``min(floor(x*ncomp), ncomp-1)``."""
    return min(int(np.floor(x * ncomp)), ncomp - 1)


def centre(ncomp: int, x: float) -> float:
    """``x`` snapped to the centre of the compartment containing it."""
    return (compartment(ncomp, x) + 0.5) / ncomp


def stimulus_at(stim: dict, t: np.ndarray) -> np.ndarray:
    """The JSON stimulus current (nA) at times ``t`` (ms)."""
    if stim["type"] == "iclamp":
        on = (t >= stim["delay_ms"]) & (t < stim["delay_ms"] + stim["dur_ms"])
        return np.where(on, float(stim["amp_nA"]), 0.0)
    if stim["type"] == "waveform":
        if stim.get("interpolation", "linear") != "linear":
            raise ValueError(f"waveform interpolation {stim['interpolation']!r} is not linear")
        return np.interp(t, stim["t_ms"], stim["i_nA"])
    raise ValueError(f"unknown stimulus type {stim['type']!r}")


def _build(h, model: dict):
    """Sections, mechanisms and connections; returns the list of sections (branch order)."""
    secs = []
    for k, b in enumerate(model["branches"]):
        sec = h.Section(name=f"b{k}_{b.get('name', '')}".replace(" ", "_"))
        sec.nseg = int(b["ncomp"])
        sec.L = float(b["length_um"])
        sec.Ra = float(b["Ra_ohm_cm"])
        sec.cm = float(b["cm_uF_cm2"])
        if len(b["diam_um"]) != sec.nseg:
            raise ValueError(f"branch {k}: {len(b['diam_um'])} diameters for nseg={sec.nseg}")
        for seg, d in zip(sec, b["diam_um"]):
            seg.diam = float(d)
        mechs = b.get("mechanisms", {})
        unknown = set(mechs) - {"hh", "pas"}
        if unknown:
            raise ValueError(f"branch {k}: unsupported mechanisms {sorted(unknown)}")
        if "hh" in mechs:
            p = mechs["hh"]
            sec.insert("hh")
            for seg in sec:
                seg.hh.gnabar = p["gnabar"]
                seg.hh.gkbar = p["gkbar"]
                seg.hh.gl = p["gl"]
                seg.hh.el = p["el"]
                seg.ena = p["ena"]
                seg.ek = p["ek"]
        if "pas" in mechs:
            p = mechs["pas"]
            sec.insert("pas")
            for seg in sec:
                seg.pas.g = p["g"]
                seg.pas.e = p["e"]
        if k == 0:
            if b["parent"] != -1:
                raise ValueError("branch 0 must be the root (parent -1)")
        else:
            parent = int(b["parent"])
            if not 0 <= parent < k:
                raise ValueError(f"branch {k}: parent {parent} must be an earlier branch")
            px = 1.0 if b.get("parent_x") is None else float(b["parent_x"])
            pn = int(model["branches"][parent]["ncomp"])
            if 0.0 < px < 1.0:  # attach to the node of the parent compartment containing px
                px = centre(pn, px)
            sec.connect(secs[parent](px), 0)
        secs.append(sec)
    return secs


def run_neuron(model: dict) -> dict[str, np.ndarray]:
    """Simulate one case in NEURON; returns the npz arrays (t, traces, spikes, meta_json)."""
    import neuron
    from neuron import h

    if any(True for _ in h.allsec()):
        raise RuntimeError("sections of a previous case are still alive")
    dt = float(model["dt_ms"])
    tstop = float(model["tstop_ms"])
    nsteps = round(tstop / dt)
    if abs(nsteps * dt - tstop) > 1e-9 * max(1.0, tstop):
        raise ValueError(f"tstop {tstop} is not a multiple of dt {dt}")
    method = model["method"]["name"]
    secondorder = METHOD_SECONDORDER[method]
    if model["method"].get("neuron_secondorder", secondorder) != secondorder:
        raise ValueError(f"method {method} needs neuron_secondorder={secondorder}")

    secs = _build(h, model)

    def seg_of(item):
        b = model["branches"][item["branch"]]
        n = int(b["ncomp"])
        c = compartment(n, float(item["x"]))
        if "comp" in item and int(item["comp"]) != c:
            raise ValueError(f"{item}: comp disagrees with x (x lies in compartment {c})")
        return secs[item["branch"]](centre(n, float(item["x"])))

    clamps, played, i_recs = [], [], []
    for s in model.get("stimuli", []):
        ic = h.IClamp(seg_of(s))
        if s["type"] == "iclamp":
            ic.delay, ic.dur, ic.amp = s["delay_ms"], s["dur_ms"], s["amp_nA"]
        elif s["type"] == "waveform":
            t_s = np.asarray(s["t_ms"], dtype=np.float64)
            if t_s[0] > 0.0 or t_s[-1] < tstop:
                raise ValueError("waveform samples must cover [0, tstop]")
            ic.delay, ic.dur, ic.amp = 0.0, 1e9, 0.0
            tv, iv = h.Vector(t_s), h.Vector(np.asarray(s["i_nA"], dtype=np.float64))
            iv.play(ic._ref_amp, tv, 1)  # continuous: linear interpolation at every t
            played.append((tv, iv))
        else:
            raise ValueError(f"unknown stimulus type {s['type']!r}")
        rec = h.Vector()
        rec.record(ic._ref_i)
        clamps.append(ic)
        i_recs.append(rec)

    t_rec = h.Vector()
    t_rec.record(h._ref_t)
    recs = []
    for r in model.get("recordings", []):
        seg = seg_of(r)
        var = r["var"]
        vec = h.Vector()
        if var == "v":
            vec.record(seg._ref_v)
        elif var in GATES:
            vec.record(getattr(seg.hh, f"_ref_{var}"))
        else:
            raise ValueError(f"unknown recorded variable {var!r}")
        recs.append((r["key"], var, vec))

    h.CVode().active(0)
    h.usetable_hh = 0
    h.celsius = float(model["celsius"])
    h.secondorder = secondorder
    h.dt = dt
    h.finitialize(float(model["v_init_mV"]))
    for _ in range(nsteps):
        h.fadvance()
    if abs(h.dt - dt) > 0 or abs(h.t - tstop) > 1e-6:
        raise RuntimeError(f"NEURON ended at t={h.t} with dt={h.dt} (wanted {tstop}, {dt})")

    t = np.arange(nsteps + 1, dtype=np.float64) * dt
    if t_rec.size() != nsteps + 1 or np.max(np.abs(np.array(t_rec) - t)) > 1e-6:
        raise RuntimeError("NEURON's recorded time grid is not k*dt")
    mid = (np.arange(nsteps, dtype=np.float64) + 0.5) * dt
    for s, rec in zip(model.get("stimuli", []), i_recs):
        delivered = np.array(rec)[1:]  # sample k+1 holds the current of step k
        err = np.max(np.abs(delivered - stimulus_at(s, mid)))
        if err > 1e-9 * max(1.0, np.max(np.abs(delivered))):
            raise RuntimeError(f"stimulus {s} not delivered at step midpoints (err {err:g} nA)")

    out = {"t": t}
    for key, var, vec in recs:
        y = np.array(vec)
        out[key] = y
        if var == "v":
            out[f"spikes__{key}"] = spike_times(t, y)
    meta = {
        "case": model["name"],
        "neuron_version": neuron.__version__,
        "dt_ms": dt,
        "tstop_ms": tstop,
        "secondorder": secondorder,
        "celsius": float(model["celsius"]),
        "usetable_hh": 0,
        "n_compartments": int(sum(b["ncomp"] for b in model["branches"])),
    }
    out["meta_json"] = np.array(json.dumps(meta))
    return out


def difference(new: dict, path: pathlib.Path) -> tuple[float, str]:
    """Largest |new - stored| over all numeric arrays, and a note on structural differences."""
    with np.load(path) as z:
        old = {k: z[k] for k in z.files}
    if set(old) != set(new):
        return float("inf"), f"keys differ: {sorted(set(old) ^ set(new))}"
    worst, note = 0.0, ""
    for k, a in new.items():
        if k == "meta_json":
            continue
        b = old[k]
        if a.shape != b.shape:
            return float("inf"), f"{k}: shape {b.shape} -> {a.shape}"
        if a.size:
            d = float(np.max(np.abs(a - b)))
            if d > worst:
                worst, note = d, f"worst in {k}"
    return worst, note


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help="case names (default: every cases/*.json)")
    ap.add_argument("--cases-dir", type=pathlib.Path, default=CASES_DIR)
    ap.add_argument("--out-dir", type=pathlib.Path, help="write npz files here instead")
    ap.add_argument("--check", action="store_true", help="compare with stored npz, write none")
    ap.add_argument("--overwrite", action="store_true", help="replace npz files that differ")
    args = ap.parse_args(argv)
    names = args.cases or sorted(p.stem for p in args.cases_dir.glob("*.json"))
    out_dir = args.out_dir or args.cases_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in names:
        with open(args.cases_dir / f"{name}.json") as f:
            model = json.load(f)
        if model.get("name", name) != name:
            raise ValueError(f"{name}.json names itself {model.get('name')!r}")
        arrays = run_neuron(model)
        target = out_dir / f"{name}.npz"
        if target.exists():
            d, note = difference(arrays, target)
            if d <= SAME_ATOL:
                print(f"{name}: same as stored (max |diff| {d:.3g}); kept {target}")
                continue
            print(f"{name}: DIFFERS from stored by {d:.3g} ({note})")
            if args.check or not args.overwrite:
                status = 1
                continue
        elif args.check:
            print(f"{name}: no stored npz to compare with")
            status = 1
            continue
        np.savez_compressed(target, **arrays)
        print(f"{name}: wrote {target} ({target.stat().st_size / 1024:.0f} KiB)")
    return status


if __name__ == "__main__":
    sys.exit(main())
