"""Run one ``neuroref-network/1`` network in NEURON 9 (fixed step); print one JSON line.

``python benchmarks/networks/run_neuron_net.py net.json [--repeats N] [--mode continuerun|fadvance]
[--threads K] [--spikes out.npz]``

The network is built and run by ``run_network`` of
``tests/validation/regenerate_network_neuron.py``, the script that made the NEURON references
of the validation cases, unchanged: sections per cell from the template, ``ExpSyn`` at the
compartment centres, one ``NetCon(seg._ref_v, syn)`` per connection (threshold, delay,
weight), ``IClamp`` steps, ``usetable_hh = 0``, CVode off, ``secondorder`` 0 (backward Euler).
It is timed through a thin wrapper around ``neuron.h`` that reads the clock at
``finitialize`` and after the last step, and (``--mode continuerun``, the default) replaces the
script's Python loop of ``h.fadvance()`` by one ``h.continuerun(tstop)`` (NEURON's own run
loop, as ``benchmarks/run_neuron.py``; the same steps and results). ``--mode fadvance`` keeps
the Python loop (about 1 µs of Python per step more). ``cache_efficient`` is on;
``--threads K`` sets ``ParallelContext().nthread(K)`` (default 1).

``build_s``: ``run_network`` up to ``finitialize`` (sections, synapses, NetCons, records);
``run_s``: ``finitialize`` to the end of the last step, median over ``--repeats`` calls after
one warm-up call (each call builds the network anew; NEURON frees the previous one).
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
import _net  # noqa: E402
import numpy as np  # noqa: E402


class TimedH:
    """``neuron.h`` with the run timed (and optionally run by ``continuerun``)."""

    def __init__(self, h, mode: str, threads: int):
        d = object.__getattribute__(self, "__dict__")
        d.update(
            _h=h,
            _mode=mode,
            _threads=threads,
            t_call=None,
            t_init=None,
            t_end=None,
            c_init=None,
            c_end=None,
            n_steps=0,
            _tstop=None,
        )

    def __getattr__(self, name):
        if name == "finitialize":
            return self._finitialize
        if name == "fadvance":
            return self._fadvance
        return getattr(self._h, name)

    def __setattr__(self, name, value):
        if name in self.__dict__:
            self.__dict__[name] = value
        else:
            setattr(self._h, name, value)

    def _finitialize(self, *a):
        h = self._h
        h.CVode().cache_efficient(1)
        if self._threads > 1:
            h.ParallelContext().nthread(self._threads)
        h.steps_per_ms = 1.0 / h.dt
        self.__dict__["c_init"] = time.process_time()
        self.__dict__["t_init"] = time.perf_counter()
        return h.finitialize(*a)

    def _fadvance(self):
        h = self._h
        if self._mode == "continuerun":
            if self.n_steps == 0:
                h.continuerun(self._tstop)
                self.__dict__["t_end"] = time.perf_counter()
                self.__dict__["c_end"] = time.process_time()
            self.__dict__["n_steps"] += 1
            return None
        out = h.fadvance()
        self.__dict__["n_steps"] += 1
        self.__dict__["t_end"] = time.perf_counter()
        self.__dict__["c_end"] = time.process_time()
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--mode", choices=("continuerun", "fadvance"), default="continuerun")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--spikes", help="write per-cell spike times to this npz")
    args = ap.parse_args()

    t0 = time.perf_counter()
    import neuron
    from neuron import h

    h.load_file("stdrun.hoc")
    sys.path.insert(0, str(_net.VALIDATION))
    from regenerate_network_neuron import run_network

    import_s = time.perf_counter() - t0
    rss_after_import = C.rss_mib()
    data = json.loads(Path(args.model).read_text())
    tstop = float(data["tstop_ms"])
    n_steps = round(tstop / float(data["dt_ms"]))

    def once():
        timed = TimedH(h, args.mode, args.threads)
        timed.__dict__["_tstop"] = tstop
        neuron.h = timed  # run_network does `from neuron import h`
        try:
            t_call = time.perf_counter()
            arrays = run_network(data)
            t_ret = time.perf_counter()
        finally:
            neuron.h = h
        return {
            "build_s": timed.t_init - t_call,
            "run_s": timed.t_end - timed.t_init,
            "run_cpu_s": timed.c_end - timed.c_init,
            "after_run_s": t_ret - timed.t_end,  # the script's own checks and copies
            "arrays": arrays,
        }

    first = once()
    runs = []
    with C.PeakMemory() as mem:
        for _ in range(args.repeats):
            runs.append(once())
    times = [r["run_s"] for r in runs]
    arrays = runs[-1]["arrays"] if runs else first["arrays"]
    cells = sorted(
        int(k[len("netcon_spikes__cell") :]) for k in arrays if k.startswith("netcon_spikes__cell")
    )
    spikes = {c: np.asarray(arrays[f"netcon_spikes__cell{c}"]) for c in cells}
    counts = np.asarray([spikes[c].size for c in cells])
    if args.spikes:
        np.savez(
            args.spikes,
            cells=np.asarray(cells),
            counts=counts,
            **{f"cell{c}": t for c, t in spikes.items()},
        )
    med = statistics.median(times)
    result = {
        "simulator": "neuron",
        "version": neuron.__version__,
        "mode": args.mode,
        "threads": args.threads,
        "cache_efficient": True,
        "model": data.get("name"),
        "n_cells": len(data["cells"]),
        "n_compartments": data.get("n_compartments"),
        "n_connections": len(data.get("connections", [])),
        "n_steps": n_steps,
        "import_s": import_s,
        "rss_after_import_mib": rss_after_import,
        "build_s": statistics.median([r["build_s"] for r in runs] or [first["build_s"]]),
        "first_build_s": first["build_s"],
        "first_run_s": first["run_s"],
        "run_peak_mib": mem.peak_mib,
        "us_per_step": med / n_steps * 1e6 if times else None,
        "spikes_total": int(counts.sum()),
    }
    if runs:
        result["run_cpu_s"] = statistics.median([r["run_cpu_s"] for r in runs])
        result["run_cpu_s_all"] = [r["run_cpu_s"] for r in runs]
    if result["n_compartments"]:
        result["ns_per_comp_step"] = med / (n_steps * result["n_compartments"]) * 1e9
    C.report(result, None, times)


if __name__ == "__main__":
    main()
