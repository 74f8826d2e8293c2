"""Markdown tables of times and ratios from the network benchmarks' results files.

``python benchmarks/networks/netreport.py [FILES...]``: render every given results file (a
``benchmarks/results/networks/<name>.json`` or a stored ``results/runs/*-net-*.json``; default:
every ``results/networks/*.json``). Each benchmark script also prints and stores its table
(``results/networks/<name>.md``). Numbers are medians of the repeats of one run; ratios are
taken within the run (the same machine and load).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]
from _net import NET_RESULTS, RESULTS, errors_of, fmt, provenance_line, ratio, table  # noqa: E402


def mark(ok) -> str:
    return "–" if ok is None else ("MET" if ok else "NOT MET")


def short(r: dict) -> str:
    """One line about one runner's result, for progress output."""
    if "error" in r:
        return "ERROR " + r["error"]
    parts = []
    for k, label in (
        ("build_s", "build"),
        ("compile_system_s", "dx.compile"),
        ("trace_s", "trace"),
        ("xla_compile_s", "XLA"),
        ("run_s", "run"),
        ("grad_s", "grad"),
        ("us_per_step", "µs/step"),
        ("spikes_total", "spikes"),
        ("child_maxrss_mib", "peak MiB"),
    ):
        if r.get(k) is not None:
            parts.append(f"{label} {fmt(r[k])}")
    return ", ".join(parts)


def _errors(results: dict) -> list[str]:
    errs = errors_of(results.get("runs", results.get("points", {})))
    return ["", "Errors:", ""] + [f"- {e}" for e in errs] if errs else []


# --- 1: ball-and-stick network against NEURON --------------------------------------------


def render_ballstick(res: dict) -> str:
    runs, ref = res["runs"], res.get("reference")
    nref = runs.get(ref, {})
    m = res["model"]
    rows = []
    for name, r in runs.items():
        if "error" in r:
            rows.append([name, "error"] + ["–"] * 13)
            continue
        a = res.get("agreement", {}).get(name, {})
        same = (
            "ref"
            if name == ref
            else (
                "yes" if a.get("same_counts") else f"NO ({a.get('cells_with_other_count')} cells)"
            )
        )
        rows.append(
            [
                name,
                fmt(r.get("build_s")),
                fmt(r.get("compile_system_s")),
                fmt(r.get("trace_s")),
                fmt(r.get("xla_compile_s")),
                fmt(r.get("run_s"), ".4g"),
                fmt(r.get("run_s_min"), ".4g"),
                fmt(r.get("us_per_step"), ".1f"),
                fmt(r.get("ns_per_comp_step"), ".0f"),
                fmt(r.get("spikes_total"), "d"),
                same,
                fmt(r.get("child_maxrss_mib"), ".0f"),
                fmt(ratio(r.get("run_s"), nref.get("run_s")), ".2f"),
                fmt(r.get("run_cpu_s"), ".4g"),
                fmt(ratio(r.get("run_cpu_s"), nref.get("run_cpu_s")), ".2f"),
            ]
        )
    out = [
        "# Network benchmark 1: ball-and-stick network, dendrax vs NEURON "
        + str(nref.get("version", "")),
        "",
        provenance_line(res),
        "",
        f"{m['description']}: {m['n_cells']} cells, {m['n_compartments']:,} compartments, "
        f"{m['n_synapses']:,} ExpSyn, {m['n_connections']:,} connections; "
        f"{res['config']['tstop_ms']:g} ms at dt {res['config']['dt_ms']} ms, backward Euler, "
        "float64, CPU.",
        "",
        table(
            [
                "run",
                "build s",
                "dx.compile s",
                "trace s",
                "XLA s",
                "run s (median)",
                "run s (min)",
                "µs/step",
                "ns/comp/step",
                "spikes",
                "same counts as NEURON",
                "peak RSS MiB",
                "run / NEURON",
                "run CPU s",
                "CPU / NEURON CPU",
            ],
            rows,
        ),
        "",
    ]
    d = [r.get("run_s") for n, r in runs.items() if n.startswith("dendrax") and "run_s" in r]
    best = min(d) if d else None
    rr = ratio(best, nref.get("run_s"))
    ok = None if rr is None else rr <= res.get("goal_ratio", 0.5)
    agree = res.get("agreement", {})
    same = all(a.get("same_counts") for a in agree.values()) if agree else None
    dtmax = max((a.get("max_spike_time_diff_ms", 0) for a in agree.values()), default=None)
    out += [
        f"- Goal dendrax/NEURON run time <= {res.get('goal_ratio', 0.5)}: "
        f"{fmt(rr, '.2f')} -> {mark(ok)} (against `{ref}`).",
        f"- Spike counts identical to NEURON in every cell: {mark(same)}"
        + (f"; largest spike-time difference {dtmax:.1e} ms." if dtmax is not None else "."),
        "- build = description to `dx.Network` (dendrax; `json` = `dx.load_network`, `api` = "
        "the Python API) or NEURON objects up to `finitialize`; dx.compile = lowering to a "
        "System; trace/XLA = `jax.jit(dx.simulate).lower` / `.compile()` from empty caches; "
        "run = steady state, jit after compile (dendrax) or `finitialize` + `continuerun` "
        "(NEURON, fixed step, `cache_efficient`); peak RSS = whole child process; CPU = process "
        "CPU time of the same runs (all threads: XLA may use both cores, NEURON one), which "
        "other work on a shared machine disturbs less than wall time.",
    ]
    return "\n".join(out + _errors(res)) + "\n"


