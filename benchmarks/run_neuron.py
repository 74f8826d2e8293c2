"""Run one JSON model in NEURON (fixed step, backward Euler, exact hh rates) and report JSON.

``python benchmarks/run_neuron.py model.json [--repeats N] [--traces out.npz]``

The timed region is ``finitialize`` + ``continuerun`` (``h.secondorder = 0``,
``h.usetable_hh = 0``, CVode off). ``cache_efficient`` is on (NEURON's fastest fixed-step
memory layout); ``--no-cache-efficient`` turns it off. One thread: a single cell cannot be split
across threads without multisplit.
"""

from __future__ import annotations

import time

import _common as C
import numpy as np


def build(h, model: dict):
    """Sections, mechanisms, stimuli and recordings of a model; returns what must stay alive."""
    secs = []
    for k, b in enumerate(model["branches"]):
        sec = h.Section(name=f"b{k}")
        sec.nseg = b["ncomp"]
        sec.L = b["length_um"]
        sec.Ra = b["Ra_ohm_cm"]
        sec.cm = b["cm_uF_cm2"]
        for seg, d in zip(sec, b["diam_um"]):
            seg.diam = d
        for name, values in b["mechanisms"].items():
            sec.insert(name)
            for p, v in values.items():
                # reversal potentials of ions (ena, ek) are section variables, not hh's
                setattr(sec, p if p in ("ena", "ek") else f"{p}_{name}", v)
        if b["parent"] >= 0:
            px = b["parent_x"] if b["parent_x"] is not None else 1.0
            sec.connect(secs[b["parent"]](px), 0)
        secs.append(sec)
    keep = []
    for s in model.get("stimuli", []):
        if s["type"] != "iclamp":
            raise ValueError("the benchmark NEURON runner supports iclamp stimuli only")
        ic = h.IClamp(secs[s["branch"]](s["x"]))
        ic.delay, ic.dur, ic.amp = s["delay_ms"], s["dur_ms"], s["amp_nA"]
        keep.append(ic)
    recs = {}
    for r in model.get("recordings", []):
        vec = h.Vector()
        vec.record(getattr(secs[r["branch"]](r["x"]), f"_ref_{r['var']}"))
        recs[r["key"]] = vec
    return secs, keep, recs


def main() -> None:
    ap = C.parser(__doc__.splitlines()[0])
    ap.add_argument("--no-cache-efficient", action="store_true")
    args = ap.parse_args()
    t0 = time.perf_counter()
    import neuron
    from neuron import h

    h.load_file("stdrun.hoc")
    import_s = time.perf_counter() - t0
    rss_after_import = C.rss_mib()
    model = C.load_json(args.model)

    t0 = time.perf_counter()
    h.celsius = model["celsius"]
    h.usetable_hh = 0
    h.secondorder = 0
    cvode = h.CVode()
    cvode.active(0)
    cvode.cache_efficient(0 if args.no_cache_efficient else 1)
    h.dt = model["dt_ms"]
    h.steps_per_ms = 1.0 / model["dt_ms"]
    h.tstop = model["tstop_ms"]
    secs, keep, recs = build(h, model)
    t_vec = h.Vector()
    t_vec.record(h._ref_t)
    build_s = time.perf_counter() - t0

    def run():
        h.dt = model["dt_ms"]
        h.finitialize(model["v_init_mV"])
        h.continuerun(model["tstop_ms"])

    first = C.time_repeats(run, 1)[0]
    with C.PeakMemory() as mem:
        times = C.time_repeats(run, args.repeats)
    traces = {k: np.array(v) for k, v in recs.items()}
    n = C.n_steps(model) + 1
    if any(len(v) != n for v in traces.values()):
        raise RuntimeError(f"NEURON recorded {[len(v) for v in traces.values()]} samples, not {n}")
    C.save_traces(args.traces, np.array(t_vec), traces)
    result = {
        "simulator": "neuron",
        "version": neuron.__version__,
        "cache_efficient": not args.no_cache_efficient,
        "import_s": import_s,
        "rss_after_import_mib": rss_after_import,
        "build_s": build_s,
        "first_call_s": first,
        "rss_before_run_mib": mem.before_mib,
        "run_peak_mib": mem.peak_mib,
        "run_extra_mib": mem.extra_mib,
    }
    C.report(result, model, times)


if __name__ == "__main__":
    main()
