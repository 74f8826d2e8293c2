#!/usr/bin/env python
"""Gap-junction cases against NEURON 9.0.2: write ``gap/<name>.json`` (the model) and
``gap/<name>.npz`` (NEURON's traces).

    pip install neuron==9.0.2
    python tests/validation/make_gap_cases.py              # (re)write every case
    python tests/validation/make_gap_cases.py --check      # compare with the stored npz only
    python tests/validation/make_gap_cases.py --out DIR    # write into DIR instead

Format ``dendrax-gap/1``: ``cells`` (each a FORMAT.md ``branches`` list, built in NEURON by
``regenerate_neuron._build``), ``stimuli`` (IClamps at ``cell, branch, x``), ``junctions``
(``cell_a, branch_a, x_a, cell_b, branch_b, x_b, g_uS``: the current ``g (v_b - v_a)`` nA
into end a, out of end b), ``recordings`` (``v`` at ``cell, branch, x``), and the run options
of FORMAT.md (dt, tstop, celsius, v_init, method). Locations lie at compartment centres.

Every junction is one ``h.LinearMechanism`` on the two segments, with no capacitance and the
conductance matrix ``[[g/A_a, -g/A_a], [-g/A_b, g/A_b]] · 100`` (S/cm²: at a segment
``0 < x < 1`` NEURON's current balance is a density, ``g`` in µS and ``A`` = ``seg.area()`` in
µm²; ``1 nA/µm² = 100 mA/cm²``). NEURON then solves every junction implicitly with the cable
equation (its general sparse solver), the same linearised step as dendrax: the exact
reference. Fixed step (``CVode().active(0)``, ``usetable_hh = 0``), ``secondorder`` 0 (backward
Euler) or 2 (Crank-Nicolson), ``finitialize(v_init)``, ``fadvance()`` ``tstop/dt`` times.

The script checks itself before writing: with every ``g = 0`` the LinearMechanisms change no
trace by more than 1e-9 mV (the run without junctions), and with the given ``g`` the junctions
move the traces by more than 1 mV (the coupling matters). Stimulus onsets and ends lie on the
time grid, away from the step midpoints where NEURON's IClamp switches.
"""

from __future__ import annotations

import argparse
import copy
import json
import pathlib
import sys

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from make_cases import BE, CN, HH, PAS, UNITS, dumps  # noqa: E402
from regenerate_neuron import METHOD_SECONDORDER, _build, centre, compartment  # noqa: E402

GAP_DIR = HERE / "gap"
FORMAT = "dendrax-gap/1"
SAME_ATOL = 1e-9
ENCODING_ATOL = 1e-9  # mV, LinearMechanism vs bridge (measured 2e-11)
GAP_UNITS = {**UNITS, "g_uS (junction)": "microsiemens", "x_a/x_b": "relative position"}


def soma(diam: float) -> list[dict]:
    return [
        {
            "name": "soma",
            "parent": -1,
            "swc_type": 1,
            "length_um": diam,
            "ncomp": 1,
            "diam_um": [diam],
            "Ra_ohm_cm": 100.0,
            "cm_uF_cm2": 1.0,
            "mechanisms": {"hh": dict(HH)},
        }
    ]


def ball_and_stick(diam_soma: float, length: float, ncomp: int, diam: float) -> list[dict]:
    dend = {
        "name": "dend",
        "parent": 0,
        "parent_x": 1.0,
        "swc_type": 3,
        "length_um": length,
        "ncomp": ncomp,
        "diam_um": [diam] * ncomp,
        "Ra_ohm_cm": 150.0,
        "cm_uF_cm2": 1.0,
        "mechanisms": {"pas": dict(PAS)},
    }
    return soma(diam_soma) + [dend]


def branched() -> list[dict]:
    """A soma with two dendrites at x=1 and one at x=0 (junction nodes at both soma ends)."""
    out = soma(18.0)
    for name, px, length, n, d in (("a", 1.0, 150.0, 5, 1.5), ("b", 1.0, 100.0, 4, 1.0)):
        out.append(
            {
                "name": name,
                "parent": 0,
                "parent_x": px,
                "swc_type": 4,
                "length_um": length,
                "ncomp": n,
                "diam_um": [d] * n,
                "Ra_ohm_cm": 120.0,
                "cm_uF_cm2": 1.0,
                "mechanisms": {"hh": {**HH, "gnabar": 0.04, "gkbar": 0.012}},
            }
        )
    out.append(
        {
            "name": "c",
            "parent": 0,
            "parent_x": 0.0,
            "swc_type": 3,
            "length_um": 80.0,
            "ncomp": 3,
            "diam_um": [1.2] * 3,
            "Ra_ohm_cm": 120.0,
            "cm_uF_cm2": 1.0,
            "mechanisms": {"pas": dict(PAS)},
        }
    )
    return out


