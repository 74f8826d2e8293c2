"""The benchmark networks as ``neuroref-network/1`` JSON (the format NEURON's regeneration
script ``tests/validation/regenerate_network_neuron.py`` and ``dx.load_network`` both read),
and the same network built with dendrax's Python API (``network_api``).

- ``ballstick``: N ball-and-stick cells (hh soma 20 x 20 µm, a 1,000 x 2 µm dendrite of
  ``n_dend`` compartments, passive or weak hh), ``syn_per_cell`` ExpSyn on the dendrite (the
  last one inhibitory, e = -80 mV), every ordered pair of distinct cells connected with
  probability ``p`` into one synapse of the post cell (80 % of the cells excitatory: a random
  excitatory synapse; 20 % inhibitory: the inhibitory synapse), delays uniform in [1, 5] ms
  (rounded to 1 µs: never a half-step tie, NETWORK_FORMAT.md "Ties"), a somatic step per cell
  (random onset and amplitude) so that cells fire tonically and the synapses modulate them.
- ``small``: 10 cells of 3 hh compartments (one 60 x 10 µm cylinder), a ring of ExpSyn
  connections (plus a few random chords), a 0.4 nA step into cell 0: the per-step overhead case.
- ``ca1_template``: a CA1 pyramidal cell (``ca1_n120.swc``) cut to its first ``max_depth``
  branch orders and discretised with ``dx.MaxLength`` (see ``bench_ca1.py``).

Everything is deterministic (``seed``); numbers are rounded so that the files read back
exactly. Usage: ``python benchmarks/networks/netmodels.py ballstick --out net.json [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import numpy as np

HH = {"gnabar": 0.12, "gkbar": 0.036, "gl": 0.0003, "el": -54.3, "ena": 50.0, "ek": -77.0}
HH_WEAK = {"gnabar": 0.03, "gkbar": 0.009, "gl": 0.0001, "el": -65.0, "ena": 50.0, "ek": -77.0}
PAS = {"g": 0.0001, "e": -65.0}
BE = {"name": "backward_euler", "neuron_secondorder": 0}
RA, CM = 100.0, 1.0
EXC = {"tau_ms": 2.0, "e_mV": 0.0}
INH = {"tau_ms": 5.0, "e_mV": -80.0}
THRESHOLD_MV = 0.0


def branch(name, parent, parent_x, length, ncomp, diam, mechs) -> dict:
    diams = np.broadcast_to(np.asarray(diam, dtype=float), (ncomp,))
    return {
        "name": name,
        "parent": parent,
        "parent_x": parent_x,
        "length_um": round(float(length), 6),
        "ncomp": int(ncomp),
        "diam_um": [round(float(d), 6) for d in diams],
        "Ra_ohm_cm": RA,
        "cm_uF_cm2": CM,
        "mechanisms": {k: dict(v) for k, v in mechs.items()},
    }


def where(branches: list, b: int, x: float) -> dict:
    """``branch``, ``x`` (the compartment centre) and ``comp`` of position x on branch b."""
    n = branches[b]["ncomp"]
    comp = min(int(math.floor(x * n)), n - 1)
    return {"branch": b, "x": round((comp + 0.5) / n, 10), "comp": comp}


def header(name: str, description: str, tstop: float, dt: float = 0.025) -> dict:
    return {
        "format": "neuroref-network/1",
        "name": name,
        "description": description,
        "celsius": 6.3,
        "v_init_mV": -65.0,
        "dt_ms": dt,
        "tstop_ms": tstop,
        "method": BE,
        "templates": {},
        "cells": [],
        "stimuli": [],
        "synapses": [],
        "sources": [],
        "connections": [],
        "recordings": [],
    }


def _delays(rng, n: int, lo: float, hi: float) -> np.ndarray:
    # rounded to 1 µs: t_spike (a grid time) + d is then never within 0.02 dt of a half step
    # (a tie lies at (k + 1/2) * 0.025 ms, which has a fourth decimal)
    return np.round(rng.uniform(lo, hi, n), 3)


def _finish(data: dict) -> dict:
    tmpl = data["templates"]
    data["n_cells"] = len(data["cells"])
    data["n_compartments"] = int(
        sum(sum(b["ncomp"] for b in tmpl[c["template"]]) for c in data["cells"])
    )
    data["n_synapses"] = len(data["synapses"])
    data["n_connections"] = len(data["connections"])
    return data


def ballstick(
    n_cells: int = 100,
    n_dend: int = 99,
    syn_per_cell: int = 5,
    p: float = 1.0,
    tstop: float = 200.0,
    dendrite: str = "pas",
    w_exc: float = 0.0004,
    w_inh: float = 0.002,
    n_record: int = 5,
    seed: int = 1,
) -> dict:
    """The ball-and-stick network of benchmark 1 (see the module docstring)."""
    rng = np.random.default_rng(seed)
    dmech = {"pas": {"pas": PAS}, "weak-hh": {"hh": HH_WEAK}}[dendrite]
    bs = [
        branch("soma", -1, None, 20.0, 1, 20.0, {"hh": HH}),
        branch("dend", 0, 1.0, 1000.0, n_dend, 2.0, dmech),
    ]
    data = header(
        f"ballstick_{n_cells}x{1 + n_dend}",
        f"{n_cells} ball-and-stick cells (hh soma, {dendrite} dendrite of {n_dend} "
        f"compartments), {syn_per_cell} ExpSyn per cell, pairs connected with p={p}, "
        "delays U(1, 5) ms",
        tstop,
    )
    data["templates"]["ballstick"] = bs
    inhibitory = np.arange(n_cells) % 5 == 0
    det = {**where(bs, 0, 0.5), "threshold_mV": THRESHOLD_MV}
    for k in range(n_cells):
        data["cells"].append({"name": f"c{k}", "template": "ballstick", "spike_detector": det})
    onset = np.round(rng.uniform(0.0, 10.0, n_cells), 3)
    amp = np.round(rng.uniform(0.25, 0.45, n_cells), 4)
    for k in range(n_cells):
        data["stimuli"].append(
            {
                "type": "iclamp",
                "cell": k,
                **where(bs, 0, 0.5),
                "delay_ms": float(onset[k]),
                "dur_ms": tstop,
                "amp_nA": float(amp[k]),
            }
        )
    xs = (np.arange(syn_per_cell) + 0.5) / syn_per_cell
    for k in range(n_cells):
        for s, x in enumerate(xs):
            kind = INH if s == syn_per_cell - 1 else EXC
            data["synapses"].append({"type": "expsyn", "cell": k, **where(bs, 1, x), **kind})
    # every ordered pair of distinct cells with probability p
    pre, post = np.nonzero(rng.random((n_cells, n_cells)) < p)
    keep = pre != post
    pre, post = pre[keep], post[keep]
    n_exc_syn = max(syn_per_cell - 1, 1)
    which = np.where(inhibitory[pre], syn_per_cell - 1, rng.integers(0, n_exc_syn, pre.size))
    delay = _delays(rng, pre.size, 1.0, 5.0)
    for i, j, s, d in zip(pre, post, which, delay):
        w = w_inh if inhibitory[i] else w_exc
        data["connections"].append(
            {
                "pre": {"cell": int(i)},
                "synapse": int(j * syn_per_cell + s),
                "delay_ms": float(d),
                "weight_uS": w,
            }
        )
    for k in range(min(n_record, n_cells)):
        data["recordings"].append({"key": f"v{k}", "var": "v", "cell": k, **where(bs, 0, 0.5)})
    return _finish(data)


def small(n_cells: int = 10, n_chords: int = 10, tstop: float = 1000.0, seed: int = 3) -> dict:
    """Benchmark 3: 10 cells of 3 hh compartments, a ring of ExpSyn plus random chords."""
    rng = np.random.default_rng(seed)
    tmpl = [branch("cell", -1, None, 60.0, 3, 10.0, {"hh": HH})]
    data = header(
        f"small_{n_cells}x3",
        f"{n_cells} three-compartment hh cells, ring + {n_chords} chords of ExpSyn",
        tstop,
    )
    data["templates"]["three"] = tmpl
    det = {**where(tmpl, 0, 0.5), "threshold_mV": THRESHOLD_MV}
    for k in range(n_cells):
        data["cells"].append({"name": f"c{k}", "template": "three", "spike_detector": det})
        data["synapses"].append({"type": "expsyn", "cell": k, **where(tmpl, 0, 1.0), **EXC})
    data["stimuli"].append(
        {
            "type": "iclamp",
            "cell": 0,
            **where(tmpl, 0, 0.0),
            "delay_ms": 1.0,
            "dur_ms": tstop,
            "amp_nA": 0.1,
        }
    )
    pairs = [(k, (k + 1) % n_cells) for k in range(n_cells)]
    while len(pairs) < n_cells + n_chords:
        i, j = (int(v) for v in rng.integers(0, n_cells, 2))
        if i != j and (i, j) not in pairs:
            pairs.append((i, j))
    delay = _delays(rng, len(pairs), 1.0, 5.0)
    for (i, j), d in zip(pairs, delay):
        data["connections"].append(
            {"pre": {"cell": i}, "synapse": j, "delay_ms": float(d), "weight_uS": 0.01}
        )
    data["recordings"].append({"key": "v0", "var": "v", "cell": 0, **where(tmpl, 0, 0.5)})
    return _finish(data)


CA1_SWC = "/work/shared/morphologies/ca1_n120.swc"
SWC_TYPES = {"soma": 1, "axon": 2, "basal": 3, "apical": 4}


def ca1_template(max_depth: int | None = 5, max_length_um: float = 100.0, swc: str = CA1_SWC):
    """The CA1 pyramidal cell ``ca1_n120`` (rat, Turner lab; 156 branches) read with
    ``dx.read_swc`` (NEURON's Import3d convention) and discretised with
    ``dx.MaxLength(max_length_um)``, keeping the branches of order <= ``max_depth`` (the soma
    is order 0; ``None`` keeps all). Written as ``neuroref-case/1`` branches with one cylinder
    per compartment (the compartment's equivalent diameter; frustum area corrections dropped),
    so that NEURON and dendrax build the very same cell from the file. hh in the soma, weak hh
    (``HH_WEAK``) in the dendrites. With the defaults: 39 branches, 46 compartments (the
    ~20-50 compartments of benchmark 5; the whole cell at MaxLength(100): 156 branches, 212
    compartments; NComp(1) cannot go below one compartment per branch)."""
    import dendrax as dx

    geo = dx.read_swc(swc).to_geometry(dx.MaxLength(max_length_um))
    depth: list[int] = []
    for b in geo.branches:
        depth.append(0 if b.parent < 0 else depth[b.parent] + 1)
    keep = [k for k, d in enumerate(depth) if max_depth is None or d <= max_depth]
    new = {old: i for i, old in enumerate(keep)}
    out = []
    for old in keep:
        b = geo.branches[old]
        mech = {"hh": HH} if b.kind == "soma" else {"hh": HH_WEAK}
        br = branch(
            b.name or f"b{old}",
            new.get(b.parent, -1),
            None if b.parent < 0 else float(b.parent_x),
            float(np.sum(b.length_um)),
            int(b.length_um.size),
            np.round(b.diam_um, 4),
            mech,
        )
        br["swc_type"] = SWC_TYPES.get(b.kind, 3)
        out.append(br)
    return out


# --- the same network through dendrax's Python API ----------------------------------------


def network_api(data: dict):
    """A ``neuroref-network/1`` dict (cells from templates, ExpSyn, IClamps, cell-to-cell
    connections, v recordings) built with ``dx.Network`` the way a user writes it: one
    ``add_cells`` per template block, one ``place`` per synapse site and type, one ``connect``
    per synapse group with an ``EdgeList``. Returns ``(network, compile kwargs)``; the
    network is the one ``dx.load_network`` builds (same cells, synapses, events), numbered
    alike for cells (synapse ids differ, which does not change the dynamics)."""
    import dendrax as dx
    from dendrax.io._model_json import cell_from_branches, run_options

    templates = {k: cell_from_branches(v) for k, v in data["templates"].items()}
    net = dx.Network()
    cells = data["cells"]
    # contiguous runs of one template -> one add_cells
    k = 0
    while k < len(cells):
        t = cells[k]["template"]
        m = k
        while m < len(cells) and cells[m]["template"] == t:
            m += 1
        net.add_cells(templates[t], m - k, name=f"{t}{k}")
        k = m
    tmpl_of = [templates[c["template"]] for c in cells]
    dets: dict[tuple, list[int]] = {}
    for k, c in enumerate(cells):
        d = c.get("spike_detector")
        if d is not None:
            dets.setdefault((d["branch"], d["x"], d["threshold_mV"]), []).append(k)
    for (b, x, thr), ks in dets.items():
        net.detect(np.asarray(ks), at=(b, x), threshold_mV=thr)
    for s in data.get("stimuli", []):
        if s["type"] != "iclamp":
            raise ValueError("network_api: iclamp stimuli only")
        net.stimulate(
            dx.IClamp(s["delay_ms"], s["dur_ms"], s["amp_nA"]), s["cell"], (s["branch"], s["x"])
        )
    # synapses: one place() per (type, parameters, site), all cells of that site at once
    groups: dict[tuple, list[int]] = {}
    for j, s in enumerate(data["synapses"]):
        if s["type"] != "expsyn":
            raise ValueError("network_api: expsyn synapses only")
        groups.setdefault((s["tau_ms"], s["e_mV"], s["branch"], s["x"]), []).append(j)
    syn_of = np.zeros((len(data["synapses"]), 2), np.int64)  # (group, index in group)
    sets = []
    for g, ((tau, e, b, x), js) in enumerate(groups.items()):
        js_a = np.asarray(js)
        owner = np.asarray([data["synapses"][j]["cell"] for j in js])
        sets.append(net.place(dx.ExpSyn(tau=tau, e=e), owner, at=(b, x), name=f"syn{g}"))
        syn_of[js_a, 0] = g
        syn_of[js_a, 1] = np.arange(js_a.size)
    con = data["connections"]
    if any("cell" not in c["pre"] for c in con):
        raise ValueError("network_api: cell-to-cell connections only")
    pre = np.asarray([c["pre"]["cell"] for c in con], np.int64)
    syn = np.asarray([c["synapse"] for c in con], np.int64)
    w = np.asarray([c["weight_uS"] for c in con], float)
    d = np.asarray([c["delay_ms"] for c in con], float)
    everyone = dx.Population("cells", np.arange(len(cells)))
    for g, sset in enumerate(sets):
        mine = np.flatnonzero(syn_of[syn, 0] == g)
        if mine.size:
            net.connect(
                everyone,
                sset,
                dx.EdgeList(pre[mine], syn_of[syn[mine], 1]),
                weight_uS=w[mine],
                delay_ms=d[mine],
                name=f"c{g}",
            )
    for r in data.get("recordings", []):
        if r["var"] != "v" or "cell" not in r:
            raise ValueError("network_api: v recordings only")
        net.record("v", r["cell"], (r["branch"], r["x"]), r["key"])
    del tmpl_of
    return net, run_options(data)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("kind", choices=("ballstick", "small"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    if args.kind == "ballstick":
        data = ballstick(10, 19, tstop=50.0) if args.quick else ballstick()
    else:
        data = small(tstop=100.0) if args.quick else small()
    Path(args.out).write_text(json.dumps(data))
    print(
        f"wrote {args.out}: {data['n_cells']} cells, {data['n_compartments']} compartments, "
        f"{data['n_connections']} connections"
    )


if __name__ == "__main__":
    main()
