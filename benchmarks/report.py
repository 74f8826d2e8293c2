"""Render the README performance table and every benchmark figure quoted in the docs from
stored results files, so that each quoted number can be recomputed from the runs behind it.

``python benchmarks/report.py benchmarks/results/latest.json``: print every block that the
given files allow (forward runs of ``run_all.py``, gradient runs of ``run_gradients.py``,
memory runs of ``gradient_memory.py``, commit comparisons of ``compare_commits.py``). Given
several runs of a kind, each figure is the range over all of them (a single value where they
agree to the printed digits); the only other ranges are over the models of a run, and say so.

The docs hold the rendered blocks between markers that name the runs behind them::

    <!-- report:forward-table runs/2026-11-28T011321-c12b774-dirty-forward.json -->
    ...
    <!-- /report -->

``python benchmarks/report.py --check README.md docs/performance.md docs/gradients.md``
re-renders every marked block from the files its marker names (relative to
``benchmarks/results/``) and exits 1 if any differs; ``--update`` rewrites them.
``--update ... --sources forward=runs/NEW-forward.json`` first points every block of that kind
at other runs (several files: comma-separated).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

# --------------------------------------------------------------------------------- loading


def resolve(path: str) -> Path:
    p = Path(path)
    if p.exists():
        return p
    if (RESULTS / p).exists():
        return RESULTS / p
    raise FileNotFoundError(f"{path}: no such results file (also looked in {RESULTS})")


def kind_of(d: dict) -> str:
    k = d.get("provenance", {}).get("kind")
    if k:
        return k
    if "rows" in d and "models" in d:
        return "forward"
    if "grad" in d and "batch" in d:
        return "gradients"
    if "levels" in d:
        return "memory"
    raise ValueError("not a results file of a known kind")


class Run:
    def __init__(self, path: str):
        self.arg = path
        self.path = resolve(path)
        self.data = json.loads(self.path.read_text())
        self.kind = kind_of(self.data)
        self.prov = self.data.get("provenance", {})

    @property
    def name(self) -> str:
        try:
            return str(self.path.resolve().relative_to(RESULTS.resolve()))
        except ValueError:
            return str(self.path)

    def commit(self) -> str:
        g = self.prov.get("git", {})
        if g.get("commit") or g.get("short"):
            label = "dendrax " + (g.get("short") or g["commit"][:7])
            if g.get("dirty"):
                where = {True: " in src/", False: " outside src/"}.get(g.get("src_dirty"), "")
                label += " + uncommitted changes" + where
            if self.prov.get("git_changed_during_run"):
                label += "; the tree changed during the run"
            return label
        src = re.search(r"equals src/ of (\w+)", g.get("note", ""))
        return "commit not recorded" + (f", src/ as in {src.group(1)}" if src else "")

    def date(self) -> str:
        date = self.prov.get("date") or self.data.get("date")
        if date:
            return date[:16].replace("T", " ")
        rec = self.prov.get("recovered")
        if rec:
            return f"stored {rec['commit_date'][:16].replace('T', ' ')}"
        return "date not recorded"

    def describe(self) -> str:
        quick = self.data.get("quick") or self.data.get("config", {}).get("quick")
        return f"`{self.name}` ({self.date()}; {self.commit()}{'; --quick' if quick else ''})"


def sources(runs: list[Run]) -> str:
    if len(runs) == 1:
        return "Stored run " + runs[0].describe()
    return f"Ranges over {len(runs)} stored runs: " + ", ".join(r.describe() for r in runs)


# ------------------------------------------------------------------------------ formatting


def span(xs, spec=".2f", unit="") -> str:
    """``a`` or ``a-b`` over the values (None skipped); ``–`` when there are none."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return "–"
    lo, hi = format(min(xs), spec), format(max(xs), spec)
    return (lo if lo == hi else f"{lo}-{hi}") + unit


# --------------------------------------------------------------------------------- forward

LABELS = {"cable": "cable", "tree": "binary tree"}
SWC_LABELS = {
    100: "granule cell (SWC)",
    1000: "CA1 pyramidal (SWC)",
    10000: "L5 pyramidal + axon (SWC)",
}


