"""Run one JSON model in Jaxley 0.14 and report JSON (build, compile, steady-state run, memory).

``python benchmarks/run_jaxley.py model.json [--repeats N] [--traces out.npz]``
``python benchmarks/run_jaxley.py --swc cell.swc --ncomp K``: time ``jx.read_swc``.

The cell is built from the JSON with ``jx.Cell(branches, parents)``: per-compartment radius,
length, axial resistivity and capacitance, Jaxley's ``HH`` channel (exact rates, no q10: the
models run at 6.3 °C) with per-compartment parameters, the default voltage solver
(``jaxley.dhs``), backward Euler, float64, ``jax.jit(jx.integrate)``.

Jaxley attaches every child branch to its parent's x=1 end through a zero-area branch point,
as NEURON does. A model whose root also carries children at its x=0 end (the basal and axonal
trees of an SWC cell) is re-rooted at a terminal branch: the branches on the path to the old
root are reversed so that every branch point again joins one parent end and child starts. The
electrical network is unchanged (cylindrical compartments are symmetric); only the numbering
differs, and stimuli and recordings are mapped accordingly.
"""

from __future__ import annotations

import time
from collections import defaultdict

import _common as C
import numpy as np

HH_NAMES = {
    "gnabar": "HH_gNa",
    "gkbar": "HH_gK",
    "gl": "HH_gLeak",
    "ena": "HH_eNa",
    "ek": "HH_eK",
    "el": "HH_eLeak",
}


def jaxley_layout(model: dict) -> list[tuple[int, bool, int]]:
    """Jaxley branch order: ``(model branch, reversed, jaxley parent)`` per Jaxley branch.

    Every branch end is a node of an undirected tree: a branch joins its x=0 end node to its
    x=1 end node. Branch points are end nodes shared by several branches. Jaxley needs a root
    branch with a free x=0 end and every other branch starting at the end of its parent.
    """
    branches = model["branches"]
    n = len(branches)
    for k, b in enumerate(branches[1:], 1):
        px = 1.0 if b["parent_x"] is None else float(b["parent_x"])
        if px not in (0.0, 1.0) or (px == 0.0 and b["parent"] != 0):
            raise ValueError(f"branch {k}: Jaxley joins branches at ends only (parent_x={px})")

    def end(k: int, x: int):
        """Node id of end x of branch k (a shared id where branches join)."""
        if x == 0 and k > 0:
            b = branches[k]
            px = 1 if b["parent_x"] is None else int(b["parent_x"])
            return end(b["parent"], px)
        return (k, x)

    incident = defaultdict(list)  # node -> [(branch, which end)]
    for k in range(n):
        incident[end(k, 0)].append((k, 0))
        incident[end(k, 1)].append((k, 1))
    root_start = end(0, 0)
    if len(incident[root_start]) == 1:
        start_branch, start_rev = 0, False
    else:  # re-root at a terminal branch, preferably one next to the old root
        tips = [k for k in range(1, n) if len(incident[end(k, 1)]) == 1]
        near = [k for k in tips if branches[k]["parent"] == 0]
        start_branch, start_rev = (near or tips)[0], True
    layout = [(start_branch, start_rev, -1)]
    seen = {start_branch}
    stack = [(0, end(start_branch, 0 if start_rev else 1))]  # (jaxley parent, node)
    while stack:
        jparent, node = stack.pop(0)
        for k, x in sorted(incident[node]):
            if k in seen:
                continue
            seen.add(k)
            layout.append((k, x == 1, jparent))
            stack.append((len(layout) - 1, end(k, 0 if x == 1 else 1)))
    return layout


