"""Run the small network of benchmark 3 in Jaxley 0.14; print one JSON line.

``python benchmarks/networks/run_jaxley_small.py net.json [--repeats N]``

Jaxley has no event-driven synapses (no spike detection, delays or ExpSyn), so this is its
closest equivalent of the ``neuroref-network/1`` file: the same cells (one branch of 3
compartments from the file's template: length, radius, Ra, cm; Jaxley's ``HH`` with the file's
hh values), the same stimulus (the step at the midpoint of every step, into the same
compartment) and, for every connection of the file, one ``IonotropicSynapse`` (graded,
Jaxley's defaults) from the pre cell's detector compartment to the post cell's synapse
compartment. ``jax.jit(jx.integrate)``, backward Euler, float64; ``run_s`` is the median of
``--repeats`` calls after the first; ``us_per_step`` = run_s / steps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401
import numpy as np  # noqa: E402

HH_NAMES = {
    "gnabar": "HH_gNa",
    "gkbar": "HH_gK",
    "gl": "HH_gLeak",
    "ena": "HH_eNa",
    "ek": "HH_eK",
    "el": "HH_eLeak",
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    import jax

    jax.config.update("jax_enable_x64", True)
    import jaxley as jx
    from jaxley.channels import HH
    from jaxley.connect import connect
    from jaxley.synapses import IonotropicSynapse

    import_s = time.perf_counter() - t0
    data = json.loads(Path(args.model).read_text())
    (tmpl,) = data["templates"].values()
    if len(tmpl) != 1:
        raise SystemExit("run_jaxley_small.py takes one-branch templates")
    b = tmpl[0]
    dt, tstop = float(data["dt_ms"]), float(data["tstop_ms"])
    n_steps = int(round(tstop / dt))
    t0 = time.perf_counter()
    nc = int(b["ncomp"])
    cell = jx.Cell([jx.Branch(jx.Compartment(), ncomp=nc)], parents=[-1])
    n = len(data["cells"])
    net = jx.Network([cell for _ in range(n)])
    net.insert(HH())
    net.set("length", b["length_um"] / nc)
    net.set("radius", float(np.mean(b["diam_um"])) / 2.0)
    net.set("axial_resistivity", b["Ra_ohm_cm"])
    net.set("capacitance", b["cm_uF_cm2"])
    for ours, theirs in HH_NAMES.items():
        net.set(theirs, b["mechanisms"]["hh"][ours])
    net.set("v", data["v_init_mV"])
    for con in data["connections"]:
        pre = int(con["pre"]["cell"])
        det = data["cells"][pre]["spike_detector"]
        syn = data["synapses"][int(con["synapse"])]
        connect(
            net.cell(pre).branch(0).comp(int(det["comp"])),
            net.cell(int(syn["cell"])).branch(0).comp(int(syn["comp"])),
            IonotropicSynapse(),
        )
    net.init_states()
    t_mid = (np.arange(n_steps) + 0.5) * dt
    for s in data["stimuli"]:
        on = (t_mid >= s["delay_ms"]) & (t_mid < s["delay_ms"] + s["dur_ms"])
        net.cell(int(s["cell"])).branch(0).comp(int(s["comp"])).stimulate(
            np.where(on, float(s["amp_nA"]), 0.0), verbose=False
        )
    for r in data["recordings"]:
        net.cell(int(r["cell"])).branch(0).comp(int(r["comp"])).record("v", verbose=False)
    build_s = time.perf_counter() - t0
    params = net.get_parameters()

    @jax.jit
    def run(params):
        return jx.integrate(net, params=params, delta_t=dt, t_max=tstop, solver="bwd_euler")

    t0 = time.perf_counter()
    v = np.asarray(jax.block_until_ready(run(params)))
    first = time.perf_counter() - t0
    with C.PeakMemory() as mem:
        times = C.time_repeats(lambda: jax.block_until_ready(run(params)), args.repeats)
    med = statistics.median(times)
    result = {
        "simulator": "jaxley",
        "version": jx.__version__,
        "model": data.get("name"),
        "n_cells": n,
        "n_compartments": int(len(net.nodes)),
        "n_connections": int(len(net.edges)),
        "synapse": "IonotropicSynapse (graded; Jaxley has no event-driven synapse)",
        "n_steps": n_steps,
        "import_s": import_s,
        "build_s": build_s,
        "first_call_s": first,
        "run_peak_mib": mem.peak_mib,
        "us_per_step": med / n_steps * 1e6,
        "ns_per_comp_step": med / (n_steps * len(net.nodes)) * 1e9,
        "spikes_recorded": int(((v[:, :-1] < 0) & (v[:, 1:] >= 0)).sum()),
    }
    C.report(result, None, times)


if __name__ == "__main__":
    main()
