#!/usr/bin/env python
"""Regenerate the NEURON network references (``networks/<name>.npz``) from the case JSON files.

    pip install neuron==9.0.2
    python tests/validation/regenerate_network_neuron.py                 # every case in networks/
    python tests/validation/regenerate_network_neuron.py NAME [NAME...]  # some cases
    python tests/validation/regenerate_network_neuron.py --check         # compare only, write none
    python tests/validation/regenerate_network_neuron.py --out DIR       # write into DIR instead

Each model is built in NEURON from its JSON alone (format ``neuroref-network/1``, see
/work/shared/reference/NETWORK_FORMAT.md, built on FORMAT.md). Every cell is built from its own
``branches`` or from ``templates[template]`` exactly as ``regenerate_neuron.py`` builds a
single-cell case (its ``_build`` is reused); cells are separate trees. Then:

- stimuli: IClamps (steps) and IClamps whose ``amp`` is played with linear interpolation
  (waveforms) in compartment ``comp`` of cell ``cell``;
- synapses: built-in ``ExpSyn`` (tau, e) and ``Exp2Syn`` (tau1, tau2, e) at the centre of the
  compartment;
- spike detectors: ``NetCon(seg._ref_v, None, sec=sec)`` with the detector's threshold, whose
  ``record`` gives ``netcon_spikes__cell<k>``; every connection from a cell is
  ``NetCon(seg._ref_v, syn, sec=sec)`` on the same ``v`` with threshold, delay and weight set;
- ``netstim`` sources: ``NetStim`` (start, interval, number, noise 0) and ``NetCon(ns, syn)`` per
  connection (delay, weight); a ``NetCon(ns, None)`` records ``netcon_spikes__source<j>``;
- ``spike_times`` sources: ``NetCon(None, syn)`` per connection (weight set), and
  ``nc.event(t + delay)`` for each listed t, called after ``finitialize``;
- recordings: ``v`` and the hh gates at compartment centres, ExpSyn ``g``, and Exp2Syn
  ``B - A`` (recorded ``_ref_A``, ``_ref_B``; Exp2Syn's ``RANGE g`` lags by one sample).

Fixed step: ``CVode().active(0)``, ``usetable_hh = 0``, ``celsius``, ``secondorder`` (0 BE,
2 CN), ``dt``, ``finitialize(v_init)``, ``fadvance()`` ``tstop/dt`` times.

The script checks itself: stimulus currents at the step midpoints (as ``regenerate_neuron.py``),
the NetStim event times against NETWORK_FORMAT.md's rule (``s_0 = (start + interval) - interval``,
then repeated addition), and that no event delivery time ``t_d`` lies within ``1e-6 dt`` of a
half-step point ``(m + 1/2) dt`` (a tie that round-off decides; such cases are refused), and
that every recorded synaptic ``g`` equals the conductance rebuilt from the events alone by the
format's rules (slot ``ceil(t_d/dt - 1/2)``, add, decay exactly, record; Exp2Syn factor and tau1
clamps), within 1e-12 uS.

An existing npz is never replaced by one that agrees with it within 1e-9 (the file is kept
byte-for-byte); a differing one is only replaced with ``--overwrite``.
"""

from __future__ import annotations

import argparse
import json
import math
import pathlib
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from _compare import spike_times  # noqa: E402
from regenerate_neuron import (  # noqa: E402
    GATES,
    METHOD_SECONDORDER,
    SAME_ATOL,
    _build,
    centre,
    compartment,
    difference,
    stimulus_at,
)

NETWORKS_DIR = pathlib.Path(__file__).resolve().parent / "networks"
FORMAT = "neuroref-network/1"
TIE_REFUSE_DT = 1e-6  # refuse a delivery time closer than this (in units of dt) to a half step
G_CHECK_ATOL = 1e-12  # uS: recorded g against g rebuilt from the events alone


def cell_branches(model: dict, cell: dict) -> list[dict]:
    """The branch list of a cell: its own ``branches`` or its template's."""
    if ("branches" in cell) == ("template" in cell):
        raise ValueError(f"cell {cell.get('name')!r}: give exactly one of branches, template")
    if "branches" in cell:
        return cell["branches"]
    return model["templates"][cell["template"]]