# --- 2: build and compile scaling ----------------------------------------------------------


def render_build(res: dict) -> str:
    pts = res["points"]
    goals = res.get("goals", {"compile_s": 2.0, "build_10000_cells_s": 10.0})
    head = [
        "cells",
        "compartments",
        "synapses",
        "connections",
        "describe s",
        "dx.compile s",
        "build s",
        "trace s",
        "XLA s",
        "trace + XLA s",
        "run 10 ms s",
        "µs/step",
        "peak RSS MiB",
    ]

    def row(r):
        if "error" in r:
            return ["error"] + ["–"] * (len(head) - 1)
        return [
            f"{r['n_cells']:,}",
            f"{r['n_compartments']:,}",
            f"{r['n_synapses']:,}",
            f"{r['n_connections']:,}",
            fmt(r.get("describe_s")),
            fmt(r.get("compile_system_s")),
            fmt(r.get("build_s")),
            fmt(r.get("trace_s")),
            fmt(r.get("xla_compile_s")),
            fmt(r.get("compile_s")),
            fmt(r.get("run_s")),
            fmt(r["run_s"] / r["n_steps"] * 1e6 if r.get("run_s") else None, ".1f"),
            fmt(r.get("child_maxrss_mib"), ".0f"),
        ]

    out = ["# Network benchmark 2: dendrax build and compile time", "", provenance_line(res), ""]
    out += [
        "## Against the number of cells (one 3-compartment template, ~10 connections per cell)",
        "",
        table(head, [row(r) for r in pts["cells"].values()]),
        "",
    ]
    out += [
        f"## Against the number of connections ({res['config']['conn_cells']:,} cells, "
        "10 ExpSyn per cell, `dx.Random`)",
        "",
        table(head, [row(r) for r in pts["connections"].values()]),
        "",
    ]
    con = [r for r in pts["connections"].values() if r.get("run_s")]
    x = [r["n_connections"] for r in con]
    if len(con) >= 3 and max(x) >= 100 * max(min(x), 1):
        y = [r["run_s"] / r["n_steps"] for r in con]
        mx, my = sum(x) / len(x), sum(y) / len(y)
        sxx = sum((a - mx) ** 2 for a in x)
        slope = sum((a - mx) * (b - my) for a, b in zip(x, y)) / sxx if sxx else None
        out.append(
            f"- Run time per step against connections (least squares over the sweep): "
            f"{fmt(slope * 1e9 if slope else None, '.1f')} ns per connection per step, "
            "whether or not the connection carries a spike in that step."
        )
    allp = [
        r for sweep in ("cells", "connections") for r in pts[sweep].values() if "error" not in r
    ]
    comp = [r["compile_s"] for r in allp if "compile_s" in r]
    if comp:
        out.append(
            f"- Goal trace + XLA compile < {goals['compile_s']} s at every size: "
            f"{min(comp):.2f}-{max(comp):.2f} s -> {mark(max(comp) < goals['compile_s'])}."
        )
    big = pts["cells"].get("10000", {})
    if "build_s" in big:
        ok = big["build_s"] < goals["build_10000_cells_s"]
        out.append(
            f"- Goal build (describe + dx.compile) of 10,000 cells < "
            f"{goals['build_10000_cells_s']} s: {big['build_s']:.2f} s -> {mark(ok)}."
        )
    feat = pts.get("features") or {}
    if "steps" in feat:
        out += [
            "",
            "### Compile time by network feature (10 cells x 3 compartments, 10 ms; "
            "each row adds to the one above; from empty caches)",
            "",
            table(
                ["network", "trace s", "XLA s", "trace CPU s", "XLA CPU s", "HLO lines"],
                [
                    [
                        s["step"],
                        fmt(s["trace_s"]),
                        fmt(s["xla_compile_s"]),
                        fmt(s["trace_cpu_s"]),
                        fmt(s["xla_compile_cpu_s"]),
                        s["hlo_lines"],
                    ]
                    for s in feat["steps"]
                ],
            ),
        ]
    elif "error" in feat:
        out += ["", f"Compile time by feature: error {feat['error']}"]
    for label, r in pts.get("profiles", {}).items():
        if "error" in r or "profile_cumulative" not in r:
            continue
        out += [
            "",
            f"### cProfile of the build, largest {label} point ({r['n_cells']:,} cells, "
            f"{r['n_connections']:,} connections; build {r['build_s']:.2f} s under the "
            "profiler)",
            "",
            "By cumulative time:",
            "",
            "```",
            *r["profile_cumulative"][:22],
            "```",
            "",
            "By own time:",
            "",
            "```",
            *r["profile_tottime"][:16],
            "```",
        ]
    return "\n".join(out + _errors(res)) + "\n"