def case(name, description, cells, stimuli, junctions, recordings, *, method, neuron, tstop=20.0):
    return {
        "format": FORMAT,
        "name": name,
        "description": description,
        "units": GAP_UNITS,
        "celsius": 6.3,
        "v_init_mV": -65.0,
        "dt_ms": 0.025,
        "tstop_ms": tstop,
        "method": method,
        "cells": [{"branches": c} for c in cells],
        "stimuli": stimuli,
        "junctions": junctions,
        "recordings": recordings,
        "neuron": neuron,
    }


def iclamp(cell, branch, x, delay, dur, amp):
    return {
        "cell": cell,
        "branch": branch,
        "x": x,
        "type": "iclamp",
        "delay_ms": delay,
        "dur_ms": dur,
        "amp_nA": amp,
    }


def junction(cell_a, branch_a, x_a, cell_b, branch_b, x_b, g):
    return {
        "cell_a": cell_a,
        "branch_a": branch_a,
        "x_a": x_a,
        "cell_b": cell_b,
        "branch_b": branch_b,
        "x_b": x_b,
        "g_uS": g,
    }


def v(key, cell, branch, x):
    return {"key": key, "cell": cell, "branch": branch, "x": x, "var": "v"}


def cases() -> list[dict]:
    two = [soma(20.0), soma(16.0)]
    stim = [iclamp(0, 0, 0.5, 2.0, 10.0, 0.3)]
    recs = [v("v0", 0, 0, 0.5), v("v1", 1, 0, 0.5)]
    gj = [junction(0, 0, 0.5, 1, 0, 0.5, 0.004)]
    somas = (
        "Two hh somas (20 and 16 um) coupled by one 4 nS gap junction; the first is "
        "stimulated and spikes, the second follows through the junction; "
    )
    bs = [ball_and_stick(20.0, 200.0, 5, 1.0), ball_and_stick(16.0, 150.0, 4, 1.2), branched()]
    bs_recs = [
        v("v0", 0, 0, 0.5),
        v("v0_dend", 0, 1, 0.9),
        v("v1", 1, 0, 0.5),
        v("v1_dend", 1, 1, 0.625),
        v("v2", 2, 0, 0.5),
        v("v2_a", 2, 1, 0.9),
        v("v2_c", 2, 3, 0.5),
    ]
    bs_stim = [iclamp(0, 0, 0.5, 1.0, 12.0, 0.35), iclamp(2, 2, 0.375, 6.0, 4.0, 0.05)]
    return [
        case(
            "gap_hh_somas_be",
            somas + "backward Euler, NEURON LinearMechanism.",
            two,
            stim,
            gj,
            recs,
            method=BE,
            neuron="linear_mechanism",
        ),
        case(
            "gap_hh_somas_cn",
            somas + "Crank-Nicolson, NEURON bridge section (LinearMechanism needs secondorder 0).",
            two,
            stim,
            gj,
            recs,
            method=CN,
            neuron="bridge",
        ),
        case(
            "gap_dendrites_loops_be",
            "Three cells (two ball-and-sticks with passive dendrites, one branched hh cell with "
            "junction nodes at both soma ends): dendro-dendritic and somatic junctions between "
            "cells, a junction within one cell (soma to its own dendrite: a loop), two junctions "
            "on one compartment, a junction between two dendrites of one cell, and a cycle of "
            "junctions through all three cells; backward Euler, NEURON LinearMechanism.",
            bs,
            bs_stim,
            [
                junction(0, 1, 0.9, 1, 1, 0.625, 0.002),  # dendrite - dendrite
                junction(0, 0, 0.5, 0, 1, 0.7, 0.001),  # within cell 0: a loop
                junction(1, 0, 0.5, 2, 0, 0.5, 0.003),  # soma - soma
                junction(2, 1, 0.9, 0, 1, 0.9, 0.0015),  # second junction on cell 0's x=0.9
                junction(2, 3, 0.5, 2, 2, 0.875, 0.0005),  # within cell 2: two dendrites
            ],
            bs_recs,
            method=BE,
            tstop=25.0,
            neuron="linear_mechanism",
        ),
        case(
            "gap_dendrites_chain_cn",
            "The three cells of gap_dendrites_loops_be in a chain: cell 0's dendrite (x=0.9) to "
            "cell 1's soma, a dendrite of the branched cell 2 (x=0.9) to cell 0's soma; "
            "Crank-Nicolson, NEURON bridge sections (the junction graph is a tree).",
            bs,
            bs_stim,
            [
                junction(0, 1, 0.9, 1, 0, 0.5, 0.003),
                junction(2, 1, 0.9, 0, 0, 0.5, 0.004),
            ],
            bs_recs,
            method=CN,
            tstop=25.0,
            neuron="bridge",
        ),
    ]