def model_label(name: str) -> str:
    fam, size = name.rsplit("_", 1)
    return SWC_LABELS.get(int(size), name) if fam == "swc" else LABELS.get(fam, fam)


def rows_by_model(runs: list[Run]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for r in runs:
        for row in r.data["rows"]:
            out.setdefault(row["model"], []).append(row)
    return out


def block_forward_table(runs: list[Run], min_comps: int = 1000) -> str:
    lines = [
        "| model | comps | ns/comp/step NEURON / Jaxley / dendrax | dendrax / Jaxley "
        "| dendrax / NEURON | peak memory dendrax / Jaxley |",
        "|---|---:|---|---:|---:|---:|",
    ]
    for model, rows in rows_by_model(runs).items():
        if (rows[0]["ncomp"] or 0) < min_comps:
            continue
        ns = [
            span([r["ns_per_comp_step"][s] for r in rows], ".0f")
            for s in ("neuron", "jaxley", "dendrax")
        ]
        dj = span([r["dendrax_vs_jaxley"] for r in rows])
        djc = span([r["dendrax_vs_jaxley_cpu"] for r in rows])
        dn = span([r["dendrax_vs_neuron"] for r in rows])
        dnc = span([r["dendrax_vs_neuron_cpu"] for r in rows])
        mem = span([r["memory_vs_jaxley"] for r in rows])
        lines.append(
            f"| {model_label(model)} | {rows[0]['ncomp']:,} | {' / '.join(ns)} | {dj} ({djc}) "
            f"| {dn} ({dnc}) | {mem} |"
        )
    return "\n".join(lines)


def forward_conditions(runs: list[Run]) -> str:
    allrows = [r for rows in rows_by_model(runs).values() for r in rows]
    dv = [v for r in allrows for v in r["max_abs_dv_mV"].values() if v is not None]
    load = [r["loadavg_1min"] for r in allrows if r["loadavg_1min"]]
    cores = sorted({r.data["machine"]["cores"] for r in runs})
    cpus = sorted({r.data["machine"]["cpu"] for r in runs})
    versions = sorted({r.data.get("versions", "") for r in runs})
    agree = (
        f" Every recording of Jaxley and dendrax agrees with NEURON within "
        f"{format(max(dv), '.0e')} mV."
        if dv
        else ""
    )
    return (
        f"{sources(runs)}. {', '.join(cpus)}, {'/'.join(map(str, cores))} cores; "
        f"{'; '.join(versions)}; 1-minute load average seen by the runners "
        f"{span(load, '.1f')}.{agree} Ratios by wall time, by process CPU time in brackets; "
        "memory is the runner process's peak RSS."
    )


def block_forward_build(runs: list[Run]) -> str:
    sb = [r.data.get("extras", {}).get("swc_build", {}) for r in runs]
    sb = [s for s in sb if "build_s" in s.get("dendrax", {})]
    if not sb:
        return ""
    n = sb[0]["dendrax"]["n_compartments"]
    jx = span([s.get("jaxley", {}).get("build_s") for s in sb], ".3g", " s")
    return (
        f"- Building the {n:,}-compartment cell from `{sb[0]['swc']}` "
        f"(`NComp({sb[0]['ncomp']})`): dendrax "
        f"{span([s['dendrax']['build_s'] for s in sb], '.2g', ' s')}, Jaxley's "
        f"`read_swc` {jx}."
    )


def block_forward_compile(runs: list[Run]) -> str:
    by = rows_by_model(runs)
    allrows = [r for rows in by.values() for r in rows]
    comp = [r["compile_s"]["dendrax"] for r in allrows]
    if not any(c is not None for c in comp):
        return ""
    jcomp = [r["compile_s"]["jaxley"] for r in allrows]
    xla = [r["dendrax_xla_compile_s"] for r in allrows]
    trace = [r["dendrax_trace_s"] for r in allrows]
    by_size: dict[int, list] = {}
    for r in allrows:
        size = min((100, 1000, 10000), key=lambda s: abs(s - (r["ncomp"] or 0)))
        by_size.setdefault(size, []).append(r["dendrax_xla_compile_s"])
    sizes = " / ".join(f"~{k:,}: {span(v, '.2f', ' s')}" for k, v in sorted(by_size.items()))
    n = len(by)
    line = (
        f"- `jit` compile (first call minus the steady-state run): dendrax "
        f"{span(comp, '.1f', ' s')} over the {n} model{'s' if n > 1 else ''} (Jaxley "
        f"{span(jcomp, '.1f', ' s')}). Recompiled from empty caches in the same process: XLA "
        f"{span(xla, '.1f', ' s')} (by compartments {sizes}), tracing "
        f"{span(trace, '.2f', ' s')}."
    )
    cs = [r.data.get("extras", {}).get("compile_vs_steps") for r in runs]
    cs = [c for c in cs if c]
    if cs:
        steps = sorted({int(k) for c in cs for k in c["by_steps"]})
        vals = []
        for k in steps:
            v = [c["by_steps"][str(k)] for c in cs if str(k) in c["by_steps"]]
            v = [x["trace_s"] + x["xla_compile_s"] for x in v if "trace_s" in x]
            vals.append(f"{k:,} steps {span(v, '.2f', ' s')}")
        line += (
            f" Against the number of steps ({cs[0]['model']}, tracing + XLA from empty caches, "
            f"the faster of two fresh processes): {', '.join(vals)}."
        )
    return line


def block_forward_first_trace(runs: list[Run]) -> str:
    ft: dict[str, list[dict]] = {}
    for r in runs:
        for k, v in r.data.get("extras", {}).get("first_trace", {}).items():
            if "after_import_s" in v:
                ft.setdefault(k, []).append(v)
    if not ft:
        return ""
    parts = [
        f"{k.split(' ')[0]} ({v[0]['n_compartments']:,} comps) "
        f"{span([x['after_import_s'] for x in v], '.2f', ' s')}"
        for k, v in ft.items()
    ]
    imp = [x["import_s"] for v in ft.values() for x in v]
    return (
        "- First trace (build + compile + run), counted from after `import dendrax` "
        f"(the import: {span(imp, '.2f', ' s')}): " + ", ".join(parts) + "."
    )


def block_forward_targets(runs: list[Run]) -> str:
    from run_all import TARGETS

    rows = [r for rows in rows_by_model(runs).values() for r in rows]
    big = [r for r in rows if (r["ncomp"] or 0) >= 1000]
    met, missed = [], []

    def check(ok, text):
        if ok is not None:
            (met if ok else missed).append(text)

    for key, other in (("vs_jaxley", "Jaxley"), ("vs_neuron", "NEURON")):
        v = [r[f"dendrax_{key}"] for r in big if r[f"dendrax_{key}"] is not None]
        if v:
            check(
                max(v) <= TARGETS[key],
                f"run time <= {TARGETS[key]}x {other}'s at >= 1,000 comps (worst {max(v):.2f}x)",
            )
    T = TARGETS
    comp = [r["compile_s"]["dendrax"] for r in rows if r["compile_s"]["dendrax"] is not None]
    if comp:
        check(
            max(comp) < T["compile_s"],
            f"compile < {T['compile_s']:g} s (up to {max(comp):.1f} s)",
        )
    ex = [r.data.get("extras", {}) for r in runs]
    sb = [x.get("swc_build", {}).get("dendrax", {}).get("build_s") for x in ex]
    sb = [x for x in sb if x is not None]
    if sb:
        check(max(sb) < T["swc_build_s"], f"SWC build < {T['swc_build_s']:g} s")
    ft = [v.get("after_import_s") for x in ex for v in x.get("first_trace", {}).values()]
    ft = [x for x in ft if x is not None]
    if ft:
        check(
            max(ft) <= T["first_trace_s"],
            f"first trace within {T['first_trace_s']:g} s of import (up to {max(ft):.1f} s)",
        )
    mem = [r["memory_vs_jaxley"] for r in rows if (r["ncomp"] or 0) >= 10000]
    mem = [x for x in mem if x]
    if mem:
        check(
            max(mem) <= T["memory_vs_jaxley"],
            f"peak memory <= {T['memory_vs_jaxley']}x Jaxley's at 10,000 comps "
            f"(worst {max(mem):.2f}x)",
        )
    out = []
    if missed:
        out.append("- Not reached: " + "; ".join(missed) + ".")
    if met:
        out.append("- Reached: " + "; ".join(met) + ".")
    return "\n".join(out)


def block_forward_notes(runs: list[Run]) -> str:
    parts = (
        block_forward_build,
        block_forward_compile,
        block_forward_first_trace,
        block_forward_targets,
    )
    return "\n".join(x for x in (f(runs) for f in parts) if x)


# ------------------------------------------------------------------------------- gradients


def grad_rows(run: Run) -> list[dict]:
    import run_gradients

    return run_gradients.grad_rows(run.data["grad"])


def batch_rows(run: Run) -> list[dict]:
    import run_gradients

    rows = run_gradients.batch_rows(run.data["batch"])
    for row in rows:
        d = run.data["batch"][row["model"]][row["dendrax"]]
        row["compile_method"] = "AOT" if "first_run_s" in d else "first call minus median"
    return rows


def block_gradient_table(runs: list[Run]) -> str:
    rows = [row for r in runs for row in grad_rows(r)]
    models = list(dict.fromkeys(r["model"] for r in rows))
    per = {m: [r for r in rows if r["model"] == m] for m in models}
    head = " | ".join(f"{m.replace('_', ' ')}" for m in models)
    lines = [f"| | {head} | target |", "|---|" + "---:|" * len(models) + "---|"]

    def line(label, key, target, spec=".2f"):
        """One row: dendrax's value (Jaxley's in brackets where ``key`` is a pair)."""
        cells = []
        for m in models:
            v = [r[key] for r in per[m]]
            if isinstance(v[0], list | tuple):
                cells.append(f"{span([x[0] for x in v], spec)} ({span([x[1] for x in v], spec)})")
            else:
                cells.append(span(v, spec))
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {target} |")

    for r in rows:
        r["grad_ratio_pair"] = (r["grad_D_over_J"], r["grad_D_over_J_cpu"])
    gj = [r["grad_D_over_J"] for r in rows]
    gjc = [r["grad_D_over_J_cpu"] for r in rows]
    verdict = "met" if max(gj) <= 0.5 else "met by CPU time only" if max(gjc) <= 0.5 else "not met"
    line("gradient time dendrax / Jaxley, wall (CPU)", "grad_ratio_pair", f"<= 0.5: {verdict}")
    line("gradient s, dendrax (Jaxley)", "grad_s", "", ".3g")
    gf = [r["grad_over_fwd"][0] for r in rows]
    verdict = "met" if max(gf) <= 3 else "not met"
    line("gradient / forward, dendrax (Jaxley)", "grad_over_fwd", f"<= 3: {verdict}")
    comp = [r["compile_s"][0] for r in rows]
    verdict = "met" if max(comp) < 2 else "not met"
    line("gradient compile, s, dendrax (Jaxley)", "compile_s", f"< 2: {verdict}", ".1f")
    mem = [r["mem_D_over_J"] for r in rows]
    verdict = "met" if max(mem) <= 0.5 else "not met"
    line("gradient peak RSS dendrax / Jaxley", "mem_D_over_J", f"<= 0.5: {verdict}")
    line("gradient agreement, max relative difference", "max_rel_grad_diff", "", ".0e")
    return "\n".join(lines) + "\n\n" + sources(runs) + "."


def batch_groups(runs: list[Run]) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for r in runs:
        for b in batch_rows(r):
            key = (b["model"], b["n_compartments"], b["batch"], b["comparison"])
            groups.setdefault(key + (b["like_for_like"],), []).append(b)
    return groups


def block_batch_table(runs: list[Run]) -> str:
    lines = [
        "| cell | batch | devices | dendrax | Jaxley | sims/s dendrax | sims/s Jaxley "
        "| dendrax / Jaxley | like for like | runs |",
        "|---|---:|---|---|---|---:|---:|---:|---|---:|",
    ]
    names = {
        "dendrax": "`jax.vmap`",
        "jaxley": "`jax.vmap`",
        "dendrax_batch_map": "`dx.batch_map`",
        "jaxley_shard_map": "`jax.shard_map` of `jax.vmap`",
    }
    groups = sorted(batch_groups(runs).items(), key=lambda kv: (kv[0][1], kv[0][2], not kv[0][4]))
    for (_model, ncomp, batch, _how, fair), bs in groups:
        cell = "1 compartment" if ncomp == 1 else f"{ncomp:,} compartments"
        dev = bs[0]["devices"]
        devices = f"{dev[0]}" if dev[0] == dev[1] else f"{dev[0]} / {dev[1]}"
        lines.append(
            f"| {cell} | {batch:,} | {devices} | {names[bs[0]['dendrax']]} "
            f"| {names[bs[0]['jaxley']]} | {span([b['sims_per_s'][0] for b in bs], ',.0f')} "
            f"| {span([b['sims_per_s'][1] for b in bs], ',.0f')} "
            f"| {span([b['D_over_J'] for b in bs])} | {'yes' if fair else '**no**'} | {len(bs)} |"
        )
    return "\n".join(lines) + "\n\n" + sources(runs) + "."


def speedups(runs: list[Run]) -> dict[str, list[float]]:
    """Per simulator: N-device throughput / 1-device vmap throughput, every model and run."""
    out: dict[str, list[float]] = {"dendrax": [], "jaxley": []}
    for r in runs:
        for raw in r.data["batch"].values():
            for sim, key in (("dendrax", "dendrax_batch_map"), ("jaxley", "jaxley_shard_map")):
                if key in raw:
                    out[sim].append(raw[sim]["run_s"] / raw[key]["run_s"])
    return out


def block_batch_summary(runs: list[Run]) -> str:
    g = batch_groups(runs)
    rows = [b for bs in g.values() for b in bs]
    fair1 = [b["D_over_J"] for b in rows if b["like_for_like"] and b["devices"] == (1, 1)]
    fairn = [b["D_over_J"] for b in rows if b["like_for_like"] and b["devices"][0] > 1]
    cross = [b["D_over_J"] for b in rows if not b["like_for_like"]]
    sp = speedups(runs)
    ndev = sorted({b["devices"][0] for bs in g.values() for b in bs if b["devices"][0] > 1})
    n = "/".join(map(str, ndev)) or "N"
    parts = [f"dendrax's `jax.vmap` {span(fair1, '.2f', 'x')} Jaxley's (one device each)"]
    if fairn:
        parts.append(
            f"`dx.batch_map` on {n} CPU devices {span(fairn, '.2f', 'x')} Jaxley's vmap "
            f"sharded the same way over the same devices"
        )
    if sp["dendrax"]:
        parts.append(
            f"`dx.batch_map` on {n} devices {span(sp['dendrax'], '.2f', 'x')} dendrax's own plain "
            "vmap on one"
            + (
                f" (Jaxley sharded the same way: {span(sp['jaxley'], '.2f', 'x')})"
                * bool(sp["jaxley"])
            )
        )
    if cross and not fairn:
        parts.append(
            f"`dx.batch_map` on {n} devices {span(cross, '.2f', 'x')} Jaxley's plain vmap on one "
            "device (not like for like: Jaxley was not run on several devices)"
        )
    if fair1 or fairn:
        verdict = "met" if min(fair1 + fairn) >= 2 else "not met"
        parts.append(
            f"target >= 2x Jaxley on the same devices: {verdict}"
            + ("" if fairn else " on one device each; not measured on several devices each")
        )
    return (
        "Batched throughput (simulations per second): " + "; ".join(parts) + f". {sources(runs)}."
    )


def block_gradient_summary(runs: list[Run]) -> str:
    rows = [row for r in runs for row in grad_rows(r)]
    gj = [r["grad_D_over_J"] for r in rows]
    gjc = [r["grad_D_over_J_cpu"] for r in rows]
    gf = [r["grad_over_fwd"][0] for r in rows]
    comp = [r["compile_s"][0] for r in rows]
    mem = [r["mem_D_over_J"] for r in rows]
    missed = [
        text
        for ok, text in (
            (max(gj) <= 0.5, "gradient time <= 0.5x Jaxley's by wall time"
             + (" (met by CPU time)" if max(gjc) <= 0.5 else "")),
            (max(gf) <= 3, "gradient / forward <= 3"),
            (max(comp) < 2, "gradient compile < 2 s"),
            (max(mem) <= 0.5, "peak memory <= 0.5x"),
        )
        if not ok
    ]  # fmt: skip
    return (
        f"Gradient time {span(gj)}x Jaxley's by wall time ({span(gjc)}x by CPU time), "
        f"gradient / forward {span(gf, '.1f')} (Jaxley "
        f"{span([r['grad_over_fwd'][1] for r in rows], '.1f')}), gradient compile "
        f"{span(comp, '.1f', ' s')} (Jaxley {span([r['compile_s'][1] for r in rows], '.1f', ' s')}"
        f"), peak memory {span(mem)}x Jaxley's (over "
        f"{' and '.join(dict.fromkeys(r['model'] for r in rows))} in every run)."
        + (f" Not reached: {', '.join(missed)}." if missed else "")
        + f" {sources(runs)}."
    )


def block_gradient_cost(runs: list[Run]) -> str:
    rows = [row for r in runs for row in grad_rows(r)]
    steps = {g["dendrax"]["n_steps"] for r in runs for g in r.data["grad"].values()}
    return (
        f"The gradient of a {'/'.join(f'{n:,}' for n in sorted(steps))}-step run costs "
        f"{span([r['grad_over_fwd'][0] for r in rows], '.1f')}x the forward run (Jaxley "
        f"{span([r['grad_over_fwd'][1] for r in rows], '.1f')}x in the same runs); compiling "
        f"the gradient takes {span([r['compile_s'][0] for r in rows], '.1f', ' s')} (Jaxley "
        f"{span([r['compile_s'][1] for r in rows], '.1f', ' s')}). "
        f"{sources(runs)}."
    )


def gradients_markdown(data: dict, source: str = "") -> str:
    """The full table of one gradient run (``results/gradients.md``)."""
    import run_gradients

    rows = run_gradients.grad_rows(data["grad"])
    brows = run_gradients.batch_rows(data["batch"])
    checks = run_gradients.targets(rows, brows)
    prov = data.get("provenance", {})
    g = prov.get("git", {})
    m = prov.get("machine", {})

    def f2(p, spec=".3g"):
        return " / ".join(format(x, spec) for x in p)

    if prov.get("recovered"):
        rec = prov["recovered"]
        header = (
            f"Run `{source or 'gradients.json'}`, recovered from commit {rec['from_commit'][:7]} "
            f"(stored {rec['commit_date']}): {g.get('note', 'provenance not recorded')}."
        )
    else:
        header = (
            f"Run `{source or 'gradients.json'}`: {prov.get('date', 'date not recorded')}; "
            f"dendrax {g.get('short') or 'commit not recorded'}"
            f"{' + uncommitted changes' if g.get('dirty') else ''}; {m.get('cpu', '')}, "
            f"{m.get('cores', '?')} cores; load average {m.get('loadavg')} at start, "
            f"{prov.get('loadavg_end')} at end; "
            + ", ".join(f"{k} {v}" for k, v in prov.get("versions", {}).items() if v)
            + "."
        )
    aot = all("first_run_s" in v for b in data["batch"].values() for v in b.values())
    compile_note = (
        "compile = lowering + XLA compilation, ahead of time."
        if aot
        else "compile = first call minus the steady-state median (this run predates the "
        "ahead-of-time compile; with batches of several seconds the noise swamps it, 0.00 = "
        "the first call was not slower than the median)."
    )
    md = [
        "# Gradients and batched throughput: dendrax (D) against Jaxley 0.14 (J)",
        "",
        header,
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
            f"| {f2(r['grad_s'])} | {f2(r['fwd_s'])} | {f2(r['grad_over_fwd'], '.2f')} "
            f"| {f2(r['grad_over_fwd_cpu'], '.2f')} | {r['grad_D_over_J']:.2f} "
            f"| {r['grad_D_over_J_cpu']:.2f} | {f2(r['compile_s'], '.2f')} "
            f"| {f2(r['peak_rss_mib'], '.0f')} | {r['mem_D_over_J']:.2f} "
            f"| {r['max_rel_grad_diff']:.1e} | {r['load']:.1f} |"
        )
    md += [
        "",
        "Batched throughput: the simulation over gnabar scaled 0.5x-1.5x, somatic trace "
        "returned. Compared like for like on the same devices: dendrax `jax.vmap` against "
        "Jaxley `jax.vmap` on one device; `dendrax.batch_map` (the batch shared across CPU "
        "devices, `dendrax.use_cpu_cores`, with `jax.shard_map`, each device vmapping its share) "
        "against Jaxley's `jax.vmap` inside the same `jax.shard_map` over the same devices. The "
        "row marked *not like for like* sets dendrax on N devices against Jaxley on one. "
        f"{compile_note} max |dV| = against Jaxley's plain vmap, every member and step (– = not "
        "recorded).",
        "",
        "| model | comps | batch | comparison | devices D / J | sims/s D / J "
        "| sims/s by CPU D / J | D/J | D/J by CPU | compile s D / J | max abs dV mV D / J "
        "| load |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for b in brows:
        dv = " / ".join("–" if x is None else f"{x:.1e}" for x in b["max_abs_dv_mV"])
        how = b["comparison"] + ("" if b["like_for_like"] else " (*not like for like*)")
        md.append(
            f"| {b['model']} | {b['n_compartments']} | {b['batch']} | {how} "
            f"| {f2(b['devices'], 'd')} | {f2(b['sims_per_s'], '.0f')} "
            f"| {f2(b['sims_per_s_cpu'], '.0f')} | {b['D_over_J']:.2f} | {b['D_over_J_cpu']:.2f} "
            f"| {f2(b['compile_s'], '.2f')} | {dv} | {b['load']:.1f} |"
        )
    md += ["", "Targets:", ""]
    md += [f"- {k}: {v} -> {run_gradients.verdict(ok)}" for k, (v, ok) in checks.items()]
    return "\n".join(md) + "\n"


# ---------------------------------------------------------------------------------- memory


def block_memory_table(runs: list[Run]) -> str:
    rows: dict[int, list[dict]] = {}
    for r in runs:
        for row in r.data["levels"]:
            rows.setdefault(row["levels"], []).append(row)
    lines = [
        "| `checkpoint_levels` | level sizes | XLA buffers | peak RSS | gradient | forward "
        "| gradient / forward |",
        "|---|---|---|---|---|---|---|",
    ]
    for lev, rs in sorted(rows.items()):
        sizes = " × ".join(f"{s:,}" for s in rs[0].get("level_sizes", []))
        if any("skipped" in x for x in rs):
            skipped = next(x["skipped"] for x in rs if "skipped" in x)
        else:
            skipped = None
        lines.append(
            f"| {lev}{' (default)' if lev == 2 else ''} | {sizes} "
            f"| {span([x.get('xla_temp_mib') for x in rs], ',.1f', ' MiB')} "
            f"| **{span([x.get('peak_rss_mib') for x in rs], ',.0f', ' MiB')}** "
            f"| {skipped or span([x.get('grad_s') for x in rs], '.3g', ' s')} "
            f"| {span([x.get('forward_s') for x in rs], '.3g', ' s')} "
            f"| {span([x.get('grad_over_forward') for x in rs], '.1f')} |"
        )
    cfg = runs[0].data.get("config", {})
    return (
        "\n".join(lines)
        + f"\n\n{cfg.get('ncomp', '?'):,} compartments, {cfg.get('n_steps', '?'):,} steps. "
        + sources(runs)
        + "."
    )


# --------------------------------------------------------------------------------- compare


def compare_markdown(data: dict, threshold: float | None = None) -> str:
    c = data["config"]
    threshold = c["threshold"] if threshold is None else threshold
    b, h = data["trees"]["base"], data["trees"]["head"]
    lines = [
        f"HEAD `{h['label']}` against BASE `{b['label']}`: {c['rounds']} interleaved rounds "
        f"per model (BASE, HEAD, then HEAD, BASE, ...), each run a fresh process "
        f"(`run_dendrax.py`); HEAD/BASE of the medians over rounds; the spread is the range of "
        f"the per-round ratios. Regression: HEAD/BASE > {1 + threshold:.2f}.",
        "",
        "| model | comps | run s BASE / HEAD | HEAD/BASE run (spread) | by CPU | compile s BASE / "
        "HEAD | HEAD/BASE compile | max abs dV mV | verdict |",
        "|---|---:|---|---|---:|---|---:|---:|---|",
    ]
    for r in data["rows"]:
        if "error" in r:
            lines.append(f"| {r['model']} | | | | | | | | error: {r['error']} |")
            continue
        lines.append(
            f"| {r['model']} | {r['ncomp']:,} | {r['run_s'][0]:.4g} / {r['run_s'][1]:.4g} "
            f"| {r['run_ratio']:.3f} ({span(r['run_ratio_rounds'], '.3f')}) "
            f"| {r['run_cpu_ratio']:.3f} | {r['compile_s'][0]:.2f} / {r['compile_s'][1]:.2f} "
            f"| {r['compile_ratio']:.2f} | {r['max_abs_dv_mV']:.1e} | {r['verdict']} |"
        )
    lines += ["", data["summary"]]
    return "\n".join(lines) + "\n"


def block_compare_table(runs: list[Run]) -> str:
    return "\n\n".join(compare_markdown(r.data).rstrip() + f"\n\n{sources([r])}." for r in runs)


# ------------------------------------------------------------------------------- the blocks

BLOCKS = {
    "forward-conditions": ("forward", forward_conditions),
    "forward-table": ("forward", block_forward_table),
    "forward-notes": ("forward", block_forward_notes),
    "forward-compile": ("forward", block_forward_compile),
    "gradient-summary": ("gradients", block_gradient_summary),
    "gradient-table": ("gradients", block_gradient_table),
    "gradient-cost": ("gradients", block_gradient_cost),
    "batch-table": ("gradients", block_batch_table),
    "batch-summary": ("gradients", block_batch_summary),
    "memory-table": ("memory", block_memory_table),
    "compare-table": ("compare", block_compare_table),
}
MARKER = re.compile(r"<!-- report:([\w-]+)((?: [^\s>]+)*) -->\n(.*?)<!-- /report -->", re.S)


def render(name: str, files: list[str]) -> str:
    kind, fn = BLOCKS[name]
    runs = [Run(f) for f in files]
    bad = [r.name for r in runs if r.kind != kind]
    if bad:
        raise ValueError(f"block {name} needs {kind} runs, got {bad}")
    return fn(runs).rstrip() + "\n"


def process(doc: Path, update: bool, replace: dict[str, list[str]]) -> list[str]:
    text = doc.read_text()
    problems: list[str] = []

    def sub(m: re.Match) -> str:
        name, files, old = m.group(1), m.group(2).split(), m.group(3)
        if name not in BLOCKS:
            problems.append(f"{doc}: unknown block {name}")
            return m.group(0)
        files = replace.get(BLOCKS[name][0], files)
        new = render(name, files)
        if new != old:
            problems.append(f"{doc}: block {name} ({' '.join(files)}) differs from the runs")
        return f"<!-- report:{name} {' '.join(files)} -->\n{new}<!-- /report -->"

    out = MARKER.sub(sub, text)
    if update and out != text:
        doc.write_text(out)
    return problems


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="results files (forward, gradients, memory, compare)")
    ap.add_argument("--block", nargs="+", choices=list(BLOCKS), help="only these blocks")
    ap.add_argument("--check", nargs="+", metavar="DOC", help="verify the marked blocks")
    ap.add_argument("--update", nargs="+", metavar="DOC", help="rewrite the marked blocks")
    ap.add_argument(
        "--sources",
        nargs="+",
        default=[],
        metavar="KIND=FILES",
        help="with --update: point every block of KIND at these comma-separated runs",
    )
    args = ap.parse_args()
    replace = {}
    for s in args.sources:
        k, _, v = s.partition("=")
        replace[k] = v.split(",")
    docs = args.check or args.update
    if docs:
        problems = []
        for d in docs:
            problems += process(Path(d), bool(args.update), replace)
        if args.update:
            print("\n".join(f"updated: {p}" for p in problems) or "all blocks up to date")
            return
        print("\n".join(problems) or f"all marked blocks of {', '.join(docs)} match the runs")
        sys.exit(1 if problems else 0)
    if not args.files:
        ap.error("give results files, or --check / --update DOC")
    runs = [Run(f) for f in args.files]
    for name, (kind, _) in BLOCKS.items():
        mine = [r.arg for r in runs if r.kind == kind]
        if not mine or (args.block and name not in args.block):
            continue
        print(f"<!-- report:{name} {' '.join(Run(f).name for f in mine)} -->")
        print(render(name, mine), end="")
        print("<!-- /report -->\n")


if __name__ == "__main__":
    main()