# --- 4: graded synapses against Jaxley ------------------------------------------------------


def render_graded(res: dict) -> str:
    runs, cfg, ag = res["runs"], res["config"], res.get("agreement", {})
    n_syn = next((r.get("n_synapses") for r in runs.values() if r.get("n_synapses")), None)
    head = [
        "mode",
        "simulator",
        "build s",
        "trace + XLA compile s",
        "time s (median)",
        "µs/step",
        "peak RSS MiB",
        "dendrax / Jaxley time",
        "dendrax / Jaxley peak RSS",
    ]
    rows = []
    for mode in ("forward", "grad"):
        d, j = runs.get(f"dendrax_{mode}"), runs.get(f"jaxley_{mode}")
        for sim, r in (("dendrax", d), ("Jaxley", j)):
            if r is None:
                continue
            if "error" in r:
                rows.append([mode, sim, "error"] + ["–"] * 6)
                continue
            rt = ratio((d or {}).get("run_s"), (j or {}).get("run_s")) if sim == "dendrax" else None
            rm = (
                ratio((d or {}).get("child_maxrss_mib"), (j or {}).get("child_maxrss_mib"))
                if sim == "dendrax"
                else None
            )
            rows.append(
                [
                    mode,
                    sim,
                    fmt(r.get("build_s")),
                    fmt(r.get("compile_s")),
                    fmt(r.get("run_s"), ".4g"),
                    fmt(r.get("us_per_step"), ".1f"),
                    fmt(r.get("child_maxrss_mib"), ".0f"),
                    fmt(rt, ".2f"),
                    fmt(rm, ".2f"),
                ]
            )
    out = [
        "# Network benchmark 4: graded synapses, dendrax vs Jaxley 0.14",
        "",
        provenance_line(res),
        "",
        f"{cfg['cells']:,} single-compartment HH cells, {fmt(n_syn, ',')} graded synapses "
        f"(p = {cfg['p']}), {cfg['tstop_ms']:g} ms at dt {cfg['dt_ms']} ms, float64, CPU. "
        "Jaxley `IonotropicSynapse` (`connectivity_matrix_connect`), dendrax "
        "`JaxleyIonotropicSynapse` (`Network.connect_graded`), the same connectivity matrix. "
        "Gradient: of the mean squared deviation of the recorded voltages from -65 mV w.r.t. "
        "every synapse's gS (dendrax: two checkpoint levels; Jaxley: `checkpoint_lengths` "
        f"{next((r['checkpoint_lengths'] for r in runs.values() if 'checkpoint_lengths' in r), '')}"
        ", per-synapse values through `data_set`).",
        "",
        table(head, rows),
        "",
        f"- Agreement: max |dV| of the recorded traces {fmt(ag.get('max_abs_dv_mV'), '.1e')} mV; "
        f"loss {ag.get('loss')}; gradients (sorted) max relative difference "
        f"{fmt(ag.get('grad_max_rel_diff_sorted'), '.1e')}.",
        "- peak RSS = the whole process (`ru_maxrss` from `os.wait4`), imports and build "
        "included (Jaxley's pandas tables too).",
    ]
    return "\n".join(out + _errors(res)) + "\n"


