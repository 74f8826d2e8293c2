"""dendrax against Jaxley 0.14 and NEURON 9 on the same models, side by side.

``python benchmarks/run_all.py [--quick] [--sizes 100 1000 10000] [--families cable tree swc]
[--sims dendrax jaxley neuron] [--skip-extras]``

Every simulator runs every model in its own fresh process (``run_<sim>.py``), so import time
and memory are isolated, and they run one after the other, never at the same time. Also
measured: dendrax's compile time against the number of steps, the time to build a
10,000-compartment cell from SWC (dendrax and ``jx.read_swc``), and a new user's first trace
after ``import dendrax``. Prints a table and writes ``benchmarks/results/latest.json`` and
``latest.md``, and keeps the run as ``benchmarks/results/runs/<date>-<commit>-forward.json``
with its provenance (git commit and dirtiness, date, machine, load, package versions);
``benchmarks/report.py`` renders the README table and the quoted figures from stored runs.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import _provenance as P  # noqa: E402
import models  # noqa: E402

SIMS = ("neuron", "jaxley", "dendrax")
REPEATS = {100: 7, 1000: 5, 10000: 3}
QUICK_REPEATS = {100: 3, 1000: 2, 10000: 1}
SWC_10K = ("l5pc_with_axon", 31)  # 1 + 323 x 31 = 10,014 compartments (10,044 via read_swc)
SWC_QUICK = ("ca1_n120", 7)
TARGETS = {
    "vs_jaxley": 0.5,
    "vs_neuron": 0.33,
    "swc_build_s": 1.0,
    "compile_s": 1.0,
    "first_trace_s": 2.0,
    "memory_vs_jaxley": 0.5,
}


def run_json(cmd: list[str], timeout: float, env: dict) -> dict:
    """Run a runner script; its last stdout line is a JSON object."""
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s", "cmd": " ".join(cmd)}
    lines = [ln for ln in p.stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr or p.stdout).strip().splitlines()[-5:]
        return {"error": f"exit {p.returncode}: " + " | ".join(tail), "cmd": " ".join(cmd)}
    out = json.loads(lines[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def spikes(v: np.ndarray) -> int:
    return int(((v[:-1] < 0) & (v[1:] >= 0)).sum())


def compare(ref: Path, other: Path) -> dict:
    """Max |ΔV| (mV) over all recordings, and spike counts, of ``other`` against ``ref``."""
    a, b = np.load(ref), np.load(other)
    keys = [k for k in a.files if k != "t"]
    out = {"max_abs_dv_mV": 0.0, "spikes_ref": {}, "spikes": {}}
    for k in keys:
        if k not in b.files or b[k].shape != a[k].shape:
            return {"error": f"recording {k!r} missing or of another shape"}
        out["max_abs_dv_mV"] = max(out["max_abs_dv_mV"], float(np.max(np.abs(a[k] - b[k]))))
        out["spikes_ref"][k], out["spikes"][k] = spikes(a[k]), spikes(b[k])
    return out


def git_commit(prov: dict) -> str:
    """The measured commit as the first results files wrote it (kept for old readers)."""
    g = prov.get("git", {})
    if not g.get("commit"):
        return ""
    return g["short"] + (" + uncommitted changes in src/" if g.get("src_dirty") else "")


def fmt(x, spec=".3g", none="–"):
    if x is None or (isinstance(x, float) and not np.isfinite(x)):
        return none
    return format(x, spec)


def ratio(a, b):
    return a / b if a is not None and b else None


def summarise(results: dict) -> list[dict]:
    rows = []
    for name, per in results["models"].items():
        d, j, n = (per.get(s, {}) for s in ("dendrax", "jaxley", "neuron"))
        rows.append(
            {
                "model": name,
                "ncomp": per.get("n_compartments"),
                "run_s": {s: per.get(s, {}).get("run_s") for s in SIMS},
                "ns_per_comp_step": {s: per.get(s, {}).get("ns_per_comp_step") for s in SIMS},
                "dendrax_vs_jaxley": ratio(d.get("run_s"), j.get("run_s")),
                "dendrax_vs_neuron": ratio(d.get("run_s"), n.get("run_s")),
                "dendrax_vs_jaxley_cpu": ratio(d.get("run_cpu_s"), j.get("run_cpu_s")),
                "dendrax_vs_neuron_cpu": ratio(d.get("run_cpu_s"), n.get("run_cpu_s")),
                "dendrax_vs_jaxley_min": ratio(d.get("run_s_min"), j.get("run_s_min")),
                "dendrax_vs_neuron_min": ratio(d.get("run_s_min"), n.get("run_s_min")),
                "compile_s": {s: per.get(s, {}).get("compile_s") for s in ("jaxley", "dendrax")},
                "dendrax_xla_compile_s": d.get("xla_compile_s"),
                "dendrax_trace_s": d.get("trace_s"),
                "build_s": {s: per.get(s, {}).get("build_s") for s in SIMS},
                "first_trace_s": {s: per.get(s, {}).get("first_trace_s") for s in SIMS},
                "maxrss_mib": {s: per.get(s, {}).get("maxrss_mib") for s in SIMS},
                "run_extra_mib": {s: per.get(s, {}).get("run_extra_mib") for s in SIMS},
                "peak_minus_import_mib": {
                    s: per.get(s, {}).get("peak_minus_import_mib") for s in SIMS
                },
                "loadavg_1min": max(
                    (per[s]["loadavg_1min"] for s in SIMS if per.get(s, {}).get("loadavg_1min")),
                    default=None,
                ),
                "memory_vs_jaxley": ratio(d.get("maxrss_mib"), j.get("maxrss_mib")),
                "max_abs_dv_mV": {
                    s: per.get("agreement", {}).get(s, {}).get("max_abs_dv_mV")
                    for s in ("jaxley", "dendrax")
                },
                "errors": {s: per[s]["error"] for s in SIMS if "error" in per.get(s, {})},
            }
        )
    return rows


def commit_text(results: dict) -> str:
    prov = results.get("provenance")
    if not prov:
        return results.get("dendrax_commit") or "not recorded"
    g = prov["git"]
    text = P.git_label(g)
    if g.get("dirty"):
        text += " (uncommitted changes in " + ", ".join(g["dirty_paths"][:5]) + ")"
    load = prov["machine"].get("loadavg"), prov.get("loadavg_end")
    if all(load):
        text += f"; load average 1/5/15 min {load[0]} at start, {load[1]} at end"
    return text


def markdown(results: dict) -> str:
    rows = results["rows"]
    m = results["machine"]
    out = [
        "# dendrax vs Jaxley vs NEURON",
        "",
        f"{results['date']}; {m['cpu']}, {m['cores']} cores; "
        f"{results['versions']} (dendrax commit {commit_text(results)}); "
        "HH everywhere, 100 ms at dt 0.025 ms (4,000 steps), "
        "backward Euler, float64, CPU. Run with "
        f"`python benchmarks/run_all.py{' --quick' if results['quick'] else ''}` "
        f"({results['total_s']:.0f} s).",
        "",
        "## Steady-state simulation time (median of repeats, one simulation of 100 ms)",
        "",
        "| model | comps | NEURON s | Jaxley s | dendrax s | ns/comp/step N / J / D | "
        "D/J | D/N | D/J, D/N by CPU time | compile s J / D | build s N / J / D | "
        "peak RSS MiB N / J / D | mem D/J | peak - import MiB J / D | "
        "max abs dV vs NEURON (mV) J / D | load |",
        "|---|---:|---:|---:|---:|---|---:|---:|---|---|---|---|---:|---|---|---:|",
    ]
    for r in rows:
        rs, ns, c = r["run_s"], r["ns_per_comp_step"], r["compile_s"]
        b, mem, dv = r["build_s"], r["maxrss_mib"], r["max_abs_dv_mV"]
        pm = r["peak_minus_import_mib"]
        out.append(
            f"| {r['model']} | {r['ncomp']} | {fmt(rs['neuron'])} | {fmt(rs['jaxley'])} | "
            f"{fmt(rs['dendrax'])} | {fmt(ns['neuron'], '.0f')} / {fmt(ns['jaxley'], '.0f')} / "
            f"{fmt(ns['dendrax'], '.0f')} | {fmt(r['dendrax_vs_jaxley'], '.2f')} | "
            f"{fmt(r['dendrax_vs_neuron'], '.2f')} | {fmt(r['dendrax_vs_jaxley_cpu'], '.2f')}, "
            f"{fmt(r['dendrax_vs_neuron_cpu'], '.2f')} | {fmt(c['jaxley'], '.2f')} / "
            f"{fmt(c['dendrax'], '.2f')} | {fmt(b['neuron'], '.2f')} / {fmt(b['jaxley'], '.2f')}"
            f" / {fmt(b['dendrax'], '.2f')} | {fmt(mem['neuron'], '.0f')} / "
            f"{fmt(mem['jaxley'], '.0f')} / {fmt(mem['dendrax'], '.0f')} | "
            f"{fmt(r['memory_vs_jaxley'], '.2f')} | {fmt(pm['jaxley'], '.0f')} / "
            f"{fmt(pm['dendrax'], '.0f')} | {fmt(dv['jaxley'], '.1e')} / "
            f"{fmt(dv['dendrax'], '.1e')} | {fmt(r['loadavg_1min'], '.1f')} |"
        )
    errors = [(r["model"], s, e) for r in rows for s, e in r["errors"].items()]
    if errors:
        out += ["", "Errors:", ""] + [f"- {mname} / {s}: {e}" for mname, s, e in errors]
    out += [
        "",
        "D = dendrax, J = Jaxley, N = NEURON. Times are wall-clock medians; the CPU-time "
        "ratios use the process CPU time (all threads) of the same runs, which other work on a "
        "shared machine disturbs far less. compile = first call minus the steady-state "
        "median. build = JSON model to a runnable object (NEURON sections; Jaxley `jx.Cell` "
        "with per-compartment parameters, stimuli and recordings; dendrax `Cell` + "
        "`dx.compile`). peak RSS = the runner process's `ru_maxrss` (imports, build, compile "
        "and runs); peak - import = that minus the RSS right after importing the simulator. "
        "load = the highest 1-minute load average seen by the three runners (the machine has "
        f"{m['cores']} cores; a load above that means other work competed for the CPUs). "
        "NEURON: one thread, `cache_efficient` on, `usetable_hh = 0`.",
    ]
    x = results.get("extras", {})
    out += ["", "## Other measurements", ""]
    cs = x.get("compile_vs_steps")
    if cs:
        out.append(
            "dendrax compile time against the number of steps (" + cs["model"] + "; tracing + "
            "XLA, from empty caches): "
            + ", ".join(
                f"{k} steps: {fmt(v.get('trace_s', 0) + v.get('xla_compile_s', 0), '.2f')} s"
                if "error" not in v
                else f"{k} steps: {v['error']}"
                for k, v in cs["by_steps"].items()
            )
            + "."
        )
        out.append("")
    sb = x.get("swc_build")
    if sb:
        parts = []
        for s in ("dendrax", "dendrax_reference", "jaxley"):
            v = sb.get(s, {})
            label = {
                "dendrax": "dendrax (`read_swc` + `to_geometry(NComp)`, Import3d)",
                "dendrax_reference": "dendrax (reference conversion)",
                "jaxley": "Jaxley (`jx.read_swc`)",
            }[s]
            parts.append(
                f"{label}: {v['error']}"
                if "error" in v
                else f"{label}: {fmt(v.get('build_s'), '.3g')} s ({v.get('n_compartments')} comps)"
            )
        out.append(f"Building a cell from `{sb['swc']}` (ncomp {sb['ncomp']}): " + "; ".join(parts))
        out.append("")
    ft = x.get("first_trace")
    if ft:
        out.append(
            "dendrax first trace in a fresh process (build + compile + run, after `import "
            "dendrax`):"
        )
        out.append("")
        for name, v in ft.items():
            if "error" in v:
                out.append(f"- {name}: {v['error']}")
            else:
                out.append(
                    f"- {name} ({v['n_compartments']} comps): {v['after_import_s']:.2f} s after "
                    f"import (build {v['build_s']:.2f}, dx.compile {v['compile_system_s']:.2f}, "
                    f"first jitted call {v['first_jit_call_s']:.2f}); import {v['import_s']:.2f} s"
                )
        out.append("")
    out += ["## Targets", ""] + [f"- {t}" for t in results["targets"]]
    return "\n".join(out) + "\n"


def targets(results: dict) -> list[str]:
    rows = [r for r in results["rows"] if (r["ncomp"] or 0) >= 1000]
    lines = []

    def mark(ok):
        return "MET" if ok else "NOT MET"

    for other, key in (("Jaxley", "vs_jaxley"), ("NEURON", "vs_neuron")):
        med = [r[f"dendrax_{key}"] for r in rows if r[f"dendrax_{key}"] is not None]
        fast = [r[f"dendrax_{key}_min"] for r in rows if r[f"dendrax_{key}_min"] is not None]
        cpu = [r[f"dendrax_{key}_cpu"] for r in rows if r[f"dendrax_{key}_cpu"] is not None]
        if med:
            lines.append(
                f"steady state <= {TARGETS[key]}x {other} at >= 1,000 comps: worst "
                f"{max(med):.2f}x, best {min(med):.2f}x (wall medians; fastest repeats: "
                f"{max(fast):.2f}x-{min(fast):.2f}x; CPU time: {fmt(max(cpu, default=None), '.2f')}"
                f"x-{fmt(min(cpu, default=None), '.2f')}x) -> {mark(max(med) <= TARGETS[key])}"
            )
    sb = results.get("extras", {}).get("swc_build", {}).get("dendrax", {})
    if "build_s" in sb:
        lines.append(
            f"SWC build of {sb['n_compartments']} comps < {TARGETS['swc_build_s']} s: "
            f"{sb['build_s']:.3f} s -> {mark(sb['build_s'] < TARGETS['swc_build_s'])}"
        )
    comp = [r["compile_s"]["dendrax"] for r in results["rows"] if r["compile_s"]["dendrax"]]
    if comp:
        lines.append(
            f"jit compile < {TARGETS['compile_s']} s (first call minus steady): "
            f"{min(comp):.2f}{f'-{max(comp):.2f}' if max(comp) > min(comp) else ''} s over "
            "the models -> "
            f"{mark(max(comp) < TARGETS['compile_s'])}"
        )
    ft = results.get("extras", {}).get("first_trace", {})
    times = {k: v["after_import_s"] for k, v in ft.items() if "after_import_s" in v}
    if times:
        worst = max(times.values())
        lines.append(
            f"first trace within {TARGETS['first_trace_s']} s after import: "
            + ", ".join(f"{k} {v:.2f} s" for k, v in times.items())
            + f" -> {mark(worst <= TARGETS['first_trace_s'])}"
        )
    big = [r for r in results["rows"] if (r["ncomp"] or 0) >= 10000 and r["memory_vs_jaxley"]]
    if big:
        worst = max(r["memory_vs_jaxley"] for r in big)
        lines.append(
            f"peak memory (process ru_maxrss) at 10,000 comps <= {TARGETS['memory_vs_jaxley']}x "
            f"Jaxley: "
            + ", ".join(f"{r['model']} {r['memory_vs_jaxley']:.2f}x" for r in big)
            + f" -> {mark(worst <= TARGETS['memory_vs_jaxley'])}"
        )
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="100 and 1,000 comps, fewer repeats")
    ap.add_argument("--sizes", type=int, nargs="+")
    ap.add_argument("--families", nargs="+", default=list(models.FAMILIES))
    ap.add_argument("--sims", nargs="+", default=list(SIMS), choices=SIMS)
    ap.add_argument("--skip-extras", action="store_true", help="no SWC / compile / first-trace")
    ap.add_argument(
        "--out", default=str(HERE / "results"), help="folder for latest.json/.md and runs/"
    )
    ap.add_argument("--platform", default="cpu", help="JAX_PLATFORMS for the JAX runners")
    args = ap.parse_args()
    sizes = args.sizes or ([100, 1000] if args.quick else list(models.SIZES))
    repeats = QUICK_REPEATS if args.quick else REPEATS
    env = dict(os.environ, JAX_PLATFORMS=args.platform, PYTHONUNBUFFERED="1")
    py = sys.executable
    t_all = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="dendrax_bench_"))
    paths = models.generate(tmp / "models", sizes, args.families)

    prov = P.provenance("forward")
    results: dict = {
        "provenance": prov,
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "quick": args.quick,
        "config": {
            "sizes": sizes,
            "families": args.families,
            "sims": args.sims,
            "repeats": {str(k): v for k, v in repeats.items()},
            "platform": args.platform,
        },
        "machine": prov["machine"],
        "dendrax_commit": git_commit(prov),
        "models": {},
        "extras": {},
    }
    for path in paths:
        model = json.loads(path.read_text())
        name, ncomp = model["name"], model["n_compartments"]
        size = min(repeats, key=lambda s: abs(s - ncomp))
        per: dict = {"n_compartments": ncomp, "n_branches": model["n_branches"]}
        for sim in args.sims:
            traces = tmp / f"{name}_{sim}.npz"
            cmd = [py, str(HERE / f"run_{sim}.py"), str(path), "--repeats", str(repeats[size])]
            print(f"[{time.perf_counter() - t_all:6.0f} s] {name}: {sim} ...", flush=True)
            per[sim] = run_json(cmd + ["--traces", str(traces)], 1200, env)
            if "error" in per[sim]:
                print(f"    {per[sim]['error']}", flush=True)
            else:
                print(
                    f"    run {per[sim]['run_s']:.4g} s, compile {per[sim].get('compile_s', 0):.3g}"
                    f" s, build {per[sim]['build_s']:.3g} s, peak {per[sim]['maxrss_mib']:.0f} MiB",
                    flush=True,
                )
        ref = tmp / f"{name}_neuron.npz"
        per["agreement"] = {
            s: compare(ref, tmp / f"{name}_{s}.npz")
            for s in ("jaxley", "dendrax")
            if s in per and "error" not in per[s] and ref.exists()
        }
        results["models"][name] = per

    if not args.skip_extras and "dendrax" in args.sims:
        x = results["extras"]
        tree = next((p for p in paths if "tree_1000" in p.name), paths[0])
        print(f"[{time.perf_counter() - t_all:6.0f} s] compile time vs steps ...", flush=True)
        x["compile_vs_steps"] = {"model": tree.stem, "by_steps": {}}
        for tstop in (10.0, 100.0, 1000.0):
            cmd = [py, str(HERE / "run_dendrax.py"), str(tree), "--compile-only"]
            tries = [run_json(cmd + ["--tstop-ms", str(tstop)], 600, env) for _ in range(2)]
            ok = [r for r in tries if "error" not in r]  # the faster of two fresh processes
            best = min(ok, key=lambda r: r["trace_s"] + r["xla_compile_s"]) if ok else tries[0]
            x["compile_vs_steps"]["by_steps"][str(int(round(tstop / 0.025)))] = best
        cell, ncomp = SWC_QUICK if args.quick else SWC_10K
        swc = str(models.DATA / f"{cell}.swc")
        x["swc_build"] = {"swc": f"{cell}.swc", "ncomp": ncomp}
        print(f"[{time.perf_counter() - t_all:6.0f} s] SWC build ({cell}) ...", flush=True)
        base = [py, str(HERE / "run_dendrax.py"), "--swc", swc, "--ncomp", str(ncomp)]
        x["swc_build"]["dendrax"] = run_json(base, 600, env)
        x["swc_build"]["dendrax_reference"] = run_json(
            base + ["--convention", "reference"], 600, env
        )
        if "jaxley" in args.sims:
            cmd = [py, str(HERE / "run_jaxley.py"), "--swc", swc, "--ncomp", str(ncomp)]
            x["swc_build"]["jaxley"] = run_json(cmd, 1200, env)
        print(f"[{time.perf_counter() - t_all:6.0f} s] first trace ...", flush=True)
        x["first_trace"] = {}
        cells = {
            "ballstick": [],
            "ca1_n120.swc (DLambda)": ["--cell", str(models.DATA / "ca1_n120.swc")],
        }
        if not args.quick:
            cells[f"{SWC_10K[0]}.swc (NComp {SWC_10K[1]})"] = [
                "--cell", str(models.DATA / f"{SWC_10K[0]}.swc"), "--ncomp", str(SWC_10K[1]),
            ]  # fmt: skip
        for label, extra in cells.items():
            x["first_trace"][label] = run_json([py, str(HERE / "first_trace.py")] + extra, 600, env)

    results["versions"] = ", ".join(
        f"{s} {v}"
        for s in SIMS
        for v in {
            per[s].get("version")
            for per in results["models"].values()
            if "version" in per.get(s, {})
        }
    )
    results["rows"] = summarise(results)
    results["total_s"] = time.perf_counter() - t_all
    results["targets"] = targets(results)
    P.finish(prov, t_all)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stored = P.store_run(results, out)
    (out / "latest.json").write_text(json.dumps(results, indent=1))
    md = markdown(results)
    (out / "latest.md").write_text(md)
    print()
    print(md)
    print(f"wrote {out / 'latest.json'}, {out / 'latest.md'} and {stored}")


if __name__ == "__main__":
    main()
