"""dendrax compile time by network feature: tracing and XLA compile of ``jax.jit(dx.simulate)``
as detectors, synapses, connections and a NetStim source are added to 10 three-compartment
cells; print one JSON line.

``python benchmarks/networks/run_compile_features.py``

Each step adds one feature to the previous network and compiles from empty caches
(``jax.clear_caches()``), measuring wall and process CPU time (on a shared machine the CPU
time of the single-threaded compiler is the steadier figure); ``hlo_lines`` is the length of
the optimised HLO text (a proxy for the program's size). 10 ms at dt 0.025 ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
import _common as C  # noqa: E402
import _net  # noqa: E402,F401


def main() -> None:
    import jax

    import dendrax as dx

    bg = dx.BranchGeometry.cylinder

    def template():
        c = dx.Cell([bg(20.0, 20.0, 1, kind="soma"), bg(200.0, 2.0, 2, parent=0, kind="basal")])
        c.insert(dx.HH())
        return c

    out = []

    def measure(label, system):
        jax.clear_caches()
        w0, c0 = time.perf_counter(), time.process_time()
        low = jax.jit(dx.simulate).lower(system)
        w1, c1 = time.perf_counter(), time.process_time()
        comp = low.compile()
        w2, c2 = time.perf_counter(), time.process_time()
        out.append(
            {
                "step": label,
                "trace_s": w1 - w0,
                "xla_compile_s": w2 - w1,
                "trace_cpu_s": c1 - c0,
                "xla_compile_cpu_s": c2 - c1,
                "hlo_lines": comp.as_text().count("\n"),
            }
        )
        print(out[-1], file=sys.stderr, flush=True)

    cell = template()
    cell.stimulate(dx.IClamp(1.0, 100.0, 0.3), (0, 0.5))
    cell.record("v", (0, 0.5))
    measure("one cell (no network)", dx.compile(cell, 0.025, 10.0))
    net = dx.Network()
    pop = net.add_cells(template(), 10)
    net.record("v", 0, (0, 0.5), "v0")
    measure("network of 10 cells", dx.compile(net, 0.025, 10.0))
    net.detect(pop, (0, 0.5), 0.0)
    measure("+ spike detectors", dx.compile(net, 0.025, 10.0))
    syn = net.place(dx.ExpSyn(tau=2.0, e=0.0), pop.cells, at=(1, 0.5))
    measure("+ ExpSyn (no connections)", dx.compile(net, 0.025, 10.0))
    net.connect(pop, syn, dx.Random(0.5), weight_uS=0.001, delay_ms=2.0)
    measure("+ cell-to-cell connections", dx.compile(net, 0.025, 10.0))
    src = net.add_source(dx.NetStim(1.0, 5.0, 3), 1)
    net.connect(src, syn, dx.AllToAll(), weight_uS=0.001, delay_ms=1.0)
    measure("+ a NetStim source", dx.compile(net, 0.025, 10.0))
    C.report({"simulator": "dendrax", "steps": out})


if __name__ == "__main__":
    main()