# --- 3: per-step overhead -------------------------------------------------------------------


def render_step(res: dict) -> str:
    runs, m, cfg = res["runs"], res["model"], res["config"]
    labels = {
        "dendrax": "dendrax (`jax.jit(dx.simulate)`, ExpSyn events)",
        "neuron": "NEURON (`continuerun`, ExpSyn events)",
        "neuron_fadvance": "NEURON (Python loop of `fadvance`)",
        "jaxley": "Jaxley (`jit(jx.integrate)`, IonotropicSynapse: graded, not events)",
    }
    d = runs.get("dendrax", {})
    rows = []
    for name, r in runs.items():
        if "error" in r:
            rows.append([labels.get(name, name), "error"] + ["–"] * 5)
            continue
        rows.append(
            [
                labels.get(name, name),
                fmt(r.get("us_per_step"), ".2f"),
                fmt(r.get("run_s"), ".4g"),
                fmt(r.get("compile_s") if name != "neuron" else None),
                fmt(r.get("child_maxrss_mib"), ".0f"),
                fmt(ratio(d.get("us_per_step"), r.get("us_per_step")), ".2f"),
            ]
        )
    out = [
        "# Network benchmark 3: per-step overhead of a small network",
        "",
        provenance_line(res),
        "",
        f"{m['description']}: {m['n_cells']} cells, {m['n_compartments']} compartments, "
        f"{m['n_connections']} connections; {cfg['tstop_ms']:g} ms at dt {cfg['dt_ms']} ms "
        f"({int(round(cfg['tstop_ms'] / cfg['dt_ms'])):,} steps), backward Euler, float64, CPU.",
        "",
        table(
            ["run", "µs/step", "run s (median)", "compile s", "peak RSS MiB", "dendrax / this"],
            rows,
        ),
        "",
        "- Jaxley has no event-driven synapses; its row is the closest equivalent (the same "
        "cells and stimulus, one graded `IonotropicSynapse` per connection), not the same model.",
        "- compile = first call minus the steady-state median (JAX); NEURON has none.",
    ]
    return "\n".join(out + _errors(res)) + "\n"


# --- 5: the CA1 network ---------------------------------------------------------------------


