"""Gradients and batched throughput, dendrax against Jaxley 0.14, side by side.

``python benchmarks/run_gradients.py [--repeats N] [--batch-100 B] [--devices N]``

Every measurement runs in its own subprocess (``grad_dendrax.py`` / ``grad_jaxley.py``), so
that its peak RSS (``ru_maxrss``) is its own. Measured, on the CPU, float64, dt 0.025 ms,
100 ms (4,000 steps):

1. gradient / forward time: jitted ``value_and_grad`` of the MSE of the somatic trace
   (against -65 mV) w.r.t. HH gnabar, gkbar, gl (one shared value each) on ``cable_100`` and
   ``cable_1000``; dendrax ``checkpoint_levels=2``, Jaxley ``checkpoint_lengths`` set to the
   same sizes (80 x 50); the forward is the jitted loss alone;
2. compile time of the jitted gradient: first call minus the steady-state median;
3. peak RSS of the gradient process right after the gradient runs;
4. batched throughput over gnabar values (0.5x-1.5x) of a single compartment (1,000 sets)
   and of ``cable_100`` (``--batch-100`` sets, default 1,000): Jaxley ``jax.vmap``; dendrax
   a plain ``jax.vmap`` and ``dendrax.batch_map`` over ``--devices`` CPU devices (default:
   one per core), each device's share vmapped whole (or in chunks of ``--chunk``).

Writes ``benchmarks/results/gradients.json`` and ``benchmarks/results/gradients.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODELS = HERE / "_models"
RESULTS = HERE / "results"
SIMS = ("dendrax", "jaxley")


def run(sim: str, model: Path, *extra: str) -> dict:
    cmd = [sys.executable, str(HERE / f"grad_{sim}.py"), str(model), *extra]
    print("$", " ".join(cmd[1:]), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        print(p.stderr[-3000:], file=sys.stderr)
        raise RuntimeError(f"{sim} failed on {model.name}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def median(xs: list[float]) -> float:
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--batch-1", type=int, default=1000)
    ap.add_argument("--batch-100", type=int, default=1000)
    ap.add_argument("--devices", type=int, default=len(os.sched_getaffinity(0)))
    ap.add_argument("--chunk", type=int, default=None, help="batch_map chunk size")
    ap.add_argument(
        "--reuse-grad",
        action="store_true",
        help="take the gradient rows from the last gradients.json, rerun only the batches",
    )
    args = ap.parse_args()
    sys.path.insert(0, str(HERE))
    import models

    grad_models = [MODELS / "cable_100.json", MODELS / "cable_1000.json"]
    if not all(p.exists() for p in grad_models):
        models.generate(MODELS, sizes=(100, 1000), families=("cable",))
    tmp = Path(tempfile.mkdtemp())
    single = tmp / "cable_1.json"
    single.write_text(json.dumps(models.cable(1)))

    out: dict = {"grad": {}, "batch": {}}
    previous = json.loads((RESULTS / "gradients.json").read_text()) if args.reuse_grad else None
    for m in grad_models:
        if previous is not None:
            out["grad"][m.stem] = previous["grad"][m.stem]
            continue
        d = run("dendrax", m, "--repeats", str(args.repeats))
        sizes = [str(s) for s in d["checkpoint_sizes"]]
        j = run("jaxley", m, "--repeats", str(args.repeats), "--checkpoint", *sizes)
        out["grad"][m.stem] = {"dendrax": d, "jaxley": j}
    for m, b in ((single, args.batch_1), (MODELS / "cable_100.json", args.batch_100)):
        rep = ["--mode", "batch", "--batch", str(b), "--repeats", "2"]
        out["batch"][m.stem] = {s: run(s, m, *rep) for s in SIMS}
        chunk = [] if args.chunk is None else ["--chunk", str(args.chunk)]
        out["batch"][m.stem]["dendrax_batch_map"] = run(
            "dendrax", m, *rep, "--devices", str(args.devices), *chunk
        )

    rows, checks = [], {}
    for name, r in out["grad"].items():
        d, j = r["dendrax"], r["jaxley"]
        dcpu, jcpu = median(d["run_cpu_s_all"]), median(j["run_cpu_s_all"])
        row = {
            "model": name,
            "n_compartments": d["n_compartments"],
            "checkpoint": d["checkpoint_sizes"],
            "grad_s": (d["run_s"], j["run_s"]),
            "grad_cpu_s": (dcpu, jcpu),
            "fwd_s": (d["fwd_s"], j["fwd_s"]),
            "grad_over_fwd": (d["run_s"] / d["fwd_s"], j["run_s"] / j["fwd_s"]),
            "grad_over_fwd_cpu": (
                dcpu / median(d["fwd_cpu_s_all"]),
                jcpu / median(j["fwd_cpu_s_all"]),
            ),
            "grad_D_over_J": d["run_s"] / j["run_s"],
            "grad_D_over_J_cpu": dcpu / jcpu,
            "compile_s": (d["compile_s"], j["compile_s"]),
            "peak_rss_mib": (d["grad_maxrss_mib"], j["grad_maxrss_mib"]),
            "mem_D_over_J": d["grad_maxrss_mib"] / j["grad_maxrss_mib"],
            "max_rel_grad_diff": max(
                abs(d["grad"][a] - j["grad"][b]) / max(abs(j["grad"][b]), 1e-300)
                for a, b in (("gnabar", "HH_gNa"), ("gkbar", "HH_gK"), ("gl", "HH_gLeak"))
            ),
            "load": max(d["loadavg_1min"], j["loadavg_1min"]),
        }
        rows.append(row)
    brows = []
    for name, r in out["batch"].items():
        j = r["jaxley"]
        for d in (r["dendrax"], r["dendrax_batch_map"]):
            how = f"batch_map {d['devices']} dev chunk {d['chunk']}" if "devices" in d else "vmap"
            brows.append({
                "model": name,
                "dendrax": how,
                "n_compartments": d["n_compartments"],
                "batch": d["batch"],
                "sims_per_s": (d["batch"] / d["run_s"], j["batch"] / j["run_s"]),
                "sims_per_s_cpu": (d["batch"] / d["run_cpu_s"], j["batch"] / j["run_cpu_s"]),
                "D_over_J": j["run_s"] / d["run_s"],
                "D_over_J_cpu": j["run_cpu_s"] / d["run_cpu_s"],
                "compile_s": (d["compile_s"], j["compile_s"]),
                "load": max(d["loadavg_1min"], j["loadavg_1min"]),
            })  # fmt: skip

    gf = [r["grad_over_fwd"][0] for r in rows]
    gj = [r["grad_D_over_J"] for r in rows]
    gjc = [r["grad_D_over_J_cpu"] for r in rows]
    comp = [r["compile_s"][0] for r in rows]
    mem = [r["mem_D_over_J"] for r in rows]
    bt = [b["D_over_J"] for b in brows if b["dendrax"] != "vmap"]
    btc = [b["D_over_J_cpu"] for b in brows if b["dendrax"] != "vmap"]
    btv = [b["D_over_J"] for b in brows if b["dendrax"] == "vmap"]
    checks = {
        "gradient/forward <= 3 (dendrax)": (f"{min(gf):.2f}-{max(gf):.2f}", max(gf) <= 3),
        "batched throughput >= 2x Jaxley": (
            f"dendrax.batch_map {min(bt):.2f}x-{max(bt):.2f}x (by CPU time "
            f"{min(btc):.2f}x-{max(btc):.2f}x); a plain jax.vmap {min(btv):.2f}x-{max(btv):.2f}x",
            min(bt) >= 2,
        ),
        "gradient time <= 0.5x Jaxley": (
            f"{min(gj):.2f}x-{max(gj):.2f}x (CPU time {min(gjc):.2f}x-{max(gjc):.2f}x)",
            max(gj) <= 0.5,
        ),
        "gradient compile < 2 s (dendrax)": (f"{min(comp):.2f}-{max(comp):.2f} s", max(comp) < 2),
        "gradient peak memory <= 0.5x Jaxley": (
            f"{min(mem):.2f}x-{max(mem):.2f}x",
            max(mem) <= 0.5,
        ),
    }
    out["summary"] = {"grad": rows, "batch": brows, "targets": checks}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gradients.json").write_text(json.dumps(out, indent=1))

    f2 = lambda p, fmt="{:.3g}": " / ".join(fmt.format(x) for x in p)  # noqa: E731
    md = [
        "# Gradients and batched throughput: dendrax (D) against Jaxley 0.14 (J)",
        "",
        "CPU, float64, dt 0.025 ms, 100 ms (4,000 steps). Loss: MSE of the somatic voltage "
        "against -65 mV; gradient w.r.t. HH gnabar, gkbar, gl (one shared value each), jitted "
        "`value_and_grad`; dendrax `checkpoint_levels=2`, Jaxley `checkpoint_lengths` the same "
        "sizes. Times are medians of the steady-state runs (wall; CPU = process CPU time). "
        "compile = first call minus steady median. peak RSS = the gradient process's "
        "`ru_maxrss` right after the gradient runs. Each simulator and model in its own process.",
        "",
        "| model | comps | checkpoint | grad s D / J | fwd s D / J | grad/fwd D / J "
        "| grad/fwd by CPU D / J | grad D/J | grad D/J by CPU | grad compile s D / J "
        "| peak RSS MiB D / J | mem D/J | max rel. grad diff | load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        md.append(
            f"| {r['model']} | {r['n_compartments']} | {'x'.join(map(str, r['checkpoint']))} "
            f"| {f2(r['grad_s'])} | {f2(r['fwd_s'])} | {f2(r['grad_over_fwd'], '{:.2f}')} "
            f"| {f2(r['grad_over_fwd_cpu'], '{:.2f}')} | {r['grad_D_over_J']:.2f} "
            f"| {r['grad_D_over_J_cpu']:.2f} | {f2(r['compile_s'], '{:.2f}')} "
            f"| {f2(r['peak_rss_mib'], '{:.0f}')} | {r['mem_D_over_J']:.2f} "
            f"| {r['max_rel_grad_diff']:.1e} | {r['load']:.1f} |"
        )
    md += [
        "",
        "Batched throughput: the simulation over gnabar scaled 0.5x-1.5x, somatic trace "
        f"returned; {args.batch_1} parameter sets of the single compartment, {args.batch_100} "
        "of the 100-compartment cell. Jaxley: `jax.vmap` (its batching). dendrax: a plain "
        "`jax.vmap`, and `dendrax.batch_map`, which shares the batch across CPU devices "
        "(`dendrax.use_cpu_cores`, one per core) with `jax.shard_map`. A plain vmap runs the "
        "batch on one device, where XLA's CPU backend uses the other cores only inside single "
        "operations (no gain at these array sizes; CPU time > wall time below).",
        "",
        "| model | comps | batch | dendrax | sims/s D / J | sims/s by CPU D / J | D/J "
        "| D/J by CPU | compile s D / J | load |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in brows:
        md.append(
            f"| {b['model']} | {b['n_compartments']} | {b['batch']} | {b['dendrax']} "
            f"| {f2(b['sims_per_s'], '{:.0f}')} | {f2(b['sims_per_s_cpu'], '{:.0f}')} "
            f"| {b['D_over_J']:.2f} | {b['D_over_J_cpu']:.2f} "
            f"| {f2(b['compile_s'], '{:.2f}')} | {b['load']:.1f} |"
        )
    md += ["", "Targets:", ""]
    md += [f"- {k}: {v} -> {verdict(ok)}" for k, (v, ok) in checks.items()]
    text = "\n".join(md) + "\n"
    (RESULTS / "gradients.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
