"""Benchmark 3: the per-step overhead of a small network: µs per step in dendrax, NEURON 9 and
Jaxley 0.14.

``python benchmarks/networks/bench_step.py [--quick] [--tstop-ms 1000] [--repeats 5]``

The network (``netmodels.small``): 10 cells of 3 hh compartments (one 60 x 10 µm cylinder), a
ring of ExpSyn connections plus 10 random chords (20 connections, delays U(1, 5) ms), a 0.1 nA
step into cell 0, 1,000 ms at dt 0.025 ms (40,000 steps; ``--quick``: 100 ms). So few
compartments make the time per step the fixed cost of a step: the loop, the event machinery
and the launch of every operation.

- dendrax: ``jax.jit(dx.simulate)`` of the network built by the Python API (``run_dendrax_net.py
  --build api``), after compilation.
- NEURON: ``run_network`` of the validation script with ``continuerun`` (NEURON's run loop),
  and with the script's Python loop of ``fadvance`` (``--mode fadvance``) for comparison.
- Jaxley: the closest equivalent, not the same model: Jaxley has no event-driven synapses,
  so every connection is an ``IonotropicSynapse`` (graded) between the same compartments
  (``run_jaxley_small.py``); the same cells and stimulus.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _net  # noqa: E402
import netmodels  # noqa: E402
import netreport as report  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 ms")
    ap.add_argument("--tstop-ms", type=float)
    ap.add_argument("--repeats", type=int)
    ap.add_argument(
        "--sims",
        nargs="+",
        default=["neuron", "neuron_fadvance", "dendrax", "jaxley"],
        choices=["neuron", "neuron_fadvance", "dendrax", "jaxley"],
    )
    ap.add_argument("--platform", default="cpu")
    ap.add_argument("--workdir")
    ap.add_argument("--out", help="results folder (default benchmarks/results)")
    args = ap.parse_args()
    tstop = args.tstop_ms or (100.0 if args.quick else 1000.0)
    repeats = args.repeats or (2 if args.quick else 5)
    prov, t0 = _net.start("net-step")
    work = _net.workdir(args.workdir)
    data = netmodels.small(tstop=tstop)
    model = work / f"{data['name']}.json"
    model.write_text(json.dumps(data))
    py, here = sys.executable, _net.HERE
    env = _net.child_env(args.platform)
    cmds = {
        "neuron": [py, str(here / "run_neuron_net.py"), str(model), "--mode", "continuerun"],
        "neuron_fadvance": [py, str(here / "run_neuron_net.py"), str(model), "--mode", "fadvance"],
        "dendrax": [py, str(here / "run_dendrax_net.py"), str(model), "--build", "api"],
        "jaxley": [py, str(here / "run_jaxley_small.py"), str(model)],
    }
    runs = {}
    for name in args.sims:
        print(f"{name} ...", flush=True)
        runs[name] = _net.run_child(cmds[name] + ["--repeats", str(repeats)], 1800, env)
        print("   ", report.short(runs[name]), flush=True)
    results = {
        "provenance": prov,
        "quick": args.quick,
        "config": {
            "tstop_ms": tstop,
            "dt_ms": data["dt_ms"],
            "repeats": repeats,
            "platform": args.platform,
        },
        "model": {
            k: data[k]
            for k in (
                "name",
                "description",
                "n_cells",
                "n_compartments",
                "n_synapses",
                "n_connections",
            )
        },
        "runs": runs,
    }
    _net.store(results, "step", report.render(results), t0, args.out)


if __name__ == "__main__":
    main()