def add_linear_mechanism(h, sa, sb, g_uS: float) -> tuple:
    """One junction as a LinearMechanism on segments ``sa``, ``sb`` (S/cm² rows, see above)."""
    ga, gb = 100.0 * g_uS / sa.area(), 100.0 * g_uS / sb.area()
    c = h.Matrix(2, 2, 2)  # sparse, empty: no capacitance
    g = h.Matrix(2, 2, 2)
    g.setval(0, 0, ga)
    g.setval(0, 1, -ga)
    g.setval(1, 0, -gb)
    g.setval(1, 1, gb)
    y, b = h.Vector(2), h.Vector(2)
    sl = h.SectionList()
    sl.append(sec=sa.sec)
    sl.append(sec=sb.sec)
    xvec = h.Vector([sa.x, sb.x])
    return (h.LinearMechanism(c, g, y, b, sl, xvec), c, g, y, b, sl, xvec)


def add_bridge(h, sa, root_b, g_uS: float) -> tuple:
    """One junction as a current-free resistor: a section with ``cm = 0`` and no channels from
    segment ``sa`` to the 0-end of cell b's root section ``root_b`` (which must be the
    junction's end b: its first segment). Its axial resistance plus the half segment of b
    equals ``1/g`` (MΩ); its node carries no current, so eliminating it leaves exactly the
    conductance ``g`` between the two nodes (an exact reference for any method, while the
    junctions form a tree)."""
    first = root_b(0.5 / root_b.nseg)
    r_half = 0.01 * root_b.Ra * (root_b.L / root_b.nseg / 2) / (np.pi * first.diam**2 / 4)
    bridge = h.Section(name=f"bridge_{root_b.name()}")
    bridge.nseg, bridge.L, bridge.diam, bridge.cm = 1, 1.0, 1.0, 0.0
    bridge.Ra = (1.0 / g_uS - r_half) / (0.01 * bridge.L / (np.pi * bridge.diam**2 / 4))
    if bridge.Ra <= 0:
        raise ValueError(f"g = {g_uS} uS is too large for a bridge (R_half {r_half} MOhm)")
    bridge.connect(sa.sec(sa.x), 0)
    root_b.connect(bridge(1), 0)
    return (bridge,)


def run_neuron(model: dict, neuron: str | None = None) -> dict[str, np.ndarray]:
    """Simulate one case in NEURON (junctions as ``model["neuron"]`` or ``neuron`` says)."""
    from neuron import h

    neuron = model["neuron"] if neuron is None else neuron
    dt, tstop = float(model["dt_ms"]), float(model["tstop_ms"])
    nsteps = round(tstop / dt)
    cells = [_build(h, c) for c in model["cells"]]

    def seg(cell, branch, x):
        b = model["cells"][cell]["branches"][branch]
        n = int(b["ncomp"])
        if abs(centre(n, x) - x) > 1e-12:
            raise ValueError(f"x={x} is not a compartment centre of branch {branch} (nseg={n})")
        return cells[cell][branch](centre(n, x))

    clamps = []
    for s in model["stimuli"]:
        ic = h.IClamp(seg(s["cell"], s["branch"], s["x"]))
        ic.delay, ic.dur, ic.amp = s["delay_ms"], s["dur_ms"], s["amp_nA"]
        clamps.append(ic)
    keep = []  # every LinearMechanism / bridge and its matrices stay alive
    for j in model["junctions"]:
        sa = seg(j["cell_a"], j["branch_a"], j["x_a"])
        if neuron == "linear_mechanism":
            sb = seg(j["cell_b"], j["branch_b"], j["x_b"])
            keep.append(add_linear_mechanism(h, sa, sb, j["g_uS"]))
        elif neuron == "bridge":
            if not bridgeable({**model, "junctions": [j]}):
                raise ValueError(
                    f"{j}: a bridge ends in the first segment of cell b's root section, "
                    "whose 0-end must carry no branch"
                )
            keep.append(add_bridge(h, sa, cells[j["cell_b"]][0], j["g_uS"]))
        else:
            raise ValueError(f"unknown NEURON junction encoding {neuron!r}")
    recs = []
    for r in model["recordings"]:
        vec = h.Vector()
        vec.record(seg(r["cell"], r["branch"], r["x"])._ref_v)
        recs.append((r["key"], vec))
    h.CVode().active(0)
    h.usetable_hh = 0
    h.celsius = float(model["celsius"])
    h.secondorder = METHOD_SECONDORDER[model["method"]["name"]]
    h.dt = dt
    h.finitialize(float(model["v_init_mV"]))
    for _ in range(nsteps):
        h.fadvance()
    if abs(h.t - tstop) > 1e-6:
        raise RuntimeError(f"NEURON ended at t={h.t}, wanted {tstop}")
    out = {"t": np.arange(nsteps + 1, dtype=np.float64) * dt}
    for key, vec in recs:
        out[key] = np.array(vec)
        if out[key].shape != out["t"].shape:
            raise RuntimeError(f"{key}: {out[key].size} samples, wanted {out['t'].size}")
    meta = {"neuron_version": h.nrnversion(), "format": FORMAT, "name": model["name"]}
    out["meta_json"] = np.asarray(json.dumps(meta))
    return out


