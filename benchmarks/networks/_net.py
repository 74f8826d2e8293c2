"""Helpers shared by the network benchmarks: paths, child processes with their peak memory,
provenance and stored results, and markdown formatting.

Every measurement runs in a fresh child process (a runner script that prints one JSON object
on the last line of stdout), one at a time, so that import time, compile caches and memory are
isolated. The parent reads the child's peak resident set size from ``os.wait4`` (the kernel's
``ru_maxrss``, the number ``/usr/bin/time -v`` prints as "Maximum resident set size").
Standard library only (the runners import the simulators).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent  # benchmarks/networks
BENCH = HERE.parent  # benchmarks
ROOT = BENCH.parent  # the repository
VALIDATION = ROOT / "tests" / "validation"
RESULTS = BENCH / "results"
NET_RESULTS = RESULTS / "networks"  # latest <name>.json / <name>.md of each benchmark
MORPHOLOGIES = Path("/work/shared/morphologies")
for p in (str(BENCH), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import _provenance as P  # noqa: E402


def child_env(platform: str = "cpu", extra: dict | None = None) -> dict:
    env = dict(os.environ, JAX_PLATFORMS=platform, PYTHONUNBUFFERED="1")
    env.update(extra or {})
    return env


def run_child(cmd: list[str], timeout_s: float, env: dict | None = None) -> dict:
    """Run a runner; return its last stdout JSON line, plus ``wall_s`` (whole process) and
    ``child_maxrss_mib`` (its peak RSS from ``os.wait4``, like ``/usr/bin/time -v``).
    On failure: ``{"error": ..., "cmd": ...}`` with the tail of stderr."""
    t0 = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        p = subprocess.Popen(cmd, stdout=out, stderr=err, env=env or child_env(), text=True)
        status, rusage, timed_out = None, None, False
        while True:
            pid, status, rusage = os.wait4(p.pid, os.WNOHANG)
            if pid == p.pid:
                break
            if time.perf_counter() - t0 > timeout_s:
                p.kill()
                _, status, rusage = os.wait4(p.pid, 0)
                timed_out = True
                break
            time.sleep(0.02)
        p.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        wall = time.perf_counter() - t0
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    maxrss = rusage.ru_maxrss / 1024.0 if rusage is not None else None
    if timed_out:
        return {
            "error": f"timed out after {timeout_s:.0f} s",
            "cmd": " ".join(cmd),
            "child_maxrss_mib": maxrss,
        }
    lines = [ln for ln in stdout.splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = [ln for ln in (stderr or stdout).strip().splitlines() if "DISPLAY" not in ln]
        return {
            "error": f"exit {p.returncode}: " + " | ".join(tail[-6:]),
            "cmd": " ".join(cmd),
            "child_maxrss_mib": maxrss,
        }
    res = json.loads(lines[-1])
    res["wall_s"] = wall
    res["child_maxrss_mib"] = maxrss
    return res


def workdir(path: str | None) -> Path:
    """A folder for generated models and traces (a new temporary one by default)."""
    d = Path(path) if path else Path(tempfile.mkdtemp(prefix="dendrax_netbench_"))
    d.mkdir(parents=True, exist_ok=True)
    return d


def start(kind: str) -> tuple[dict, float]:
    """Provenance (commit, date, machine, versions, command) at the start of a run."""
    return P.provenance(kind), time.perf_counter()


def store(results: dict, name: str, markdown: str, t0: float, out: str | None = None) -> Path:
    """Finish the provenance, keep the run as ``results/runs/<date>-<commit>-<kind>.json``
    (never overwritten) and write ``results/networks/<name>.json`` and ``.md`` (latest)."""
    P.finish(results["provenance"], t0)
    base = Path(out) if out else RESULTS
    stored = P.store_run(results, base)
    latest = (Path(out) / "networks") if out else NET_RESULTS
    latest.mkdir(parents=True, exist_ok=True)
    (latest / f"{name}.json").write_text(json.dumps(results, indent=1))
    (latest / f"{name}.md").write_text(markdown)
    print(markdown)
    print(f"wrote {stored} and {latest / name}.json/.md")
    return stored


# --- formatting ------------------------------------------------------------------------------


def fmt(x, spec: str = ".3g", none: str = "–") -> str:
    if x is None or (isinstance(x, float) and x != x):
        return none
    if isinstance(x, str):
        return x
    return format(x, spec)


def ratio(a, b):
    return a / b if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None


def table(header: list[str], rows: list[list], align: str | None = None) -> str:
    align = align or ("|---" + "|---:" * (len(header) - 1) + "|")
    out = ["| " + " | ".join(header) + " |", align]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def provenance_line(results: dict) -> str:
    prov = results.get("provenance", {})
    g = prov.get("git", {})
    m = prov.get("machine", {})
    v = prov.get("versions", {})
    label = P.git_label(g)
    if g.get("src_dirty"):
        label += " (uncommitted changes in src/)"
    load = m.get("loadavg"), prov.get("loadavg_end")
    vers = ", ".join(f"{k} {v[k]}" for k in ("dendrax", "jax", "jaxley", "neuron") if v.get(k))
    text = (
        f"{prov.get('date', '?')}; dendrax commit {label}; {m.get('cpu', '?')}, "
        f"{m.get('cores', '?')} cores; {vers}"
    )
    if all(load):
        text += f"; load average 1/5/15 min {load[0]} at start, {load[1]} at end"
    if results.get("quick"):
        text += "; **--quick (smoke-test sizes)**"
    return text


def errors_of(d, path: str = "") -> list[str]:
    """Every ``error`` entry in a nested results dict, as ``path: message``."""
    out = []
    if isinstance(d, dict):
        if "error" in d and isinstance(d["error"], str):
            out.append(f"{path or '.'}: {d['error']}")
        for k, v in d.items():
            if k != "error":
                out += errors_of(v, f"{path}/{k}" if path else str(k))
    elif isinstance(d, list):
        for i, v in enumerate(d):
            out += errors_of(v, f"{path}[{i}]")
    return out