def tie_distance(t_d: np.ndarray, dt: float) -> np.ndarray:
    """Distance (in units of dt) of each delivery time from the nearest half-step point."""
    u = np.asarray(t_d, dtype=np.float64) / dt - 0.5
    return np.abs(u - np.round(u))


def netstim_times(src: dict, tstop: float) -> np.ndarray:
    """NETWORK_FORMAT.md's NetStim events (noise 0) up to ``tstop``, by repeated addition."""
    start, interval, number = float(src["start_ms"]), float(src["interval_ms"]), src["number"]
    if int(number) != number:
        raise ValueError(f"netstim number {number!r} is not an integer")
    out = []
    if number > 0 and start >= 0:
        s = (start + interval) - interval
        for _ in range(int(number)):
            if s > tstop:
                break
            out.append(s)
            s = s + interval
    return np.array(out, dtype=np.float64)


def exp2syn_constants(tau1: float, tau2: float) -> tuple[float, float]:
    """Exp2Syn's effective rise time and peak factor ``(tau1', f)`` (NEURON's INITIAL block)."""
    if tau1 / tau2 > 0.9999:
        tau1 = 0.9999 * tau2
    if tau1 / tau2 < 1e-9:
        tau1 = tau2 * 1e-9
    tp = (tau1 * tau2) / (tau2 - tau1) * math.log(tau2 / tau1)
    return tau1, 1.0 / (-math.exp(-tp / tau1) + math.exp(-tp / tau2))


def events_of(model: dict, arrays: dict) -> dict[int, list[tuple[float, float, bool]]]:
    """Every event per synapse: ``(t_d, weight, at_init)`` from the npz spike times.

    ``at_init`` marks a NetStim event with delivery time exactly 0, which NEURON delivers during
    ``finitialize`` (NETWORK_FORMAT.md, "Initial state"). Spike-list events are sent after
    ``finitialize``, so even one at t_d = 0 is delivered in the first step, not at init.
    """
    sources = model.get("sources", [])
    out: dict[int, list] = {j: [] for j in range(len(model.get("synapses", [])))}
    for con in model.get("connections", []):
        pre, d, w = con["pre"], float(con["delay_ms"]), float(con["weight_uS"])
        if "cell" in pre:
            ts, netstim = arrays[f"netcon_spikes__cell{pre['cell']}"], False
        elif sources[pre["source"]]["type"] == "netstim":
            ts, netstim = arrays[f"netcon_spikes__source{pre['source']}"], True
        else:
            ts, netstim = sources[pre["source"]]["t_ms"], False
        for t in ts:
            td = float(t) + d
            out[int(con["synapse"])].append((td, w, netstim and td == 0.0))
    return out


def g_from_events(model: dict, arrays: dict, synapse: int) -> np.ndarray:
    """A synapse's conductance on the grid, from its events alone (NETWORK_FORMAT.md's rules).

    An event acts from slot ``m = ceil(t_d/dt - 1/2)``: it is added before step m, the state
    then decays exactly over dt, and sample m+1 is recorded after the decay. Independent of the
    membrane, so it checks NEURON's event timing, the Exp2Syn factor and the tau1 clamps.
    """
    dt = float(model["dt_ms"])
    nsteps = round(float(model["tstop_ms"]) / dt)
    sy = model["synapses"][synapse]
    if sy["type"] == "expsyn":
        states = [(float(sy["tau_ms"]), 1.0, 1.0)]  # (tau, factor, sign)
    else:
        tau1, f = exp2syn_constants(float(sy["tau1_ms"]), float(sy["tau2_ms"]))
        states = [(tau1, f, -1.0), (float(sy["tau2_ms"]), f, 1.0)]
    inc = np.zeros(nsteps + 1)
    init = 0.0
    for td, w, at_init in events_of(model, arrays)[synapse]:
        if at_init:
            init += w
            continue
        m = max(0, math.ceil(td / dt - 0.5))
        if m < nsteps:
            inc[m] += w
    g = np.zeros(nsteps + 1)
    for tau, f, sign in states:
        decay = math.exp(-dt / tau)
        x = np.zeros(nsteps + 1)
        x[0] = init * f
        y = x[0]
        for n in range(nsteps):
            y = (y + inc[n] * f) * decay
            x[n + 1] = y
        g += sign * x
    return g