def render_ca1(res: dict) -> str:
    cfg, runs = res["config"], res["runs"]
    head = [
        "mode",
        "cells",
        "compartments",
        "synapses",
        "connections",
        "build s",
        "dx.compile s",
        "XLA s",
        "time s",
        "µs/step",
        "ns/comp/step",
        "spikes (rate Hz)",
        "peak RSS MiB",
    ]
    rows = []
    for mode in ("forward", "grad"):
        for r in runs.get(mode, {}).values():
            if "error" in r:
                rows.append([mode, "error"] + ["–"] * (len(head) - 2))
                continue
            sp = f"{r['spikes_total']:,} ({r['rate_hz']:.1f})" if "spikes_total" in r else "–"
            rows.append(
                [
                    mode,
                    f"{r['n_cells']:,}",
                    f"{r['n_compartments']:,}",
                    f"{r['n_synapses']:,}",
                    f"{r['n_connections']:,}",
                    fmt(r.get("build_s")),
                    fmt(r.get("compile_system_s")),
                    fmt(r.get("xla_compile_s")),
                    fmt(r.get("run_s"), ".4g"),
                    fmt(r.get("us_per_step"), ".0f"),
                    fmt(r.get("ns_per_comp_step"), ".0f"),
                    sp,
                    fmt(r.get("child_maxrss_mib"), ".0f"),
                ]
            )
    cpc = next(
        (r["comps_per_cell"] for r in runs.get("forward", {}).values() if "comps_per_cell" in r),
        "?",
    )
    out = [
        "# Network benchmark 5: CA1-morphology network (dendrax)",
        "",
        provenance_line(res),
        "",
        f"CA1 cells (`ca1_n120.swc` to branch order 5, `MaxLength(100)`: {cpc} compartments; "
        f"hh soma, weak-hh dendrites), {cfg['syn_per_cell']} ExpSyn per cell, `dx.Random` with "
        f"{cfg['in_degree']} connections per cell on average, {cfg['tstop_ms']:g} ms at dt "
        f"{cfg['dt_ms']} ms, backward Euler, float64, CPU. Gradient: w.r.t. every connection "
        "weight, two checkpoint levels.",
        "",
        table(head, rows),
        "",
    ]
    nr = runs.get("neuron") or {}
    if nr:
        if "error" in nr:
            out.append(f"- NEURON: error {nr['error']}")
        else:
            big = runs["forward"].get(str(max(cfg["sizes"])), {})
            a = nr.get("agreement", {})
            out.append(
                f"- NEURON on {nr['n_cells']:,} cells: run {fmt(nr.get('run_s'), '.4g')} s "
                f"(build {fmt(nr.get('build_s'))} s, peak RSS "
                f"{fmt(nr.get('child_maxrss_mib'), '.0f')} MiB); dendrax/NEURON "
                f"{fmt(ratio(big.get('run_s'), nr.get('run_s')), '.2f')}; same spike "
                f"counts in every cell: {mark(a.get('same_counts'))} "
                f"({a.get('spikes_ref')} vs {a.get('spikes')})."
            )
    for mode, f in res.get("fit", {}).items():
        if not f:
            continue
        nmax = f["n_cells_max"]
        comps = nmax * cpc if nmax and isinstance(cpc, int) else None
        conns = nmax * cfg["in_degree"] if nmax else None
        out.append(
            f"- Largest network in {f['budget_gib']:g} GiB, {mode}: peak RSS ~ "
            f"{f['a_mib']:.0f} MiB + {f['b_mib_per_cell']:.2f} MiB per cell (least "
            f"squares over {f['sizes']} cells, largest residual "
            f"{100 * f['max_rel_residual']:.1f} %) -> about "
            f"{fmt(nmax, ',')} cells ({fmt(comps, ',')} compartments, ~{fmt(conns, ',')} "
            "connections); an extrapolation at fixed per-cell structure."
        )
    return "\n".join(out + _errors(res)) + "\n"


RENDER = {
    "net-ballstick": render_ballstick,
    "net-build": render_build,
    "net-graded": render_graded,
    "net-step": render_step,
    "net-ca1": render_ca1,
}


def render(res: dict) -> str:
    kind = res.get("provenance", {}).get("kind")
    if kind not in RENDER:
        raise ValueError(f"no report for results of kind {kind!r}")
    return RENDER[kind](res)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    files = [Path(f) for f in args.files] or sorted(NET_RESULTS.glob("*.json"))
    for f in files:
        p = f if f.exists() else RESULTS / f
        print(render(json.loads(p.read_text())))


if __name__ == "__main__":
    main()