def build(jx, HH, model: dict):
    """The Jaxley cell of a model, with stimuli and recordings in the model's order."""
    layout = jaxley_layout(model)
    branches = model["branches"]
    ncomps = [branches[k]["ncomp"] for k, _, _ in layout]
    comp = jx.Compartment()
    cache = {nc: jx.Branch(comp, ncomp=nc) for nc in sorted(set(ncomps))}  # one per size
    jbranches = [cache[nc] for nc in ncomps]
    cell = jx.Cell(jbranches, parents=[p for _, _, p in layout])
    cell.insert(HH())

    def per_comp(fn):
        out = []
        for k, rev, _ in layout:
            vals = np.asarray(fn(branches[k]), dtype=np.float64)
            out.append(vals[::-1] if rev else vals)
        return np.concatenate(out)

    cell.set("length", per_comp(lambda b: np.full(b["ncomp"], b["length_um"] / b["ncomp"])))
    cell.set("radius", per_comp(lambda b: np.asarray(b["diam_um"]) / 2.0))
    cell.set("axial_resistivity", per_comp(lambda b: np.full(b["ncomp"], b["Ra_ohm_cm"])))
    cell.set("capacitance", per_comp(lambda b: np.full(b["ncomp"], b["cm_uF_cm2"])))
    for ours, theirs in HH_NAMES.items():
        cell.set(theirs, per_comp(lambda b, p=ours: np.full(b["ncomp"], b["mechanisms"]["hh"][p])))
    cell.set("v", model["v_init_mV"])
    cell.init_states()

    where = {k: (j, rev) for j, (k, rev, _) in enumerate(layout)}

    def site(entry):
        j, rev = where[entry["branch"]]
        nc = branches[entry["branch"]]["ncomp"]
        c = min(int(np.floor(entry["x"] * nc)), nc - 1)
        return cell.branch(j).comp(nc - 1 - c if rev else c)

    for s in model.get("stimuli", []):
        site(s).stimulate(C.stim_per_step(model, s), verbose=False)
    for r in model.get("recordings", []):
        site(r).record(r["var"], verbose=False)
    return cell, layout


def swc_build(jx, args) -> dict:
    t0 = time.perf_counter()
    cell = jx.read_swc(args.swc, ncomp=args.ncomp or 1)
    return {
        "simulator": "jaxley",
        "swc": args.swc,
        "ncomp_per_branch": args.ncomp or 1,
        "build_s": time.perf_counter() - t0,
        "n_compartments": int(len(cell.nodes)),
        "n_branches": int(cell.total_nbranches),
    }


def main() -> None:
    ap = C.parser(__doc__.splitlines()[0])
    args = ap.parse_args()
    t0 = time.perf_counter()
    import jax

    jax.config.update("jax_enable_x64", True)
    import jaxley as jx
    from jaxley.channels import HH

    import_s = time.perf_counter() - t0
    rss_after_import = C.rss_mib()
    if args.swc:
        result = swc_build(jx, args)
        result.update(import_s=import_s, version=jx.__version__)
        C.report(result)
        return
    model = C.load_json(args.model)
    if model["method"]["name"] != "backward_euler":
        raise ValueError("this runner is set up for backward Euler models")
    if abs(model["celsius"] - 6.3) > 1e-12:
        raise ValueError("Jaxley's HH has no temperature scaling: use 6.3 °C models")

    t_build = time.perf_counter()
    cell, layout = build(jx, HH, model)
    build_s = time.perf_counter() - t_build
    dt = model["dt_ms"]
    params = cell.get_parameters()

    @jax.jit
    def simulate(params):
        return jx.integrate(cell, params=params, delta_t=dt, solver="bwd_euler")

    t0 = time.perf_counter()
    recs = jax.block_until_ready(simulate(params))
    t1 = time.perf_counter()

    def once():
        jax.block_until_ready(simulate(params))

    with C.PeakMemory() as mem:
        times = C.time_repeats(once, args.repeats)
    recs = np.asarray(recs)
    n = C.n_steps(model)
    C.save_traces(
        args.traces,
        np.arange(n + 1) * dt,
        {r["key"]: recs[i] for i, r in enumerate(model.get("recordings", []))},
    )
    result = {
        "simulator": "jaxley",
        "version": jx.__version__,
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "rerooted": layout[0][0] != 0 or layout[0][1],
        "import_s": import_s,
        "rss_after_import_mib": rss_after_import,
        "build_s": build_s,
        "first_call_s": t1 - t0,
        "first_trace_s": t1 - t_build,
        "rss_before_run_mib": mem.before_mib,
        "run_peak_mib": mem.peak_mib,
        "run_extra_mib": mem.extra_mib,
    }
    C.report(result, model, times)


if __name__ == "__main__":
    main()