def _on_root_start(branch: dict) -> bool:
    return branch["parent"] == 0 and branch.get("parent_x", 1.0) == 0.0


def bridgeable(model: dict) -> bool:
    """Whether every junction can be a bridge: it ends in the first segment of cell b's root
    section, whose 0-end carries no branch, no cell is end b twice, and the junctions between
    cells form a forest."""
    parent = list(range(len(model["cells"])))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    ends_b = set()
    for j in model["junctions"]:
        n0 = int(model["cells"][j["cell_b"]]["branches"][0]["ncomp"])
        if j["branch_b"] != 0 or compartment(n0, j["x_b"]) != 0 or j["cell_b"] in ends_b:
            return False
        if any(_on_root_start(b) for b in model["cells"][j["cell_b"]]["branches"][1:]):
            return False
        ends_b.add(j["cell_b"])
        ra, rb = root(j["cell_a"]), root(j["cell_b"])
        if ra == rb:
            return False
        parent[rb] = ra
    return True


def check_self(model: dict, arrays: dict) -> str:
    """Refuse a case whose reference could be wrong: the junctions must move some trace by more
    than 1 mV; LinearMechanisms with every ``g = 0`` must change nothing (1e-9 mV); and where
    both encodings apply, LinearMechanism and bridge must agree under backward Euler within
    ``ENCODING_ATOL`` (two different NEURON solvers: the general sparse one and Hines)."""
    keys = [r["key"] for r in model["recordings"]]
    none = run_neuron({**model, "junctions": []})
    moved = max(np.max(np.abs(arrays[k] - none[k])) for k in keys)
    if moved < 1.0:
        raise RuntimeError(f"{model['name']}: the junctions move the traces by only {moved} mV")
    report = f"junctions move the traces by up to {moved:.3g} mV"
    if model["neuron"] == "linear_mechanism":
        off = copy.deepcopy(model)
        for j in off["junctions"]:
            j["g_uS"] = 0.0
        zero = run_neuron(off)
        err = max(np.max(np.abs(zero[k] - none[k])) for k in keys)
        if err > SAME_ATOL:
            raise RuntimeError(f"{model['name']}: g = 0 junctions change a trace by {err:g} mV")
    if bridgeable(model):
        be = {**model, "method": BE}
        lm, br = run_neuron(be, "linear_mechanism"), run_neuron(be, "bridge")
        err = max(np.max(np.abs(lm[k] - br[k])) for k in keys)
        if err > ENCODING_ATOL:
            raise RuntimeError(f"{model['name']}: LinearMechanism and bridge differ by {err:g} mV")
        report += f"; backward Euler LinearMechanism vs bridge: {err:.2g} mV"
    return report


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the stored npz only")
    ap.add_argument("--out", type=pathlib.Path, default=GAP_DIR)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    worst = 0.0
    for model in cases():
        arrays = run_neuron(model)
        report = check_self(model, arrays)
        stored = GAP_DIR / f"{model['name']}.npz"
        if args.check:
            with np.load(stored) as z:
                err = max(np.max(np.abs(z[k] - arrays[k])) for k in arrays if k != "meta_json")
            worst = max(worst, err)
            print(f"{model['name']}: max |NEURON now - stored| = {err:.2e}")
            continue
        (args.out / f"{model['name']}.json").write_text(dumps(model) + "\n")
        np.savez_compressed(args.out / f"{model['name']}.npz", **arrays)
        print(f"wrote {model['name']} ({len(arrays) - 2} traces): {report}")
    return 1 if worst > SAME_ATOL else 0


if __name__ == "__main__":
    raise SystemExit(main())