def run_network(
    model: dict, *, dt: float | None = None, v_init_offset: float = 0.0, diagnostics: bool = False
):
    """Simulate one network case in NEURON; returns the npz arrays.

    ``dt`` (default: the case's) and ``v_init_offset`` (mV, added to v_init) are for the
    sensitivity checks of ``make_network_cases.py``. With ``diagnostics=True`` it returns
    ``(arrays, diag)``; ``diag`` holds every delivery time (``delivery_ms``), their smallest
    distance to a half-step tie (``min_tie_distance_dt``) and each detector's voltage trace
    (``detector_v``, ``{cell index: (threshold, trace)}``).
    """
    import neuron
    from neuron import h

    if model.get("format") != FORMAT:
        raise ValueError(f"format {model.get('format')!r} is not {FORMAT}")
    if any(True for _ in h.allsec()):
        raise RuntimeError("sections of a previous case are still alive")
    dt = float(model["dt_ms"]) if dt is None else float(dt)
    tstop = float(model["tstop_ms"])
    nsteps = round(tstop / dt)
    if abs(nsteps * dt - tstop) > 1e-9 * max(1.0, tstop):
        raise ValueError(f"tstop {tstop} is not a multiple of dt {dt}")
    method = model["method"]["name"]
    secondorder = METHOD_SECONDORDER[method]
    if model["method"].get("neuron_secondorder", secondorder) != secondorder:
        raise ValueError(f"method {method} needs neuron_secondorder={secondorder}")

    # cells: one tree each, sections named c<k>_<branch name>
    cells = model["cells"]
    branch_lists = [cell_branches(model, c) for c in cells]
    secs = []
    for k, branches in enumerate(branch_lists):
        named = [dict(b, name=f"c{k}_{b.get('name', '')}") for b in branches]
        secs.append(_build(h, {"branches": named}))

    def seg_of(cell: int, item: dict):
        """The segment (compartment centre) of ``item`` (branch, x, comp) in cell ``cell``."""
        b = branch_lists[cell][item["branch"]]
        n = int(b["ncomp"])
        c = compartment(n, float(item["x"]))
        if "comp" in item and int(item["comp"]) != c:
            raise ValueError(f"{item}: comp disagrees with x (x lies in compartment {c})")
        sec = secs[cell][item["branch"]]
        return sec, sec(centre(n, float(item["x"])))

    # stimuli
    clamps, played, i_recs = [], [], []
    for s in model.get("stimuli", []):
        _, seg = seg_of(int(s["cell"]), s)
        ic = h.IClamp(seg)
        if s["type"] == "iclamp":
            ic.delay, ic.dur, ic.amp = s["delay_ms"], s["dur_ms"], s["amp_nA"]
        elif s["type"] == "waveform":
            if s.get("interpolation", "linear") != "linear":
                raise ValueError(f"waveform interpolation {s['interpolation']!r} is not linear")
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

    # synapses
    syns = []
    for j, sy in enumerate(model.get("synapses", [])):
        _, seg = seg_of(int(sy["cell"]), sy)
        if sy["type"] == "expsyn":
            p = h.ExpSyn(seg)
            p.tau = float(sy["tau_ms"])
        elif sy["type"] == "exp2syn":
            p = h.Exp2Syn(seg)
            p.tau1 = float(sy["tau1_ms"])
            p.tau2 = float(sy["tau2_ms"])
        else:
            raise ValueError(f"synapse {j}: unknown type {sy['type']!r}")
        p.e = float(sy["e_mV"])
        syns.append(p)

    # spike detectors (one per cell at most), recorded
    detectors = {}  # cell -> (sec, seg, threshold)
    det_recs, det_v = {}, {}
    keep = []  # NEURON objects that must stay alive during the run
    for k, c in enumerate(cells):
        d = c.get("spike_detector")
        if d is None:
            continue
        sec, seg = seg_of(k, d)
        thr = float(d["threshold_mV"])
        detectors[k] = (sec, seg, thr)
        nc = h.NetCon(seg._ref_v, None, sec=sec)
        nc.threshold = thr
        vec = h.Vector()
        nc.record(vec)
        det_recs[k] = vec
        keep.append(nc)
        if diagnostics:
            vv = h.Vector()
            vv.record(seg._ref_v)
            det_v[k] = (thr, vv)

    # sources
    sources = model.get("sources", [])
    stims, src_recs = {}, {}
    for j, src in enumerate(sources):
        if src["type"] == "netstim":
            if src.get("noise", 0) != 0:
                raise ValueError(f"source {j}: only noise 0 is supported")
            ns = h.NetStim()
            ns.start = float(src["start_ms"])
            ns.interval = float(src["interval_ms"])
            ns.number = src["number"]
            ns.noise = 0
            stims[j] = ns
            nc = h.NetCon(ns, None)
            vec = h.Vector()
            nc.record(vec)
            src_recs[j] = vec
            keep.append(nc)
        elif src["type"] == "spike_times":
            tl = np.asarray(src["t_ms"], dtype=np.float64)
            if tl.size and (tl[0] < 0 or np.any(np.diff(tl) < 0)):
                raise ValueError(f"source {j}: spike times must be non-decreasing and >= 0")
        else:
            raise ValueError(f"source {j}: unknown type {src['type']!r}")

    # connections
    list_events = []  # (NetCon, delivery times) for spike_times sources, sent after finitialize
    from_cell = []  # (cell, delay) for the tie check
    from_source = []  # (source, delay)
    for i, con in enumerate(model.get("connections", [])):
        syn = syns[int(con["synapse"])]
        delay, w = float(con["delay_ms"]), float(con["weight_uS"])
        if delay < 0:
            raise ValueError(f"connection {i}: negative delay")
        pre = con["pre"]
        if "cell" in pre:
            k = int(pre["cell"])
            if k not in detectors:
                raise ValueError(f"connection {i}: cell {k} has no spike detector")
            sec, seg, thr = detectors[k]
            nc = h.NetCon(seg._ref_v, syn, sec=sec)
            nc.threshold = thr
            from_cell.append((k, delay))
        elif "source" in pre:
            j = int(pre["source"])
            src = sources[j]
            if src["type"] == "netstim":
                nc = h.NetCon(stims[j], syn)
            else:
                nc = h.NetCon(None, syn)
                list_events.append((nc, [float(t) + delay for t in src["t_ms"]]))
            from_source.append((j, delay))
        else:
            raise ValueError(f"connection {i}: pre must name a cell or a source")
        nc.delay = delay
        nc.weight[0] = w
        keep.append(nc)

    # recordings
    t_rec = h.Vector()
    t_rec.record(h._ref_t)
    recs = []
    for r in model.get("recordings", []):
        var = r["var"]
        if var == "g":
            sy = model["synapses"][int(r["synapse"])]
            p = syns[int(r["synapse"])]
            if sy["type"] == "expsyn":
                vg = h.Vector()
                vg.record(p._ref_g)
                recs.append((r["key"], var, (vg,)))
            else:
                va, vb = h.Vector(), h.Vector()
                va.record(p._ref_A)
                vb.record(p._ref_B)
                recs.append((r["key"], var, (va, vb)))
            continue
        _, seg = seg_of(int(r["cell"]), r)
        vec = h.Vector()
        if var == "v":
            vec.record(seg._ref_v)
        elif var in GATES:
            vec.record(getattr(seg.hh, f"_ref_{var}"))
        else:
            raise ValueError(f"unknown recorded variable {var!r}")
        recs.append((r["key"], var, (vec,)))

    h.CVode().active(0)
    h.usetable_hh = 0
    h.celsius = float(model["celsius"])
    h.secondorder = secondorder
    h.dt = dt
    h.finitialize(float(model["v_init_mV"]) + v_init_offset)
    for nc, times in list_events:
        for td in times:
            nc.event(td)
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
    for key, var, vecs in recs:
        if len(vecs) == 1:
            y = np.array(vecs[0])
        else:
            y = np.array(vecs[1]) - np.array(vecs[0])  # Exp2Syn g = B - A
        if y.shape != t.shape:
            raise RuntimeError(f"recording {key}: {y.shape} samples for {t.shape} times")
        out[key] = y
        if var == "v":
            out[f"spikes__{key}"] = spike_times(t, y)
    cell_spikes = {k: np.array(v, dtype=np.float64) for k, v in det_recs.items()}
    for k in sorted(cell_spikes):
        out[f"netcon_spikes__cell{k}"] = cell_spikes[k]
    src_spikes = {}
    for j in sorted(src_recs):
        got = np.array(src_recs[j], dtype=np.float64)
        want = netstim_times(sources[j], tstop)
        if got.shape != want.shape or (got.size and np.max(np.abs(got - want)) > 1e-9):
            raise RuntimeError(f"source {j}: NetStim events {got} are not the format's {want}")
        src_spikes[j] = got
        out[f"netcon_spikes__source{j}"] = got

    # every delivery time, and the tie check
    deliveries = [cell_spikes[k] + d for k, d in from_cell]
    for j, d in from_source:
        if sources[j]["type"] == "netstim":
            deliveries.append(src_spikes[j] + d)
        else:
            deliveries.append(np.asarray(sources[j]["t_ms"], dtype=np.float64) + d)
    t_d = np.concatenate(deliveries) if deliveries else np.zeros(0)
    t_d = t_d[t_d <= tstop + dt]
    dist = tie_distance(t_d, dt)
    min_dist = float(dist.min()) if dist.size else 0.5
    if min_dist < TIE_REFUSE_DT:
        bad = t_d[np.argmin(dist)]
        raise RuntimeError(f"delivery time {bad!r} ms is a half-step tie (dt {dt}): refused")

    # every recorded g against the format's event rules (independent of the membrane)
    for r in model.get("recordings", []):
        if r["var"] == "g":
            err = float(
                np.max(np.abs(out[r["key"]] - g_from_events(model, out, int(r["synapse"]))))
            )
            if err > G_CHECK_ATOL:
                raise RuntimeError(f"recording {r['key']}: g differs from its events by {err:g} uS")

    meta = {
        "case": model["name"],
        "format": FORMAT,
        "neuron_version": neuron.__version__,
        "dt_ms": dt,
        "tstop_ms": tstop,
        "secondorder": secondorder,
        "celsius": float(model["celsius"]),
        "usetable_hh": 0,
        "n_cells": len(cells),
        "n_compartments": int(sum(b["ncomp"] for bl in branch_lists for b in bl)),
        "v_init_offset_mV": float(v_init_offset),
    }
    out["meta_json"] = np.array(json.dumps(meta))
    if not diagnostics:
        return out
    diag = {
        "delivery_ms": t_d,
        "min_tie_distance_dt": min_dist,
        "detector_v": {k: (thr, np.array(vv)) for k, (thr, vv) in det_v.items()},
        "n_events": int(t_d.size),
    }
    return out, diag


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("cases", nargs="*", help="case names (default: every networks/*.json)")
    ap.add_argument("--cases-dir", type=pathlib.Path, default=NETWORKS_DIR)
    ap.add_argument("--out", "--out-dir", dest="out", type=pathlib.Path,
                    help="write npz files here instead")  # fmt: skip
    ap.add_argument("--check", action="store_true", help="compare with stored npz, write none")
    ap.add_argument("--overwrite", action="store_true", help="replace npz files that differ")
    args = ap.parse_args(argv)
    names = args.cases or sorted(p.stem for p in args.cases_dir.glob("*.json"))
    out_dir = args.out or args.cases_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    status = 0
    for name in names:
        with open(args.cases_dir / f"{name}.json") as f:
            model = json.load(f)
        if model.get("name", name) != name:
            raise ValueError(f"{name}.json names itself {model.get('name')!r}")
        arrays = run_network(model)
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
        n_spk = sum(v.size for k, v in arrays.items() if k.startswith("netcon_spikes__cell"))
        print(
            f"{name}: wrote {target} ({target.stat().st_size / 1024:.0f} KiB, "
            f"{n_spk} detector spikes)"
        )
    return status


if __name__ == "__main__":
    sys.exit(main())
